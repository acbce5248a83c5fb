//! Code the example servers of every runtime share: HTTP/1.1 parsing and formatting, `Range`
//! handling and safe path resolution. Runtime-independent and pure: the servers do the I/O
//! with their runtime's API.
#![allow(dead_code)]

pub mod http;
