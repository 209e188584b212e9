//! Lowering control instructions: blocks, branches, calls.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::{Frame, Kind, Translator, args, cl_type, declare_callee, wasm_signature};
use crate::builtins::Builtin;
use crate::traps::TRAP_UNREACHABLE;
use crate::vmctx::{CACHE_ENTRIES, CacheEntry, cache_salt, offsets};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, Block, FuncRef, InstBuilder, Type, Value, types};
use skiff_vm::Error;
use skiff_vm::isa::{self, Control};
use skiff_vm::runtime::value::slot_count;
use skiff_vm::types::FuncType;
use std::mem::offset_of;

impl isa::TranslateControl for Translator<'_, '_, '_> {
    fn control(&mut self, c: Control) -> Result<(), Error> {
        match c {
            Control::Unreachable => {
                self.b.ins().trap(TRAP_UNREACHABLE);
                self.end_unreachable_tail();
            }
            Control::Nop => {}
            Control::TryTable(t) => self.try_table(&t)?,
            Control::Throw(tag) => self.throw(tag)?,
            Control::ThrowRef => self.throw_ref(),
            Control::Try(bt) => self.legacy_try(bt)?,
            Control::Catch(tag) => self.legacy_catch(Some(tag)),
            Control::CatchAll => self.legacy_catch(None),
            Control::Delegate(depth) => self.delegate(depth)?,
            Control::Rethrow(depth) => self.rethrow_caught(depth),
            Control::Block(blockty) => {
                let (params, results) = self.block_types(blockty)?;
                let dest = self.new_block_with(&results);
                let height = self.stack.len() - params.len();
                self.frames
                    .push(Frame::new(Kind::Block, dest, params, results, height));
            }
            Control::Loop(blockty) => {
                let (params, results) = self.block_types(blockty)?;
                let header = self.new_block_with(&params);
                let dest = self.new_block_with(&results);
                let vals = self.top_n(params.len());
                self.b.ins().jump(header, &args(&vals));
                let height = self.stack.len() - params.len();
                self.stack.truncate(height);
                self.b.switch_to_block(header);
                self.stack.extend_from_slice(self.b.block_params(header));
                self.frames.push(Frame {
                    header: Some(header),
                    ..Frame::new(Kind::Loop, dest, params, results, height)
                });
            }
            Control::If(blockty) => {
                let cond = self.pop();
                let (params, results) = self.block_types(blockty)?;
                let then_block = self.new_block_with(&params);
                let else_block = self.new_block_with(&params);
                let dest = self.new_block_with(&results);
                let vals = self.top_n(params.len());
                self.b
                    .ins()
                    .brif(cond, then_block, &args(&vals), else_block, &args(&vals));
                self.b.seal_block(then_block);
                self.b.seal_block(else_block);
                let height = self.stack.len() - params.len();
                self.stack.truncate(height);
                self.b.switch_to_block(then_block);
                self.stack
                    .extend_from_slice(self.b.block_params(then_block));
                self.frames.push(Frame {
                    else_block: Some(else_block),
                    ..Frame::new(Kind::If, dest, params, results, height)
                });
            }
            Control::Else => self.else_(),
            Control::End => self.end()?,
            Control::Br(relative_depth) => {
                self.jump_to_label(relative_depth);
                self.end_unreachable_tail();
            }
            Control::BrIf(relative_depth) => {
                let cond = self.pop();
                self.branch_on(cond, true, relative_depth);
            }
            Control::BrTable(targets) => {
                let index = self.pop();
                let mut depths: Vec<u32> = targets.targets.to_vec();
                let default = targets.default;
                let (_, n) = self.label(default);
                let vals = self.top_n(n);
                // One edge block per distinct target carries the values.
                let mut edges: std::collections::HashMap<u32, Block> =
                    std::collections::HashMap::new();
                depths.push(default);
                for d in &depths {
                    if !edges.contains_key(d) {
                        let edge = self.b.create_block();
                        edges.insert(*d, edge);
                    }
                }
                let table: Vec<ir::BlockCall> = depths[..depths.len() - 1]
                    .iter()
                    .map(|d| self.b.func.dfg.block_call(edges[d], &[]))
                    .collect();
                let default_call = self.b.func.dfg.block_call(edges[&default], &[]);
                let jt = self
                    .b
                    .create_jump_table(ir::JumpTableData::new(default_call, &table));
                self.b.ins().br_table(index, jt);
                let mut done = std::collections::HashSet::new();
                for d in depths {
                    if !done.insert(d) {
                        continue;
                    }
                    let edge = edges[&d];
                    self.b.seal_block(edge);
                    self.b.switch_to_block(edge);
                    let (target, _) = self.label(d);
                    self.b.ins().jump(target, &args(&vals));
                }
                self.end_unreachable_tail();
            }
            Control::Return => self.return_top(),
            Control::Call(function_index) if self.in_try() => {
                let ty = self.env.module.func_type(function_index).clone();
                let n = ty.params().len();
                let params = self.top_n(n);
                self.stack.truncate(self.stack.len() - n);
                let f = self.u32_const(function_index);
                self.catching_call(&ty, &params, Builtin::CallCatching, &[f])?;
            }
            Control::CallIndirect { ty, table } if self.in_try() => {
                let elem = self.pop_u64();
                let fty = self.env.module.types[ty as usize].clone();
                let n = fty.params().len();
                let params = self.top_n(n);
                self.stack.truncate(self.stack.len() - n);
                let (table, ty) = (self.u32_const(table), self.u32_const(ty));
                self.catching_call(
                    &fty,
                    &params,
                    Builtin::CallIndirectCatching,
                    &[table, ty, elem],
                )?;
            }
            Control::CallRef(ty) if self.in_try() => {
                let r = self.pop_u64();
                let fty = self.env.module.types[ty as usize].clone();
                let n = fty.params().len();
                let params = self.top_n(n);
                self.stack.truncate(self.stack.len() - n);
                self.catching_call(&fty, &params, Builtin::CallRefCatching, &[r])?;
            }
            Control::Call(function_index) => self.call(function_index)?,
            Control::ReturnCall(function_index) => self.return_call(function_index)?,
            Control::ReturnCallIndirect { ty, table } => {
                self.return_call_indirect(ty, Site::Table(table))?
            }
            Control::CallIndirect { ty, table } => self.call_indirect(ty, Site::Table(table))?,
            Control::CallRef(ty) => self.call_indirect(ty, Site::Ref)?,
            Control::ReturnCallRef(ty) => self.return_call_indirect(ty, Site::Ref)?,
            Control::BrOnNull(relative_depth) => {
                let r = self.pop();
                self.branch_on(r, false, relative_depth);
                self.stack.push(r);
            }
            Control::BrOnNonNull(relative_depth) => {
                // The reference goes with the label's values, when it does.
                let r = *self.stack.last().expect("validated operand");
                self.branch_on(r, true, relative_depth);
                self.stack.pop();
            }
        }
        Ok(())
    }
}

