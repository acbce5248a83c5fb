//! The shared cross-runtime bodies (tests/support/matrix.rs) on tokio's `current_thread`
//! runtime.
#![cfg(target_os = "linux")]

mod support;

support::matrix_tests!(support::tokio::CurrentThread);
