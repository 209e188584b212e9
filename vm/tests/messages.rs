//! Skiff's validator names what is wrong and where: each case is a module, the
//! stage that must reject it, and words its message must contain.

use skiff_vm::{ErrorKind, Features, load};

fn reject(wat: &str) -> skiff_vm::Error {
    match load(wat.as_bytes(), &Features::WASM2) {
        Ok(_) => panic!("module was accepted:\n{wat}"),
        Err(e) => e,
    }
}

#[track_caller]
fn check(wat: &str, kind: ErrorKind, words: &[&str]) {
    let e = reject(wat);
    let shown = e.to_string();
    assert_eq!(e.kind(), kind, "{shown}");
    for w in words {
        assert!(shown.contains(w), "message {shown:?} lacks {w:?}");
    }
}

#[test]
fn type_mismatch_names_function_offset_and_types() {
    let e = reject("(module (func) (func (result i32) (i64.const 0)))");
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert_eq!(e.func(), Some(1));
    assert!(e.offset().is_some());
    assert!(e.to_string().starts_with("func 1 at offset 0x"), "{e}");
    assert!(
        e.to_string()
            .ends_with("type mismatch: expected i32, found i64"),
        "{e}"
    );
}

#[test]
fn operand_stack_rules() {
    check(
        "(module (func (i32.add (i32.const 1))))",
        ErrorKind::Invalid,
        &["type mismatch", "stack is empty"],
    );
    check(
        "(module (func (i32.const 1)))",
        ErrorKind::Invalid,
        &["left on the stack"],
    );
    check(
        "(module (func (select (i32.const 1) (i64.const 1) (i32.const 1)) (drop)))",
        ErrorKind::Invalid,
        &["select operands"],
    );
    check(
        "(module (func (param externref) (select (local.get 0) (local.get 0) (i32.const 1)) (drop)))",
        ErrorKind::Invalid,
        &["numeric or vector"],
    );
}

#[test]
fn unreachable_code_is_still_typed() {
    check(
        "(module (func (result i64) unreachable br_if 0 i64.extend_i32_u))",
        ErrorKind::Invalid,
        &["type mismatch"],
    );
    // ... but polymorphic where the spec says so.
    assert!(
        load(
            b"(module (func (result i32) unreachable i32.add))",
            &Features::WASM2
        )
        .is_ok()
    );
}

#[test]
fn control_rules() {
    check(
        "(module (func (br 1)))",
        ErrorKind::Invalid,
        &["unknown label 1"],
    );
    check(
        "(module (func (result i32) (if (result i32) (i32.const 1) (then (i32.const 1)))))",
        ErrorKind::Invalid,
        &["if without else"],
    );
    check(
        "(module (func (block (result i32) (block (result i64) (br_table 0 1 (i64.const 0) (i32.const 0)))) drop))",
        ErrorKind::Invalid,
        &["type mismatch"],
    );
}

#[test]
fn index_spaces() {
    check(
        "(module (func (local.get 2)))",
        ErrorKind::Invalid,
        &["unknown local 2"],
    );
    check(
        "(module (func (global.get 0) drop))",
        ErrorKind::Invalid,
        &["unknown global 0"],
    );
    check(
        "(module (func (call 7)))",
        ErrorKind::Invalid,
        &["unknown function 7"],
    );
    check(
        "(module (func (i32.load (i32.const 0)) drop))",
        ErrorKind::Invalid,
        &["unknown memory 0"],
    );
    check(
        "(module (func (call_indirect (i32.const 0))))",
        ErrorKind::Invalid,
        &["unknown table 0"],
    );
    check(
        "(module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1))))",
        ErrorKind::Invalid,
        &["global is immutable"],
    );
    check(
        "(module (func (ref.func 0) drop))",
        ErrorKind::Invalid,
        &["undeclared function reference 0"],
    );
}

#[test]
fn memory_rules() {
    check(
        "(module (memory 1) (func (i32.load align=8 (i32.const 0)) drop))",
        ErrorKind::Invalid,
        &["alignment must not be larger than natural"],
    );
    check(
        "(module (memory 65537))",
        ErrorKind::Invalid,
        &["65536 pages"],
    );
    check(
        "(module (memory 2 1))",
        ErrorKind::Invalid,
        &["minimum must not be greater than maximum"],
    );
    check(
        "(module (memory 1) (memory 1))",
        ErrorKind::Invalid,
        &["multiple memories"],
    );
    check(
        "(module (memory 1) (func (i8x16.extract_lane_s 16 (v128.const i64x2 0 0)) drop))",
        ErrorKind::Invalid,
        &["invalid lane index"],
    );
}

