//! Validation of control instructions: blocks, branches, calls.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::func::{BlockTy, Frame, FrameKind, FuncValidator, I32, list};
use crate::error::{Error, Result};
use crate::isa::{Catch, Control};
use crate::types::{FuncType, HeapType, RefType, ValType};

/// Whether each of `actual` matches the type at its place in `expected`,
/// and there are as many.
pub(super) fn all_match(actual: &[ValType], expected: &[ValType]) -> bool {
    actual.len() == expected.len() && actual.iter().zip(expected).all(|(a, e)| a.matches(*e))
}

impl<'a> FuncValidator<'a> {
    pub(super) fn control(&mut self, c: Control) -> Result<()> {
        match c {
            Control::Unreachable => self.unreachable(),
            Control::Nop => {}
            Control::Block(bt) => {
                let ty = self.block_type(bt)?;
                self.push_frame(FrameKind::Block, ty)?;
            }
            Control::Loop(bt) => {
                let ty = self.block_type(bt)?;
                self.push_frame(FrameKind::Loop, ty)?;
            }
            Control::If(bt) => {
                let ty = self.block_type(bt)?;
                self.pop(I32)?;
                self.push_frame(FrameKind::If, ty)?;
            }
            Control::Else => {
                let frame = self.pop_frame()?;
                if frame.kind != FrameKind::If {
                    return Err(Error::malformed(self.pos, "else without a matching if"));
                }
                self.s.frames.push(Frame {
                    kind: FrameKind::Else,
                    unreachable: false,
                    ..frame
                });
                self.push_all(&self.params(frame.ty));
            }
            Control::End => self.end()?,
            Control::Br(depth) => {
                let frame = self.label(depth)?;
                self.pop_all(&self.label_types(&frame))?;
                self.unreachable();
            }
            Control::BrIf(depth) => {
                self.pop(I32)?;
                let frame = self.label(depth)?;
                let tys = self.label_types(&frame);
                self.pop_all(&tys)?;
                self.push_all(&tys);
            }
            Control::BrTable(table) => {
                self.pop(I32)?;
                let default = self.label(table.default)?;
                let default_tys = self.label_types(&default);
                for &target in &table.targets {
                    let frame = self.label(target)?;
                    let tys = self.label_types(&frame);
                    if tys.len() != default_tys.len() {
                        return Err(self.err(format!(
                            "type mismatch: br_table targets with {} and {} values",
                            tys.len(),
                            default_tys.len()
                        )));
                    }
                    self.pop_push_label(&tys)?;
                }
                self.pop_all(&default_tys)?;
                self.unreachable();
            }
            Control::Return => {
                self.pop_all(self.ty.results())?;
                self.unreachable();
            }
            Control::Call(f) => {
                let ty = self.direct_callee(f)?;
                self.call(ty)?;
                if (self.s.frames.iter())
                    .any(|f| matches!(f.kind, FrameKind::TryTable | FrameKind::Try))
                {
                    self.info.try_callees.push(f);
                }
            }
            Control::CallIndirect { ty, table } => {
                let ty = self.indirect_callee(ty, table, "call_indirect")?;
                let index = self.table_index(table)?;
                self.pop(index)?;
                self.call(ty)?;
            }
            Control::ReturnCall(f) => {
                self.info.tail_calls = true;
                let ty = self.direct_callee(f)?;
                self.return_call(ty)?;
            }
            Control::ReturnCallIndirect { ty, table } => {
                self.info.tail_calls = true;
                let ty = self.indirect_callee(ty, table, "return_call_indirect")?;
                let index = self.table_index(table)?;
                self.pop(index)?;
                self.return_call(ty)?;
            }
            Control::CallRef(ty) => {
                let fty = self.func_ref_type(ty)?;
                self.call(fty)?;
            }
            Control::ReturnCallRef(ty) => {
                self.info.tail_calls = true;
                let fty = self.func_ref_type(ty)?;
                self.return_call(fty)?;
            }
            Control::BrOnNull(depth) => {
                // A tier may test the reference into the slot above it.
                self.reserve(&[I32]);
                let frame = self.label(depth)?;
                let r = self.pop_ref("br_on_null")?;
                let tys = self.label_types(&frame);
                self.pop_all(&tys)?;
                self.push_all(&tys);
                self.push_opd(r.as_non_null());
            }
            Control::BrOnNonNull(depth) => {
                self.reserve(&[I32]);
                let frame = self.label(depth)?;
                let tys = self.label_types(&frame);
                let Some((&ValType::Ref(last), rest)) = tys.split_last() else {
                    return Err(self.err(format!(
                        "type mismatch: br_on_non_null to a label taking [{}], expected a reference last",
                        list(&tys)
                    )));
                };
                self.pop(ValType::Ref(last.as_nullable()))?;
                self.pop_all(rest)?;
                self.push_all(rest);
            }
            Control::TryTable(t) => {
                let ty = self.block_type(t.ty)?;
                for catch in &t.catches {
                    self.catch_clause(catch)?;
                }
                self.push_frame(FrameKind::TryTable, ty)?;
            }
            Control::Throw(tag) => {
                let ty = self.tag_type(tag)?;
                self.pop_all(ty.params())?;
                self.unreachable();
            }
            Control::ThrowRef => {
                self.pop(ValType::EXNREF)?;
                self.unreachable();
            }
            Control::Try(bt) => {
                let ty = self.block_type(bt)?;
                self.push_frame(FrameKind::Try, ty)?;
                self.info.legacy_tries += 1;
            }
            Control::Catch(tag) => {
                let params = self.tag_type(tag)?.params();
                self.legacy_catch(FrameKind::Catch, params)?;
            }
            Control::CatchAll => self.legacy_catch(FrameKind::CatchAll, &[])?,
            Control::Delegate(depth) => {
                let frame = self.pop_frame()?;
                if frame.kind != FrameKind::Try {
                    return Err(self.err("delegate without a matching try"));
                }
                self.label(depth)?;
                self.push_all(&self.results(frame.ty));
            }
            Control::Rethrow(depth) => {
                let frame = self.label(depth)?;
                if !matches!(frame.kind, FrameKind::Catch | FrameKind::CatchAll) {
                    return Err(self.err(format!("invalid rethrow label {depth}")));
                }
                self.unreachable();
            }
        }
        Ok(())
    }

