//! Floating-point operations whose WebAssembly semantics differ from Rust's
//! standard library: `min` and `max` propagate NaN and order zeros by sign;
//! trapping truncations check NaN and range.

use skiff_vm::runtime::TrapKind;

/// WebAssembly `f32.min`.
pub fn min32(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else if a == b {
        // -0 and +0: the negative one.
        f32::from_bits(a.to_bits() | b.to_bits())
    } else {
        a.min(b)
    }
}

/// WebAssembly `f32.max`.
pub fn max32(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else if a == b {
        f32::from_bits(a.to_bits() & b.to_bits())
    } else {
        a.max(b)
    }
}

/// WebAssembly `f64.min`.
pub fn min64(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == b {
        f64::from_bits(a.to_bits() | b.to_bits())
    } else {
        a.min(b)
    }
}

/// WebAssembly `f64.max`.
pub fn max64(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == b {
        f64::from_bits(a.to_bits() & b.to_bits())
    } else {
        a.max(b)
    }
}

/// Applies a rounding function, quieting a NaN input as WebAssembly requires
/// (Rust's rounding functions return a signaling NaN unchanged).
pub fn round32(x: f32, f: fn(f32) -> f32) -> f32 {
    if x.is_nan() {
        f32::from_bits(x.to_bits() | 0x0040_0000)
    } else {
        f(x)
    }
}

/// [`round32`] for `f64`.
pub fn round64(x: f64, f: fn(f64) -> f64) -> f64 {
    if x.is_nan() {
        f64::from_bits(x.to_bits() | 0x0008_0000_0000_0000)
    } else {
        f(x)
    }
}

/// Truncates toward zero, trapping on NaN and on results outside `[lo, hi)`.
fn checked_trunc(x: f64, lo: f64, hi: f64) -> Result<f64, TrapKind> {
    if x.is_nan() {
        return Err(TrapKind::InvalidConversionToInteger);
    }
    let t = x.trunc();
    if t < lo || t >= hi {
        return Err(TrapKind::IntegerOverflow);
    }
    Ok(t)
}

/// `i32.trunc_f64_s` (and of an `f32`, widened exactly).
pub fn trunc_i32(x: f64) -> Result<i32, TrapKind> {
    checked_trunc(x, -2147483648.0, 2147483648.0).map(|t| t as i32)
}

/// `i32.trunc_f64_u`.
pub fn trunc_u32(x: f64) -> Result<u32, TrapKind> {
    checked_trunc(x, 0.0, 4294967296.0).map(|t| t as u32)
}

/// `i64.trunc_f64_s`.
pub fn trunc_i64(x: f64) -> Result<i64, TrapKind> {
    checked_trunc(x, -9223372036854775808.0, 9223372036854775808.0).map(|t| t as i64)
}

/// `i64.trunc_f64_u`.
pub fn trunc_u64(x: f64) -> Result<u64, TrapKind> {
    checked_trunc(x, 0.0, 18446744073709551616.0).map(|t| t as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_and_max_follow_wasm() {
        assert!(min32(f32::NAN, 1.0).is_nan());
        assert!(max64(1.0, f64::NAN).is_nan());
        assert_eq!(min32(0.0, -0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(max32(-0.0, 0.0).to_bits(), 0.0f32.to_bits());
        assert_eq!(min64(-1.0, 2.0), -1.0);
    }

    #[test]
    fn rounding_quiets_signaling_nans() {
        let snan = f32::from_bits(0xffa0_0000);
        assert_eq!(round32(snan, f32::floor).to_bits(), 0xffe0_0000);
        assert_eq!(round64(2.5, f64::round_ties_even), 2.0);
    }

    #[test]
    fn truncation_traps_outside_the_range() {
        assert_eq!(trunc_i32(-2147483648.9), Ok(i32::MIN));
        assert_eq!(trunc_i32(2147483648.0), Err(TrapKind::IntegerOverflow));
        assert_eq!(trunc_u32(-0.9), Ok(0));
        assert_eq!(trunc_u32(-1.0), Err(TrapKind::IntegerOverflow));
        assert_eq!(
            trunc_i64(f64::NAN),
            Err(TrapKind::InvalidConversionToInteger)
        );
        assert_eq!(trunc_u64(18446744073709549568.0), Ok(18446744073709549568));
    }
}
