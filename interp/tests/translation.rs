//! What the translator emits for common shapes of compiled code, and that
//! the shorter code computes the same values.

mod common;

use skiff_interp::code::{FuncCode, Op};
use skiff_vm::runtime::Value;
use skiff_vm::{Features, load};

/// The translated code of the module's first function.
fn code_of(wat: &str) -> FuncCode {
    let module = load(wat.as_bytes(), &Features::WASM2).expect("valid module");
    let m = module.module();
    skiff_interp::translate::translate(m, &module.func_infos[0], m.num_imported_funcs)
        .expect("translates")
}

fn run(wat: &str, args: &[Value]) -> Vec<Value> {
    common::call(wat, args).expect("no trap")
}

fn count(code: &FuncCode, pred: impl Fn(&Op) -> bool) -> usize {
    code.ops().filter(|op| pred(op)).count()
}

/// Sums 0..n with the loop shape compilers emit: the back edge is a `br_if`
/// of a comparison.
const SUM: &str = r#"(module (func (export "f") (param i32) (result i32) (local i32 i32)
  i32.const 0
  local.set 1
  loop
    local.get 2
    local.get 1
    i32.add
    local.set 2
    local.get 1
    i32.const 1
    i32.add
    local.tee 1
    local.get 0
    i32.lt_u
    br_if 0
  end
  local.get 2))"#;

#[test]
fn a_compare_and_branch_back_edge_is_one_jump() {
    let code = code_of(SUM);
    // The `br_if` of `i32.lt_u` jumps back while the comparison holds, as
    // "jump unless i32.ge_u": no comparison, no separate unconditional jump.
    assert_eq!(
        count(&code, |op| matches!(op, Op::JumpIfNotI32GeU { .. })),
        1
    );
    assert_eq!(count(&code, |op| matches!(op, Op::I32LtU { .. })), 0);
    assert_eq!(count(&code, |op| matches!(op, Op::Jump { .. })), 0);
    // Setting the zeroed local 1 to zero at entry emits nothing.
    assert_eq!(count(&code, |op| matches!(op, Op::Const { .. })), 0);
    assert_eq!(run(SUM, &[Value::I32(10)]), vec![Value::I32(45)]);
    assert_eq!(run(SUM, &[Value::I32(0)]), vec![Value::I32(0)]);
}

const PICK: &str = r#"(module (func (export "f") (param i64 i64 i32) (result i32)
  local.get 0
  local.get 1
  i64.gt_s
  if (result i32)
    i32.const 1
  else
    local.get 2
    i32.eqz
    if (result i32)
      i32.const 2
    else
      i32.const 3
    end
  end))"#;

#[test]
fn an_if_tests_its_comparison_directly() {
    let code = code_of(PICK);
    assert_eq!(count(&code, |op| matches!(op, Op::I64GtS { .. })), 0);
    assert_eq!(count(&code, |op| matches!(op, Op::I32Eqz { .. })), 0);
    assert_eq!(
        count(&code, |op| matches!(op, Op::JumpIfNotI64GtS { .. })),
        1
    );
    for (a, b, c, expected) in [(5, 4, 0, 1), (4, 5, 0, 2), (4, 4, 7, 3), (-1, 0, 0, 2)] {
        let args = [Value::I64(a), Value::I64(b), Value::I32(c)];
        assert_eq!(run(PICK, &args), vec![Value::I32(expected)], "{a} {b} {c}");
    }
}

#[test]
fn a_local_is_known_zero_only_until_a_join_point() {
    // The second zeroing follows a loop: local 1 may be non-zero there.
    let wat = r#"(module (func (export "f") (param i32) (result i32) (local i32)
      i32.const 0
      local.set 1
      loop
        local.get 1
        i32.const 1
        i32.add
        local.set 1
        local.get 1
        local.get 0
        i32.lt_u
        br_if 0
      end
      i32.const 0
      local.set 1
      local.get 1))"#;
    let code = code_of(wat);
    assert_eq!(count(&code, |op| matches!(op, Op::Const { .. })), 1);
    assert_eq!(run(wat, &[Value::I32(5)]), vec![Value::I32(0)]);
}

