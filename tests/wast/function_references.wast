;; Typed function references on every engine: type identity across
;; modules, calls through references (in and out of try blocks, as tail
;; calls), null checks and branches on null, non-nullable tables, globals
;; and locals.

;; Types are the same across modules by structure, whatever their indices;
;; a type may refer to itself.
(module $A
  (type $ii (func (param i32) (result i32)))
  (type $apply (func (param (ref $ii) i32) (result i32)))
  (type $self (func (param i32) (result (ref null $self))))
  (func $inc (export "inc") (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func (export "apply") (type $apply)
    (call_ref $ii (local.get 1) (local.get 0)))
  (func $me (export "me") (type $self) (ref.func $me))
  (global (export "g") (ref $ii) (ref.func $inc))
  (elem declare func $me))
(register "A" $A)

(module $B
  (type $other (func))
  (type $self (func (param i32) (result (ref null $self))))
  (type $ii (func (param i32) (result i32)))
  (type $apply (func (param (ref $ii) i32) (result i32)))
  (import "A" "apply" (func $apply (type $apply)))
  (import "A" "inc" (func $inc (type $ii)))
  (import "A" "me" (func $me (type $self)))
  (import "A" "g" (global $g (ref $ii)))
  ;; An immutable global may be imported at a supertype.
  (import "A" "g" (global $g2 funcref))
  (func (export "twice") (param i32) (result i32)
    (call $apply (global.get $g) (call $apply (ref.func $inc) (local.get 0))))
  (func (export "self") (result i32)
    (ref.is_null (call $me (i32.const 0))))
  (elem declare func $inc))
(assert_return (invoke $B "twice" (i32.const 40)) (i32.const 42))
(assert_return (invoke $B "self") (i32.const 0))

(assert_unlinkable
  (module
    (type $ll (func (param i64) (result i64)))
    (type $apply (func (param (ref $ll) i32) (result i32)))
    (import "A" "apply" (func (type $apply))))
  "incompatible import type")
(assert_unlinkable
  (module
    (type $other (func (param i32) (result (ref null func))))
    (import "A" "me" (func (type $other))))
  "incompatible import type")
(assert_unlinkable
  (module
    (type $ii (func (param i32) (result i32)))
    (import "A" "g" (global (mut (ref $ii)))))
  "incompatible import type")

;; Calls through references: plain, as tail calls (a million deep without
;; growing the stack), and inside try blocks, where the callee's exception
;; is caught and a null reference traps.
(module $C
  (type $step (func (param i32 i64) (result i64)))
  (tag $e (param i32))
  (table $t 2 (ref null $step))
  (func $down (type $step)
    (if (result i64) (i32.eqz (local.get 0))
      (then (local.get 1))
      (else
        (return_call_ref $step
          (i32.sub (local.get 0) (i32.const 1))
          (i64.add (local.get 1) (i64.const 3))
          (table.get $t (i32.const 0))))))
  (func $throws (type $step) (throw $e (local.get 0)))
  (func (export "down") (param i32) (result i64)
    (call_ref $step (local.get 0) (i64.const 0) (ref.func $down)))
  (func (export "null_tail") (result i64)
    (return_call_ref $step (i32.const 1) (i64.const 1) (ref.null $step)))
  (func (export "caught") (param i32) (result i32)
    (block $got (result i32)
      (try_table (catch $e $got)
        (drop (call_ref $step (local.get 0) (i64.const 0) (ref.func $throws))))
      (i32.const -1)))
  (func (export "returns_in_try") (param i32) (result i64)
    (block $got (result i32)
      (try_table (result i64) (catch $e $got)
        (call_ref $step (local.get 0) (i64.const 0) (ref.func $down)))
      (return))
    (drop)
    (i64.const -1))
  (func (export "null_in_try") (result i64)
    (block $got
      (try_table (result i64) (catch_all $got)
        (call_ref $step (i32.const 1) (i64.const 1) (table.get $t (i32.const 1))))
      (return))
    (i64.const -1))
  (elem (table $t) (i32.const 0) (ref null $step) (ref.func $down))
  (elem declare func $throws))
(assert_return (invoke $C "down" (i32.const 1000000)) (i64.const 3000000))
(assert_trap (invoke $C "null_tail") "null function reference")
(assert_return (invoke $C "caught" (i32.const 7)) (i32.const 7))
(assert_return (invoke $C "returns_in_try" (i32.const 5)) (i64.const 15))
(assert_trap (invoke $C "null_in_try") "null function reference")

;; Tail calls through references between instances (each instance calling
;; the other through a shared table; `tests/function_references.rs` runs
;; them a million deep), and to a host function.
(module $P
  (type $step (func (param i64) (result i64)))
  (table $t (export "t") 2 (ref null $step))
  (func $p (export "p") (type $step)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 42))
      (else
        (return_call_ref $step
          (i64.sub (local.get 0) (i64.const 1))
          (table.get $t (i32.const 1))))))
  (elem (table $t) (i32.const 0) (ref null $step) (ref.func $p)))
