//! Validation of reference instructions.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::func::{FuncValidator, I32, Known, Opd, Unknown};
use crate::error::Result;
use crate::isa::Reference;
use crate::types::{HeapType, RefType, ValType};

impl FuncValidator<'_> {
    pub(super) fn reference(&mut self, r: Reference) -> Result<()> {
        match r {
            Reference::Null(t) => self.push_const(ValType::Ref(t)),
            Reference::IsNull => {
                self.pop_ref("ref.is_null")?;
                self.push(I32);
            }
            Reference::Func(f) => {
                if f as usize >= self.module.funcs.len() {
                    return Err(self.err(format!("unknown function {f}")));
                }
                if !self.refs.contains(&f) {
                    return Err(self.err(format!("undeclared function reference {f}")));
                }
                let ty = self.module.type_ids[self.module.funcs[f as usize] as usize];
                self.push(ValType::Ref(RefType::new(false, HeapType::Concrete(ty))));
            }
            Reference::AsNonNull => {
                let r = self.pop_ref("ref.as_non_null")?;
                self.push_opd(r.as_non_null());
            }
        }
        Ok(())
    }

    /// Pops the reference operand of instruction `what`, of any reference type.
    pub(super) fn pop_ref(&mut self, what: &str) -> Result<Opd> {
        match self.pop_any()? {
            r @ (Unknown | Known(ValType::Ref(_))) => Ok(r),
            Known(t) => Err(self.err(format!(
                "type mismatch: {what} on {t}, expected a reference"
            ))),
        }
    }
}
