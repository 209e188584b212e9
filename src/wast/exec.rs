//! Running a script's execution directives on a tier: the per-file state
//! (store, linker with `spectest`, current and named instances, module
//! definitions) and what each directive checks.
//!
//! A module that cannot run (it needs a feature its tier or the runtime does
//! not implement yet) is skipped, and so is everything that depends on it:
//! invoking or registering it, instantiating a module that imports from it.
//! A module that fails (does not validate, compile or instantiate when it
//! should, also for lack of resources such as address space for its memory)
//! is a failure, and so is everything that depends on it.

use super::script::Loaded;
use super::{spectest, values};
use skiff_vm::runtime::{
    CompiledModule, Extern, InstanceId, InstantiationError, Linker, MemoryConfig, Store, Tier,
    Trap, TrapKind, Value,
};
use skiff_vm::{ErrorKind, ValidatedModule};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use wast::core::WastRetCore;
use wast::{WastExecute, WastInvoke, WastRet};

/// Why every execution directive is skipped under `--engine jit`.
pub const JIT_MISSING: &str = "the JIT is not available (not built in, or not this platform)";

/// Why a directive that needs a skipped module is skipped.
pub const MODULE_SKIPPED: &str = "module was skipped";

/// An engine the runner can run scripts on: a tier, or the reason there is none.
pub struct Engine {
    name: &'static str,
    tier: Result<Arc<dyn Tier>, &'static str>,
    memory: MemoryConfig,
}

/// The memories of `jit-checked`: 1 GiB each, no guard region, so that the
/// code checks every access.
pub const CHECKED_MEMORY: MemoryConfig = MemoryConfig {
    reservation: 1 << 30,
    guard: 0,
};