(register "P" $P)
(module $Q
  (type $step (func (param i64) (result i64)))
  (type $pi (func (param i32)))
  (import "P" "t" (table $t 2 (ref null $step)))
  (import "P" "p" (func $p (type $step)))
  (import "spectest" "print_i32" (func $print (type $pi)))
  (func $q (type $step)
    (return_call_ref $step (local.get 0) (table.get $t (i32.const 0))))
  (func (export "run") (param i64) (result i64) (call $p (local.get 0)))
  (func (export "tail_host") (param i32)
    (return_call_ref $pi (local.get 0) (ref.func $print)))
  (elem (table $t) (i32.const 1) (ref null $step) (ref.func $q))
  (elem declare func $print))
(assert_return (invoke $Q "run" (i64.const 100)) (i64.const 42))
(assert_return (invoke $Q "tail_host" (i32.const 7)))

;; Null checks and branches on null, in a loop: sums the elements of a
;; table that are not null, calling each.
(module $D
  (type $k (func (result i32)))
  (func $one (type $k) (i32.const 1))
  (func $ten (type $k) (i32.const 10))
  (table $t (ref null $k) (elem (ref.func $one) (ref.null $k) (ref.func $ten) (ref.null $k)))
  (func (export "sum_non_null") (result i32) (local $i i32) (local $sum i32)
    (loop $next
      (block $null
        (local.set $sum
          (i32.add (local.get $sum)
            (call_ref $k (br_on_null $null (table.get $t (local.get $i)))))))
      (br_if $next
        (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 4))))
    (local.get $sum))
  ;; The count of nulls, with br_on_non_null carrying the reference out.
  (func (export "count_null") (result i32) (local $i i32) (local $n i32)
    (loop $next
      (block $some (result (ref $k))
        (br_on_non_null $some (table.get $t (local.get $i)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (ref.func $one))
      (drop)
      (br_if $next
        (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 4))))
    (local.get $n))
  (func (export "as_non_null") (param i32) (result i32)
    (call_ref $k (ref.as_non_null (table.get $t (local.get 0))))))
(assert_return (invoke $D "sum_non_null") (i32.const 11))
(assert_return (invoke $D "count_null") (i32.const 2))
(assert_return (invoke $D "as_non_null" (i32.const 2)) (i32.const 10))
(assert_trap (invoke $D "as_non_null" (i32.const 1)) "null reference")

;; Non-nullable tables need an initializer, which may read an imported
;; global; globals may read earlier ones; a non-nullable local must be set
;; before it is read, and a set inside a block does not last past it.
(module $E
  (type $k (func (result i32)))
  (type $ii (func (param i32) (result i32)))
  (import "A" "g" (global $imported (ref $ii)))
  (func $seven (type $k) (i32.const 7))
  (global $first (ref $k) (ref.func $seven))
  (global $second (ref $k) (global.get $first))
  (table $t 3 (ref $k) (ref.func $seven))
  (table $u 1 (ref func) (global.get $imported))
  (func (export "table") (param i32) (result i32)
    (call_ref $k (table.get $t (local.get 0))))
  (func (export "global") (result i32)
    (local $f (ref $k))
    (local.set $f (global.get $second))
    (call_ref $k (local.get $f))))
(assert_return (invoke $E "table" (i32.const 2)) (i32.const 7))
(assert_return (invoke $E "global") (i32.const 7))
(assert_trap (invoke $E "table" (i32.const 3)) "out of bounds table access")

(assert_invalid
  (module (type $k (func)) (table 1 (ref $k)))
  "type mismatch")
(assert_invalid
  (module
    (type $k (func))
    (global $g (ref null $k) (ref.null $k))
    (table 1 (ref null $k) (global.get $g)))
  "unknown global")
(assert_invalid
  (module (type $k (func)) (func (local $f (ref $k)) (drop (local.get $f))))
  "uninitialized local")
(assert_invalid
  (module
    (type $k (func))
    (func $f (local $r (ref $k))
      (block (local.set $r (ref.func $f)))
      (drop (local.get $r))))
  "uninitialized local")
(assert_invalid
  (module (type $k (func)) (func (param (ref null $k)) (call_ref $k (i32.const 0))))
  "type mismatch")
(assert_invalid
  (module
    (type $k (func))
    (type $l (func (result i32)))
    (func (param (ref $l)) (call_ref $k (local.get 0))))
  "type mismatch")
