//! Reading `--invoke` arguments and printing results.

use skiff::{Val as Value, ValType};

/// Parses `text` as a value of type `ty`: integers in decimal (or `0x` hex),
/// floats in decimal, `inf`, `-inf`, `nan` or `nan:0x<payload>`.
pub fn parse(ty: ValType, text: &str) -> Result<Value, String> {
    let bad = || format!("cannot read {text:?} as {ty}");
    Ok(match ty {
        ValType::I32 => Value::I32(
            parse_int(text)
                .and_then(|v| {
                    i32::try_from(v)
                        .ok()
                        .or_else(|| u32::try_from(v).ok().map(|u| u as i32))
                })
                .ok_or_else(bad)?,
        ),
        ValType::I64 => Value::I64(
            parse_int(text)
                .and_then(|v| {
                    i64::try_from(v)
                        .ok()
                        .or_else(|| u64::try_from(v).ok().map(|u| u as i64))
                })
                .ok_or_else(bad)?,
        ),
        ValType::F32 => Value::F32(match nan_payload(text) {
            Some((neg, payload)) => {
                let payload = payload.unwrap_or(0x40_0000) as u32;
                (if neg { 0xff80_0000 } else { 0x7f80_0000 }) | (payload & 0x7f_ffff)
            }
            None => text.parse::<f32>().map_err(|_| bad())?.to_bits(),
        }),
        ValType::F64 => Value::F64(match nan_payload(text) {
            Some((neg, payload)) => {
                let payload = payload.unwrap_or(0x8_0000_0000_0000);
                (if neg {
                    0xfff0_0000_0000_0000
                } else {
                    0x7ff0_0000_0000_0000
                }) | (payload & 0xf_ffff_ffff_ffff)
            }
            None => text.parse::<f64>().map_err(|_| bad())?.to_bits(),
        }),
        ValType::V128 => return Err("v128 arguments are not supported".into()),
        ValType::Ref(r) => {
            if text == "null" {
                Value::default_of(ValType::Ref(r))
            } else {
                return Err(format!("only null can be passed as {r}"));
            }
        }
    })
}

fn parse_int(text: &str) -> Option<i128> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let v = match digits.strip_prefix("0x") {
        Some(hex) => i128::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<i128>().ok()?,
    };
    Some(if neg { -v } else { v })
}

/// `nan`, `-nan`, `nan:0x...`: the sign and the payload, if any.
fn nan_payload(text: &str) -> Option<(bool, Option<u64>)> {
    let (neg, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let rest = rest.strip_prefix("nan")?;
    if rest.is_empty() {
        return Some((neg, None));
    }
    let hex = rest.strip_prefix(":0x")?;
    Some((neg, Some(u64::from_str_radix(hex, 16).ok()?)))
}

/// Formats a result: integers in signed decimal, floats in the shortest decimal
/// that reads back to the same bits, NaNs as `nan` (canonical) or
/// `nan:0x<payload>`, references as `null` or an opaque id.
pub fn format(v: &Value) -> String {
    match *v {
        Value::I32(x) => x.to_string(),
        Value::I64(x) => x.to_string(),
        Value::F32(bits) => {
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
        Value::F64(bits) => {
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
        Value::V128(x) => format!("{x:#034x}"),
        Value::FuncRef(None) | Value::ExternRef(None) => "null".into(),
        Value::FuncRef(Some(r)) => format!("funcref:{}", r.id()),
        Value::ExternRef(Some(r)) => format!("externref:{}", r.0),
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
        assert_eq!(parse(ValType::I32, "-7"), Ok(Value::I32(-7)));
        assert_eq!(parse(ValType::I32, "0xffffffff"), Ok(Value::I32(-1)));
        assert_eq!(
            parse(ValType::I64, "9223372036854775807"),
            Ok(Value::I64(i64::MAX))
        );
        assert!(parse(ValType::I32, "4294967296").is_err());
        assert_eq!(format(&parse(ValType::F32, "0.1").unwrap()), "0.1");
        assert_eq!(format(&parse(ValType::F64, "-inf").unwrap()), "-inf");
        assert_eq!(format(&parse(ValType::F32, "nan").unwrap()), "nan");
        assert_eq!(format(&parse(ValType::F64, "nan:0x1").unwrap()), "nan:0x1");
        assert_eq!(format(&Value::F64(2.5f64.to_bits())), "2.5");
        assert_eq!(format(&Value::FuncRef(None)), "null");
    }
}
