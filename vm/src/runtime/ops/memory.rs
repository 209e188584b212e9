//! Memory instructions that run out of line: `memory.size`, `memory.grow`,
//! `memory.init`, `data.drop`, `memory.copy`, `memory.fill`.

use super::range;
use crate::runtime::store::{InstanceId, MemoryId, Store};
use crate::runtime::trap::{Trap, TrapKind};

fn memory_id(store: &Store, inst: InstanceId, mem: u32) -> MemoryId {
    store.instances[inst.0 as usize].memories[mem as usize]
}

/// `memory.size`: the size of memory `mem` in pages.
pub fn memory_size(store: &Store, inst: InstanceId, mem: u32) -> u64 {
    store.memories[memory_id(store, inst, mem).0 as usize].pages()
}

/// `memory.grow`: the old size in pages, or `None` (-1) when the memory
/// cannot grow (past its maximum, its reservation or the store's limits);
/// a trap when the store's limiter traps.
pub fn memory_grow(
    store: &mut Store,
    inst: InstanceId,
    mem: u32,
    delta: u64,
) -> Result<Option<u64>, Trap> {
    let m = memory_id(store, inst, mem);
    store.grow_memory(m, delta)
}

/// `memory.init`: copies `n` bytes of data segment `data` from `s` to `d`.
pub fn memory_init(
    store: &mut Store,
    inst: InstanceId,
    mem: u32,
    data: u32,
    d: u64,
    s: u64,
    n: u64,
) -> Result<(), Trap> {
    let instance = &store.instances[inst.0 as usize];
    let module = instance.module().clone();
    let seg: &[u8] = if instance.data_dropped[data as usize] {
        &[]
    } else {
        &module.bytes[module.data[data as usize].bytes.clone()]
    };
    let m = memory_id(store, inst, mem);
    let memory = &mut store.memories[m.0 as usize];
    let src = range(s, n, seg.len(), TrapKind::MemoryOutOfBounds)?;
    let dst = range(d, n, memory.len(), TrapKind::MemoryOutOfBounds)?;
    memory.data_mut()[dst].copy_from_slice(&seg[src]);
    Ok(())
}

/// `data.drop`.
pub fn data_drop(store: &mut Store, inst: InstanceId, data: u32) {
    store.instances[inst.0 as usize].data_dropped[data as usize] = true;
}

/// `memory.copy`: `n` bytes from `s` in memory `src` to `d` in memory `dst`.
pub fn memory_copy(
    store: &mut Store,
    inst: InstanceId,
    dst: u32,
    src: u32,
    d: u64,
    s: u64,
    n: u64,
) -> Result<(), Trap> {
    let (dm, sm) = (memory_id(store, inst, dst), memory_id(store, inst, src));
    let s = range(
        s,
        n,
        store.memories[sm.0 as usize].len(),
        TrapKind::MemoryOutOfBounds,
    )?;
    let d = range(
        d,
        n,
        store.memories[dm.0 as usize].len(),
        TrapKind::MemoryOutOfBounds,
    )?;
    if dm == sm {
        store.memories[dm.0 as usize]
            .data_mut()
            .copy_within(s, d.start);
    } else {
        let (a, b) = (dm.0 as usize, sm.0 as usize);
        let (to, from) = if a < b {
            let (lo, hi) = store.memories.split_at_mut(b);
            (&mut lo[a], &hi[0])
        } else {
            let (lo, hi) = store.memories.split_at_mut(a);
            (&mut hi[0], &lo[b])
        };
        to.data_mut()[d].copy_from_slice(&from.data()[s]);
    }
    Ok(())
}

/// `memory.fill`: `n` bytes from `d` set to `value`.
pub fn memory_fill(
    store: &mut Store,
    inst: InstanceId,
    mem: u32,
    d: u64,
    value: u8,
    n: u64,
) -> Result<(), Trap> {
    let m = memory_id(store, inst, mem);
    let memory = &mut store.memories[m.0 as usize];
    let d = range(d, n, memory.len(), TrapKind::MemoryOutOfBounds)?;
    memory.data_mut()[d].fill(value);
    Ok(())
}
