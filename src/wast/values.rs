//! Script values: the arguments of `invoke` as runtime [`Value`]s, and the
//! results `assert_return` expects, matched against what a call returned.

use skiff_vm::runtime::{ExternRef, Value};
use wast::core::{
    AbstractHeapType, HeapType, NanPattern, V128Const, V128Pattern, WastArgCore, WastRetCore,
};
use wast::token::{F32, F64};
use wast::{WastArg, WastRet};

/// Why GC-era references are skipped.
const GC_REFS: &str = "GC references are not supported";

/// The quiet bit of an `f32` NaN.
const F32_QUIET: u32 = 0x0040_0000;
/// The exponent of an `f32` NaN (all ones).
const F32_EXP: u32 = 0x7f80_0000;
/// The quiet bit of an `f64` NaN.
const F64_QUIET: u64 = 0x0008_0000_0000_0000;
/// The exponent of an `f64` NaN (all ones).
const F64_EXP: u64 = 0x7ff0_0000_0000_0000;

/// The runtime value of an `invoke` argument, or why it cannot be made (a
/// skip reason).
pub fn arg(arg: &WastArg) -> Result<Value, String> {
    let WastArg::Core(core) = arg else {
        return Err("component model values".into());
    };
    Ok(match core {
        WastArgCore::I32(v) => Value::I32(*v),
        WastArgCore::I64(v) => Value::I64(*v),
        WastArgCore::F32(f) => Value::F32(f.bits),
        WastArgCore::F64(f) => Value::F64(f.bits),
        WastArgCore::V128(c) => Value::V128(v128_bits(c)),
        WastArgCore::RefNull(heap) => match abstract_heap(heap) {
            Some(AbstractHeapType::Func | AbstractHeapType::NoFunc) => Value::FuncRef(None),
            Some(AbstractHeapType::Extern | AbstractHeapType::NoExtern) => Value::ExternRef(None),
            _ => return Err(GC_REFS.into()),
        },
        WastArgCore::RefExtern(n) => Value::ExternRef(Some(ExternRef(*n))),
        WastArgCore::RefHost(_) => return Err(GC_REFS.into()),
    })
}

/// The core result pattern of an `assert_return` result, or why it is skipped.
pub fn ret<'a, 'b>(ret: &'b WastRet<'a>) -> Result<&'b WastRetCore<'a>, String> {
    match ret {
        WastRet::Core(core) => Ok(core),
        _ => Err("component model values".into()),
    }
}

/// How a result compares with its pattern.
#[derive(Debug, PartialEq, Eq)]
pub enum Match {
    /// The value is one the pattern allows.
    Yes,
    /// It is not.
    No,
    /// The pattern needs something Skiff does not support; the skip reason.
    Unsupported(String),
}

/// Compares `actual` with what the script expects.
pub fn matches(pattern: &WastRetCore, actual: &Value) -> Match {
    let yes = |b: bool| if b { Match::Yes } else { Match::No };
    match (pattern, actual) {
        (WastRetCore::I32(e), Value::I32(a)) => yes(e == a),
        (WastRetCore::I64(e), Value::I64(a)) => yes(e == a),
        (WastRetCore::F32(e), Value::F32(a)) => yes(f32_matches(e, *a)),
        (WastRetCore::F64(e), Value::F64(a)) => yes(f64_matches(e, *a)),
        (WastRetCore::V128(e), Value::V128(a)) => yes(v128_matches(e, *a)),
        (WastRetCore::RefNull(heap), actual) => match heap.as_ref().map(abstract_heap) {
            None => yes(matches!(
                actual,
                Value::FuncRef(None) | Value::ExternRef(None)
            )),
            Some(Some(AbstractHeapType::Func | AbstractHeapType::NoFunc)) => {
                yes(*actual == Value::FuncRef(None))
            }
            Some(Some(AbstractHeapType::Extern | AbstractHeapType::NoExtern)) => {
                yes(*actual == Value::ExternRef(None))
            }
            Some(_) => Match::Unsupported(GC_REFS.into()),
        },
        (WastRetCore::RefExtern(None), Value::ExternRef(r)) => yes(r.is_some()),
        (WastRetCore::RefExtern(Some(n)), Value::ExternRef(r)) => yes(*r == Some(ExternRef(*n))),
        (WastRetCore::RefFunc(_), Value::FuncRef(r)) => yes(r.is_some()),
        (
            WastRetCore::RefHost(_)
            | WastRetCore::RefAny
            | WastRetCore::RefEq
            | WastRetCore::RefArray
            | WastRetCore::RefStruct
            | WastRetCore::RefI31
            | WastRetCore::RefI31Shared,
            _,
        ) => Match::Unsupported(GC_REFS.into()),
        (WastRetCore::Either(alts), actual) => {
            let mut unsupported = None;
            for alt in alts {
                match matches(alt, actual) {
                    Match::Yes => return Match::Yes,
                    Match::No => {}
                    Match::Unsupported(r) => unsupported = Some(r),
                }
            }
            unsupported.map_or(Match::No, Match::Unsupported)
        }
        // A value of another type than the pattern's.
        _ => Match::No,
    }
}

