//! Threaded code passes control from handler to handler by tail calls: a long
//! run of every kind of instruction must not grow the host's stack.

mod common;

use skiff_interp::code::FuncCode;
use skiff_vm::runtime::Value;
use skiff_vm::{Features, load};
use std::collections::BTreeSet;
use std::fmt::Write;

const ITERATIONS: i32 = 20_000;

/// A function whose loop body runs every numeric instruction, every load and
/// store (with a static offset and with an added constant), every fused
/// compare-and-jump, and the branches, copies, constants and selects.
fn every_instruction() -> String {
    let mut body = String::new();
    let mut drop = |expr: String| writeln!(body, "(drop {expr})").unwrap();
    for (ty, a, b) in [("i32", "$a", "$b"), ("i64", "$x", "$y")] {
        for op in [
            "add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl",
            "shr_s", "shr_u", "rotl", "rotr", "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s",
            "le_u", "ge_s", "ge_u",
        ] {
            drop(format!("({ty}.{op} (local.get {a}) (local.get {b}))"));
        }
        for op in ["eqz", "clz", "ctz", "popcnt", "extend8_s", "extend16_s"] {
            drop(format!("({ty}.{op} (local.get {a}))"));
        }
    }
    for (ty, a, b) in [("f32", "$f", "$g"), ("f64", "$d", "$e")] {
        for op in [
            "add", "sub", "mul", "div", "min", "max", "copysign", "eq", "ne", "lt", "gt", "le",
            "ge",
        ] {
            drop(format!("({ty}.{op} (local.get {a}) (local.get {b}))"));
        }
        for op in ["abs", "neg", "ceil", "floor", "trunc", "nearest", "sqrt"] {
            drop(format!("({ty}.{op} (local.get {a}))"));
        }
        for int in ["i32", "i64"] {
            for op in ["trunc", "trunc_sat"] {
                for sign in ["s", "u"] {
                    drop(format!("({int}.{op}_{ty}_{sign} (local.get {a}))"));
                }
            }
        }
    }
    for (op, arg) in [
        ("i64.extend32_s", "$x"),
        ("i32.wrap_i64", "$x"),
        ("i64.extend_i32_s", "$a"),
        ("i64.extend_i32_u", "$a"),
        ("f32.convert_i32_s", "$a"),
        ("f32.convert_i32_u", "$a"),
        ("f32.convert_i64_s", "$x"),
        ("f32.convert_i64_u", "$x"),
        ("f32.demote_f64", "$d"),
        ("f64.convert_i32_s", "$a"),
        ("f64.convert_i32_u", "$a"),
        ("f64.convert_i64_s", "$x"),
        ("f64.convert_i64_u", "$x"),
        ("f64.promote_f32", "$f"),
    ] {
        drop(format!("({op} (local.get {arg}))"));
    }
    let loads = [
        "i32.load",
        "i64.load",
        "f32.load",
        "f64.load",
        "i32.load8_s",
        "i32.load8_u",
        "i32.load16_s",
        "i32.load16_u",
        "i64.load8_s",
        "i64.load8_u",
        "i64.load16_s",
        "i64.load16_u",
        "i64.load32_s",
        "i64.load32_u",
    ];
    for op in loads {
        drop(format!("({op} offset=4 (local.get $p))"));
        drop(format!("({op} (i32.add (local.get $p) (i32.const 8)))"));
    }
    // Loads fused into the arithmetic using their value, on either side.
    for (ty, x, ops) in [
        ("i32", "$a", &["add", "sub", "mul", "and", "or", "xor"][..]),
        ("i64", "$x", &["add", "sub", "mul", "and", "or", "xor"][..]),
        ("f32", "$f", &["add", "sub", "mul", "div"][..]),
        ("f64", "$d", &["add", "sub", "mul", "div"][..]),
    ] {
        for op in ops {
            drop(format!(
                "({ty}.{op} (local.get {x}) ({ty}.load offset=4 (local.get $p)))"
            ));
            drop(format!(
                "({ty}.{op} ({ty}.load (i32.add (local.get $p) (i32.const 8))) (local.get {x}))"
            ));
        }
    }
    // Shifts by a constant fused into the instruction using their value.
    for (ty, x, y, shift, op) in [
        ("i32", "$a", "$b", "shl", "add"),
        ("i32", "$a", "$b", "shr_u", "add"),
        ("i32", "$a", "$b", "rotl", "add"),
        ("i32", "$a", "$b", "shl", "xor"),
        ("i32", "$a", "$b", "shr_u", "xor"),
        ("i32", "$a", "$b", "rotl", "xor"),
        ("i32", "$a", "$b", "shl", "or"),
        ("i32", "$a", "$b", "shr_u", "or"),
        ("i64", "$x", "$y", "shl", "xor"),
        ("i64", "$x", "$y", "shr_u", "xor"),
    ] {
        drop(format!(
            "({ty}.{op} (local.get {x}) ({ty}.{shift} (local.get {y}) ({ty}.const 3)))"
        ));
    }
    // Loads of a computed address, in both forms.
    for load in [
        "i32.load",
        "i64.load",
        "f32.load",
        "f64.load",
        "i32.load8_u",
        "i64.load32_u",
    ] {
        drop(format!(
            "({load} offset=4 (i32.add (local.get $p) (i32.shl (local.get $b) (i32.const 2))))"
        ));
        drop(format!(
            "({load} (i32.add (i32.add (local.get $p) (local.get $b)) (i32.const 8)))"
        ));
    }
    // Products feeding a sum or difference.
    drop("(f64.add (local.get $e) (f64.mul (local.get $d) (local.get $e)))".into());
    drop("(f64.sub (f64.mul (local.get $d) (local.get $e)) (local.get $e))".into());
    drop("(f64.sub (local.get $e) (f64.mul (local.get $d) (local.get $e)))".into());
    drop("(select (local.get $a) (local.get $b) (local.get $i))".into());
    drop("(ref.is_null (ref.null func))".into());
    drop("(block (result i32) (br 0 (local.get $a)))".into());
    drop(
        "(block (result i32) (drop (br_if 0 (local.get $a) (local.get $i))) (i32.const 5))".into(),
    );
    // Updates of memory in place.
    for (ty, x, op) in [
        ("i32", "$a", "add"),
        ("i64", "$x", "add"),
        ("f32", "$f", "add"),
        ("f64", "$d", "add"),
        ("f64", "$d", "sub"),
        ("f64", "$d", "mul"),
    ] {
        writeln!(
            body,
            "({ty}.store offset=32 (local.get $p) ({ty}.{op} (local.get {x}) ({ty}.load offset=32 (local.get $p))))"
        )
        .unwrap();
    }
    for (ty, value) in [
        ("i32", "$a"),
        ("i64", "$x"),
        ("f32", "$f"),
        ("f64", "$d"),
        ("i32", "$a"),
    ] {
        let widths: &[&str] = match (ty, value) {
            ("i32", "$a") => &["", "8", "16"],
            ("i64", _) => &["", "8", "16", "32"],
            _ => &[""],
        };
        for w in widths {
            writeln!(
                body,
                "({ty}.store{w} offset=16 (local.get $p) (local.get {value}))\n\
                 ({ty}.store{w} (i32.add (local.get $p) (i32.const 24)) (local.get {value}))"
            )
            .unwrap();
        }
    }
    for (ty, a, b) in [("i32", "$a", "$b"), ("i64", "$x", "$y")] {
        for op in [
            "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u",
        ] {
            writeln!(
                body,
                "(if ({ty}.{op} (local.get {a}) (local.get {b})) (then (local.set $c (i32.const 1))))"
            )
            .unwrap();
        }
    }
    writeln!(
        body,
        "(if (local.get $i) (then (local.set $c (i32.const 2))))\n\
         (block $b0 (block $b1 (block $b2\n\
           (br_table $b0 $b1 $b2 (i32.and (local.get $i) (i32.const 3))))))"
    )
    .unwrap();
    format!(
        r#"(module (memory 1)
  (func (export "f") (param $n i32) (result i32)
    (local $i i32) (local $c i32) (local $p i32)
    (local $a i32) (local $b i32) (local $x i64) (local $y i64)
    (local $f f32) (local $g f32) (local $d f64) (local $e f64)
    (local.set $p (i32.const 64))
    (local.set $a (i32.const 7)) (local.set $b (i32.const 3))
    (local.set $x (i64.const 7)) (local.set $y (i64.const 3))
    (local.set $f (f32.const 7.5)) (local.set $g (f32.const 2))
    (local.set $d (f64.const 7.5)) (local.set $e (f64.const 2))
    (loop $top
      {body}
      (local.set $c (i32.add (local.get $c) (i32.const 3)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i)))"#
    )
}

/// The names of the kinds of instructions in `code`.
fn kinds(code: &FuncCode) -> BTreeSet<String> {
    code.ops()
        .map(|op| {
            let name = format!("{op:?}");
            name.split([' ', '{']).next().unwrap().to_string()
        })
        .collect()
}

#[test]
fn the_test_loop_covers_the_threaded_instructions() {
    let wat = every_instruction();
    let module = load(wat.as_bytes(), &Features::ALL).expect("valid module");
    let m = module.module();
    let code = skiff_interp::translate::translate(m, &module.func_infos[0], 0).expect("translates");
    let kinds = kinds(&code);
    // Every load and store in both forms, every numeric instruction but the
    // comparisons that became fused jumps, those jumps, the fused loads and
    // updates, and the jumps, copies, constants, selects and the return.
    assert!(kinds.len() >= 251, "{} kinds: {kinds:?}", kinds.len());
    for kind in [
        "I64Load32SAt",
        "I64Store32At",
        "JumpIfNotI64GeU",
        "I64TruncSatF64U",
        "F64Copysign",
        "SelectSmall",
        "F64DivLoad",
        "I64XorLoad",
        "I32AddShl",
        "I64XorShrU",
        "I32AddRotl",
        "I64Load32UIdx",
        "F64MulTo",
        "F64MulAdd",
        "I32AddImm2",
        "RefIsNull",
        "BrTable",
        "JumpIfZero",
    ] {
        assert!(kinds.contains(kind), "no {kind} in {kinds:?}");
    }
}

#[test]
fn tail_calls_keep_the_stack_flat() {
    // With a handler that calls the next one without a tail call, each
    // instruction run would take stack: millions of them overflow 512 KiB.
    let result = std::thread::Builder::new()
        .stack_size(512 << 10)
        .spawn(|| common::call(&every_instruction(), &[Value::I32(ITERATIONS)]).expect("no trap"))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(result, vec![Value::I32(ITERATIONS)]);
}

#[test]
fn tail_calls_keep_the_stack_flat_in_code_that_meters_fuel() {
    // Its jumps and calls run the fuel checks they land on themselves: the
    // loop over every instruction, and a loop of calls.
    const CALLS: &str = r#"(module
      (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func (export "f") (param $n i32) (result i32) (local $i i32)
        (loop $top
          (local.set $i (call $inc (local.get $i)))
          (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $i)))"#;
    let fuel = 1 << 40;
    let spent = std::thread::Builder::new()
        .stack_size(512 << 10)
        .spawn(move || {
            let n = [Value::I32(ITERATIONS)];
            let mut spent = Vec::new();
            for wat in [every_instruction(), CALLS.to_string()] {
                let (result, left) = common::call_metered(&wat, &n, Some(fuel)).expect("no trap");
                assert_eq!(result, n);
                spent.push(fuel - left);
            }
            spent
        })
        .unwrap()
        .join()
        .unwrap();
    // A pass of the call loop: `local.get`, `call`, `local.set`, `local.get`
    // twice, `i32.lt_u`, `br_if` (7) and `$inc`'s four instructions; before
    // the passes `loop` (1), after them `end`, `local.get`, `end` (3).
    assert!(spent[0] > 2 * ITERATIONS as u64, "{spent:?}");
    assert_eq!(spent[1], ITERATIONS as u64 * 11 + 1 + 3, "{spent:?}");
}

/// The text name of a vector instruction from its variant name:
/// `I16x8ExtAddPairwiseI8x16S` is `i16x8.extadd_pairwise_i8x16_s`.
fn vector_text_name(variant: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    for c in variant.chars() {
        if c.is_ascii_uppercase() || words.is_empty() {
            words.push(String::new());
        }
        words.last_mut().unwrap().push(c.to_ascii_lowercase());
    }
    let name = format!("{}.{}", words[0], words[1..].join("_"));
    [
        ("ext_add", "extadd"),
        ("ext_mul", "extmul"),
        ("and_not", "andnot"),
        ("p_min", "pmin"),
        ("p_max", "pmax"),
        ("q15_mulr", "q15mulr"),
    ]
    .iter()
    .fold(name, |n, (from, to)| n.replace(from, to))
}

/// A function whose loop body runs every vector instruction: every operator
/// (its operands from locals of their types), every load, lane access,
/// store, lane extraction and replacement, a shuffle and a constant.
fn every_vector_instruction() -> String {
    use skiff_vm::isa::{LaneOp, VecLoad, VecOp};
    use skiff_vm::types::ValType;
    let mut body = String::new();
    let operand = |t: ValType| match t {
        ValType::I32 => "(local.get $a)",
        ValType::I64 => "(local.get $x)",
        ValType::F32 => "(local.get $f)",
        ValType::F64 => "(local.get $d)",
        ValType::V128 => "(local.get $v)",
        other => panic!("no operand of type {other:?}"),
    };
    for &op in VecOp::ALL {
        let args: Vec<&str> = op.signature().params.iter().map(|&t| operand(t)).collect();
        let name = vector_text_name(&format!("{op:?}"));
        writeln!(body, "(drop ({name} {}))", args.join(" ")).unwrap();
    }
    for &op in VecLoad::ALL {
        let name = vector_text_name(&format!("{op:?}"));
        writeln!(body, "(drop ({name} offset=4 (local.get $p)))").unwrap();
    }
    for w in [8, 16, 32, 64] {
        writeln!(
            body,
            "(local.set $v (v128.load{w}_lane offset=4 1 (local.get $p) (local.get $v)))\n\
             (v128.store{w}_lane offset=40 1 (local.get $p) (local.get $v))"
        )
        .unwrap();
    }
    for &op in LaneOp::ALL {
        let name = vector_text_name(&format!("{op:?}"));
        if op.is_replace() {
            let x = operand(op.scalar());
            writeln!(body, "(local.set $v ({name} 1 (local.get $v) {x}))").unwrap();
        } else {
            writeln!(body, "(drop ({name} 1 (local.get $v)))").unwrap();
        }
    }
    writeln!(
        body,
        "(drop (i8x16.shuffle 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31 (local.get $v) (local.get $v)))\n\
         (v128.store offset=64 (local.get $p) (local.get $v))\n\
         (local.set $v (i32x4.add (local.get $v) (v128.const i32x4 1 2 3 4)))"
    )
    .unwrap();
    format!(
        r#"(module (memory 1)
  (func (export "f") (param $n i32) (result i32)
    (local $i i32) (local $p i32) (local $a i32) (local $x i64)
    (local $f f32) (local $d f64) (local $v v128)
    (local.set $p (i32.const 64))
    (local.set $a (i32.const 7)) (local.set $x (i64.const 7))
    (local.set $f (f32.const 7.5)) (local.set $d (f64.const 7.5))
    (local.set $v (v128.const i32x4 1 -2 3 -4))
    (loop $top
      {body}
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i)))"#
    )
}

