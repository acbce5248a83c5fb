//! trybuild: without zc's `tokio` feature, tokio's types are not zc endpoints, and the error
//! says to enable the feature. See `tests/README.md` at the workspace root.

#[test]
fn runtime_type_without_its_feature_fails_with_advice_to_enable_it() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
