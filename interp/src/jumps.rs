//! Jump threading: a `Jump` whose target runs a few instructions and then
//! leaves (by a branch table, a branch or a return), or reaches another jump,
//! is replaced by a copy of what it would run.
//!
//! The pattern is everywhere a loop's body ends in a forward branch to the
//! loop's continuation: every arm of a `switch` in a dispatch loop ends with
//! `Jump` to the loop's condition, which jumps back to the header, which
//! dispatches through a `BrTable`. Copying the condition (negated, so that
//! staying in the loop falls through) and the header into each arm saves two
//! dispatches per iteration, and gives each arm its own `BrTable`, whose
//! indirect jump the processor then predicts from that arm's history.
//!
//! The copies are exact: an instruction does the same wherever it sits, as
//! jumps name absolute targets and calls return to the instruction after
//! theirs. The pass runs on finished code and remaps every target once.

use crate::code::{BranchTarget, Op};

/// At most this many instructions are copied in place of one jump.
const MAX_COPY: usize = 6;

/// At most this many instructions are looked at (jumps threaded through
/// included) for one jump.
const MAX_STEPS: usize = 10;

/// Threads the jumps of `ops`: rewrites `ops`, their byte offsets `offsets`
/// and the targets of the branch table `entries`, building the new code in
/// `spare` (whose buffer `ops` then takes, leaving its own in `spare`). Code
/// may grow by a quarter (plus a little, for small functions) at most.
pub(crate) fn thread(
    ops: &mut Vec<Op>,
    offsets: &mut Vec<u32>,
    entries: &mut [BranchTarget],
    spare: &mut Vec<Op>,
) {
    let mut budget = ops.len() / 4 + 16;
    let mut plans: Vec<(usize, Replacement)> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        if let Op::Jump { target } = *op
            && let Some(copy) = plan(ops, target as usize)
            && copy.len - 1 <= budget
        {
            budget -= copy.len - 1;
            plans.push((i, copy));
        }
    }
    if plans.is_empty() {
        return;
    }
    // `map[i]`: where old instruction `i` is now. Every target below (in the
    // copies too) is an old index until remapped.
    let grown = plans.iter().map(|(_, c)| c.len - 1).sum::<usize>();
    let mut map = Vec::with_capacity(ops.len());
    spare.clear();
    spare.reserve(ops.len() + grown);
    let mut new_offsets = Vec::with_capacity(ops.len() + grown);
    let mut plans = plans.into_iter().peekable();
    for (i, &op) in ops.iter().enumerate() {
        map.push(spare.len() as u32);
        match plans.next_if(|(at, _)| *at == i) {
            Some((_, copy)) => {
                for &(op, from) in copy.ops() {
                    spare.push(op);
                    new_offsets.push(offsets[from as usize]);
                }
            }
            None => {
                spare.push(op);
                new_offsets.push(offsets[i]);
            }
        }
    }
    install(ops, offsets, entries, spare, new_offsets, &map);
}

/// Makes the code rebuilt in `spare` (with its byte offsets `new_offsets`)
/// the code: `map[i]` says where old instruction `i` is now, and every jump
/// target (in `spare`) and branch table entry, still an old index, is
/// remapped through it. `ops`'s old buffer goes to `spare`.
pub(crate) fn install(
    ops: &mut Vec<Op>,
    offsets: &mut Vec<u32>,
    entries: &mut [BranchTarget],
    spare: &mut Vec<Op>,
    new_offsets: Vec<u32>,
    map: &[u32],
) {
    for op in spare.iter_mut() {
        if let Some(t) = op.jump_target_mut() {
            *t = map[*t as usize];
        }
    }
    for e in entries {
        e.target = map[e.target as usize];
    }
    std::mem::swap(ops, spare);
    *offsets = new_offsets;
}

/// The instructions a `Jump` runs instead, each with the index it is a
/// copy of.
struct Replacement {
    ops: [(Op, u32); MAX_COPY + 1],
    len: usize,
}

impl Replacement {
    fn push(&mut self, op: Op, from: u32) {
        self.ops[self.len] = (op, from);
        self.len += 1;
    }

    fn ops(&self) -> &[(Op, u32)] {
        &self.ops[..self.len]
    }
}

