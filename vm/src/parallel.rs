//! Per-function work of a tier (translation, compilation) spread over the
//! cores when a module is large enough to pay for the threads.
//!
//! Workers claim function indices in increasing order from a shared counter,
//! each with its own reusable state, so the results (and the error reported)
//! are those of doing the work in index order on one thread.

use crate::module::Module;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many threads to do per-function work on for `module`: one when its
/// function bodies total fewer than `threshold` bytes (starting threads would
/// cost more than they save), else as many as the machine runs at once, but
/// no more than there are functions.
pub fn threads_for(module: &Module, threshold: usize) -> usize {
    let code_bytes: usize = module.code.iter().map(|b| b.range.len()).sum();
    if code_bytes < threshold {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(module.code.len())
            .max(1)
    }
}

/// Runs `work(worker, i)` for every `i` in `0..count` on `threads` threads,
/// each with a worker of its own made by `new_worker`, and returns the
/// results in index order. On failure the error is that of the lowest index
/// that fails, as on one thread; no index above a known failure is started.
pub fn map_indexed<W, T, E>(
    count: usize,
    threads: usize,
    new_worker: impl Fn() -> W + Sync,
    work: impl Fn(&mut W, usize) -> Result<T, E> + Sync,
) -> Result<Vec<T>, E>
where
    T: Send,
    E: Send,
{
    if threads <= 1 {
        let mut worker = new_worker();
        return (0..count).map(|i| work(&mut worker, i)).collect();
    }
    let next = AtomicUsize::new(0);
    // The lowest failing index so far.
    let failed = AtomicUsize::new(usize::MAX);
    let run = || {
        let mut worker = new_worker();
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= count || i > failed.load(Ordering::Relaxed) {
                return done;
            }
            let out = work(&mut worker, i);
            if out.is_err() {
                failed.fetch_min(i, Ordering::Relaxed);
            }
            done.push((i, out));
        }
    };
    let mut parts = Vec::with_capacity(threads);
    std::thread::scope(|s| {
        let helpers: Vec<_> = (1..threads).map(|_| s.spawn(run)).collect();
        parts.push(run());
        for h in helpers {
            parts.push(h.join().expect("a per-function worker panicked"));
        }
    });
    let mut slots: Vec<Option<Result<T, E>>> = (0..count).map(|_| None).collect();
    for (i, out) in parts.into_iter().flatten() {
        slots[i] = Some(out);
    }
    // Every index up to the first failure was claimed and finished.
    slots.into_iter().map_while(|s| s).collect()
}

#[cfg(test)]
mod tests {
    use super::map_indexed;

    #[test]
    fn results_come_in_index_order_on_any_number_of_threads() {
        for threads in [1, 2, 4] {
            let out: Result<Vec<usize>, ()> =
                map_indexed(1000, threads, || 0usize, |_, i| Ok(i * 3));
            assert_eq!(out.unwrap(), (0..1000).map(|i| i * 3).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_lowest_failing_index_is_reported() {
        for threads in [1, 2, 4] {
            let out: Result<Vec<usize>, usize> = map_indexed(
                500,
                threads,
                || (),
                |_, i| if i % 97 == 96 { Err(i) } else { Ok(i) },
            );
            assert_eq!(out, Err(96));
        }
    }

    #[test]
    fn each_thread_reuses_its_worker() {
        // A worker counts the items it did: with one thread, one worker
        // sees them all.
        let out: Result<Vec<usize>, ()> = map_indexed(
            10,
            1,
            || 0usize,
            |seen, _| {
                *seen += 1;
                Ok(*seen)
            },
        );
        assert_eq!(out.unwrap(), (1..=10).collect::<Vec<_>>());
    }
}
