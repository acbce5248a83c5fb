//! The file server example on smol: every check of tests/support/file_server.rs (curl,
//! raw HTTP/1.1, deadlines, the proxy's idle timeout) against the shared server run on smol.
#![cfg(target_os = "linux")]

mod support;

#[path = "../examples/common/mod.rs"]
mod common;

#[path = "support/file_server.rs"]
mod file_server;

file_server::file_server_tests!(common::runtimes::Smol, "smol");
