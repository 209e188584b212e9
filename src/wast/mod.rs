//! Running `.wast` spec scripts on an engine: the core of `skiff wast` and of
//! the `spec-tests` runner over the official testsuite.
//!
//! [`script::run`] runs every top-level directive of one script and tallies
//! it in an [`outcome::FileReport`]; each script gets its own store, with the
//! reference interpreter's `spectest` module registered.

pub mod exec;
pub mod outcome;
pub mod script;
pub mod spectest;
pub mod values;
