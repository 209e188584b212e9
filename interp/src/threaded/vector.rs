//! Handlers of the vector instructions. A `v128` takes two slots, its low
//! half first. The handler of a vector operator is generic over the
//! operator (its index in `VecOp::ALL`), so each operator runs its own
//! handler with everything about its shape known when it was compiled.

use super::{Exit, get, set};
use crate::code::{FuncCode, Handler, Instr, Op, Slot, Stop};
use crate::exec::Machine;
use crate::simd::{self, V128};
use skiff_vm::isa::{LaneOp, VecLoad, VecOp};
use skiff_vm::types::ValType;

/// The vector in slots `slot`, `slot + 1`.
///
/// # Safety
/// As for [`get`], for both slots.
#[inline(always)]
unsafe fn get128(regs: *mut u64, slot: Slot) -> V128 {
    // SAFETY: the caller's guarantee: both slots are in the frame; a byte
    // array needs no alignment.
    let v = unsafe { std::ptr::read_unaligned(regs.add(slot as usize).cast::<V128>()) };
    in_lane_order(v)
}

/// The bytes of two slots, low half first, in lane order and back: the
/// identity on a little-endian host (one 16-byte load or store, which is why
/// vectors are read as bytes), a swap within each half on a big-endian one.
#[inline(always)]
fn in_lane_order(mut v: V128) -> V128 {
    if cfg!(target_endian = "big") {
        v[..8].reverse();
        v[8..].reverse();
    }
    v
}

