//! The shared cross-runtime bodies (tests/support/matrix.rs) on smol, with async-io's
//! `Async<std::net::TcpStream>` / `Async<std::os::unix::net::UnixStream>` as the streams.
#![cfg(target_os = "linux")]

mod support;

support::matrix_tests!(support::smol::SmolAsyncIo);
