//! The interpreter's execution loop.
//!
//! Locals and operands of every active frame live in one stack of 64-bit
//! slots; a frame's locals start at `fp`, its operands follow. WebAssembly
//! calls push a [`CallFrame`] and continue in the same loop, so guest recursion
//! never grows the host's stack; it ends with a stack-exhausted trap when the
//! store's call depth limit is reached.

use crate::code::{FuncCode, Op};
use crate::float;
use crate::module::InterpModule;
use skiff_vm::runtime::{
    Caller, FuncKind, InstanceId, RawRef, Store, Trap, TrapKind, Value, check_results,
};
use std::sync::Arc;

/// The most value-stack slots one call may use (1 GiB).
const MAX_SLOTS: usize = 128 << 20;

/// A caller's state, saved while its callee runs.
struct CallFrame {
    func: u32,
    pc: u32,
    fp: u32,
    instance: InstanceId,
    /// The caller's module when the callee is in another instance.
    module: Option<Arc<InterpModule>>,
}

/// What the inner loop hands to the outer one.
enum Transfer {
    /// Call the store function with this address.
    Call(u32),
    /// The current function returned.
    Return,
}

#[inline(always)]
fn i32_(x: u64) -> i32 {
    x as u32 as i32
}
#[inline(always)]
fn u32_(x: u64) -> u32 {
    x as u32
}
#[inline(always)]
fn i64_(x: u64) -> i64 {
    x as i64
}
#[inline(always)]
fn u64_(x: u64) -> u64 {
    x
}
#[inline(always)]
fn f32_(x: u64) -> f32 {
    f32::from_bits(x as u32)
}
#[inline(always)]
fn f64_(x: u64) -> f64 {
    f64::from_bits(x)
}
#[inline(always)]
fn from_i32(v: i32) -> u64 {
    v as u32 as u64
}
#[inline(always)]
fn from_u32(v: u32) -> u64 {
    v as u64
}
#[inline(always)]
fn from_i64(v: i64) -> u64 {
    v as u64
}
#[inline(always)]
fn from_u64(v: u64) -> u64 {
    v
}
#[inline(always)]
fn from_f32(v: f32) -> u64 {
    v.to_bits() as u64
}
#[inline(always)]
fn from_f64(v: f64) -> u64 {
    v.to_bits()
}
#[inline(always)]
fn from_bool(v: bool) -> u64 {
    v as u64
}

/// The index in the store of instance `inst`'s first memory, or `usize::MAX`.
fn memory_of(store: &Store, inst: InstanceId) -> usize {
    store.instances[inst.0 as usize]
        .memories
        .first()
        .map_or(usize::MAX, |m| m.0 as usize)
}

/// Runs defined function `func` (an index among the module's defined functions)
/// of `instance`, whose code is `module`, with `args`.
pub(crate) fn invoke(
    store: &mut Store,
    module: Arc<InterpModule>,
    instance: InstanceId,
    func: u32,
    args: &[Value],
    results: &mut Vec<Value>,
) -> Result<(), Trap> {
    let mut stack: Vec<u64> = Vec::with_capacity(256);
    stack.extend(args.iter().map(Value::to_raw));
    let mem = memory_of(store, instance);
    let mut m = Machine {
        stack,
        frames: Vec::new(),
        cur: module,
        inst: instance,
        func,
        pc: 0,
        fp: 0,
        sp: args.len(),
        mem,
    };
    let depth_limit = store.max_call_depth as usize;
    m.enter(depth_limit)?;
    m.run(store, depth_limit)?;
    // The outermost function returned: its results are at the stack's bottom.
    let module = &m.cur.module;
    let ty = module.func_type(module.num_imported_funcs + m.func);
    results.extend(
        ty.results()
            .iter()
            .enumerate()
            .map(|(i, t)| Value::from_raw(*t, m.stack[i])),
    );
    Ok(())
}

/// The state of one invocation.
struct Machine {
    stack: Vec<u64>,
    frames: Vec<CallFrame>,
    cur: Arc<InterpModule>,
    inst: InstanceId,
    /// The running function, among the defined functions of `cur`.
    func: u32,
    pc: usize,
    fp: usize,
    sp: usize,
    /// Store index of the running instance's memory 0.
    mem: usize,
}

