//! Validation of `drop` and `select`.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::func::{FuncValidator, I32, Known, Opd, Unknown};
use crate::error::Result;
use crate::isa::Parametric;
use crate::types::ValType;

impl FuncValidator<'_> {
    pub(super) fn parametric(&mut self, p: Parametric) -> Result<()> {
        match p {
            Parametric::Drop => {
                if self.pop_any()? == Known(ValType::V128) {
                    self.info.v128_operands.push(self.pos as u32);
                }
            }
            Parametric::Select => {
                self.pop(I32)?;
                let a = self.pop_any()?;
                let b = self.pop_any()?;
                let is_ref = |t: Opd| matches!(t, Known(ValType::Ref(_)));
                if is_ref(a) || is_ref(b) {
                    return Err(self.err(
                        "type mismatch: select without a type needs numeric or vector operands",
                    ));
                }
                if a == Known(ValType::V128) || b == Known(ValType::V128) {
                    self.info.v128_operands.push(self.pos as u32);
                }
                match (a, b) {
                    (Unknown, t) | (t, Unknown) => self.push_opd(t),
                    (Known(x), Known(y)) if x == y => self.push(x),
                    (Known(x), Known(y)) => {
                        return Err(
                            self.err(format!("type mismatch: select operands {y} and {x} differ"))
                        );
                    }
                }
            }
            Parametric::TypedSelect(tys) => {
                let [t] = *tys else {
                    return Err(self.err("invalid result arity: select takes exactly one type"));
                };
                self.pop(I32)?;
                self.pop2(t, t)?;
                self.push(t);
            }
        }
        Ok(())
    }
}
