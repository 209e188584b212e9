//! Differential testing of Skiff: a module that wasm-smith generates runs on
//! Skiff's interpreter, its JIT, its checked JIT (small memory reservations,
//! every access bounds-checked in the code) and wasmi 2.x, the oracle; each
//! must instantiate (or fail to) alike, every export must return the same
//! values or trap with the same kind, and the exported memories, globals
//! and tables must end the same.
//!
//! Generated modules use WebAssembly 2.0, SIMD included, with extended
//! constants, tail calls and up to two memories, and some relaxed
//! SIMD (whose results the specification leaves to each engine: such a
//! module is compared among Skiff's tiers only, which make the same
//! choices); they import nothing and export everything; wasm-smith
//! canonicalizes NaNs (whose bits the specification leaves open) and makes
//! every loop and call spend a global fuel counter, so that each run ends.
//! Every store is limited alike (16 MiB per memory, 10,000 elements per
//! table), so a large `memory.grow` fails the same way everywhere.
//!
//! [`generate`] turns bytes (a fuzzer's input, or a seed's expansion by
//! [`seed_bytes`]) into a module; [`Engines::check`] runs it everywhere and returns
//! the first divergence.

use arbitrary::Unstructured;
use std::fmt;

/// Bytes of one linear memory, at most, in every store.
pub const MEMORY_LIMIT: usize = 16 << 20;
/// Elements of one table, at most, in every store.
pub const TABLE_LIMIT: usize = 10_000;
/// Fuel of a module (loop iterations and calls, all exports together).
pub const FUEL: u32 = 10_000;

/// A value as every engine can report it: floats by their bits, references
/// by whether they are null (their identities are each engine's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32`, as bits.
    F32(u32),
    /// An `f64`, as bits.
    F64(u64),
    /// A `v128`, as bits.
    V128(u128),
    /// A reference: whether it is null.
    Ref {
        /// Whether the reference is null.
        null: bool,
    },
}

/// Why a run stopped, in terms every engine shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trap {
    /// `unreachable`.
    Unreachable,
    /// A memory access out of bounds.
    MemoryOutOfBounds,
    /// A table access out of bounds (or `call_indirect` past the table's end).
    TableOutOfBounds,
    /// `call_indirect` of a null element.
    IndirectCallToNull,
    /// `call_indirect` of a function of another type.
    BadSignature,
    /// Integer division by zero.
    IntegerDivisionByZero,
    /// Integer overflow.
    IntegerOverflow,
    /// A float that does not convert to the integer type.
    BadConversionToInteger,
    /// The call stack ran out.
    StackExhausted,
    /// Anything else, with the engine's message.
    Other(String),
}

/// What one call of an export did.
pub type CallOutcome = Result<Vec<Value>, Trap>;

/// Everything a run shows: instantiation, each export's call in order, and
/// the exported state at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// `Ok` when instantiation succeeded; a trap when a segment or the
    /// start function trapped; `Other` for any other failure.
    pub instantiation: Result<(), Trap>,
    /// Each exported function's outcome, by name.
    pub calls: Vec<(String, CallOutcome)>,
    /// Each exported memory's bytes, by name.
    pub memories: Vec<(String, Vec<u8>)>,
    /// Each exported global's value, by name.
    pub globals: Vec<(String, Value)>,
    /// Each exported table's elements (whether each is null), by name.
    pub tables: Vec<(String, Vec<bool>)>,
}

impl Run {
    /// A run whose module instantiated, before anything is recorded.
    fn instantiated() -> Run {
        Run {
            instantiation: Ok(()),
            calls: Vec::new(),
            memories: Vec::new(),
            globals: Vec::new(),
            tables: Vec::new(),
        }
    }
}