#[test]
fn the_vector_test_loop_covers_the_vector_handlers() {
    use skiff_vm::isa::{LaneOp, VecLoad, VecOp};
    let wat = every_vector_instruction();
    let module = load(wat.as_bytes(), &Features::ALL).expect("valid module");
    let code =
        skiff_interp::translate::translate(module.module(), &module.func_infos[0], 0).unwrap();
    let ops: Vec<String> = code.ops().map(|op| format!("{op:?}")).collect();
    let has = |kind: &str, op: String| {
        ops.iter()
            .any(|o| o.starts_with(kind) && o.contains(&format!("op: {op}")))
    };
    for op in VecOp::ALL {
        assert!(has("VOp", format!("{op:?}")), "no handler run of {op:?}");
    }
    for op in VecLoad::ALL {
        assert!(has("VLoad", format!("{op:?}")), "no handler run of {op:?}");
    }
    for op in LaneOp::ALL.iter().filter(|op| !op.is_replace()) {
        assert!(
            has("VExtract", format!("{op:?}")),
            "no handler run of {op:?}"
        );
    }
    for kind in ["VLoadLane", "VStoreLane", "VReplace", "VShuffle", "VStore"] {
        let n = ops.iter().filter(|o| o.starts_with(kind)).count();
        assert!(n >= 1, "no {kind} in {ops:?}");
    }
}

