//! Compiling a module's functions to machine code, on every core.
//!
//! Declarations (an id and signature per function and trampoline) are made
//! up front on the calling thread. Workers then claim function indices in
//! increasing order from a shared counter; each translates a body with its
//! own contexts, runs Cranelift on it and keeps the bytes, the calls to
//! patch and the trap sites. Back on the calling thread the functions are
//! laid out in index order as one image (module `layout`). Code layout, and
//! so the result, does not depend on how the work was split.

use crate::layout::SourceMap;
use crate::traps;
use crate::vmctx::offsets;
use crate::{jit_error, translate};
use cranelift_codegen::Context;
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{AbiParam, ExternalName, InstBuilder, Signature, types};
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa};
use cranelift_codegen::{FinalizedMachReloc, FinalizedRelocTarget};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use skiff_vm::module::Module;
use skiff_vm::runtime::{MemoryConfig, Metering, TrapKind};
use skiff_vm::{Error, parallel};

/// Below this much function-body code a module is compiled on the calling
/// thread alone: starting threads would cost more than they save.
const PARALLEL_THRESHOLD: usize = 64 * 1024;

/// The id of a function or trampoline of the module being compiled: a
/// defined function's is its defined index, a trampoline's that plus the
/// number of defined functions.
pub type CodeId = u32;

/// Machine code of one function, not yet placed.
pub struct Compiled {
    /// The code.
    pub bytes: Vec<u8>,
    /// The alignment it asks for.
    pub alignment: u32,
    /// The calls to other functions (and references into its own code)
    /// to patch once placed.
    pub relocs: Vec<Patch>,
    /// Trap sites: code offset and kind.
    pub traps: Vec<(u32, TrapKind)>,
    /// Its source map, encoded as [`SourceMap`] reads it (here, on the
    /// compiling thread, so that laying out only copies it); empty for a
    /// trampoline.
    pub srclocs: Vec<u8>,
}

/// A 32-bit PC-relative field of a function's code that placing fills in:
/// `target + addend - (the field's address)`.
pub struct Patch {
    /// Where the field is in the function's code.
    pub offset: u32,
    /// Where it points.
    pub target: PatchTarget,
    /// Added to the target's address.
    pub addend: i64,
}

/// What a [`Patch`] points at.
pub enum PatchTarget {
    /// The start of another function or trampoline of the module.
    Code(CodeId),
    /// An offset in the function's own code.
    Own(u32),
}

impl Patch {
    /// The patch Cranelift's relocation `r` of `func` (compiled as `id`)
    /// asks for; an error for anything but a PC-relative reference to a
    /// function of this module (the only kind the translator emits: every
    /// call is to a colocated function, builtins are called through the
    /// context block).
    fn of(r: &FinalizedMachReloc, func: &cranelift_codegen::ir::Function) -> Result<Patch, String> {
        if !matches!(r.kind, Reloc::X86CallPCRel4 | Reloc::X86PCRel4) {
            return Err(format!("a relocation of kind {:?}", r.kind));
        }
        let target = match &r.target {
            FinalizedRelocTarget::ExternalName(ExternalName::User(name)) => {
                let name = &func.params.user_named_funcs()[*name];
                if name.namespace != 0 {
                    return Err(format!("a reference to namespace {}", name.namespace));
                }
                PatchTarget::Code(name.index)
            }
            FinalizedRelocTarget::Func(offset) => PatchTarget::Own(*offset),
            other => return Err(format!("a reference to {other:?}")),
        };
        Ok(Patch {
            offset: r.offset,
            target,
            addend: r.addend,
        })
    }
}

/// What every worker shares: the module and the declarations.
pub struct Plan<'m> {
    isa: &'m OwnedTargetIsa,
    module: &'m Module,
    memory: MemoryConfig,
    metering: Metering,
    call_conv: CallConv,
    wasm_conv: CallConv,
    /// The signature of each defined function, by defined index (its
    /// [`CodeId`]).
    sigs: Vec<Signature>,
    /// The types that get a trampoline (see [`trampoline_types`]).
    tramp_types: &'m [u32],
    tramp_sig: Signature,
}

/// The types of the defined functions marked in `entered` (by defined
/// index), each once, in increasing order: a trampoline enters every
/// function of its type, so a module needs one per type, not per function.
pub fn trampoline_types(module: &Module, entered: &[bool]) -> Vec<u32> {
    let first = module.num_imported_funcs as usize;
    let mut types: Vec<u32> = (entered.iter().enumerate())
        .filter(|(_, e)| **e)
        .map(|(i, _)| module.funcs[first + i])
        .collect();
    types.sort_unstable();
    types.dedup();
    types
}