/// The first difference between two runs.
#[derive(Debug, Clone)]
pub struct Divergence {
    /// Whether Skiff's tiers agree with each other and only wasmi differs:
    /// a bug of all of Skiff's tiers alike (in the runtime they share, say)
    /// or of wasmi, which a third engine decides.
    pub oracle_only: bool,
    /// The engine that differs.
    pub engine: &'static str,
    /// The engine it was compared with.
    pub oracle: &'static str,
    /// What differs (the oracle's outcome first).
    pub what: String,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} differs from {}: {}",
            self.engine, self.oracle, self.what
        )
    }
}

/// The wasm-smith configuration: WebAssembly 2.0 with extended constants, tail
/// calls and up to two memories (SIMD in three modules of four; 64-bit
/// memories and tables allowed where `memory64`) and, in one module of
/// four with SIMD, relaxed SIMD; modules of a
/// few functions of up to a few hundred instructions, some choices left to
/// `u`.
fn config(
    u: &mut Unstructured<'_>,
    memory64: bool,
    exceptions: bool,
) -> arbitrary::Result<wasm_smith::Config> {
    let simd = u.ratio(3, 4)?;
    Ok(wasm_smith::Config {
        simd_enabled: simd,
        relaxed_simd_enabled: simd && u.ratio(1, 4)?,
        bulk_memory_enabled: true,
        reference_types_enabled: true,
        multi_value_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        exceptions_enabled: exceptions,
        gc_enabled: false,
        compact_imports_enabled: false,
        custom_descriptors_enabled: false,
        custom_page_sizes_enabled: false,
        memory64_enabled: memory64,
        shared_everything_threads_enabled: false,
        tail_call_enabled: true,
        threads_enabled: false,
        wide_arithmetic_enabled: false,
        acquire_release_atomics_enabled: false,
        multibyte_array_access_enabled: false,
        extended_const_enabled: true,
        allow_invalid_funcs: false,
        canonicalize_nans: true,
        export_everything: true,
        generate_custom_sections: false,
        max_imports: 0,
        min_funcs: 1,
        max_funcs: u.int_in_range(1..=12)?,
        min_types: 1,
        max_types: 16,
        max_instructions: u.int_in_range(10..=300)?,
        max_memories: u.int_in_range(1..=2)?,
        max_tables: u.int_in_range(0..=3)?,
        max_globals: 12,
        max_data_segments: 8,
        max_element_segments: 8,
        max_elements: 40,
        max_memory32_bytes: MEMORY_LIMIT as u64,
        max_memory64_bytes: MEMORY_LIMIT as u128,
        max_table_elements: 1_000,
        disallow_traps: u.arbitrary()?,
        ..wasm_smith::Config::default()
    })
}

/// A module of WebAssembly 2.0 (and relaxed SIMD) from `data`, whose every loop
/// and call spends fuel (so it ends); `None` when `data` runs out first.
pub fn generate(data: &[u8]) -> Option<Vec<u8>> {
    // 64-bit memories and tables in one module of four, chosen by the sum of
    // the bytes rather than drawn from `data`, so that every other module is
    // the one its seed gave before they were added (a seed held in tests).
    // Exception handling in another one of four, likewise.
    let kind = data.iter().fold(0u8, |sum, b| sum.wrapping_add(*b)) % 4;
    let mut u = Unstructured::new(data);
    let config = config(&mut u, kind == 0, kind == 1).ok()?;
    let mut module = wasm_smith::Module::new(config, &mut u).ok()?;
    module.ensure_termination(FUEL).ok()?;
    Some(module.to_bytes())
}

