//! The proxy example on smol relays a real client (curl) to the file server with `splice(2)`
//! in both directions.
#![cfg(target_os = "linux")]

mod support;

#[path = "../examples/common/mod.rs"]
mod common;

#[path = "support/file_server.rs"]
mod file_server;

#[test]
fn proxy_relays_both_directions_by_splice() {
    file_server::proxy_relays_both_directions_by_splice::<common::runtimes::Smol>();
}
