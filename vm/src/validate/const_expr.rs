//! Validation of constant expressions: global initializers and segment offsets.

use super::later_proposal;
use crate::error::{Error, Result};
use crate::features::Features;
use crate::module::{ConstExpr, ConstOp, Module};
use crate::types::{HeapType, RefType, ValType};

/// What a constant expression may refer to.
pub(super) struct ConstContext<'m> {
    module: &'m Module,
    features: Features,
}

impl<'m> ConstContext<'m> {
    pub(super) fn new(module: &'m Module, features: &Features) -> Self {
        ConstContext {
            module,
            features: *features,
        }
    }

    /// Checks that `expr` is constant and yields one value of type `expected`.
    /// It may read the globals before index `global`: the global it
    /// initializes, or `u32::MAX` for a segment's offset, which may read any.
    pub(super) fn check(&self, expr: &ConstExpr, expected: ValType, global: u32) -> Result<()> {
        let at = expr.offset;
        let m = self.module;
        let mut stack: Vec<ValType> = Vec::with_capacity(1);
        for op in &expr.ops {
            let ty = match *op {
                ConstOp::I32Const(_) => ValType::I32,
                ConstOp::I64Const(_) => ValType::I64,
                ConstOp::F32Const(_) => ValType::F32,
                ConstOp::F64Const(_) => ValType::F64,
                ConstOp::V128Const(_) => ValType::V128,
                ConstOp::RefNull(r) => ValType::Ref(r),
                ConstOp::RefFunc(f) => {
                    if f as usize >= m.funcs.len() {
                        return Err(Error::invalid(at, format!("unknown function {f}")));
                    }
                    let ty = m.type_ids[m.funcs[f as usize] as usize];
                    ValType::Ref(RefType::new(false, HeapType::Concrete(ty)))
                }
                ConstOp::GlobalGet(g) => {
                    let Some(ty) = m.globals.get(g as usize) else {
                        return Err(Error::invalid(at, format!("unknown global {g}")));
                    };
                    // 2.0 lets constant expressions read imported globals
                    // only; 3.0 allows earlier globals too.
                    if g >= m.num_imported_globals && g >= global {
                        return Err(Error::invalid(at, format!("unknown global {g}")));
                    }
                    if g >= m.num_imported_globals && !self.features.function_references {
                        return Err(later_proposal(
                            &self.features,
                            at,
                            "function-references (global.get of a module-defined global in a constant expression)",
                            &format!("unknown global {g}"),
                        ));
                    }
                    if ty.mutable {
                        return Err(Error::invalid(
                            at,
                            "constant expression required: global.get of a mutable global",
                        ));
                    }
                    ty.content
                }
                ConstOp::Arith(op) => {
                    let ty = op.ty();
                    for _ in 0..2 {
                        match stack.pop() {
                            Some(t) if t == ty => {}
                            Some(t) => {
                                return Err(Error::invalid(
                                    at,
                                    format!("type mismatch: expected {ty}, found {t}"),
                                ));
                            }
                            None => {
                                return Err(Error::invalid(
                                    at,
                                    format!("type mismatch: expected {ty}, found nothing"),
                                ));
                            }
                        }
                    }
                    ty
                }
                ConstOp::NotConstant(what) => {
                    return Err(Error::invalid(
                        at,
                        format!("constant expression required: {what}"),
                    ));
                }
            };
            stack.push(ty);
        }
        match stack.as_slice() {
            [ty] if ty.matches(expected) => Ok(()),
            [ty] => Err(Error::invalid(
                at,
                format!("type mismatch: expected {expected}, found {ty}"),
            )),
            [] => Err(Error::invalid(
                at,
                format!("type mismatch: expected {expected}, found an empty constant expression"),
            )),
            _ => Err(Error::invalid(
                at,
                format!(
                    "type mismatch: constant expression leaves {} values, expected one",
                    stack.len()
                ),
            )),
        }
    }
}

/// The functions a constant expression names with `ref.func`.
pub(super) fn funcs_named(expr: &ConstExpr) -> impl Iterator<Item = u32> + '_ {
    expr.ops.iter().filter_map(|op| match op {
        ConstOp::RefFunc(f) => Some(*f),
        _ => None,
    })
}
