//! Reading a function body as [`Instr`]s: the one place where the binary
//! format's operators, as wasmparser decodes them, become Skiff's.

use super::*;
use crate::decode::{convert_ref_type, convert_val_type};
use crate::error::{Error, Result};
use crate::features::Features;
use crate::module::{FuncBody, Module};
use crate::types::{RefType, TypeId};
use wasmparser::{Operator, OperatorsReader};

/// Reads the instructions of one function body.
pub struct Reader<'a> {
    inner: OperatorsReader<'a>,
    features: Features,
    /// The identities of the module's types, which reference types name.
    types: &'a [TypeId],
}

impl<'a> Reader<'a> {
    /// A reader of defined function `body` of `module`, decoding under `features`.
    pub fn new(module: &'a Module, body: &FuncBody, features: &Features) -> Self {
        let reader = wasmparser::BinaryReader::new_features(
            module.operators(body),
            body.operators.start as u64,
            features.decoder_features(),
        );
        Reader {
            inner: OperatorsReader::new(reader),
            features: *features,
            types: &module.type_ids,
        }
    }

    /// A reader of a validated body, decoding as validation did.
    pub fn validated(module: &'a Module, body: &FuncBody) -> Self {
        Reader::new(module, body, &module.features)
    }

    /// Whether every instruction has been read.
    pub fn eof(&self) -> bool {
        self.inner.eof()
    }

    /// The module byte offset of the next instruction.
    pub fn position(&self) -> usize {
        self.inner.original_position() as usize
    }

    /// Checks that nothing follows the body's last `end`.
    pub fn finish(self) -> Result<()> {
        self.inner.finish()?;
        Ok(())
    }

    /// Reads the next instruction.
    pub fn read(&mut self) -> Result<Instr> {
        let pos = self.position();
        let op = self.inner.read()?;
        convert(op, &Scope::new(&self.features, self.types), pos)
    }
}

/// What a module using an instruction of a later proposal gets: under 2.0
/// the opcode is illegal; with later encodings recognized, it is unsupported.
pub(crate) fn beyond_2_0(features: &Features, pos: usize, feature: &str) -> Error {
    if features.decode_later_proposals {
        Error::unsupported(pos, feature)
    } else {
        Error::malformed(
            pos,
            format!("illegal opcode: {feature} is not part of WebAssembly 2.0"),
        )
    }
}

/// The variant name of an operator, for messages.
fn op_name(op: &Operator<'_>) -> String {
    let dbg = format!("{op:?}");
    dbg.split([' ', '{', '(']).next().unwrap_or("?").to_string()
}

fn memarg(m: wasmparser::MemArg, features: &Features, pos: usize) -> Result<MemArg> {
    let memory = match m.target {
        wasmparser::MemArgTarget::Memory(i) => i,
        _ => return Err(beyond_2_0(features, pos, "gc (array memory accesses)")),
    };
    Ok(MemArg {
        align: m.align,
        offset: m.offset,
        memory,
    })
}

/// What converting an operator's types needs: the features and the
/// identities of the module's types.
struct Scope<'a> {
    features: &'a Features,
    types: &'a [TypeId],
}

impl<'a> Scope<'a> {
    fn new(features: &'a Features, types: &'a [TypeId]) -> Self {
        Scope { features, types }
    }

    fn val_type(&self, t: wasmparser::ValType, pos: usize) -> Result<crate::types::ValType> {
        convert_val_type(t, self.features, self.types, pos)
    }

    /// The nullable reference type of heap type `hty` (`ref.null`'s).
    fn heap_ref(&self, hty: wasmparser::HeapType, pos: usize) -> Result<RefType> {
        let ty = wasmparser::RefType::new(true, hty)
            .ok_or_else(|| Error::malformed(pos, "malformed reference type"))?;
        convert_ref_type(ty, self.features, self.types, pos)
    }

    fn block_type(&self, bt: wasmparser::BlockType, pos: usize) -> Result<BlockType> {
        Ok(match bt {
            wasmparser::BlockType::Empty => BlockType::Empty,
            wasmparser::BlockType::Type(t) => BlockType::Value(self.val_type(t, pos)?),
            wasmparser::BlockType::FuncType(i) => BlockType::Func(i),
        })
    }
}

