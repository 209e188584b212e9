//! The registry of generated code: which address ranges hold Skiff's machine
//! code, and what a trap or a backtrace needs to know about each.
//!
//! The signal handler reads it, on whatever thread faulted and at any moment,
//! so a read never takes a lock, never allocates and never fails. Writers
//! (a module's code being registered or freed) are rare: each one builds a
//! new immutable [`Snapshot`], publishes it with one atomic swap, and frees the
//! old one only after every reader that might have seen it has finished
//! (read-copy-update with two reader counters).
//!
//! Readers announce themselves by incrementing the counter of the current
//! phase. A writer, after the swap, flips the phase and waits for the old
//! phase's counter to drain; readers arriving after the flip count in the
//! other counter, so a steady stream of traps cannot hold a writer back.
//! A reader that incremented a drained counter late loads the snapshot
//! after the swap (every operation here is sequentially consistent), so it
//! can only see the new one.

use skiff_vm::runtime::{Frame, TrapKind};
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

/// One function (or trampoline) of generated code.
pub struct FuncCode {
    /// Its first byte.
    pub start: usize,
    /// Its length in bytes.
    pub len: usize,
    /// Trapping instructions: offset from `start`, and their kind, sorted by offset.
    pub traps: Vec<(u32, TrapKind)>,
    /// The function's index in its module and its name; `None` for a trampoline.
    pub func: Option<(u32, Option<Arc<str>>)>,
    /// `(code start, code end, module byte offset)` ranges, sorted.
    pub srclocs: Vec<(u32, u32, u32)>,
}

impl FuncCode {
    /// The trap kind of the instruction at `pc`, an address inside this code.
    fn trap_at(&self, pc: usize) -> Option<TrapKind> {
        let offset = (pc - self.start) as u32;
        let i = self.traps.binary_search_by_key(&offset, |(o, _)| *o).ok()?;
        Some(self.traps[i].1)
    }

    /// The backtrace frame for `pc`, an address inside this code.
    fn frame_at(&self, pc: usize) -> Option<Frame> {
        let (func, name) = self.func.as_ref()?;
        let off = (pc - self.start) as u32;
        let offset = self
            .srclocs
            .iter()
            .find(|(s, e, _)| *s <= off && off < *e)
            .map(|(_, _, loc)| *loc as usize);
        Some(Frame {
            func: *func,
            name: name.as_deref().map(str::to_string),
            offset,
        })
    }
}

/// An immutable view of every registered function, sorted by start address.
#[derive(Default)]
struct Snapshot {
    /// `(start, end, module, index of the function in the module's list)`.
    ranges: Vec<(usize, usize, Arc<[FuncCode]>, usize)>,
}

impl Snapshot {
    /// The function whose code holds `pc`.
    fn func_at(&self, pc: usize) -> Option<&FuncCode> {
        let i = self.ranges.partition_point(|r| r.0 <= pc).checked_sub(1)?;
        let (_, end, module, index) = &self.ranges[i];
        (pc < *end).then(|| &module[*index])
    }
}

/// The published snapshot; never null after the first registration.
static SNAPSHOT: AtomicPtr<Snapshot> = AtomicPtr::new(std::ptr::null_mut());
/// Readers inside a read section, by phase.
static READERS: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];
/// The phase new readers count in (its low bit).
static PHASE: AtomicUsize = AtomicUsize::new(0);
/// Serializes writers.
static WRITER: Mutex<()> = Mutex::new(());

/// Runs `f` on the current snapshot (or `None` before anything was
/// registered). Lock-free and allocation-free: the signal handler uses it.
fn read<R>(f: impl FnOnce(Option<&Snapshot>) -> R) -> R {
    let phase = PHASE.load(SeqCst) & 1;
    READERS[phase].fetch_add(1, SeqCst);
    let ptr = SNAPSHOT.load(SeqCst);
    // SAFETY: a snapshot is freed only after a writer replaced it and then saw
    // the counter of every phase a reader may have counted in drop to zero;
    // this reader is counted in `phase` until after its last use of `ptr`.
    let result = f(unsafe { ptr.as_ref() });
    READERS[phase].fetch_sub(1, SeqCst);
    result
}