#[test]
fn vector_handlers_keep_the_stack_flat() {
    // As `tail_calls_keep_the_stack_flat`, for every vector handler: a vector
    // result returned through memory, or an out-of-line helper, can cost a
    // handler its tail call.
    const N: i32 = 5_000;
    let result = std::thread::Builder::new()
        .stack_size(512 << 10)
        .spawn(|| common::call(&every_vector_instruction(), &[Value::I32(N)]).expect("no trap"))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(result, vec![Value::I32(N)]);
}

/// The instructions of the one function of `wat`, by name and fields.
fn translated(wat: &str) -> Vec<String> {
    let module = load(wat.as_bytes(), &Features::ALL).expect("valid module");
    let code = skiff_interp::translate::translate(module.module(), &module.func_infos[0], 0)
        .expect("translates");
    code.ops().map(|op| format!("{op:?}")).collect()
}

#[test]
fn vectors_move_whole_and_results_land_in_locals() {
    // A vector computed into a local is written there by the operator
    // itself; a local copied to another moves in one 16-byte copy; a
    // constant operand is read from the frame's constants.
    let ops = translated(
        r#"(module (func (param v128 v128) (result v128) (local v128)
            (local.set 2 (f64x2.mul (local.get 0) (v128.const f64x2 2 3)))
            (local.set 1 (local.get 2))
            (local.set 2 (i32x4.splat (i32x4.extract_lane 1 (local.get 1))))
            (local.get 2)))"#,
    );
    assert!(
        ops[0].starts_with("VOp { dst: 4, a: 0,") && ops[0].contains("F64x2Mul"),
        "{ops:?}"
    );
    assert_eq!(ops[1], "Copy2 { dst: 2, src: 4 }", "{ops:?}");
    assert!(!ops.iter().any(|op| op.starts_with("Copy {")), "{ops:?}");
    assert!(!ops.iter().any(|op| op.starts_with("Const {")), "{ops:?}");
}