impl Machine {
    /// Sets up the frame of `self.func`, whose arguments are the top of the stack.
    fn enter(&mut self, depth_limit: usize) -> Result<(), Trap> {
        if self.frames.len() >= depth_limit {
            return Err(self.trap(TrapKind::StackExhausted));
        }
        let code = &self.cur.funcs[self.func as usize];
        let fp = self.sp - code.params as usize;
        let locals_end = fp + code.locals as usize;
        let need = locals_end + code.max_stack as usize + 1;
        if need > self.stack.len() {
            if need > MAX_SLOTS {
                return Err(self.trap(TrapKind::StackExhausted));
            }
            self.stack.resize(need.max(self.stack.len() * 2), 0);
        }
        self.stack[self.sp..locals_end].fill(0);
        self.fp = fp;
        self.sp = locals_end;
        self.pc = 0;
        Ok(())
    }

    /// A trap at the current position, with the backtrace of active frames.
    fn trap(&self, kind: TrapKind) -> Trap {
        let mut trap = Trap::new(kind);
        let mut push = |module: &InterpModule, func: u32, pc: usize| {
            let m = &module.module;
            let index = m.num_imported_funcs + func;
            let code = &module.funcs[func as usize];
            trap.push_frame(skiff_vm::runtime::Frame {
                func: index,
                name: m.func_name(index).map(str::to_string),
                offset: code.offsets.get(pc.saturating_sub(1)).map(|o| *o as usize),
            });
        };
        push(&self.cur, self.func, self.pc);
        let mut module = self.cur.clone();
        for frame in self.frames.iter().rev() {
            if let Some(m) = &frame.module {
                module = m.clone();
            }
            push(&module, frame.func, frame.pc as usize);
        }
        trap
    }

    /// Calls the store's function `addr` from the current frame.
    fn call(&mut self, store: &mut Store, addr: u32, depth_limit: usize) -> Result<(), Trap> {
        let entity = &store.funcs[addr as usize];
        match &entity.kind {
            FuncKind::Wasm { instance, index } => {
                let (instance, index) = (*instance, *index);
                let code = store.instances[instance.0 as usize].code.clone();
                match code.into_any().downcast::<InterpModule>() {
                    Ok(callee) => {
                        let switching = instance != self.inst;
                        let defined = index - callee.module.num_imported_funcs;
                        self.frames.push(CallFrame {
                            func: self.func,
                            pc: self.pc as u32,
                            fp: self.fp as u32,
                            instance: self.inst,
                            module: switching.then(|| std::mem::replace(&mut self.cur, callee)),
                        });
                        if switching {
                            self.inst = instance;
                            self.mem = memory_of(store, instance);
                        }
                        self.func = defined;
                        self.enter(depth_limit)
                    }
                    Err(other) => {
                        // Code of another tier: call it through the store.
                        let _ = other;
                        let ty = entity.ty.clone();
                        let args = self.pop_args(&ty);
                        let mut results = Vec::with_capacity(ty.results().len());
                        let code = store.instances[instance.0 as usize].code.clone();
                        code.call(store, instance, index, &args, &mut results)?;
                        self.push_results(&results);
                        Ok(())
                    }
                }
            }
            FuncKind::Host(h) => {
                let h = h.clone();
                let ty = entity.ty.clone();
                let args = self.pop_args(&ty);
                let mut results = Vec::with_capacity(ty.results().len());
                let mut caller = Caller {
                    store,
                    instance: Some(self.inst),
                };
                h(&mut caller, &args, &mut results).map_err(|mut t| {
                    if t.backtrace().is_empty() {
                        for f in self.trap(t.kind()).backtrace() {
                            t.push_frame(f.clone());
                        }
                    }
                    t
                })?;
                check_results(&ty, &results)?;
                self.push_results(&results);
                Ok(())
            }
        }
    }

    fn pop_args(&mut self, ty: &skiff_vm::types::FuncType) -> Vec<Value> {
        let n = ty.params().len();
        let base = self.sp - n;
        let args = ty
            .params()
            .iter()
            .enumerate()
            .map(|(i, t)| Value::from_raw(*t, self.stack[base + i]))
            .collect();
        self.sp = base;
        args
    }

    fn push_results(&mut self, results: &[Value]) {
        let need = self.sp + results.len();
        if need > self.stack.len() {
            self.stack.resize(need, 0);
        }
        for r in results {
            self.stack[self.sp] = r.to_raw();
            self.sp += 1;
        }
    }

    /// Returns from the current function; `true` when it was the outermost.
    fn ret(&mut self, store: &Store) -> bool {
        let n = self.cur.funcs[self.func as usize].results as usize;
        let fp = self.fp;
        self.stack.copy_within(self.sp - n..self.sp, fp);
        self.sp = fp + n;
        match self.frames.pop() {
            None => {
                self.fp = 0;
                true
            }
            Some(frame) => {
                self.func = frame.func;
                self.pc = frame.pc as usize;
                self.fp = frame.fp as usize;
                if let Some(m) = frame.module {
                    self.cur = m;
                    self.inst = frame.instance;
                    self.mem = memory_of(store, frame.instance);
                }
                false
            }
        }
    }

