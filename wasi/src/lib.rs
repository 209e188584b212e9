//! WASI preview 1 for Skiff: a hand-written capability host.
//!
//! The embedder will grant arguments, environment variables, preopened
//! directories, standard streams, clocks and randomness one by one; nothing is
//! granted by default. Empty until WASI lands.
