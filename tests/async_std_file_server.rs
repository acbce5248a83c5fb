//! The file server example on async_std: every check of tests/support/file_server.rs (curl,
//! raw HTTP/1.1, deadlines, the proxy's idle timeout) against the shared server run on async-std.
#![cfg(target_os = "linux")]

mod support;

#[path = "../examples/common/mod.rs"]
mod common;

#[path = "support/file_server.rs"]
mod file_server;

file_server::file_server_tests!(common::runtimes::AsyncStd, "async_std");
