//! Translation of validated function bodies to Cranelift IR.
//!
//! Locals are Cranelift variables; the operand stack is a vector of SSA
//! values; each WebAssembly block becomes a Cranelift block whose parameters
//! are the block's results (a loop's header takes the loop's parameters).
//! Linear memory accesses add the address to the memory's base and rely on
//! the guard region for bounds where the memory configuration the code is
//! compiled for guarantees one (static offsets too large for it, or every
//! access under a small reservation, get an explicit check). What is rare or
//! large (bulk memory, tables, calls leaving the module) calls into the
//! runtime through its builtins ([`crate::builtins`]).

use crate::builtins::Builtin;
use crate::traps::{TRAP_PENDING, TRAP_UNREACHABLE};
use crate::vmctx::offsets;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    self, AbiParam, Block, BlockArg, FuncRef, InstBuilder, MemFlagsData, Signature, StackSlotData,
    StackSlotKind, TrapCode, Type, Value, types,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, Variable};
use cranelift_module::FuncId;
use skiff_vm::module::Module;
use skiff_vm::runtime::MemoryConfig;
use skiff_vm::types::{FuncType, ValType};
use skiff_vm::{Error, ErrorKind};
use std::collections::HashMap;
use wasmparser::{BlockType, MemArg, Operator};

/// The Cranelift type of a value type (references are 64-bit raw refs).
pub fn cl_type(t: ValType) -> Result<Type, Error> {
    Ok(match t {
        ValType::I32 => types::I32,
        ValType::I64 => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        ValType::Ref(_) => types::I64,
        ValType::V128 => return Err(unsupported("SIMD")),
    })
}

/// The signature of a WebAssembly function in generated code: the context
/// block, then its parameters; its results.
pub fn wasm_signature(ty: &FuncType, call_conv: CallConv) -> Result<Signature, Error> {
    let mut sig = Signature::new(call_conv);
    sig.params.push(AbiParam::new(types::I64));
    for p in ty.params() {
        sig.params.push(AbiParam::new(cl_type(*p)?));
    }
    for r in ty.results() {
        sig.returns.push(AbiParam::new(cl_type(*r)?));
    }
    Ok(sig)
}

fn unsupported(what: &str) -> Error {
    Error::without_offset(
        ErrorKind::Unsupported,
        format!("the JIT does not compile {what} yet"),
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Func,
    Block,
    Loop,
    If,
    Else,
}

struct Frame {
    kind: Kind,
    /// Where control continues after the block; takes its results.
    dest: Block,
    /// For loops: the header, which takes the parameters.
    header: Option<Block>,
    /// For `if` before its `else`: the block the false branch starts.
    else_block: Option<Block>,
    params: Vec<Type>,
    results: Vec<Type>,
    /// Operand stack height below the block's parameters.
    height: usize,
    /// Whether any branch or fall-through reaches `dest`.
    dest_reached: bool,
}

/// Everything the translator needs from the module being compiled.
pub struct Env<'m> {
    /// The module.
    pub module: &'m Module,
    /// Cranelift ids of the defined functions (index = defined index).
    pub func_ids: &'m [FuncId],
    /// Signatures of the defined functions (index = defined index).
    pub sigs: &'m [Signature],
    /// The calling convention of generated code.
    pub call_conv: CallConv,
    /// The memory configuration the code is compiled for: accesses its
    /// guard region does not catch are checked explicitly.
    pub memory: MemoryConfig,
}

/// Imports function `id` of the code module into `func`, as
/// `cranelift_module::Module::declare_func_in_func` does for a local
/// (colocated) definition, but without the module: bodies are translated on
/// several threads.
pub fn declare_callee(func: &mut ir::Function, id: FuncId, sig: &Signature) -> FuncRef {
    let signature = func.import_signature(sig.clone());
    let name = func.declare_imported_user_function(ir::UserExternalName {
        namespace: 0,
        index: id.as_u32(),
    });
    func.import_function(ir::ExtFuncData {
        name: ir::ExternalName::user(name),
        signature,
        colocated: true,
        patchable: false,
    })
}