/// `nan:canonical`: a NaN whose payload is exactly the quiet bit, either sign.
pub fn f32_is_canonical_nan(bits: u32) -> bool {
    bits & 0x7fff_ffff == F32_EXP | F32_QUIET
}

/// `nan:arithmetic`: a NaN with the quiet bit set, any other payload, either sign.
pub fn f32_is_arithmetic_nan(bits: u32) -> bool {
    bits & (F32_EXP | F32_QUIET) == F32_EXP | F32_QUIET
}

/// `nan:canonical` for `f64`.
pub fn f64_is_canonical_nan(bits: u64) -> bool {
    bits & 0x7fff_ffff_ffff_ffff == F64_EXP | F64_QUIET
}

/// `nan:arithmetic` for `f64`.
pub fn f64_is_arithmetic_nan(bits: u64) -> bool {
    bits & (F64_EXP | F64_QUIET) == F64_EXP | F64_QUIET
}

fn f32_matches(pattern: &NanPattern<F32>, bits: u32) -> bool {
    match pattern {
        NanPattern::CanonicalNan => f32_is_canonical_nan(bits),
        NanPattern::ArithmeticNan => f32_is_arithmetic_nan(bits),
        // Exact bits: a NaN must keep its payload and sign.
        NanPattern::Value(f) => f.bits == bits,
    }
}

fn f64_matches(pattern: &NanPattern<F64>, bits: u64) -> bool {
    match pattern {
        NanPattern::CanonicalNan => f64_is_canonical_nan(bits),
        NanPattern::ArithmeticNan => f64_is_arithmetic_nan(bits),
        NanPattern::Value(f) => f.bits == bits,
    }
}

/// Lane by lane, little-endian, as `v128.const` lays lanes out.
fn v128_matches(pattern: &V128Pattern, v: u128) -> bool {
    fn lane(v: u128, i: usize, bits: u32) -> u128 {
        (v >> (i as u32 * bits)) & (u128::MAX >> (128 - bits))
    }
    match pattern {
        V128Pattern::I8x16(l) => l
            .iter()
            .enumerate()
            .all(|(i, &e)| lane(v, i, 8) == e as u8 as u128),
        V128Pattern::I16x8(l) => l
            .iter()
            .enumerate()
            .all(|(i, &e)| lane(v, i, 16) == e as u16 as u128),
        V128Pattern::I32x4(l) => l
            .iter()
            .enumerate()
            .all(|(i, &e)| lane(v, i, 32) == e as u32 as u128),
        V128Pattern::I64x2(l) => l
            .iter()
            .enumerate()
            .all(|(i, &e)| lane(v, i, 64) == e as u64 as u128),
        V128Pattern::F32x4(l) => l
            .iter()
            .enumerate()
            .all(|(i, p)| f32_matches(p, lane(v, i, 32) as u32)),
        V128Pattern::F64x2(l) => l
            .iter()
            .enumerate()
            .all(|(i, p)| f64_matches(p, lane(v, i, 64) as u64)),
    }
}

