//! Validation of control instructions: blocks, branches, calls.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::func::{BlockTy, Frame, FrameKind, FuncValidator, I32, list};
use crate::error::{Error, Result};
use crate::isa::Control;
use crate::types::RefType;

impl FuncValidator<'_> {
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
                self.info.blocks[frame.block as usize].else_ = self.pos as u32;
                self.s.frames.push(Frame {
                    kind: FrameKind::Else,
                    unreachable: false,
                    ..frame
                });
                self.push_all(self.params(frame.ty));
            }
            Control::End => self.end()?,
            Control::Br(depth) => {
                let frame = self.label(depth)?;
                self.pop_all(self.label_types(&frame))?;
                self.unreachable();
            }
            Control::BrIf(depth) => {
                self.pop(I32)?;
                let frame = self.label(depth)?;
                let tys = self.label_types(&frame);
                self.pop_all(tys)?;
                self.push_all(tys);
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
                    self.pop_push_label(tys)?;
                }
                self.pop_all(default_tys)?;
                self.unreachable();
            }
            Control::Return => {
                self.pop_all(self.ty.results())?;
                self.unreachable();
            }
            Control::Call(f) => {
                if f as usize >= self.module.funcs.len() {
                    return Err(self.err(format!("unknown function {f}")));
                }
                self.call(self.module.func_type(f))?;
            }
            Control::CallIndirect { ty, table } => {
                let elem = self.table(table)?;
                if elem != RefType::FuncRef {
                    return Err(self.err(format!(
                        "type mismatch: call_indirect on table {table} of {elem}, expected funcref"
                    )));
                }
                let ty = self.func_type_of(ty)?;
                self.pop(I32)?;
                self.call(ty)?;
            }
        }
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        let frame = self.pop_frame()?;
        if frame.kind == FrameKind::If && self.params(frame.ty) != self.results(frame.ty) {
            return Err(self.err(format!(
                "type mismatch: if without else must leave its parameters [{}] as its results [{}]",
                list(self.params(frame.ty)),
                list(self.results(frame.ty))
            )));
        }
        if frame.kind != FrameKind::Func {
            self.info.blocks[frame.block as usize].end = self.pos as u32;
            self.push_all(self.results(frame.ty));
        }
        let _: BlockTy = frame.ty;
        Ok(())
    }
}