/// Translates the body of defined function `index` into `builder`'s function.
pub fn translate_body(
    env: &Env<'_>,
    builder: &mut FunctionBuilder<'_>,
    index: u32,
) -> Result<(), Error> {
    let m = env.module;
    let body = m.body(index).expect("a defined function");
    let ty = m.func_type(index);
    let entry = builder.create_block();
    builder.append_block_params_for_function_params(entry);
    builder.switch_to_block(entry);
    builder.seal_block(entry);
    let vmctx = builder.block_params(entry)[0];

    // Locals: parameters first, then declared locals set to zero.
    let mut locals = Vec::new();
    for (i, p) in ty.params().iter().enumerate() {
        let var = builder.declare_var(cl_type(*p)?);
        let v = builder.block_params(entry)[i + 1];
        builder.def_var(var, v);
        locals.push(var);
    }
    for &(n, t) in &body.locals {
        let clt = cl_type(t)?;
        for _ in 0..n {
            let var = builder.declare_var(clt);
            let zero = zero(builder, clt);
            builder.def_var(var, zero);
            locals.push(var);
        }
    }

    let flags = Flags::new(builder);
    // Stack exhaustion: compare the stack pointer with the limit in the context block.
    let limit = builder
        .ins()
        .load(types::I64, flags.trusted, vmctx, offsets::STACK_LIMIT);
    let sp = builder.ins().get_stack_pointer(types::I64);
    let over = builder.ins().icmp(IntCC::UnsignedLessThan, sp, limit);
    builder.ins().trapnz(over, TrapCode::STACK_OVERFLOW);

    let results: Vec<Type> = ty
        .results()
        .iter()
        .map(|r| cl_type(*r))
        .collect::<Result<_, _>>()?;
    let ret = builder.create_block();
    for r in &results {
        builder.append_block_param(ret, *r);
    }
    let mut t = Translator {
        env,
        b: builder,
        vmctx,
        locals,
        stack: Vec::new(),
        frames: vec![Frame {
            kind: Kind::Func,
            dest: ret,
            header: None,
            else_block: None,
            params: Vec::new(),
            results: results.clone(),
            height: 0,
            dest_reached: false,
        }],
        unreachable: false,
        dead_depth: 0,
        flags,
        callees: HashMap::new(),
        builtin_sigs: HashMap::new(),
    };
    let mut reader = m.operators_reader(body);
    while !reader.eof() {
        // The module offset of each instruction, for backtraces.
        t.b.set_srcloc(ir::SourceLoc::new(reader.original_position() as u32));
        let op = reader.read().map_err(Error::from)?;
        t.op(op)?;
    }
    Ok(())
}

fn zero(b: &mut FunctionBuilder<'_>, t: Type) -> Value {
    match t {
        types::F32 => b.ins().f32const(0.0),
        types::F64 => b.ins().f64const(0.0),
        t => b.ins().iconst(t, 0),
    }
}

struct Translator<'a, 'b, 'e> {
    env: &'a Env<'e>,
    b: &'a mut FunctionBuilder<'b>,
    vmctx: Value,
    locals: Vec<Variable>,
    stack: Vec<Value>,
    frames: Vec<Frame>,
    unreachable: bool,
    dead_depth: u32,
    flags: Flags,
    /// Defined functions this body calls, declared in it on first use.
    callees: HashMap<u32, FuncRef>,
    /// Signatures of the builtins this body calls, imported on first use.
    builtin_sigs: HashMap<Builtin, ir::SigRef>,
}

/// The memory flag sets this translator uses.
#[derive(Clone, Copy)]
pub struct Flags {
    /// Aligned, non-trapping: the context block.
    pub trusted: MemFlagsData,
    /// As `trusted`, and never changing while the code runs.
    pub trusted_ro: MemFlagsData,
    /// A linear memory access: little-endian, may trap.
    pub heap: MemFlagsData,
    /// No flags.
    pub plain: MemFlagsData,
}

impl Flags {
    /// The flag sets.
    pub fn new(_b: &mut FunctionBuilder<'_>) -> Flags {
        Flags {
            trusted: MemFlagsData::trusted(),
            trusted_ro: MemFlagsData::trusted().with_readonly(),
            heap: MemFlagsData::new().with_endianness(ir::Endianness::Little),
            plain: MemFlagsData::new(),
        }
    }
}

fn args(values: &[Value]) -> Vec<BlockArg> {
    values.iter().map(|v| BlockArg::Value(*v)).collect()
}

