;; The smallest module with something to call: one exported function that
;; does nothing. For in-process "instantiate" and "instantiate and call an
;; empty export" benchmarks (no WASI, no imports, no memory).
(module
  (func (export "run")))
