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
use crate::compile::CodeId;
use crate::traps::{TRAP_INTERRUPTED, TRAP_OUT_OF_FUEL, TRAP_PENDING};
use crate::vmctx::offsets;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    self, AbiParam, Block, BlockArg, FuncRef, InstBuilder, MemFlagsData, Signature, StackSlotData,
    StackSlotKind, TrapCode, Type, Value, types,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, Variable};
use skiff_vm::Error;
use skiff_vm::isa::{self, BlockType, Control, FrameKind as Kind, MemArg};
use skiff_vm::module::Module;
use skiff_vm::runtime::{MemoryConfig, Metering};
use skiff_vm::types::{FuncType, ValType};
use std::collections::HashMap;

mod control;
mod exceptions;
mod memory;
mod numeric;
mod parametric;
mod reference;
mod table;
mod variable;
mod vector;

/// The Cranelift type of a value type (references are 64-bit raw refs).
pub fn cl_type(t: ValType) -> Result<Type, Error> {
    Ok(match t {
        ValType::I32 => types::I32,
        ValType::I64 => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        ValType::Ref(_) => types::I64,
        ValType::V128 => types::I8X16,
    })
}

/// The signature of a WebAssembly function in generated code: the context
/// block, then its parameters; its results. Code that meters fuel passes
/// the fuel left in a register both ways, as a parameter after the context
/// block and a result after the function's own, so that a call keeps the
/// count out of memory on its critical path.
pub fn wasm_signature(
    ty: &FuncType,
    call_conv: CallConv,
    metering: Metering,
) -> Result<Signature, Error> {
    let mut sig = Signature::new(call_conv);
    sig.params.push(AbiParam::new(types::I64));
    if metering.fuel {
        sig.params.push(AbiParam::new(types::I64));
    }
    for p in ty.params() {
        sig.params.push(AbiParam::new(cl_type(*p)?));
    }
    for r in ty.results() {
        sig.returns.push(AbiParam::new(cl_type(*r)?));
    }
    if metering.fuel {
        sig.returns.push(AbiParam::new(types::I64));
    }
    Ok(sig)
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
    /// For a `try_table` or legacy `try` whose body is open: its dispatch
    /// block, where a legacy `delegate` may send exceptions.
    handler: Option<Block>,
    /// For a legacy `try` and its catch blocks: the variable holding the
    /// caught exception, and the block where the next clause's check goes.
    legacy: Option<(Variable, Option<Block>)>,
}

impl Frame {
    /// A frame of `kind` continuing at `dest`, whose parameters start at
    /// stack height `height`; no loop header, `else` or handler yet.
    fn new(kind: Kind, dest: Block, params: Vec<Type>, results: Vec<Type>, height: usize) -> Frame {
        Frame {
            kind,
            dest,
            header: None,
            else_block: None,
            params,
            results,
            height,
            dest_reached: false,
            handler: None,
            legacy: None,
        }
    }
}

/// Everything the translator needs from the module being compiled.
pub struct Env<'m> {
    /// The module.
    pub module: &'m Module,
    /// Signatures of the defined functions (index = defined index).
    pub sigs: &'m [Signature],
    /// The platform's calling convention: builtins'.
    pub call_conv: CallConv,
    /// The calling convention of the module's WebAssembly functions.
    pub wasm_conv: CallConv,
    /// The memory configuration the code is compiled for: accesses its
    /// guard region does not catch are checked explicitly.
    pub memory: MemoryConfig,
    /// The fuel and epoch checks to compile.
    pub metering: Metering,
}

