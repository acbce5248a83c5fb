//! Code the example servers of every runtime share: HTTP/1.1 parsing and formatting, `Range`
//! handling and safe path resolution. Runtime-independent; no I/O except `resolve`'s
//! filesystem lookups.
#![allow(dead_code)]

pub mod http;