/// `i32.add` of a constant feeding a load or store: the access does the
/// addition, which wraps at 2^32 as the `i32.add` did.
const ADDRESSED: &str = r#"(module (memory 1)
  (func (export "f") (param i32 i32) (result i64)
    local.get 0
    i32.const 16
    i32.add
    local.get 1
    i32.store
    local.get 0
    i32.const 16
    i32.add
    i64.load32_u))"#;

#[test]
fn an_added_constant_moves_into_the_access_and_wraps() {
    let code = code_of(ADDRESSED);
    assert_eq!(count(&code, |op| matches!(op, Op::I32AddImm { .. })), 0);
    assert_eq!(
        count(&code, |op| matches!(op, Op::I32StoreAt { imm: 16, .. })),
        1
    );
    assert_eq!(
        count(&code, |op| matches!(op, Op::I64Load32UAt { imm: 16, .. })),
        1
    );
    assert_eq!(
        run(ADDRESSED, &[Value::I32(100), Value::I32(-7)]),
        vec![Value::I64(0xffff_fff9)]
    );
    // 0xfffffff8 + 16 wraps to 8, inside the memory: no trap.
    assert_eq!(
        run(ADDRESSED, &[Value::I32(-8), Value::I32(5)]),
        vec![Value::I64(5)]
    );
}

#[test]
fn a_pending_addition_keeps_the_old_value_of_its_local() {
    let wat = r#"(module (func (export "f") (param i32) (result i32)
      local.get 0
      i32.const 4
      i32.add
      i32.const 100
      local.set 0
      local.get 0
      i32.add))"#;
    assert_eq!(run(wat, &[Value::I32(1)]), vec![Value::I32(105)]);
}

/// `x = c ? a : b` and `y = !c ? a : b` stored to locals, returned as `x - y`.
const SELECTS: &str = r#"(module (func (export "f") (param i32 i32 i32) (result i32) (local i32 i32)
  (local.set 3 (select (local.get 0) (local.get 1) (local.get 2)))
  (local.set 4 (select (local.get 0) (local.get 1) (i32.eqz (local.get 2))))
  (i32.sub (local.get 3) (local.get 4))))"#;

#[test]
fn a_select_writes_its_local_and_swaps_for_eqz() {
    let code = code_of(SELECTS);
    // Each select writes its local directly, and the second tests `c` itself.
    assert_eq!(count(&code, |op| matches!(op, Op::Copy { .. })), 0);
    assert_eq!(count(&code, |op| matches!(op, Op::I32Eqz { .. })), 0);
    assert_eq!(
        count(&code, |op| matches!(
            op,
            Op::SelectSmall {
                dst: 3,
                a: 0,
                b: 1,
                cond: 2,
                wide: false
            } | Op::SelectSmall {
                dst: 4,
                a: 1,
                b: 0,
                cond: 2,
                wide: false
            }
        )),
        2
    );
    // c != 0: x = a, y = b; c == 0: x = b, y = a.
    assert_eq!(
        run(SELECTS, &[Value::I32(10), Value::I32(3), Value::I32(7)]),
        vec![Value::I32(7)]
    );
    assert_eq!(
        run(SELECTS, &[Value::I32(10), Value::I32(3), Value::I32(0)]),
        vec![Value::I32(-7)]
    );
}

