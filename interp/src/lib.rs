//! Skiff's threaded-code interpreter: the instant-start tier.
//!
//! It will translate each validated function once into a compact internal code
//! (a handler per instruction with decoded immediates and resolved branch
//! targets) and run it over the runtime of `skiff-vm`. Nothing executes yet:
//! this crate is empty until the interpreter lands, and no part of Skiff
//! claims otherwise.