impl<'m> Plan<'m> {
    /// Declares every defined function, and a trampoline for each type of
    /// `tramp_types` (what [`trampoline_types`] gives); the code will be
    /// compiled for memories made with `memory`, with the checks `metering`
    /// asks for.
    pub fn declare(
        isa: &'m OwnedTargetIsa,
        module: &'m Module,
        (memory, metering, tail_calls): (MemoryConfig, Metering, bool),
        tramp_types: &'m [u32],
    ) -> Result<Plan<'m>, Error> {
        let call_conv = isa.default_call_conv();
        let defined = module.code.len();
        // A module with tail calls compiles its functions with Cranelift's
        // tail calling convention, which `return_call` needs on both sides;
        // the others keep the platform's (trampolines and builtins always do).
        let wasm_conv = if tail_calls {
            CallConv::Tail
        } else {
            call_conv
        };
        let mut sigs = Vec::with_capacity(defined);
        for i in 0..defined {
            let index = module.num_imported_funcs + i as u32;
            sigs.push(translate::wasm_signature(
                module.func_type(index),
                wasm_conv,
                metering,
            )?);
        }
        // `(vmctx, args, callee)`.
        let mut tramp_sig = Signature::new(call_conv);
        tramp_sig.params.extend([AbiParam::new(types::I64); 3]);
        Ok(Plan {
            isa,
            module,
            memory,
            metering,
            call_conv,
            wasm_conv,
            sigs,
            tramp_types,
            tramp_sig,
        })
    }

    /// Compiles every defined function, in index order, then every
    /// trampoline, in the order of [`Plan::tramp_types`]: the code of id
    /// `i` is at `i`. Large modules are spread over the available cores.
    /// The error is the one of the lowest-numbered function that fails, as
    /// if compiled in order. At most `max_threads` threads work on it.
    pub fn compile_all(&self, max_threads: usize) -> Result<Vec<Compiled>, Error> {
        let threads =
            parallel::threads_for(self.module, PARALLEL_THRESHOLD).min(max_threads.max(1));
        let defined = self.module.code.len();
        parallel::map_indexed(
            defined + self.tramp_types.len(),
            threads,
            || Worker::new(self),
            |worker, i| match i.checked_sub(defined) {
                None => worker.compile(i),
                Some(k) => worker.compile_trampoline(k),
            },
        )
    }
}

/// One thread's reusable Cranelift contexts.
struct Worker<'p, 'm> {
    plan: &'p Plan<'m>,
    ctx: Context,
    fbc: FunctionBuilderContext,
}

impl<'p, 'm> Worker<'p, 'm> {
    fn new(plan: &'p Plan<'m>) -> Self {
        Worker {
            plan,
            ctx: Context::new(),
            fbc: FunctionBuilderContext::new(),
        }
    }

