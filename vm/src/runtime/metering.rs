//! Bounding how long a guest runs: fuel (deterministic metering) and epoch
//! interruption.
//!
//! Both are chosen when an engine is made ([`Metering`]); code compiled
//! without them has no checks at all. With fuel, every WebAssembly
//! instruction costs one unit. The cost of each straight-line run of
//! instructions (up to and including the control instruction that ends it)
//! is taken when the run starts. Where a run starts at a function's entry
//! or a loop header (every repetition passes one), a run the remaining fuel
//! does not cover traps with [`TrapKind::OutOfFuel`](super::TrapKind::OutOfFuel)
//! before any of it executes; elsewhere the cost is taken without a check,
//! so that the count may go below zero by what the straight-line code up to
//! the next entry or loop header costs, and reads as zero then (wasmtime
//! checks at the same points). Both tiers take the same amounts at the same
//! points (`vm::isa::translate_body` places them), so a program consumes the
//! same fuel, and traps at the same point, whichever tier runs it; the count
//! is exact when code traps. With epochs, code checks at every function
//! entry and loop header whether the engine's epoch counter has reached the
//! store's deadline, and traps with
//! [`TrapKind::Interrupted`](super::TrapKind::Interrupted) when it has; any
//! thread may advance the counter. A tier may check a loop header only on
//! every so many passes of a frame (the JIT: every 1000th), since each pass
//! runs a bounded stretch of straight-line code.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Which bounds compiled code checks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Metering {
    /// Count fuel.
    pub fuel: bool,
    /// Check the epoch deadline at function entries and loop headers.
    pub epochs: bool,
}

/// An engine's epoch counter, shared by its stores; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Epoch(Arc<AtomicU64>);

impl Epoch {
    /// A counter at 0.
    pub fn new() -> Epoch {
        Epoch::default()
    }

    /// Advances the counter by one; code whose store's deadline it reaches
    /// traps at its next check. Callable from any thread.
    pub fn increment(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// The counter's value.
    pub fn current(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// The counter itself, which compiled code reads.
    pub fn counter(&self) -> *const AtomicU64 {
        Arc::as_ptr(&self.0)
    }
}

/// A store's fuel and epoch deadline, where compiled code reads and writes
/// them: the store boxes it, so its address stays put.
#[repr(C)]
#[derive(Debug)]
pub struct MeterState {
    /// Fuel left.
    pub fuel: i64,
    /// The epoch at which code traps.
    pub deadline: u64,
}

impl Default for MeterState {
    fn default() -> Self {
        MeterState {
            fuel: 0,
            deadline: u64::MAX,
        }
    }
}
