//! The shared cross-runtime bodies (tests/support/matrix.rs) on tokio's `multi_thread`
//! runtime; each body runs in a spawned task, so its futures are proven `Send`.
#![cfg(target_os = "linux")]

mod support;

support::matrix_tests!(support::tokio::MultiThread);