/// What a `Jump` to `target` can run instead: the instructions from
/// `target` on, through jumps, up to an instruction that leaves; a
/// conditional jump backwards (to a loop header) is negated so that the copy
/// follows the loop. `None` when that saves no dispatch.
fn plan(ops: &[Op], target: usize) -> Option<Replacement> {
    let mut copy = Replacement {
        ops: [(Op::Unreachable, 0); MAX_COPY + 1],
        len: 0,
    };
    let mut at = target;
    let mut saves = false;
    for _ in 0..MAX_STEPS {
        let op = ops[at];
        let from = at as u32;
        match op {
            Op::Jump { target } => {
                at = target as usize;
                saves = true;
                continue;
            }
            Op::BrTable { .. } | Op::Br { .. } | Op::Return { .. } | Op::Unreachable => {
                copy.push(op, from);
                return Some(copy);
            }
            _ if copy.len >= MAX_COPY => break,
            _ => {}
        }
        match op.jump_target().map(|t| t as usize) {
            // Backwards: a loop goes on; the copy follows it.
            Some(back) if back <= at => {
                copy.push(op.negated_jump(from + 1)?, from);
                at = back;
                saves = true;
            }
            _ if is_copyable(&op) => {
                copy.push(op, from);
                at += 1;
            }
            _ => break,
        }
    }
    // Not at an instruction that leaves: go on where the original would.
    let unchanged = copy.len == 0 && at == target;
    copy.push(Op::Jump { target: at as u32 }, at as u32);
    Some(copy).filter(|_| saves && !unchanged)
}

/// Instructions copied: anything but calls (whose copies would be correct
/// but make code bigger for no dispatch saved) and epoch checks: a copy then
/// ends with a jump to the loop header's `CheckEpoch`, which
/// [`crate::epochs`] relies on to find every loop's repetition.
fn is_copyable(op: &Op) -> bool {
    !matches!(
        op,
        Op::Call { .. } | Op::CallIndirect { .. } | Op::CallRef { .. } | Op::CheckEpoch
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jump(target: u32) -> Op {
        Op::Jump { target }
    }

    #[test]
    fn a_jump_to_a_jump_goes_straight_on() {
        let mut ops = vec![
            jump(2),
            Op::Unreachable,
            jump(4),
            Op::Unreachable,
            Op::Return { src: 0 },
        ];
        let mut offsets = vec![10, 11, 12, 13, 14];
        thread(&mut ops, &mut offsets, &mut [], &mut Vec::new());
        // The first jump copies the return it ends at; the second too.
        assert_eq!(ops[0], Op::Return { src: 0 });
        assert_eq!(offsets[0], 14);
        assert_eq!(ops.len(), 5);
    }

    #[test]
    fn a_loop_condition_and_header_are_copied_into_the_arm() {
        let step = |slot| Op::I32AddImm {
            dst: slot,
            a: slot,
            imm: 1,
        };
        let dispatch = Op::BrTable {
            index: 0,
            start: 0,
            len: 1,
        };
        let loop_back = Op::JumpIfNotI32GeU {
            a: 0,
            b: 2,
            target: 0,
            pre: 0,
        };
        // 0: header: i += 1; dispatch
        // 2: arm: x += 1; jump to the condition
        // 4: condition: loop back while i < n, else return
        let mut ops = vec![
            step(0),
            dispatch,
            step(1),
            jump(4),
            loop_back,
            Op::Return { src: 1 },
        ];
        let mut offsets = vec![0, 1, 2, 3, 4, 5];
        let mut entries = [BranchTarget {
            target: 2,
            src: 0,
            dst: 0,
            keep: 0,
        }];
        thread(&mut ops, &mut offsets, &mut entries, &mut Vec::new());
        // Leave the loop when i >= n (to where old 5 now is), else run
        // the header's copy.
        let leave = Op::JumpIfNotI32LtU {
            a: 0,
            b: 2,
            target: 7,
            pre: 0,
        };
        assert_eq!(
            ops,
            vec![
                step(0),
                dispatch,
                step(1),
                leave,
                step(0),
                dispatch,
                loop_back,
                Op::Return { src: 1 },
            ]
        );
        assert_eq!(offsets, vec![0, 1, 2, 4, 0, 1, 4, 5]);
        assert_eq!(entries[0].target, 2);
    }

    #[test]
    fn a_jump_to_straight_code_is_left_alone() {
        let mut ops = vec![
            jump(1),
            Op::I32AddImm {
                dst: 0,
                a: 0,
                imm: 1,
            },
            Op::Call { func: 0, base: 1 },
            Op::Return { src: 0 },
        ];
        let before = ops.clone();
        thread(&mut ops, &mut vec![0; 4], &mut [], &mut Vec::new());
        assert_eq!(ops, before);
    }

    #[test]
    fn a_jump_to_itself_is_left_alone() {
        let mut ops = vec![jump(0), Op::Return { src: 0 }];
        let before = ops.clone();
        thread(&mut ops, &mut vec![0; 2], &mut [], &mut Vec::new());
        assert_eq!(ops, before);
    }
}
