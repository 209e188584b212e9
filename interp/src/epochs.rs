//! Checking epochs in the jumps: in code that checks epochs but meters no
//! fuel, the loop headers' `CheckEpoch`s are removed, and the jumps and
//! branches that went to one check the epoch themselves; so does every call
//! to a defined function, which then lands past the `CheckEpoch` its code
//! starts with. A loop's back edge or a call so costs no dispatch for its
//! check, and falling into a loop none at all. Every repetition still
//! checks: a loop repeats only through a jump to its header, and recursion
//! only through calls. A function entered from the host or through
//! `call_indirect` runs its entry's `CheckEpoch`.

use crate::code::{BranchTarget, Op};
use crate::jumps::install;

/// Removes the `CheckEpoch`s of `ops` but the first (the function's entry),
/// building the new code in `spare` (whose buffer `ops` then takes; the byte
/// `offsets` and branch table `entries` follow it); answers, for each
/// instruction of the new code, whether it must check the epoch itself:
/// the jumps and branches that went back to a removed check, and every call
/// to a defined function.
pub(crate) fn move_checks_into_jumps(
    ops: &mut Vec<Op>,
    offsets: &mut Vec<u32>,
    entries: &mut [BranchTarget],
    spare: &mut Vec<Op>,
) -> Vec<bool> {
    let removed = |i: u32| i > 0 && matches!(ops[i as usize], Op::CheckEpoch);
    let mut checks = Vec::with_capacity(ops.len());
    let mut map = Vec::with_capacity(ops.len());
    let mut new_offsets = Vec::with_capacity(offsets.len());
    spare.clear();
    for (i, &op) in ops.iter().enumerate() {
        map.push(spare.len() as u32);
        if removed(i as u32) {
            continue;
        }
        // Backwards to a removed check: a loop repeating. (Forwards, control
        // enters a loop, which needs no check.)
        let repeats = |t: u32| t <= i as u32 && removed(t);
        let check = match op {
            Op::Br { entry } | Op::BrIf { entry, .. } => repeats(entries[entry as usize].target),
            Op::BrTable { start, len, .. } => entries[start as usize..(start + len) as usize]
                .iter()
                .any(|e| repeats(e.target)),
            Op::Call { .. } => true,
            op => op.jump_target().is_some_and(repeats),
        };
        checks.push(check);
        spare.push(op);
        new_offsets.push(offsets[i]);
    }
    install(ops, offsets, entries, spare, new_offsets, &map);
    checks
}
