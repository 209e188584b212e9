//! Traps: the ways a WebAssembly computation can stop abnormally, as values.

use super::value::ExnRef;
use std::fmt;

/// Why execution trapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrapKind {
    /// `unreachable` was executed.
    Unreachable,
    /// A load, store or bulk memory operation went outside linear memory.
    MemoryOutOfBounds,
    /// A table access or bulk table operation went outside the table.
    TableOutOfBounds,
    /// `call_indirect` found an element outside the table.
    UndefinedElement,
    /// `call_indirect` found a null element.
    UninitializedElement,
    /// `call_indirect` found a function of another type.
    IndirectCallTypeMismatch,
    /// A null reference was dereferenced.
    NullReference,
    /// Integer division by zero.
    IntegerDivisionByZero,
    /// Signed integer division overflowed (`INT_MIN / -1`).
    IntegerOverflow,
    /// A float-to-integer conversion got NaN or a value out of range.
    InvalidConversionToInteger,
    /// The call stack grew past its limit.
    StackExhausted,
    /// The store's fuel ran out.
    OutOfFuel,
    /// The engine's epoch reached the store's deadline.
    Interrupted,
    /// A host function reported an error.
    Host,
    /// The guest asked to exit the program with this code (WASI `proc_exit`):
    /// not an error of the guest, but it stops it all the same.
    Exit(i32),
    /// An exception no handler caught: the store holds its tag and payload
    /// ([`Store::exception_values`](super::Store::exception_values)). A
    /// host function returns a trap of this kind to throw into WebAssembly.
    Exception(ExnRef),
}

impl TrapKind {
    /// The spec testsuite's wording for this trap.
    pub fn message(self) -> &'static str {
        match self {
            TrapKind::Unreachable => "unreachable",
            TrapKind::MemoryOutOfBounds => "out of bounds memory access",
            TrapKind::TableOutOfBounds => "out of bounds table access",
            TrapKind::UndefinedElement => "undefined element",
            TrapKind::UninitializedElement => "uninitialized element",
            TrapKind::IndirectCallTypeMismatch => "indirect call type mismatch",
            TrapKind::NullReference => "null reference",
            TrapKind::IntegerDivisionByZero => "integer divide by zero",
            TrapKind::IntegerOverflow => "integer overflow",
            TrapKind::InvalidConversionToInteger => "invalid conversion to integer",
            TrapKind::StackExhausted => "call stack exhausted",
            TrapKind::OutOfFuel => "all fuel consumed",
            TrapKind::Interrupted => "interrupted: the epoch deadline was reached",
            TrapKind::Host => "host error",
            TrapKind::Exit(_) => "exit",
            TrapKind::Exception(_) => "uncaught exception",
        }
    }
}

impl fmt::Display for TrapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// One frame of a trap's WebAssembly backtrace, innermost first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The function's index in its module.
    pub func: u32,
    /// Its name from the `name` section, if any.
    pub name: Option<String>,
    /// Byte offset in the module of the instruction executing in this frame.
    pub offset: Option<usize>,
}

/// A trap handed to the embedder: its kind, a message, and where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trap {
    kind: TrapKind,
    message: Option<String>,
    backtrace: Vec<Frame>,
}

impl Trap {
    /// A trap of `kind` with no backtrace yet.
    pub fn new(kind: TrapKind) -> Self {
        Trap {
            kind,
            message: None,
            backtrace: Vec::new(),
        }
    }

    /// A trap raised by a host function, with its message.
    pub fn host(message: impl Into<String>) -> Self {
        Trap {
            kind: TrapKind::Host,
            message: Some(message.into()),
            backtrace: Vec::new(),
        }
    }

    /// The trap that stops a guest which asked to exit with `code`.
    pub fn exit(code: i32) -> Self {
        Trap::new(TrapKind::Exit(code))
    }

    /// The exit code, when this trap is a requested exit.
    pub fn exit_code(&self) -> Option<i32> {
        match self.kind {
            TrapKind::Exit(code) => Some(code),
            _ => None,
        }
    }

    /// The exception, when this trap is one no handler caught.
    pub fn exception(&self) -> Option<ExnRef> {
        match self.kind {
            TrapKind::Exception(e) => Some(e),
            _ => None,
        }
    }

    /// Why execution stopped.
    pub fn kind(&self) -> TrapKind {
        self.kind
    }

    /// The WebAssembly frames active at the trap, innermost first.
    pub fn backtrace(&self) -> &[Frame] {
        &self.backtrace
    }

    /// Adds the next outer frame to the backtrace.
    pub fn push_frame(&mut self, frame: Frame) {
        self.backtrace.push(frame);
    }
}

impl From<TrapKind> for Trap {
    fn from(kind: TrapKind) -> Self {
        Trap::new(kind)
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(m) => write!(f, "{}: {m}", self.kind)?,
            None => write!(f, "{}", self.kind)?,
        }
        for frame in &self.backtrace {
            write!(f, "\n  at func {}", frame.func)?;
            if let Some(name) = &frame.name {
                write!(f, " ({name})")?;
            }
            if let Some(off) = frame.offset {
                write!(f, " at offset {off:#x}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Trap {}
