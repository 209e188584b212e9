//! The semantics of the 128-bit SIMD instructions on [`V128`] values, lane
//! by lane, in portable Rust (the compiler uses the host's vector instructions
//! where it can).
//!
//! Each function takes the operator as a value: the interpreter's handlers
//! are generic over it (a constant), so each handler is one operator's code
//! with the match folded away.

use crate::float;
use skiff_vm::isa::{LaneOp, VecLoad, VecOp};

/// A vector: its 16 bytes, lane 0 first (little-endian, the order of the
/// two slots that hold it). Bytes rather than a `u128`: the compiler keeps a
/// byte array that is loaded from and stored to memory in a vector register
/// and turns the lane-wise loops below into single vector instructions,
/// where a `u128` lives in two general registers and each lane operation
/// becomes a sequence of masks and shifts.
pub type V128 = [u8; 16];

/// The array of `f(i)` for each index `i`: `std::array::from_fn`, but
/// always inlined. A handler must not call out with an array in memory:
/// an out-of-line call that returns one through the stack costs the
/// handler its tail call (`tests/threaded.rs` holds that).
#[inline(always)]
fn each<T: Copy + Default, const N: usize>(f: impl Fn(usize) -> T) -> [T; N] {
    let mut out = [T::default(); N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = f(i);
    }
    out
}

/// A scalar operand or result in a vector's low 8 bytes.
#[inline(always)]
pub fn scalar(x: u64) -> V128 {
    let mut v = [0; 16];
    v[..8].copy_from_slice(&x.to_le_bytes());
    v
}

/// The low 8 bytes of a vector: a scalar operand or result.
#[inline(always)]
pub fn low64(v: V128) -> u64 {
    let mut b = [0; 8];
    b.copy_from_slice(&v[..8]);
    u64::from_le_bytes(b)
}

/// Lane views of a [`V128`], little-endian, and back.
macro_rules! lanes {
    ($($to:ident / $from:ident: $t:ty, $n:literal;)*) => {$(
        #[inline(always)]
        fn $to(bytes: V128) -> [$t; $n] {
            let mut out = [<$t>::default(); $n];
            for (i, lane) in out.iter_mut().enumerate() {
                const W: usize = 16 / $n;
                let mut b = [0u8; W];
                b.copy_from_slice(&bytes[i * W..i * W + W]);
                *lane = <$t>::from_le_bytes(b);
            }
            out
        }

        #[inline(always)]
        fn $from(lanes: [$t; $n]) -> V128 {
            let mut bytes = [0u8; 16];
            for (i, lane) in lanes.iter().enumerate() {
                const W: usize = 16 / $n;
                bytes[i * W..i * W + W].copy_from_slice(&lane.to_le_bytes());
            }
            bytes
        }
    )*};
}

lanes! {
    i8s / from_i8s: i8, 16;
    u8s / from_u8s: u8, 16;
    i16s / from_i16s: i16, 8;
    u16s / from_u16s: u16, 8;
    i32s / from_i32s: i32, 4;
    u32s / from_u32s: u32, 4;
    i64s / from_i64s: i64, 2;
    u64s / from_u64s: u64, 2;
    f32s / from_f32s: f32, 4;
    f64s / from_f64s: f64, 2;
}

/// `f` on each lane of `a` (viewed by `$to`, written back by `$from`).
macro_rules! map {
    ($a:expr, $to:ident, $from:ident, |$x:ident| $e:expr) => {{
        let mut l = $to($a);
        for $x in l.iter_mut() {
            *$x = {
                let $x = *$x;
                $e
            };
        }
        $from(l)
    }};
}

/// `f` on each pair of lanes of `a` and `b`.
macro_rules! zip {
    ($a:expr, $b:expr, $to:ident, $from:ident, |$x:ident, $y:ident| $e:expr) => {{
        let (mut l, r) = ($to($a), $to($b));
        for (x, y) in l.iter_mut().zip(r) {
            *x = {
                let ($x, $y) = (*x, y);
                $e
            };
        }
        $from(l)
    }};
}

/// A comparison of each pair of lanes: all ones where it holds.
macro_rules! cmp {
    ($a:expr, $b:expr, $to:ident, $from:ident, $mask:ty, |$x:ident, $y:ident| $e:expr) => {{
        let (l, r) = ($to($a), $to($b));
        let mut out = [0 as $mask; 16 / std::mem::size_of::<$mask>()];
        for i in 0..out.len() {
            let ($x, $y) = (l[i], r[i]);
            out[i] = if $e { <$mask>::MAX } else { 0 };
        }
        $from(out)
    }};
}

/// Widens lanes `$range` of `a` (viewed by `$to`) to `$wide` lanes.
macro_rules! widen {
    ($a:expr, $to:ident, $from:ident, $wide:ty, $range:expr) => {{
        let l = $to($a);
        let mut out = [<$wide>::default(); 16 / std::mem::size_of::<$wide>()];
        for (o, i) in out.iter_mut().zip($range) {
            *o = <$wide>::from(l[i]);
        }
        $from(out)
    }};
}

/// Narrows the lanes of `a` then `b` to `$narrow`, saturating.
macro_rules! narrow {
    ($a:expr, $b:expr, $to:ident, $from:ident, $narrow:ty) => {{
        let (l, r) = ($to($a), $to($b));
        let n = l.len();
        let mut out = [<$narrow>::default(); 16 / std::mem::size_of::<$narrow>()];
        for i in 0..n {
            out[i] = l[i].clamp(<$narrow>::MIN.into(), <$narrow>::MAX.into()) as $narrow;
            out[n + i] = r[i].clamp(<$narrow>::MIN.into(), <$narrow>::MAX.into()) as $narrow;
        }
        $from(out)
    }};
}

