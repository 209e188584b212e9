//! The interpreter's execution loop.
//!
//! The loop runs threaded code (see [`crate::threaded`]) until it stops at an
//! instruction that needs the store or the call stack, runs that one here,
//! and resumes the threaded code after it.
//!
//! Every active frame's slots (locals, then operand temporaries) live in one
//! vector of 64-bit slots; instructions address them relative to the frame's
//! base `fp`. A call's arguments are already in place: the callee's frame
//! starts at the caller's slot of its first argument, and its results come
//! back there. WebAssembly calls push a [`CallFrame`] and continue in the same
//! loop, so guest recursion never grows the host's stack.
//!
//! Both stacks (slots and call frames) live on the heap and grow by doubling
//! within a budget in bytes, [`Store::max_interp_stack`]: a call that would
//! need more, or whose memory the host cannot allocate, ends with a
//! stack-exhausted trap. The threaded code's calls only enter a callee
//! whose frame fits what is already allocated; growing is this loop's work.
//! A call from the host into the interpreter also checks that the host's
//! own stack has room, since host functions that call back into WebAssembly
//! nest native frames.

use crate::code::{Clause, Delegate, FuncCode, Op, Slot};
use crate::module::InterpModule;
use crate::module_ref::ModuleRef;
use crate::threaded;
use skiff_vm::runtime::value::{
    NULL_REF, exn_ref, read_slots, ref_to_exn, slot_count, slots_of, write_slots,
};
use skiff_vm::runtime::{
    ExnRef, Func, FuncKind, InstanceId, MemoryId, MeterState, Store, Trap, TrapKind, Value, ops,
};
use std::sync::atomic::AtomicU64;

/// How many frames of a trap's backtrace are kept, innermost first (as many
/// as the JIT keeps): a runaway recursion has hundreds of thousands.
const MAX_BACKTRACE: usize = 64;

/// A caller's state, saved while its callee runs.
struct CallFrame {
    func: u32,
    pc: u32,
    fp: u32,
    instance: InstanceId,
    /// The caller's module when the callee is in another instance.
    module: Option<ModuleRef>,
}

/// What the inner loop hands to the outer one.
enum Transfer {
    /// Call the store function with address `addr`; its arguments start at slot `base`.
    Call { addr: u32, base: u32 },
    /// The current function returned; its results start at slot `src`.
    Return { src: u32 },
    /// Tail call of the store function with address `addr`: its arguments
    /// start at slot `base`, and the current frame becomes its.
    TailCall { addr: u32, base: u32 },
}

/// The clause of `code`'s handlers that catches an exception thrown at
/// instruction `at`, whose tag `is` tells the module's tags apart; `None`
/// when the exception leaves the function.
fn handler_clause(code: &FuncCode, at: u32, is: impl Fn(u32) -> bool) -> Option<Clause> {
    let entries = &code.branch_tables;
    let mut i = 0;
    while let Some(h) = code.handlers.get(i) {
        let range = h.range as usize;
        if (entries[range].target..entries[range + 1].target).contains(&at) {
            match h.delegate {
                // Handlers go innermost first: a delegate's target is later.
                Some(Delegate::To(target)) => {
                    i = target as usize;
                    continue;
                }
                Some(Delegate::Caller) => return None,
                None => {
                    if let Some(c) = h.clauses.iter().find(|c| c.tag.is_none_or(&is)) {
                        return Some(*c);
                    }
                }
            }
        }
        i += 1;
    }
    None
}

/// Instance `inst`'s first memory, if it has one.
fn memory_of(store: &Store, inst: InstanceId) -> Option<MemoryId> {
    store.instance(inst).memories().first().copied()
}

/// The interpreter's code of `instance`, when the interpreter runs its
/// calls now (its own module, or a tiered engine's not yet handed over to
/// compiled code), so that this loop can enter it without the store.
fn interp_code(store: &Store, instance: InstanceId) -> Option<ModuleRef> {
    let code = store.instance(instance).code();
    let code = code.interpreted().unwrap_or_else(|| code.clone());
    let module = code.into_any().downcast::<InterpModule>().ok()?;
    // SAFETY: the instance holds the module (as its code, or inside its
    // tiered code) as long as the store lives.
    (!module.is_handed_over()).then(|| unsafe { ModuleRef::new(&module) })
}

/// The base and accessible length of memory `mem`, or of none (null and 0).
fn memory_view(store: &Store, mem: Option<MemoryId>) -> (*mut u8, usize) {
    match mem {
        Some(m) => (store.memory_ref(m).base(), store.memory_ref(m).len()),
        None => (std::ptr::null_mut(), 0),
    }
}

