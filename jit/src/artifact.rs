//! Compiled code kept for later: the machine code, relocations, trap sites
//! and source maps of a module's functions as `compile` made them, before
//! they are placed in memory, written as bytes and read back.
//!
//! Reading checks the structure: every length within the bytes, every
//! function where the module's declarations put it, every relocation of a
//! kind this JIT emits, inside its function and to a declared function,
//! alignments, trap sites and source maps in order and inside their
//! function. It cannot check the code: the bytes must come from [`encode`]
//! of a JIT configured alike, which the container around them (the
//! `skiff` crate's artifacts) vouches for.

use crate::compile::{Compiled, FuncDebug, Output};
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::ir::LibCall;
use cranelift_module::{FuncId, ModuleReloc, ModuleRelocTarget};
use skiff_vm::runtime::TrapKind;
use std::collections::HashSet;
use std::sync::Arc;

/// The relocation kinds the JIT's x86-64 code uses (it is not
/// position-independent), by their number in the encoding, with the bytes
/// each patches.
const RELOCS: [(Reloc, u32); 4] = [
    (Reloc::Abs4, 4),
    (Reloc::Abs8, 8),
    (Reloc::X86PCRel4, 4),
    (Reloc::X86CallPCRel4, 4),
];

/// The largest alignment of a function's code that reading accepts.
const MAX_ALIGNMENT: u64 = 4096;

/// The trap kinds generated code raises, by their number in the encoding.
const TRAPS: [TrapKind; 14] = [
    TrapKind::Unreachable,
    TrapKind::MemoryOutOfBounds,
    TrapKind::TableOutOfBounds,
    TrapKind::UndefinedElement,
    TrapKind::UninitializedElement,
    TrapKind::IndirectCallTypeMismatch,
    TrapKind::NullReference,
    TrapKind::IntegerDivisionByZero,
    TrapKind::IntegerOverflow,
    TrapKind::InvalidConversionToInteger,
    TrapKind::StackExhausted,
    TrapKind::OutOfFuel,
    TrapKind::Interrupted,
    TrapKind::Host,
];

/// The bytes of `outputs`; an error naming what this encoding does not
/// know (a relocation or trap kind), when the code cannot be kept.
pub(crate) fn encode(outputs: &[Output]) -> Result<Vec<u8>, String> {
    let mut w = Writer(Vec::new());
    w.u32(outputs.len() as u32);
    for (func, tramp) in outputs {
        w.compiled(func)?;
        match tramp {
            Some(t) => {
                w.u8(1);
                w.compiled(t)?;
            }
            None => w.u8(0),
        }
    }
    Ok(w.0)
}

