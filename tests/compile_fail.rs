//! trybuild: misuse of zc's traits is a compile error whose message says what to do, and the
//! intended uses compile.
//!
//! `tests/ui/*.rs` must each fail to compile with the committed `.stderr`; `tests/ui/pass/*.rs`
//! must each compile and run. `tests/README.md` says what each case proves and how to
//! regenerate the `.stderr` files (`TRYBUILD=overwrite`).

#[test]
fn misuse_fails_to_compile_with_advice_and_intended_uses_compile() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