impl Translator<'_, '_, '_> {
    fn pop(&mut self) -> Value {
        self.stack.pop().expect("validated stack")
    }

    fn pop2(&mut self) -> (Value, Value) {
        let b = self.pop();
        let a = self.pop();
        (a, b)
    }

    fn top_n(&self, n: usize) -> Vec<Value> {
        self.stack[self.stack.len() - n..].to_vec()
    }

    fn block_types(&self, bt: BlockType) -> Result<(Vec<Type>, Vec<Type>), Error> {
        Ok(match bt {
            BlockType::Empty => (vec![], vec![]),
            BlockType::Type(t) => (vec![], vec![cl_type(convert(t)?)?]),
            BlockType::FuncType(i) => {
                let ty = &self.env.module.types[i as usize];
                (
                    ty.params()
                        .iter()
                        .map(|p| cl_type(*p))
                        .collect::<Result<_, _>>()?,
                    ty.results()
                        .iter()
                        .map(|p| cl_type(*p))
                        .collect::<Result<_, _>>()?,
                )
            }
        })
    }

    fn new_block_with(&mut self, tys: &[Type]) -> Block {
        let block = self.b.create_block();
        for t in tys {
            self.b.append_block_param(block, *t);
        }
        block
    }

    /// Jumps to the label `depth` levels out with the values it carries.
    fn jump_to_label(&mut self, depth: u32) {
        let i = self.frames.len() - 1 - depth as usize;
        let (target, n) = match self.frames[i].kind {
            Kind::Loop => (
                self.frames[i].header.expect("loop header"),
                self.frames[i].params.len(),
            ),
            _ => {
                self.frames[i].dest_reached = true;
                (self.frames[i].dest, self.frames[i].results.len())
            }
        };
        let vals = self.top_n(n);
        self.b.ins().jump(target, &args(&vals));
    }

    /// The label `depth` levels out: its block and how many values it takes.
    fn label(&mut self, depth: u32) -> (Block, usize) {
        let i = self.frames.len() - 1 - depth as usize;
        match self.frames[i].kind {
            Kind::Loop => (
                self.frames[i].header.expect("loop header"),
                self.frames[i].params.len(),
            ),
            _ => {
                self.frames[i].dest_reached = true;
                (self.frames[i].dest, self.frames[i].results.len())
            }
        }
    }

    /// Memory 0's base. It never changes, so the load is read-only and
    /// Cranelift may share it between accesses.
    fn base(&mut self) -> Value {
        self.b.ins().load(
            types::I64,
            self.flags.trusted_ro,
            self.vmctx,
            offsets::MEMORY_BASE,
        )
    }

    /// The native address of a memory access of `size` bytes.
    fn address(&mut self, memarg: &MemArg, size: u64) -> (Value, i32) {
        let index = self.pop();
        let index = self.b.ins().uextend(types::I64, index);
        let base = self.base();
        if self.env.memory.guard_covers(memarg.offset, size) {
            let addr = self.b.ins().iadd(base, index);
            (addr, memarg.offset as i32)
        } else {
            // Not caught by the guard region: check explicitly.
            let ea = self.b.ins().iadd_imm_u(index, memarg.offset as i64);
            let end = self.b.ins().iadd_imm_u(ea, size as i64);
            let mem =
                self.b
                    .ins()
                    .load(types::I64, self.flags.trusted, self.vmctx, offsets::MEMORY);
            let len = self
                .b
                .ins()
                .load(types::I64, self.flags.trusted, mem, offsets::MEMORY_LEN);
            let oob = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, len);
            self.b.ins().trapnz(oob, TrapCode::HEAP_OUT_OF_BOUNDS);
            let addr = self.b.ins().iadd(base, ea);
            (addr, 0)
        }
    }

    fn load(&mut self, memarg: &MemArg, ty: Type, size: u64, ext: Option<(Type, bool)>) {
        let (addr, offset) = self.address(memarg, size);
        let flags = self.flags.heap;
        let v = match ext {
            None => self.b.ins().load(ty, flags, addr, offset),
            Some((narrow, signed)) => {
                let raw = self.b.ins().load(narrow, flags, addr, offset);
                if signed {
                    self.b.ins().sextend(ty, raw)
                } else {
                    self.b.ins().uextend(ty, raw)
                }
            }
        };
        self.stack.push(v);
    }

    fn store(&mut self, memarg: &MemArg, size: u64, narrow: Option<Type>) {
        let value = self.pop();
        let (addr, offset) = self.address(memarg, size);
        let value = match narrow {
            Some(t) => self.b.ins().ireduce(t, value),
            None => value,
        };
        let flags = self.flags.heap;
        self.b.ins().store(flags, value, addr, offset);
    }

    /// Calls builtin `f` with the context block first; returns its results.
    /// Its address comes from the context block's table of builtins.
    fn builtin(&mut self, f: Builtin, call_args: &[Value]) -> Vec<Value> {
        let sig = match self.builtin_sigs.get(&f) {
            Some(sig) => *sig,
            None => {
                let (params, returns) = f.signature();
                let mut sig = Signature::new(self.env.call_conv);
                sig.params.push(AbiParam::new(types::I64));
                sig.params.extend(params.iter().map(|p| AbiParam::new(*p)));
                sig.returns
                    .extend(returns.iter().map(|r| AbiParam::new(*r)));
                let sig = self.b.import_signature(sig);
                self.builtin_sigs.insert(f, sig);
                sig
            }
        };
        let ro = self.flags.trusted_ro;
        let table = self
            .b
            .ins()
            .load(types::I64, ro, self.vmctx, offsets::BUILTINS);
        let offset = (f as usize * std::mem::size_of::<usize>()) as i32;
        let callee = self.b.ins().load(types::I64, ro, table, offset);
        let mut all = vec![self.vmctx];
        all.extend_from_slice(call_args);
        let call = self.b.ins().call_indirect(sig, callee, &all);
        self.b.inst_results(call).to_vec()
    }

    /// A builtin that returns a trap status: traps with the pending trap on 1.
    fn checked_builtin(&mut self, f: Builtin, call_args: &[Value]) {
        let status = self.builtin(f, call_args)[0];
        self.b.ins().trapnz(status, TRAP_PENDING);
    }

    /// A trapping builtin whose last parameter is the `out` slot its value of
    /// type `ty` comes back in; pushes that value.
    fn builtin_value(&mut self, f: Builtin, call_args: &[Value], ty: Type) {
        let (slot, addr) = self.spill(&[], 1);
        let mut all = call_args.to_vec();
        all.push(addr);
        self.checked_builtin(f, &all);
        self.reload(slot, &[ty]);
    }

    /// An `i32` constant.
    fn u32_const(&mut self, v: u32) -> Value {
        self.b.ins().iconst(types::I32, v as i64)
    }

    /// Spills `values` to a stack slot of `slots` 8-byte slots; returns its address.
    fn spill(&mut self, values: &[Value], slots: usize) -> (ir::StackSlot, Value) {
        let slot = self.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            (slots.max(1) * 8) as u32,
            3,
        ));
        for (i, v) in values.iter().enumerate() {
            self.b
                .ins()
                .stack_store(types::I64, *v, slot, (i * 8) as i32);
        }
        let addr = self.b.ins().stack_addr(types::I64, slot, 0);
        (slot, addr)
    }

    fn reload(&mut self, slot: ir::StackSlot, tys: &[Type]) {
        for (i, t) in tys.iter().enumerate() {
            let v = self
                .b
                .ins()
                .stack_load(types::I64, *t, slot, (i * 8) as i32);
            self.stack.push(v);
        }
    }

    fn bool_to_i32(&mut self, c: Value) -> Value {
        self.b.ins().uextend(types::I32, c)
    }

    fn icmp(&mut self, cc: IntCC) {
        let (a, b) = self.pop2();
        let c = self.b.ins().icmp(cc, a, b);
        let v = self.bool_to_i32(c);
        self.stack.push(v);
    }

    fn fcmp(&mut self, cc: FloatCC) {
        let (a, b) = self.pop2();
        let c = self.b.ins().fcmp(cc, a, b);
        let v = self.bool_to_i32(c);
        self.stack.push(v);
    }

    fn end_unreachable_tail(&mut self) {
        self.unreachable = true;
    }

    fn op(&mut self, op: Operator<'_>) -> Result<(), Error> {
        use Operator as O;
        if self.unreachable {
            match op {
                O::Block { .. } | O::Loop { .. } | O::If { .. } => self.dead_depth += 1,
                O::Else if self.dead_depth == 0 => self.else_(),
                O::End if self.dead_depth > 0 => self.dead_depth -= 1,
                O::End => self.end()?,
                _ => {}
            }
            return Ok(());
        }
        macro_rules! bin {
            ($method:ident) => {{
                let (a, b) = self.pop2();
                let v = self.b.ins().$method(a, b);
                self.stack.push(v);
            }};
        }
        macro_rules! un {
            ($method:ident) => {{
                let a = self.pop();
                let v = self.b.ins().$method(a);
                self.stack.push(v);
            }};
        }
        macro_rules! conv {
            ($method:ident, $ty:expr) => {{
                let a = self.pop();
                let v = self.b.ins().$method($ty, a);
                self.stack.push(v);
            }};
        }
        macro_rules! sext_from {
            ($narrow:expr, $wide:expr) => {{
                let a = self.pop();
                let n = self.b.ins().ireduce($narrow, a);
                let v = self.b.ins().sextend($wide, n);
                self.stack.push(v);
            }};
        }
        match op {
            O::Unreachable => {
                self.b.ins().trap(TRAP_UNREACHABLE);
                self.end_unreachable_tail();
            }
            O::Nop => {}
            O::Block { blockty } => {
                let (params, results) = self.block_types(blockty)?;
                let dest = self.new_block_with(&results);
                let height = self.stack.len() - params.len();
                self.frames.push(Frame {
                    kind: Kind::Block,
                    dest,
                    header: None,
                    else_block: None,
                    params,
                    results,
                    height,
                    dest_reached: false,
                });
            }
            O::Loop { blockty } => {
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
                    kind: Kind::Loop,
                    dest,
                    header: Some(header),
                    else_block: None,
                    params,
                    results,
                    height,
                    dest_reached: false,
                });
            }
            O::If { blockty } => {
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
                    kind: Kind::If,
                    dest,
                    header: None,
                    else_block: Some(else_block),
                    params,
                    results,
                    height,
                    dest_reached: false,
                });
            }
            O::Else => self.else_(),
            O::End => self.end()?,
            O::Br { relative_depth } => {
                self.jump_to_label(relative_depth);
                self.end_unreachable_tail();
            }
            O::BrIf { relative_depth } => {
                let cond = self.pop();
                let (target, n) = self.label(relative_depth);
                let vals = self.top_n(n);
                let next = self.b.create_block();
                self.b.ins().brif(cond, target, &args(&vals), next, &[]);
                self.b.seal_block(next);
                self.b.switch_to_block(next);
            }
            O::BrTable { targets } => {
                let index = self.pop();
                let mut depths: Vec<u32> = targets
                    .targets()
                    .collect::<Result<_, _>>()
                    .map_err(Error::from)?;
                let default = targets.default();
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
            O::Return => {
                self.jump_to_label((self.frames.len() - 1) as u32);
                self.end_unreachable_tail();
            }
            O::Call { function_index } => self.call(function_index)?,
            O::CallIndirect {
                type_index,
                table_index,
            } => {
                let ty = self.env.module.types[type_index as usize].clone();
                let elem = self.pop();
                let n = ty.params().len();
                let params = self.top_n(n);
                self.stack.truncate(self.stack.len() - n);
                let (slot, addr) = self.spill(&params, n.max(ty.results().len()));
                let t = self.u32_const(table_index);
                let tyi = self.u32_const(type_index);
                self.checked_builtin(Builtin::CallIndirect, &[t, tyi, elem, addr]);
                let rtys: Vec<Type> = ty
                    .results()
                    .iter()
                    .map(|r| cl_type(*r))
                    .collect::<Result<_, _>>()?;
                self.reload(slot, &rtys);
            }
            O::Drop => {
                self.pop();
            }
            O::Select | O::TypedSelect { .. } | O::TypedSelectMulti { .. } => {
                let c = self.pop();
                let (a, b) = self.pop2();
                let v = self.b.ins().select(c, a, b);
                self.stack.push(v);
            }
            O::LocalGet { local_index } => {
                let v = self.b.use_var(self.locals[local_index as usize]);
                self.stack.push(v);
            }
            O::LocalSet { local_index } => {
                let v = self.pop();
                self.b.def_var(self.locals[local_index as usize], v);
            }
            O::LocalTee { local_index } => {
                let v = *self.stack.last().expect("validated stack");
                self.b.def_var(self.locals[local_index as usize], v);
            }
            O::GlobalGet { global_index } => {
                let ty = cl_type(self.env.module.globals[global_index as usize].content)?;
                let ptr = self.global_ptr(global_index);
                let v = self.b.ins().load(ty, self.flags.trusted, ptr, 0);
                self.stack.push(v);
            }
            O::GlobalSet { global_index } => {
                let v = self.pop();
                let ptr = self.global_ptr(global_index);
                self.b.ins().store(self.flags.trusted, v, ptr, 0);
            }
            O::I32Load { memarg } => self.load(&memarg, types::I32, 4, None),
            O::I64Load { memarg } => self.load(&memarg, types::I64, 8, None),
            O::F32Load { memarg } => self.load(&memarg, types::F32, 4, None),
            O::F64Load { memarg } => self.load(&memarg, types::F64, 8, None),
            O::I32Load8S { memarg } => self.load(&memarg, types::I32, 1, Some((types::I8, true))),
            O::I32Load8U { memarg } => self.load(&memarg, types::I32, 1, Some((types::I8, false))),
            O::I32Load16S { memarg } => self.load(&memarg, types::I32, 2, Some((types::I16, true))),
            O::I32Load16U { memarg } => {
                self.load(&memarg, types::I32, 2, Some((types::I16, false)))
            }
            O::I64Load8S { memarg } => self.load(&memarg, types::I64, 1, Some((types::I8, true))),
            O::I64Load8U { memarg } => self.load(&memarg, types::I64, 1, Some((types::I8, false))),
            O::I64Load16S { memarg } => self.load(&memarg, types::I64, 2, Some((types::I16, true))),
            O::I64Load16U { memarg } => {
                self.load(&memarg, types::I64, 2, Some((types::I16, false)))
            }
            O::I64Load32S { memarg } => self.load(&memarg, types::I64, 4, Some((types::I32, true))),
            O::I64Load32U { memarg } => {
                self.load(&memarg, types::I64, 4, Some((types::I32, false)))
            }
            O::I32Store { memarg } | O::F32Store { memarg } => self.store(&memarg, 4, None),
            O::I64Store { memarg } | O::F64Store { memarg } => self.store(&memarg, 8, None),
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => {
                self.store(&memarg, 1, Some(types::I8))
            }
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => {
                self.store(&memarg, 2, Some(types::I16))
            }
            O::I64Store32 { memarg } => self.store(&memarg, 4, Some(types::I32)),
            O::MemorySize { .. } => {
                let mem =
                    self.b
                        .ins()
                        .load(types::I64, self.flags.trusted, self.vmctx, offsets::MEMORY);
                let len =
                    self.b
                        .ins()
                        .load(types::I64, self.flags.trusted, mem, offsets::MEMORY_LEN);
                let pages = self.b.ins().ushr_imm_u(len, 16);
                let v = self.b.ins().ireduce(types::I32, pages);
                self.stack.push(v);
            }
            O::MemoryGrow { .. } => {
                let delta = self.pop();
                let mem = self.u32_const(0);
                self.builtin_value(Builtin::MemoryGrow, &[mem, delta], types::I32);
            }
            O::MemoryInit { data_index, .. } => {
                let n = self.pop();
                let (d, s) = self.pop2();
                let mem = self.u32_const(0);
                let data = self.u32_const(data_index);
                self.checked_builtin(Builtin::MemoryInit, &[mem, data, d, s, n]);
            }
            O::DataDrop { data_index } => {
                let data = self.u32_const(data_index);
                self.builtin(Builtin::DataDrop, &[data]);
            }
            O::MemoryCopy { .. } => {
                let n = self.pop();
                let (d, s) = self.pop2();
                let mem = self.u32_const(0);
                self.checked_builtin(Builtin::MemoryCopy, &[mem, mem, d, s, n]);
            }
            O::MemoryFill { .. } => {
                let n = self.pop();
                let (d, v) = self.pop2();
                let mem = self.u32_const(0);
                self.checked_builtin(Builtin::MemoryFill, &[mem, d, v, n]);
            }
            O::TableInit { elem_index, table } => {
                let n = self.pop();
                let (d, s) = self.pop2();
                let t = self.u32_const(table);
                let e = self.u32_const(elem_index);
                self.checked_builtin(Builtin::TableInit, &[t, e, d, s, n]);
            }
            O::ElemDrop { elem_index } => {
                let e = self.u32_const(elem_index);
                self.builtin(Builtin::ElemDrop, &[e]);
            }
            O::TableCopy {
                dst_table,
                src_table,
            } => {
                let n = self.pop();
                let (d, s) = self.pop2();
                let dt = self.u32_const(dst_table);
                let st = self.u32_const(src_table);
                self.checked_builtin(Builtin::TableCopy, &[dt, st, d, s, n]);
            }
            O::TableGet { table } => {
                let i = self.pop();
                let t = self.u32_const(table);
                self.builtin_value(Builtin::TableGet, &[t, i], types::I64);
            }
            O::TableSet { table } => {
                let v = self.pop();
                let i = self.pop();
                let t = self.u32_const(table);
                self.checked_builtin(Builtin::TableSet, &[t, i, v]);
            }
            O::TableSize { table } => {
                let t = self.u32_const(table);
                let r = self.builtin(Builtin::TableSize, &[t]);
                self.stack.push(r[0]);
            }
            O::TableGrow { table } => {
                let n = self.pop();
                let init = self.pop();
                let t = self.u32_const(table);
                self.builtin_value(Builtin::TableGrow, &[t, init, n], types::I32);
            }
            O::TableFill { table } => {
                let n = self.pop();
                let v = self.pop();
                let i = self.pop();
                let t = self.u32_const(table);
                self.checked_builtin(Builtin::TableFill, &[t, i, v, n]);
            }
            O::RefNull { .. } => {
                let v = self.b.ins().iconst(types::I64, 0);
                self.stack.push(v);
            }
            O::RefIsNull => {
                let a = self.pop();
                let c = self.b.ins().icmp_imm_u(IntCC::Equal, a, 0);
                let v = self.bool_to_i32(c);
                self.stack.push(v);
            }
            O::RefFunc { function_index } => {
                let f = self.u32_const(function_index);
                let r = self.builtin(Builtin::RefFunc, &[f]);
                self.stack.push(r[0]);
            }
            O::I32Const { value } => {
                let v = self.b.ins().iconst(types::I32, value as i64);
                self.stack.push(v);
            }
            O::I64Const { value } => {
                let v = self.b.ins().iconst(types::I64, value);
                self.stack.push(v);
            }
            O::F32Const { value } => {
                let v = self
                    .b
                    .ins()
                    .f32const(ir::immediates::Ieee32::with_bits(value.bits()));
                self.stack.push(v);
            }
            O::F64Const { value } => {
                let v = self
                    .b
                    .ins()
                    .f64const(ir::immediates::Ieee64::with_bits(value.bits()));
                self.stack.push(v);
            }
            O::I32Eqz | O::I64Eqz => {
                let a = self.pop();
                let c = self.b.ins().icmp_imm_u(IntCC::Equal, a, 0);
                let v = self.bool_to_i32(c);
                self.stack.push(v);
            }
            O::I32Eq | O::I64Eq => self.icmp(IntCC::Equal),
            O::I32Ne | O::I64Ne => self.icmp(IntCC::NotEqual),
            O::I32LtS | O::I64LtS => self.icmp(IntCC::SignedLessThan),
            O::I32LtU | O::I64LtU => self.icmp(IntCC::UnsignedLessThan),
            O::I32GtS | O::I64GtS => self.icmp(IntCC::SignedGreaterThan),
            O::I32GtU | O::I64GtU => self.icmp(IntCC::UnsignedGreaterThan),
            O::I32LeS | O::I64LeS => self.icmp(IntCC::SignedLessThanOrEqual),
            O::I32LeU | O::I64LeU => self.icmp(IntCC::UnsignedLessThanOrEqual),
            O::I32GeS | O::I64GeS => self.icmp(IntCC::SignedGreaterThanOrEqual),
            O::I32GeU | O::I64GeU => self.icmp(IntCC::UnsignedGreaterThanOrEqual),
            O::F32Eq | O::F64Eq => self.fcmp(FloatCC::Equal),
            O::F32Ne | O::F64Ne => self.fcmp(FloatCC::NotEqual),
            O::F32Lt | O::F64Lt => self.fcmp(FloatCC::LessThan),
            O::F32Gt | O::F64Gt => self.fcmp(FloatCC::GreaterThan),
            O::F32Le | O::F64Le => self.fcmp(FloatCC::LessThanOrEqual),
            O::F32Ge | O::F64Ge => self.fcmp(FloatCC::GreaterThanOrEqual),
            O::I32Clz | O::I64Clz => un!(clz),
            O::I32Ctz | O::I64Ctz => un!(ctz),
            O::I32Popcnt | O::I64Popcnt => un!(popcnt),
            O::I32Add | O::I64Add => bin!(iadd),
            O::I32Sub | O::I64Sub => bin!(isub),
            O::I32Mul | O::I64Mul => bin!(imul),
            O::I32DivS | O::I64DivS => bin!(sdiv),
            O::I32DivU | O::I64DivU => bin!(udiv),
            O::I32RemS | O::I64RemS => bin!(srem),
            O::I32RemU | O::I64RemU => bin!(urem),
            O::I32And | O::I64And => bin!(band),
            O::I32Or | O::I64Or => bin!(bor),
            O::I32Xor | O::I64Xor => bin!(bxor),
            O::I32Shl | O::I64Shl => bin!(ishl),
            O::I32ShrS | O::I64ShrS => bin!(sshr),
            O::I32ShrU | O::I64ShrU => bin!(ushr),
            O::I32Rotl | O::I64Rotl => bin!(rotl),
            O::I32Rotr | O::I64Rotr => bin!(rotr),
            O::F32Abs | O::F64Abs => un!(fabs),
            O::F32Neg | O::F64Neg => un!(fneg),
            O::F32Ceil | O::F64Ceil => un!(ceil),
            O::F32Floor | O::F64Floor => un!(floor),
            O::F32Trunc | O::F64Trunc => un!(trunc),
            O::F32Nearest | O::F64Nearest => un!(nearest),
            O::F32Sqrt | O::F64Sqrt => un!(sqrt),
            O::F32Add | O::F64Add => bin!(fadd),
            O::F32Sub | O::F64Sub => bin!(fsub),
            O::F32Mul | O::F64Mul => bin!(fmul),
            O::F32Div | O::F64Div => bin!(fdiv),
            O::F32Min | O::F64Min => bin!(fmin),
            O::F32Max | O::F64Max => bin!(fmax),
            O::F32Copysign | O::F64Copysign => bin!(fcopysign),
            O::I32WrapI64 => conv!(ireduce, types::I32),
            O::I64ExtendI32S => conv!(sextend, types::I64),
            O::I64ExtendI32U => conv!(uextend, types::I64),
            O::I32TruncF32S | O::I32TruncF64S => conv!(fcvt_to_sint, types::I32),
            O::I32TruncF32U | O::I32TruncF64U => conv!(fcvt_to_uint, types::I32),
            O::I64TruncF32S | O::I64TruncF64S => conv!(fcvt_to_sint, types::I64),
            O::I64TruncF32U | O::I64TruncF64U => conv!(fcvt_to_uint, types::I64),
            O::I32TruncSatF32S | O::I32TruncSatF64S => conv!(fcvt_to_sint_sat, types::I32),
            O::I32TruncSatF32U | O::I32TruncSatF64U => conv!(fcvt_to_uint_sat, types::I32),
            O::I64TruncSatF32S | O::I64TruncSatF64S => conv!(fcvt_to_sint_sat, types::I64),
            O::I64TruncSatF32U | O::I64TruncSatF64U => conv!(fcvt_to_uint_sat, types::I64),
            O::F32ConvertI32S | O::F32ConvertI64S => conv!(fcvt_from_sint, types::F32),
            O::F32ConvertI32U | O::F32ConvertI64U => conv!(fcvt_from_uint, types::F32),
            O::F64ConvertI32S | O::F64ConvertI64S => conv!(fcvt_from_sint, types::F64),
            O::F64ConvertI32U | O::F64ConvertI64U => conv!(fcvt_from_uint, types::F64),
            O::F32DemoteF64 => conv!(fdemote, types::F32),
            O::F64PromoteF32 => conv!(fpromote, types::F64),
            O::I32ReinterpretF32 => self.bitcast(types::I32),
            O::I64ReinterpretF64 => self.bitcast(types::I64),
            O::F32ReinterpretI32 => self.bitcast(types::F32),
            O::F64ReinterpretI64 => self.bitcast(types::F64),
            O::I32Extend8S => sext_from!(types::I8, types::I32),
            O::I32Extend16S => sext_from!(types::I16, types::I32),
            O::I64Extend8S => sext_from!(types::I8, types::I64),
            O::I64Extend16S => sext_from!(types::I16, types::I64),
            O::I64Extend32S => sext_from!(types::I32, types::I64),
            _ => return Err(unsupported("SIMD")),
        }
        Ok(())
    }

    fn bitcast(&mut self, to: Type) {
        let a = self.pop();
        let v = self.b.ins().bitcast(to, self.flags.plain, a);
        self.stack.push(v);
    }

    fn global_ptr(&mut self, index: u32) -> Value {
        let table = self.b.ins().load(
            types::I64,
            self.flags.trusted_ro,
            self.vmctx,
            offsets::GLOBALS,
        );
        self.b
            .ins()
            .load(types::I64, self.flags.trusted_ro, table, (index * 8) as i32)
    }

    fn call(&mut self, index: u32) -> Result<(), Error> {
        let m = self.env.module;
        let ty = m.func_type(index).clone();
        let n = ty.params().len();
        let params = self.top_n(n);
        self.stack.truncate(self.stack.len() - n);
        if index >= m.num_imported_funcs {
            let d = index - m.num_imported_funcs;
            let f = match self.callees.get(&d) {
                Some(f) => *f,
                None => {
                    let f = declare_callee(
                        self.b.func,
                        self.env.func_ids[d as usize],
                        &self.env.sigs[d as usize],
                    );
                    self.callees.insert(d, f);
                    f
                }
            };
            let mut all = vec![self.vmctx];
            all.extend(params);
            let call = self.b.ins().call(f, &all);
            let results = self.b.inst_results(call).to_vec();
            self.stack.extend(results);
        } else {
            let (slot, addr) = self.spill(&params, n.max(ty.results().len()));
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

    fn else_(&mut self) {
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

    fn end(&mut self) -> Result<(), Error> {
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
                let vals = self.stack.clone();
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

fn convert(t: wasmparser::ValType) -> Result<ValType, Error> {
    Ok(match t {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::V128 => ValType::V128,
        wasmparser::ValType::Ref(r) if r.is_func_ref() => ValType::FUNCREF,
        wasmparser::ValType::Ref(_) => ValType::EXTERNREF,
    })
}