impl Engine {
    /// The names `--engine` accepts: the interpreter, the JIT, the JIT
    /// with explicit bounds checks on small memory reservations, and the
    /// tiered engine with every module started on the interpreter (so that
    /// scripts run partly interpreted, partly compiled, as the background
    /// compilation happens to end).
    pub const NAMES: [&'static str; 4] = ["interp", "jit", "jit-checked", "auto"];

    /// The engine `--engine NAME` names, if any.
    pub fn by_name(name: &str) -> Option<Engine> {
        let jit = |name, memory| Engine {
            name,
            tier: crate::engine::jit_tier(memory, Default::default()).map_err(|_| JIT_MISSING),
            memory,
        };
        match name {
            "interp" => Some(Engine {
                name: "interp",
                tier: Ok(Arc::new(skiff_interp::Interpreter::new())),
                memory: MemoryConfig::CHECKED,
            }),
            "jit" => Some(jit("jit", MemoryConfig::GUARDED)),
            "jit-checked" => Some(jit("jit-checked", CHECKED_MEMORY)),
            "auto" => Some(Engine {
                name: "auto",
                tier: crate::engine::tiered_tier(MemoryConfig::GUARDED, Default::default(), 0)
                    .map_err(|_| JIT_MISSING),
                memory: MemoryConfig::GUARDED,
            }),
            _ => None,
        }
    }

    /// Its name, as `--engine` spells it.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// What became of a directive, before it is tallied with its line.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It did what the script expects.
    Pass,
    /// It did, but Skiff's message is not the script's.
    PassNoting {
        /// The script's message.
        expected: String,
        /// Skiff's.
        actual: String,
    },
    /// It did not.
    Fail {
        /// What happened.
        message: String,
        /// What the script expected, if it says.
        expected: Option<String>,
    },
    /// It could not be run; why.
    Skip(String),
}

fn fail(message: impl Into<String>) -> Verdict {
    Verdict::Fail {
        message: message.into(),
        expected: None,
    }
}

/// A module validated and compiled by the tier.
type Compiled = (Arc<ValidatedModule>, Arc<dyn CompiledModule>);

/// A module definition as later directives find it.
#[derive(Clone)]
enum Def {
    Ready(Compiled),
    /// Skipped; dependents are skipped with `reason`. `imports` names the
    /// modules it imports from, which instantiating it would have touched.
    Skipped {
        reason: String,
        imports: Vec<String>,
    },
    /// Failed at this line; dependents fail.
    Broken(usize),
}

impl Def {
    fn skipped(reason: impl Into<String>, imports: Vec<String>) -> Def {
        Def::Skipped {
            reason: reason.into(),
            imports,
        }
    }
}

/// An instance as later directives find it.
#[derive(Clone)]
enum Slot {
    Ready(InstanceId),
    /// Skipped; dependents are skipped with this reason.
    Skipped(String),
    /// Failed at this line; dependents fail.
    Broken(usize),
}

impl From<Def> for Slot {
    fn from(d: Def) -> Slot {
        match d {
            Def::Ready(_) => unreachable!("a ready definition is instantiated, not converted"),
            Def::Skipped { reason, .. } => Slot::Skipped(reason),
            Def::Broken(l) => Slot::Broken(l),
        }
    }
}

/// Why an instantiation did not produce an instance.
enum NotInstantiated {
    /// A dependency was skipped, or the runtime lacks something; why.
    Skipped(String),
    /// The runtime refused it.
    Error(InstantiationError),
}

/// The store and the linker, made when the first module runs.
struct Runtime {
    store: Store,
    linker: Linker,
    /// Why `spectest` is incomplete, if it is.
    setup_error: Option<String>,
}

impl Runtime {
    fn new(memory: MemoryConfig) -> Runtime {
        let mut store = Store::new(memory);
        let mut linker = Linker::new();
        let setup_error = spectest::define(&mut store, &mut linker).err();
        Runtime {
            store,
            linker,
            setup_error,
        }
    }
}

/// The execution state of one script.
pub struct Exec<'e> {
    engine: &'e Engine,
    runtime: Option<Runtime>,
    current: Option<Slot>,
    instances: HashMap<String, Slot>,
    definitions: HashMap<String, Def>,
    last_definition: Option<Def>,
    /// Names registered for skipped instances, with the skip reason.
    skipped_registrations: HashMap<String, String>,
    /// Names registered for instances, to find what a module imports from.
    registered: HashMap<String, InstanceId>,
    /// Instances whose state a skipped module would have changed (through
    /// its segments or start function): what uses them is skipped too, as
    /// it would see another state than the script's. (`spectest` is never
    /// tainted; a skipped module writing to its memory or table goes unseen.)
    tainted: HashSet<InstanceId>,
}

impl<'e> Exec<'e> {
    /// A fresh state for one script.
    pub fn new(engine: &'e Engine) -> Self {
        Exec {
            engine,
            runtime: None,
            current: None,
            instances: HashMap::new(),
            definitions: HashMap::new(),
            last_definition: None,
            skipped_registrations: HashMap::new(),
            registered: HashMap::new(),
            tainted: HashSet::new(),
        }
    }

    fn runtime(&mut self) -> &mut Runtime {
        let memory = self.engine.memory;
        self.runtime.get_or_insert_with(|| Runtime::new(memory))
    }

    /// Taints the registered instances a skipped module imports from.
    fn taint(&mut self, imports: &[String]) {
        for name in imports {
            if let Some(id) = self.registered.get(name) {
                self.tainted.insert(*id);
            }
        }
    }

    /// Taints what a skipped definition imports from.
    fn taint_def(&mut self, def: &Def) {
        if let Def::Skipped { imports, .. } = def {
            self.taint(imports);
        }
    }

