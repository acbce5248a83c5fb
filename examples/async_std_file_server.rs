//! A static HTTP/1.1 file server on async-std whose bodies go out with `zc::copy`:
//! `sendfile(2)` from async-std's own `fs::File` into its own `net::TcpStream`, ranges
//! included. (async-std is discontinued; new code should prefer smol: see
//! `smol_file_server.rs`.)
//!
//! ```sh
//! cargo run --release --features async-std --example async_std_file_server -- --root . --addr 127.0.0.1:8080
//! curl -r 0-99 http://127.0.0.1:8080/README.md
//! ```
//!
//! GET and HEAD, `Range: bytes=a-b` / `a-` / `-n` (206, or 416 past the end), 404, keep-alive
//! (HTTP/1.1 by default), pipelined requests, and no path outside `--root` (`..` refused,
//! symlinks resolved and checked). Each response's copy path is logged to stderr.
//!
//! The HTTP code is shared with the tokio and smol servers (`common/http.rs`), and the
//! connection loop with the smol one (`common/futures_io_server.rs`): this file only accepts
//! connections and says how async-std runs blocking calls, wraps files and sleeps.

mod common;
#[path = "common/futures_io_server.rs"]
mod connection;

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use async_std::net::TcpListener;

#[allow(unused_imports)] // `Sent` is for the tests that include this file.
pub use connection::{serve_connection, Sent};

/// async-std, for the shared connection loop.
#[derive(Debug)]
pub struct AsyncStd;

impl connection::Runtime for AsyncStd {
    type Rt = zc::AsyncStd;
    type File = async_std::fs::File;

    fn unblock<T: Send + 'static>(
        f: impl FnOnce() -> T + Send + 'static,
    ) -> impl Future<Output = T> + Send {
        async_std::task::spawn_blocking(f)
    }

    fn file(file: std::fs::File) -> async_std::fs::File {
        async_std::fs::File::from(file)
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        async_std::task::sleep(duration)
    }
}

/// Serves files under `root` to every connection `listener` accepts, each on its own task.
///
/// # Errors
///
/// `root` cannot be resolved, or `accept` fails.
pub async fn serve(listener: TcpListener, root: PathBuf) -> io::Result<()> {
    let root: PathBuf = async_std::fs::canonicalize(&root).await?.into();
    loop {
        let (mut stream, peer) = listener.accept().await?;
        let root = root.clone();
        async_std::task::spawn(async move {
            match serve_connection::<AsyncStd, _>(&mut stream, &root).await {
                Ok(replies) => {
                    for reply in replies {
                        eprintln!("{peer}: {reply}");
                    }
                }
                Err(e) => eprintln!("{peer}: connection failed: {e}"),
            }
        });
    }
}

#[allow(dead_code)] // Tests include this file as a module and call `serve` directly.
fn main() -> io::Result<()> {
    let (root, addr) =
        connection::args("usage: async_std_file_server [--root DIR] [--addr HOST:PORT]")
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    async_std::task::block_on(async {
        let listener = TcpListener::bind(addr).await?;
        eprintln!(
            "serving {} on http://{}",
            root.display(),
            listener.local_addr()?
        );
        serve(listener, root).await
    })
}