/// The sign bits of the lanes of `a`, lane 0 in bit 0.
macro_rules! bitmask {
    ($a:expr, $to:ident) => {{
        let mut m = 0u32;
        for (i, x) in $to($a).iter().enumerate() {
            if *x < 0 {
                m |= 1 << i;
            }
        }
        m
    }};
}

/// Adds neighbouring lanes of `a`, widened to `$wide`.
macro_rules! pairwise {
    ($a:expr, $to:ident, $from:ident, $wide:ty) => {{
        let l = $to($a);
        let mut out = [<$wide>::default(); 16 / std::mem::size_of::<$wide>()];
        for (i, o) in out.iter_mut().enumerate() {
            *o = <$wide>::from(l[2 * i]).wrapping_add(<$wide>::from(l[2 * i + 1]));
        }
        $from(out)
    }};
}

/// Multiplies lanes `$range` of `a` and `b`, widened to `$wide`.
macro_rules! extmul {
    ($a:expr, $b:expr, $to:ident, $from:ident, $wide:ty, $range:expr) => {{
        let (l, r) = ($to($a), $to($b));
        let mut out = [<$wide>::default(); 16 / std::mem::size_of::<$wide>()];
        for (o, i) in out.iter_mut().zip($range) {
            *o = <$wide>::from(l[i]).wrapping_mul(<$wide>::from(r[i]));
        }
        $from(out)
    }};
}

const LO: std::ops::Range<usize> = 0..16;

/// The low half of the lanes of a shape with `n` lanes.
fn low(n: usize) -> std::ops::Range<usize> {
    0..n / 2
}

/// The high half.
fn high(n: usize) -> std::ops::Range<usize> {
    n / 2..n
}

fn pmin32(a: f32, b: f32) -> f32 {
    if b < a { b } else { a }
}

fn pmax32(a: f32, b: f32) -> f32 {
    if a < b { b } else { a }
}

fn pmin64(a: f64, b: f64) -> f64 {
    if b < a { b } else { a }
}

fn pmax64(a: f64, b: f64) -> f64 {
    if a < b { b } else { a }
}

/// `i16x8.q15mulr_sat_s` of one lane.
fn q15mulr(a: i16, b: i16) -> i16 {
    let p = (i32::from(a) * i32::from(b) + 0x4000) >> 15;
    p.clamp(i16::MIN.into(), i16::MAX.into()) as i16
}