    /// A legacy `catch` or `catch_all` (`kind`): ends the `try`'s body or
    /// the `catch` block before it, and starts a block of the same type
    /// whose stack holds `payload`.
    fn legacy_catch(&mut self, kind: FrameKind, payload: &'a [ValType]) -> Result<()> {
        let frame = self.pop_frame()?;
        if !matches!(frame.kind, FrameKind::Try | FrameKind::Catch) {
            return Err(self.err(format!(
                "{} without a matching try",
                if kind == FrameKind::Catch {
                    "catch"
                } else {
                    "catch_all"
                }
            )));
        }
        self.s.frames.push(super::func::Frame {
            kind,
            unreachable: false,
            ..frame
        });
        self.push_all(payload);
        // A tier puts the exception after the payload before it keeps it.
        self.reserve(&[ValType::EXNREF]);
        Ok(())
    }

    /// The type of exception tag `tag`.
    fn tag_type(&self, tag: u32) -> Result<&'a FuncType> {
        match self.module.tags.get(tag as usize) {
            Some(&ty) => Ok(&self.module.types[ty as usize]),
            None => Err(self.err(format!("unknown tag {tag}"))),
        }
    }

    /// A catch clause of a `try_table` (validated before its frame opens,
    /// so labels count from outside it): its label must take the tag's
    /// payload, then the `exnref` when the clause passes it.
    fn catch_clause(&mut self, catch: &Catch) -> Result<()> {
        let mut passed: Vec<ValType> = match catch.tag {
            Some(tag) => self.tag_type(tag)?.params().to_vec(),
            None => Vec::new(),
        };
        if catch.with_ref {
            // The caught exception: never null.
            passed.push(ValType::Ref(RefType::new(false, HeapType::Exn)));
        }
        let frame = self.label(catch.label)?;
        let expected = self.label_types(&frame);
        if !all_match(&passed, &expected) {
            return Err(self.err(format!(
                "type mismatch: catch clause passes [{}] to a label taking [{}]",
                list(&passed),
                list(&expected)
            )));
        }
        // A tier puts the payload where the `try_table` starts, before it
        // branches: the stack must have room for it there.
        self.reserve(&passed);
        Ok(())
    }

    /// The type of function `f`, which a `call` or `return_call` names.
    fn direct_callee(&self, f: u32) -> Result<&'a FuncType> {
        if f as usize >= self.module.funcs.len() {
            return Err(self.err(format!("unknown function {f}")));
        }
        Ok(self.module.func_type(f))
    }

    /// The type a `call_indirect` or `return_call_indirect` (`what`) through
    /// `table` expects: type `ty`, and the table must hold functions.
    fn indirect_callee(&self, ty: u32, table: u32, what: &str) -> Result<&'a FuncType> {
        let (elem, _) = self.table(table)?;
        if !elem.matches(RefType::FUNCREF) {
            return Err(self.err(format!(
                "type mismatch: {what} on table {table} of {elem}, expected funcref"
            )));
        }
        self.func_type_of(ty)
    }

    /// The type of the functions a `call_ref` or `return_call_ref` of type
    /// index `ty` calls, whose reference it pops.
    fn func_ref_type(&mut self, ty: u32) -> Result<&'a FuncType> {
        let fty = self.func_type_of(ty)?;
        let id = self.module.type_ids[ty as usize];
        self.pop(ValType::Ref(RefType::new(true, HeapType::Concrete(id))))?;
        Ok(fty)
    }

    /// The value type of table `table`'s indices.
    fn table_index(&self, table: u32) -> Result<ValType> {
        Ok(self.table(table)?.1)
    }

    /// A tail call of a function of type `ty`: its results become the
    /// caller's, so they must be the caller's result types.
    fn return_call(&mut self, ty: &'a FuncType) -> Result<()> {
        if !all_match(ty.results(), self.ty.results()) {
            return Err(self.err(format!(
                "type mismatch: tail call of a function returning [{}] from one returning [{}]",
                list(ty.results()),
                list(self.ty.results())
            )));
        }
        self.pop_all(ty.params())?;
        self.unreachable();
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        let frame = self.pop_frame()?;
        let (params, results) = (self.params(frame.ty), self.results(frame.ty));
        if frame.kind == FrameKind::If && !all_match(&params, &results) {
            return Err(self.err(format!(
                "type mismatch: if without else must leave its parameters [{}] as its results [{}]",
                list(&params),
                list(&results)
            )));
        }
        if frame.kind != FrameKind::Func {
            self.push_all(&results);
        }
        let _: BlockTy = frame.ty;
        Ok(())
    }
}
