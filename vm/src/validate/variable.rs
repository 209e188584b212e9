//! Validation of locals and globals.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::func::FuncValidator;
use crate::error::Result;
use crate::isa::Variable;

impl FuncValidator<'_> {
    pub(super) fn variable(&mut self, v: Variable) -> Result<()> {
        match v {
            Variable::LocalGet(i) => {
                let t = self.local_to_read(i)?;
                self.push(t);
            }
            Variable::LocalSet(i) => {
                let t = self.local(i)?;
                self.pop(t)?;
                self.set_local(i);
            }
            Variable::LocalTee(i) => {
                let t = self.local(i)?;
                self.pop(t)?;
                self.push(t);
                self.set_local(i);
            }
            Variable::GlobalGet(i) => {
                let g = self.global(i)?;
                self.push(g.content);
            }
            Variable::GlobalSet(i) => {
                let g = self.global(i)?;
                if !g.mutable {
                    return Err(self.err(format!("global is immutable: global {i}")));
                }
                self.pop(g.content)?;
            }
        }
        Ok(())
    }
}
