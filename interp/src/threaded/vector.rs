//! Handlers of the vector instructions. A `v128` takes two slots, its low
//! half first. The handler of a vector operator is generic over the
//! operator (its index in `VecOp::ALL`), so each operator runs its own
//! handler with everything about its shape known when it was compiled.

use super::{Exit, get, set};
use crate::code::{FuncCode, Handler, Instr, Op, Slot, Stop};
use crate::exec::Machine;
use crate::simd;
use skiff_vm::isa::{VecLoad, VecOp};
use skiff_vm::types::ValType;

/// The vector in slots `slot`, `slot + 1`.
///
/// # Safety
/// As for [`get`], for both slots.
#[inline(always)]
unsafe fn get128(regs: *mut u64, slot: Slot) -> u128 {
    // SAFETY: the caller's guarantee.
    unsafe { u128::from(get(regs, slot)) | (u128::from(get(regs, slot + 1)) << 64) }
}

/// Sets slots `slot`, `slot + 1` to a vector.
///
/// # Safety
/// As for [`set`], for both slots.
#[inline(always)]
unsafe fn set128(regs: *mut u64, slot: Slot, v: u128) {
    // SAFETY: the caller's guarantee.
    unsafe {
        set(regs, slot, v as u64);
        set(regs, slot + 1, (v >> 64) as u64);
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
            u128::from(get(regs, a))
        };
        let r = match sig.params {
            [_] => simd::eval(op, x, 0, 0),
            [_, ValType::V128] => simd::eval(op, x, get128(regs, b), 0),
            [_, _] => simd::eval(op, x, 0, u128::from(get(regs, b))),
            _ => simd::eval(op, x, get128(regs, a + 2), get128(regs, a + 4)),
        };
        if sig.result == ValType::V128 {
            set128(regs, dst, r);
        } else {
            set(regs, dst, r as u64);
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
        b.copy_from_slice(&get128(regs, value).to_le_bytes());
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(VLoadLane(Op::VLoadLane { dst, addr, offset, lane, width }) ip regs mem len code m {
    // SAFETY: as for `VLoad`.
    unsafe {
        let ea = u64::from(get(regs, addr) as u32) + u64::from(offset);
        let Some(b) = bytes(mem, len, ea, width.into()) else {
            return (ip, Stop::MemoryOutOfBounds);
        };
        let mut x = [0u8; 8];
        x[..b.len()].copy_from_slice(b);
        let v = simd::replace(get128(regs, dst + 1), u64::from_le_bytes(x), lane, width.into());
        set128(regs, dst, v);
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(VStoreLane(Op::VStoreLane { vec, addr, offset, lane, width }) ip regs mem len code m {
    // SAFETY: as for `VLoad`.
    unsafe {
        let ea = u64::from(get(regs, addr) as u32) + u64::from(offset);
        let Some(b) = bytes(mem, len, ea, width.into()) else {
            return (ip, Stop::MemoryOutOfBounds);
        };
        let w = usize::from(width);
        let start = usize::from(lane) * w;
        b.copy_from_slice(&get128(regs, vec).to_le_bytes()[start..start + w]);
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(VExtract(Op::VExtract { dst, src, lane, op }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    unsafe { set(regs, dst, simd::extract(op, get128(regs, src), lane)) };
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(VReplace(Op::VReplace { vec, x, lane, width }) ip regs mem len code m {
    // SAFETY: slots of translated code are in the frame.
    unsafe {
        let v = simd::replace(get128(regs, vec), get(regs, x), lane, width.into());
        set128(regs, vec, v);
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

handler!(VShuffle(Op::VShuffle { dst, base, mask }) ip regs mem len code m {
    let lanes = &code.shuffles[mask as usize];
    // SAFETY: slots of translated code are in the frame.
    unsafe {
        let v = simd::shuffle(get128(regs, base), get128(regs, base + 2), lanes);
        set128(regs, dst, v);
    }
    // SAFETY: the code ends with `Return`, so `ip` is not the last.
    next!(unsafe { ip.add(1) }, regs, mem, len, code, m)
});

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