/// The operators whose names and operands are Skiff's own: numeric and
/// vector operators, loads and stores, lane accesses.
fn listed(op: &Operator<'_>, features: &Features, pos: usize) -> Result<Option<Instr>> {
    macro_rules! num_ops {
        ($($name:ident($($p:ident),*) -> $r:ident,)*) => {
            match op {
                $(Operator::$name => return Ok(Some(Instr::Numeric(Numeric::Op(NumOp::$name)))),)*
                _ => {}
            }
        };
    }
    crate::for_each_num_op!(num_ops);
    macro_rules! loads_stores {
        (
            load { $($load:ident: $lt:ident, $lb:literal,)* }
            store { $($store:ident: $st:ident, $sb:literal,)* }
        ) => {
            match op {
                $(Operator::$load { memarg: m } => {
                    let m = memarg(*m, features, pos)?;
                    return Ok(Some(Instr::Memory(MemoryInstr::Load(Load::$load, m))));
                })*
                $(Operator::$store { memarg: m } => {
                    let m = memarg(*m, features, pos)?;
                    return Ok(Some(Instr::Memory(MemoryInstr::Store(Store::$store, m))));
                })*
                _ => {}
            }
        };
    }
    crate::for_each_load_store!(loads_stores);
    match vector_proposal(op) {
        None => return Ok(None),
        Some(Proposal::Simd) if !features.simd => return Err(Error::unsupported(pos, "simd")),
        Some(Proposal::RelaxedSimd) if !features.simd || !features.relaxed_simd => {
            return Err(Error::unsupported(pos, "relaxed simd"));
        }
        Some(_) => {}
    }
    macro_rules! vec_ops {
        ($($name:ident($($p:ident),*) -> $r:ident,)*) => {
            match op {
                $(Operator::$name => return Ok(Some(Instr::Vector(Vector::Op(VecOp::$name)))),)*
                _ => {}
            }
        };
    }
    crate::for_each_vec_op!(vec_ops);
    macro_rules! vec_access {
        (
            load { $($load:ident: $lb:literal,)* }
            load_lane { $($load_lane:ident: $llb:literal,)* }
            store_lane { $($store_lane:ident: $slb:literal,)* }
            extract_lane { $($extract:ident: $el:literal, $et:ident,)* }
            replace_lane { $($replace:ident: $rl:literal, $rt:ident,)* }
        ) => {{
            let v = match op {
                $(Operator::$load { memarg: m } => Vector::Load(VecLoad::$load, memarg(*m, features, pos)?),)*
                $(Operator::$load_lane { memarg: m, lane } => Vector::Lane {
                    op: LaneAccess::$load_lane,
                    memarg: memarg(*m, features, pos)?,
                    lane: *lane,
                },)*
                $(Operator::$store_lane { memarg: m, lane } => Vector::Lane {
                    op: LaneAccess::$store_lane,
                    memarg: memarg(*m, features, pos)?,
                    lane: *lane,
                },)*
                $(Operator::$extract { lane } => Vector::LaneOp { op: LaneOp::$extract, lane: *lane },)*
                $(Operator::$replace { lane } => Vector::LaneOp { op: LaneOp::$replace, lane: *lane },)*
                Operator::V128Store { memarg: m } => Vector::Store(memarg(*m, features, pos)?),
                Operator::V128Const { value } => Vector::Const(u128::from_le_bytes(*value.bytes())),
                Operator::I8x16Shuffle { lanes } => Vector::Shuffle(*lanes),
                _ => return Ok(None),
            };
            Ok(Some(Instr::Vector(v)))
        }};
    }
    crate::for_each_vec_access!(vec_access)
}

/// The proposal that defines a vector instruction.
enum Proposal {
    /// WebAssembly 2.0's SIMD.
    Simd,
    /// Relaxed SIMD, standardized in 3.0.
    RelaxedSimd,
}