/// Replaces the snapshot with `update(current)` and frees the old one once no
/// reader can still see it.
fn write(update: impl FnOnce(&Snapshot) -> Snapshot) {
    let _guard = WRITER.lock().unwrap_or_else(|e| e.into_inner());
    let current = SNAPSHOT.load(SeqCst);
    // SAFETY: only writers replace or free snapshots, and we hold the writer lock.
    let next = match unsafe { current.as_ref() } {
        Some(s) => update(s),
        None => update(&Snapshot::default()),
    };
    let old = SNAPSHOT.swap(Box::into_raw(Box::new(next)), SeqCst);
    // Wait for every reader that may have loaded `old`. Such a reader counted
    // itself before the swap, in the phase it read then; that may be either
    // phase (it may have read the phase while an earlier writer was flipping
    // it), so both are drained: first the current one, after which new
    // readers count in the other, then that other one.
    for _ in 0..2 {
        let previous = PHASE.fetch_add(1, SeqCst) & 1;
        while READERS[previous].load(SeqCst) != 0 {
            std::thread::yield_now();
        }
    }
    if !old.is_null() {
        // SAFETY: `old` came from `Box::into_raw` in an earlier write, is no
        // longer published, and no reader is left that loaded it.
        drop(unsafe { Box::from_raw(old) });
    }
}

/// The code of one compiled module while it is registered: dropping it
/// removes the code from the registry, after which its memory may be freed.
pub struct Registration {
    module: Arc<[FuncCode]>,
}

/// Registers the functions of one module, whose code ranges must not overlap
/// any registered code.
pub fn register(funcs: Vec<FuncCode>) -> Registration {
    let module: Arc<[FuncCode]> = funcs.into();
    write(|s| {
        let mut ranges = Vec::with_capacity(s.ranges.len() + module.len());
        ranges.extend(s.ranges.iter().cloned());
        ranges.extend(
            module
                .iter()
                .enumerate()
                .map(|(i, f)| (f.start, f.start + f.len, module.clone(), i)),
        );
        ranges.sort_unstable_by_key(|r| r.0);
        Snapshot { ranges }
    });
    Registration { module }
}

impl Drop for Registration {
    fn drop(&mut self) {
        write(|s| Snapshot {
            ranges: s
                .ranges
                .iter()
                .filter(|r| !Arc::ptr_eq(&r.2, &self.module))
                .cloned()
                .collect(),
        });
    }
}

/// Whether `pc` lies in registered code and, if it does, the kind of trap a
/// fault there means: out of bounds for a memory fault, the recorded kind
/// for a trap instruction (`Host` when none is recorded, for a pending trap).
/// Safe to call from a signal handler.
pub fn trap_at(pc: usize, memory_fault: bool) -> Option<TrapKind> {
    read(|s| {
        let func = s?.func_at(pc)?;
        Some(if memory_fault {
            TrapKind::MemoryOutOfBounds
        } else {
            func.trap_at(pc).unwrap_or(TrapKind::Host)
        })
    })
}

/// Fills `pcs[1..]` with the return addresses of the generated-code frames
/// above the one at `pcs[0]`, walking the frame pointers from `fp`; returns
/// how many entries of `pcs` are filled. Safe to call from a signal handler.
pub fn walk_frames(pcs: &mut [usize], mut fp: usize) -> usize {
    read(|s| {
        let Some(s) = s else { return 1 };
        let mut n = 1;
        while n < pcs.len() && fp != 0 && fp.is_multiple_of(8) {
            // SAFETY: `fp` is a frame pointer of generated code, which keeps
            // frame pointers: it points at the saved caller frame pointer,
            // with the return address above it, both on this thread's stack.
            let (next, ret) = unsafe { (*(fp as *const usize), *((fp + 8) as *const usize)) };
            if s.func_at(ret).is_none() || next <= fp {
                break;
            }
            // A return address is past its call: look up the call itself.
            pcs[n] = ret - 1;
            n += 1;
            fp = next;
        }
        n
    })
}

/// The backtrace frames of the Wasm functions at `pcs` (trampolines and
/// addresses outside generated code are left out).
pub fn frames(pcs: &[usize]) -> Vec<Frame> {
    read(|s| {
        let Some(s) = s else { return Vec::new() };
        pcs.iter()
            .filter_map(|&pc| s.func_at(pc)?.frame_at(pc))
            .collect()
    })
}
