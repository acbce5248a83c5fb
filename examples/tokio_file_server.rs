//! A static HTTP/1.1 file server on tokio whose bodies go out with `zc::copy`: `sendfile(2)`
//! from tokio's own `File` into tokio's own `TcpStream`, ranges included.
//!
//! ```sh
//! cargo run --release --features tokio --example tokio_file_server -- --root . --addr 127.0.0.1:8080
//! curl -r 0-99 http://127.0.0.1:8080/README.md
//! ```
//!
//! GET and HEAD, `Range: bytes=a-b` / `a-` / `-n` (206, or 416 past the end), 404, keep-alive
//! (HTTP/1.1 by default), pipelined requests, and no path outside `--root` (`..` refused,
//! symlinks resolved and checked). Each response's copy path is logged to stderr.

mod common;

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::http::{self, Route};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A keep-alive connection idle this long is closed.
const IDLE: Duration = Duration::from_secs(30);

/// Serves files under `root` to every connection `listener` accepts, each on its own task.
///
/// # Errors
///
/// `root` cannot be resolved, or `accept` fails.
pub async fn serve(listener: TcpListener, root: PathBuf) -> io::Result<()> {
    let root = tokio::fs::canonicalize(&root).await?;
    loop {
        let (stream, peer) = listener.accept().await?;
        let root = root.clone();
        tokio::spawn(async move {
            match serve_connection(stream, &root).await {
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

/// What one response sent.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The request line's method and target.
    pub request: String,
    /// The status code.
    pub status: u16,
    /// How the file body went out, if there was one.
    pub body: Option<zc::Report>,
}

impl std::fmt::Display for Sent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} -> {}", self.request, self.status)?;
        if let Some(body) = &self.body {
            write!(f, ", {} body bytes by {}", body.bytes(), body.path())?;
        }
        Ok(())
    }
}

/// Answers the requests of one connection until the client closes it, asks to close it, or
/// idles for 30 s; returns what each response sent. `root` must be canonical.
///
/// # Errors
///
/// I/O errors of the connection or of a file.
pub async fn serve_connection(mut stream: TcpStream, root: &Path) -> io::Result<Vec<Sent>> {
    let mut sent = Vec::new();
    let mut buf = Vec::with_capacity(4096);
    loop {
        let (request, head_len) = loop {
            match http::parse_request(&buf) {
                Ok(Some(parsed)) => break parsed,
                Ok(None) => {}
                Err(e) => {
                    let (head, body) = http::error_reply(e.status(), false);
                    stream.write_all(head.as_bytes()).await?;
                    stream.write_all(body.as_bytes()).await?;
                    stream.shutdown().await?;
                    return Ok(sent);
                }
            }
            let mut chunk = [0u8; 4096];
            let n = match tokio::time::timeout(IDLE, stream.read(&mut chunk)).await {
                Ok(read) => read?,
                Err(_idle) => 0,
            };
            if n == 0 {
                // The client closed (or idled out) between requests; a half-sent head is
                // dropped.
                return Ok(sent);
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        buf.drain(..head_len);
        let keep_alive = request.keep_alive() && !request.has_body();
        let line = format!("{} {}", request.method, request.target);
        let (status, body) = respond(&mut stream, &request, root, keep_alive).await?;
        sent.push(Sent {
            request: line,
            status,
            body,
        });
        if !keep_alive {
            stream.shutdown().await?;
            return Ok(sent);
        }
    }
}

/// Writes one response; returns its status and the body copy's report.
async fn respond(
    stream: &mut TcpStream,
    request: &http::Request,
    root: &Path,
    keep_alive: bool,
) -> io::Result<(u16, Option<zc::Report>)> {
    let path = match http::route(root, request) {
        Route::Lookup(path) => path,
        Route::Error(status) => return send_error(stream, status, keep_alive).await,
    };
    let Some((mut file, path, len)) = open_under(root, &path).await else {
        return send_error(stream, 404, keep_alive).await;
    };
    let reply = http::file_reply(request, &path, len, keep_alive);
    stream.write_all(reply.head.as_bytes()).await?;
    if let Some(text) = &reply.text {
        stream.write_all(text.as_bytes()).await?;
    }
    let Some((offset, len)) = reply.body else {
        return Ok((reply.status, None));
    };
    file.seek(io::SeekFrom::Start(offset)).await?;
    // The body: `len` bytes from the file's position, by sendfile(2). `exact` turns a file
    // that shrank under us into an error instead of a short body that would desync the
    // connection.
    let report = zc::copy_report(&mut zc::Limited::exact(&mut file, len), stream).await?;
    Ok((reply.status, Some(report)))
}

/// Opens the regular file `path` names (a directory's `index.html`), if it is under `root`
/// once symlinks are resolved. Returns the file, its canonical path and its length.
async fn open_under(root: &Path, path: &Path) -> Option<(tokio::fs::File, PathBuf, u64)> {
    let mut path = tokio::fs::canonicalize(path).await.ok()?;
    if tokio::fs::metadata(&path).await.ok()?.is_dir() {
        path = tokio::fs::canonicalize(path.join("index.html"))
            .await
            .ok()?;
    }
    if !http::is_within(root, &path) {
        return None;
    }
    let file = tokio::fs::File::open(&path).await.ok()?;
    let meta = file.metadata().await.ok()?;
    meta.is_file().then_some((file, path, meta.len()))
}

async fn send_error(
    stream: &mut TcpStream,
    status: u16,
    keep_alive: bool,
) -> io::Result<(u16, Option<zc::Report>)> {
    let (head, body) = http::error_reply(status, keep_alive);
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    Ok((status, None))
}

/// `--root DIR` (default `.`) and `--addr HOST:PORT` (default `127.0.0.1:8080`).
fn args() -> Result<(PathBuf, SocketAddr), String> {
    let mut root = PathBuf::from(".");
    let mut addr: SocketAddr = ([127, 0, 0, 1], 8080).into();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--root" => root = value("--root")?.into(),
            "--addr" => {
                addr = value("--addr")?
                    .parse()
                    .map_err(|e| format!("--addr: {e}"))?
            }
            "-h" | "--help" => {
                return Err("usage: tokio_file_server [--root DIR] [--addr HOST:PORT]".into())
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok((root, addr))
}

#[allow(dead_code)] // Tests include this file as a module and call `serve` directly.
#[tokio::main]
async fn main() -> io::Result<()> {
    let (root, addr) = args().map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let listener = TcpListener::bind(addr).await?;
    eprintln!(
        "serving {} on http://{}",
        root.display(),
        listener.local_addr()?
    );
    serve(listener, root).await
}
