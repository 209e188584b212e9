//! The canonical identities of function types ([`TypeId`]): one process-wide
//! table, so that types from different modules compare by identity.
//!
//! WebAssembly 3.0 compares defined types structurally, up to recursion: a
//! type that refers to itself (as in `(type $t (func (result (ref $t))))`)
//! equals another such type of the same shape. Each type of a module is its
//! own recursion group here (explicit `rec` groups belong to GC, which Skiff
//! does not implement), so a type can refer to earlier types, by their
//! identities, and to itself, by a marker: that form is the key under which
//! the type is interned. Identities are never freed; a process holds one
//! entry per distinct function type it has seen.

use crate::types::{FuncType, HeapType, RefType, TypeId, ValType};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, OnceLock};

#[derive(Default)]
struct Registry {
    ids: HashMap<FuncType, TypeId>,
    /// The key of each identity, self-references as [`TypeId::SELF`].
    keys: Vec<FuncType>,
}

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `ty` with every reference to type `from` made one to `to`.
fn substitute(ty: &FuncType, from: TypeId, to: TypeId) -> FuncType {
    let map = |t: &ValType| match *t {
        ValType::Ref(RefType {
            nullable,
            heap: HeapType::Concrete(id),
        }) if id == from => ValType::Ref(RefType::new(nullable, HeapType::Concrete(to))),
        t => t,
    };
    FuncType::new(ty.params().iter().map(map), ty.results().iter().map(map))
}

impl TypeId {
    /// In a type being interned: a reference to the type itself.
    pub(crate) const SELF: TypeId = TypeId(u32::MAX);

    /// The identity of function type `ty`, whose references to other
    /// defined types are by their identities.
    pub fn of(ty: &FuncType) -> TypeId {
        TypeId::of_key(ty.clone())
    }

    /// The identity of the type whose key is `key`: references to itself
    /// are [`TypeId::SELF`].
    pub(crate) fn of_key(key: FuncType) -> TypeId {
        let mut r = registry();
        if let Some(&id) = r.ids.get(&key) {
            return id;
        }
        let id = TypeId(u32::try_from(r.keys.len()).expect("fewer than 2^32 distinct types"));
        assert!(id != TypeId::SELF, "fewer than 2^32 - 1 distinct types");
        r.keys.push(key.clone());
        r.ids.insert(key, id);
        id
    }

    /// The function type of this identity.
    pub fn func_type(self) -> FuncType {
        let key = registry().keys[self.0 as usize].clone();
        substitute(&key, TypeId::SELF, self)
    }

    /// Writes the type, one level deep: the types it refers to appear as
    /// their identities (`$n`), a reference to itself as `$rec`.
    pub(crate) fn fmt_shallow(self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self == TypeId::SELF {
            return f.write_str("$rec");
        }
        if f.alternate() {
            return write!(f, "${}", self.0);
        }
        let key = registry().keys[self.0 as usize].clone();
        let list = |tys: &[ValType]| {
            tys.iter()
                .map(|t| format!("{t:#}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        write!(
            f,
            "(func [{}] -> [{}])",
            list(key.params()),
            list(key.results())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(nullable: bool, id: TypeId) -> ValType {
        ValType::Ref(RefType::new(nullable, HeapType::Concrete(id)))
    }

    #[test]
    fn equal_types_have_one_identity() {
        let a = TypeId::of(&FuncType::new([ValType::I32], [ValType::I64]));
        let b = TypeId::of(&FuncType::new([ValType::I32], [ValType::I64]));
        let c = TypeId::of(&FuncType::new([ValType::I64], [ValType::I64]));
        assert_eq!(a, b);
        assert_ne!(a, c);
        let fa = TypeId::of(&FuncType::new([r(true, a)], []));
        let fc = TypeId::of(&FuncType::new([r(true, c)], []));
        assert_ne!(fa, fc);
        assert_eq!(a.func_type(), FuncType::new([ValType::I32], [ValType::I64]));
    }

    #[test]
    fn a_type_may_refer_to_itself() {
        let key = FuncType::new([], [r(false, TypeId::SELF)]);
        let t = TypeId::of_key(key.clone());
        assert_eq!(TypeId::of_key(key), t);
        assert_eq!(t.func_type(), FuncType::new([], [r(false, t)]));
        // Not the same as a type returning a reference to another type.
        let other = TypeId::of(&FuncType::new([], []));
        assert_ne!(TypeId::of(&FuncType::new([], [r(false, other)])), t);
        assert_eq!(
            ValType::Ref(RefType::new(false, HeapType::Concrete(t))).to_string(),
            "(ref (func [] -> [(ref $rec)]))"
        );
    }
}