/// Runs defined function `func` (an index among the module's defined functions)
/// of `instance`, whose code is `module`, with `args`.
pub(crate) fn invoke(
    store: &mut Store,
    module: ModuleRef,
    instance: InstanceId,
    func: u32,
    args: &[Value],
) -> Result<Vec<Value>, Trap> {
    let budget = store.max_interp_stack();
    if !skiff_vm::runtime::stack::has_room() {
        let mut trap = Trap::new(TrapKind::StackExhausted);
        let m = &module.module;
        let index = m.num_imported_funcs + func;
        trap.push_frame(skiff_vm::runtime::Frame {
            func: index,
            name: m.func_name(index).map(str::to_string),
            offset: None,
        });
        return Err(trap);
    }
    let mut slots: Vec<u64> = Vec::new();
    // The arguments are there before any frame; they count in the budget
    // when the first frame is entered.
    let arg_slots = args.iter().map(|a| slots_of(a.ty())).sum::<usize>();
    if slots.try_reserve_exact(arg_slots.max(16)).is_err() {
        return Err(Trap::new(TrapKind::StackExhausted));
    }
    slots.resize(arg_slots, 0);
    write_slots(args, &mut slots);
    let mem = memory_of(store, instance);
    let mut m = Machine {
        slots,
        frames: Vec::new(),
        cur: module,
        inst: instance,
        func,
        pc: 0,
        fp: 0,
        mem,
        budget,
        meter: store.meter_ptr(),
        epoch: store.epoch_counter(),
        left: false,
    };
    m.enter(0)?;
    m.run(store)?;
    // The outermost function returned: its results are at the bottom.
    let module = &m.cur.module;
    let ty = module.func_type(module.num_imported_funcs + m.func);
    Ok(read_slots(ty.results(), &m.slots))
}

/// The state of one invocation. While threaded code runs, `func` and `fp`
/// follow the calls and returns it makes.
pub(crate) struct Machine {
    pub(crate) slots: Vec<u64>,
    frames: Vec<CallFrame>,
    pub(crate) cur: ModuleRef,
    inst: InstanceId,
    /// The running function, among the defined functions of `cur`.
    pub(crate) func: u32,
    pc: usize,
    pub(crate) fp: usize,
    /// The running instance's memory 0.
    mem: Option<MemoryId>,
    /// The most bytes `slots` and `frames` may take together.
    budget: usize,
    /// The store's fuel and epoch deadline.
    pub(crate) meter: *mut MeterState,
    /// The engine's epoch counter.
    pub(crate) epoch: *const AtomicU64,
    /// Set when an exception left the outermost frame by a tail call: no
    /// frame of this loop may catch it.
    left: bool,
}

/// Zeroes the declared locals of a new frame of `code` and writes its constants.
///
/// # Safety
/// `regs` points to a frame of `code.frame_size` slots.
#[inline(always)]
unsafe fn init_frame(code: &FuncCode, regs: *mut u64) {
    // SAFETY: the declared locals and the constants follow the parameters
    // inside the frame.
    let to = unsafe { regs.add(code.params as usize) };
    for (i, v) in code.frame_init.iter().enumerate() {
        // A volatile store keeps the loop from becoming a call to `memcpy`,
        // which costs more than the few slots most functions initialize.
        // SAFETY: as above.
        unsafe { to.add(i).write_volatile(*v) };
    }
}

impl Machine {
    /// Sets up the frame of `self.func` at absolute slot `fp`, where its arguments are.
    fn enter(&mut self, fp: usize) -> Result<(), Trap> {
        let code = match self.cur.code(self.func) {
            Ok(code) => code,
            Err(e) => {
                // A translation bug, found on the first call: a trap with
                // the frames that made the call.
                let mut trap = Trap::host(e.to_string());
                for f in self.trap(TrapKind::Host).backtrace() {
                    trap.push_frame(f.clone());
                }
                return Err(trap);
            }
        };
        let end = fp + code.frame_size as usize;
        if end > self.slots.len() {
            self.grow_slots(end)?;
        }
        let code = self.cur.translated(self.func);
        // SAFETY: `fp + frame_size <= slots.len()`, ensured just above.
        unsafe { init_frame(code, self.slots.as_mut_ptr().add(fp)) };
        self.fp = fp;
        self.pc = 0;
        Ok(())
    }

    /// The bytes the two stacks take now.
    fn stack_bytes(&self) -> usize {
        self.slots.capacity() * size_of::<u64>() + self.frames.capacity() * size_of::<CallFrame>()
    }