/// Imports function (or trampoline) `id` of the module being compiled into
/// `func`, colocated: called PC-relative, the call patched when the module's
/// code is laid out (module `layout`).
pub fn declare_callee(func: &mut ir::Function, id: CodeId, sig: &Signature) -> FuncRef {
    let signature = func.import_signature(sig.clone());
    let name = func.declare_imported_user_function(ir::UserExternalName {
        namespace: 0,
        index: id,
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
    // First in the layout, which makes it the function's entry, even if
    // another block got instructions before it did (cranelift-frontend
    // places a block when its first instruction is added).
    builder.ensure_inserted_block();
    let vmctx = builder.block_params(entry)[0];
    let first_param = if env.metering.fuel { 2 } else { 1 };

    // Locals: parameters first, then declared locals set to zero.
    let mut locals = Vec::new();
    for (i, p) in ty.params().iter().enumerate() {
        let var = builder.declare_var(cl_type(*p)?);
        let v = builder.block_params(entry)[i + first_param];
        builder.def_var(var, v);
        locals.push(var);
    }
    for &(n, t) in m.body_locals(body) {
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

    // Fuel lives in a variable (a register): it arrives as a parameter and
    // leaves as a result. It is written back to the store's copy before
    // whatever may trap or call out, so that the copy is exact then.
    let fuel = env.metering.fuel.then(|| {
        let var = builder.declare_var(types::I64);
        let left = builder.block_params(entry)[1];
        builder.def_var(var, left);
        var
    });

    let epoch_passes = env.metering.epochs.then(|| builder.declare_var(types::I32));

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
        frames: vec![Frame::new(Kind::Func, ret, Vec::new(), results.clone(), 0)],
        unreachable: false,
        flags,
        fuel,
        fuel_unsaved: false,
        epoch_passes,
        callees: HashMap::new(),
        builtin_sigs: HashMap::new(),
        call_buffer: None,
    };
    isa::translate_body(m, body, &mut t, env.metering)
}

fn zero(b: &mut FunctionBuilder<'_>, t: Type) -> Value {
    match t {
        types::F32 => b.ins().f32const(0.0),
        types::F64 => b.ins().f64const(0.0),
        types::I8X16 => {
            let c = b
                .func
                .dfg
                .constants
                .insert(ir::ConstantData::from([0u8; 16].as_slice()));
            b.ins().vconst(types::I8X16, c)
        }
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
    flags: Flags,
    /// The fuel left, when the code meters fuel.
    fuel: Option<Variable>,
    /// Whether the fuel left may differ from the store's copy here: since
    /// the last run's charge or call, nothing has written it back.
    fuel_unsaved: bool,
    /// With epochs on: the loop-header passes left before the next check.
    epoch_passes: Option<Variable>,
    /// Defined functions this body calls, declared in it on first use.
    callees: HashMap<u32, FuncRef>,
    /// Signatures of the builtins this body calls, imported on first use.
    builtin_sigs: HashMap<Builtin, ir::SigRef>,
    /// The buffer calls out of generated code pass values in (see
    /// [`Translator::spill`]), once one needs it.
    call_buffer: Option<ir::StackSlot>,
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
    /// The flag sets, with the two alias regions they need declared in the
    /// function `b` builds: linear memory, and the runtime's own objects
    /// (context block, store meter, globals) that no guest access reaches.
    /// Keeping them apart lets Cranelift keep a value loaded from one region
    /// across stores to the other.
    pub fn new(b: &mut FunctionBuilder<'_>) -> Flags {
        let mut region = |user_id, description: &'static str| {
            Some(b.func.dfg.alias_regions.insert(ir::AliasRegionData {
                user_id,
                description: description.into(),
            }))
        };
        let heap = region(0, "heap");
        let runtime = region(1, "runtime");
        let trusted = MemFlagsData::trusted().with_alias_region(runtime);
        Flags {
            trusted,
            // `can_move`: such a load may be hoisted out of loops and shared,
            // since the context block outlives the code and these fields never
            // change while it runs.
            trusted_ro: trusted.with_readonly().with_can_move(),
            heap: MemFlagsData::new()
                .with_endianness(ir::Endianness::Little)
                .with_alias_region(heap),
            plain: MemFlagsData::new(),
        }
    }
}

/// How many loop-header passes a frame of JIT code lets go by between two
/// epoch checks. A pass runs at most the function's straight-line code
/// (callees check at their entry), so an interruption still lands within a
/// bounded time, while a tight loop pays a decrement and a branch for it
/// instead of the four loads and a compare of a full check.
const EPOCH_CHECK_INTERVAL: u32 = 1000;

fn args(values: &[Value]) -> Vec<BlockArg> {
    values.iter().map(|v| BlockArg::Value(*v)).collect()
}

impl Translator<'_, '_, '_> {
    /// The store's fuel and epoch deadline.
    fn meter(&mut self) -> Value {
        let ro = self.flags.trusted_ro;
        self.b
            .ins()
            .load(types::I64, ro, self.vmctx, offsets::METER)
    }

    /// The fuel argument of a call to a defined function: none, or the
    /// fuel left.
    fn fuel_arg(&mut self) -> Option<Value> {
        self.fuel.map(|var| self.b.use_var(var))
    }

    /// After a call to a defined function: takes the fuel it returned (its
    /// last result) and hands back the others.
    fn take_fuel_result(&mut self, mut results: Vec<Value>) -> Vec<Value> {
        if let Some(var) = self.fuel {
            let left = results.pop().expect("the fuel result");
            self.b.def_var(var, left);
            self.fuel_unsaved = true;
        }
        results
    }

    /// Writes the fuel left back to the store's copy, when it may differ.
    fn save_fuel(&mut self) {
        if self.fuel_unsaved {
            self.store_fuel();
            self.fuel_unsaved = false;
        }
    }

    /// Writes the fuel left to the store's copy.
    fn store_fuel(&mut self) {
        if let Some(var) = self.fuel {
            let left = self.b.use_var(var);
            let meter = self.meter();
            self.b
                .ins()
                .store(self.flags.trusted, left, meter, offsets::METER_FUEL);
        }
    }

    /// Traps with `code` when `cond` is not zero, in a cold block that
    /// first writes the fuel left back to the store.
    fn trap_saving_fuel(&mut self, cond: Value, code: TrapCode) {
        let (cold, next) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(cold);
        self.b.ins().brif(cond, cold, &[], next, &[]);
        self.b.seal_block(cold);
        self.b.seal_block(next);
        self.b.switch_to_block(cold);
        self.store_fuel();
        self.b.ins().trap(code);
        self.b.switch_to_block(next);
    }

    /// After a call out of generated code (a builtin, an import), which may
    /// have spent fuel or set it: the store's count.
    fn reload_fuel(&mut self) {
        self.fuel_unsaved = false;
        if let Some(var) = self.fuel {
            let meter = self.meter();
            let left =
                self.b
                    .ins()
                    .load(types::I64, self.flags.trusted, meter, offsets::METER_FUEL);
            self.b.def_var(var, left);
        }
    }

    fn pop(&mut self) -> Value {
        self.stack.pop().expect("validated stack")
    }

    /// Pops an address, index or length (of a 32-bit or 64-bit memory or
    /// table) as the `u64` the builtins take.
    fn pop_u64(&mut self) -> Value {
        let v = self.pop();
        if self.b.func.dfg.value_type(v) == types::I64 {
            v
        } else {
            self.b.ins().uextend(types::I64, v)
        }
    }

    /// Whether memory `memory` has 64-bit addresses.
    fn memory64(&self, memory: u32) -> bool {
        self.env.module.memories[memory as usize].addr.is_64()
    }

    /// Whether table `table` has 64-bit indices.
    fn table64(&self, table: u32) -> bool {
        self.env.module.tables[table as usize].addr.is_64()
    }

    /// The Cranelift type of addresses, 64-bit or not.
    fn addr_type(&self, is_64: bool) -> Type {
        if is_64 { types::I64 } else { types::I32 }
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
            BlockType::Value(t) => (vec![], vec![cl_type(t)?]),
            BlockType::Func(i) => {
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

    /// Where memory `memory`'s base and length are (its `VMMemory`).
    fn vm_memory(&mut self, memory: u32) -> Value {
        let ro = self.flags.trusted_ro;
        if memory == 0 {
            return self
                .b
                .ins()
                .load(types::I64, ro, self.vmctx, offsets::MEMORY);
        }
        let all = self
            .b
            .ins()
            .load(types::I64, ro, self.vmctx, offsets::MEMORIES);
        let offset = (memory as usize * std::mem::size_of::<usize>()) as i32;
        self.b.ins().load(types::I64, ro, all, offset)
    }

    /// Memory `memory`'s base. It never changes, so the load is read-only and
    /// Cranelift may share it between accesses and hoist it out of loops.
    /// Memory 0's is a field of the context block; another's is one more
    /// load away.
    fn base(&mut self, memory: u32) -> Value {
        let ro = self.flags.trusted_ro;
        if memory == 0 {
            return self
                .b
                .ins()
                .load(types::I64, ro, self.vmctx, offsets::MEMORY_BASE);
        }
        let mem = self.vm_memory(memory);
        self.b
            .ins()
            .load(types::I64, ro, mem, offsets::MEMORY_BASE_OF)
    }

    /// Memory `memory`'s accessible length in bytes (it changes when the
    /// memory grows, through a call).
    fn memory_len(&mut self, memory: u32) -> Value {
        let mem = self.vm_memory(memory);
        self.b
            .ins()
            .load(types::I64, self.flags.trusted, mem, offsets::MEMORY_LEN)
    }

    /// The native address of a memory access of `size` bytes.
    fn address(&mut self, memarg: &MemArg, size: u64) -> (Value, i32) {
        if self.memory64(memarg.memory) {
            return self.address64(memarg, size);
        }
        let index = self.pop();
        let index = self.b.ins().uextend(types::I64, index);
        let base = self.base(memarg.memory);
        if self.env.memory.guard_covers(memarg.offset, size) {
            let addr = self.b.ins().iadd(base, index);
            (addr, memarg.offset as i32)
        } else {
            // Not caught by the guard region: check explicitly.
            let ea = self.b.ins().iadd_imm_u(index, memarg.offset as i64);
            let end = self.b.ins().iadd_imm_u(ea, size as i64);
            let len = self.memory_len(memarg.memory);
            let oob = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, len);
            self.b.ins().trapnz(oob, TrapCode::HEAP_OUT_OF_BOUNDS);
            let addr = self.b.ins().iadd(base, ea);
            (addr, 0)
        }
    }

    /// The native address of an access of `size` bytes to a 64-bit memory:
    /// no guard region covers 64-bit addresses, so it is checked, the sum
    /// of address, offset and size included (it may overflow).
    fn address64(&mut self, memarg: &MemArg, size: u64) -> (Value, i32) {
        let index = self.pop();
        let base = self.base(memarg.memory);
        let Some(reach) = memarg.offset.checked_add(size) else {
            // Past any address: the access always traps.
            let yes = self.b.ins().iconst(types::I8, 1);
            self.b.ins().trapnz(yes, TrapCode::HEAP_OUT_OF_BOUNDS);
            return (base, 0);
        };
        let reach = self.b.ins().iconst(types::I64, reach as i64);
        let end = self
            .b
            .ins()
            .uadd_overflow_trap(index, reach, TrapCode::HEAP_OUT_OF_BOUNDS);
        let len = self.memory_len(memarg.memory);
        let oob = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, len);
        self.b.ins().trapnz(oob, TrapCode::HEAP_OUT_OF_BOUNDS);
        let addr = self.b.ins().iadd(base, index);
        // In bounds, `offset` is below the memory's length, at most 4 GiB.
        match i32::try_from(memarg.offset) {
            Ok(offset) => (addr, offset),
            Err(_) => (self.b.ins().iadd_imm_u(addr, memarg.offset as i64), 0),
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
        self.save_fuel();
        let call = self.b.ins().call_indirect(sig, callee, &all);
        let results = self.b.inst_results(call).to_vec();
        self.reload_fuel();
        results
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

    /// Spills `values` to the function's buffer for calls out of generated
    /// code, of at least `slots` 8-byte slots, each value taking one (a
    /// vector two), as the runtime passes values; returns the buffer and its
    /// address. One buffer serves every such call of the function (each
    /// use stores, calls and loads before the next begins), so that a
    /// function with thousands of them keeps a small frame.
    fn spill(&mut self, values: &[Value], slots: usize) -> (ir::StackSlot, Value) {
        let size = (slots.max(1) * 8) as u32;
        let slot = match self.call_buffer {
            Some(slot) => {
                let data = &mut self.b.func.sized_stack_slots[slot];
                data.size = data.size.max(size);
                slot
            }
            None => {
                let slot = self.b.create_sized_stack_slot(StackSlotData::new(
                    StackSlotKind::ExplicitSlot,
                    size,
                    4,
                ));
                self.call_buffer = Some(slot);
                slot
            }
        };
        let mut offset = 0;
        for v in values {
            self.b.ins().stack_store(types::I64, *v, slot, offset);
            offset += self.b.func.dfg.value_type(*v).bytes().max(8) as i32;
        }
        let addr = self.b.ins().stack_addr(types::I64, slot, 0);
        (slot, addr)
    }

    /// Pushes values of `tys` loaded from a stack slot laid out as [`Self::spill`] lays it.
    fn reload(&mut self, slot: ir::StackSlot, tys: &[Type]) {
        let mut offset = 0;
        for t in tys {
            let v = self.b.ins().stack_load(types::I64, *t, slot, offset);
            offset += t.bytes().max(8) as i32;
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
}

impl isa::Translate for Translator<'_, '_, '_> {
    fn after_unreachable(&mut self, c: Control) -> Result<(), Error> {
        match c {
            Control::Else => self.else_(),
            Control::Catch(tag) => self.legacy_catch(Some(tag)),
            Control::CatchAll => self.legacy_catch(None),
            Control::Delegate(depth) => return self.delegate(depth),
            _ => return self.end(),
        }
        Ok(())
    }

    fn at(&mut self, offset: usize) -> bool {
        // The module offset of each instruction, for backtraces.
        self.b.set_srcloc(ir::SourceLoc::new(offset as u32));
        !self.unreachable
    }

    fn consume_fuel(&mut self, amount: u32, check: bool) {
        let var = self.fuel.expect("fuel is metered");
        let fuel = self.b.use_var(var);
        if check {
            let short = self
                .b
                .ins()
                .icmp_imm_s(IntCC::SignedLessThan, fuel, i64::from(amount));
            self.trap_saving_fuel(short, TRAP_OUT_OF_FUEL);
        }
        let left = self.b.ins().iadd_imm_s(fuel, -i64::from(amount));
        self.b.def_var(var, left);
        self.fuel_unsaved = true;
    }

    fn before_trap(&mut self) {
        self.save_fuel();
    }

    fn check_epoch(&mut self, loop_header: bool) {
        let passes = self.epoch_passes.expect("epochs are checked");
        if !loop_header {
            self.epoch_check_now();
            let n = self.u32_const(EPOCH_CHECK_INTERVAL);
            self.b.def_var(passes, n);
            return;
        }
        // Count the pass down; the check, and a fresh count, only when
        // the count runs out.
        let left = self.b.use_var(passes);
        let left = self.b.ins().iadd_imm_s(left, -1);
        self.b.def_var(passes, left);
        let (cold, next) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(cold);
        self.b.ins().brif(left, next, &[], cold, &[]);
        self.b.seal_block(cold);
        self.b.switch_to_block(cold);
        self.epoch_check_now();
        let rest = self.b.current_block().expect("in a block");
        self.b.set_cold_block(rest);
        let n = self.u32_const(EPOCH_CHECK_INTERVAL);
        self.b.def_var(passes, n);
        self.b.ins().jump(next, &[]);
        self.b.seal_block(next);
        self.b.switch_to_block(next);
    }
}

impl Translator<'_, '_, '_> {
    /// Traps with `Interrupted` when the engine's epoch has reached the
    /// store's deadline.
    fn epoch_check_now(&mut self) {
        // Loads made here, not hoisted and shared as `trusted_ro` ones may
        // be: kept for later checks, the pointers would hold registers
        // through the whole function.
        let pinned = self.flags.trusted.with_readonly();
        let counter = self
            .b
            .ins()
            .load(types::I64, pinned, self.vmctx, offsets::EPOCH);
        let now = self
            .b
            .ins()
            .atomic_load(types::I64, self.flags.trusted, counter);
        let meter = self
            .b
            .ins()
            .load(types::I64, pinned, self.vmctx, offsets::METER);
        let deadline = self.b.ins().load(
            types::I64,
            self.flags.trusted,
            meter,
            offsets::METER_DEADLINE,
        );
        let over = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, now, deadline);
        if self.fuel.is_some() {
            self.trap_saving_fuel(over, TRAP_INTERRUPTED);
        } else {
            self.b.ins().trapnz(over, TRAP_INTERRUPTED);
        }
    }
}
