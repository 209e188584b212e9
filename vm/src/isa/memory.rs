//! Memory instructions: loads, stores, and the instructions on whole memories.

use crate::types::ValType;

/// The static part of a memory access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemArg {
    /// The alignment hint, as a power of two.
    pub align: u8,
    /// The constant added to the dynamic address.
    pub offset: u64,
    /// The memory accessed.
    pub memory: u32,
}

/// Calls `$m!` with every scalar load as `Name: value type, bytes accessed`,
/// then every scalar store the same way.
#[macro_export]
macro_rules! for_each_load_store {
    ($m:ident) => {
        $m! {
            load {
                I32Load: i32, 4,
                I64Load: i64, 8,
                F32Load: f32, 4,
                F64Load: f64, 8,
                I32Load8S: i32, 1,
                I32Load8U: i32, 1,
                I32Load16S: i32, 2,
                I32Load16U: i32, 2,
                I64Load8S: i64, 1,
                I64Load8U: i64, 1,
                I64Load16S: i64, 2,
                I64Load16U: i64, 2,
                I64Load32S: i64, 4,
                I64Load32U: i64, 4,
            }
            store {
                I32Store: i32, 4,
                I64Store: i64, 8,
                F32Store: f32, 4,
                F64Store: f64, 8,
                I32Store8: i32, 1,
                I32Store16: i32, 2,
                I64Store8: i64, 1,
                I64Store16: i64, 2,
                I64Store32: i64, 4,
            }
        }
    };
}

macro_rules! define_load_store {
    (
        load { $($load:ident: $lt:ident, $lbytes:literal,)* }
        store { $($store:ident: $st:ident, $sbytes:literal,)* }
    ) => {
        /// A scalar load.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Load {
            $(
                #[allow(missing_docs)]
                $load,
            )*
        }

        /// A scalar store.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Store {
            $(
                #[allow(missing_docs)]
                $store,
            )*
        }

        impl Load {
            /// The type of the value loaded.
            pub fn ty(self) -> ValType {
                match self { $(Load::$load => $crate::isa_val_type!($lt),)* }
            }

            /// How many bytes it reads.
            #[inline]
            pub fn bytes(self) -> u32 {
                match self { $(Load::$load => $lbytes,)* }
            }
        }

        impl Store {
            /// The type of the value stored.
            pub fn ty(self) -> ValType {
                match self { $(Store::$store => $crate::isa_val_type!($st),)* }
            }

            /// How many bytes it writes.
            pub fn bytes(self) -> u32 {
                match self { $(Store::$store => $sbytes,)* }
            }
        }
    };
}

for_each_load_store!(define_load_store);

/// A memory instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryInstr {
    /// A scalar load.
    Load(Load, MemArg),
    /// A scalar store.
    Store(Store, MemArg),
    /// `memory.size`.
    Size {
        /// The memory.
        memory: u32,
    },
    /// `memory.grow`.
    Grow {
        /// The memory.
        memory: u32,
    },
    /// `memory.init`.
    Init {
        /// The data segment.
        data: u32,
        /// The memory.
        memory: u32,
    },
    /// `data.drop`.
    DataDrop {
        /// The data segment.
        data: u32,
    },
    /// `memory.copy`.
    Copy {
        /// The memory copied to.
        dst: u32,
        /// The memory copied from.
        src: u32,
    },
    /// `memory.fill`.
    Fill {
        /// The memory.
        memory: u32,
    },
}
