//! Skiff's instruction set, defined once.
//!
//! Every instruction Skiff knows is a variant of [`Instr`], grouped as the
//! specification groups them: [`Control`], [`Reference`], [`Parametric`],
//! [`Variable`], [`TableInstr`], [`MemoryInstr`], [`Numeric`] and
//! [`Vector`]. The numeric and vector operators and the loads and stores
//! come from lists ([`for_each_num_op!`](crate::for_each_num_op),
//! [`for_each_vec_op!`](crate::for_each_vec_op),
//! [`for_each_load_store!`](crate::for_each_load_store),
//! [`for_each_vec_access!`](crate::for_each_vec_access)) that also give
//! their types, so the validator checks them from the table and the tiers
//! can generate code keyed by them.
//!
//! [`Reader`] is the one place that turns the binary format's operators
//! (wasmparser's) into these; everything after it — the validator, the
//! interpreter's translator, the JIT's lowering — matches [`Instr`]
//! exhaustively, in files named after the groups, so an instruction added
//! here fails to compile until every stage handles it, and a tier that
//! lacks a group says so in one arm. The group files of each stage deny
//! clippy's `wildcard_enum_match_arm`, so none of them can hide an
//! instruction behind a catch-all arm. What that buys, in one line: a stage
//! whose match forgets an operator does not build.
//!
//! ```compile_fail,E0004
//! use skiff_vm::isa::NumOp;
//! fn lower(op: NumOp) -> &'static str {
//!     match op {
//!         NumOp::I32Add => "iadd",
//!         // ... every operator but one ...
//!     }
//! }
//! ```

mod control;
mod memory;
mod numeric;
mod parametric;
mod read;
mod reference;
mod table;
mod variable;
mod vector;
mod visit;

pub use control::{BlockType, BrTable, Catch, Control, FrameKind, TryTable};
pub use memory::{Load, MemArg, MemoryInstr, Store};
pub use numeric::{NumOp, Numeric, Signature};
pub use parametric::Parametric;
pub use read::Reader;
pub use reference::Reference;
pub use table::TableInstr;
pub use variable::Variable;
pub use vector::{LaneAccess, LaneOp, VecLoad, VecOp, Vector};
pub use visit::{
    Translate, TranslateControl, TranslateMemory, TranslateNumeric, TranslateParametric,
    TranslateReference, TranslateTable, TranslateVariable, TranslateVector, translate_body,
};

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instr {
    /// Blocks, branches, calls.
    Control(Control),
    /// `ref.null`, `ref.is_null`, `ref.func`.
    Reference(Reference),
    /// `drop`, `select`.
    Parametric(Parametric),
    /// Locals and globals.
    Variable(Variable),
    /// Table instructions.
    Table(TableInstr),
    /// Loads, stores and whole-memory instructions.
    Memory(MemoryInstr),
    /// Constants and numeric operators.
    Numeric(Numeric),
    /// 128-bit SIMD.
    Vector(Vector),
}

impl Instr {
    /// Whether the instruction may trap by itself, or hand control to the
    /// runtime or the host, which may trap. A call of a function by index
    /// counts as not trapping: a trap in the callee is the callee's, and a
    /// call of an import is a call into the runtime, which a tier handles
    /// where it makes it. Conservative: an instruction that could trap in
    /// some form counts as trapping.
    ///
    /// A tier that keeps the fuel left in a register writes it back to the
    /// store before such an instruction, so that the store's count is exact
    /// when the code traps.
    pub fn may_trap(&self) -> bool {
        match self {
            Instr::Control(c) => !matches!(
                c,
                Control::Nop
                    | Control::Block(_)
                    | Control::TryTable(_)
                    | Control::Try(_)
                    | Control::Catch(_)
                    | Control::CatchAll
                    | Control::Delegate(_)
                    | Control::Loop(_)
                    | Control::If(_)
                    | Control::Else
                    | Control::End
                    | Control::Br(_)
                    | Control::BrIf(_)
                    | Control::BrTable(_)
                    | Control::Return
                    | Control::Call(_)
                    | Control::ReturnCall(_)
            ),
            Instr::Reference(r) => matches!(r, Reference::Func(_) | Reference::AsNonNull),
            Instr::Parametric(_) | Instr::Variable(_) => false,
            Instr::Table(_) | Instr::Memory(_) => true,
            Instr::Numeric(Numeric::Op(op)) => op.may_trap(),
            Instr::Numeric(_) => false,
            Instr::Vector(v) => {
                matches!(v, Vector::Load(..) | Vector::Store(_) | Vector::Lane { .. })
            }
        }
    }
}
