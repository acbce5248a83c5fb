//! A TCP proxy on tokio that relays both directions with `splice(2)`:
//! `zc::copy_bidirectional` over the runtime's own TCP streams, with half-close.
//!
//! ```sh
//! cargo run --release --features tokio --example tokio_file_server -- --addr 127.0.0.1:8080 &
//! cargo run --release --features tokio --example tokio_proxy -- --listen 127.0.0.1:8081 --upstream localhost:8080
//! curl http://127.0.0.1:8081/README.md
//! ```
//!
//! An idle timeout (`--idle-timeout`), a connect timeout, host names for `--upstream`, an
//! accept loop that survives running out of fds; each connection's byte counts and paths are
//! logged to stderr when it ends. `--help` lists the flags.
//!
//! The proxy is written once for the three runtimes (`common/proxy.rs`); this file only names
//! its runtime (`common/runtimes.rs`).

mod common;

fn main() {
    common::proxy::main::<common::runtimes::Tokio>("tokio_proxy");
}
