//! Compile-time rules: each `tests/ui/<macro>/<rule>.rs` must fail with the
//! `.stderr` beside it; `tests/ui/pass/` must compile and run.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/api/*.rs");
    cases.compile_fail("ui/service/*.rs");
    cases.compile_fail("ui/router/*.rs");
    cases.compile_fail("ui/main/*.rs");
    cases.compile_fail("ui/base_enum/*.rs");
    cases.compile_fail("ui/table/*.rs");
    cases.compile_fail("ui/cache/*.rs");
    cases.compile_fail("ui/ws/*.rs");
    cases.compile_fail("ui/permission/*.rs");
    cases.compile_fail("ui/embed/*.rs");
    cases.compile_fail("ui/query/*.rs");
}