    /// `(module $id? ...)`: load, compile, instantiate; it becomes the current
    /// instance (and `$id`).
    pub fn module(&mut self, line: usize, id: Option<&str>, loaded: Loaded) -> Verdict {
        let (verdict, def, slot) = match self.compile(line, loaded) {
            Err((verdict, def)) => {
                self.taint_def(&def);
                (verdict, def.clone(), def.into())
            }
            Ok(compiled) => {
                let def = Def::Ready(compiled.clone());
                match self.instantiate(&compiled) {
                    Ok(instance) => (Verdict::Pass, def, Slot::Ready(instance)),
                    Err(e) => {
                        let (verdict, slot) = instantiation_failed(line, e, self.setup_error());
                        (verdict, def, slot)
                    }
                }
            }
        };
        // A module is also a definition that `module instance` may instantiate again.
        if let Some(id) = id {
            self.definitions.insert(id.to_string(), def.clone());
            self.instances.insert(id.to_string(), slot.clone());
        }
        self.last_definition = Some(def);
        self.current = Some(slot);
        verdict
    }

    /// `(module definition $id? ...)`: load and compile, remembered by id.
    pub fn module_definition(&mut self, line: usize, id: Option<&str>, loaded: Loaded) -> Verdict {
        let (verdict, def) = match self.compile(line, loaded) {
            Err(e) => e,
            Ok(compiled) => (Verdict::Pass, Def::Ready(compiled)),
        };
        if let Some(id) = id {
            self.definitions.insert(id.to_string(), def.clone());
        }
        self.last_definition = Some(def);
        verdict
    }

    /// `(module instance $instance? $module?)`: instantiates a definition (the
    /// last one without `$module`); it becomes the current instance.
    pub fn module_instance(
        &mut self,
        line: usize,
        instance: Option<&str>,
        module: Option<&str>,
    ) -> Verdict {
        let def = match module {
            Some(m) => self.definitions.get(m).cloned(),
            None => self.last_definition.clone(),
        };
        let (verdict, slot) = match def {
            None => {
                let name = module.map_or("(none)".into(), |m| format!("${m}"));
                return fail(format!("no module definition {name}"));
            }
            Some(Def::Ready(compiled)) => match self.instantiate(&compiled) {
                Ok(i) => (Verdict::Pass, Slot::Ready(i)),
                Err(e) => instantiation_failed(line, e, self.setup_error()),
            },
            Some(Def::Skipped { reason, imports }) => {
                self.taint(&imports);
                (Verdict::Skip(reason.clone()), Slot::Skipped(reason))
            }
            Some(Def::Broken(at)) => (broken(at), Slot::Broken(at)),
        };
        if let Some(id) = instance {
            self.instances.insert(id.to_string(), slot.clone());
        }
        self.current = Some(slot);
        verdict
    }

    /// `(register "name" $id?)`: makes an instance's exports importable as `name`.
    pub fn register(&mut self, name: &str, module: Option<&str>) -> Verdict {
        let slot = match self.slot(module) {
            Ok(s) => s.clone(),
            Err(v) => return v,
        };
        match slot {
            Slot::Ready(instance) => {
                self.skipped_registrations.remove(name);
                self.registered.insert(name.to_string(), instance);
                let rt = self.runtime();
                rt.linker.instance(&rt.store, name, instance);
                if self.tainted.contains(&instance) {
                    Verdict::Skip(MODULE_SKIPPED.into())
                } else {
                    Verdict::Pass
                }
            }
            Slot::Skipped(reason) => {
                self.registered.remove(name);
                self.skipped_registrations
                    .insert(name.to_string(), reason.clone());
                Verdict::Skip(reason)
            }
            Slot::Broken(at) => broken(at),
        }
    }

    /// A skip for an execution directive Skiff cannot run at all: the
    /// engine's reason when it has no tier, `reason` otherwise.
    pub fn unsupported(&self, reason: &str) -> Verdict {
        Verdict::Skip(
            self.engine
                .tier
                .as_ref()
                .err()
                .map_or(reason, |m| m)
                .to_string(),
        )
    }

    /// `(invoke ...)`: the call must return (anything).
    pub fn invoke(&mut self, invoke: &WastInvoke) -> Verdict {
        match self.call(invoke) {
            Ok(Ok(_)) => Verdict::Pass,
            Ok(Err(trap)) => fail(format!("trapped: {}", one_line(&trap))),
            Err(v) => v,
        }
    }

