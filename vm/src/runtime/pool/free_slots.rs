//! The slots of a memory pool that no memory holds, split into shards so
//! that threads taking and giving back slots at the same time do not pass
//! one lock (and its cache line) back and forth.
//!
//! Each thread has a home shard: it gives slots back there and takes from
//! there first, so a thread serving requests one after another keeps
//! reusing the slots it warmed. A thread whose home has none takes from the
//! others in turn.

use super::Slot;
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// How many of a shard's most recently reset slots are searched for one
/// that suits the caller before its latest is taken instead.
const AFFINITY_SEARCH: usize = 16;

/// The most shards a pool splits its slots into.
const MAX_SHARDS: usize = 64;

/// The slots no memory holds, in shards.
pub(crate) struct FreeSlots {
    shards: Box<[Shard]>,
}

/// One shard: its slots, the most recently given back last; aligned so
/// that two shards never share a cache line.
#[repr(align(128))]
struct Shard(Mutex<Vec<Slot>>);

impl FreeSlots {
    /// `slots`, dealt out in contiguous runs among one shard per core (at
    /// most one per slot); in each shard the first slot is taken first.
    pub(crate) fn new(slots: Vec<Slot>) -> FreeSlots {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let n = cores.min(slots.len()).clamp(1, MAX_SHARDS);
        let per_shard = slots.len().div_ceil(n).max(1);
        let mut shards: Vec<Vec<Slot>> = (0..n).map(|_| Vec::new()).collect();
        for (i, slot) in slots.into_iter().enumerate().rev() {
            shards[i / per_shard].push(slot);
        }
        FreeSlots {
            shards: shards.into_iter().map(|l| Shard(Mutex::new(l))).collect(),
        }
    }

    /// A free slot, preferring one that `suits` among the latest given back
    /// to the calling thread's home shard, then the latest of that shard,
    /// then the same of each other shard in turn; `None` when every slot is
    /// held by a memory.
    pub(crate) fn take(&self, suits: impl Fn(&Slot) -> bool) -> Option<Slot> {
        let home = self.home();
        let n = self.shards.len();
        (0..n).find_map(|i| take_suitable(&mut self.shards[(home + i) % n].lock(), &suits))
    }

    /// Gives `slot`, reset, back to the calling thread's home shard.
    pub(crate) fn put(&self, slot: Slot) {
        self.shards[self.home()].lock().push(slot);
    }

    /// The calling thread's home shard: threads are dealt shards in the
    /// order they first use a pool.
    fn home(&self) -> usize {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        thread_local! {
            static HOME: Cell<Option<usize>> = const { Cell::new(None) };
        }
        let home = HOME.with(|home| match home.get() {
            Some(h) => h,
            None => {
                let h = NEXT.fetch_add(1, Ordering::Relaxed);
                home.set(Some(h));
                h
            }
        });
        home % self.shards.len()
    }
}

/// Removes from `slots` one that `suits` among the last
/// [`AFFINITY_SEARCH`], else the last.
fn take_suitable(slots: &mut Vec<Slot>, suits: impl Fn(&Slot) -> bool) -> Option<Slot> {
    let recent = slots.len().saturating_sub(AFFINITY_SEARCH);
    let at = slots[recent..]
        .iter()
        .rposition(suits)
        .map(|i| i + recent)
        .or(slots.len().checked_sub(1))?;
    Some(slots.swap_remove(at))
}

impl Shard {
    fn lock(&self) -> MutexGuard<'_, Vec<Slot>> {
        // A panic while holding the lock leaves the list whole: it is only
        // pushed to and removed from.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
