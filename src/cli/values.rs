//! Reading `--invoke` arguments and printing results.

use skiff::{Val, ValType};

/// Parses `text` as a value of type `ty`: integers in decimal or `0x` hex,
/// with one optional sign (an i32 or i64 may also be written as its unsigned
/// bit pattern); floats in decimal, `inf`, `-inf`, `nan` or `nan:0x<payload>`
/// (a payload that is not 0 and fits the type's mantissa). The error says
/// what is wrong, for the caller to prefix with the argument's position.
pub fn parse(ty: ValType, text: &str) -> Result<Val, String> {
    let out_of_range = || format!("{text:?} is not an integer of {ty}'s range");
    Ok(match ty {
        ValType::I32 => {
            let v = parse_int(text).ok_or_else(|| not_int(text, ty))?;
            Val::I32(
                i32::try_from(v)
                    .ok()
                    .or_else(|| u32::try_from(v).ok().map(|u| u as i32))
                    .ok_or_else(out_of_range)?,
            )
        }
        ValType::I64 => {
            let v = parse_int(text).ok_or_else(|| not_int(text, ty))?;
            Val::I64(
                i64::try_from(v)
                    .ok()
                    .or_else(|| u64::try_from(v).ok().map(|u| u as i64))
                    .ok_or_else(out_of_range)?,
            )
        }
        ValType::F32 => Val::F32(match parse_nan(text, 23)? {
            Some((neg, payload)) => {
                (if neg { 0xff80_0000 } else { 0x7f80_0000 }) | payload.unwrap_or(0x40_0000) as u32
            }
            None => parse_float::<f32>(text, ty)?.to_bits(),
        }),
        ValType::F64 => Val::F64(match parse_nan(text, 52)? {
            Some((neg, payload)) => {
                (if neg {
                    0xfff0_0000_0000_0000
                } else {
                    0x7ff0_0000_0000_0000
                }) | payload.unwrap_or(0x8_0000_0000_0000)
            }
            None => parse_float::<f64>(text, ty)?.to_bits(),
        }),
        ValType::V128 => return Err("v128 arguments are not supported".into()),
        ValType::Ref(r) => {
            if text == "null" {
                Val::default_of(ValType::Ref(r))
            } else {
                return Err(format!("{text:?}: only null can be passed as {r}"));
            }
        }
    })
}

fn not_int(text: &str, ty: ValType) -> String {
    format!("{text:?} is not an {ty} (a decimal or 0x hexadecimal integer, one optional sign)")
}

/// An integer: one optional sign, then decimal digits or `0x` and hex
/// digits, nothing else (no second sign, no spaces, no underscores).
fn parse_int(text: &str) -> Option<i128> {
    let (neg, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (digits, radix) = match rest.strip_prefix("0x").or_else(|| rest.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None => (rest, 10),
    };
    // from_str_radix would take a sign of its own: `--5` must not read as 5.
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i128::from_str_radix(digits, radix).ok()?;
    Some(if neg { -v } else { v })
}

/// A float in decimal (or `inf`, `infinity`), one optional sign.
fn parse_float<T: std::str::FromStr>(text: &str, ty: ValType) -> Result<T, String> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let lower = unsigned.to_ascii_lowercase();
    // Rust's parser also reads "NaN" (whose bits it chooses): NaNs are ours.
    if lower.starts_with("nan") || unsigned.starts_with(['-', '+']) {
        return Err(not_float(text, ty));
    }
    text.parse::<T>().map_err(|_| not_float(text, ty))
}

fn not_float(text: &str, ty: ValType) -> String {
    format!("{text:?} is not an {ty} (a decimal number, inf, -inf, nan or nan:0x<payload>)")
}

/// `nan`, `-nan`, `nan:0x<payload>` (any case): the sign and the payload, if
/// any; `None` when `text` is no NaN at all. A payload of 0 (that would be an
/// infinity) or wider than `bits` is an error, never masked.
fn parse_nan(text: &str, bits: u32) -> Result<Option<(bool, Option<u64>)>, String> {
    let (neg, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest.len() < 3 || !rest[..3].eq_ignore_ascii_case("nan") {
        return Ok(None);
    }
    let rest = &rest[3..];
    if rest.is_empty() {
        return Ok(Some((neg, None)));
    }
    let bad = |why: &str| format!("{text:?} is not a NaN: {why}");
    let hex = rest
        .strip_prefix(":0x")
        .or_else(|| rest.strip_prefix(":0X"))
        .ok_or_else(|| bad("expected nan or nan:0x<payload>"))?;
    if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad("the payload is not a hexadecimal number"));
    }
    let payload = u64::from_str_radix(hex, 16)
        .ok()
        .filter(|p| p >> bits == 0)
        .ok_or_else(|| bad(&format!("the payload does not fit in {bits} bits")))?;
    if payload == 0 {
        return Err(bad("the payload must not be 0 (that is an infinity)"));
    }
    Ok(Some((neg, Some(payload))))
}