    /// Translates and compiles defined function `i`.
    fn compile(&mut self, i: usize) -> Result<Compiled, Error> {
        let p = self.plan;
        let m = p.module;
        let index = m.num_imported_funcs + i as u32;
        self.ctx.clear();
        self.ctx.func.signature = p.sigs[i].clone();
        {
            let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fbc);
            let env = translate::Env {
                module: m,
                sigs: &p.sigs,
                call_conv: p.call_conv,
                wasm_conv: p.wasm_conv,
                memory: p.memory,
                metering: p.metering,
            };
            translate::translate_body(&env, &mut b, index).map_err(|e| e.in_func(index))?;
            b.finalize(p.isa.frontend_config());
        }
        self.finish(true, || format!("func {index}"))
    }

    /// Builds and compiles trampoline `k`, of type `tramp_types[k]`.
    fn compile_trampoline(&mut self, k: usize) -> Result<Compiled, Error> {
        let ty = self.plan.tramp_types[k];
        self.build_trampoline(ty)?;
        self.finish(false, || format!("the trampoline of type {ty}"))
    }

    /// The array-call trampoline of the functions of type `ty`: `(vmctx,
    /// args, callee)` loads the parameters from `args`, calls `callee` (the
    /// code of a defined function of that type) and stores its results back
    /// (and, for metered code, passes the store's fuel in and writes what is
    /// left back).
    fn build_trampoline(&mut self, ty: u32) -> Result<(), Error> {
        let p = self.plan;
        let ty = &p.module.types[ty as usize];
        self.ctx.clear();
        self.ctx.func.signature = p.tramp_sig.clone();
        let mut b = FunctionBuilder::new(&mut self.ctx.func, &mut self.fbc);
        let wasm_sig = translate::wasm_signature(ty, p.wasm_conv, p.metering)?;
        let callee_sig = b.import_signature(wasm_sig);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let params = b.block_params(entry);
        let (vmctx, args, callee) = (params[0], params[1], params[2]);
        let flags = translate::Flags::new(&mut b);
        // Each value takes one 8-byte slot of `args`, a vector two.
        let mut call_args = vec![vmctx];
        // Metered code takes the store's fuel in and hands it back.
        let meter = p.metering.fuel.then(|| {
            let meter = b
                .ins()
                .load(types::I64, flags.trusted_ro, vmctx, offsets::METER);
            let fuel = b
                .ins()
                .load(types::I64, flags.trusted, meter, offsets::METER_FUEL);
            call_args.push(fuel);
            meter
        });
        let mut offset = 0;
        for t in ty.params() {
            let t = translate::cl_type(*t)?;
            call_args.push(b.ins().load(t, flags.trusted, args, offset));
            offset += t.bytes().max(8) as i32;
        }
        let call = b.ins().call_indirect(callee_sig, callee, &call_args);
        let mut results = b.inst_results(call).to_vec();
        if let Some(meter) = meter {
            let fuel = results.pop().expect("the fuel result");
            b.ins()
                .store(flags.trusted, fuel, meter, offsets::METER_FUEL);
        }
        let mut offset = 0;
        for r in &results {
            b.ins().store(flags.trusted, *r, args, offset);
            offset += b.func.dfg.value_type(*r).bytes().max(8) as i32;
        }
        b.ins().return_(&[]);
        b.finalize(p.isa.frontend_config());
        Ok(())
    }

    /// Runs Cranelift on the function in the context (which errors name as
    /// `what` says) and takes the result out, with its source map when
    /// `srclocs` asks for it.
    fn finish(&mut self, srclocs: bool, what: impl Fn() -> String) -> Result<Compiled, Error> {
        self.ctx
            .compile(self.plan.isa.as_ref(), &mut ControlPlane::default())
            .map_err(|e| jit_error(format!("{}: {:?}", what(), e.inner)))?;
        let compiled = self.ctx.compiled_code().expect("just compiled");
        let mut traps: Vec<_> = compiled
            .buffer
            .traps()
            .iter()
            .map(|t| (t.offset, traps::kind_of(t.code)))
            .collect();
        traps.sort_unstable_by_key(|t| t.0);
        let mut source_map = Vec::new();
        if srclocs {
            let ranges = compiled.buffer.get_srclocs_sorted().iter();
            let ranges = ranges.filter(|l| !l.loc.is_default());
            SourceMap::encode(
                ranges.map(|l| (l.start, l.end, l.loc.bits())),
                &mut source_map,
            );
        }
        let relocs = compiled
            .buffer
            .relocs()
            .iter()
            .map(|r| Patch::of(r, &self.ctx.func))
            .collect::<Result<_, _>>()
            .map_err(|e| jit_error(format!("{}: the code holds {e}", what())))?;
        Ok(Compiled {
            bytes: compiled.code_buffer().to_vec(),
            // Functions start where the processor fetches best (32 bytes
            // on x86-64), as wasmtime places them.
            alignment: compiled
                .buffer
                .alignment
                .max(self.plan.isa.function_alignment().preferred),
            relocs,
            traps,
            srclocs: source_map,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::trampoline_types;

    #[test]
    fn functions_of_one_type_share_a_trampoline() {
        // An import, then four defined functions of types 1, 0, 1, 1; all
        // but the second entered from outside.
        let wasm = skiff_vm::wat_to_binary(
            r#"(module
                 (type (func (param i32) (result i32)))
                 (type (func))
                 (import "host" "f" (func (type 0)))
                 (func (type 1)) (func (type 0) (local.get 0))
                 (func (type 1)) (func (type 1)))"#,
        )
        .unwrap();
        let module = skiff_vm::decode(&wasm, &skiff_vm::Features::default()).unwrap();
        assert_eq!(trampoline_types(&module, &[true, false, true, true]), [1]);
        assert_eq!(trampoline_types(&module, &[true, true, true, true]), [0, 1]);
        assert_eq!(trampoline_types(&module, &[false; 4]), [] as [u32; 0]);
    }
}
