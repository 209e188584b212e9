//! Validation of numeric instructions: from the types the instruction table gives.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::func::FuncValidator;
use crate::error::Result;
use crate::isa::{Numeric, Signature};

impl FuncValidator<'_> {
    pub(super) fn numeric(&mut self, n: Numeric) -> Result<()> {
        match n {
            Numeric::I32Const(_)
            | Numeric::I64Const(_)
            | Numeric::F32Const(_)
            | Numeric::F64Const(_) => {
                let (ty, _) = n.constant().expect("a constant");
                self.push_const(ty);
            }
            Numeric::Op(op) => self.operator(op.signature())?,
        }
        Ok(())
    }

    /// Pops an operator's operands and pushes its result.
    #[inline]
    pub(super) fn operator(&mut self, sig: Signature) -> Result<()> {
        for &t in sig.params.iter().rev() {
            self.pop(t)?;
        }
        self.push(sig.result);
        Ok(())
    }
}