/// The instructions that write the stack's values to their slots at a loop's
/// entry run once, before the loop: the body's first instruction is not
/// fused with them (its back edge would skip the fused pair).
#[test]
fn nothing_before_a_loop_is_fused_into_its_body() {
    // A copy before the loop and the copy that starts the body.
    let copies = r#"(module
      (func $id (param i32) (result i32) (local.get 0))
      (func (export "f") (result i32) (local $a i32) (local $b i32) (local $sum i32)
        (local.get $a)
        (loop
          (local.set $sum (i32.add (call $id (local.get $b)) (local.get $sum)))
          (br_if 0 (i32.lt_u (local.tee $b (i32.add (local.get $b) (i32.const 1)))
                             (i32.const 3))))
        (drop)
        (local.get $sum)))"#;
    assert_eq!(common::call(copies, &[]).unwrap(), vec![Value::I32(3)]);
    // A pending addition before the loop and a counter's update in the body.
    let updates = r#"(module (memory 1)
      (func (export "f") (param $p i32) (result i32) (local $i i32)
        (i32.add (local.get $p) (i32.const 4))
        (loop
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if 0 (i32.lt_u (local.get $i) (i32.const 5))))
        (drop)
        (local.get $i)))"#;
    assert_eq!(
        common::call(updates, &[Value::I32(8)]).unwrap(),
        vec![Value::I32(5)]
    );
}