    /// Makes `slots` at least `need` long (doubling, within the budget), or
    /// a stack-exhausted trap.
    fn grow_slots(&mut self, need: usize) -> Result<(), Trap> {
        let others = self.stack_bytes() - self.slots.capacity() * size_of::<u64>();
        let room = self.budget.saturating_sub(others) / size_of::<u64>();
        if need > room {
            return Err(self.trap(TrapKind::StackExhausted));
        }
        let len = need.max(self.slots.len().saturating_mul(2)).min(room);
        if self
            .slots
            .try_reserve_exact(len - self.slots.len())
            .is_err()
        {
            return Err(self.trap(TrapKind::StackExhausted));
        }
        self.slots.resize(len, 0);
        Ok(())
    }

    /// Makes room in `frames` for one more frame (doubling, within the
    /// budget), or a stack-exhausted trap. Threaded code's calls push a
    /// frame only when there is room already.
    fn reserve_frame(&mut self) -> Result<(), Trap> {
        let len = self.frames.len();
        if len < self.frames.capacity() {
            return Ok(());
        }
        let others = self.stack_bytes() - self.frames.capacity() * size_of::<CallFrame>();
        let room = self.budget.saturating_sub(others) / size_of::<CallFrame>();
        if len >= room {
            return Err(self.trap(TrapKind::StackExhausted));
        }
        let cap = len.saturating_mul(2).max(16).min(room);
        if self.frames.try_reserve_exact(cap - len).is_err() {
            return Err(self.trap(TrapKind::StackExhausted));
        }
        Ok(())
    }

    /// A trap at the current position, with the backtrace of the innermost
    /// active frames.
    fn trap(&self, kind: TrapKind) -> Trap {
        let mut trap = Trap::new(kind);
        let mut push = |module: &InterpModule, func: u32, pc: usize| {
            let m = &module.module;
            let index = m.num_imported_funcs + func;
            // A function whose translation failed as it was entered has no code.
            let code = module.funcs[func as usize].get();
            trap.push_frame(skiff_vm::runtime::Frame {
                func: index,
                name: m.func_name(index).map(str::to_string),
                offset: code
                    .and_then(|c| c.offsets.get(pc.saturating_sub(1)))
                    .map(|o| *o as usize),
            });
        };
        push(&self.cur, self.func, self.pc);
        let mut module = self.cur;
        for frame in self.frames.iter().rev().take(MAX_BACKTRACE - 1) {
            if let Some(m) = frame.module {
                module = m;
            }
            push(&module, frame.func, frame.pc as usize);
        }
        trap
    }

    /// Calls the store's function `addr`, whose arguments start at frame slot `base`.
    fn call(&mut self, store: &mut Store, addr: u32, base: u32) -> Result<(), Trap> {
        let callee_fp = self.fp + base as usize;
        let (instance, index) = match store.func(Func(addr)).kind() {
            FuncKind::Wasm { instance, index } => (*instance, *index),
            FuncKind::Host(_) => return self.call_through_store(store, addr, callee_fp),
        };
        if instance == self.inst && self.cur.is_handed_over() {
            // Another tier runs the module's functions now.
            return self.call_through_store(store, addr, callee_fp);
        }
        self.reserve_frame()?;
        if instance == self.inst {
            self.frames.push(CallFrame {
                func: self.func,
                pc: self.pc as u32,
                fp: self.fp as u32,
                instance: self.inst,
                module: None,
            });
            self.func = index - self.cur.num_imported_funcs;
            return self.enter(callee_fp);
        }
        match interp_code(store, instance) {
            Some(callee) => {
                let defined = index - callee.num_imported_funcs;
                self.frames.push(CallFrame {
                    func: self.func,
                    pc: self.pc as u32,
                    fp: self.fp as u32,
                    instance: self.inst,
                    module: Some(std::mem::replace(&mut self.cur, callee)),
                });
                self.inst = instance;
                self.mem = memory_of(store, instance);
                self.func = defined;
                self.enter(callee_fp)
            }
            // Code of another tier: call it through the store.
            None => self.call_through_store(store, addr, callee_fp),
        }
    }

    /// Calls a function the loop does not run itself (a host function, or
    /// code of another tier) through the store, on behalf of this instance;
    /// its arguments start at absolute slot `at`, where its results go.
    fn call_through_store(&mut self, store: &mut Store, addr: u32, at: usize) -> Result<(), Trap> {
        self.call_out(store, addr, at, false)
    }

