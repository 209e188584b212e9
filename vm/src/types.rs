//! The types of WebAssembly: values (with 3.0's reference types),
//! functions, limits, tables, memories, globals.

use std::fmt;

/// What a reference points to: an abstract kind of object, or a function
/// of one defined type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeapType {
    /// Any function.
    Func,
    /// Any host object.
    Extern,
    /// Any caught exception (exception handling, WebAssembly 3.0).
    Exn,
    /// A function of this type (typed function references, WebAssembly
    /// 3.0), named by its canonical identity.
    Concrete(TypeId),
}

/// A reference type: a heap type and whether null is a value of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RefType {
    /// Whether null is a value of the type.
    pub nullable: bool,
    /// What a non-null value points to.
    pub heap: HeapType,
}

impl RefType {
    /// `funcref`: `(ref null func)`.
    pub const FUNCREF: RefType = RefType::new(true, HeapType::Func);
    /// `externref`: `(ref null extern)`.
    pub const EXTERNREF: RefType = RefType::new(true, HeapType::Extern);
    /// `exnref`: `(ref null exn)` (exception handling, WebAssembly 3.0).
    pub const EXNREF: RefType = RefType::new(true, HeapType::Exn);

    /// The reference type of `heap`, nullable or not.
    pub const fn new(nullable: bool, heap: HeapType) -> RefType {
        RefType { nullable, heap }
    }

    /// The abstract heap type at the top of this one's hierarchy: what a
    /// value of it is at run time (a function, a host object or an
    /// exception).
    pub fn top(self) -> HeapType {
        match self.heap {
            HeapType::Concrete(_) => HeapType::Func,
            h => h,
        }
    }

    /// The nullable form of this type.
    pub fn as_nullable(self) -> RefType {
        RefType::new(true, self.heap)
    }

    /// The non-nullable form of this type.
    pub fn as_non_null(self) -> RefType {
        RefType::new(false, self.heap)
    }

    /// Whether every value of `self` is a value of `other` (subtyping: a
    /// non-null type matches its nullable form, a function type matches
    /// `func`).
    pub fn matches(self, other: RefType) -> bool {
        (other.nullable || !self.nullable)
            && match (self.heap, other.heap) {
                (a, b) if a == b => true,
                (HeapType::Concrete(_), HeapType::Func) => true,
                _ => false,
            }
    }
}

/// The canonical identity of a function type: two types have the same
/// identity exactly when they are the same type, whichever modules define
/// them (see [`TypeId::of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(pub(crate) u32);

/// A value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit IEEE 754 float.
    F32,
    /// 64-bit IEEE 754 float.
    F64,
    /// 128-bit vector.
    V128,
    /// A reference.
    Ref(RefType),
}

impl ValType {
    /// `funcref` as a value type.
    pub const FUNCREF: ValType = ValType::Ref(RefType::FUNCREF);
    /// `externref` as a value type.
    pub const EXTERNREF: ValType = ValType::Ref(RefType::EXTERNREF);
    /// `exnref` as a value type.
    pub const EXNREF: ValType = ValType::Ref(RefType::EXNREF);

    /// Whether this is a numeric type (`i32`, `i64`, `f32`, `f64`).
    pub fn is_num(self) -> bool {
        matches!(
            self,
            ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64
        )
    }

    /// Whether this is a reference type.
    pub fn is_ref(self) -> bool {
        matches!(self, ValType::Ref(_))
    }

    /// Whether a local of this type has a default value (every type but a
    /// non-nullable reference), so that it needs no initialization.
    pub fn is_defaultable(self) -> bool {
        !matches!(self, ValType::Ref(r) if !r.nullable)
    }

    /// Whether every value of `self` is a value of `other` (subtyping;
    /// equality but for reference types).
    pub fn matches(self, other: ValType) -> bool {
        match (self, other) {
            (ValType::Ref(a), ValType::Ref(b)) => a.matches(b),
            (a, b) => a == b,
        }
    }
}

impl fmt::Display for HeapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeapType::Func => f.write_str("func"),
            HeapType::Extern => f.write_str("extern"),
            HeapType::Exn => f.write_str("exn"),
            HeapType::Concrete(id) => id.fmt_shallow(f),
        }
    }
}

impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.nullable, self.heap) {
            (true, HeapType::Func) => f.write_str("funcref"),
            (true, HeapType::Extern) => f.write_str("externref"),
            (true, HeapType::Exn) => f.write_str("exnref"),
            (true, h) => {
                f.write_str("(ref null ")?;
                fmt::Display::fmt(&h, f)?;
                f.write_str(")")
            }
            (false, h) => {
                f.write_str("(ref ")?;
                fmt::Display::fmt(&h, f)?;
                f.write_str(")")
            }
        }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValType::I32 => f.write_str("i32"),
            ValType::I64 => f.write_str("i64"),
            ValType::F32 => f.write_str("f32"),
            ValType::F64 => f.write_str("f64"),
            ValType::V128 => f.write_str("v128"),
            ValType::Ref(r) => fmt::Display::fmt(r, f),
        }
    }
}

/// The type of a function: parameters and results.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct FuncType {
    params_results: Box<[ValType]>,
    num_params: usize,
}

impl FuncType {
    /// A function type taking `params` and returning `results`.
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> Self {
        let mut all: Vec<ValType> = params.into_iter().collect();
        let num_params = all.len();
        all.extend(results);
        FuncType {
            params_results: all.into_boxed_slice(),
            num_params,
        }
    }

    /// The parameter types.
    pub fn params(&self) -> &[ValType] {
        &self.params_results[..self.num_params]
    }

    /// The result types.
    pub fn results(&self) -> &[ValType] {
        &self.params_results[self.num_params..]
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] -> [{}]", join(self.params()), join(self.results()))
    }
}

fn join(tys: &[ValType]) -> String {
    tys.iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Size limits of a table (in elements) or a memory (in 64 KiB pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// The initial size.
    pub min: u64,
    /// The largest size it may grow to, if bounded.
    pub max: Option<u64>,
}

impl Limits {
    /// Whether `self` may stand where `other` is expected (import matching).
    pub fn matches(&self, other: &Limits) -> bool {
        self.min >= other.min
            && match (self.max, other.max) {
                (_, None) => true,
                (Some(a), Some(b)) => a <= b,
                (None, Some(_)) => false,
            }
    }
}

/// The type of the addresses of a memory or the indices of a table: 32-bit,
/// or 64-bit (memory64, standardized in WebAssembly 3.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AddrType {
    /// `i32` addresses.
    #[default]
    I32,
    /// `i64` addresses.
    I64,
}

impl AddrType {
    /// The value type of its addresses.
    pub fn val_type(self) -> ValType {
        match self {
            AddrType::I32 => ValType::I32,
            AddrType::I64 => ValType::I64,
        }
    }

    /// Whether addresses are 64-bit.
    pub fn is_64(self) -> bool {
        self == AddrType::I64
    }

    /// The narrower of two (for a copy between two memories or tables, the
    /// type of its length).
    pub fn min(self, other: AddrType) -> AddrType {
        if self.is_64() && other.is_64() {
            AddrType::I64
        } else {
            AddrType::I32
        }
    }
}

/// The type of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableType {
    /// The type of its elements.
    pub elem: RefType,
    /// Its size limits, in elements.
    pub limits: Limits,
    /// The type of its indices.
    pub addr: AddrType,
}

/// The type of a linear memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemoryType {
    /// Its size limits, in 64 KiB pages.
    pub limits: Limits,
    /// The type of its addresses.
    pub addr: AddrType,
}

/// The number of bytes in a page of linear memory.
pub const PAGE_SIZE: u64 = 65536;

/// The most pages a 32-bit memory may have.
pub const MAX_PAGES: u64 = 65536;

/// The most pages a 64-bit memory may declare (2^48: 2^64 bytes).
pub const MAX_PAGES_64: u64 = 1 << 48;

/// The type of a global.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalType {
    /// The type of its value.
    pub content: ValType,
    /// Whether `global.set` may change it.
    pub mutable: bool,
}

/// The type of something a module imports or exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternKind {
    /// A function.
    Func,
    /// A table.
    Table,
    /// A memory.
    Memory,
    /// A global.
    Global,
    /// An exception tag.
    Tag,
}

impl fmt::Display for ExternKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExternKind::Func => "func",
            ExternKind::Table => "table",
            ExternKind::Memory => "memory",
            ExternKind::Global => "global",
            ExternKind::Tag => "tag",
        })
    }
}