/// Where an indirect call finds its callee: an element of a table
/// (`call_indirect`), or a function reference (`call_ref`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Site {
    Table(u32),
    Ref,
}

/// Where an indirect call's callee is, once its element or reference is
/// checked: the element (or reference), table and type operands, and the
/// callee's code and context block (zero when it must be called through
/// the store).
struct Indirect {
    site: Site,
    elem: Value,
    table: Value,
    ty: Value,
    code: Value,
    vmctx: Value,
}

impl Translator<'_, '_, '_> {
    /// Defined function `d`, declared in this body on first use.
    fn callee(&mut self, d: u32) -> FuncRef {
        if let Some(f) = self.callees.get(&d) {
            return *f;
        }
        // A defined function's code id is its defined index.
        let f = declare_callee(self.b.func, d, &self.env.sigs[d as usize]);
        self.callees.insert(d, f);
        f
    }

    /// Branches to label `depth` with the values on top of the stack when
    /// `cond` is non-zero (`when_set`) or zero; else goes on after it.
    fn branch_on(&mut self, cond: Value, when_set: bool, depth: u32) {
        let (target, n) = self.label(depth);
        let vals = self.top_n(n);
        let next = self.b.create_block();
        if when_set {
            self.b.ins().brif(cond, target, &args(&vals), next, &[]);
        } else {
            self.b.ins().brif(cond, next, &[], target, &args(&vals));
        }
        self.b.seal_block(next);
        self.b.switch_to_block(next);
    }

    /// The arguments of a call of generated code: the callee's context
    /// block, the fuel left (when the code meters fuel), then `params`.
    fn wasm_args(&mut self, vmctx: Value, params: &[Value]) -> Vec<Value> {
        let mut all = vec![vmctx];
        all.extend(self.fuel_arg());
        all.extend_from_slice(params);
        all
    }

    /// Returns the values on top of the stack from the function.
    fn return_top(&mut self) {
        self.jump_to_label((self.frames.len() - 1) as u32);
        self.end_unreachable_tail();
    }

    /// `return_call`: a Cranelift tail call of a defined function, so that
    /// the native stack does not grow; an import is called, then returned
    /// from.
    fn return_call(&mut self, index: u32) -> Result<(), Error> {
        let m = self.env.module;
        if index < m.num_imported_funcs {
            self.call(index)?;
            self.return_top();
            return Ok(());
        }
        let n = m.func_type(index).params().len();
        let params = self.top_n(n);
        self.stack.truncate(self.stack.len() - n);
        let f = self.callee(index - m.num_imported_funcs);
        let all = self.wasm_args(self.vmctx, &params);
        self.b.ins().return_call(f, &all);
        self.end_unreachable_tail();
        Ok(())
    }

    /// Pops an indirect call's element (or reference) and has a builtin
    /// check it: traps as the instruction does, else says where the callee
    /// is when generated code compiled alike (same calling convention, same
    /// fuel and epoch checks) can call it directly.
    fn indirect_target(&mut self, type_index: u32, site: Site) -> Indirect {
        let table = match site {
            Site::Table(t) => t,
            // A reference's target is kept in the cache as a table's
            // element would be, under a table no module has.
            Site::Ref => u32::MAX,
        };
        let elem = self.pop_u64();
        let table_v = self.u32_const(table);
        let ty_v = self.u32_const(type_index);
        // The instance's cache first: an entry for this element, table and
        // type, written while the store's tables were as they are now.
        let (trusted, ro) = (self.flags.trusted, self.flags.trusted_ro);
        let version_at = self
            .b
            .ins()
            .load(types::I64, ro, self.vmctx, offsets::TABLE_VERSION);
        let version = self.b.ins().load(types::I64, trusted, version_at, 0);
        let cache = self
            .b
            .ins()
            .load(types::I64, trusted, self.vmctx, offsets::INDIRECT_CACHE);
        let salted = self
            .b
            .ins()
            .bxor_imm_u(elem, cache_salt(type_index, table) as i64);
        let slot = self.b.ins().band_imm_u(salted, (CACHE_ENTRIES - 1) as i64);
        let offset = self.b.ins().imul_imm_u(slot, CacheEntry::SIZE);
        let entry = self.b.ins().iadd(cache, offset);
        let field = |t: &mut Self, at: i32| t.b.ins().load(types::I64, trusted, entry, at);
        let (e_version, e_elem, e_type_table) = (
            field(self, offset_of!(CacheEntry, version) as i32),
            field(self, offset_of!(CacheEntry, elem) as i32),
            field(self, offset_of!(CacheEntry, type_table) as i32),
        );
        let type_table = u64::from(type_index) | (u64::from(table) << 32);
        let same_version = self.b.ins().icmp(IntCC::Equal, e_version, version);
        let same_elem = self.b.ins().icmp(IntCC::Equal, e_elem, elem);
        let same_site = self
            .b
            .ins()
            .icmp_imm_u(IntCC::Equal, e_type_table, type_table as i64);
        let hit = self.b.ins().band(same_version, same_elem);
        let hit = self.b.ins().band(hit, same_site);
        let (cached, check, found) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        self.b.append_block_param(found, types::I64);
        self.b.append_block_param(found, types::I64);
        self.b.ins().brif(hit, cached, &[], check, &[]);
        self.b.seal_block(cached);
        self.b.seal_block(check);

        self.b.switch_to_block(cached);
        let code = field(self, offset_of!(CacheEntry, code) as i32);
        let vmctx = field(self, offset_of!(CacheEntry, vmctx) as i32);
        self.b.ins().jump(found, &args(&[code, vmctx]));

        // Not there: the builtin checks the element (and traps as the
        // instruction does), and keeps a target it finds in the cache.
        self.b.switch_to_block(check);
        let (out, addr) = self.spill(&[], 2);
        match site {
            Site::Table(_) => {
                self.checked_builtin(Builtin::IndirectTarget, &[table_v, ty_v, elem, addr])
            }
            Site::Ref => self.checked_builtin(Builtin::RefTarget, &[ty_v, elem, addr]),
        };
        let code = self.b.ins().stack_load(types::I64, types::I64, out, 0);
        let vmctx = self.b.ins().stack_load(types::I64, types::I64, out, 8);
        self.b.ins().jump(found, &args(&[code, vmctx]));

        self.b.seal_block(found);
        self.b.switch_to_block(found);
        let (code, vmctx) = (self.b.block_params(found)[0], self.b.block_params(found)[1]);
        Indirect {
            site,
            elem,
            table: table_v,
            ty: ty_v,
            code,
            vmctx,
        }
    }

    /// Before a direct call of generated code through a table: the callee's
    /// context block gets this entry's store and stack limit, which its
    /// builtins and stack check use (the same block when the callee is of
    /// this instance, which changes nothing).
    fn lend_entry_state(&mut self, callee_vmctx: Value) {
        let trusted = self.flags.trusted;
        for at in [offsets::STORE, offsets::STACK_LIMIT] {
            let v = self.b.ins().load(types::I64, trusted, self.vmctx, at);
            self.b.ins().store(trusted, v, callee_vmctx, at);
        }
    }

    /// The arguments of a call of type `ty`, popped, and the call's
    /// signature when it calls generated code directly.
    fn direct_call_parts(&mut self, ty: &FuncType) -> Result<(Vec<Value>, ir::SigRef), Error> {
        let n = ty.params().len();
        let params = self.top_n(n);
        self.stack.truncate(self.stack.len() - n);
        let sig = wasm_signature(ty, self.env.wasm_conv, self.env.metering)?;
        Ok((params, self.b.import_signature(sig)))
    }

    /// Calls the callee `at` found through the store (a host function, code
    /// of another tier or compiled otherwise), with `params`; its results.
    fn call_through_table(
        &mut self,
        ty: &FuncType,
        at: &Indirect,
        params: &[Value],
    ) -> Result<Vec<Value>, Error> {
        let rtys: Vec<Type> = ty
            .results()
            .iter()
            .map(|r| cl_type(*r))
            .collect::<Result<_, _>>()?;
        let (slot, addr) = self.spill(
            params,
            slot_count(ty.params()).max(slot_count(ty.results())),
        );
        match at.site {
            Site::Table(_) => {
                self.checked_builtin(Builtin::CallIndirect, &[at.table, at.ty, at.elem, addr])
            }
            Site::Ref => self.checked_builtin(Builtin::CallRef, &[at.elem, addr]),
        };
        self.reload(slot, &rtys);
        let results = self.top_n(rtys.len());
        self.stack.truncate(self.stack.len() - rtys.len());
        Ok(results)
    }

    /// `call_indirect`: the callee is called directly when it is generated
    /// code compiled alike, with the arguments in registers, else through
    /// the store.
    fn call_indirect(&mut self, type_index: u32, site: Site) -> Result<(), Error> {
        let ty = self.env.module.types[type_index as usize].clone();
        let at = self.indirect_target(type_index, site);
        let (params, sig) = self.direct_call_parts(&ty)?;
        let (direct, through, join) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        for r in ty.results() {
            self.b.append_block_param(join, cl_type(*r)?);
        }
        self.b.ins().brif(at.code, direct, &[], through, &[]);
        self.b.seal_block(direct);
        self.b.seal_block(through);

        self.b.switch_to_block(direct);
        self.lend_entry_state(at.vmctx);
        let all = self.wasm_args(at.vmctx, &params);
        let call = self.b.ins().call_indirect(sig, at.code, &all);
        let results = self.b.inst_results(call).to_vec();
        let results = self.take_fuel_result(results);
        let unsaved = self.fuel_unsaved;
        self.b.ins().jump(join, &args(&results));

        self.b.switch_to_block(through);
        let results = self.call_through_table(&ty, &at, &params)?;
        self.b.ins().jump(join, &args(&results));

        self.b.seal_block(join);
        self.b.switch_to_block(join);
        let joined = self.b.block_params(join).to_vec();
        self.stack.extend(joined);
        // Fuel the direct call returned may not be in the store yet.
        self.fuel_unsaved |= unsaved;
        Ok(())
    }

    /// `return_call_indirect`: generated code compiled alike is jumped to
    /// with a Cranelift tail call, anything else called through the store
    /// and returned from.
    fn return_call_indirect(&mut self, type_index: u32, site: Site) -> Result<(), Error> {
        let ty = self.env.module.types[type_index as usize].clone();
        let at = self.indirect_target(type_index, site);
        let (params, sig) = self.direct_call_parts(&ty)?;
        let (jump, call) = (self.b.create_block(), self.b.create_block());
        self.b.ins().brif(at.code, jump, &[], call, &[]);
        self.b.seal_block(jump);
        self.b.seal_block(call);

        self.b.switch_to_block(jump);
        self.lend_entry_state(at.vmctx);
        let all = self.wasm_args(at.vmctx, &params);
        self.b.ins().return_call_indirect(sig, at.code, &all);

        self.b.switch_to_block(call);
        let results = self.call_through_table(&ty, &at, &params)?;
        self.stack.extend(results);
        self.return_top();
        Ok(())
    }

    fn call(&mut self, index: u32) -> Result<(), Error> {
        let m = self.env.module;
        let ty = m.func_type(index).clone();
        let n = ty.params().len();
        let params = self.top_n(n);
        self.stack.truncate(self.stack.len() - n);
        if index >= m.num_imported_funcs {
            let f = self.callee(index - m.num_imported_funcs);
            let all = self.wasm_args(self.vmctx, &params);
            let call = self.b.ins().call(f, &all);
            let results = self.b.inst_results(call).to_vec();
            let results = self.take_fuel_result(results);
            self.stack.extend(results);
        } else {
            let (slot, addr) = self.spill(
                &params,
                slot_count(ty.params()).max(slot_count(ty.results())),
            );
            let f = self.u32_const(index);
            self.checked_builtin(Builtin::CallImport, &[f, addr]);
            let rtys: Vec<Type> = ty
                .results()
                .iter()
                .map(|r| cl_type(*r))
                .collect::<Result<_, _>>()?;
            self.reload(slot, &rtys);
        }
        Ok(())
    }

    pub(super) fn else_(&mut self) {
        let frame = self.frames.last_mut().expect("validated nesting");
        let else_block = frame.else_block.take().expect("else of an if");
        frame.kind = Kind::Else;
        let (dest, height, n) = (frame.dest, frame.height, frame.results.len());
        if !self.unreachable {
            let vals = self.top_n(n);
            self.b.ins().jump(dest, &args(&vals));
            self.frames
                .last_mut()
                .expect("validated nesting")
                .dest_reached = true;
        }
        self.stack.truncate(height);
        self.b.switch_to_block(else_block);
        self.stack
            .extend_from_slice(self.b.block_params(else_block));
        self.unreachable = false;
    }

    pub(super) fn end(&mut self) -> Result<(), Error> {
        let mut frame = self.frames.pop().expect("validated nesting");
        if !self.unreachable {
            let vals = self.top_n(frame.results.len());
            self.b.ins().jump(frame.dest, &args(&vals));
            frame.dest_reached = true;
        }
        if let Some(else_block) = frame.else_block.take() {
            // An `if` without `else`: the false branch passes its parameters on.
            self.b.switch_to_block(else_block);
            let params = self.b.block_params(else_block).to_vec();
            self.b.ins().jump(frame.dest, &args(&params));
            frame.dest_reached = true;
        }
        self.close_try(&frame);
        if let Some(header) = frame.header {
            self.b.seal_block(header);
        }
        self.stack.truncate(frame.height);
        self.b.seal_block(frame.dest);
        self.b.switch_to_block(frame.dest);
        self.stack
            .extend_from_slice(self.b.block_params(frame.dest));
        self.unreachable = !frame.dest_reached;
        if frame.kind == Kind::Func {
            if frame.dest_reached {
                let mut vals = self.stack.clone();
                vals.extend(self.fuel_arg());
                self.b.ins().return_(&vals);
            } else {
                self.b.ins().trap(TRAP_UNREACHABLE);
            }
        } else if self.unreachable {
            // Nothing reaches the code after this block: the block ends here.
            self.b.ins().trap(TRAP_UNREACHABLE);
        }
        Ok(())
    }
}
