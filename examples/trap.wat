;; Traps on purpose: `skiff run --invoke div examples/trap.wat 1 0`.
(module
  (func $div (export "div") (param i32 i32) (result i32)
    (i32.div_u (local.get 0) (local.get 1))))
