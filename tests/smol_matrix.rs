//! The shared cross-runtime bodies (tests/support/matrix.rs) on smol, with async-net's
//! `TcpStream` / `UnixStream`, async-fs's `File` and `Async`-wrapped pipes.
#![cfg(target_os = "linux")]

mod support;

support::matrix_tests!(support::smol::Smol);