/// The abstract heap type of `heap`, `None` for a concrete (typed) one.
fn abstract_heap(heap: &HeapType) -> Option<AbstractHeapType> {
    match heap {
        HeapType::Abstract { ty, .. } => Some(*ty),
        _ => None,
    }
}

/// A value as failure messages show it: NaNs with their bits.
pub fn show(v: &Value) -> String {
    match *v {
        Value::I32(x) => format!("i32:{x}"),
        Value::I64(x) => format!("i64:{x}"),
        Value::F32(b) if f32::from_bits(b).is_nan() => format!("f32:nan(0x{b:08x})"),
        Value::F32(b) => format!("f32:{}", f32::from_bits(b)),
        Value::F64(b) if f64::from_bits(b).is_nan() => format!("f64:nan(0x{b:016x})"),
        Value::F64(b) => format!("f64:{}", f64::from_bits(b)),
        Value::V128(x) => format!("v128:0x{x:032x}"),
        Value::FuncRef(None) => "ref.null func".into(),
        Value::ExternRef(None) => "ref.null extern".into(),
        Value::FuncRef(Some(f)) => format!("ref.func:{}", f.0),
        Value::ExternRef(Some(e)) => format!("ref.extern {}", e.0),
        Value::ExnRef(None) => "ref.null exn".into(),
        Value::ExnRef(Some(e)) => format!("ref.exn {}", e.0),
    }
}

/// Values as failure messages show them: `[i32:1 f32:2]`.
pub fn show_all(values: &[Value]) -> String {
    let shown: Vec<String> = values.iter().map(show).collect();
    format!("[{}]", shown.join(" "))
}

/// A pattern as failure messages show it.
pub fn show_pattern(p: &WastRetCore) -> String {
    fn f32p(p: &NanPattern<F32>) -> String {
        match p {
            NanPattern::CanonicalNan => "nan:canonical".into(),
            NanPattern::ArithmeticNan => "nan:arithmetic".into(),
            NanPattern::Value(f) => show(&Value::F32(f.bits)),
        }
    }
    fn f64p(p: &NanPattern<F64>) -> String {
        match p {
            NanPattern::CanonicalNan => "nan:canonical".into(),
            NanPattern::ArithmeticNan => "nan:arithmetic".into(),
            NanPattern::Value(f) => show(&Value::F64(f.bits)),
        }
    }
    match p {
        WastRetCore::I32(x) => show(&Value::I32(*x)),
        WastRetCore::I64(x) => show(&Value::I64(*x)),
        WastRetCore::F32(f) => format!("f32:{}", f32p(f).trim_start_matches("f32:")),
        WastRetCore::F64(f) => format!("f64:{}", f64p(f).trim_start_matches("f64:")),
        WastRetCore::V128(v) => format!("v128:{v:?}"),
        WastRetCore::RefNull(_) => "ref.null".into(),
        WastRetCore::RefExtern(Some(n)) => format!("ref.extern {n}"),
        WastRetCore::RefExtern(None) => "ref.extern".into(),
        WastRetCore::RefFunc(_) => "ref.func".into(),
        WastRetCore::Either(alts) => {
            let alts: Vec<String> = alts.iter().map(show_pattern).collect();
            format!("(either {})", alts.join(" "))
        }
        other => format!("{other:?}"),
    }
}