/// `len` bytes expanded from `seed` (SplitMix64): the input of [`generate`]
/// for a fixed seed.
pub fn seed_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// The arguments an export is called with: its `i`-th parameter of type
/// `ty` gets one of a few interesting values, chosen from the export's
/// position and the parameter's.
fn argument(export: usize, i: usize, ty: ArgType) -> Value {
    const INTS: [i64; 10] = [
        0,
        1,
        -1,
        7,
        65_535,
        65_536,
        i32::MAX as i64,
        i32::MIN as i64,
        i64::MAX,
        0x1234_5678_9abc,
    ];
    const FLOATS: [f64; 8] = [0.0, -0.0, 1.5, -2.5, 1e10, f64::INFINITY, 65_536.0, -1e-10];
    let k = export.wrapping_mul(31).wrapping_add(i * 7);
    match ty {
        ArgType::I32 => Value::I32(INTS[k % INTS.len()] as i32),
        ArgType::I64 => Value::I64(INTS[k % INTS.len()]),
        ArgType::F32 => Value::F32((FLOATS[k % FLOATS.len()] as f32).to_bits()),
        ArgType::F64 => Value::F64(FLOATS[k % FLOATS.len()].to_bits()),
        // Lanes of several widths at once: two integers and a float pattern.
        ArgType::V128 => {
            let lo = INTS[k % INTS.len()] as u64;
            let hi = FLOATS[(k + 3) % FLOATS.len()].to_bits();
            Value::V128(u128::from(lo) | u128::from(hi) << 64)
        }
        ArgType::Ref => Value::Ref { null: true },
    }
}

/// A parameter's type, as far as [`argument`] cares.
#[derive(Debug, Clone, Copy)]
enum ArgType {
    I32,
    I64,
    F32,
    F64,
    V128,
    Ref,
}

/// The Skiff engines under test, made once.
pub struct Engines {
    skiff: Vec<(&'static str, skiff::Engine)>,
    wasmi: wasmi::Engine,
}

impl Default for Engines {
    fn default() -> Self {
        Engines::new()
    }
}

impl Engines {
    /// Skiff's interpreter, JIT, checked JIT (1 GiB reservations, no
    /// guard) and tiered engine (every module started interpreted), and wasmi with WebAssembly 2.0's features (SIMD included).
    pub fn new() -> Self {
        use skiff::{Engine, EngineKind, MemoryConfig};
        let checked = MemoryConfig {
            reservation: 1 << 30,
            guard: 0,
        };
        let skiff = vec![
            (
                "interp",
                Engine::new(EngineKind::Interp).expect("the interpreter"),
            ),
            ("jit", Engine::new(EngineKind::Jit).expect("the JIT")),
            (
                "jit-checked",
                Engine::with_memory_config(EngineKind::Jit, checked).expect("the checked JIT"),
            ),
            // The tiered engine with every module started on the
            // interpreter: calls move to compiled code whenever the
            // background compilation ends.
            (
                "auto",
                Engine::with_config(
                    skiff::Config::new()
                        .strategy(EngineKind::Auto)
                        .eager_compile_below(0),
                )
                .expect("the tiered engine"),
            ),
        ];
        let mut config = wasmi::Config::default();
        config
            .wasm_tail_call(true)
            .wasm_extended_const(true)
            .wasm_multi_memory(true)
            .wasm_custom_page_sizes(false)
            .wasm_wide_arithmetic(false)
            .wasm_simd(true)
            .wasm_relaxed_simd(false)
            .set_max_recursion_depth(100_000)
            .compilation_mode(wasmi::CompilationMode::Eager);
        Engines {
            skiff,
            wasmi: wasmi::Engine::new(&config),
        }
    }

