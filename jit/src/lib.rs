//! Skiff's Cranelift JIT: the peak-speed tier.
//!
//! It will translate validated functions to Cranelift IR with Skiff's own
//! translator, place the machine code in executable memory that Skiff manages,
//! and turn faults in that code into Wasm traps. Empty until the JIT lands.