#[test]
fn a_select_of_i64_eqz_tests_all_64_bits() {
    // `x & 1 ? a : b` as compilers write it, and the same of a value whose
    // low half is zero.
    let wat = r#"(module (func (export "f") (param i64 i64 i64) (result i64)
      (select (local.get 1) (local.get 2) (i64.eqz (i64.and (local.get 0) (i64.const -2))))))"#;
    let code = code_of(wat);
    assert_eq!(count(&code, |op| matches!(op, Op::I64Eqz { .. })), 0);
    assert_eq!(
        count(&code, |op| matches!(op, Op::SelectSmall { wide: true, .. })),
        1
    );
    let pick = |x: i64| run(wat, &[Value::I64(x), Value::I64(10), Value::I64(20)]);
    // Zero after the mask: the first operand.
    assert_eq!(pick(1), vec![Value::I64(10)]);
    assert_eq!(pick(0), vec![Value::I64(10)]);
    // Bits left, in the low half or only in the high half: the second.
    assert_eq!(pick(6), vec![Value::I64(20)]);
    assert_eq!(pick(1 << 40), vec![Value::I64(20)]);
    assert_eq!(pick(i64::MIN), vec![Value::I64(20)]);
}

/// A block whose result comes either from a branch or from its last
/// instruction, set to a local after the block.
const JOINED: &str = r#"(module (func (export "f") (param i32 i32 i32) (result i32) (local i32)
  (block (result i32)
    (i32.const 1)
    (br_if 0 (local.get 0))
    drop
    (i32.add (local.get 1) (local.get 2)))
  local.set 3
  (block (result i32)
    (i32.const 5)
    (br_if 0 (local.get 0))
    drop
    (i32.lt_s (local.get 1) (local.get 2)))
  (if (then (local.set 3 (i32.add (local.get 3) (i32.const 100)))))
  local.get 3))"#;

#[test]
fn nothing_fuses_across_a_join_point() {
    // The branch carries 1 into the block's result: the `local.set` must not
    // become the `i32.add`'s destination, nor the `if` test the `i32.lt_s`.
    assert_eq!(
        run(JOINED, &[Value::I32(1), Value::I32(10), Value::I32(20)]),
        vec![Value::I32(101)]
    );
    assert_eq!(
        run(JOINED, &[Value::I32(0), Value::I32(10), Value::I32(20)]),
        vec![Value::I32(130)]
    );
    assert_eq!(
        run(JOINED, &[Value::I32(0), Value::I32(30), Value::I32(20)]),
        vec![Value::I32(50)]
    );
}

/// Loads whose value an arithmetic instruction uses right away, on either
/// side, addressed with a static offset or with an added constant.
const LOAD_OPS: &str = r#"(module (memory 1)
  (func (export "f") (param $p i32) (param $x i32) (result i32)
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 8) (i32.const 1000))
    (i32.sub (local.get $x) (i32.load offset=8 (local.get $p)))
    (i32.sub (i32.load (i32.add (local.get $p) (i32.const 8))) (local.get $x))
    (i32.mul)))"#;

#[test]
fn a_load_fuses_into_the_arithmetic_using_it() {
    let code = code_of(LOAD_OPS);
    assert_eq!(count(&code, |op| matches!(op, Op::I32Load { .. })), 0);
    assert_eq!(
        count(&code, |op| matches!(
            op,
            Op::I32SubLoad {
                offset: 8,
                wrap: false,
                swap: false,
                ..
            } | Op::I32SubLoad {
                offset: 8,
                wrap: true,
                swap: true,
                ..
            }
        )),
        2
    );
    // (7 - 1000) * (1000 - 7)
    assert_eq!(
        run(LOAD_OPS, &[Value::I32(0), Value::I32(7)]),
        vec![Value::I32(-993 * 993)]
    );
    // p = -8: the `*At` form wraps to address 0 (100); offset=8 on 0xfffffff8
    // does not wrap, and traps.
    let trap = common::call(LOAD_OPS, &[Value::I32(-8), Value::I32(7)]).unwrap_err();
    assert_eq!(trap.kind(), skiff_vm::runtime::TrapKind::MemoryOutOfBounds);
}

/// `base + (i << 2)`, and two counter updates in a row.
const INDEXING: &str = r#"(module (func (export "f") (param $b i32) (param $i i32) (result i32)
    (local.set $b (i32.add (local.get $b) (i32.const 3)))
    (local.set $i (i32.add (local.get $i) (i32.const -1)))
    (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 34)))))"#;