/// The operator `op` on vectors `a` and `b` (and `c`, for `v128.bitselect`;
/// a shift count or a splatted scalar in `a`'s low bits for those): the
/// result as a vector, or as an `i32` in the low 32 bits for the tests.
#[inline(always)]
pub fn eval(op: VecOp, a: V128, b: V128, c: V128) -> V128 {
    let _ = LO;
    match op {
        VecOp::V128Not => each(|i| !a[i]),
        VecOp::V128And => each(|i| a[i] & b[i]),
        VecOp::V128AndNot => each(|i| a[i] & !b[i]),
        VecOp::V128Or => each(|i| a[i] | b[i]),
        VecOp::V128Xor => each(|i| a[i] ^ b[i]),
        VecOp::V128Bitselect => bitselect(a, b, c),
        VecOp::V128AnyTrue => scalar(u64::from(a.iter().any(|x| *x != 0))),
        VecOp::I8x16Swizzle | VecOp::I8x16RelaxedSwizzle => {
            let (l, idx) = (u8s(a), u8s(b));
            let mut out = [0u8; 16];
            for (o, i) in out.iter_mut().zip(idx) {
                *o = if i < 16 { l[i as usize] } else { 0 };
            }
            from_u8s(out)
        }
        VecOp::I8x16Splat => from_u8s([low64(a) as u8; 16]),
        VecOp::I16x8Splat => from_u16s([low64(a) as u16; 8]),
        VecOp::I32x4Splat => from_u32s([low64(a) as u32; 4]),
        VecOp::I64x2Splat => from_u64s([low64(a); 2]),
        VecOp::F32x4Splat => from_u32s([low64(a) as u32; 4]),
        VecOp::F64x2Splat => from_u64s([low64(a); 2]),
        VecOp::I8x16Eq => cmp!(a, b, i8s, from_u8s, u8, |x, y| x == y),
        VecOp::I8x16Ne => cmp!(a, b, i8s, from_u8s, u8, |x, y| x != y),
        VecOp::I8x16LtS => cmp!(a, b, i8s, from_u8s, u8, |x, y| x < y),
        VecOp::I8x16LtU => cmp!(a, b, u8s, from_u8s, u8, |x, y| x < y),
        VecOp::I8x16GtS => cmp!(a, b, i8s, from_u8s, u8, |x, y| x > y),
        VecOp::I8x16GtU => cmp!(a, b, u8s, from_u8s, u8, |x, y| x > y),
        VecOp::I8x16LeS => cmp!(a, b, i8s, from_u8s, u8, |x, y| x <= y),
        VecOp::I8x16LeU => cmp!(a, b, u8s, from_u8s, u8, |x, y| x <= y),
        VecOp::I8x16GeS => cmp!(a, b, i8s, from_u8s, u8, |x, y| x >= y),
        VecOp::I8x16GeU => cmp!(a, b, u8s, from_u8s, u8, |x, y| x >= y),
        VecOp::I16x8Eq => cmp!(a, b, i16s, from_u16s, u16, |x, y| x == y),
        VecOp::I16x8Ne => cmp!(a, b, i16s, from_u16s, u16, |x, y| x != y),
        VecOp::I16x8LtS => cmp!(a, b, i16s, from_u16s, u16, |x, y| x < y),
        VecOp::I16x8LtU => cmp!(a, b, u16s, from_u16s, u16, |x, y| x < y),
        VecOp::I16x8GtS => cmp!(a, b, i16s, from_u16s, u16, |x, y| x > y),
        VecOp::I16x8GtU => cmp!(a, b, u16s, from_u16s, u16, |x, y| x > y),
        VecOp::I16x8LeS => cmp!(a, b, i16s, from_u16s, u16, |x, y| x <= y),
        VecOp::I16x8LeU => cmp!(a, b, u16s, from_u16s, u16, |x, y| x <= y),
        VecOp::I16x8GeS => cmp!(a, b, i16s, from_u16s, u16, |x, y| x >= y),
        VecOp::I16x8GeU => cmp!(a, b, u16s, from_u16s, u16, |x, y| x >= y),
        VecOp::I32x4Eq => cmp!(a, b, i32s, from_u32s, u32, |x, y| x == y),
        VecOp::I32x4Ne => cmp!(a, b, i32s, from_u32s, u32, |x, y| x != y),
        VecOp::I32x4LtS => cmp!(a, b, i32s, from_u32s, u32, |x, y| x < y),
        VecOp::I32x4LtU => cmp!(a, b, u32s, from_u32s, u32, |x, y| x < y),
        VecOp::I32x4GtS => cmp!(a, b, i32s, from_u32s, u32, |x, y| x > y),
        VecOp::I32x4GtU => cmp!(a, b, u32s, from_u32s, u32, |x, y| x > y),
        VecOp::I32x4LeS => cmp!(a, b, i32s, from_u32s, u32, |x, y| x <= y),
        VecOp::I32x4LeU => cmp!(a, b, u32s, from_u32s, u32, |x, y| x <= y),
        VecOp::I32x4GeS => cmp!(a, b, i32s, from_u32s, u32, |x, y| x >= y),
        VecOp::I32x4GeU => cmp!(a, b, u32s, from_u32s, u32, |x, y| x >= y),
        VecOp::I64x2Eq => cmp!(a, b, i64s, from_u64s, u64, |x, y| x == y),
        VecOp::I64x2Ne => cmp!(a, b, i64s, from_u64s, u64, |x, y| x != y),
        VecOp::I64x2LtS => cmp!(a, b, i64s, from_u64s, u64, |x, y| x < y),
        VecOp::I64x2GtS => cmp!(a, b, i64s, from_u64s, u64, |x, y| x > y),
        VecOp::I64x2LeS => cmp!(a, b, i64s, from_u64s, u64, |x, y| x <= y),
        VecOp::I64x2GeS => cmp!(a, b, i64s, from_u64s, u64, |x, y| x >= y),
        VecOp::F32x4Eq => cmp!(a, b, f32s, from_u32s, u32, |x, y| x == y),
        VecOp::F32x4Ne => cmp!(a, b, f32s, from_u32s, u32, |x, y| x != y),
        VecOp::F32x4Lt => cmp!(a, b, f32s, from_u32s, u32, |x, y| x < y),
        VecOp::F32x4Gt => cmp!(a, b, f32s, from_u32s, u32, |x, y| x > y),
        VecOp::F32x4Le => cmp!(a, b, f32s, from_u32s, u32, |x, y| x <= y),
        VecOp::F32x4Ge => cmp!(a, b, f32s, from_u32s, u32, |x, y| x >= y),
        VecOp::F64x2Eq => cmp!(a, b, f64s, from_u64s, u64, |x, y| x == y),
        VecOp::F64x2Ne => cmp!(a, b, f64s, from_u64s, u64, |x, y| x != y),
        VecOp::F64x2Lt => cmp!(a, b, f64s, from_u64s, u64, |x, y| x < y),
        VecOp::F64x2Gt => cmp!(a, b, f64s, from_u64s, u64, |x, y| x > y),
        VecOp::F64x2Le => cmp!(a, b, f64s, from_u64s, u64, |x, y| x <= y),
        VecOp::F64x2Ge => cmp!(a, b, f64s, from_u64s, u64, |x, y| x >= y),
        VecOp::I8x16Abs => map!(a, i8s, from_i8s, |x| x.wrapping_abs()),
        VecOp::I8x16Neg => map!(a, i8s, from_i8s, |x| x.wrapping_neg()),
        VecOp::I8x16Popcnt => map!(a, u8s, from_u8s, |x| x.count_ones() as u8),
        VecOp::I8x16AllTrue => scalar(u64::from(u8s(a).iter().all(|x| *x != 0))),
        VecOp::I8x16Bitmask => scalar(u64::from(bitmask!(a, i8s))),
        VecOp::I8x16NarrowI16x8S => narrow!(a, b, i16s, from_i8s, i8),
        VecOp::I8x16NarrowI16x8U => narrow!(a, b, i16s, from_u8s, u8),
        VecOp::I8x16Shl => map!(a, u8s, from_u8s, |x| x.wrapping_shl(low64(c) as u32)),
        VecOp::I8x16ShrS => map!(a, i8s, from_i8s, |x| x.wrapping_shr(low64(c) as u32)),
        VecOp::I8x16ShrU => map!(a, u8s, from_u8s, |x| x.wrapping_shr(low64(c) as u32)),
        VecOp::I8x16Add => zip!(a, b, u8s, from_u8s, |x, y| x.wrapping_add(y)),
        VecOp::I8x16AddSatS => zip!(a, b, i8s, from_i8s, |x, y| x.saturating_add(y)),
        VecOp::I8x16AddSatU => zip!(a, b, u8s, from_u8s, |x, y| x.saturating_add(y)),
        VecOp::I8x16Sub => zip!(a, b, u8s, from_u8s, |x, y| x.wrapping_sub(y)),
        VecOp::I8x16SubSatS => zip!(a, b, i8s, from_i8s, |x, y| x.saturating_sub(y)),
        VecOp::I8x16SubSatU => zip!(a, b, u8s, from_u8s, |x, y| x.saturating_sub(y)),
        VecOp::I8x16MinS => zip!(a, b, i8s, from_i8s, |x, y| x.min(y)),
        VecOp::I8x16MinU => zip!(a, b, u8s, from_u8s, |x, y| x.min(y)),
        VecOp::I8x16MaxS => zip!(a, b, i8s, from_i8s, |x, y| x.max(y)),
        VecOp::I8x16MaxU => zip!(a, b, u8s, from_u8s, |x, y| x.max(y)),
        VecOp::I8x16AvgrU => zip!(
            a,
            b,
            u8s,
            from_u8s,
            |x, y| ((u16::from(x) + u16::from(y) + 1) >> 1) as u8
        ),
        VecOp::I16x8ExtAddPairwiseI8x16S => pairwise!(a, i8s, from_i16s, i16),
        VecOp::I16x8ExtAddPairwiseI8x16U => pairwise!(a, u8s, from_u16s, u16),
        VecOp::I16x8Abs => map!(a, i16s, from_i16s, |x| x.wrapping_abs()),
        VecOp::I16x8Neg => map!(a, i16s, from_i16s, |x| x.wrapping_neg()),
        VecOp::I16x8Q15MulrSatS | VecOp::I16x8RelaxedQ15mulrS => {
            zip!(a, b, i16s, from_i16s, |x, y| q15mulr(x, y))
        }
        VecOp::I16x8AllTrue => scalar(u64::from(u16s(a).iter().all(|x| *x != 0))),
        VecOp::I16x8Bitmask => scalar(u64::from(bitmask!(a, i16s))),
        VecOp::I16x8NarrowI32x4S => narrow!(a, b, i32s, from_i16s, i16),
        VecOp::I16x8NarrowI32x4U => narrow!(a, b, i32s, from_u16s, u16),
        VecOp::I16x8ExtendLowI8x16S => widen!(a, i8s, from_i16s, i16, low(16)),
        VecOp::I16x8ExtendHighI8x16S => widen!(a, i8s, from_i16s, i16, high(16)),
        VecOp::I16x8ExtendLowI8x16U => widen!(a, u8s, from_u16s, u16, low(16)),
        VecOp::I16x8ExtendHighI8x16U => widen!(a, u8s, from_u16s, u16, high(16)),
        VecOp::I16x8Shl => map!(a, u16s, from_u16s, |x| x.wrapping_shl(low64(c) as u32)),
        VecOp::I16x8ShrS => map!(a, i16s, from_i16s, |x| x.wrapping_shr(low64(c) as u32)),
        VecOp::I16x8ShrU => map!(a, u16s, from_u16s, |x| x.wrapping_shr(low64(c) as u32)),
        VecOp::I16x8Add => zip!(a, b, u16s, from_u16s, |x, y| x.wrapping_add(y)),
        VecOp::I16x8AddSatS => zip!(a, b, i16s, from_i16s, |x, y| x.saturating_add(y)),
        VecOp::I16x8AddSatU => zip!(a, b, u16s, from_u16s, |x, y| x.saturating_add(y)),
        VecOp::I16x8Sub => zip!(a, b, u16s, from_u16s, |x, y| x.wrapping_sub(y)),
        VecOp::I16x8SubSatS => zip!(a, b, i16s, from_i16s, |x, y| x.saturating_sub(y)),
        VecOp::I16x8SubSatU => zip!(a, b, u16s, from_u16s, |x, y| x.saturating_sub(y)),
        VecOp::I16x8Mul => zip!(a, b, u16s, from_u16s, |x, y| x.wrapping_mul(y)),
        VecOp::I16x8MinS => zip!(a, b, i16s, from_i16s, |x, y| x.min(y)),
        VecOp::I16x8MinU => zip!(a, b, u16s, from_u16s, |x, y| x.min(y)),
        VecOp::I16x8MaxS => zip!(a, b, i16s, from_i16s, |x, y| x.max(y)),
        VecOp::I16x8MaxU => zip!(a, b, u16s, from_u16s, |x, y| x.max(y)),
        VecOp::I16x8AvgrU => zip!(
            a,
            b,
            u16s,
            from_u16s,
            |x, y| ((u32::from(x) + u32::from(y) + 1) >> 1) as u16
        ),
        VecOp::I16x8ExtMulLowI8x16S => extmul!(a, b, i8s, from_i16s, i16, low(16)),
        VecOp::I16x8ExtMulHighI8x16S => extmul!(a, b, i8s, from_i16s, i16, high(16)),
        VecOp::I16x8ExtMulLowI8x16U => extmul!(a, b, u8s, from_u16s, u16, low(16)),
        VecOp::I16x8ExtMulHighI8x16U => extmul!(a, b, u8s, from_u16s, u16, high(16)),
        VecOp::I32x4ExtAddPairwiseI16x8S => pairwise!(a, i16s, from_i32s, i32),
        VecOp::I32x4ExtAddPairwiseI16x8U => pairwise!(a, u16s, from_u32s, u32),
        VecOp::I32x4Abs => map!(a, i32s, from_i32s, |x| x.wrapping_abs()),
        VecOp::I32x4Neg => map!(a, i32s, from_i32s, |x| x.wrapping_neg()),
        VecOp::I32x4AllTrue => scalar(u64::from(u32s(a).iter().all(|x| *x != 0))),
        VecOp::I32x4Bitmask => scalar(u64::from(bitmask!(a, i32s))),
        VecOp::I32x4ExtendLowI16x8S => widen!(a, i16s, from_i32s, i32, low(8)),
        VecOp::I32x4ExtendHighI16x8S => widen!(a, i16s, from_i32s, i32, high(8)),
        VecOp::I32x4ExtendLowI16x8U => widen!(a, u16s, from_u32s, u32, low(8)),
        VecOp::I32x4ExtendHighI16x8U => widen!(a, u16s, from_u32s, u32, high(8)),
        VecOp::I32x4Shl => map!(a, u32s, from_u32s, |x| x.wrapping_shl(low64(c) as u32)),
        VecOp::I32x4ShrS => map!(a, i32s, from_i32s, |x| x.wrapping_shr(low64(c) as u32)),
        VecOp::I32x4ShrU => map!(a, u32s, from_u32s, |x| x.wrapping_shr(low64(c) as u32)),
        VecOp::I32x4Add => zip!(a, b, u32s, from_u32s, |x, y| x.wrapping_add(y)),
        VecOp::I32x4Sub => zip!(a, b, u32s, from_u32s, |x, y| x.wrapping_sub(y)),
        VecOp::I32x4Mul => zip!(a, b, u32s, from_u32s, |x, y| x.wrapping_mul(y)),
        VecOp::I32x4MinS => zip!(a, b, i32s, from_i32s, |x, y| x.min(y)),
        VecOp::I32x4MinU => zip!(a, b, u32s, from_u32s, |x, y| x.min(y)),
        VecOp::I32x4MaxS => zip!(a, b, i32s, from_i32s, |x, y| x.max(y)),
        VecOp::I32x4MaxU => zip!(a, b, u32s, from_u32s, |x, y| x.max(y)),
        VecOp::I32x4DotI16x8S => {
            let (l, r) = (i16s(a), i16s(b));
            let mut out = [0i32; 4];
            for (i, o) in out.iter_mut().enumerate() {
                let p0 = i32::from(l[2 * i]) * i32::from(r[2 * i]);
                let p1 = i32::from(l[2 * i + 1]) * i32::from(r[2 * i + 1]);
                *o = p0.wrapping_add(p1);
            }
            from_i32s(out)
        }
        VecOp::I32x4ExtMulLowI16x8S => extmul!(a, b, i16s, from_i32s, i32, low(8)),
        VecOp::I32x4ExtMulHighI16x8S => extmul!(a, b, i16s, from_i32s, i32, high(8)),
        VecOp::I32x4ExtMulLowI16x8U => extmul!(a, b, u16s, from_u32s, u32, low(8)),
        VecOp::I32x4ExtMulHighI16x8U => extmul!(a, b, u16s, from_u32s, u32, high(8)),
        VecOp::I64x2Abs => map!(a, i64s, from_i64s, |x| x.wrapping_abs()),
        VecOp::I64x2Neg => map!(a, i64s, from_i64s, |x| x.wrapping_neg()),
        VecOp::I64x2AllTrue => scalar(u64::from(u64s(a).iter().all(|x| *x != 0))),
        VecOp::I64x2Bitmask => scalar(u64::from(bitmask!(a, i64s))),
        VecOp::I64x2ExtendLowI32x4S => widen!(a, i32s, from_i64s, i64, low(4)),
        VecOp::I64x2ExtendHighI32x4S => widen!(a, i32s, from_i64s, i64, high(4)),
        VecOp::I64x2ExtendLowI32x4U => widen!(a, u32s, from_u64s, u64, low(4)),
        VecOp::I64x2ExtendHighI32x4U => widen!(a, u32s, from_u64s, u64, high(4)),
        VecOp::I64x2Shl => map!(a, u64s, from_u64s, |x| x.wrapping_shl(low64(c) as u32)),
        VecOp::I64x2ShrS => map!(a, i64s, from_i64s, |x| x.wrapping_shr(low64(c) as u32)),
        VecOp::I64x2ShrU => map!(a, u64s, from_u64s, |x| x.wrapping_shr(low64(c) as u32)),
        VecOp::I64x2Add => zip!(a, b, u64s, from_u64s, |x, y| x.wrapping_add(y)),
        VecOp::I64x2Sub => zip!(a, b, u64s, from_u64s, |x, y| x.wrapping_sub(y)),
        VecOp::I64x2Mul => zip!(a, b, u64s, from_u64s, |x, y| x.wrapping_mul(y)),
        VecOp::I64x2ExtMulLowI32x4S => extmul!(a, b, i32s, from_i64s, i64, low(4)),
        VecOp::I64x2ExtMulHighI32x4S => extmul!(a, b, i32s, from_i64s, i64, high(4)),
        VecOp::I64x2ExtMulLowI32x4U => extmul!(a, b, u32s, from_u64s, u64, low(4)),
        VecOp::I64x2ExtMulHighI32x4U => extmul!(a, b, u32s, from_u64s, u64, high(4)),
        VecOp::F32x4Ceil => map!(a, f32s, from_f32s, |x| float::round32(x, f32::ceil)),
        VecOp::F32x4Floor => map!(a, f32s, from_f32s, |x| float::round32(x, f32::floor)),
        VecOp::F32x4Trunc => map!(a, f32s, from_f32s, |x| float::round32(x, f32::trunc)),
        VecOp::F32x4Nearest => {
            map!(a, f32s, from_f32s, |x| float::round32(
                x,
                f32::round_ties_even
            ))
        }
        VecOp::F32x4Abs => map!(a, u32s, from_u32s, |x| x & 0x7fff_ffff),
        VecOp::F32x4Neg => map!(a, u32s, from_u32s, |x| x ^ 0x8000_0000),
        VecOp::F32x4Sqrt => map!(a, f32s, from_f32s, |x| x.sqrt()),
        VecOp::F32x4Add => zip!(a, b, f32s, from_f32s, |x, y| x + y),
        VecOp::F32x4Sub => zip!(a, b, f32s, from_f32s, |x, y| x - y),
        VecOp::F32x4Mul => zip!(a, b, f32s, from_f32s, |x, y| x * y),
        VecOp::F32x4Div => zip!(a, b, f32s, from_f32s, |x, y| x / y),
        VecOp::F32x4Min | VecOp::F32x4RelaxedMin => {
            zip!(a, b, f32s, from_f32s, |x, y| float::min32(x, y))
        }
        VecOp::F32x4Max | VecOp::F32x4RelaxedMax => {
            zip!(a, b, f32s, from_f32s, |x, y| float::max32(x, y))
        }
        VecOp::F32x4PMin => zip!(a, b, f32s, from_f32s, |x, y| pmin32(x, y)),
        VecOp::F32x4PMax => zip!(a, b, f32s, from_f32s, |x, y| pmax32(x, y)),
        VecOp::F64x2Ceil => map!(a, f64s, from_f64s, |x| float::round64(x, f64::ceil)),
        VecOp::F64x2Floor => map!(a, f64s, from_f64s, |x| float::round64(x, f64::floor)),
        VecOp::F64x2Trunc => map!(a, f64s, from_f64s, |x| float::round64(x, f64::trunc)),
        VecOp::F64x2Nearest => {
            map!(a, f64s, from_f64s, |x| float::round64(
                x,
                f64::round_ties_even
            ))
        }
        VecOp::F64x2Abs => map!(a, u64s, from_u64s, |x| x & 0x7fff_ffff_ffff_ffff),
        VecOp::F64x2Neg => map!(a, u64s, from_u64s, |x| x ^ 0x8000_0000_0000_0000),
        VecOp::F64x2Sqrt => map!(a, f64s, from_f64s, |x| x.sqrt()),
        VecOp::F64x2Add => zip!(a, b, f64s, from_f64s, |x, y| x + y),
        VecOp::F64x2Sub => zip!(a, b, f64s, from_f64s, |x, y| x - y),
        VecOp::F64x2Mul => zip!(a, b, f64s, from_f64s, |x, y| x * y),
        VecOp::F64x2Div => zip!(a, b, f64s, from_f64s, |x, y| x / y),
        VecOp::F64x2Min | VecOp::F64x2RelaxedMin => {
            zip!(a, b, f64s, from_f64s, |x, y| float::min64(x, y))
        }
        VecOp::F64x2Max | VecOp::F64x2RelaxedMax => {
            zip!(a, b, f64s, from_f64s, |x, y| float::max64(x, y))
        }
        VecOp::F64x2PMin => zip!(a, b, f64s, from_f64s, |x, y| pmin64(x, y)),
        VecOp::F64x2PMax => zip!(a, b, f64s, from_f64s, |x, y| pmax64(x, y)),
        // `as` from a float saturates and sends NaN to 0, as `trunc_sat` does.
        VecOp::I32x4TruncSatF32x4S | VecOp::I32x4RelaxedTruncF32x4S => {
            let l = f32s(a);
            from_i32s(each(|i| l[i] as i32))
        }
        VecOp::I32x4TruncSatF32x4U | VecOp::I32x4RelaxedTruncF32x4U => {
            let l = f32s(a);
            from_u32s(each(|i| l[i] as u32))
        }
        VecOp::F32x4ConvertI32x4S => {
            let l = i32s(a);
            from_f32s(each(|i| l[i] as f32))
        }
        VecOp::F32x4ConvertI32x4U => {
            let l = u32s(a);
            from_f32s(each(|i| l[i] as f32))
        }
        VecOp::I32x4TruncSatF64x2SZero | VecOp::I32x4RelaxedTruncF64x2SZero => {
            let l = f64s(a);
            from_i32s([l[0] as i32, l[1] as i32, 0, 0])
        }
        VecOp::I32x4TruncSatF64x2UZero | VecOp::I32x4RelaxedTruncF64x2UZero => {
            let l = f64s(a);
            from_u32s([l[0] as u32, l[1] as u32, 0, 0])
        }
        VecOp::F64x2ConvertLowI32x4S => {
            let l = i32s(a);
            from_f64s([f64::from(l[0]), f64::from(l[1])])
        }
        VecOp::F64x2ConvertLowI32x4U => {
            let l = u32s(a);
            from_f64s([f64::from(l[0]), f64::from(l[1])])
        }
        VecOp::F32x4DemoteF64x2Zero => {
            let l = f64s(a);
            from_f32s([l[0] as f32, l[1] as f32, 0.0, 0.0])
        }
        VecOp::F64x2PromoteLowF32x4 => {
            let l = f32s(a);
            from_f64s([f64::from(l[0]), f64::from(l[1])])
        }
        // Relaxed SIMD: Skiff's choices, as `skiff_vm::isa` documents them
        // (the relaxed operators that behave as a 2.0 one share its arm
        // above: `eval` must not call itself, or it could not be inlined
        // into the handlers).
        VecOp::F32x4RelaxedMadd => {
            let (x, y, z) = (f32s(a), f32s(b), f32s(c));
            from_f32s(each(|i| x[i] * y[i] + z[i]))
        }
        VecOp::F32x4RelaxedNmadd => {
            let (x, y, z) = (f32s(a), f32s(b), f32s(c));
            from_f32s(each(|i| -(x[i] * y[i]) + z[i]))
        }
        VecOp::F64x2RelaxedMadd => {
            let (x, y, z) = (f64s(a), f64s(b), f64s(c));
            from_f64s(each(|i| x[i] * y[i] + z[i]))
        }
        VecOp::F64x2RelaxedNmadd => {
            let (x, y, z) = (f64s(a), f64s(b), f64s(c));
            from_f64s(each(|i| -(x[i] * y[i]) + z[i]))
        }
        VecOp::I8x16RelaxedLaneselect
        | VecOp::I16x8RelaxedLaneselect
        | VecOp::I32x4RelaxedLaneselect
        | VecOp::I64x2RelaxedLaneselect => bitselect(a, b, c),
        VecOp::I16x8RelaxedDotI8x16I7x16S => from_i16s(dot_i8x16(a, b)),
        VecOp::I32x4RelaxedDotI8x16I7x16AddS => {
            let (d, acc) = (dot_i8x16(a, b), i32s(c));
            from_i32s(each(|i| {
                (i32::from(d[2 * i]) + i32::from(d[2 * i + 1])).wrapping_add(acc[i])
            }))
        }
    }
}

