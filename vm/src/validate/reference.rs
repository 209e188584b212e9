//! Validation of reference instructions.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::func::{FuncValidator, I32, Known, Unknown};
use crate::error::Result;
use crate::isa::Reference;
use crate::types::ValType;

impl FuncValidator<'_> {
    pub(super) fn reference(&mut self, r: Reference) -> Result<()> {
        match r {
            Reference::Null(t) => self.push_const(ValType::Ref(t)),
            Reference::IsNull => {
                match self.pop_any()? {
                    Unknown | Known(ValType::Ref(_)) => {}
                    Known(t) => {
                        return Err(self.err(format!(
                            "type mismatch: ref.is_null on {t}, expected a reference"
                        )));
                    }
                }
                self.push(I32);
            }
            Reference::Func(f) => {
                if f as usize >= self.module.funcs.len() {
                    return Err(self.err(format!("unknown function {f}")));
                }
                if !self.refs.contains(&f) {
                    return Err(self.err(format!("undeclared function reference {f}")));
                }
                self.push(ValType::FUNCREF);
            }
        }
        Ok(())
    }
}
