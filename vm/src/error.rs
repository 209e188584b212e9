//! The error type of decoding and validation.

use std::fmt;

/// Which stage of loading a module rejected it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The bytes (or text) are not a well-formed module: the binary format is broken.
    Malformed,
    /// The module is well formed but breaks a validation rule of the spec.
    Invalid,
    /// The module uses a feature that Skiff does not implement (yet), or that the
    /// configured [`Features`](crate::Features) leave out.
    Unsupported,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::Malformed => "malformed",
            ErrorKind::Invalid => "invalid",
            ErrorKind::Unsupported => "unsupported",
        })
    }
}

/// A module rejected by the decoder or the validator, with where and why.
///
/// Its `Display` form reads like `func 3 at offset 0x4f: type mismatch: expected i32, found i64`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    offset: Option<usize>,
    func: Option<u32>,
    message: String,
}

impl Error {
    /// A new error of `kind` at byte `offset` of the module.
    pub fn new(kind: ErrorKind, offset: usize, message: impl Into<String>) -> Self {
        Error {
            kind,
            offset: Some(offset),
            func: None,
            message: message.into(),
        }
    }

    /// A malformed-module error at `offset`.
    pub fn malformed(offset: usize, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Malformed, offset, message)
    }

    /// An invalid-module error at `offset`.
    pub fn invalid(offset: usize, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, offset, message)
    }

    /// An unsupported-feature error at `offset`; `feature` names the proposal.
    pub fn unsupported(offset: usize, feature: &str) -> Self {
        Self::new(
            ErrorKind::Unsupported,
            offset,
            format!("unsupported feature: {feature}"),
        )
    }

    /// An error with no position, such as one about the text format.
    pub fn without_offset(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            offset: None,
            func: None,
            message: message.into(),
        }
    }

    /// The same error, attributed to the function with index `func`.
    pub fn in_func(mut self, func: u32) -> Self {
        self.func = Some(func);
        self
    }

    /// Which stage rejected the module.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The byte offset in the module where the problem was found, if known.
    pub fn offset(&self) -> Option<usize> {
        self.offset
    }

    /// The index of the function whose body broke a rule, if any.
    pub fn func(&self) -> Option<u32> {
        self.func
    }

    /// What is wrong, without position.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Converts a wasmparser decoding error into a malformed-module error.
    pub(crate) fn from_reader(err: wasmparser::BinaryReaderError) -> Self {
        Error::malformed(err.offset() as usize, err.message().to_string())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.func, self.offset) {
            (Some(func), Some(off)) => write!(f, "func {func} at offset {off:#x}: ")?,
            (Some(func), None) => write!(f, "func {func}: ")?,
            (None, Some(off)) => write!(f, "at offset {off:#x}: ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<wasmparser::BinaryReaderError> for Error {
    fn from(err: wasmparser::BinaryReaderError) -> Self {
        Error::from_reader(err)
    }
}

/// The result type of decoding and validation.
pub type Result<T, E = Error> = std::result::Result<T, E>;