/// The bits of `a` where `c` has ones, of `b` elsewhere.
#[inline(always)]
fn bitselect(a: V128, b: V128, c: V128) -> V128 {
    each(|i| (a[i] & c[i]) | (b[i] & !c[i]))
}

/// The signed products of the lane pairs of `a` and `b`, each pair summed
/// wrapping to 16 bits (Skiff's relaxed dot product).
#[inline(always)]
fn dot_i8x16(a: V128, b: V128) -> [i16; 8] {
    let (l, r) = (i8s(a), i8s(b));
    each(|i| {
        let p0 = i16::from(l[2 * i]) * i16::from(r[2 * i]);
        let p1 = i16::from(l[2 * i + 1]) * i16::from(r[2 * i + 1]);
        p0.wrapping_add(p1)
    })
}

/// `i8x16.shuffle` of `a` and `b` by `lanes` (each below 32).
#[inline(always)]
pub fn shuffle(a: V128, b: V128, lanes: &[u8; 16]) -> V128 {
    // One table of both, indexed without a branch (a lane is below 32).
    let mut both = [0; 32];
    both[..16].copy_from_slice(&a);
    both[16..].copy_from_slice(&b);
    each(|k| both[usize::from(lanes[k]) & 31])
}

/// [`shuffle`], with [`shuffle_ssse3`] when `SSSE3` (on x86-64).
///
/// # Safety
/// With `SSSE3`, the processor must have SSSE3.
#[inline(always)]
pub unsafe fn shuffle_with<const SSSE3: bool>(a: V128, b: V128, lanes: &[u8; 16]) -> V128 {
    #[cfg(target_arch = "x86_64")]
    if SSSE3 {
        // SAFETY: the caller's guarantee.
        return unsafe { shuffle_ssse3(a, b, lanes) };
    }
    shuffle(a, b, lanes)
}