/// Formats a result: integers in signed decimal, floats in the shortest decimal
/// that reads back to the same bits, NaNs as `nan` (canonical) or
/// `nan:0x<payload>`, references as `null` or an opaque id.
pub fn format(v: &Val) -> String {
    match *v {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(bits) => {
            let f = f32::from_bits(bits);
            if f.is_nan() {
                nan_text(
                    bits & 0x8000_0000 != 0,
                    (bits & 0x7f_ffff) as u64,
                    0x40_0000,
                )
            } else {
                f.to_string()
            }
        }
        Val::F64(bits) => {
            let f = f64::from_bits(bits);
            if f.is_nan() {
                nan_text(
                    bits >> 63 != 0,
                    bits & 0xf_ffff_ffff_ffff,
                    0x8_0000_0000_0000,
                )
            } else {
                f.to_string()
            }
        }
        Val::V128(x) => format!("{x:#034x}"),
        Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) => "null".into(),
        Val::ExnRef(Some(_)) => "exnref".into(),
        Val::FuncRef(Some(r)) => format!("funcref:{}", r.id()),
        Val::ExternRef(Some(r)) => format!("externref:{}", r.0),
    }
}

fn nan_text(negative: bool, payload: u64, canonical: u64) -> String {
    let sign = if negative { "-" } else { "" };
    if payload == canonical {
        format!("{sign}nan")
    } else {
        format!("{sign}nan:{payload:#x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_and_print_back() {
        assert_eq!(parse(ValType::I32, "-7"), Ok(Val::I32(-7)));
        assert_eq!(parse(ValType::I32, "0xffffffff"), Ok(Val::I32(-1)));
        assert_eq!(
            parse(ValType::I64, "9223372036854775807"),
            Ok(Val::I64(i64::MAX))
        );
        assert!(parse(ValType::I32, "4294967296").is_err());
        assert_eq!(format(&parse(ValType::F32, "0.1").unwrap()), "0.1");
        assert_eq!(format(&parse(ValType::F64, "-inf").unwrap()), "-inf");
        assert_eq!(format(&parse(ValType::F32, "nan").unwrap()), "nan");
        assert_eq!(format(&parse(ValType::F64, "nan:0x1").unwrap()), "nan:0x1");
        assert_eq!(format(&Val::F64(2.5f64.to_bits())), "2.5");
        assert_eq!(format(&Val::FuncRef(None)), "null");
        assert_eq!(parse(ValType::I32, "+5"), Ok(Val::I32(5)));
        assert_eq!(parse(ValType::I64, "-0x10"), Ok(Val::I64(-16)));
        assert_eq!(format(&parse(ValType::F32, "-nan").unwrap()), "-nan");
        assert_eq!(
            format(&parse(ValType::F32, "nan:0x7fffff").unwrap()),
            "nan:0x7fffff"
        );
        assert_eq!(format(&parse(ValType::F64, "1e3").unwrap()), "1000");
        assert_eq!(format(&parse(ValType::F64, "inf").unwrap()), "inf");
    }

    #[test]
    fn malformed_values_are_errors_never_guesses() {
        let err = |ty, text| parse(ty, text).unwrap_err();
        for bad in [
            "--5", "-+5", "+-5", "- 5", "0x", "-0x-5", "5x", "", "1_000", "0x+5",
        ] {
            assert!(err(ValType::I32, bad).contains("is not an i32"), "{bad}");
            assert!(err(ValType::I64, bad).contains("is not an i64"), "{bad}");
        }
        assert!(err(ValType::I32, "4294967296").contains("range"));
        for ty in [ValType::F32, ValType::F64] {
            assert!(err(ty, "nan:0x0").contains("must not be 0"));
            assert!(err(ty, "-nan:0x0").contains("must not be 0"));
            assert!(err(ty, "nan:0x").contains("not a hexadecimal"));
            assert!(err(ty, "nan:0xg").contains("not a hexadecimal"));
            assert!(err(ty, "nan:1").contains("expected nan"));
            assert!(err(ty, "nanx").contains("expected nan"));
            assert!(err(ty, "--5").contains("is not an f"));
            assert!(err(ty, "--inf").contains("is not an f"));
            assert!(err(ty, "NaN(1)").contains("is not a NaN"));
        }
        assert!(err(ValType::F32, "nan:0x800000").contains("does not fit in 23 bits"));
        assert!(err(ValType::F64, "nan:0x10000000000000").contains("does not fit in 52 bits"));
        assert!(err(ValType::F64, "nan:0x1ffffffffffffffff").contains("does not fit"));
    }
}