/// Sets slots `slot`, `slot + 1` to a vector.
///
/// # Safety
/// As for [`set`], for both slots.
#[inline(always)]
unsafe fn set128(regs: *mut u64, slot: Slot, v: V128) {
    let dst = regs.wrapping_add(slot as usize).cast::<V128>();
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{__m128i, _mm_storeu_si128};
        // One 16-byte store from a vector register, even where the compiler
        // would write the halves from general registers (a splat, say): the
        // next instruction reads the vector with one 16-byte load, which a
        // pair of 8-byte stores could not forward to (a stall of about a
        // dozen cycles). x86-64 is little-endian: bytes are in lane order.
        // SAFETY: as for `get128`, and a store that needs no alignment;
        // `__m128i` is 16 bytes of plain data, as `V128` is.
        unsafe { _mm_storeu_si128(dst.cast(), std::mem::transmute::<V128, __m128i>(v)) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    // SAFETY: as for `get128`.
    unsafe {
        std::ptr::write_unaligned(dst, in_lane_order(v))
    }
}

/// The bits of lane `lane`, `width` bytes wide, of the vector in slots
/// `slot`, `slot + 1`, zero-extended: read from the frame alone, since going
/// through the whole vector would take a trip through the stack to index it.
///
/// # Safety
/// As for [`get128`].
#[inline(always)]
unsafe fn lane_bits(regs: *mut u64, slot: Slot, lane: u8, width: u8) -> u64 {
    // Validation keeps lanes below `16 / width`; the mask keeps any read
    // within the vector regardless.
    let at = usize::from(lane & (16 / width - 1)) * usize::from(width);
    if cfg!(target_endian = "big") {
        // SAFETY: the caller's guarantee.
        let v = unsafe { get128(regs, slot) };
        let mut bits = [0; 8];
        bits[..usize::from(width)].copy_from_slice(&v[at..][..usize::from(width)]);
        return u64::from_le_bytes(bits);
    }
    // SAFETY: the caller's guarantee: the vector's 16 bytes are in the frame,
    // and `at + width` is at most 16; the reads need no alignment.
    unsafe {
        let p = regs.add(slot as usize).cast::<u8>().add(at);
        match width {
            1 => u64::from(p.read()),
            2 => u64::from(p.cast::<u16>().read_unaligned()),
            4 => u64::from(p.cast::<u32>().read_unaligned()),
            _ => p.cast::<u64>().read_unaligned(),
        }
    }
}

/// The bytes `ea..ea + n` of memory, or `None` past the accessible length.
///
/// # Safety
/// `mem..mem + len` is accessible memory, not written while the slice lives.
#[inline(always)]
unsafe fn bytes<'a>(mem: *mut u8, len: usize, ea: u64, n: usize) -> Option<&'a mut [u8]> {
    let ea = usize::try_from(ea).ok()?;
    if ea.checked_add(n)? > len {
        return None;
    }
    // SAFETY: `ea + n <= len`, inside the accessible memory.
    Some(unsafe { std::slice::from_raw_parts_mut(mem.add(ea), n) })
}

handler!(VOp<const OP: u8>(Op::VOp { dst, a, b, .. }) ip regs mem len code m {
    let op = VecOp::ALL[OP as usize];
    let sig = op.signature();
    // SAFETY: slots of translated code are in the frame, both slots of a
    // vector included; which operands there are is the operator's signature.
    unsafe {
        let x = if sig.params[0] == ValType::V128 {
            get128(regs, a)
        } else {
            simd::scalar(get(regs, a))
        };
        let none = [0; 16];
        let r = match sig.params {
            [_] => simd::eval(op, x, none, none),
            [_, ValType::V128] => simd::eval(op, x, get128(regs, b), none),
            [_, _] => simd::eval(op, x, none, simd::scalar(get(regs, b))),
            _ => simd::eval(op, x, get128(regs, a + 2), get128(regs, a + 4)),
        };
        if sig.result == ValType::V128 {
            set128(regs, dst, r);
        } else {
            set(regs, dst, simd::low64(r));
        }
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(VLoad<const OP: u8>(Op::VLoad { dst, addr, offset, .. }) ip regs mem len code m {
    let op = VecLoad::ALL[OP as usize];
    // SAFETY: slots of translated code are in the frame; memory 0 is
    // accessible from `mem` for `len` bytes (see `run`).
    unsafe {
        let ea = u64::from(get(regs, addr) as u32) + u64::from(offset);
        let Some(b) = bytes(mem, len, ea, op.bytes() as usize) else {
            return (ip, Stop::MemoryOutOfBounds);
        };
        set128(regs, dst, simd::load(op, b));
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(VStore(Op::VStore { addr, value, offset }) ip regs mem len code m {
    // SAFETY: as for `VLoad`.
    unsafe {
        let ea = u64::from(get(regs, addr) as u32) + u64::from(offset);
        let Some(b) = bytes(mem, len, ea, 16) else {
            return (ip, Stop::MemoryOutOfBounds);
        };
        b.copy_from_slice(&get128(regs, value));
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(VOpLoad<const OP: u8>(Op::VOpLoad { dst, x, addr, offset, loaded_first, .. }) ip regs mem len code m {
    let op = VecOp::ALL[OP as usize];
    // SAFETY: as for `VLoad` and `VOp`.
    unsafe {
        let ea = u64::from(get(regs, addr.into()) as u32) + u64::from(offset);
        let Some(b) = bytes(mem, len, ea, 16) else {
            return (ip, Stop::MemoryOutOfBounds);
        };
        let loaded: V128 = (&*b).try_into().unwrap();
        let x = get128(regs, x.into());
        let (a, b) = if loaded_first { (loaded, x) } else { (x, loaded) };
        set128(regs, dst, simd::eval(op, a, b, [0; 16]));
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(VOpStore<const OP: u8>(Op::VOpStore { a, b, addr, offset, .. }) ip regs mem len code m {
    let op = VecOp::ALL[OP as usize];
    // SAFETY: as for `VStore` and `VOp`.
    unsafe {
        let ea = u64::from(get(regs, addr.into()) as u32) + u64::from(offset);
        let Some(to) = bytes(mem, len, ea, 16) else {
            return (ip, Stop::MemoryOutOfBounds);
        };
        let r = simd::eval(op, get128(regs, a.into()), get128(regs, b.into()), [0; 16]);
        to.copy_from_slice(&in_lane_order(r));
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

/// Whether vector operator `op` is one that fuses with the `v128.load` of
/// an operand (`Op::VOpLoad`) or the `v128.store` of its result
/// (`Op::VOpStore`): the lane-wise arithmetic and bitwise operators of two
/// vectors that compiled loops use most, each a handler of its own.
pub(crate) fn fusible(op: VecOp) -> bool {
    macro_rules! listed {
        ($($name:ident,)*) => {
            matches!(op, $(VecOp::$name)|*)
        };
    }
    fusible_ops!(listed)
}

/// The vector operators [`fusible`] lists, for `$m`.
macro_rules! fusible_ops {
    ($m:ident) => {
        $m!(
            V128And, V128Or, V128Xor, I8x16Add, I8x16Sub, I16x8Add, I16x8Sub, I16x8Mul, I32x4Add,
            I32x4Sub, I32x4Mul, I64x2Add, I64x2Sub, F32x4Add, F32x4Sub, F32x4Mul, F32x4Div,
            F64x2Add, F64x2Sub, F64x2Mul, F64x2Div,
        )
    };
}
use fusible_ops;

/// The handler of `Op::VOpLoad` or `Op::VOpStore` (`fused`) of operator
/// `op`, one of those [`fusible`] lists.
pub(super) fn fused_handler(fused: &Op, op: VecOp) -> Handler {
    macro_rules! by_op {
        ($($name:ident,)*) => {
            match (fused, op) {
                $((Op::VOpLoad { .. }, VecOp::$name) => VOpLoad::<{ VecOp::$name as u8 }> as Handler,)*
                $((Op::VOpStore { .. }, VecOp::$name) => VOpStore::<{ VecOp::$name as u8 }> as Handler,)*
                _ => unreachable!("{op:?} in {fused:?} does not fuse"),
            }
        };
    }
    fusible_ops!(by_op)
}

handler!(VLoadLane<const WIDTH: u8>(Op::VLoadLane { dst, addr, offset, lane, .. }) ip regs mem len code m {
    // SAFETY: as for `VLoad`.
    unsafe {
        let ea = u64::from(get(regs, addr) as u32) + u64::from(offset);
        let Some(b) = bytes(mem, len, ea, WIDTH.into()) else {
            return (ip, Stop::MemoryOutOfBounds);
        };
        let mut x = [0u8; 8];
        x[..usize::from(WIDTH)].copy_from_slice(b);
        let v = simd::replace(get128(regs, dst + 1), u64::from_le_bytes(x), lane, WIDTH.into());
        set128(regs, dst, v);
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(VStoreLane<const WIDTH: u8>(Op::VStoreLane { vec, addr, offset, lane, .. }) ip regs mem len code m {
    // SAFETY: as for `VLoad`.
    unsafe {
        let ea = u64::from(get(regs, addr) as u32) + u64::from(offset);
        let Some(b) = bytes(mem, len, ea, WIDTH.into()) else {
            return (ip, Stop::MemoryOutOfBounds);
        };
        let w = usize::from(WIDTH);
        let start = usize::from(lane) * w;
        b.copy_from_slice(&get128(regs, vec)[start..start + w]);
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(VExtract<const OP: u8>(Op::VExtract { dst, src, lane, .. }) ip regs mem len code m {
    let op = LaneOp::ALL[OP as usize];
    // SAFETY: slots of translated code are in the frame.
    unsafe { set(regs, dst, simd::extend_lane(op, lane_bits(regs, src, lane, op.lane_bytes()))) };
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(VReplace<const WIDTH: u8>(Op::VReplace { vec, x, lane, .. }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    unsafe {
        let v = simd::replace(get128(regs, vec), get(regs, x), lane, WIDTH.into());
        set128(regs, vec, v);
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(Copy2(Op::Copy2 { dst, src }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    unsafe { set128(regs, dst, get128(regs, src)) };
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(VShuffle<const SSSE3: bool>(Op::VShuffle { dst, base, mask }) ip regs mem len code m {
    let lanes = &code.shuffles[mask as usize];
    // SAFETY: slots of translated code are in the frame, and
    // `shuffle_handler` gives the SSSE3 handler only to a processor with
    // SSSE3.
    unsafe {
        let (a, b) = (get128(regs, base), get128(regs, base + 2));
        set128(regs, dst, simd::shuffle_with::<SSSE3>(a, b, lanes));
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

/// The handler of `Op::VShuffle` on this processor: with SSSE3's byte
/// shuffle where it has it.
pub(super) fn shuffle_handler() -> Handler {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("ssse3") {
        return VShuffle::<true>;
    }
    VShuffle::<false>
}

/// The handler of a vector operator or load, one for each.
macro_rules! handlers_by_op {
    ($($name:ident($($p:ident),*) -> $r:ident,)*) => {
        /// The handler of vector operator `op`.
        pub(super) fn vop_handler(op: VecOp) -> Handler {
            match op {
                $(VecOp::$name => VOp::<{ VecOp::$name as u8 }> as Handler,)*
            }
        }
    };
}

skiff_vm::for_each_vec_op!(handlers_by_op);

/// The handler of vector load `op`.
pub(super) fn vload_handler(op: VecLoad) -> Handler {
    macro_rules! by_load {
        (load { $($load:ident: $b:literal,)* } $($rest:tt)*) => {
            match op {
                $(VecLoad::$load => VLoad::<{ VecLoad::$load as u8 }> as Handler,)*
            }
        };
    }
    skiff_vm::for_each_vec_access!(by_load)
}

/// The handler of lane extraction `op`.
pub(super) fn extract_handler(op: LaneOp) -> Handler {
    macro_rules! by_op {
        ($($name:ident,)*) => {
            match op {
                $(LaneOp::$name => VExtract::<{ LaneOp::$name as u8 }> as Handler,)*
                _ => unreachable!("{op:?} replaces a lane"),
            }
        };
    }
    by_op!(
        I8x16ExtractLaneS,
        I8x16ExtractLaneU,
        I16x8ExtractLaneS,
        I16x8ExtractLaneU,
        I32x4ExtractLane,
        I64x2ExtractLane,
        F32x4ExtractLane,
        F64x2ExtractLane,
    )
}

/// The handler of a lane replacement or lane load or store (`Op::VReplace`,
/// `Op::VLoadLane`, `Op::VStoreLane`) of a lane `width` bytes wide.
pub(super) fn lane_width_handler(op: &Op, width: u8) -> Handler {
    macro_rules! by_width {
        ($h:ident) => {
            match width {
                1 => $h::<1>,
                2 => $h::<2>,
                4 => $h::<4>,
                8 => $h::<8>,
                _ => unreachable!("a lane is 1, 2, 4 or 8 bytes wide, not {width}"),
            }
        };
    }
    match op {
        Op::VReplace { .. } => by_width!(VReplace),
        Op::VLoadLane { .. } => by_width!(VLoadLane),
        Op::VStoreLane { .. } => by_width!(VStoreLane),
        _ => unreachable!("{op:?} is not a lane access"),
    }
}
