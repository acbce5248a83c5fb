//! The shared cross-runtime bodies (tests/support/matrix.rs) on async-std, with its
//! `TcpStream`, `UnixStream` and `File` (async-std has no pipe type: the pipe bodies skip).
#![cfg(target_os = "linux")]

mod support;

support::matrix_tests!(support::async_std::AsyncStd);
