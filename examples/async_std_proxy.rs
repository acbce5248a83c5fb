//! A TCP proxy on async-std that relays both directions with `splice(2)`:
//! `zc::copy_bidirectional` over async-std's own `net::TcpStream`s, with half-close.
//! (async-std is discontinued; new code should prefer smol: see `smol_proxy.rs`.)
//!
//! ```sh
//! cargo run --release --features async-std --example async_std_file_server -- --addr 127.0.0.1:8080 &
//! cargo run --release --features async-std --example async_std_proxy -- --listen 127.0.0.1:8081 --upstream 127.0.0.1:8080
//! curl http://127.0.0.1:8081/README.md
//! ```
//!
//! Each connection's byte counts and paths are logged to stderr when it ends.

mod common;

use std::io;
use std::net::SocketAddr;

use async_std::net::{TcpListener, TcpStream};

/// Relays every connection `listener` accepts to `upstream`, each on its own task.
///
/// # Errors
///
/// `accept` fails.
pub async fn serve(listener: TcpListener, upstream: SocketAddr) -> io::Result<()> {
    loop {
        let (client, peer) = listener.accept().await?;
        async_std::task::spawn(async move {
            common::proxy::log_relay(peer, &relay(client, upstream).await);
        });
    }
}

/// Connects to `upstream` and relays `client` ⇄ upstream until both directions end; returns
/// each direction's report (client → upstream, upstream → client).
///
/// # Errors
///
/// The connection to `upstream` fails, or either direction fails (with that direction's
/// error, as the OS gave it).
pub async fn relay(
    mut client: TcpStream,
    upstream: SocketAddr,
) -> io::Result<(zc::Report, zc::Report)> {
    let mut server = TcpStream::connect(upstream).await?;
    // When one side ends its direction (EOF), the relay half-closes the other side's write
    // half and keeps the opposite direction going: a client may send its request, shut its
    // write side down, and still receive the whole answer.
    Ok(zc::copy_bidirectional_report(&mut client, &mut server).await?)
}

#[allow(dead_code)] // Tests include this file as a module and call `relay` directly.
fn main() -> io::Result<()> {
    let (listen, upstream) = common::proxy::args("async_std_proxy")?;
    async_std::task::block_on(async {
        let listener = TcpListener::bind(listen).await?;
        eprintln!("relaying {} -> {upstream}", listener.local_addr()?);
        serve(listener, upstream).await
    })
}