#[test]
fn module_rules() {
    check(
        "(module (func) (export \"a\" (func 0)) (export \"a\" (func 0)))",
        ErrorKind::Invalid,
        &["duplicate export name"],
    );
    check(
        "(module (func (param i32)) (start 0))",
        ErrorKind::Invalid,
        &["start function"],
    );
    check(
        "(module (global i32 (i32.ctz (i32.const 0))))",
        ErrorKind::Invalid,
        &["constant expression required"],
    );
    check(
        "(module (global i32 (i64.const 0)))",
        ErrorKind::Invalid,
        &["type mismatch", "expected i32, found i64"],
    );
    check(
        "(module (table 1 externref) (elem (i32.const 0) func))",
        ErrorKind::Invalid,
        &["type mismatch"],
    );
}

#[test]
fn binary_format_errors_are_malformed() {
    check(
        "(module binary \"\\00asm\" \"\\02\\00\\00\\00\")",
        ErrorKind::Malformed,
        &["version"],
    );
    // A body that runs past its end.
    let truncated = b"\0asm\x01\0\0\0\x01\x04\x01\x60\0\0\x03\x02\x01\0\x0a\x04\x01\x02\0\x41";
    assert_eq!(
        load(truncated, &Features::WASM2).unwrap_err().kind(),
        ErrorKind::Malformed
    );
    // memory.init without a data count section is a binary-format error.
    let no_data_count: &[u8] = b"\0asm\x01\0\0\0\
        \x01\x04\x01\x60\x00\x00\
        \x03\x02\x01\x00\
        \x05\x03\x01\x00\x01\
        \x0a\x0e\x01\x0c\x00\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x00\x0b\
        \x0b\x04\x01\x01\x01\x78";
    let e = load(no_data_count, &Features::WASM2).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Malformed, "{e}");
    assert!(e.to_string().contains("data count section required"), "{e}");
}

#[test]
fn later_proposals_are_named_when_recognized() {
    let features = Features {
        decode_later_proposals: true,
        ..Features::WASM2
    };
    let e = load(b"(module (func (return_call 0)))", &features).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.to_string().contains("ReturnCall"), "{e}");
    let e = load(b"(module (memory 1) (memory 1))", &features).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.to_string().contains("multi-memory"), "{e}");
    // Under the 2.0 rules the same bytes are an invalid module.
    let e = load(b"(module (memory 1) (memory 1))", &Features::WASM2).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid);
}

#[test]
fn simd_can_be_turned_off() {
    let features = Features {
        simd: false,
        ..Features::WASM2
    };
    let e = load(
        b"(module (func (result v128) (v128.const i64x2 0 0)))",
        &features,
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.to_string().contains("simd"), "{e}");
}

#[test]
fn valid_modules_record_what_tiers_need() {
    let m = load(
        b"(module (func (param i32) (local i64 i64) (block (loop (br_if 1 (local.get 0)) (br 0))) (i32.const 1) (i32.const 2) (drop) (drop)))",
        &Features::WASM2,
    )
    .unwrap();
    let info = m.func_info(0).unwrap();
    assert_eq!(info.num_locals, 3);
    assert_eq!(info.max_stack, 2);
    assert_eq!(info.max_depth, 3);
}

#[test]
fn relaxed_simd_is_outside_webassembly_2() {
    let wat = b"(module (func (param v128 v128) (result v128)
        (i8x16.relaxed_swizzle (local.get 0) (local.get 1))))";
    let e = load(wat, &Features::WASM2).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.to_string().contains("relaxed simd"), "{e}");
    assert!(load(wat, &Features::ALL).is_ok());
    assert_eq!(Features::default(), Features::ALL);
}

#[test]
fn extended_constants_are_outside_webassembly_2() {
    let wat =
        b"(module (global i32 (i32.add (i32.const 1) (i32.mul (i32.const 2) (i32.const 3)))))";
    let e = load(wat, &Features::WASM2).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert!(
        e.to_string().contains("constant expression required"),
        "{e}"
    );
    assert!(load(wat, &Features::ALL).is_ok());
    // Operands are typed like any others.
    let e = load(
        b"(module (global i32 (i32.add (i32.const 1) (i64.const 2))))",
        &Features::ALL,
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid);
    assert!(e.to_string().contains("type mismatch"), "{e}");
}