/// [`shuffle`] with SSSE3's byte shuffle, about ten instructions instead
/// of a load and a store for each lane.
///
/// # Safety
/// The processor must have SSSE3.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3")]
pub unsafe fn shuffle_ssse3(a: V128, b: V128, lanes: &[u8; 16]) -> V128 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpgt_epi8, _mm_or_si128, _mm_set1_epi8, _mm_shuffle_epi8, _mm_xor_si128,
    };
    // SAFETY: a `V128` and an `__m128i` are both 16 bytes for which any
    // bits are a value.
    let [a, b, lanes] = unsafe { [a, b, *lanes].map(|v| std::mem::transmute::<V128, __m128i>(v)) };
    // A byte whose top bit is set selects zero: lanes of `b` (16 and up)
    // select zero from `a`, lanes of `a` zero from `b`, and each reads
    // the low four bits of the others.
    let of_b = _mm_cmpgt_epi8(lanes, _mm_set1_epi8(15));
    let from_a = _mm_shuffle_epi8(a, _mm_or_si128(lanes, of_b));
    let from_b = _mm_shuffle_epi8(
        b,
        _mm_or_si128(lanes, _mm_xor_si128(of_b, _mm_set1_epi8(-1))),
    );
    // SAFETY: as above.
    unsafe { std::mem::transmute::<__m128i, V128>(_mm_or_si128(from_a, from_b)) }
}