#[test]
fn indexing_and_paired_updates_fuse() {
    let code = code_of(INDEXING);
    assert_eq!(
        count(&code, |op| matches!(op, Op::I32AddShl { k: 2, .. })),
        1
    );
    assert_eq!(
        count(&code, |op| matches!(
            op,
            Op::I32AddImm2 {
                imm1: 3,
                imm2: -1,
                ..
            }
        )),
        1
    );
    assert_eq!(
        count(&code, |op| matches!(
            op,
            Op::I32Shl { .. } | Op::I32AddImm { .. }
        )),
        0
    );
    // (10 + 3) + ((5 - 1) << (34 mod 32))
    assert_eq!(
        run(INDEXING, &[Value::I32(10), Value::I32(5)]),
        vec![Value::I32(29)]
    );
    // Wrapping: 0x7fffffff + 3, (0 - 1) << 2.
    assert_eq!(
        run(INDEXING, &[Value::I32(i32::MAX), Value::I32(0)]),
        vec![Value::I32(i32::MAX.wrapping_add(3).wrapping_add(-4))]
    );
}

/// xorshift: `x ^= x << 13; x ^= x >> 17; x ^= x << 5`, and a rotate.
const XORSHIFT: &str = r#"(module (func (export "f") (param $x i32) (result i32)
    (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
    (local.set $x (i32.xor (i32.shr_u (local.get $x) (i32.const 17)) (local.get $x)))
    (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
    (i32.xor (local.get $x) (i32.rotl (local.get $x) (i32.const 7)))))"#;

#[test]
fn a_shift_by_a_constant_fuses_into_its_use() {
    let code = code_of(XORSHIFT);
    assert_eq!(
        count(&code, |op| matches!(
            op,
            Op::I32Shl { .. } | Op::I32ShrU { .. } | Op::I32Rotl { .. } | Op::I32Xor { .. }
        )),
        0
    );
    assert_eq!(
        count(&code, |op| matches!(op, Op::I32XorShl { dst: 0, .. })),
        2
    );
    let mut x: u32 = 0x1234_5678;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    let expected = x ^ x.rotate_left(7);
    assert_eq!(
        run(XORSHIFT, &[Value::I32(0x1234_5678)]),
        vec![Value::I32(expected as i32)]
    );
}

/// `a[i]` for 32-bit and 64-bit elements, and `p[i]` for bytes, through the
/// `*At` form.
const INDEXED: &str = r#"(module (memory 1)
  (func (export "f") (param $a i32) (param $i i32) (result i64)
    (i32.store (i32.const 40) (i32.const 7))
    (i64.store (i32.const 80) (i64.const 11))
    (i64.add
      (i64.extend_i32_u
        (i32.add
          (i32.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
          (i32.load8_u (i32.add (i32.add (local.get $a) (local.get $i)) (i32.const 30)))))
      (i64.load offset=40 (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 3)))))))"#;

#[test]
fn a_load_of_a_computed_address_fuses_with_the_addition() {
    let code = code_of(INDEXED);
    assert_eq!(
        count(&code, |op| matches!(
            op,
            Op::I32LoadIdx {
                k: 2,
                wrap: false,
                offset: 0,
                ..
            } | Op::I32Load8UIdx {
                k: 0,
                wrap: true,
                offset: 30,
                ..
            } | Op::I64LoadIdx {
                k: 3,
                wrap: false,
                offset: 40,
                ..
            }
        )),
        3
    );
    assert_eq!(count(&code, |op| matches!(op, Op::I32Add { .. })), 1);
    // Memory holds the i32 7 at 40 and the i64 11 at 80, zeros elsewhere.
    // a = 20, i = 5: a + 4i = 40 holds 7; bytes 55 and 100 hold 0.
    assert_eq!(
        run(INDEXED, &[Value::I32(20), Value::I32(5)]),
        vec![Value::I64(7)]
    );
    // a = 0, i = 10: 40 holds 7, and so does byte 40; 120 holds 0.
    assert_eq!(
        run(INDEXED, &[Value::I32(0), Value::I32(10)]),
        vec![Value::I64(7 + 7)]
    );
    // a = 40, i = 0: 40 holds 7; byte 70 is 0; 40 + 40 = 80 holds 11.
    assert_eq!(
        run(INDEXED, &[Value::I32(40), Value::I32(0)]),
        vec![Value::I64(7 + 11)]
    );
}

