;; The legacy exception instructions (try, catch, catch_all, delegate,
;; rethrow), which the testsuite no longer covers: tests/exceptions.rs runs
;; this script on every engine.
(module
  (tag $a (param i32))
  (tag $b (param i64))
  (func $throw_a (param i32) (throw $a (local.get 0)))
  (func $throw_b (param i64) (throw $b (local.get 0)))
  ;; catch by tag, with the payload
  (func (export "catch_a") (param i32) (result i32)
    try (result i32)
      local.get 0
      call $throw_a
      i32.const -1
    catch $b
      drop
      i32.const -2
    catch $a
      i32.const 100
      i32.add
    end)
  ;; catch_all
  (func (export "catch_all") (param i64) (result i32)
    try (result i32)
      local.get 0
      call $throw_b
      i32.const -1
    catch $a
      drop
      i32.const -2
    catch_all
      i32.const 7
    end)
  ;; nothing thrown
  (func (export "no_throw") (result i32)
    try (result i32)
      i32.const 5
    catch_all
      i32.const 6
    end)
  ;; rethrow from an inner catch to an outer one
  (func (export "rethrow") (param i32) (result i32)
    try (result i32)
      try (result i32)
        local.get 0
        throw $a
      catch $a
        drop
        rethrow 0
      end
    catch $a
      i32.const 2
      i32.mul
    end)
  ;; rethrow of the outer catch's exception from a nested try's catch
  (func (export "rethrow_outer") (param i32) (result i32)
    try (result i32)
      try (result i32)
        local.get 0
        throw $a
      catch $a
        drop
        try (result i32)
          i64.const 1
          throw $b
        catch $b
          drop
          rethrow 1
        end
      end
    catch $a
      i32.const 1000
      i32.add
    end)
  ;; delegate to the enclosing try, skipping the one in between
  (func (export "delegate") (param i32) (result i32)
    try $outer (result i32)
      try (result i32)
        try (result i32)
          local.get 0
          call $throw_a
          i32.const 0
        delegate $outer
      catch $a
        drop
        i32.const -1
      end
    catch $a
      i32.const -1
      i32.mul
    end)
  ;; delegate to the function's label: out to the caller
  (func $delegate_out (param i32) (result i32)
    try (result i32)
      try (result i32)
        local.get 0
        call $throw_a
        i32.const 0
      delegate 1
    catch $a
      drop
      i32.const -1
    end)
  (func (export "delegate_out") (param i32) (result i32)
    try (result i32)
      local.get 0
      call $delegate_out
    catch $a
      i32.const 1
      i32.add
    end)
  ;; a try without catch blocks passes exceptions on
  (func (export "no_catch") (param i32) (result i32)
    try (result i32)
      try
        local.get 0
        call $throw_a
      end
      i32.const 0
    catch $a
    end)
  ;; a branch out of a catch block, in a loop of throws
  (func (export "loop") (param $n i32) (result i32) (local $s i32)
    block $done
      loop $l
        local.get $n
        i32.eqz
        br_if $done
        try
          local.get $n
          call $throw_a
        catch $a
          local.get $s
          i32.add
          local.set $s
          local.get $n
          i32.const 1
          i32.sub
          local.set $n
          br $l
        end
        unreachable
      end
    end
    local.get $s)
  (func (export "uncaught") (param i32)
    try
      local.get 0
      call $throw_a
    catch $b
      drop
    end)
  ;; an exception thrown in a catch block is not caught by its own try
  (func (export "in_catch") (result i32)
    try (result i32)
      try (result i32)
        i32.const 1
        throw $a
      catch $a
        drop
        i64.const 2
        throw $b
      catch $b
        drop
        i32.const -1
      end
    catch $b
      i32.wrap_i64
    end)
)
(assert_return (invoke "catch_a" (i32.const 5)) (i32.const 105))
(assert_return (invoke "catch_all" (i64.const 5)) (i32.const 7))
(assert_return (invoke "no_throw") (i32.const 5))
(assert_return (invoke "rethrow" (i32.const 21)) (i32.const 42))
(assert_return (invoke "rethrow_outer" (i32.const 3)) (i32.const 1003))
(assert_return (invoke "delegate" (i32.const 9)) (i32.const -9))
(assert_return (invoke "delegate_out" (i32.const 9)) (i32.const 10))
(assert_return (invoke "no_catch" (i32.const 4)) (i32.const 4))
(assert_return (invoke "loop" (i32.const 100)) (i32.const 5050))
(assert_exception (invoke "uncaught" (i32.const 1)))
(assert_return (invoke "in_catch") (i32.const 2))

;; A delegate to a try without catch blocks: the exception goes on outward.
(module
  (tag $a (param i32))
  (func $throw_a (param i32) (throw $a (local.get 0)))
  (func (export "delegate_to_catchless") (param i32) (result i32)
    try (result i32)
      try $plain (result i32)
        try (result i32)
          local.get 0
          call $throw_a
          i32.const 0
        delegate $plain
      end
    catch $a
      i32.const 1
      i32.add
    end)
  ;; a delegate to a try that itself delegates to the caller
  (func $chain (param i32) (result i32)
    try (result i32)
      try $mid (result i32)
        try (result i32)
          local.get 0
          call $throw_a
          i32.const 0
        delegate $mid
      delegate 1
    catch $a
      drop
      i32.const -1
    end)
  (func (export "delegate_chain") (param i32) (result i32)
    try (result i32)
      local.get 0
      call $chain
    catch $a
      i32.const 2
      i32.add
    end))
(assert_return (invoke "delegate_to_catchless" (i32.const 4)) (i32.const 5))
(assert_return (invoke "delegate_chain" (i32.const 4)) (i32.const 6))