/// The slot value of a lane whose bits are `bits` (zero above the lane's
/// width), for a lane extraction `op`: sign- or zero-extended to 32 bits
/// for the narrow shapes.
#[inline(always)]
pub fn extend_lane(op: LaneOp, bits: u64) -> u64 {
    match op {
        LaneOp::I8x16ExtractLaneS => bits as i8 as i32 as u32 as u64,
        LaneOp::I16x8ExtractLaneS => bits as i16 as i32 as u32 as u64,
        LaneOp::I8x16ExtractLaneU
        | LaneOp::I16x8ExtractLaneU
        | LaneOp::I32x4ExtractLane
        | LaneOp::F32x4ExtractLane
        | LaneOp::I64x2ExtractLane
        | LaneOp::F64x2ExtractLane => bits,
        LaneOp::I8x16ReplaceLane
        | LaneOp::I16x8ReplaceLane
        | LaneOp::I32x4ReplaceLane
        | LaneOp::I64x2ReplaceLane
        | LaneOp::F32x4ReplaceLane
        | LaneOp::F64x2ReplaceLane => unreachable!("{op:?} replaces a lane"),
    }
}

/// `a` with lane `lane` replaced by the slot value `x`, the bytes of a lane
/// `width` bytes wide.
#[inline(always)]
pub fn replace(a: V128, x: u64, lane: u8, width: u32) -> V128 {
    // A blend of `a` and `x` repeated in every lane, selected by comparing
    // each byte's lane number with `lane`: vector compares and masks, where
    // writing the lane's bytes in place would go through the stack.
    let repeated = match width {
        1 => (x & 0xff) * 0x0101_0101_0101_0101,
        2 => (x & 0xffff) * 0x0001_0001_0001_0001,
        4 => (x & 0xffff_ffff) * 0x0000_0001_0000_0001,
        _ => x,
    };
    let repeated = repeated.to_le_bytes();
    let mask = LANE_MASKS[width.trailing_zeros() as usize & 3][usize::from(lane) & 15];
    each(|i| (a[i] & !mask[i]) | (repeated[i % 8] & mask[i]))
}