/// `x[i] += v` in place, `x[i] -= v * w` through a product, and the forms the
/// update must not take: a store elsewhere, a result kept in a local.
const UPDATES: &str = r#"(module (memory 1)
  (func (export "f") (param $p i32) (param $v f64) (param $w f64) (result f64) (local $keep f64)
    (f64.store (local.get $p) (f64.const 10))
    (f64.store offset=8 (local.get $p) (f64.const 100))
    (f64.store (local.get $p) (f64.add (local.get $v) (f64.load (local.get $p))))
    (f64.store offset=8 (local.get $p)
      (f64.sub (f64.load offset=8 (local.get $p)) (f64.mul (local.get $v) (local.get $w))))
    (f64.store offset=16 (local.get $p) (f64.add (local.get $v) (f64.load (local.get $p))))
    (f64.store (local.get $p)
      (local.tee $keep (f64.mul (local.get $w) (f64.load (local.get $p)))))
    (f64.add
      (f64.add (f64.load (local.get $p)) (f64.load offset=8 (local.get $p)))
      (f64.add (f64.load offset=16 (local.get $p)) (local.get $keep)))))"#;

#[test]
fn an_update_of_memory_and_a_multiply_add_fuse() {
    let code = code_of(UPDATES);
    assert_eq!(count(&code, |op| matches!(op, Op::F64AddTo { .. })), 1);
    // The product feeds the subtraction, whose result is stored back.
    assert_eq!(
        count(&code, |op| matches!(op, Op::F64MulAdd { mode: 2, .. })),
        1
    );
    // Stored elsewhere, or kept in a local: no update.
    assert_eq!(count(&code, |op| matches!(op, Op::F64MulTo { .. })), 0);
    // v = 2, w = 3: x[0] = 12, x[1] = 100 - 6 = 94, x[2] = 2 + 12 = 14,
    // then x[0] = keep = 3 * 12 = 36: 36 + 94 + 14 + 36.
    assert_eq!(
        run(
            UPDATES,
            &[
                Value::I32(64),
                Value::F64(2.0f64.to_bits()),
                Value::F64(3.0f64.to_bits())
            ]
        ),
        vec![Value::F64(180.0f64.to_bits())]
    );
}

/// `p[q + 2]` with the element offset added before the base, a shifted value
/// computed in the slot the shift writes, and a zero-based table lookup.
const REASSOCIATED: &str = r#"(module (memory 1)
  (func (export "f") (param $p i32) (param $q i32) (result i32)
    (i32.store (i32.const 48) (i32.const 5))
    (i32.store (i32.const 4) (i32.const 9))
    (i32.add
      (i32.add
        (i32.load (i32.add (local.get $p) (i32.add (local.get $q) (i32.const 8))))
        (i32.xor (local.get $q) (i32.shl (i32.add (local.get $p) (local.get $q)) (i32.const 1))))
      (i32.load (i32.shl (i32.const 1) (i32.const 2))))))"#;

