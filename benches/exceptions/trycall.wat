;; What a call inside a `try_table` costs when nothing is thrown: `run(n)`
;; makes n calls of a small function, each inside its own `try_table`.
;;   run(n) = sum over i in 1..=n of (i xor 5)
(module
  (tag $never (param i32))
  (func $work (param $i i32) (result i32)
    (i32.xor (local.get $i) (i32.const 5)))
  (func (export "run") (param $n i32) (result i64) (local $sum i64)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $sum
          (i64.add (local.get $sum)
            (i64.extend_i32_u
              (block $caught (result i32)
                (try_table (result i32) (catch $never $caught)
                  (call $work (local.get $n)))))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $sum)))