/// Which vector proposal `op` belongs to, if it is a vector instruction.
fn vector_proposal(op: &Operator<'_>) -> Option<Proposal> {
    macro_rules! simd_ops {
        (@is simd) => { Some(Proposal::Simd) };
        (@is relaxed_simd) => { Some(Proposal::RelaxedSimd) };
        (@is $other:ident) => { None };
        ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*) )*) => {
            #[allow(unreachable_patterns)]
            match op {
                $( Operator::$op { .. } => simd_ops!(@is $proposal), )*
                _ => None,
            }
        };
    }
    wasmparser::for_each_operator!(simd_ops)
}

/// Skiff's instruction for a decoded operator.
fn convert(op: Operator<'_>, scope: &Scope<'_>, pos: usize) -> Result<Instr> {
    use Operator as O;
    let features = scope.features;
    if let Some(instr) = listed(&op, features, pos)? {
        return Ok(instr);
    }
    Ok(match op {
        O::Unreachable => Instr::Control(Control::Unreachable),
        O::Nop => Instr::Control(Control::Nop),
        O::Block { blockty } => Instr::Control(Control::Block(scope.block_type(blockty, pos)?)),
        O::Loop { blockty } => Instr::Control(Control::Loop(scope.block_type(blockty, pos)?)),
        O::If { blockty } => Instr::Control(Control::If(scope.block_type(blockty, pos)?)),
        O::Else => Instr::Control(Control::Else),
        O::End => Instr::Control(Control::End),
        O::Br { relative_depth } => Instr::Control(Control::Br(relative_depth)),
        O::BrIf { relative_depth } => Instr::Control(Control::BrIf(relative_depth)),
        O::BrTable { targets } => {
            let default = targets.default();
            let targets = targets.targets().collect::<Result<Box<[u32]>, _>>()?;
            Instr::Control(Control::BrTable(BrTable { targets, default }))
        }
        O::Return => Instr::Control(Control::Return),
        O::Call { function_index } => Instr::Control(Control::Call(function_index)),
        O::CallIndirect {
            type_index,
            table_index,
        } => Instr::Control(Control::CallIndirect {
            ty: type_index,
            table: table_index,
        }),
        O::ReturnCall { function_index } if features.tail_call => {
            Instr::Control(Control::ReturnCall(function_index))
        }
        O::ReturnCallIndirect {
            type_index,
            table_index,
        } if features.tail_call => Instr::Control(Control::ReturnCallIndirect {
            ty: type_index,
            table: table_index,
        }),
        O::TryTable { try_table } if features.exceptions => {
            let catches = try_table
                .catches
                .iter()
                .map(|c| match *c {
                    wasmparser::Catch::One { tag, label } => Catch {
                        tag: Some(tag),
                        with_ref: false,
                        label,
                    },
                    wasmparser::Catch::OneRef { tag, label } => Catch {
                        tag: Some(tag),
                        with_ref: true,
                        label,
                    },
                    wasmparser::Catch::All { label } => Catch {
                        tag: None,
                        with_ref: false,
                        label,
                    },
                    wasmparser::Catch::AllRef { label } => Catch {
                        tag: None,
                        with_ref: true,
                        label,
                    },
                })
                .collect();
            Instr::Control(Control::TryTable(TryTable {
                ty: scope.block_type(try_table.ty, pos)?,
                catches,
            }))
        }
        O::Throw { tag_index } if features.exceptions => Instr::Control(Control::Throw(tag_index)),
        O::ThrowRef if features.exceptions => Instr::Control(Control::ThrowRef),
        O::Try { blockty } if features.exceptions => {
            Instr::Control(Control::Try(scope.block_type(blockty, pos)?))
        }
        O::Catch { tag_index } if features.exceptions => Instr::Control(Control::Catch(tag_index)),
        O::CatchAll if features.exceptions => Instr::Control(Control::CatchAll),
        O::Delegate { relative_depth } if features.exceptions => {
            Instr::Control(Control::Delegate(relative_depth))
        }
        O::Rethrow { relative_depth } if features.exceptions => {
            Instr::Control(Control::Rethrow(relative_depth))
        }
        O::Drop => Instr::Parametric(Parametric::Drop),
        O::Select => Instr::Parametric(Parametric::Select),
        O::TypedSelect { ty } => {
            Instr::Parametric(Parametric::TypedSelect(Box::new(
                [scope.val_type(ty, pos)?],
            )))
        }
        O::TypedSelectMulti { tys } => Instr::Parametric(Parametric::TypedSelect(
            tys.iter()
                .map(|t| scope.val_type(*t, pos))
                .collect::<Result<_>>()?,
        )),
        O::LocalGet { local_index } => Instr::Variable(Variable::LocalGet(local_index)),
        O::LocalSet { local_index } => Instr::Variable(Variable::LocalSet(local_index)),
        O::LocalTee { local_index } => Instr::Variable(Variable::LocalTee(local_index)),
        O::GlobalGet { global_index } => Instr::Variable(Variable::GlobalGet(global_index)),
        O::GlobalSet { global_index } => Instr::Variable(Variable::GlobalSet(global_index)),
        O::TableGet { table } => Instr::Table(TableInstr::Get(table)),
        O::TableSet { table } => Instr::Table(TableInstr::Set(table)),
        O::TableSize { table } => Instr::Table(TableInstr::Size(table)),
        O::TableGrow { table } => Instr::Table(TableInstr::Grow(table)),
        O::TableFill { table } => Instr::Table(TableInstr::Fill(table)),
        O::TableCopy {
            dst_table,
            src_table,
        } => Instr::Table(TableInstr::Copy {
            dst: dst_table,
            src: src_table,
        }),
        O::TableInit { elem_index, table } => Instr::Table(TableInstr::Init {
            elem: elem_index,
            table,
        }),
        O::ElemDrop { elem_index } => Instr::Table(TableInstr::ElemDrop(elem_index)),
        O::MemorySize { mem } => Instr::Memory(MemoryInstr::Size { memory: mem }),
        O::MemoryGrow { mem } => Instr::Memory(MemoryInstr::Grow { memory: mem }),
        O::MemoryInit { data_index, mem } => Instr::Memory(MemoryInstr::Init {
            data: data_index,
            memory: mem,
        }),
        O::DataDrop { data_index } => Instr::Memory(MemoryInstr::DataDrop { data: data_index }),
        O::MemoryCopy { dst_mem, src_mem } => Instr::Memory(MemoryInstr::Copy {
            dst: dst_mem,
            src: src_mem,
        }),
        O::MemoryFill { mem } => Instr::Memory(MemoryInstr::Fill { memory: mem }),
        O::RefNull { hty } => Instr::Reference(Reference::Null(scope.heap_ref(hty, pos)?)),
        O::RefAsNonNull if features.function_references => Instr::Reference(Reference::AsNonNull),
        O::CallRef { type_index } if features.function_references => {
            Instr::Control(Control::CallRef(type_index))
        }
        O::ReturnCallRef { type_index } if features.function_references && features.tail_call => {
            Instr::Control(Control::ReturnCallRef(type_index))
        }
        O::BrOnNull { relative_depth } if features.function_references => {
            Instr::Control(Control::BrOnNull(relative_depth))
        }
        O::BrOnNonNull { relative_depth } if features.function_references => {
            Instr::Control(Control::BrOnNonNull(relative_depth))
        }
        O::RefIsNull => Instr::Reference(Reference::IsNull),
        O::RefFunc { function_index } => Instr::Reference(Reference::Func(function_index)),
        O::I32Const { value } => Instr::Numeric(Numeric::I32Const(value)),
        O::I64Const { value } => Instr::Numeric(Numeric::I64Const(value)),
        O::F32Const { value } => Instr::Numeric(Numeric::F32Const(value.bits())),
        O::F64Const { value } => Instr::Numeric(Numeric::F64Const(value.bits())),
        op => {
            return Err(beyond_2_0(
                features,
                pos,
                &format!("instruction {}", op_name(&op)),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_operator_has_its_types() {
        assert_eq!(NumOp::ALL.len(), 136);
        assert_eq!(VecOp::ALL.len(), 218);
        let s = NumOp::I64LtU.signature();
        assert_eq!(s.params, &[crate::types::ValType::I64; 2]);
        assert_eq!(s.result, crate::types::ValType::I32);
        let s = VecOp::I32x4Shl.signature();
        assert_eq!(
            s.params,
            &[crate::types::ValType::V128, crate::types::ValType::I32]
        );
    }
}