#[test]
fn a_pending_constant_moves_past_an_addition() {
    let code = code_of(REASSOCIATED);
    // (p + (q + 8)) is loaded as (p + q) + 8, in the load itself.
    assert_eq!(count(&code, |op| matches!(op, Op::I32AddImm { .. })), 0);
    assert_eq!(
        count(&code, |op| matches!(
            op,
            Op::I32LoadIdx {
                k: 0,
                wrap: true,
                offset: 8,
                ..
            }
        )),
        1
    );
    assert_eq!(
        count(&code, |op| matches!(op, Op::I32XorShl { k: 1, .. })),
        1
    );
    // p = 30, q = 10: [48] = 5, 10 ^ (40 << 1) = 90, [4] = 9.
    assert_eq!(
        run(REASSOCIATED, &[Value::I32(30), Value::I32(10)]),
        vec![Value::I32(5 + (10 ^ 80) + 9)]
    );
    // p = -10, q = 50: the address wraps to 48.
    assert_eq!(
        run(REASSOCIATED, &[Value::I32(-10), Value::I32(50)]),
        vec![Value::I32(5 + (50 ^ 80) + 9)]
    );
}

/// A dispatch loop as compilers emit a `switch` in a `for`: each arm ends
/// with a branch to the loop's condition, which branches back to the header
/// that dispatches through `br_table`. Runs the program of `n` opcodes
/// `i % 3` (0: acc += 1, 1: acc *= 2, 2: acc -= 3) and returns acc.
const DISPATCH: &str = r#"(module (func (export "f") (param $n i32) (result i32)
  (local $i i32) (local $acc i32)
  (block $done
    (loop $next
      (block $cont
        (block $op2 (block $op1 (block $op0
          (br_table $op0 $op1 $op2 (i32.rem_u (local.get $i) (i32.const 3))))
          (local.set $acc (i32.add (local.get $acc) (i32.const 1)))
          (br $cont))
        (local.set $acc (i32.mul (local.get $acc) (i32.const 2)))
        (br $cont))
        (local.set $acc (i32.sub (local.get $acc) (i32.const 3))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n)))))
  (local.get $acc)))"#;

#[test]
fn each_arm_of_a_dispatch_loop_dispatches_itself() {
    let code = code_of(DISPATCH);
    // The arms' branches to the condition became copies of the condition
    // and the header: three `br_table` dispatches, no `Jump` left.
    assert_eq!(count(&code, |op| matches!(op, Op::BrTable { .. })), 3);
    assert_eq!(count(&code, |op| matches!(op, Op::Jump { .. })), 0);
    let expect = |n: i32| {
        let mut acc = 0i32;
        for i in 0..n.max(1) {
            acc = match i % 3 {
                0 => acc.wrapping_add(1),
                1 => acc.wrapping_mul(2),
                _ => acc.wrapping_sub(3),
            };
        }
        acc
    };
    for n in [0, 1, 2, 3, 10, 1001] {
        assert_eq!(
            run(DISPATCH, &[Value::I32(n)]),
            vec![Value::I32(expect(n))],
            "n = {n}"
        );
    }
}

/// The branchless step of a merge: the smaller of `x` and `y` (signed),
/// and how many of them were smaller, counting the comparison's result
/// again after the `select` used it. Returns `min * 10 + lt`.
const MERGE_STEP: &str = r#"(module (func (export "f") (param $x i32) (param $y i32) (result i32)
  (local $lt i32) (local $min i32)
  (local.set $min
    (select (local.get $x) (local.get $y) (local.tee $lt (i32.lt_s (local.get $x) (local.get $y)))))
  (i32.add (i32.mul (local.get $min) (i32.const 10)) (local.get $lt))))"#;

#[test]
fn a_select_by_a_comparison_is_one_instruction() {
    let code = code_of(MERGE_STEP);
    assert_eq!(count(&code, |op| matches!(op, Op::SelectI32LtS { .. })), 1);
    assert_eq!(count(&code, |op| matches!(op, Op::I32LtS { .. })), 0);
    assert_eq!(count(&code, |op| matches!(op, Op::SelectSmall { .. })), 0);
    for (x, y) in [
        (1, 2),
        (2, 1),
        (-5, 3),
        (3, -5),
        (7, 7),
        (i32::MIN, i32::MAX),
    ] {
        let min = if x < y { x } else { y };
        let want = min.wrapping_mul(10).wrapping_add(i32::from(x < y));
        assert_eq!(
            run(MERGE_STEP, &[Value::I32(x), Value::I32(y)]),
            vec![Value::I32(want)]
        );
    }
}

