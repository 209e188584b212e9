//! The processor extensions the JIT needs are checked before it is made, and
//! the ones missing are named.

#[test]
fn a_processor_without_the_required_extensions_is_named() {
    use skiff_jit::{REQUIRED_CPU_FEATURES, missing_cpu_features};
    assert_eq!(missing_cpu_features(|_| false), REQUIRED_CPU_FEATURES);
    assert_eq!(missing_cpu_features(|f| f != "sse4.1"), ["sse4.1"]);
    assert!(missing_cpu_features(|_| true).is_empty());
}
