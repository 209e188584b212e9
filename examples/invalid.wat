;; An invalid module: the function promises an i32 and leaves an i64.
(module
  (func (result i32)
    (i64.const 0)))
