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

    /// With fuel on: takes `amount` fuel here. With `check` (at the
    /// function's entry and at loop headers) it first traps with
    /// `OutOfFuel`, taking nothing, when less is left; without, it takes
    /// the amount whatever is left, which may go below zero.
    fn consume_fuel(&mut self, amount: u32, check: bool);

    /// With epochs on: traps with `Interrupted` here when the engine's epoch
    /// has reached the store's deadline. Called at the function's entry
    /// and, with `loop_header`, at each loop header, where a tier may check
    /// only every so many passes (a bounded number of straight-line
    /// instructions apart) to keep tight loops fast.
    fn check_epoch(&mut self, loop_header: bool);

    /// With fuel on: called before each instruction that [may
    /// trap](Instr::may_trap), so that a tier keeping the fuel left in a
    /// register can write it back to the store first. Nothing by default.
    fn before_trap(&mut self) {}
}

/// The kind of an open block, as far as fuel runs care.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Opened {
    Func,
    Block,
    Loop,
    If,
}

/// The body's straight-line runs, which fuel is charged by: a run starts
/// where control may arrive from elsewhere (a loop header, an `else`, the
/// `end` of an `if` or of a block some branch targets) or continue
/// elsewhere (after a branch, `return`, `unreachable`). A call does not end
/// its run (control comes back to the next instruction), nor does a `block`
/// (its branch target is its `end`) or the `end` of a `loop` or of a block
/// no branch targets, which control only reaches by falling through; so the
/// blocks nested at the top of a `br_table` dispatch share one check, and a
/// call costs no check of its own.
struct Runs {
    /// Per instruction, in order: whether a run ends with it.
    ends: Vec<bool>,
    /// The cost of each run, in order: one unit an instruction, the one that
    /// ends the run included.
    costs: Vec<u32>,
}

impl Runs {
    fn of(module: &Module, body: &FuncBody) -> Result<Runs, Error> {
        let mut reader = Reader::validated(module, body);
        let mut opened = vec![(Opened::Func, false)];
        let (mut ends, mut costs, mut cost) = (Vec::new(), Vec::new(), 0u32);
        let target = |opened: &mut Vec<(Opened, bool)>, depth: u32| {
            let i = opened.len() - 1 - depth as usize;
            opened[i].1 = true;
        };
        while !reader.eof() {
            let ends_run = match reader.read()? {
                Instr::Control(c) => match c {
                    Control::Nop | Control::Block(_) => {
                        if matches!(c, Control::Block(_)) {
                            opened.push((Opened::Block, false));
                        }
                        false
                    }
                    Control::Try(_) => {
                        opened.push((Opened::Block, false));
                        false
                    }
                    // A caught exception lands on a catch block.
                    Control::Catch(_) | Control::CatchAll => true,
                    Control::Delegate(_) => {
                        let (_, targeted) = opened.pop().expect("validated nesting");
                        targeted
                    }
                    Control::TryTable(t) => {
                        // A caught exception lands on the labels of the
                        // clauses, counted from outside the block.
                        for catch in &t.catches {
                            target(&mut opened, catch.label);
                        }
                        opened.push((Opened::Block, false));
                        false
                    }
                    Control::Call(_) | Control::CallIndirect { .. } | Control::CallRef(_) => false,
                    Control::Loop(_) => {
                        opened.push((Opened::Loop, false));
                        true
                    }
                    Control::If(_) => {
                        opened.push((Opened::If, false));
                        true
                    }
                    Control::Else => true,
                    Control::End => {
                        let (kind, targeted) = opened.pop().expect("validated nesting");
                        match kind {
                            Opened::Loop => false,
                            Opened::Block => targeted,
                            Opened::If | Opened::Func => true,
                        }
                    }
                    Control::Br(d)
                    | Control::BrIf(d)
                    | Control::BrOnNull(d)
                    | Control::BrOnNonNull(d) => {
                        target(&mut opened, d);
                        true
                    }
                    Control::BrTable(t) => {
                        for &d in t.targets.iter().chain([&t.default]) {
                            target(&mut opened, d);
                        }
                        true
                    }
                    Control::Return
                    | Control::Unreachable
                    | Control::Throw(_)
                    | Control::ThrowRef
                    | Control::Rethrow(_)
                    | Control::ReturnCall(_)
                    | Control::ReturnCallIndirect { .. }
                    | Control::ReturnCallRef(_) => true,
                },
                Instr::Reference(_)
                | Instr::Parametric(_)
                | Instr::Variable(_)
                | Instr::Table(_)
                | Instr::Memory(_)
                | Instr::Numeric(_)
                | Instr::Vector(_) => false,
            };
            cost = cost.saturating_add(1);
            ends.push(ends_run);
            if ends_run {
                costs.push(cost);
                cost = 0;
            }
        }
        if cost > 0 {
            costs.push(cost);
        }
        Ok(Runs { ends, costs })
    }
}

/// Reads defined function `body` of `module` (validated) and hands its
/// instructions to `t`, by group: reachable ones as they are, and in
/// unreachable code only the `else` or `end` that makes code reachable
/// again (blocks opened in unreachable code are followed to their `end` and
/// skipped whole). With `metering`, it also asks `t` to take each run's fuel
/// where the run starts (checking what is left only where the run starts at
/// the function's entry or a loop header, the points every repetition
/// passes) and to check the epoch at the function's entry and at every loop
/// header, so that both tiers meter at the same points.
pub fn translate_body(
    module: &Module,
    body: &FuncBody,
    t: &mut impl Translate,
    metering: Metering,
) -> Result<(), Error> {
    let runs = if metering.fuel {
        Some(Runs::of(module, body)?)
    } else {
        None
    };
    let mut reader = Reader::validated(module, body);
    let (mut dead_depth, mut run, mut run_starts) = (0u32, 0usize, true);
    // Whether the run starting next starts at the entry or a loop header.
    let mut at_header = true;
    let mut ordinal = 0usize;
    if metering.epochs {
        t.check_epoch(false);
    }
    while !reader.eof() {
        let reachable = t.at(reader.position());
        let instr = reader.read()?;
        if let Some(runs) = &runs {
            if run_starts {
                if reachable {
                    t.consume_fuel(runs.costs[run], at_header);
                }
                run += 1;
            }
            run_starts = runs.ends[ordinal];
            ordinal += 1;
        }
        let is_loop = matches!(instr, Instr::Control(Control::Loop(_)));
        at_header = is_loop;
        if reachable {
            if metering.fuel && instr.may_trap() {
                t.before_trap();
            }
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
                t.check_epoch(true);
            }
            continue;
        }
        match instr {
            Instr::Control(
                Control::Block(_)
                | Control::Loop(_)
                | Control::If(_)
                | Control::TryTable(_)
                | Control::Try(_),
            ) => dead_depth += 1,
            Instr::Control(c @ (Control::Else | Control::Catch(_) | Control::CatchAll))
                if dead_depth == 0 =>
            {
                t.after_unreachable(c)?
            }
            Instr::Control(Control::End | Control::Delegate(_)) if dead_depth > 0 => {
                dead_depth -= 1
            }
            Instr::Control(c @ (Control::End | Control::Delegate(_))) => t.after_unreachable(c)?,
            _ => {}
        }
    }
    Ok(())
}