    fn run(&mut self, store: &mut Store, depth_limit: usize) -> Result<(), Trap> {
        loop {
            let cur = self.cur.clone();
            let code = &cur.funcs[self.func as usize];
            let transfer = self.run_function(store, &cur, code)?;
            match transfer {
                Transfer::Call(addr) => self.call(store, addr, depth_limit)?,
                Transfer::Return => {
                    if self.ret(store) {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Runs the current function until it calls or returns.
    #[allow(clippy::too_many_lines)]
    fn run_function(
        &mut self,
        store: &mut Store,
        cur: &InterpModule,
        code: &FuncCode,
    ) -> Result<Transfer, Trap> {
        let ops = &code.ops[..];
        let mut pc = self.pc;
        let mut sp = self.sp;
        let fp = self.fp;
        let stack = &mut self.stack[..];
        let inst = self.inst;

        macro_rules! trap {
            ($kind:expr) => {{
                self.pc = pc;
                self.sp = sp;
                return Err(self.trap($kind));
            }};
        }
        macro_rules! pop {
            () => {{
                sp -= 1;
                stack[sp]
            }};
        }
        macro_rules! push {
            ($v:expr) => {{
                stack[sp] = $v;
                sp += 1;
            }};
        }
        macro_rules! unop {
            ($get:ident, $put:ident, $f:expr) => {{
                let a = $get(stack[sp - 1]);
                stack[sp - 1] = $put(($f)(a));
            }};
        }
        macro_rules! binop {
            ($get:ident, $put:ident, $f:expr) => {{
                let b = $get(stack[sp - 1]);
                sp -= 1;
                let a = $get(stack[sp - 1]);
                stack[sp - 1] = $put(($f)(a, b));
            }};
        }
        macro_rules! try_unop {
            ($get:ident, $put:ident, $f:expr) => {{
                let a = $get(stack[sp - 1]);
                match ($f)(a) {
                    Ok(v) => stack[sp - 1] = $put(v),
                    Err(kind) => trap!(kind),
                }
            }};
        }
        macro_rules! try_binop {
            ($get:ident, $put:ident, $f:expr) => {{
                let b = $get(stack[sp - 1]);
                let a = $get(stack[sp - 2]);
                match ($f)(a, b) {
                    Ok(v) => {
                        sp -= 1;
                        stack[sp - 1] = $put(v)
                    }
                    Err(kind) => trap!(kind),
                }
            }};
        }
        macro_rules! load {
            ($n:literal, $offset:expr, $conv:expr) => {{
                let addr = stack[sp - 1] as u32;
                match store.memories[self.mem].load::<$n>(addr, $offset) {
                    Some(b) => stack[sp - 1] = ($conv)(b),
                    None => trap!(TrapKind::MemoryOutOfBounds),
                }
            }};
        }
        macro_rules! store_ {
            ($offset:expr, $bytes:expr) => {{
                let v = stack[sp - 1];
                let addr = stack[sp - 2] as u32;
                sp -= 2;
                if store.memories[self.mem]
                    .store(addr, $offset, ($bytes)(v))
                    .is_none()
                {
                    trap!(TrapKind::MemoryOutOfBounds);
                }
            }};
        }
        macro_rules! branch {
            ($to:expr) => {{
                let to = $to;
                let dst = fp + to.height as usize;
                let keep = to.keep as usize;
                stack.copy_within(sp - keep..sp, dst);
                sp = dst + keep;
                pc = to.target as usize;
            }};
        }

        loop {
            let op = ops[pc];
            pc += 1;
            match op {
                Op::Unreachable => trap!(TrapKind::Unreachable),
                Op::Jump { target } => pc = target as usize,
                Op::Br { to } => branch!(to),
                Op::BrIf { to } => {
                    if pop!() as u32 != 0 {
                        branch!(to);
                    }
                }
                Op::JumpIfZero { target } => {
                    if pop!() as u32 == 0 {
                        pc = target as usize;
                    }
                }
                Op::BrTable { start, len } => {
                    let i = (pop!() as u32).min(len - 1);
                    branch!(code.branch_tables[(start + i) as usize]);
                }
                Op::Return => {
                    self.sp = sp;
                    self.pc = pc;
                    return Ok(Transfer::Return);
                }
                Op::Call { func } => {
                    let addr = store.instances[inst.0 as usize].funcs[func as usize].0;
                    self.sp = sp;
                    self.pc = pc;
                    return Ok(Transfer::Call(addr));
                }
                Op::CallIndirect { ty, table } => {
                    let i = pop!() as u32;
                    let instance = &store.instances[inst.0 as usize];
                    let table = &store.tables[instance.tables[table as usize].0 as usize];
                    let Some(&r) = table.elements.get(i as usize) else {
                        trap!(TrapKind::UndefinedElement)
                    };
                    if r == 0 {
                        trap!(TrapKind::UninitializedElement);
                    }
                    let addr = (r - 1) as u32;
                    if store.funcs[addr as usize].ty != cur.module.types[ty as usize] {
                        trap!(TrapKind::IndirectCallTypeMismatch);
                    }
                    self.sp = sp;
                    self.pc = pc;
                    return Ok(Transfer::Call(addr));
                }
                Op::Drop => sp -= 1,
                Op::Select => {
                    let c = pop!() as u32;
                    let b = pop!();
                    if c == 0 {
                        stack[sp - 1] = b;
                    }
                }
                Op::LocalGet { index } => push!(stack[fp + index as usize]),
                Op::LocalSet { index } => {
                    let v = pop!();
                    stack[fp + index as usize] = v;
                }
                Op::LocalTee { index } => stack[fp + index as usize] = stack[sp - 1],
                Op::GlobalGet { index } => {
                    let g = store.instances[inst.0 as usize].globals[index as usize];
                    push!(store.globals[g.0 as usize].value)
                }
                Op::GlobalSet { index } => {
                    let g = store.instances[inst.0 as usize].globals[index as usize];
                    store.globals[g.0 as usize].value = pop!();
                }
                Op::Const { bits } => push!(bits),

                Op::I32Load { offset } => load!(4, offset, |b| u32::from_le_bytes(b) as u64),
                Op::I64Load { offset } => load!(8, offset, u64::from_le_bytes),
                Op::F32Load { offset } => load!(4, offset, |b| u32::from_le_bytes(b) as u64),
                Op::F64Load { offset } => load!(8, offset, u64::from_le_bytes),
                Op::I32Load8S { offset } => {
                    load!(1, offset, |b: [u8; 1]| b[0] as i8 as i32 as u32 as u64)
                }
                Op::I32Load8U { offset } => load!(1, offset, |b: [u8; 1]| b[0] as u64),
                Op::I32Load16S { offset } => {
                    load!(2, offset, |b| i16::from_le_bytes(b) as i32 as u32 as u64)
                }
                Op::I32Load16U { offset } => load!(2, offset, |b| u16::from_le_bytes(b) as u64),
                Op::I64Load8S { offset } => load!(1, offset, |b: [u8; 1]| b[0] as i8 as i64 as u64),
                Op::I64Load8U { offset } => load!(1, offset, |b: [u8; 1]| b[0] as u64),
                Op::I64Load16S { offset } => {
                    load!(2, offset, |b| i16::from_le_bytes(b) as i64 as u64)
                }
                Op::I64Load16U { offset } => load!(2, offset, |b| u16::from_le_bytes(b) as u64),
                Op::I64Load32S { offset } => {
                    load!(4, offset, |b| i32::from_le_bytes(b) as i64 as u64)
                }
                Op::I64Load32U { offset } => load!(4, offset, |b| u32::from_le_bytes(b) as u64),
                Op::I32Store { offset } | Op::F32Store { offset } => {
                    store_!(offset, |v: u64| (v as u32).to_le_bytes())
                }
                Op::I64Store { offset } | Op::F64Store { offset } => {
                    store_!(offset, |v: u64| v.to_le_bytes())
                }
                Op::I32Store8 { offset } | Op::I64Store8 { offset } => {
                    store_!(offset, |v: u64| [v as u8])
                }
                Op::I32Store16 { offset } | Op::I64Store16 { offset } => {
                    store_!(offset, |v: u64| (v as u16).to_le_bytes())
                }
                Op::I64Store32 { offset } => store_!(offset, |v: u64| (v as u32).to_le_bytes()),
                Op::MemorySize => push!(store.memories[self.mem].pages()),
                Op::MemoryGrow => {
                    let delta = stack[sp - 1] as u32;
                    let old = store.memories[self.mem].grow(delta as u64);
                    stack[sp - 1] = old.map_or(u32::MAX as u64, |o| o);
                }
                Op::MemoryInit { data } => {
                    let n = pop!() as u32 as usize;
                    let s = pop!() as u32 as usize;
                    let d = pop!() as u32 as usize;
                    let instance = &store.instances[inst.0 as usize];
                    let seg = if instance.data_dropped[data as usize] {
                        &[][..]
                    } else {
                        &cur.module.bytes[cur.module.data[data as usize].bytes.clone()]
                    };
                    let mem = &mut store.memories[self.mem];
                    if s + n > seg.len() || d + n > mem.len() {
                        trap!(TrapKind::MemoryOutOfBounds);
                    }
                    mem.data_mut()[d..d + n].copy_from_slice(&seg[s..s + n]);
                }
                Op::DataDrop { data } => {
                    store.instances[inst.0 as usize].data_dropped[data as usize] = true;
                }
                Op::MemoryCopy => {
                    let n = pop!() as u32 as usize;
                    let s = pop!() as u32 as usize;
                    let d = pop!() as u32 as usize;
                    let mem = &mut store.memories[self.mem];
                    if s + n > mem.len() || d + n > mem.len() {
                        trap!(TrapKind::MemoryOutOfBounds);
                    }
                    mem.data_mut().copy_within(s..s + n, d);
                }
                Op::MemoryFill => {
                    let n = pop!() as u32 as usize;
                    let v = pop!() as u8;
                    let d = pop!() as u32 as usize;
                    let mem = &mut store.memories[self.mem];
                    if d + n > mem.len() {
                        trap!(TrapKind::MemoryOutOfBounds);
                    }
                    mem.data_mut()[d..d + n].fill(v);
                }
                Op::TableInit { elem, table } => {
                    let n = pop!() as u32 as usize;
                    let s = pop!() as u32 as usize;
                    let d = pop!() as u32 as usize;
                    let instance = &store.instances[inst.0 as usize];
                    let seg: Arc<[RawRef]> = instance.elems[elem as usize]
                        .clone()
                        .unwrap_or_else(|| Arc::from([]));
                    let t = instance.tables[table as usize].0 as usize;
                    let table = &mut store.tables[t];
                    if s + n > seg.len() || d + n > table.elements.len() {
                        trap!(TrapKind::TableOutOfBounds);
                    }
                    table.elements[d..d + n].copy_from_slice(&seg[s..s + n]);
                }
                Op::ElemDrop { elem } => {
                    store.instances[inst.0 as usize].elems[elem as usize] = None
                }
                Op::TableCopy { dst, src } => {
                    let n = pop!() as u32 as usize;
                    let s = pop!() as u32 as usize;
                    let d = pop!() as u32 as usize;
                    let instance = &store.instances[inst.0 as usize];
                    let (dt, st) = (
                        instance.tables[dst as usize].0 as usize,
                        instance.tables[src as usize].0 as usize,
                    );
                    if s + n > store.tables[st].elements.len()
                        || d + n > store.tables[dt].elements.len()
                    {
                        trap!(TrapKind::TableOutOfBounds);
                    }
                    if dt == st {
                        store.tables[dt].elements.copy_within(s..s + n, d);
                    } else {
                        let items: Vec<RawRef> = store.tables[st].elements[s..s + n].to_vec();
                        store.tables[dt].elements[d..d + n].copy_from_slice(&items);
                    }
                }
                Op::TableGet { table } => {
                    let i = stack[sp - 1] as u32 as usize;
                    let t = store.instances[inst.0 as usize].tables[table as usize].0 as usize;
                    match store.tables[t].elements.get(i) {
                        Some(&r) => stack[sp - 1] = r,
                        None => trap!(TrapKind::TableOutOfBounds),
                    }
                }
                Op::TableSet { table } => {
                    let r = pop!();
                    let i = pop!() as u32 as usize;
                    let t = store.instances[inst.0 as usize].tables[table as usize].0 as usize;
                    match store.tables[t].elements.get_mut(i) {
                        Some(slot) => *slot = r,
                        None => trap!(TrapKind::TableOutOfBounds),
                    }
                }
                Op::TableSize { table } => {
                    let t = store.instances[inst.0 as usize].tables[table as usize].0 as usize;
                    push!(store.tables[t].size() as u64)
                }
                Op::TableGrow { table } => {
                    let n = pop!() as u32;
                    let init = stack[sp - 1];
                    let t = store.instances[inst.0 as usize].tables[table as usize].0 as usize;
                    stack[sp - 1] = store.tables[t].grow(n, init).map_or(u32::MAX, |o| o) as u64;
                }
                Op::TableFill { table } => {
                    let n = pop!() as u32 as usize;
                    let r = pop!();
                    let i = pop!() as u32 as usize;
                    let t = store.instances[inst.0 as usize].tables[table as usize].0 as usize;
                    let elements = &mut store.tables[t].elements;
                    if i + n > elements.len() {
                        trap!(TrapKind::TableOutOfBounds);
                    }
                    elements[i..i + n].fill(r);
                }
                Op::RefIsNull => stack[sp - 1] = (stack[sp - 1] == 0) as u64,
                Op::RefFunc { func } => {
                    push!(store.instances[inst.0 as usize].funcs[func as usize].0 as u64 + 1)
                }

                Op::I32Eqz => unop!(u32_, from_bool, |a| a == 0),
                Op::I32Eq => binop!(u32_, from_bool, |a, b| a == b),
                Op::I32Ne => binop!(u32_, from_bool, |a, b| a != b),
                Op::I32LtS => binop!(i32_, from_bool, |a, b| a < b),
                Op::I32LtU => binop!(u32_, from_bool, |a, b| a < b),
                Op::I32GtS => binop!(i32_, from_bool, |a, b| a > b),
                Op::I32GtU => binop!(u32_, from_bool, |a, b| a > b),
                Op::I32LeS => binop!(i32_, from_bool, |a, b| a <= b),
                Op::I32LeU => binop!(u32_, from_bool, |a, b| a <= b),
                Op::I32GeS => binop!(i32_, from_bool, |a, b| a >= b),
                Op::I32GeU => binop!(u32_, from_bool, |a, b| a >= b),
                Op::I64Eqz => unop!(u64_, from_bool, |a| a == 0),
                Op::I64Eq => binop!(u64_, from_bool, |a, b| a == b),
                Op::I64Ne => binop!(u64_, from_bool, |a, b| a != b),
                Op::I64LtS => binop!(i64_, from_bool, |a, b| a < b),
                Op::I64LtU => binop!(u64_, from_bool, |a, b| a < b),
                Op::I64GtS => binop!(i64_, from_bool, |a, b| a > b),
                Op::I64GtU => binop!(u64_, from_bool, |a, b| a > b),
                Op::I64LeS => binop!(i64_, from_bool, |a, b| a <= b),
                Op::I64LeU => binop!(u64_, from_bool, |a, b| a <= b),
                Op::I64GeS => binop!(i64_, from_bool, |a, b| a >= b),
                Op::I64GeU => binop!(u64_, from_bool, |a, b| a >= b),
                Op::F32Eq => binop!(f32_, from_bool, |a, b| a == b),
                Op::F32Ne => binop!(f32_, from_bool, |a, b| a != b),
                Op::F32Lt => binop!(f32_, from_bool, |a, b| a < b),
                Op::F32Gt => binop!(f32_, from_bool, |a, b| a > b),
                Op::F32Le => binop!(f32_, from_bool, |a, b| a <= b),
                Op::F32Ge => binop!(f32_, from_bool, |a, b| a >= b),
                Op::F64Eq => binop!(f64_, from_bool, |a, b| a == b),
                Op::F64Ne => binop!(f64_, from_bool, |a, b| a != b),
                Op::F64Lt => binop!(f64_, from_bool, |a, b| a < b),
                Op::F64Gt => binop!(f64_, from_bool, |a, b| a > b),
                Op::F64Le => binop!(f64_, from_bool, |a, b| a <= b),
                Op::F64Ge => binop!(f64_, from_bool, |a, b| a >= b),

                Op::I32Clz => unop!(u32_, from_u32, u32::leading_zeros),
                Op::I32Ctz => unop!(u32_, from_u32, u32::trailing_zeros),
                Op::I32Popcnt => unop!(u32_, from_u32, u32::count_ones),
                Op::I32Add => binop!(u32_, from_u32, u32::wrapping_add),
                Op::I32Sub => binop!(u32_, from_u32, u32::wrapping_sub),
                Op::I32Mul => binop!(u32_, from_u32, u32::wrapping_mul),
                Op::I32DivS => try_binop!(i32_, from_i32, |a: i32, b: i32| {
                    if b == 0 {
                        Err(TrapKind::IntegerDivisionByZero)
                    } else if a == i32::MIN && b == -1 {
                        Err(TrapKind::IntegerOverflow)
                    } else {
                        Ok(a / b)
                    }
                }),
                Op::I32DivU => try_binop!(u32_, from_u32, |a: u32, b: u32| a
                    .checked_div(b)
                    .ok_or(TrapKind::IntegerDivisionByZero)),
                Op::I32RemS => try_binop!(i32_, from_i32, |a: i32, b: i32| if b == 0 {
                    Err(TrapKind::IntegerDivisionByZero)
                } else {
                    Ok(a.wrapping_rem(b))
                }),
                Op::I32RemU => try_binop!(u32_, from_u32, |a: u32, b: u32| a
                    .checked_rem(b)
                    .ok_or(TrapKind::IntegerDivisionByZero)),
                Op::I32And => binop!(u32_, from_u32, |a, b| a & b),
                Op::I32Or => binop!(u32_, from_u32, |a, b| a | b),
                Op::I32Xor => binop!(u32_, from_u32, |a, b| a ^ b),
                Op::I32Shl => binop!(u32_, from_u32, |a: u32, b| a.wrapping_shl(b)),
                Op::I32ShrS => binop!(i32_, from_i32, |a: i32, b| a.wrapping_shr(b as u32)),
                Op::I32ShrU => binop!(u32_, from_u32, |a: u32, b| a.wrapping_shr(b)),
                Op::I32Rotl => binop!(u32_, from_u32, |a: u32, b| a.rotate_left(b)),
                Op::I32Rotr => binop!(u32_, from_u32, |a: u32, b| a.rotate_right(b)),
                Op::I64Clz => unop!(u64_, from_u64, |a: u64| a.leading_zeros() as u64),
                Op::I64Ctz => unop!(u64_, from_u64, |a: u64| a.trailing_zeros() as u64),
                Op::I64Popcnt => unop!(u64_, from_u64, |a: u64| a.count_ones() as u64),
                Op::I64Add => binop!(u64_, from_u64, u64::wrapping_add),
                Op::I64Sub => binop!(u64_, from_u64, u64::wrapping_sub),
                Op::I64Mul => binop!(u64_, from_u64, u64::wrapping_mul),
                Op::I64DivS => try_binop!(i64_, from_i64, |a: i64, b: i64| {
                    if b == 0 {
                        Err(TrapKind::IntegerDivisionByZero)
                    } else if a == i64::MIN && b == -1 {
                        Err(TrapKind::IntegerOverflow)
                    } else {
                        Ok(a / b)
                    }
                }),
                Op::I64DivU => try_binop!(u64_, from_u64, |a: u64, b: u64| a
                    .checked_div(b)
                    .ok_or(TrapKind::IntegerDivisionByZero)),
                Op::I64RemS => try_binop!(i64_, from_i64, |a: i64, b: i64| if b == 0 {
                    Err(TrapKind::IntegerDivisionByZero)
                } else {
                    Ok(a.wrapping_rem(b))
                }),
                Op::I64RemU => try_binop!(u64_, from_u64, |a: u64, b: u64| a
                    .checked_rem(b)
                    .ok_or(TrapKind::IntegerDivisionByZero)),
                Op::I64And => binop!(u64_, from_u64, |a, b| a & b),
                Op::I64Or => binop!(u64_, from_u64, |a, b| a | b),
                Op::I64Xor => binop!(u64_, from_u64, |a, b| a ^ b),
                Op::I64Shl => binop!(u64_, from_u64, |a: u64, b| a.wrapping_shl(b as u32)),
                Op::I64ShrS => binop!(i64_, from_i64, |a: i64, b| a.wrapping_shr(b as u32)),
                Op::I64ShrU => binop!(u64_, from_u64, |a: u64, b| a.wrapping_shr(b as u32)),
                Op::I64Rotl => binop!(u64_, from_u64, |a: u64, b| a.rotate_left(b as u32)),
                Op::I64Rotr => binop!(u64_, from_u64, |a: u64, b| a.rotate_right(b as u32)),

                Op::F32Abs => unop!(u32_, from_u32, |a| a & 0x7fff_ffff),
                Op::F32Neg => unop!(u32_, from_u32, |a| a ^ 0x8000_0000),
                Op::F32Copysign => {
                    binop!(u32_, from_u32, |a, b| (a & 0x7fff_ffff) | (b & 0x8000_0000))
                }
                Op::F32Ceil => unop!(f32_, from_f32, f32::ceil),
                Op::F32Floor => unop!(f32_, from_f32, f32::floor),
                Op::F32Trunc => unop!(f32_, from_f32, f32::trunc),
                Op::F32Nearest => unop!(f32_, from_f32, f32::round_ties_even),
                Op::F32Sqrt => unop!(f32_, from_f32, f32::sqrt),
                Op::F32Add => binop!(f32_, from_f32, |a, b| a + b),
                Op::F32Sub => binop!(f32_, from_f32, |a, b| a - b),
                Op::F32Mul => binop!(f32_, from_f32, |a, b| a * b),
                Op::F32Div => binop!(f32_, from_f32, |a, b| a / b),
                Op::F32Min => binop!(f32_, from_f32, float::min32),
                Op::F32Max => binop!(f32_, from_f32, float::max32),
                Op::F64Abs => unop!(u64_, from_u64, |a| a & 0x7fff_ffff_ffff_ffff),
                Op::F64Neg => unop!(u64_, from_u64, |a| a ^ 0x8000_0000_0000_0000),
                Op::F64Copysign => binop!(u64_, from_u64, |a, b| (a & 0x7fff_ffff_ffff_ffff)
                    | (b & 0x8000_0000_0000_0000)),
                Op::F64Ceil => unop!(f64_, from_f64, f64::ceil),
                Op::F64Floor => unop!(f64_, from_f64, f64::floor),
                Op::F64Trunc => unop!(f64_, from_f64, f64::trunc),
                Op::F64Nearest => unop!(f64_, from_f64, f64::round_ties_even),
                Op::F64Sqrt => unop!(f64_, from_f64, f64::sqrt),
                Op::F64Add => binop!(f64_, from_f64, |a, b| a + b),
                Op::F64Sub => binop!(f64_, from_f64, |a, b| a - b),
                Op::F64Mul => binop!(f64_, from_f64, |a, b| a * b),
                Op::F64Div => binop!(f64_, from_f64, |a, b| a / b),
                Op::F64Min => binop!(f64_, from_f64, float::min64),
                Op::F64Max => binop!(f64_, from_f64, float::max64),

                Op::I32WrapI64 => unop!(u64_, from_u32, |a| a as u32),
                Op::I32TruncF32S => try_unop!(f32_, from_i32, |a: f32| float::trunc_i32(a as f64)),
                Op::I32TruncF32U => try_unop!(f32_, from_u32, |a: f32| float::trunc_u32(a as f64)),
                Op::I32TruncF64S => try_unop!(f64_, from_i32, float::trunc_i32),
                Op::I32TruncF64U => try_unop!(f64_, from_u32, float::trunc_u32),
                Op::I64ExtendI32S => unop!(i32_, from_i64, |a| a as i64),
                Op::I64ExtendI32U => unop!(u32_, from_u64, |a| a as u64),
                Op::I64TruncF32S => try_unop!(f32_, from_i64, |a: f32| float::trunc_i64(a as f64)),
                Op::I64TruncF32U => try_unop!(f32_, from_u64, |a: f32| float::trunc_u64(a as f64)),
                Op::I64TruncF64S => try_unop!(f64_, from_i64, float::trunc_i64),
                Op::I64TruncF64U => try_unop!(f64_, from_u64, float::trunc_u64),
                Op::F32ConvertI32S => unop!(i32_, from_f32, |a| a as f32),
                Op::F32ConvertI32U => unop!(u32_, from_f32, |a| a as f32),
                Op::F32ConvertI64S => unop!(i64_, from_f32, |a| a as f32),
                Op::F32ConvertI64U => unop!(u64_, from_f32, |a| a as f32),
                Op::F32DemoteF64 => unop!(f64_, from_f32, |a| a as f32),
                Op::F64ConvertI32S => unop!(i32_, from_f64, |a| a as f64),
                Op::F64ConvertI32U => unop!(u32_, from_f64, |a| a as f64),
                Op::F64ConvertI64S => unop!(i64_, from_f64, |a| a as f64),
                Op::F64ConvertI64U => unop!(u64_, from_f64, |a| a as f64),
                Op::F64PromoteF32 => unop!(f32_, from_f64, |a| a as f64),
                Op::I32Extend8S => unop!(u32_, from_i32, |a| a as i8 as i32),
                Op::I32Extend16S => unop!(u32_, from_i32, |a| a as i16 as i32),
                Op::I64Extend8S => unop!(u64_, from_i64, |a| a as i8 as i64),
                Op::I64Extend16S => unop!(u64_, from_i64, |a| a as i16 as i64),
                Op::I64Extend32S => unop!(u64_, from_i64, |a| a as i32 as i64),
                Op::I32TruncSatF32S => unop!(f32_, from_i32, |a| a as i32),
                Op::I32TruncSatF32U => unop!(f32_, from_u32, |a| a as u32),
                Op::I32TruncSatF64S => unop!(f64_, from_i32, |a| a as i32),
                Op::I32TruncSatF64U => unop!(f64_, from_u32, |a| a as u32),
                Op::I64TruncSatF32S => unop!(f32_, from_i64, |a| a as i64),
                Op::I64TruncSatF32U => unop!(f32_, from_u64, |a| a as u64),
                Op::I64TruncSatF64S => unop!(f64_, from_i64, |a| a as i64),
                Op::I64TruncSatF64U => unop!(f64_, from_u64, |a| a as u64),
            }
        }
    }
}
