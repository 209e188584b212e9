//! Folding fuel charges into jumps: in code that meters fuel, a `Charge` (the
//! unchecked fuel of a run) directly followed by a fused compare-and-jump
//! becomes that jump's `pre` charge, which its handler takes first. The run
//! of a loop's condition, reached by falling through from the loop's body
//! and by branches from elsewhere, so costs no dispatch of its own.
//!
//! The jump must not be a target itself: control arriving there would skip
//! the charge. Every target is remapped, as [`crate::jumps`] does; the fuel
//! taken on every path stays the same.

use crate::code::{BranchTarget, Op};
use crate::jumps::install;

/// Folds the charges of `ops` (with their byte offsets `offsets` and the
/// branch table `entries`) into the jumps that follow them, building the
/// new code in `spare` (whose buffer `ops` then takes).
pub(crate) fn fold(
    ops: &mut Vec<Op>,
    offsets: &mut Vec<u32>,
    entries: &mut [BranchTarget],
    spare: &mut Vec<Op>,
) {
    let mut targeted = vec![false; ops.len()];
    for op in ops.iter() {
        if let Some(t) = op.jump_target() {
            targeted[t as usize] = true;
        }
    }
    for e in entries.iter() {
        targeted[e.target as usize] = true;
    }
    let folds = |i: usize| -> Option<Op> {
        let Op::Charge { amount } = ops[i] else {
            return None;
        };
        let next = ops.get(i + 1)?;
        if targeted[i + 1] {
            return None;
        }
        next.with_charge(amount)
    };
    let folded: Vec<Option<Op>> = (0..ops.len()).map(folds).collect();
    if folded.iter().all(Option::is_none) {
        return;
    }
    // `map[i]`: where old instruction `i` is now; a folded charge is where
    // its jump is.
    let mut map = Vec::with_capacity(ops.len());
    spare.clear();
    let mut new_offsets = Vec::with_capacity(ops.len());
    let mut skip = false;
    for i in 0..ops.len() {
        if skip {
            // The jump, already placed with its charge.
            map.push(spare.len() as u32 - 1);
            skip = false;
            continue;
        }
        map.push(spare.len() as u32);
        match folded[i] {
            Some(jump) => {
                spare.push(jump);
                new_offsets.push(offsets[i + 1]);
                skip = true;
            }
            None => {
                spare.push(ops[i]);
                new_offsets.push(offsets[i]);
            }
        }
    }
    install(ops, offsets, entries, spare, new_offsets, &map);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn back(target: u32, pre: u16) -> Op {
        Op::JumpIfNotI32GeU {
            a: 0,
            b: 1,
            target,
            pre,
        }
    }

    #[test]
    fn a_charge_before_a_jump_becomes_the_jumps_and_targets_follow() {
        // 0: jump to the charge; 1: charge; 2: the loop's condition; 3: return
        let mut ops = vec![
            Op::Jump { target: 1 },
            Op::Charge { amount: 4 },
            back(0, 0),
            Op::Return { src: 0 },
        ];
        let mut offsets = vec![10, 20, 30, 40];
        let mut entries = [BranchTarget {
            target: 3,
            src: 0,
            dst: 0,
            keep: 0,
        }];
        fold(&mut ops, &mut offsets, &mut entries, &mut Vec::new());
        assert_eq!(
            ops,
            [Op::Jump { target: 1 }, back(0, 4), Op::Return { src: 0 }]
        );
        assert_eq!(offsets, [10, 30, 40]);
        assert_eq!(entries[0].target, 2);
    }

    #[test]
    fn a_jump_something_lands_on_keeps_its_charge_apart() {
        let mut ops = vec![Op::Charge { amount: 4 }, back(1, 0), Op::Return { src: 0 }];
        let before = ops.clone();
        fold(&mut ops, &mut vec![0, 1, 2], &mut [], &mut Vec::new());
        assert_eq!(ops, before);
    }
}
