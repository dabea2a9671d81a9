//! Compile-fail tests for `#[derive(StatusResponse)]`: one case per diagnostic, named after the
//! mistake, with the expected compiler output beside it (`tests/ui/*.stderr`).
//!
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test -p poller-core
//! --all-features --test derive_ui`, then read them.
#![cfg(feature = "derive")]

#[test]
#[cfg_attr(miri, ignore)]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