    /// `(assert_return (invoke ...)|(get ...) results...)`.
    pub fn assert_return(&mut self, exec: &WastExecute, results: &[WastRet]) -> Verdict {
        let actual = match exec {
            WastExecute::Invoke(invoke) => match self.call(invoke) {
                Ok(Ok(values)) => values,
                Ok(Err(trap)) => return fail(format!("trapped: {}", one_line(&trap))),
                Err(v) => return v,
            },
            WastExecute::Get { module, global, .. } => {
                match self.get(module.map(|m| m.name()), global) {
                    Ok(value) => vec![value],
                    Err(v) => return v,
                }
            }
            WastExecute::Wat(_) => return fail("assert_return expects an invoke or a get"),
        };
        let patterns: Vec<&WastRetCore> = match results.iter().map(values::ret).collect() {
            Ok(p) => p,
            Err(reason) => return Verdict::Skip(reason),
        };
        let expected = || {
            let shown: Vec<String> = patterns.iter().map(|p| values::show_pattern(p)).collect();
            Some(format!("[{}]", shown.join(" ")))
        };
        if actual.len() != patterns.len() {
            return Verdict::Fail {
                message: format!(
                    "returned {} value(s) {}, expected {}",
                    actual.len(),
                    values::show_all(&actual),
                    patterns.len()
                ),
                expected: expected(),
            };
        }
        for (pattern, value) in patterns.iter().zip(&actual) {
            match values::matches(pattern, value) {
                values::Match::Yes => {}
                values::Match::No => {
                    return Verdict::Fail {
                        message: format!("returned {}", values::show_all(&actual)),
                        expected: expected(),
                    };
                }
                values::Match::Unsupported(reason) => return Verdict::Skip(reason),
            }
        }
        Verdict::Pass
    }

    /// `(assert_trap (invoke ...) "message")`: the call must trap with the
    /// kind the message names.
    pub fn assert_trap(&mut self, exec: &WastExecute, message: &str) -> Verdict {
        match exec {
            WastExecute::Invoke(invoke) => match self.call(invoke) {
                Ok(Ok(values)) => Verdict::Fail {
                    message: format!("returned {} instead of trapping", values::show_all(&values)),
                    expected: Some(message.to_string()),
                },
                Ok(Err(trap)) => trap_verdict(&trap, message),
                Err(v) => v,
            },
            WastExecute::Get { .. } => {
                fail("assert_trap on a global get: reading a global cannot trap")
            }
            WastExecute::Wat(_) => fail("assert_trap on a module goes through assert_trap_module"),
        }
    }

    /// `(assert_exception (invoke ...))`: the call must end with an
    /// exception no handler caught.
    pub fn assert_exception(&mut self, exec: &WastExecute) -> Verdict {
        let WastExecute::Invoke(invoke) = exec else {
            return fail("assert_exception expects an invoke");
        };
        match self.call(invoke) {
            Ok(Ok(values)) => Verdict::Fail {
                message: format!("returned {} instead of throwing", values::show_all(&values)),
                expected: Some("an uncaught exception".into()),
            },
            Ok(Err(trap)) if trap.exception().is_some() => Verdict::Pass,
            Ok(Err(trap)) => Verdict::Fail {
                message: format!("trapped instead of throwing: {trap}"),
                expected: Some("an uncaught exception".into()),
            },
            Err(v) => v,
        }
    }

    /// `(assert_trap (module ...) "message")`: instantiation must trap (the
    /// start function or a segment), with the kind the message names.
    pub fn assert_trap_module(&mut self, line: usize, loaded: Loaded, message: &str) -> Verdict {
        let compiled = match self.compile(line, loaded) {
            Ok(c) => c,
            Err((verdict, def)) => {
                // Its segments may have written to what it imports before trapping.
                self.taint_def(&def);
                return verdict;
            }
        };
        match self.instantiate(&compiled) {
            Ok(_) => Verdict::Fail {
                message: "instantiated without trapping".into(),
                expected: Some(message.to_string()),
            },
            Err(NotInstantiated::Error(InstantiationError::Trap(trap))) => {
                trap_verdict(&trap, message)
            }
            Err(NotInstantiated::Skipped(reason)) => Verdict::Skip(reason),
            Err(NotInstantiated::Error(e)) => Verdict::Fail {
                message: with_hint(e.to_string().replace("\n  ", "; "), self.setup_error()),
                expected: Some(message.to_string()),
            },
        }
    }