/// A `select` by an unsigned 64-bit comparison, of a computed value and a
/// constant.
const SELECT_U64: &str = r#"(module (func (export "f") (param $x i64) (param $y i64) (result i32)
  (select (i32.wrap_i64 (local.get $y)) (i32.const 5) (i64.lt_u (local.get $x) (local.get $y)))))"#;

#[test]
fn a_select_by_a_64_bit_comparison_is_one_instruction() {
    let code = code_of(SELECT_U64);
    assert_eq!(count(&code, |op| matches!(op, Op::SelectI64LtU { .. })), 1);
    assert_eq!(count(&code, |op| matches!(op, Op::I64LtU { .. })), 0);
    for (x, y, want) in [(1, 2, 2), (9, 2, 5), (-1i64, 2, 5), (2, -1i64, -1)] {
        assert_eq!(
            run(SELECT_U64, &[Value::I64(x), Value::I64(y)]),
            vec![Value::I32(want)],
            "x = {x}, y = {y}"
        );
    }
}

/// Counts the elements of `xs[0..n]` (i32, at address 0) below `limit`
/// without branching on them: `count += xs[i] < limit`.
const COUNT_BELOW: &str = r#"(module (memory 1)
  (data (i32.const 0) "\05\00\00\00\fd\ff\ff\ff\0a\00\00\00\00\00\00\80\07\00\00\00")
  (func (export "f") (param $n i32) (param $limit i32) (result i32)
    (local $i i32) (local $count i32)
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $next
        (local.set $count
          (i32.add (local.get $count)
                   (i32.lt_s (i32.load (i32.shl (local.get $i) (i32.const 2)))
                             (local.get $limit))))
        (br_if $next (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                             (local.get $n)))))
    (local.get $count)))"#;

#[test]
fn adding_a_comparison_is_one_instruction() {
    let code = code_of(COUNT_BELOW);
    assert_eq!(count(&code, |op| matches!(op, Op::CountI32LtS { .. })), 1);
    assert_eq!(count(&code, |op| matches!(op, Op::I32LtS { .. })), 0);
    // The elements: 5, -3, 10, i32::MIN, 7.
    for (n, limit, want) in [(5, 6, 3), (5, 0, 2), (5, 100, 5), (3, -3, 0), (0, 9, 0)] {
        assert_eq!(
            run(COUNT_BELOW, &[Value::I32(n), Value::I32(limit)]),
            vec![Value::I32(want)],
            "n = {n}, limit = {limit}"
        );
    }
}

/// A vector loaded and used at once, either operand, and an operator's
/// result stored at once (memory: 1.0, 2.0, 3.0, 4.0 as `f64` from 0).
const VECTOR_ACCESS: &str = r#"(module (memory 1)
  (data (i32.const 0) "\00\00\00\00\00\00\f0\3f\00\00\00\00\00\00\00\40")
  (data (i32.const 16) "\00\00\00\00\00\00\08\40\00\00\00\00\00\00\10\40")
  (func (export "f") (param $p i32) (result f64 f64) (local $x v128) (local $a v128)
    (local.set $x (v128.const f64x2 10 20))
    (local.set $a (f64x2.sub (local.get $x) (v128.load (local.get $p))))
    (local.set $a (f64x2.sub (v128.load offset=16 (local.get $p)) (local.get $a)))
    (v128.store offset=32 (local.get $p) (f64x2.mul (local.get $a) (local.get $a)))
    (f64.load offset=32 (local.get $p))
    (f64.load offset=40 (local.get $p))))"#;