/// The bits of a `v128.const`, as a [`Value::V128`] holds them.
pub fn v128_bits(c: &V128Const) -> u128 {
    u128::from_le_bytes(c.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_vm::runtime::FuncRef;

    fn f32p(p: NanPattern<u32>) -> WastRetCore<'static> {
        WastRetCore::F32(match p {
            NanPattern::CanonicalNan => NanPattern::CanonicalNan,
            NanPattern::ArithmeticNan => NanPattern::ArithmeticNan,
            NanPattern::Value(bits) => NanPattern::Value(F32 { bits }),
        })
    }

    fn f64p(p: NanPattern<u64>) -> WastRetCore<'static> {
        WastRetCore::F64(match p {
            NanPattern::CanonicalNan => NanPattern::CanonicalNan,
            NanPattern::ArithmeticNan => NanPattern::ArithmeticNan,
            NanPattern::Value(bits) => NanPattern::Value(F64 { bits }),
        })
    }

    #[test]
    fn canonical_nan_is_the_quiet_bit_alone_either_sign() {
        let p = f32p(NanPattern::CanonicalNan);
        assert_eq!(matches(&p, &Value::F32(0x7fc0_0000)), Match::Yes);
        assert_eq!(matches(&p, &Value::F32(0xffc0_0000)), Match::Yes);
        // More payload than the quiet bit, a signalling NaN, infinity, a number.
        assert_eq!(matches(&p, &Value::F32(0x7fc0_0001)), Match::No);
        assert_eq!(matches(&p, &Value::F32(0x7fa0_0000)), Match::No);
        assert_eq!(matches(&p, &Value::F32(0x7f80_0000)), Match::No);
        assert_eq!(matches(&p, &Value::f32(1.0)), Match::No);

        let p = f64p(NanPattern::CanonicalNan);
        assert_eq!(matches(&p, &Value::F64(0x7ff8_0000_0000_0000)), Match::Yes);
        assert_eq!(matches(&p, &Value::F64(0xfff8_0000_0000_0000)), Match::Yes);
        assert_eq!(matches(&p, &Value::F64(0x7ff8_0000_0000_0001)), Match::No);
        assert_eq!(matches(&p, &Value::F64(0x7ff4_0000_0000_0000)), Match::No);
        assert_eq!(matches(&p, &Value::F64(0x7ff0_0000_0000_0000)), Match::No);
        // An f32 canonical NaN is not an f64 one.
        assert_eq!(matches(&p, &Value::F32(0x7fc0_0000)), Match::No);
    }

    #[test]
    fn arithmetic_nan_needs_the_quiet_bit_and_allows_any_payload() {
        let p = f32p(NanPattern::ArithmeticNan);
        assert_eq!(matches(&p, &Value::F32(0x7fc0_0000)), Match::Yes);
        assert_eq!(matches(&p, &Value::F32(0xffc0_0000)), Match::Yes);
        assert_eq!(matches(&p, &Value::F32(0x7fff_ffff)), Match::Yes);
        assert_eq!(matches(&p, &Value::F32(0xffc0_1234)), Match::Yes);
        // Signalling NaN: quiet bit clear.
        assert_eq!(matches(&p, &Value::F32(0x7fbf_ffff)), Match::No);
        assert_eq!(matches(&p, &Value::F32(0x7f80_0000)), Match::No);
        assert_eq!(matches(&p, &Value::F32(0x3fc0_0000)), Match::No);

        let p = f64p(NanPattern::ArithmeticNan);
        assert_eq!(matches(&p, &Value::F64(0x7ff8_0000_0000_0000)), Match::Yes);
        assert_eq!(matches(&p, &Value::F64(0xfff8_0000_dead_beef)), Match::Yes);
        assert_eq!(matches(&p, &Value::F64(0x7ff7_ffff_ffff_ffff)), Match::No);
        assert_eq!(matches(&p, &Value::F64(0x7ff0_0000_0000_0000)), Match::No);
        assert_eq!(matches(&p, &Value::F64(0x3ff8_0000_0000_0000)), Match::No);
    }

    #[test]
    fn floats_compare_by_bits() {
        let p = f32p(NanPattern::Value(0x7fa0_0001));
        assert_eq!(matches(&p, &Value::F32(0x7fa0_0001)), Match::Yes);
        assert_eq!(matches(&p, &Value::F32(0x7fc0_0000)), Match::No);
        let zero = f64p(NanPattern::Value(0));
        assert_eq!(matches(&zero, &Value::f64(0.0)), Match::Yes);
        assert_eq!(matches(&zero, &Value::f64(-0.0)), Match::No);
    }

    #[test]
    fn integers_references_and_either() {
        assert_eq!(matches(&WastRetCore::I32(-1), &Value::I32(-1)), Match::Yes);
        assert_eq!(matches(&WastRetCore::I32(-1), &Value::I64(-1)), Match::No);
        assert_eq!(matches(&WastRetCore::I64(7), &Value::I64(7)), Match::Yes);

        let null_func = WastRetCore::RefNull(Some(HeapType::Abstract {
            shared: false,
            ty: AbstractHeapType::Func,
        }));
        assert_eq!(matches(&null_func, &Value::FuncRef(None)), Match::Yes);
        assert_eq!(matches(&null_func, &Value::ExternRef(None)), Match::No);
        assert_eq!(
            matches(&null_func, &Value::FuncRef(Some(FuncRef(0)))),
            Match::No
        );
        assert_eq!(
            matches(&WastRetCore::RefNull(None), &Value::ExternRef(None)),
            Match::Yes
        );

        let ext = WastRetCore::RefExtern(Some(3));
        assert_eq!(
            matches(&ext, &Value::ExternRef(Some(ExternRef(3)))),
            Match::Yes
        );
        assert_eq!(
            matches(&ext, &Value::ExternRef(Some(ExternRef(4)))),
            Match::No
        );
        assert_eq!(matches(&ext, &Value::ExternRef(None)), Match::No);
        assert_eq!(
            matches(
                &WastRetCore::RefFunc(None),
                &Value::FuncRef(Some(FuncRef(9)))
            ),
            Match::Yes
        );
        assert_eq!(
            matches(&WastRetCore::RefFunc(None), &Value::FuncRef(None)),
            Match::No
        );
        assert!(matches!(
            matches(&WastRetCore::RefI31, &Value::I32(0)),
            Match::Unsupported(_)
        ));

        let either = WastRetCore::Either(vec![
            f32p(NanPattern::Value(0)),
            f32p(NanPattern::ArithmeticNan),
        ]);
        assert_eq!(matches(&either, &Value::F32(0)), Match::Yes);
        assert_eq!(matches(&either, &Value::F32(0xffc0_0001)), Match::Yes);
        assert_eq!(matches(&either, &Value::F32(0x8000_0000)), Match::No);
    }

    #[test]
    fn v128_lanes_are_little_endian() {
        let v = 0x0000_0004_0000_0003_0000_0002_0000_0001u128;
        assert!(v128_matches(&V128Pattern::I32x4([1, 2, 3, 4]), v));
        assert!(!v128_matches(&V128Pattern::I32x4([4, 3, 2, 1]), v));
        assert!(v128_matches(
            &V128Pattern::I64x2([0x2_0000_0001, 0x4_0000_0003]),
            v
        ));
        let nans = (0x7fc0_0000u128 << 96) | 0x7fc0_0000;
        let p = V128Pattern::F32x4([
            NanPattern::CanonicalNan,
            NanPattern::Value(F32 { bits: 0 }),
            NanPattern::Value(F32 { bits: 0 }),
            NanPattern::ArithmeticNan,
        ]);
        assert!(v128_matches(&p, nans));
        assert_eq!(v128_bits(&V128Const::I32x4([1, 2, 3, 4])), v);
        assert!(v128_matches(&V128Pattern::I8x16([-1; 16]), u128::MAX));
    }

    #[test]
    fn args_convert_to_values() {
        let a = |c| arg(&WastArg::Core(c));
        assert_eq!(a(WastArgCore::I32(-5)), Ok(Value::I32(-5)));
        assert_eq!(
            a(WastArgCore::F32(F32 { bits: 0x7fa0_0000 })),
            Ok(Value::F32(0x7fa0_0000))
        );
        assert_eq!(a(WastArgCore::F64(F64 { bits: 1 })), Ok(Value::F64(1)));
        assert_eq!(
            a(WastArgCore::RefExtern(7)),
            Ok(Value::ExternRef(Some(ExternRef(7))))
        );
        let null_extern = WastArgCore::RefNull(HeapType::Abstract {
            shared: false,
            ty: AbstractHeapType::Extern,
        });
        assert_eq!(a(null_extern), Ok(Value::ExternRef(None)));
        assert_eq!(
            a(WastArgCore::V128(V128Const::I64x2([1, 2]))),
            Ok(Value::V128(1 | (2 << 64)))
        );
    }
}