    /// The Skiff engines, by name.
    pub fn skiff(&self) -> &[(&'static str, skiff::Engine)] {
        &self.skiff
    }

    /// The oracle's engine.
    pub fn wasmi(&self) -> &wasmi::Engine {
        &self.wasmi
    }

    /// Runs `bytes` on wasmi and every Skiff engine, and compares: Skiff's
    /// JIT and checked JIT with its interpreter, strictly; the interpreter
    /// with wasmi, except where wasmi is known to be wrong.
    pub fn check(&self, bytes: &[u8]) -> Result<Verdict, Divergence> {
        let Some(names) = export_names(bytes) else {
            return Ok(Verdict::Rejected);
        };
        let relaxed = uses_relaxed_simd(bytes);
        let exceptions = uses_exceptions(bytes);
        let want = if relaxed || exceptions {
            None
        } else {
            let Some(want) = run_wasmi(&self.wasmi, bytes, &names) else {
                return Ok(Verdict::Rejected);
            };
            Some(want)
        };
        let mut runs = Vec::with_capacity(self.skiff.len());
        for (name, engine) in &self.skiff {
            let run = run_skiff(engine, bytes, &names).map_err(|e| Divergence {
                oracle_only: false,
                engine: name,
                oracle: "wasmi",
                what: format!("rejected the module: {e}"),
            })?;
            runs.push((*name, run));
        }
        let (first, reference) = &runs[0];
        for (name, run) in &runs[1..] {
            compare(reference, run).map_err(|what| Divergence {
                oracle_only: false,
                engine: name,
                oracle: first,
                what,
            })?;
        }
        let Some(want) = want else {
            return Ok(if relaxed {
                Verdict::Relaxed
            } else {
                Verdict::Exceptions
            });
        };
        match compare(&want, reference) {
            Ok(()) => Ok(Verdict::Same {
                calls: want.calls.len(),
                traps: want.calls.iter().filter(|(_, o)| o.is_err()).count(),
            }),
            Err(_) if wasmi_suspect(bytes) => Ok(Verdict::OracleSuspect),
            Err(what) => Err(Divergence {
                oracle_only: true,
                engine: first,
                oracle: "wasmi",
                what,
            }),
        }
    }
}

/// How a module compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Every engine showed the same, after so many calls of which so many trapped.
    Same {
        /// Exports called.
        calls: usize,
        /// Calls that trapped.
        traps: usize,
    },
    /// wasmi rejected the module (or it has no export section to read): not compared.
    Rejected,
    /// Skiff's tiers agreed with each other, and wasmi differed on a module
    /// with a pattern wasmi 2.0.0 is known to get wrong ([`wasmi_suspect`]).
    OracleSuspect,
    /// The module uses relaxed SIMD, whose results the specification leaves
    /// to each engine: Skiff's tiers agreed with each other, and wasmi (which
    /// makes other choices) was not asked.
    Relaxed,
    /// The module uses exception handling, which wasmi lacks: Skiff's tiers
    /// agreed with each other, and wasmi was not asked.
    Exceptions,
}

/// Whether `bytes` throws or catches exceptions (or declares tags).
pub fn uses_exceptions(bytes: &[u8]) -> bool {
    use wasmparser::Operator as O;
    let tags = wasmparser::Parser::new(0)
        .parse_all(bytes)
        .any(|p| matches!(p, Ok(wasmparser::Payload::TagSection(_))));
    tags || any_body(bytes, |ops| {
        ops.iter().any(|op| {
            matches!(
                op,
                O::TryTable { .. } | O::Throw { .. } | O::ThrowRef | O::Try { .. }
            )
        })
    })
}

/// Whether `bytes` uses a relaxed SIMD instruction.
pub fn uses_relaxed_simd(bytes: &[u8]) -> bool {
    use wasmparser::Operator as O;
    any_body(bytes, |ops| {
        ops.iter().any(|op| {
            matches!(
                op,
                O::I8x16RelaxedSwizzle
                    | O::I32x4RelaxedTruncF32x4S
                    | O::I32x4RelaxedTruncF32x4U
                    | O::I32x4RelaxedTruncF64x2SZero
                    | O::I32x4RelaxedTruncF64x2UZero
                    | O::F32x4RelaxedMadd
                    | O::F32x4RelaxedNmadd
                    | O::F64x2RelaxedMadd
                    | O::F64x2RelaxedNmadd
                    | O::I8x16RelaxedLaneselect
                    | O::I16x8RelaxedLaneselect
                    | O::I32x4RelaxedLaneselect
                    | O::I64x2RelaxedLaneselect
                    | O::F32x4RelaxedMin
                    | O::F32x4RelaxedMax
                    | O::F64x2RelaxedMin
                    | O::F64x2RelaxedMax
                    | O::I16x8RelaxedQ15mulrS
                    | O::I16x8RelaxedDotI8x16I7x16S
                    | O::I32x4RelaxedDotI8x16I7x16AddS
            )
        })
    })
}

/// Whether `bytes` holds what wasmi 2.0.0 miscompiles: a `select` whose
/// condition is an `eqz` right before it. wasmi returns the second operand
/// of `(select (i32.ctz (local.get 0)) (i32.const 5) (i32.eqz (local.get 1)))`
/// with both locals 0, where the specification (and wasmtime) say 32.
/// wasm-smith makes that pattern whenever it guards a division against zero.
pub fn wasmi_suspect(bytes: &[u8]) -> bool {
    use wasmparser::Operator as O;
    any_body(bytes, |ops| {
        ops.windows(2).any(|pair| {
            matches!(pair[0], O::I32Eqz | O::I64Eqz)
                && matches!(pair[1], O::Select | O::TypedSelect { .. })
        })
    })
}

/// Whether `pred` holds for the operators of some function body of `bytes`
/// (each read up to its end, or to what does not decode).
fn any_body(bytes: &[u8], mut pred: impl FnMut(&[wasmparser::Operator<'_>]) -> bool) -> bool {
    wasmparser::Parser::new(0).parse_all(bytes).any(|payload| {
        let Ok(wasmparser::Payload::CodeSectionEntry(body)) = payload else {
            return false;
        };
        let Ok(reader) = body.get_operators_reader() else {
            return false;
        };
        let ops: Vec<_> = reader.into_iter().map_while(Result::ok).collect();
        pred(&ops)
    })
}

/// The names of the module's exports, in the order of its export section:
/// the order every engine calls and inspects them in.
pub fn export_names(bytes: &[u8]) -> Option<Vec<String>> {
    let mut names = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        if let wasmparser::Payload::ExportSection(reader) = payload.ok()? {
            for export in reader {
                names.push(export.ok()?.name.to_string());
            }
        }
    }
    Some(names)
}

/// The first difference between the oracle's run and another, where a
/// stack exhaustion on either side ends the comparison (each engine has
/// its own depth limit; what follows it may differ legitimately).
fn compare(want: &Run, got: &Run) -> Result<(), String> {
    let same_instantiation = match (&want.instantiation, &got.instantiation) {
        (Ok(()), Ok(())) => true,
        (Err(w), Err(g)) => same_trap(w, g),
        _ => false,
    };
    if matches!(want.instantiation, Err(Trap::StackExhausted))
        || matches!(got.instantiation, Err(Trap::StackExhausted))
    {
        return Ok(());
    }
    if !same_instantiation {
        return Err(format!(
            "instantiation: {:?}, then {:?}",
            want.instantiation, got.instantiation
        ));
    }
    for ((name, w), (_, g)) in want.calls.iter().zip(&got.calls) {
        let exhausted = |o: &CallOutcome| matches!(o, Err(Trap::StackExhausted));
        if exhausted(w) || exhausted(g) {
            return Ok(());
        }
        if !same_outcome(w, g) {
            return Err(format!("export {name:?}: {w:?}, then {g:?}"));
        }
    }
    if want.calls.len() != got.calls.len() {
        return Err(format!(
            "{} exports called on wasmi, {} here",
            want.calls.len(),
            got.calls.len()
        ));
    }
    for ((name, w), (_, g)) in want.memories.iter().zip(&got.memories) {
        if w != g {
            let at = w.iter().zip(g).position(|(a, b)| a != b);
            return Err(format!(
                "memory {name:?}: {} bytes first, {} then; first difference at {at:?}",
                w.len(),
                g.len()
            ));
        }
    }
    if want.globals != got.globals {
        return Err(format!(
            "globals: {:?}, then {:?}",
            want.globals, got.globals
        ));
    }
    if want.tables != got.tables {
        return Err("tables differ (sizes or null elements)".to_string());
    }
    Ok(())
}

/// Whether two outcomes agree; NaNs agree whatever their bits (wasm-smith
/// canonicalizes those arithmetic makes, but a NaN returned as it was
/// passed keeps its payload on every engine anyway).
fn same_outcome(a: &CallOutcome, b: &CallOutcome) -> bool {
    match (a, b) {
        (Ok(x), Ok(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_value(p, q)),
        (Err(x), Err(y)) => same_trap(x, y),
        _ => false,
    }
}

/// Whether two traps agree: the same kind, and any two failures that are
/// no Wasm trap (a limit, a resource) whatever their messages say.
fn same_trap(a: &Trap, b: &Trap) -> bool {
    matches!((a, b), (Trap::Other(_), Trap::Other(_))) || a == b
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::F32(x), Value::F32(y)) => {
            x == y || (f32::from_bits(*x).is_nan() && f32::from_bits(*y).is_nan())
        }
        (Value::F64(x), Value::F64(y)) => {
            x == y || (f64::from_bits(*x).is_nan() && f64::from_bits(*y).is_nan())
        }
        _ => a == b,
    }
}

/// Runs `bytes`, whose exports are `names`, on Skiff's `engine`: an error
/// when Skiff rejects the module.
pub fn run_skiff(engine: &skiff::Engine, bytes: &[u8], names: &[String]) -> Result<Run, String> {
    use skiff::{ExternType, Linker, Module, Store, StoreLimits, StoreLimitsBuilder, Val};
    let module = Module::new(engine, bytes).map_err(|e| e.to_string())?;
    let limits = StoreLimitsBuilder::new()
        .memory_size(MEMORY_LIMIT)
        .table_elements(TABLE_LIMIT)
        .build();
    let mut store = Store::new(engine, limits);
    store.limiter(|l: &mut StoreLimits| l);
    let mut run = Run::instantiated();
    let instance = match Linker::new().instantiate(&mut store, &module) {
        Ok(i) => i,
        Err(skiff::InstantiationError::Trap(t)) => {
            run.instantiation = Err(skiff_trap(&t));
            return Ok(run);
        }
        Err(e) => {
            run.instantiation = Err(Trap::Other(e.to_string()));
            return Ok(run);
        }
    };
    let types: std::collections::HashMap<&str, ExternType> = module.exports().collect();
    let exports: Vec<(String, ExternType)> = names
        .iter()
        .map(|n| (n.clone(), types[n.as_str()].clone()))
        .collect();
    for (k, (name, ty)) in exports.iter().enumerate() {
        let ExternType::Func(fty) = ty else { continue };
        let func = instance.get_func(&store, name).expect("exported");
        let args: Vec<Val> = fty
            .params()
            .iter()
            .enumerate()
            .map(|(i, t)| match argument(k, i, arg_type_skiff(*t)) {
                Value::Ref { .. } => Val::default_of(*t),
                v => to_skiff(v),
            })
            .collect();
        let mut results = vec![Val::I32(0); fty.results().len()];
        let outcome = match func.call(&mut store, &args, &mut results) {
            Ok(()) => Ok(results.iter().map(from_skiff).collect()),
            Err(t) => Err(skiff_trap(&t)),
        };
        run.calls.push((name.clone(), outcome));
    }
    for (name, ty) in &exports {
        match ty {
            ExternType::Memory(_) => {
                let m = instance.get_memory(&store, name).expect("exported");
                run.memories.push((name.clone(), m.data(&store).to_vec()));
            }
            ExternType::Global(_) => {
                let g = instance.get_global(&store, name).expect("exported");
                run.globals.push((name.clone(), from_skiff(&g.get(&store))));
            }
            ExternType::Table(_) => {
                let t = instance.get_table(&store, name).expect("exported");
                let nulls = (0..t.size(&store))
                    .map(|i| match t.get(&store, i) {
                        Some(Val::FuncRef(r)) => r.is_none(),
                        Some(Val::ExternRef(r)) => r.is_none(),
                        _ => true,
                    })
                    .collect();
                run.tables.push((name.clone(), nulls));
            }
            ExternType::Func(_) | ExternType::Tag(_) => {}
        }
    }
    Ok(run)
}

fn arg_type_skiff(t: skiff::ValType) -> ArgType {
    match t {
        skiff::ValType::I32 => ArgType::I32,
        skiff::ValType::I64 => ArgType::I64,
        skiff::ValType::F32 => ArgType::F32,
        skiff::ValType::F64 => ArgType::F64,
        skiff::ValType::V128 => ArgType::V128,
        _ => ArgType::Ref,
    }
}

fn to_skiff(v: Value) -> skiff::Val {
    match v {
        Value::I32(x) => skiff::Val::I32(x),
        Value::I64(x) => skiff::Val::I64(x),
        Value::F32(x) => skiff::Val::F32(x),
        Value::F64(x) => skiff::Val::F64(x),
        Value::V128(x) => skiff::Val::V128(x),
        Value::Ref { .. } => unreachable!("references are passed by type"),
    }
}

fn from_skiff(v: &skiff::Val) -> Value {
    match v {
        skiff::Val::I32(x) => Value::I32(*x),
        skiff::Val::I64(x) => Value::I64(*x),
        skiff::Val::F32(x) => Value::F32(*x),
        skiff::Val::F64(x) => Value::F64(*x),
        skiff::Val::V128(x) => Value::V128(*x),
        skiff::Val::FuncRef(r) => Value::Ref { null: r.is_none() },
        skiff::Val::ExternRef(r) => Value::Ref { null: r.is_none() },
        skiff::Val::ExnRef(r) => Value::Ref { null: r.is_none() },
    }
}

fn skiff_trap(t: &skiff::Trap) -> Trap {
    use skiff::TrapKind as K;
    match t.kind() {
        K::Unreachable => Trap::Unreachable,
        K::MemoryOutOfBounds => Trap::MemoryOutOfBounds,
        K::TableOutOfBounds | K::UndefinedElement => Trap::TableOutOfBounds,
        K::UninitializedElement => Trap::IndirectCallToNull,
        K::IndirectCallTypeMismatch => Trap::BadSignature,
        K::IntegerDivisionByZero => Trap::IntegerDivisionByZero,
        K::IntegerOverflow => Trap::IntegerOverflow,
        K::InvalidConversionToInteger => Trap::BadConversionToInteger,
        K::StackExhausted => Trap::StackExhausted,
        // The same whichever frames it left.
        K::Exception(_) => Trap::Other("uncaught exception".into()),
        _ => Trap::Other(t.to_string()),
    }
}

/// Runs `bytes`, whose exports are `names`, on wasmi; `None` when wasmi
/// rejects the module.
pub fn run_wasmi(engine: &wasmi::Engine, bytes: &[u8], names: &[String]) -> Option<Run> {
    use wasmi::{Extern, Linker, Module, Ref, Store, StoreLimits, StoreLimitsBuilder, Val};
    let module = Module::new(engine, bytes).ok()?;
    let limits = StoreLimitsBuilder::new()
        .memory_size(MEMORY_LIMIT)
        .table_elements(TABLE_LIMIT)
        .build();
    let mut store = Store::new(engine, limits);
    store.limiter(|l: &mut StoreLimits| l);
    let mut run = Run::instantiated();
    let instance =
        match Linker::<StoreLimits>::new(engine).instantiate_and_start(&mut store, &module) {
            Ok(i) => i,
            Err(e) => {
                run.instantiation = Err(wasmi_trap(&e));
                return Some(run);
            }
        };
    for (k, name) in names.iter().enumerate() {
        let Some(Extern::Func(func)) = instance.get_export(&store, name) else {
            continue;
        };
        let ty = func.ty(&store);
        let args: Vec<Val> = ty
            .params()
            .iter()
            .enumerate()
            .map(|(i, t)| match argument(k, i, arg_type_wasmi(*t)) {
                Value::I32(x) => Val::I32(x),
                Value::I64(x) => Val::I64(x),
                Value::F32(x) => Val::F32(wasmi::F32::from_bits(x)),
                Value::F64(x) => Val::F64(wasmi::F64::from_bits(x)),
                Value::V128(x) => Val::V128(x.into()),
                Value::Ref { .. } => Val::default_for_ty(*t),
            })
            .collect();
        let mut results: Vec<Val> = ty
            .results()
            .iter()
            .map(|t| Val::default_for_ty(*t))
            .collect();
        let outcome = match func.call(&mut store, &args, &mut results) {
            Ok(()) => Ok(results.iter().map(from_wasmi).collect()),
            Err(e) => Err(wasmi_trap(&e)),
        };
        run.calls.push((name.to_string(), outcome));
    }
    for name in names {
        match instance.get_export(&store, name) {
            Some(Extern::Memory(m)) => run
                .memories
                .push((name.to_string(), m.data(&store).to_vec())),
            Some(Extern::Global(g)) => run
                .globals
                .push((name.to_string(), from_wasmi(&g.get(&store)))),
            Some(Extern::Table(t)) => {
                let nulls = (0..t.size(&store))
                    .map(|i| match t.get(&store, i) {
                        Some(Ref::Func(r)) => r.is_null(),
                        Some(Ref::Extern(r)) => r.is_null(),
                        None => true,
                    })
                    .collect();
                run.tables.push((name.to_string(), nulls));
            }
            _ => {}
        }
    }
    Some(run)
}

fn arg_type_wasmi(t: wasmi::ValType) -> ArgType {
    match t {
        wasmi::ValType::I32 => ArgType::I32,
        wasmi::ValType::I64 => ArgType::I64,
        wasmi::ValType::F32 => ArgType::F32,
        wasmi::ValType::F64 => ArgType::F64,
        wasmi::ValType::V128 => ArgType::V128,
        _ => ArgType::Ref,
    }
}

fn from_wasmi(v: &wasmi::Val) -> Value {
    match v {
        wasmi::Val::I32(x) => Value::I32(*x),
        wasmi::Val::I64(x) => Value::I64(*x),
        wasmi::Val::F32(x) => Value::F32(x.to_bits()),
        wasmi::Val::F64(x) => Value::F64(x.to_bits()),
        wasmi::Val::V128(x) => Value::V128(x.as_u128()),
        wasmi::Val::FuncRef(r) => Value::Ref { null: r.is_null() },
        wasmi::Val::ExternRef(r) => Value::Ref { null: r.is_null() },
    }
}

fn wasmi_trap(e: &wasmi::Error) -> Trap {
    use wasmi::TrapCode as C;
    match e.as_trap_code() {
        Some(C::UnreachableCodeReached) => Trap::Unreachable,
        Some(C::MemoryOutOfBounds) => Trap::MemoryOutOfBounds,
        Some(C::TableOutOfBounds) => Trap::TableOutOfBounds,
        Some(C::IndirectCallToNull) => Trap::IndirectCallToNull,
        Some(C::BadSignature) => Trap::BadSignature,
        Some(C::IntegerDivisionByZero) => Trap::IntegerDivisionByZero,
        Some(C::IntegerOverflow) => Trap::IntegerOverflow,
        Some(C::BadConversionToInteger) => Trap::BadConversionToInteger,
        Some(C::StackOverflow) => Trap::StackExhausted,
        Some(_) => Trap::Other(e.to_string()),
        // Segments that do not fit fail instantiation with an error of the
        // table or memory, not a trap code.
        None => {
            let message = e.to_string();
            if message.contains("out of bounds table access") {
                Trap::TableOutOfBounds
            } else if message.contains("out of bounds memory access") {
                Trap::MemoryOutOfBounds
            } else {
                Trap::Other(message)
            }
        }
    }
}