    /// `(assert_exhaustion (invoke ...) "message")`: the call must run out of stack.
    pub fn assert_exhaustion(&mut self, invoke: &WastInvoke, message: &str) -> Verdict {
        match self.call(invoke) {
            Ok(Ok(values)) => Verdict::Fail {
                message: format!("returned {}", values::show_all(&values)),
                expected: Some(message.to_string()),
            },
            Ok(Err(trap)) if trap.kind() == TrapKind::StackExhausted => {
                noting(message, trap.kind().message())
            }
            Ok(Err(trap)) => Verdict::Fail {
                message: format!("trapped with {}", one_line(&trap)),
                expected: Some(message.to_string()),
            },
            Err(v) => v,
        }
    }

    /// `(assert_unlinkable (module ...) "message")`: the module must validate
    /// and then fail to link.
    pub fn assert_unlinkable(&mut self, line: usize, loaded: Loaded, message: &str) -> Verdict {
        let compiled = match self.compile(line, loaded) {
            Ok(c) => c,
            Err((verdict, _)) => return verdict,
        };
        match self.instantiate(&compiled) {
            Ok(_) => Verdict::Fail {
                message: "linked and instantiated".into(),
                expected: Some(message.to_string()),
            },
            Err(NotInstantiated::Error(InstantiationError::Link(actual))) => {
                noting(message, &actual)
            }
            Err(NotInstantiated::Skipped(reason)) => Verdict::Skip(reason),
            Err(NotInstantiated::Error(e)) => Verdict::Fail {
                message: format!("not a link error: {}", e.to_string().replace("\n  ", "; ")),
                expected: Some(message.to_string()),
            },
        }
    }

    /// The tier's code for a loaded module; otherwise the directive's verdict
    /// and what dependents see.
    fn compile(&self, line: usize, loaded: Loaded) -> Result<Compiled, (Verdict, Def)> {
        let module = match loaded {
            Loaded::Valid(m) => m,
            Loaded::NotCore => {
                return Err((
                    Verdict::Skip("component model".into()),
                    Def::skipped(MODULE_SKIPPED, Vec::new()),
                ));
            }
            Loaded::Unsupported { error, imports } => {
                return Err((
                    Verdict::Skip(error.message().to_string()),
                    Def::skipped(module_skipped(error.message()), imports),
                ));
            }
            Loaded::Rejected(e) => {
                return Err((
                    fail(format!("{} module rejected: {e}", e.kind())),
                    Def::Broken(line),
                ));
            }
            Loaded::TextRejected(e) => {
                return Err((fail(format!("text did not parse: {e}")), Def::Broken(line)));
            }
        };
        let tier = match &self.engine.tier {
            Ok(t) => t,
            Err(missing) => {
                return Err((
                    Verdict::Skip(missing.to_string()),
                    Def::skipped(*missing, Vec::new()),
                ));
            }
        };
        match tier.compile(&module) {
            Ok(code) => Ok((module, code)),
            Err(e) if e.kind() == ErrorKind::Unsupported => Err((
                Verdict::Skip(e.message().to_string()),
                Def::skipped(module_skipped(e.message()), import_modules(&module)),
            )),
            Err(e) => Err((
                fail(format!("{} compile failed: {e}", self.engine.name)),
                Def::Broken(line),
            )),
        }
    }

