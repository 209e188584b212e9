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

use crate::layout::{Placed, Tables};
use skiff_vm::ValidatedModule;
use skiff_vm::runtime::{Frame, TrapKind};
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

/// One module's code while it is registered.
pub struct ModuleCode {
    /// The address of the image's first byte.
    start: usize,
    /// The address past its last byte.
    end: usize,
    /// Where its functions are, their trap sites and source maps.
    tables: Tables,
    /// The module, for function names.
    module: Arc<ValidatedModule>,
}

impl ModuleCode {
    /// The function or trampoline whose code holds `pc`, an address inside
    /// this module's image, and `pc`'s offset in it.
    fn placed_at(&self, pc: usize) -> Option<(&Placed, u32)> {
        let offset = pc - self.start;
        let p = self.tables.placed_at(offset)?;
        Some((p, offset as u32 - p.offset))
    }

    /// What a fault at `pc`, an address inside this module's image, means:
    /// none when it is not in a function's code (padding between them); out
    /// of bounds for a memory fault; the recorded kind for a trap
    /// instruction (`Host` when none is recorded, for a pending trap).
    fn fault_at(&self, pc: usize, memory_fault: bool) -> Option<TrapKind> {
        let (p, offset) = self.placed_at(pc)?;
        Some(if memory_fault {
            TrapKind::MemoryOutOfBounds
        } else {
            self.tables.trap_at(p, offset).unwrap_or(TrapKind::Host)
        })
    }

    /// The backtrace frame for `pc`, an address inside this code (none for
    /// a trampoline).
    fn frame_at(&self, pc: usize) -> Option<Frame> {
        let (p, off) = self.placed_at(pc)?;
        if p.trampoline {
            return None;
        }
        let offset = self
            .tables
            .srclocs_of(p)
            .find(|&(s, e, _)| s <= off && off < e)
            .map(|(_, _, loc)| loc as usize);
        Some(Frame {
            func: p.func,
            name: self.module.module().func_name(p.func).map(str::to_string),
            offset,
        })
    }
}

/// An immutable view of every registered module, sorted by start address.
#[derive(Default)]
struct Snapshot {
    modules: Vec<Arc<ModuleCode>>,
}

impl Snapshot {
    /// The module whose code holds `pc`.
    fn module_at(&self, pc: usize) -> Option<&ModuleCode> {
        let i = self
            .modules
            .partition_point(|m| m.start <= pc)
            .checked_sub(1)?;
        let m = &self.modules[i];
        (pc < m.end).then_some(&**m)
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
    module: Arc<ModuleCode>,
}

/// Registers the code of `module` placed at `start` (`len` bytes, laid out
/// as `tables` say), which must not overlap any registered code.
pub fn register(
    start: usize,
    len: usize,
    tables: Tables,
    module: Arc<ValidatedModule>,
) -> Registration {
    let code = Arc::new(ModuleCode {
        start,
        end: start + len,
        tables,
        module,
    });
    write(|s| {
        let mut modules = s.modules.clone();
        let at = modules.partition_point(|m| m.start < start);
        modules.insert(at, code.clone());
        Snapshot { modules }
    });
    Registration { module: code }
}

impl Drop for Registration {
    fn drop(&mut self) {
        write(|s| Snapshot {
            modules: s
                .modules
                .iter()
                .filter(|m| !Arc::ptr_eq(m, &self.module))
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
    read(|s| s?.module_at(pc)?.fault_at(pc, memory_fault))
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
            if s.module_at(ret).is_none() || next <= fp {
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
            .filter_map(|&pc| s.module_at(pc)?.frame_at(pc))
            .collect()
    })
}
