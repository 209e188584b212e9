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
    let module = load(wat.as_bytes(), &Features::WASM2).expect("valid module");
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
