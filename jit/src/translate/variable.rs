//! Lowering locals and globals: locals are Cranelift variables, globals are
//! read and written through the context block's table of global pointers.

#![deny(
    clippy::wildcard_enum_match_arm,
    reason = "every instruction of the group is handled by name, so one added to the instruction set fails to build until it is handled here"
)]

use super::{Translator, cl_type};
use crate::vmctx::offsets;
use cranelift_codegen::ir::{InstBuilder, Value, types};
use skiff_vm::Error;
use skiff_vm::isa::{self, Variable};

impl isa::TranslateVariable for Translator<'_, '_, '_> {
    fn variable(&mut self, v: Variable) -> Result<(), Error> {
        match v {
            Variable::LocalGet(local_index) => {
                let v = self.b.use_var(self.locals[local_index as usize]);
                self.stack.push(v);
            }
            Variable::LocalSet(local_index) => {
                let v = self.pop();
                self.b.def_var(self.locals[local_index as usize], v);
            }
            Variable::LocalTee(local_index) => {
                let v = *self.stack.last().expect("validated stack");
                self.b.def_var(self.locals[local_index as usize], v);
            }
            Variable::GlobalGet(global_index) => {
                let ty = cl_type(self.env.module.globals[global_index as usize].content)?;
                let ptr = self.global_ptr(global_index);
                let v = self.b.ins().load(ty, self.flags.trusted, ptr, 0);
                self.stack.push(v);
            }
            Variable::GlobalSet(global_index) => {
                let v = self.pop();
                let ptr = self.global_ptr(global_index);
                self.b.ins().store(self.flags.trusted, v, ptr, 0);
            }
        }
        Ok(())
    }
}

impl Translator<'_, '_, '_> {
    fn global_ptr(&mut self, index: u32) -> Value {
        let table = self.b.ins().load(
            types::I64,
            self.flags.trusted_ro,
            self.vmctx,
            offsets::GLOBALS,
        );
        self.b
            .ins()
            .load(types::I64, self.flags.trusted_ro, table, (index * 8) as i32)
    }
}