/// The outputs `bytes` hold, which must be those of a module declared with
/// functions `func_ids` (its defined functions, the first of index
/// `first_func`) and trampolines `tramp_ids`.
pub(crate) fn decode(
    bytes: &[u8],
    func_ids: &[FuncId],
    tramp_ids: &[Option<FuncId>],
    first_func: u32,
) -> Result<Vec<Output>, String> {
    let declared: HashSet<u32> = func_ids
        .iter()
        .copied()
        .chain(tramp_ids.iter().flatten().copied())
        .map(FuncId::as_u32)
        .collect();
    let mut r = Reader {
        bytes,
        declared: &declared,
    };
    let n = r.u32()? as usize;
    if n != func_ids.len() {
        return Err(format!(
            "code for {n} functions, the module defines {}",
            func_ids.len()
        ));
    }
    let mut outputs = Vec::with_capacity(n);
    for (i, (id, tramp_id)) in func_ids.iter().zip(tramp_ids).enumerate() {
        let func = r.compiled(*id)?;
        if func.debug.as_ref().map(|d| d.func) != Some(first_func + i as u32) {
            return Err("a function without its index, or with another's".into());
        }
        let tramp = match (r.u8()?, tramp_id) {
            (0, None) => None,
            (1, Some(t)) => {
                let tramp = r.compiled(*t)?;
                if tramp.debug.is_some() {
                    return Err("a trampoline with a function's source map".into());
                }
                Some(tramp)
            }
            _ => {
                return Err(
                    "a trampoline where the module has none, or none where it has one".into(),
                );
            }
        };
        outputs.push((func, tramp));
    }
    if !r.bytes.is_empty() {
        return Err(format!("{} bytes after the code", r.bytes.len()));
    }
    Ok(outputs)
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.0.extend_from_slice(b);
    }

    fn compiled(&mut self, c: &Compiled) -> Result<(), String> {
        self.u32(c.id.as_u32());
        self.u64(c.alignment);
        self.bytes(&c.bytes);
        self.u32(c.relocs.len() as u32);
        for reloc in &c.relocs {
            self.u32(reloc.offset);
            let kind = RELOCS.iter().position(|(k, _)| *k == reloc.kind);
            self.u8(kind.ok_or_else(|| format!("relocation {:?}", reloc.kind))? as u8);
            self.u64(reloc.addend as u64);
            match &reloc.name {
                ModuleRelocTarget::User { namespace, index } => {
                    self.u8(0);
                    self.u32(*namespace);
                    self.u32(*index);
                }
                ModuleRelocTarget::LibCall(call) => {
                    self.u8(1);
                    let n = LibCall::all_libcalls().iter().position(|l| l == call);
                    self.u32(n.ok_or_else(|| format!("library call {call:?}"))? as u32);
                }
                ModuleRelocTarget::FunctionOffset(f, offset) => {
                    self.u8(2);
                    self.u32(f.as_u32());
                    self.u32(*offset);
                }
                ModuleRelocTarget::KnownSymbol(s) => return Err(format!("symbol {s:?}")),
            }
        }
        self.u32(c.traps.len() as u32);
        for (offset, kind) in &c.traps {
            self.u32(*offset);
            let n = TRAPS.iter().position(|k| k == kind);
            self.u8(n.ok_or_else(|| format!("trap {kind:?}"))? as u8);
        }
        match &c.debug {
            None => self.u8(0),
            Some(d) => {
                self.u8(1);
                self.u32(d.func);
                match &d.name {
                    Some(name) => {
                        self.u8(1);
                        self.bytes(name.as_bytes());
                    }
                    None => self.u8(0),
                }
                self.u32(d.srclocs.len() as u32);
                for (start, end, offset) in &d.srclocs {
                    self.u32(*start);
                    self.u32(*end);
                    self.u32(*offset);
                }
            }
        }
        Ok(())
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    /// The ids of the functions and trampolines the module declares.
    declared: &'a HashSet<u32>,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.bytes.len() {
            return Err("the code ends early".into());
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    /// A count of items each at least `size` bytes long, checked against
    /// what is left, so that a bad count cannot ask for a huge allocation.
    fn count(&mut self, size: usize) -> Result<usize, String> {
        let n = self.u32()? as usize;
        if n.saturating_mul(size) > self.bytes.len() {
            return Err("the code ends early".into());
        }
        Ok(n)
    }

    fn compiled(&mut self, id: FuncId) -> Result<Compiled, String> {
        if self.u32()? != id.as_u32() {
            return Err("functions out of their declared order".into());
        }
        let alignment = self.u64()?;
        if !alignment.is_power_of_two() || alignment > MAX_ALIGNMENT {
            return Err(format!("an alignment of {alignment}"));
        }
        let bytes = self.bytes()?.to_vec();
        let len = bytes.len() as u64;
        let n = self.count(17)?;
        let mut relocs = Vec::with_capacity(n);
        for _ in 0..n {
            let offset = self.u32()?;
            let (kind, width) = *RELOCS
                .get(self.u8()? as usize)
                .ok_or("an unknown relocation kind")?;
            if u64::from(offset) + u64::from(width) > len {
                return Err("a relocation outside its function".into());
            }
            let addend = self.u64()? as i64;
            let name = match self.u8()? {
                0 => {
                    let (namespace, index) = (self.u32()?, self.u32()?);
                    if namespace != 0 || !self.declared.contains(&index) {
                        return Err("a relocation to an undeclared function".into());
                    }
                    ModuleRelocTarget::User { namespace, index }
                }
                1 => ModuleRelocTarget::LibCall(
                    *LibCall::all_libcalls()
                        .get(self.u32()? as usize)
                        .ok_or("an unknown library call")?,
                ),
                2 => {
                    let (f, at) = (self.u32()?, self.u32()?);
                    if f != id.as_u32() || u64::from(at) > len {
                        return Err("a relocation to another function's code".into());
                    }
                    ModuleRelocTarget::FunctionOffset(id, at)
                }
                _ => return Err("an unknown relocation target".into()),
            };
            relocs.push(ModuleReloc {
                offset,
                kind,
                name,
                addend,
            });
        }
        let n = self.count(5)?;
        let mut traps: Vec<(u32, TrapKind)> = Vec::with_capacity(n);
        for _ in 0..n {
            let offset = self.u32()?;
            let kind = *TRAPS
                .get(self.u8()? as usize)
                .ok_or("an unknown trap kind")?;
            if u64::from(offset) > len || traps.last().is_some_and(|(o, _)| *o > offset) {
                return Err("trap sites out of order or outside their function".into());
            }
            traps.push((offset, kind));
        }
        let debug = match self.u8()? {
            0 => None,
            1 => {
                let func = self.u32()?;
                let name = match self.u8()? {
                    0 => None,
                    _ => Some(Arc::from(
                        std::str::from_utf8(self.bytes()?)
                            .map_err(|_| "a name that is not UTF-8")?,
                    )),
                };
                let n = self.count(12)?;
                let mut srclocs = Vec::with_capacity(n);
                for _ in 0..n {
                    let (start, end, at) = (self.u32()?, self.u32()?, self.u32()?);
                    let after_last = srclocs.last().is_none_or(|(_, e, _)| *e <= start);
                    if start > end || u64::from(end) > len || !after_last {
                        return Err("a source map out of order or outside its function".into());
                    }
                    srclocs.push((start, end, at));
                }
                Some(FuncDebug {
                    func,
                    name,
                    srclocs,
                })
            }
            _ => return Err("a bad debug flag".into()),
        };
        Ok(Compiled {
            id,
            bytes,
            alignment,
            relocs,
            traps,
            debug,
        })
    }
}
