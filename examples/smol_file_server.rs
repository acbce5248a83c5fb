//! A static HTTP/1.1 file server on smol whose bodies go out with `zc::copy`: `sendfile(2)`
//! from smol's own `fs::File` into smol's own `net::TcpStream`, ranges included.
//!
//! ```sh
//! cargo run --release --features smol --example smol_file_server -- --root . --addr 127.0.0.1:8080
//! curl -r 0-99 http://127.0.0.1:8080/README.md
//! ```
//!
//! GET and HEAD, `Range: bytes=a-b` / `a-` / `-n` (206, or 416 past the end), 404, keep-alive
//! (HTTP/1.1 by default), pipelined requests, and no path outside `--root` (`..` refused,
//! symlinks resolved and checked). Each response's copy path is logged to stderr.
//!
//! The HTTP code is shared with the tokio and async-std servers (`common/http.rs`), and the
//! connection loop with the async-std one (`common/futures_io_server.rs`): this file only
//! accepts connections and says how smol runs blocking calls, wraps files and sleeps.

mod common;
#[path = "common/futures_io_server.rs"]
mod connection;

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use smol::net::TcpListener;

#[allow(unused_imports)] // `Sent` is for the tests that include this file.
pub use connection::{serve_connection, Sent};

/// smol, for the shared connection loop.
#[derive(Debug)]
pub struct Smol;

impl connection::Runtime for Smol {
    type Rt = zc::Smol;
    type File = smol::fs::File;

    fn unblock<T: Send + 'static>(
        f: impl FnOnce() -> T + Send + 'static,
    ) -> impl Future<Output = T> + Send {
        smol::unblock(f)
    }

    fn file(file: std::fs::File) -> smol::fs::File {
        smol::fs::File::from(file)
    }

    async fn sleep(duration: Duration) {
        smol::Timer::after(duration).await;
    }
}

/// Serves files under `root` to every connection `listener` accepts, each on its own task.
///
/// # Errors
///
/// `root` cannot be resolved, or `accept` fails.
pub async fn serve(listener: TcpListener, root: PathBuf) -> io::Result<()> {
    let root = smol::fs::canonicalize(&root).await?;
    loop {
        let (mut stream, peer) = listener.accept().await?;
        let root = root.clone();
        smol::spawn(async move {
            match serve_connection::<Smol, _>(&mut stream, &root).await {
                Ok(replies) => {
                    for reply in replies {
                        eprintln!("{peer}: {reply}");
                    }
                }
                Err(e) => eprintln!("{peer}: connection failed: {e}"),
            }
        })
        .detach();
    }
}

#[allow(dead_code)] // Tests include this file as a module and call `serve` directly.
fn main() -> io::Result<()> {
    let (root, addr) = connection::args("usage: smol_file_server [--root DIR] [--addr HOST:PORT]")
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    smol::block_on(async {
        let listener = TcpListener::bind(addr).await?;
        eprintln!(
            "serving {} on http://{}",
            root.display(),
            listener.local_addr()?
        );
        serve(listener, root).await
    })
}
