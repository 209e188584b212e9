;; The throw-and-catch microbenchmark: `run(n)` makes n calls two frames
;; deep inside a `try_table`; every other one throws back through both
;; frames and is caught by tag. Returns a checksum of what came back, so
;; that every engine's run can be compared:
;;   run(n) = sum over i in 1..=n of (odd i ? 3*i : i + 1)
;; (skiff run --invoke run throwcatch.wat N; wasmtime likewise).
(module
  (tag $odd (param i32))
  (func $leaf (param $i i32) (result i32)
    (if (i32.and (local.get $i) (i32.const 1))
      (then (throw $odd (i32.mul (local.get $i) (i32.const 3)))))
    (local.get $i))
  (func $middle (param $i i32) (result i32)
    (i32.add (call $leaf (local.get $i)) (i32.const 1)))
  (func (export "run") (param $n i32) (result i64) (local $sum i64)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $sum
          (i64.add (local.get $sum)
            (i64.extend_i32_u
              (block $caught (result i32)
                (try_table (result i32) (catch $odd $caught)
                  (call $middle (local.get $n)))))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $sum)))
