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
use crate::module::{FuncBody, Module};
use crate::runtime::Metering;

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

    /// With fuel on: takes `amount` fuel here, or traps with
    /// `OutOfFuel` (taking nothing) when less is left.
    fn consume_fuel(&mut self, amount: u32);

    /// With epochs on: traps with `Interrupted` here when the engine's epoch
    /// has reached the store's deadline.
    fn check_epoch(&mut self);
}

/// Whether `instr` ends a straight-line run of instructions: control may
/// go elsewhere after it, or arrive after it from elsewhere. A `block` does
/// neither (its branch target is its `end`), so the blocks nested at the top
/// of a `br_table` dispatch share one run instead of one check each.
fn ends_run(instr: &Instr) -> bool {
    match instr {
        Instr::Control(c) => !matches!(c, Control::Nop | Control::Block(_)),
        Instr::Reference(_)
        | Instr::Parametric(_)
        | Instr::Variable(_)
        | Instr::Table(_)
        | Instr::Memory(_)
        | Instr::Numeric(_)
        | Instr::Vector(_) => false,
    }
}

/// The fuel cost of each straight-line run of the body, in order: one unit
/// an instruction, the control instruction that ends the run included.
fn run_costs(module: &Module, body: &FuncBody) -> Result<Vec<u32>, Error> {
    let mut reader = Reader::validated(module, body);
    let mut costs = Vec::new();
    let mut cost = 0u32;
    while !reader.eof() {
        let instr = reader.read()?;
        cost = cost.saturating_add(1);
        if ends_run(&instr) {
            costs.push(cost);
            cost = 0;
        }
    }
    if cost > 0 {
        costs.push(cost);
    }
    Ok(costs)
}

/// Reads defined function `body` of `module` (validated) and hands its
/// instructions to `t`, by group: reachable ones as they are, and in
/// unreachable code only the `else` or `end` that makes code reachable
/// again (blocks opened in unreachable code are followed to their `end` and
/// skipped whole). With `metering`, it also asks `t` to take each run's fuel
/// where the run starts and to check the epoch at the function's entry and
/// at every loop header, so that both tiers meter at the same points.
pub fn translate_body(
    module: &Module,
    body: &FuncBody,
    t: &mut impl Translate,
    metering: Metering,
) -> Result<(), Error> {
    let costs = if metering.fuel {
        run_costs(module, body)?
    } else {
        Vec::new()
    };
    let mut reader = Reader::validated(module, body);
    let (mut dead_depth, mut run, mut run_starts) = (0u32, 0usize, true);
    if metering.epochs {
        t.check_epoch();
    }
    while !reader.eof() {
        let reachable = t.at(reader.position());
        let instr = reader.read()?;
        if run_starts {
            if reachable && metering.fuel {
                t.consume_fuel(costs[run]);
            }
            run += 1;
        }
        run_starts = ends_run(&instr);
        let is_loop = matches!(instr, Instr::Control(Control::Loop(_)));
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
            if is_loop && metering.epochs {
                t.check_epoch();
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