#[test]
fn a_vector_load_or_store_fuses_with_its_operator() {
    let code = code_of(VECTOR_ACCESS);
    let loads = |first| {
        count(
            &code,
            |op| matches!(op, Op::VOpLoad { loaded_first, .. } if *loaded_first == first),
        )
    };
    assert_eq!((loads(false), loads(true)), (1, 1));
    assert_eq!(count(&code, |op| matches!(op, Op::VOpStore { .. })), 1);
    assert_eq!(
        count(&code, |op| matches!(
            op,
            Op::VLoad { .. } | Op::VStore { .. }
        )),
        0
    );
    // a = [10 - 1, 20 - 2], then [3 - 9, 4 - 18]; stored squared.
    assert_eq!(
        run(VECTOR_ACCESS, &[Value::I32(0)]),
        vec![Value::F64(36f64.to_bits()), Value::F64(196f64.to_bits())]
    );
    // Both loads in bounds, the store one byte past the end: a trap.
    let trap = common::call(VECTOR_ACCESS, &[Value::I32(65536 - 47)]).unwrap_err();
    assert_eq!(trap.kind(), skiff_vm::runtime::TrapKind::MemoryOutOfBounds);
}

#[test]
fn an_i64_product_added_is_one_instruction() {
    // `3 * x + 1` (the product first), `c + a * b` (the product second) and
    // a product of a product, which fuses only once.
    let wat = r#"(module (func (export "f") (param i64 i64 i64) (result i64)
      (i64.add (i64.mul (local.get 0) (i64.const 3)) (i64.const 1))
      (i64.add (local.get 2) (i64.mul (local.get 0) (local.get 1)))
      (i64.add)
      (i64.mul (local.get 0) (local.get 1))
      (i64.mul (local.get 2) (local.get 2))
      (i64.add)
      (i64.add)))"#;
    let code = code_of(wat);
    assert_eq!(count(&code, |op| matches!(op, Op::I64MulAdd { .. })), 3);
    assert_eq!(count(&code, |op| matches!(op, Op::I64Mul { .. })), 1);
    let f = |x: i64, y: i64, z: i64| run(wat, &[Value::I64(x), Value::I64(y), Value::I64(z)]);
    let model = |x: i64, y: i64, z: i64| {
        let a = x.wrapping_mul(3).wrapping_add(1);
        let b = z.wrapping_add(x.wrapping_mul(y));
        let c = x.wrapping_mul(y).wrapping_add(z.wrapping_mul(z));
        vec![Value::I64(a.wrapping_add(b).wrapping_add(c))]
    };
    for (x, y, z) in [(5, 7, 11), (-3, 1 << 40, i64::MAX), (1 << 62, 6, -1)] {
        assert_eq!(f(x, y, z), model(x, y, z), "{x} {y} {z}");
    }
}

#[test]
fn a_widened_u32_added_is_one_instruction() {
    // `u64 + u32`, the widened value on either side; the high bit of the
    // 32-bit value must not spread.
    let wat = r#"(module (func (export "f") (param i64 i32) (result i64)
      (i64.add (local.get 0) (i64.extend_i32_u (local.get 1)))
      (i64.add (i64.extend_i32_u (local.get 1)) (i64.const 1))
      (i64.sub)))"#;
    let code = code_of(wat);
    assert_eq!(count(&code, |op| matches!(op, Op::I64AddExtendU { .. })), 2);
    assert_eq!(count(&code, |op| matches!(op, Op::I64ExtendI32U { .. })), 0);
    let f = |x: i64, y: i32| run(wat, &[Value::I64(x), Value::I32(y)]);
    // (x + u32(y)) - (u32(y) + 1) = x - 1, whatever y is, when each sum is
    // right; and one sum alone, to see the extension.
    assert_eq!(f(100, -1), vec![Value::I64(99)]);
    assert_eq!(f(i64::MAX, i32::MIN), vec![Value::I64(i64::MAX - 1)]);
    let one = r#"(module (func (export "f") (param i64 i32) (result i64)
      (i64.add (local.get 0) (i64.extend_i32_u (local.get 1)))))"#;
    assert_eq!(
        run(one, &[Value::I64(1), Value::I32(-1)]),
        vec![Value::I64(1 + u32::MAX as i64)]
    );
}
