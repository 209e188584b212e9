//! The subcommands of the `skiff` command line.

pub mod run;
pub mod validate;
pub mod values;
pub mod wast;

/// Exit status when a module cannot be loaded, linked or instantiated.
pub const EXIT_LOAD_ERROR: u8 = 1;
/// Exit status when the guest traps.
pub const EXIT_TRAP: u8 = 134;