    /// [`Machine::call_through_store`]; with `replacing`, for a tail call,
    /// whose caller's frame is gone as far as a backtrace is concerned.
    fn call_out(
        &mut self,
        store: &mut Store,
        addr: u32,
        at: usize,
        replacing: bool,
    ) -> Result<(), Trap> {
        let ty = store.func_type(Func(addr));
        let need = at + slot_count(ty.params()).max(slot_count(ty.results()));
        if need > self.slots.len() {
            self.slots.resize(need, 0);
        }
        store
            .call_raw(Func(addr), Some(self.inst), &mut self.slots[at..need])
            .map_err(|mut t| {
                if t.exception().is_some() {
                    // Caught by a frame here or passed on: no backtrace.
                    return t;
                }
                // The callee's frames (compiled code's, say) come first,
                // then this loop's, as many as a backtrace keeps.
                let room = MAX_BACKTRACE.saturating_sub(t.backtrace().len());
                let ours = self.trap(t.kind());
                for f in ours
                    .backtrace()
                    .iter()
                    .skip(usize::from(replacing))
                    .take(room)
                {
                    t.push_frame(f.clone());
                }
                t
            })
    }

    /// Returns from the current function, whose results start at frame slot
    /// `src`; `true` when it was the outermost.
    fn ret(&mut self, store: &Store, src: u32) -> bool {
        let n = self.cur.translated(self.func).results as usize;
        let from = self.fp + src as usize;
        self.slots.copy_within(from..from + n, self.fp);
        match self.frames.pop() {
            None => true,
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

    /// Tail-calls the store's function `addr`, whose arguments start at
    /// frame slot `base`: they move to the bottom of the running frame, which
    /// becomes the callee's, so the stack does not grow. A function the loop
    /// does not run itself is called through the store and then returned
    /// from; `true` when that return was the outermost.
    fn tail_call(&mut self, store: &mut Store, addr: u32, base: u32) -> Result<bool, Trap> {
        let n = slot_count(store.func_type(Func(addr)).params());
        let from = self.fp + base as usize;
        self.slots.copy_within(from..from + n, self.fp);
        if let FuncKind::Wasm { instance, index } = *store.func(Func(addr)).kind()
            && !(instance == self.inst && self.cur.is_handed_over())
        {
            if instance == self.inst {
                self.func = index - self.cur.num_imported_funcs;
                self.enter(self.fp)?;
                return Ok(false);
            }
            if let Some(callee) = interp_code(store, instance) {
                // The caller's caller gets the results: when it runs in this
                // instance, its frame must now say so to switch back.
                if let Some(top) = self.frames.last_mut()
                    && top.module.is_none()
                {
                    top.module = Some(self.cur);
                }
                self.func = index - callee.num_imported_funcs;
                self.cur = callee;
                self.inst = instance;
                self.mem = memory_of(store, instance);
                self.enter(self.fp)?;
                return Ok(false);
            }
        }
        // A function of this instance that compiled code runs now is a
        // real tail call there, which leaves no frame of the caller; a
        // host function (or code of another instance, tier or calling
        // convention) is called and returned from, as compiled code does.
        let replacing = store
            .func(Func(addr))
            .wasm()
            .is_some_and(|(i, _)| i == self.inst);
        let at = self.fp;
        if let Err(trap) = self.call_out(store, addr, at, replacing) {
            if trap.exception().is_some() {
                // The tail call left this frame: its handlers do not see
                // the exception, its caller's do.
                self.left = self.ret(store, 0);
            }
            return Err(trap);
        }
        Ok(self.ret(store, 0))
    }

    fn run(&mut self, store: &mut Store) -> Result<(), Trap> {
        loop {
            let cur = self.cur;
            let step = match self.run_function(store, &cur) {
                Ok(Transfer::Call { addr, base }) => self.call(store, addr, base).map(|()| false),
                Ok(Transfer::Return { src }) => Ok(self.ret(store, src)),
                Ok(Transfer::TailCall { addr, base }) => self.tail_call(store, addr, base),
                Err(trap) => Err(trap),
            };
            match step {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(trap) => match trap.exception() {
                    Some(e) if !std::mem::take(&mut self.left) && self.catch(store, e) => {}
                    _ => return Err(trap),
                },
            }
        }
    }

    /// Looks for a handler of exception `e` thrown at the running
    /// instruction, in the running frame, then in its callers' at their
    /// calls. When a clause catches it, the frames inside the handler's are
    /// dropped, the payload goes where the clause says and the handler's
    /// frame continues at the clause's landing pad: `true`. `false`, having
    /// changed nothing, when no frame of this loop catches it.
    fn catch(&mut self, store: &mut Store, e: ExnRef) -> bool {
        let tag = store.exception_ref(e).tag;
        let (mut module, mut inst) = (self.cur, self.inst);
        let (mut func, mut pc) = (self.func, self.pc);
        let mut depth = 0;
        let clause = loop {
            let code = module.translated(func);
            let at = pc.saturating_sub(1) as u32;
            let found =
                handler_clause(code, at, |t| store.instance(inst).tags()[t as usize] == tag);
            if let Some(c) = found {
                break c;
            }
            let Some(frame) = self.frames.iter().rev().nth(depth) else {
                return false;
            };
            if let Some(m) = frame.module {
                module = m;
            }
            (inst, func, pc) = (frame.instance, frame.func, frame.pc as usize);
            depth += 1;
        };
        for _ in 0..depth {
            let frame = self.frames.pop().expect("counted above");
            (self.func, self.pc, self.fp) = (frame.func, frame.pc as usize, frame.fp as usize);
            if let Some(m) = frame.module {
                self.cur = m;
                self.inst = frame.instance;
                self.mem = memory_of(store, frame.instance);
            }
        }
        let code = self.cur.translated(self.func);
        let at = self.fp + clause.at as usize;
        let payload = &store.exception_ref(e).payload;
        let n = if clause.tag.is_some() {
            payload.len()
        } else {
            0
        };
        self.slots[at..at + n].copy_from_slice(&payload[..n]);
        if clause.with_ref {
            store.share_exception(e);
            self.slots[at + n] = exn_ref(e);
        } else {
            store.drop_exception(e);
        }
        self.pc = code.branch_tables[clause.pad as usize].target as usize;
        true
    }

    /// Enters defined function `callee` of the running instance, whose
    /// arguments start at frame slot `base`, from the running function at
    /// instruction `return_pc`, when the callee is translated, its frame
    /// fits in `slots`, `frames` has room and the module is not handed over
    /// to compiled code (else the caller leaves the call to
    /// [`Machine::call`], which sees to each).
    /// Returns the callee's code and frame.
    #[inline(always)]
    pub(crate) fn call_within(
        &mut self,
        callee: u32,
        base: Slot,
        return_pc: usize,
    ) -> Option<(*const FuncCode, *mut u64)> {
        // Null for a function not translated yet (the executor's loop
        // translates it), and once compiled code runs the module's
        // functions (the executor's loop calls it).
        let code = self.cur.entry(callee);
        if code.is_null() {
            return None;
        }
        // SAFETY: `code` points into the module `self.cur` holds, which is not
        // replaced while code of this instance calls and returns.
        let frame_size = unsafe { (*code).frame_size } as usize;
        let fp = self.fp + base as usize;
        let depth = self.frames.len();
        if depth >= self.frames.capacity() || fp + frame_size > self.slots.len() {
            return None;
        }
        let frame = CallFrame {
            func: self.func,
            pc: return_pc as u32,
            fp: self.fp as u32,
            instance: self.inst,
            module: None,
        };
        // Written in place rather than by `push`, which the compiler may
        // leave out of line: a frame passed to it by address would keep the
        // threaded `Call` from tail-calling the callee's first instruction
        // (and the native stack would grow with every guest call).
        // SAFETY: `depth < capacity`, checked above, so the slot is
        // allocated and unused; `set_len` then counts it.
        unsafe {
            self.frames.as_mut_ptr().add(depth).write(frame);
            self.frames.set_len(depth + 1);
        }
        // SAFETY: the callee's frame `fp..fp + frame_size` was just checked to
        // lie inside `slots`; `code` as above.
        let regs = unsafe { self.slots.as_mut_ptr().add(fp) };
        unsafe { init_frame(&*code, regs) };
        self.func = callee;
        self.fp = fp;
        Some((code, regs))
    }

    /// Returns from the running function, whose code is `code` and whose
    /// results start at frame slot `src`, to its caller when that is code of
    /// the same instance. Returns the caller's code, frame and the instruction
    /// to continue at; `None`, having changed nothing, when the caller is in
    /// another instance or is the host.
    #[inline(always)]
    pub(crate) fn return_within(
        &mut self,
        code: &FuncCode,
        src: Slot,
    ) -> Option<(*const FuncCode, *mut u64, usize)> {
        let frame = self.frames.last()?;
        if frame.module.is_some() {
            return None;
        }
        let (func, pc, fp) = (frame.func, frame.pc as usize, frame.fp as usize);
        // Popped without running its destructor, which would keep the
        // threaded `Return` from tail-calling the caller's next instruction.
        // SAFETY: the frame's `module` is `None` and its other fields are
        // plain integers, so it owns nothing; `frames` is not empty.
        unsafe { self.frames.set_len(self.frames.len() - 1) };
        // SAFETY: the running frame and the caller's are inside `slots`, which
        // never shrinks; the results are slots of the running frame.
        let regs = unsafe { self.slots.as_mut_ptr().add(self.fp) };
        for i in 0..code.results as usize {
            // SAFETY: as above.
            unsafe { *regs.add(i) = *regs.add(src as usize + i) };
        }
        self.func = func;
        self.fp = fp;
        let caller: *const FuncCode = self.cur.translated(func);
        // SAFETY: as above.
        Some((caller, unsafe { self.slots.as_mut_ptr().add(fp) }, pc))
    }

    /// Runs the current function, and the functions of the same instance it
    /// calls, until a call leaves the instance or the outermost of them returns.
    fn run_function(&mut self, store: &mut Store, cur: &InterpModule) -> Result<Transfer, Trap> {
        let inst = self.inst;
        let num_imported = cur.num_imported_funcs;
        let mut code = cur.translated(self.func);
        let mut pc = self.pc;
        debug_assert!(self.fp + code.frame_size as usize <= self.slots.len());
        // SAFETY: `enter` made the frame `fp..fp + frame_size` part of `slots`,
        // and every slot an instruction names is below `frame_size` (the
        // translator derives them from validated stack heights). `slots` is
        // not resized while this function runs: resizing happens in `enter`
        // and `write_results`, between calls to it; calls made here check
        // that the callee's frame fits before they enter it.
        let mut regs: *mut u64 = unsafe { self.slots.as_mut_ptr().add(self.fp) };

        /// Enters defined function `$d` of this instance, whose arguments
        /// start at slot `$base`, without leaving the loop, when its frame fits.
        macro_rules! try_inline_call {
            ($d:expr, $base:expr) => {{
                if let Some((callee, callee_regs)) = self.call_within($d, $base, pc) {
                    // SAFETY: the callee's code is in `cur`.
                    code = unsafe { &*callee };
                    regs = callee_regs;
                    pc = 0;
                    continue;
                }
            }};
        }

        macro_rules! get {
            ($slot:expr) => {{
                let slot: Slot = $slot;
                debug_assert!(slot < code.frame_size);
                // SAFETY: in the frame, as above.
                unsafe { *regs.add(slot as usize) }
            }};
        }
        macro_rules! set {
            ($slot:expr, $v:expr) => {{
                let slot: Slot = $slot;
                let v: u64 = $v;
                debug_assert!(slot < code.frame_size);
                // SAFETY: in the frame, as above.
                unsafe { *regs.add(slot as usize) = v }
            }};
        }
        macro_rules! trap {
            ($kind:expr) => {{
                self.pc = pc;
                return Err(self.trap($kind));
            }};
        }
        // A trap from the runtime, kept whole (a limiter's message with it).
        macro_rules! trap_value {
            ($trap:expr) => {{
                self.pc = pc;
                let mut trap: Trap = $trap;
                for frame in self.trap(trap.kind()).backtrace() {
                    trap.push_frame(frame.clone());
                }
                return Err(trap);
            }};
        }
        macro_rules! leave {
            ($transfer:expr) => {{
                self.pc = pc;
                return Ok($transfer);
            }};
        }
        // Memory 0's base and length, read once: only `memory.grow` changes the
        // length (and never the base), and calls leave this function.
        let (mut mem_base, mut mem_len) = memory_view(store, self.mem);
        // The function a `call_indirect` or `return_call_indirect` whose
        // arguments start at slot `$base` (the table index after them) calls
        // through `$table`, expecting type `$ty`; or its trap.
        macro_rules! indirect_callee {
            ($base:expr, $ty:expr, $table:expr) => {{
                let (base, ty, table): (Slot, u32, u32) = ($base, $ty, $table);
                let params = slot_count(cur.module.types[ty as usize].params()) as Slot;
                let i = addr!(base + params, table64!(table));
                match ops::call_indirect_target(store, inst, table, ty, i) {
                    Ok(f) => f,
                    Err(t) => trap!(t.kind()),
                }
            }};
        }
        // The callee of a `call_ref` or `return_call_ref` whose arguments
        // start at slot `$base`, followed by the reference: traps on null.
        macro_rules! ref_callee {
            ($base:expr, $ty:expr) => {{
                let (base, ty): (Slot, u32) = ($base, $ty);
                let params = slot_count(cur.module.types[ty as usize].params()) as Slot;
                match ops::ref_callee(get!(base + params)) {
                    Ok(f) => f,
                    Err(t) => trap!(t.kind()),
                }
            }};
        }
        // Calls `$f`, found through a table or a reference, with its
        // arguments from slot `$base` on: in this loop when it is a defined
        // function of this instance, else through the executor.
        macro_rules! call_found {
            ($f:expr, $base:expr) => {{
                let (f, base): (Func, Slot) = ($f, $base);
                if let Some((instance, index)) = store.func(f).wasm()
                    && instance == inst
                    && index >= num_imported
                {
                    try_inline_call!(index - num_imported, base);
                }
                leave!(Transfer::Call { addr: f.0, base });
            }};
        }
        // An address, index or length in a slot, of 64 bits or of 32.
        macro_rules! addr {
            ($slot:expr, $is_64:expr) => {{
                let v = get!($slot);
                if $is_64 { v } else { v as u32 as u64 }
            }};
        }
        // The destination, source and length of a copy from slot `$base` on,
        // between a memory or table of 64 bits (`$d64`, `$s64`) or of 32:
        // the length is as wide as the narrower.
        macro_rules! copy_operands {
            ($base:expr, $d64:expr, $s64:expr) => {{
                let (d64, s64) = ($d64, $s64);
                (
                    addr!($base, d64),
                    addr!($base + 1, s64),
                    addr!($base + 2, d64 && s64),
                )
            }};
        }
        macro_rules! mem64 {
            ($memory:expr) => {
                cur.module.memories[$memory as usize].addr.is_64()
            };
        }
        macro_rules! table64 {
            ($table:expr) => {
                cur.module.tables[$table as usize].addr.is_64()
            };
        }

        loop {
            // Run threaded code up to the next instruction it leaves to this loop.
            // SAFETY: `pc` is an instruction of `code` (the entry, a return
            // address, or the one after an instruction of this loop, which is
            // never the last), `regs` its frame, and memory 0 is accessible
            // from `mem_base` for `mem_len` bytes.
            // `self` is lent to the threaded code for its calls and returns.
            let machine: *mut Machine = self;
            let (stop_at, stop) = unsafe {
                threaded::run(
                    code.instrs.as_ptr().add(pc),
                    regs,
                    mem_base,
                    mem_len,
                    code,
                    machine,
                )
            };
            // Threaded code may have called and returned: it stopped in the
            // function `self.func`, whose frame is at `self.fp`.
            code = cur.translated(self.func);
            // SAFETY: as above; the frame of the running function is in `slots`.
            regs = unsafe { self.slots.as_mut_ptr().add(self.fp) };
            // SAFETY: threaded code stops at an instruction of the running function.
            pc = unsafe { stop_at.offset_from(code.instrs.as_ptr()) } as usize;
            let op = code.instrs[pc].op;
            pc += 1;
            if let Some(kind) = stop.trap() {
                trap!(kind);
            }
            match op {
                Op::Return { src } => {
                    // Threaded code returns to callers of this instance; this
                    // is a return to another instance or to the host.
                    debug_assert!(self.frames.last().is_none_or(|f| f.module.is_some()));
                    for i in 0..code.results {
                        set!(i, get!(src + i));
                    }
                    leave!(Transfer::Return { src: 0 });
                }
                Op::Call { func: f, base } => {
                    // The threaded `Call` already entered every callee it could
                    // (a defined function whose frame fits, not too deep): this
                    // is an import, or a call for `Machine::call` to check.
                    let addr = ops::import(store, inst, f).0;
                    leave!(Transfer::Call { addr, base });
                }
                Op::ReturnCall { func: f, base } => {
                    let addr = ops::import(store, inst, f).0;
                    leave!(Transfer::TailCall { addr, base });
                }
                Op::ReturnCallIndirect { base, ty, table } => {
                    let f = indirect_callee!(base, ty, table);
                    leave!(Transfer::TailCall { addr: f.0, base });
                }
                Op::ReturnCallRef { base, ty } => {
                    let f = ref_callee!(base, ty);
                    leave!(Transfer::TailCall { addr: f.0, base });
                }
                Op::CallRef { base, ty } => {
                    let f = ref_callee!(base, ty);
                    call_found!(f, base);
                }
                Op::RefAsNonNull { src } => {
                    if get!(src) == NULL_REF {
                        trap!(TrapKind::NullReference);
                    }
                }
                Op::CallIndirect { base, ty, table } => {
                    let f = indirect_callee!(base, ty, table);
                    call_found!(f, base);
                }
                Op::GlobalGet { dst, index } => {
                    set!(dst, ops::global_get(store, inst, index) as u64)
                }
                Op::GlobalSet { src, index } => {
                    ops::global_set(store, inst, index, u128::from(get!(src)))
                }
                Op::GlobalGet128 { dst, index } => {
                    let v = ops::global_get(store, inst, index);
                    set!(dst, v as u64);
                    set!(dst + 1, (v >> 64) as u64);
                }
                Op::GlobalSet128 { src, index } => {
                    let v = u128::from(get!(src)) | (u128::from(get!(src + 1)) << 64);
                    ops::global_set(store, inst, index, v);
                }
                Op::MemorySize { dst, memory } => {
                    set!(dst, ops::memory_size(store, inst, memory))
                }
                Op::MemoryGrow { dst, delta, memory } => {
                    let is_64 = mem64!(memory);
                    let delta = addr!(delta, is_64);
                    let old = match ops::memory_grow(store, inst, memory, delta) {
                        Ok(old) => old,
                        Err(t) => trap_value!(t),
                    };
                    mem_len = self.mem.map_or(0, |m| store.memory_ref(m).len());
                    let failed = if is_64 { u64::MAX } else { u32::MAX as u64 };
                    set!(dst, old.unwrap_or(failed));
                }
                Op::MemoryInit { base, data, memory } => {
                    let d = addr!(base, mem64!(memory));
                    let (s, n) = (addr!(base + 1, false), addr!(base + 2, false));
                    if let Err(t) = ops::memory_init(store, inst, memory, data, d, s, n) {
                        trap!(t.kind());
                    }
                }
                Op::UseMemory { memory } => {
                    let id = store.instance(inst).memories()[memory as usize];
                    (mem_base, mem_len) = memory_view(store, Some(id));
                }
                Op::MemoryCopyAcross { base, dst, src } => {
                    let (d, s, n) = copy_operands!(base, mem64!(dst), mem64!(src));
                    if let Err(t) = ops::memory_copy(store, inst, dst, src, d, s, n) {
                        trap!(t.kind());
                    }
                }
                Op::MemoryFillAt { base, memory } => {
                    let is_64 = mem64!(memory);
                    let (d, n) = (addr!(base, is_64), addr!(base + 2, is_64));
                    let value = get!(base + 1) as u8;
                    if let Err(t) = ops::memory_fill(store, inst, memory, d, value, n) {
                        trap!(t.kind());
                    }
                }
                Op::DataDrop { data } => ops::data_drop(store, inst, data),
                Op::TableInit { base, elem, table } => {
                    let d = addr!(base, table64!(table));
                    let (s, n) = (addr!(base + 1, false), addr!(base + 2, false));
                    if let Err(t) = ops::table_init(store, inst, table, elem, d, s, n) {
                        trap!(t.kind());
                    }
                }
                Op::ElemDrop { elem } => ops::elem_drop(store, inst, elem),
                Op::TableCopy { base, dst, src } => {
                    let (d, s, n) = copy_operands!(base, table64!(dst), table64!(src));
                    if let Err(t) = ops::table_copy(store, inst, dst, src, d, s, n) {
                        trap!(t.kind());
                    }
                }
                Op::TableGet { dst, index, table } => {
                    let i = addr!(index, table64!(table));
                    match ops::table_get(store, inst, table, i) {
                        Ok(r) => set!(dst, r),
                        Err(t) => trap!(t.kind()),
                    }
                }
                Op::TableSet {
                    index,
                    value,
                    table,
                } => {
                    let i = addr!(index, table64!(table));
                    if let Err(t) = ops::table_set(store, inst, table, i, get!(value)) {
                        trap!(t.kind());
                    }
                }
                Op::TableSize { dst, table } => {
                    set!(dst, ops::table_size(store, inst, table) as u64)
                }
                Op::TableGrow { base, table } => {
                    let is_64 = table64!(table);
                    let init = get!(base);
                    let n = addr!(base + 1, is_64);
                    let old = match ops::table_grow(store, inst, table, init, n) {
                        Ok(old) => old,
                        Err(t) => trap_value!(t),
                    };
                    let failed = if is_64 { u64::MAX } else { u32::MAX as u64 };
                    set!(base, old.map_or(failed, u64::from));
                }
                Op::TableFill { base, table } => {
                    let is_64 = table64!(table);
                    let (i, n) = (addr!(base, is_64), addr!(base + 2, is_64));
                    if let Err(t) = ops::table_fill(store, inst, table, i, get!(base + 1), n) {
                        trap!(t.kind());
                    }
                }
                Op::RefFunc { dst, func } => set!(dst, ops::ref_func(store, inst, func)),
                Op::Throw { base, tag } => {
                    let n = slot_count(cur.module.tag_type(tag).params());
                    // SAFETY: the payload's slots are in the frame, as for `get!`.
                    let payload = unsafe { std::slice::from_raw_parts(regs.add(base as usize), n) };
                    let t = store.instance(inst).tags()[tag as usize];
                    let e = store.new_exception(t, payload);
                    self.pc = pc;
                    return Err(Trap::new(TrapKind::Exception(e)));
                }
                Op::ThrowRef { src } => match ref_to_exn(get!(src)) {
                    Some(e) => {
                        self.pc = pc;
                        return Err(Trap::new(TrapKind::Exception(e)));
                    }
                    None => trap!(TrapKind::NullReference),
                },
                _ => unreachable!("threaded code runs {op:?}"),
            }
        }
    }
}
