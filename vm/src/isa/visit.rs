//! Walking a validated body in order, for the tiers' translators: what they
//! share of following the body (offsets, unreachable code, block nesting,
//! the dispatch by group) lives here once.
//!
//! A translator implements one trait per instruction group, each in the
//! file of its group, and [`Translate`] for the rest; [`translate_body`]
//! drives it.

use super::{
    Control, Instr, MemoryInstr, Numeric, Parametric, Reader, Reference, TableInstr, Variable,
    Vector,
};
use crate::error::Error;

macro_rules! group_traits {
    ($($(#[$doc:meta])* $trait:ident::$method:ident($ty:ty);)*) => {
        $(
            $(#[$doc])*
            pub trait $trait {
                /// Translates one reachable instruction of the group.
                fn $method(&mut self, instr: $ty) -> Result<(), Error>;
            }
        )*
    };
}

group_traits! {
    /// Translating control instructions.
    TranslateControl::control(Control);
    /// Translating reference instructions.
    TranslateReference::reference(Reference);
    /// Translating parametric instructions.
    TranslateParametric::parametric(Parametric);
    /// Translating variable instructions.
    TranslateVariable::variable(Variable);
    /// Translating table instructions.
    TranslateTable::table(TableInstr);
    /// Translating memory instructions.
    TranslateMemory::memory(MemoryInstr);
    /// Translating numeric instructions.
    TranslateNumeric::numeric(Numeric);
    /// Translating vector instructions.
    TranslateVector::vector(Vector);
}

/// A translator of validated function bodies, driven by [`translate_body`].
pub trait Translate:
    TranslateControl
    + TranslateReference
    + TranslateParametric
    + TranslateVariable
    + TranslateTable
    + TranslateMemory
    + TranslateNumeric
    + TranslateVector
{
    /// Called before each instruction with its byte offset in the module;
    /// answers whether the code there is reachable (not after a `br`,
    /// `return`, `unreachable`, ... of the same block).
    fn at(&mut self, offset: usize) -> bool;

    /// The `else` (of an `if` whose then-branch ends unreachable) or the
    /// `end` (of a block that ends unreachable) that makes code reachable again.
    fn after_unreachable(&mut self, c: Control) -> Result<(), Error>;
}

/// Reads `reader`'s validated body to its end and hands its instructions to
/// `t`, by group: reachable ones as they are, and in unreachable code only
/// the `else` or `end` that makes code reachable again (blocks opened in
/// unreachable code are followed to their `end` and skipped whole).
pub fn translate_body(reader: &mut Reader<'_>, t: &mut impl Translate) -> Result<(), Error> {
    let mut dead_depth = 0u32;
    while !reader.eof() {
        let reachable = t.at(reader.position());
        let instr = reader.read()?;
        if reachable {
            match instr {
                Instr::Control(c) => t.control(c)?,
                Instr::Reference(r) => t.reference(r)?,
                Instr::Parametric(p) => t.parametric(p)?,
                Instr::Variable(v) => t.variable(v)?,
                Instr::Table(i) => t.table(i)?,
                Instr::Memory(m) => t.memory(m)?,
                Instr::Numeric(n) => t.numeric(n)?,
                Instr::Vector(v) => t.vector(v)?,
            }
            continue;
        }
        match instr {
            Instr::Control(Control::Block(_) | Control::Loop(_) | Control::If(_)) => {
                dead_depth += 1
            }
            Instr::Control(c @ Control::Else) if dead_depth == 0 => t.after_unreachable(c)?,
            Instr::Control(Control::End) if dead_depth > 0 => dead_depth -= 1,
            Instr::Control(c @ Control::End) => t.after_unreachable(c)?,
            _ => {}
        }
    }
    Ok(())
}