    /// Instantiates compiled code, unless it imports from a skipped or
    /// tainted instance. When it is skipped, what it imports is tainted.
    fn instantiate(&mut self, (module, code): &Compiled) -> Result<InstanceId, NotInstantiated> {
        let skipped = module.module().imports.iter().find_map(|i| {
            let tainted = self
                .registered
                .get(&i.module)
                .is_some_and(|id| self.tainted.contains(id));
            if tainted {
                Some(MODULE_SKIPPED.to_string())
            } else {
                self.skipped_registrations.get(&i.module).cloned()
            }
        });
        if let Some(reason) = skipped {
            self.taint(&import_modules(module));
            return Err(NotInstantiated::Skipped(reason));
        }
        let rt = self.runtime();
        match rt.linker.instantiate(&mut rt.store, module, code) {
            Ok(i) => Ok(i),
            // Any refusal (a memory that cannot be reserved or committed) is
            // a failure, like every other error.
            Err(e) => Err(NotInstantiated::Error(e)),
        }
    }

    fn setup_error(&self) -> Option<&str> {
        self.runtime.as_ref().and_then(|r| r.setup_error.as_deref())
    }

    /// The instance `$module` names, or the current one.
    fn slot(&self, module: Option<&str>) -> Result<&Slot, Verdict> {
        let slot = match module {
            Some(m) => self.instances.get(m),
            None => self.current.as_ref(),
        };
        slot.ok_or_else(|| match module {
            Some(m) => fail(format!("no instance ${m}")),
            None => fail("no module instantiated yet"),
        })
    }

    /// The instance `$module` names, or the current one, if it is ready.
    fn instance(&self, module: Option<&str>) -> Result<InstanceId, Verdict> {
        if let Err(missing) = &self.engine.tier {
            return Err(Verdict::Skip(missing.to_string()));
        }
        match self.slot(module)? {
            Slot::Ready(i) if self.tainted.contains(i) => Err(Verdict::Skip(MODULE_SKIPPED.into())),
            Slot::Ready(i) => Ok(*i),
            Slot::Skipped(reason) => Err(Verdict::Skip(reason.clone())),
            Slot::Broken(at) => Err(broken(*at)),
        }
    }

    /// Calls an export: its results or trap, or the directive's verdict when
    /// the call cannot be made.
    fn call(&mut self, invoke: &WastInvoke) -> Result<Result<Vec<Value>, Trap>, Verdict> {
        let instance = self.instance(invoke.module.map(|m| m.name()))?;
        let args = invoke
            .args
            .iter()
            .map(values::arg)
            .collect::<Result<Vec<Value>, String>>()
            .map_err(Verdict::Skip)?;
        let rt = self.runtime();
        let func = match rt.store.instance(instance).export(invoke.name) {
            Some(Extern::Func(f)) => f,
            Some(_) => return Err(fail(format!("export {:?} is not a function", invoke.name))),
            None => return Err(fail(format!("no export {:?}", invoke.name))),
        };
        Ok(rt.store.call(func, &args))
    }

    /// The value of an exported global.
    fn get(&mut self, module: Option<&str>, global: &str) -> Result<Value, Verdict> {
        let instance = self.instance(module)?;
        let rt = self.runtime();
        match rt.store.instance(instance).export(global) {
            Some(Extern::Global(g)) => Ok(rt.store.global_value(g)),
            Some(_) => Err(fail(format!("export {global:?} is not a global"))),
            None => Err(fail(format!("no export {global:?}"))),
        }
    }
}

/// Why a directive that needs a module skipped for `reason` is skipped:
/// [`MODULE_SKIPPED`], naming the module's reason.
fn module_skipped(reason: &str) -> String {
    if reason.starts_with(MODULE_SKIPPED) {
        reason.to_string()
    } else {
        format!("{MODULE_SKIPPED} ({reason})")
    }
}

/// The module name of each import of `module`.
fn import_modules(module: &ValidatedModule) -> Vec<String> {
    module
        .module()
        .imports
        .iter()
        .map(|i| i.module.clone())
        .collect()
}

