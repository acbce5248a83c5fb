//! Code the examples of every runtime share, written once: the file server and the proxy
//! (generic over [`rt::Runtime`]), their HTTP, and each runtime's few answers to
//! [`rt::Runtime`] (`runtimes.rs`). An example file only names its runtime.
#![allow(dead_code)]

pub mod file_server;
pub mod http;
pub mod proxy;
pub mod rt;
pub mod runtimes;
