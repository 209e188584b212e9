//! Lowering `drop` and `select`.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::Translator;
use cranelift_codegen::ir::InstBuilder;
use skiff_vm::Error;
use skiff_vm::isa::{self, Parametric};

impl isa::TranslateParametric for Translator<'_, '_, '_> {
    fn parametric(&mut self, p: Parametric) -> Result<(), Error> {
        match p {
            Parametric::Drop => {
                self.pop();
            }
            Parametric::Select | Parametric::TypedSelect(_) => {
                let c = self.pop();
                let (a, b) = self.pop2();
                let v = self.b.ins().select(c, a, b);
                self.stack.push(v);
            }
        }
        Ok(())
    }
}
