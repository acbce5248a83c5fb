//! Code the examples of every runtime share: HTTP/1.1 parsing and formatting, `Range`
//! handling, safe path resolution, and the proxies' command line. Runtime-independent: the examples do the I/O
//! with their runtime's API.
#![allow(dead_code)]

pub mod http;
pub mod proxy;
