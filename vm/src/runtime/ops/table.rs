//! Table instructions: `table.get`, `table.set`, `table.size`, `table.grow`,
//! `table.fill`, `table.copy`, `table.init`, `elem.drop`.

use super::range;
use crate::runtime::store::{InstanceId, Store, TableId};
use crate::runtime::trap::{Trap, TrapKind};
use crate::runtime::value::RawRef;
use std::sync::Arc;

fn table_id(store: &Store, inst: InstanceId, table: u32) -> TableId {
    store.instances[inst.0 as usize].tables[table as usize]
}

/// `table.get`: element `i` of table `table`.
pub fn table_get(store: &Store, inst: InstanceId, table: u32, i: u64) -> Result<RawRef, Trap> {
    let t = table_id(store, inst, table);
    let elements = &store.tables[t.0 as usize].elements;
    let i = range(i, 1, elements.len(), TrapKind::TableOutOfBounds)?.start;
    Ok(elements[i])
}

/// `table.set`: element `i` of table `table` becomes `r`.
pub fn table_set(
    store: &mut Store,
    inst: InstanceId,
    table: u32,
    i: u64,
    r: RawRef,
) -> Result<(), Trap> {
    let t = table_id(store, inst, table);
    let elements = &mut store.tables_mut()[t.0 as usize].elements;
    let i = range(i, 1, elements.len(), TrapKind::TableOutOfBounds)?.start;
    elements[i] = r;
    Ok(())
}

/// `table.size`.
pub fn table_size(store: &Store, inst: InstanceId, table: u32) -> u32 {
    store.tables[table_id(store, inst, table).0 as usize].size()
}

/// `table.grow`: the old size, or `None` (-1) when the table cannot grow
/// (past its maximum, the store's limits or the host's memory); a trap
/// when the store's limiter traps.
pub fn table_grow(
    store: &mut Store,
    inst: InstanceId,
    table: u32,
    init: RawRef,
    delta: u64,
) -> Result<Option<u32>, Trap> {
    let t = table_id(store, inst, table);
    // No table holds more than 2^32-1 elements here.
    let Ok(delta) = u32::try_from(delta) else {
        return Ok(None);
    };
    store.grow_table_raw(t, delta, init)
}

/// `table.fill`: `n` elements from `i` set to `r`.
pub fn table_fill(
    store: &mut Store,
    inst: InstanceId,
    table: u32,
    i: u64,
    r: RawRef,
    n: u64,
) -> Result<(), Trap> {
    let t = table_id(store, inst, table);
    let elements = &mut store.tables_mut()[t.0 as usize].elements;
    let d = range(i, n, elements.len(), TrapKind::TableOutOfBounds)?;
    elements[d].fill(r);
    Ok(())
}

/// `table.copy`: `n` elements from `s` in table `src` to `d` in table `dst`.
pub fn table_copy(
    store: &mut Store,
    inst: InstanceId,
    dst: u32,
    src: u32,
    d: u64,
    s: u64,
    n: u64,
) -> Result<(), Trap> {
    let (dt, st) = (table_id(store, inst, dst), table_id(store, inst, src));
    let (dt, st) = (dt.0 as usize, st.0 as usize);
    let s = range(
        s,
        n,
        store.tables[st].elements.len(),
        TrapKind::TableOutOfBounds,
    )?;
    let d = range(
        d,
        n,
        store.tables[dt].elements.len(),
        TrapKind::TableOutOfBounds,
    )?;
    let tables = store.tables_mut();
    if dt == st {
        tables[dt].elements.copy_within(s, d.start);
    } else {
        let (to, from) = if dt < st {
            let (lo, hi) = tables.split_at_mut(st);
            (&mut lo[dt], &hi[0])
        } else {
            let (lo, hi) = tables.split_at_mut(dt);
            (&mut hi[0], &lo[st])
        };
        to.elements[d].copy_from_slice(&from.elements[s]);
    }
    Ok(())
}

/// `table.init`: `n` elements of element segment `elem` from `s` to `d` in table `table`.
pub fn table_init(
    store: &mut Store,
    inst: InstanceId,
    table: u32,
    elem: u32,
    d: u64,
    s: u64,
    n: u64,
) -> Result<(), Trap> {
    let seg: Arc<[RawRef]> = store.instances[inst.0 as usize].elems[elem as usize]
        .clone()
        .unwrap_or_else(|| Arc::from([]));
    let t = table_id(store, inst, table);
    let elements = &mut store.tables_mut()[t.0 as usize].elements;
    let s = range(s, n, seg.len(), TrapKind::TableOutOfBounds)?;
    let d = range(d, n, elements.len(), TrapKind::TableOutOfBounds)?;
    elements[d].copy_from_slice(&seg[s]);
    Ok(())
}

/// `elem.drop`.
pub fn elem_drop(store: &mut Store, inst: InstanceId, elem: u32) {
    store.instances[inst.0 as usize].elems[elem as usize] = None;
}
