//! Benchmarks of Skiff; see `benches/`.
