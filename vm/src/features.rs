//! Which WebAssembly features a module may use.

/// The set of WebAssembly features that decoding and validation accept.
///
/// Skiff implements WebAssembly 2.0, SIMD included, and of 3.0 relaxed SIMD,
/// extended constants, multiple memories, tail calls, memory64, exception
/// handling and typed function references. A module that uses a feature
/// this set leaves out (or one Skiff lacks: GC, ...) is rejected with an
/// [`Unsupported`](crate::ErrorKind::Unsupported) error naming the proposal; under
/// the 2.0 spec such a module is invalid or malformed, which is why a 2.0 test
/// suite counts an `Unsupported` rejection as a validation failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// 128-bit vectors. Off, a module using `v128` is `Unsupported`; useful for a
    /// tier that does not execute SIMD yet.
    pub simd: bool,
    /// Relaxed SIMD (standardized in WebAssembly 3.0; needs `simd`). Off, a
    /// module using a relaxed instruction is `Unsupported`.
    pub relaxed_simd: bool,
    /// Extended constant expressions (standardized in WebAssembly 3.0):
    /// `i32`/`i64` `add`, `sub` and `mul` in initializers and offsets. Off,
    /// they are not constant (2.0).
    pub extended_const: bool,
    /// Multiple memories (standardized in WebAssembly 3.0): more than one
    /// memory, and instructions and segments naming one by index. Off, a
    /// second memory is `Unsupported` (or invalid under the 2.0 rules).
    pub multi_memory: bool,
    /// Tail calls (standardized in WebAssembly 3.0): `return_call` and
    /// `return_call_indirect`, which leave the caller's frame before the
    /// callee runs. Off, they are `Unsupported` (or malformed under 2.0).
    pub tail_call: bool,
    /// 64-bit memories and tables (memory64, standardized in WebAssembly
    /// 3.0): `i64` addresses, sizes and indices. Off, they are
    /// `Unsupported` (or malformed under 2.0).
    pub memory64: bool,
    /// Exception handling (standardized in WebAssembly 3.0): tags, `throw`,
    /// `throw_ref`, `try_table` and `exnref`, and the legacy instructions
    /// deployed modules still use (`try`, `catch`, `catch_all`, `delegate`,
    /// `rethrow`). Off, they are `Unsupported` (or malformed under 2.0).
    pub exceptions: bool,
    /// Typed function references (standardized in WebAssembly 3.0):
    /// non-nullable references and references to functions of one type,
    /// `call_ref`, `return_call_ref` (with `tail_call`), `ref.as_non_null`,
    /// `br_on_null`, `br_on_non_null`, table initializers, and constant
    /// expressions that read earlier globals. Off, they are `Unsupported` (or
    /// malformed under 2.0).
    pub function_references: bool,
    /// Decode the binary encodings of proposals beyond 2.0, so that a module that
    /// uses them is reported as `Unsupported` rather than malformed. Off (the
    /// default), bytes are decoded exactly as the 2.0 binary format says.
    pub decode_later_proposals: bool,
}

impl Features {
    /// WebAssembly 2.0 exactly, SIMD included.
    pub const WASM2: Features = Features {
        simd: true,
        relaxed_simd: false,
        extended_const: false,
        multi_memory: false,
        tail_call: false,
        memory64: false,
        exceptions: false,
        function_references: false,
        decode_later_proposals: false,
    };

    /// Everything Skiff implements: WebAssembly 2.0, relaxed SIMD, extended
    /// constant expressions, multiple memories, tail calls, 64-bit
    /// memories and tables, exception handling and typed function
    /// references. What an engine accepts unless its configuration
    /// restricts it.
    pub const ALL: Features = Features {
        relaxed_simd: true,
        extended_const: true,
        multi_memory: true,
        tail_call: true,
        memory64: true,
        exceptions: true,
        function_references: true,
        ..Features::WASM2
    };

    /// The wasmparser feature set used to decode bytes under these features.
    pub fn decoder_features(&self) -> wasmparser::WasmFeatures {
        use wasmparser::WasmFeatures as F;
        if self.decode_later_proposals {
            // The proposals standardized in 3.0 (and the legacy exception
            // instructions); in-flight ones (such as acquire-release
            // atomics) would change how 2.0 bytes are read.
            F::WASM3 | F::LEGACY_EXCEPTIONS
        } else {
            let mut f = F::WASM2;
            // Skiff decides whether a vector instruction is allowed, so that
            // its refusal names the feature.
            f.set(F::SIMD, true);
            // Memory indices in memory instructions are Skiff's to allow too.
            f.set(F::MULTI_MEMORY, self.multi_memory);
            f.set(F::TAIL_CALL, self.tail_call);
            f.set(F::MEMORY64, self.memory64);
            f.set(F::EXCEPTIONS, self.exceptions);
            f.set(F::LEGACY_EXCEPTIONS, self.exceptions);
            f.set(F::FUNCTION_REFERENCES, self.function_references);
            f
        }
    }
}

impl Default for Features {
    /// [`Features::ALL`].
    fn default() -> Self {
        Features::ALL
    }
}