/// By lane width (1, 2, 4 and 8 bytes, as its base-2 logarithm) and lane,
/// the vector whose bytes of that lane are all ones and the others zero. A
/// mask from memory keeps [`replace`] in vector registers: the compiler
/// turns a computed one back into byte-wise selects.
static LANE_MASKS: [[V128; 16]; 4] = {
    let mut masks = [[[0; 16]; 16]; 4];
    let mut log = 0;
    while log < 4 {
        let width = 1 << log;
        let mut byte = 0;
        while byte < 16 {
            masks[log][byte / width][byte] = 0xff;
            byte += 1;
        }
        log += 1;
    }
    masks
};

/// The vector a load reads from `bytes` (as many as it reads).
#[inline(always)]
pub fn load(op: VecLoad, bytes: &[u8]) -> V128 {
    macro_rules! extend {
        ($t:ty, $wide:ty, $from:ident, $n:literal) => {{
            const W: usize = std::mem::size_of::<$t>();
            let mut out = [<$wide>::default(); $n];
            for (i, o) in out.iter_mut().enumerate() {
                let mut b = [0u8; W];
                b.copy_from_slice(&bytes[i * W..i * W + W]);
                *o = <$wide>::from(<$t>::from_le_bytes(b));
            }
            $from(out)
        }};
    }
    let read = |n: usize| {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(&bytes[..n]);
        u64::from_le_bytes(b)
    };
    match op {
        VecLoad::V128Load => {
            let mut b = [0u8; 16];
            b.copy_from_slice(&bytes[..16]);
            b
        }
        VecLoad::V128Load8x8S => extend!(i8, i16, from_i16s, 8),
        VecLoad::V128Load8x8U => extend!(u8, u16, from_u16s, 8),
        VecLoad::V128Load16x4S => extend!(i16, i32, from_i32s, 4),
        VecLoad::V128Load16x4U => extend!(u16, u32, from_u32s, 4),
        VecLoad::V128Load32x2S => extend!(i32, i64, from_i64s, 2),
        VecLoad::V128Load32x2U => extend!(u32, u64, from_u64s, 2),
        VecLoad::V128Load8Splat => from_u8s([bytes[0]; 16]),
        VecLoad::V128Load16Splat => from_u16s([read(2) as u16; 8]),
        VecLoad::V128Load32Splat => from_u32s([read(4) as u32; 4]),
        VecLoad::V128Load64Splat => from_u64s([read(8); 2]),
        VecLoad::V128Load32Zero => scalar(read(4)),
        VecLoad::V128Load64Zero => scalar(read(8)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_ssse3_shuffle_is_the_portable_one() {
        if !std::arch::is_x86_feature_detected!("ssse3") {
            return;
        }
        let a: V128 = std::array::from_fn(|i| i as u8 + 100);
        let b: V128 = std::array::from_fn(|i| i as u8 + 200);
        // Lanes of either operand, repeated, in and out of order.
        let mut seed = 0x9e37_79b9_u32;
        for _ in 0..1000 {
            let lanes: [u8; 16] = std::array::from_fn(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 27) as u8
            });
            // SAFETY: the processor has SSSE3 (checked above).
            let fast = unsafe { shuffle_ssse3(a, b, &lanes) };
            assert_eq!(fast, shuffle(a, b, &lanes), "lanes {lanes:?}");
        }
    }

    #[test]
    fn lanes_are_little_endian_and_ops_are_lane_wise() {
        let a = from_i32s([1, -2, 3, i32::MIN]);
        assert_eq!(i32s(a), [1, -2, 3, i32::MIN]);
        assert_eq!(
            i32s(eval(VecOp::I32x4Abs, a, [0; 16], [0; 16])),
            [1, 2, 3, i32::MIN]
        );
        let b = from_i16s([300, -300, 5, 0, 0, 0, 0, 0]);
        assert_eq!(
            i8s(eval(VecOp::I8x16NarrowI16x8S, b, [0; 16], [0; 16]))[..3],
            [127, -128, 5]
        );
        assert_eq!(
            low64(eval(VecOp::I32x4Bitmask, a, [0; 16], [0; 16])),
            0b1010
        );
        assert_eq!(
            u8s(eval(VecOp::I8x16Shl, from_u8s([1; 16]), [0; 16], scalar(9))),
            [2; 16],
            "shift counts wrap at the lane width"
        );
        assert_eq!(extend_lane(LaneOp::I8x16ExtractLaneS, 0xff), 0xffff_ffff);
        assert_eq!(extend_lane(LaneOp::I16x8ExtractLaneU, 0xffff), 0xffff);
        assert_eq!(replace([0; 16], 0xabcd, 1, 2), scalar(0xabcd << 16));
        assert_eq!(
            replace(from_u8s([7; 16]), 0x1ff, 15, 1),
            from_u8s([7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 0xff])
        );
        assert_eq!(
            u64s(replace([0; 16], u64::MAX, 1, 8)),
            [0, u64::MAX],
            "a lane of 8 bytes"
        );
    }
}