/// The verdict on a module that did not instantiate, and what dependents see.
fn instantiation_failed(line: usize, e: NotInstantiated, hint: Option<&str>) -> (Verdict, Slot) {
    match e {
        NotInstantiated::Skipped(reason) => {
            let dependents = module_skipped(&reason);
            (Verdict::Skip(reason), Slot::Skipped(dependents))
        }
        NotInstantiated::Error(e) => (
            fail(with_hint(e.to_string().replace("\n  ", "; "), hint)),
            Slot::Broken(line),
        ),
    }
}

/// A trap with its backtrace on one line, as failure listings want it.
fn one_line(trap: &Trap) -> String {
    trap.to_string().replace("\n  ", "; ")
}

/// A message with why `spectest` is incomplete, when it is.
fn with_hint(message: String, hint: Option<&str>) -> String {
    match hint {
        Some(h) => format!("{message} ({h})"),
        None => message,
    }
}

/// The verdict on a directive that needs a module that failed at line `at`.
fn broken(at: usize) -> Verdict {
    fail(format!(
        "the module at line {at} did not load or instantiate"
    ))
}

/// A pass, noting Skiff's message when it is not the script's.
pub fn noting(expected: &str, actual: &str) -> Verdict {
    if actual.contains(expected) {
        Verdict::Pass
    } else {
        Verdict::PassNoting {
            expected: expected.to_string(),
            actual: actual.to_string(),
        }
    }
}

/// Passes a trap whose kind the script's message names.
fn trap_verdict(trap: &Trap, expected: &str) -> Verdict {
    if trap_matches(expected, trap.kind()) {
        noting(expected, trap.kind().message())
    } else {
        Verdict::Fail {
            message: format!("trapped with {}", one_line(trap)),
            expected: Some(expected.to_string()),
        }
    }
}

/// Script messages for a trap kind that do not contain its own message.
const TRAP_ALIASES: &[(&str, TrapKind)] = &[("null function reference", TrapKind::NullReference)];

/// Whether the script's trap message names `kind`: it contains the kind's
/// message (`uninitialized element 2`), or is a prefix of it
/// (`uninitialized`), or is one of a few known other wordings.
pub fn trap_matches(expected: &str, kind: TrapKind) -> bool {
    let actual = kind.message();
    expected.contains(actual)
        || (!expected.is_empty() && actual.starts_with(expected))
        || TRAP_ALIASES
            .iter()
            .any(|&(e, k)| k == kind && expected.contains(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trap_messages_name_their_kinds() {
        assert!(trap_matches(
            "out of bounds memory access",
            TrapKind::MemoryOutOfBounds
        ));
        assert!(trap_matches(
            "uninitialized element 2",
            TrapKind::UninitializedElement
        ));
        assert!(trap_matches(
            "uninitialized",
            TrapKind::UninitializedElement
        ));
        assert!(trap_matches(
            "null function reference",
            TrapKind::NullReference
        ));
        assert!(trap_matches("null reference", TrapKind::NullReference));
        assert!(!trap_matches(
            "undefined element",
            TrapKind::TableOutOfBounds
        ));
        assert!(!trap_matches(
            "integer overflow",
            TrapKind::IntegerDivisionByZero
        ));
        assert!(!trap_matches("", TrapKind::Unreachable));
    }

    #[test]
    fn a_trap_of_another_kind_fails() {
        let trap = Trap::new(TrapKind::MemoryOutOfBounds);
        assert_eq!(
            trap_verdict(&trap, "out of bounds memory access"),
            Verdict::Pass
        );
        assert!(matches!(
            trap_verdict(&trap, "unreachable"),
            Verdict::Fail { .. }
        ));
        assert_eq!(
            trap_verdict(
                &Trap::new(TrapKind::UninitializedElement),
                "uninitialized element 2"
            ),
            Verdict::PassNoting {
                expected: "uninitialized element 2".into(),
                actual: "uninitialized element".into(),
            }
        );
    }
}
