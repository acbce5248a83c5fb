//! The connection loop of the smol and async-std file servers, written once.
//!
//! Both runtimes' sockets are `futures_io` streams and zc sinks, and both runtimes' files are
//! zc sources, so one generic function serves a connection on either; a [`Runtime`] supplies
//! the three things that differ (its blocking pool, its file type, its timer). The HTTP itself
//! (parsing, `Range`, paths, response heads) is [`super::http`], shared with the tokio server.
//!
//! Include it next to `common`:
//!
//! ```ignore
//! mod common;
//! #[path = "common/futures_io_server.rs"]
//! mod connection;
//! ```

use std::fmt;
use std::future::{poll_fn, Future};
use std::io::{self, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_lite::future::or;
use futures_lite::io::{
    AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt, AsyncWrite, AsyncWriteExt,
};

use super::common::http::{self, Route};

/// A keep-alive connection idle this long is closed.
pub const IDLE: Duration = Duration::from_secs(30);

/// What a server needs of its runtime beyond zc's traits.
pub trait Runtime {
    /// zc's runtime marker (`zc::Smol`, `zc::AsyncStd`).
    type Rt;
    /// The runtime's file type: a zc source that seeks.
    type File: zc::Source<Self::Rt> + AsyncSeek + Unpin + Send;

    /// Runs blocking filesystem calls on the runtime's blocking pool.
    fn unblock<T: Send + 'static>(
        f: impl FnOnce() -> T + Send + 'static,
    ) -> impl Future<Output = T> + Send;

    /// The runtime's file over an open std file.
    fn file(file: std::fs::File) -> Self::File;

    /// Waits for `duration`.
    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send;
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

impl fmt::Display for Sent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.request, self.status)?;
        if let Some(body) = &self.body {
            write!(f, ", {} body bytes by {}", body.bytes(), body.path())?;
        }
        Ok(())
    }
}

/// Answers the requests of one connection until the client closes it, asks to close it, or
/// idles for [`IDLE`]; returns what each response sent. `root` must be canonical.
///
/// # Errors
///
/// I/O errors of the connection or of a file.
pub async fn serve_connection<R, S>(stream: &mut S, root: &Path) -> io::Result<Vec<Sent>>
where
    R: Runtime,
    S: AsyncRead + AsyncWrite + zc::Sink<R::Rt> + Unpin,
{
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
                    shutdown::<R, S>(stream).await?;
                    return Ok(sent);
                }
            }
            let mut chunk = [0u8; 4096];
            let idle = async {
                R::sleep(IDLE).await;
                Ok(0)
            };
            let n = or(stream.read(&mut chunk), idle).await?;
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
        let (status, body) = respond::<R, S>(stream, &request, root, keep_alive).await?;
        sent.push(Sent {
            request: line,
            status,
            body,
        });
        if !keep_alive {
            shutdown::<R, S>(stream).await?;
            return Ok(sent);
        }
    }
}

/// Half-closes the connection (`shutdown(SHUT_WR)`) through zc's sink, which both runtimes'
/// sockets implement as a real shutdown (async-std's own `close` only flushes).
async fn shutdown<R: Runtime, S: zc::Sink<R::Rt>>(stream: &mut S) -> io::Result<()> {
    poll_fn(|cx| stream.poll_shutdown(cx)).await
}

/// Writes one response; returns its status and the body copy's report.
async fn respond<R, S>(
    stream: &mut S,
    request: &http::Request,
    root: &Path,
    keep_alive: bool,
) -> io::Result<(u16, Option<zc::Report>)>
where
    R: Runtime,
    S: AsyncWrite + zc::Sink<R::Rt> + Unpin,
{
    let path = match http::route(root, request) {
        Route::Lookup(path) => path,
        Route::Error(status) => return send_error(stream, status, keep_alive).await,
    };
    let Some((mut file, path, len)) = open_under::<R>(root.to_owned(), path).await else {
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
    file.seek(SeekFrom::Start(offset)).await?;
    // The body: `len` bytes from the file's position, by sendfile(2). `exact` turns a file
    // that shrank under us into an error instead of a short body that would desync the
    // connection.
    let report = zc::copy_report(&mut zc::Limited::exact(&mut file, len), stream).await?;
    Ok((reply.status, Some(report)))
}

/// Opens the regular file `path` names (a directory's `index.html`), if it is under `root`
/// once symlinks are resolved. Returns the file, its canonical path and its length.
async fn open_under<R: Runtime>(root: PathBuf, path: PathBuf) -> Option<(R::File, PathBuf, u64)> {
    let found = R::unblock(
        move || -> io::Result<Option<(std::fs::File, PathBuf, u64)>> {
            let mut path = std::fs::canonicalize(path)?;
            if std::fs::metadata(&path)?.is_dir() {
                path = std::fs::canonicalize(path.join("index.html"))?;
            }
            if !http::is_within(&root, &path) {
                return Ok(None);
            }
            let file = std::fs::File::open(&path)?;
            let meta = file.metadata()?;
            Ok(meta.is_file().then_some((file, path, meta.len())))
        },
    )
    .await;
    let (file, path, len) = found.ok()??;
    Some((R::file(file), path, len))
}

async fn send_error<S: AsyncWrite + Unpin>(
    stream: &mut S,
    status: u16,
    keep_alive: bool,
) -> io::Result<(u16, Option<zc::Report>)> {
    let (head, body) = http::error_reply(status, keep_alive);
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    Ok((status, None))
}

/// `--root DIR` (default `.`) and `--addr HOST:PORT` (default `127.0.0.1:8080`); `usage` is
/// the help line.
pub fn args(usage: &str) -> Result<(PathBuf, std::net::SocketAddr), String> {
    let mut root = PathBuf::from(".");
    let mut addr: std::net::SocketAddr = ([127, 0, 0, 1], 8080).into();
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
            "-h" | "--help" => return Err(usage.into()),
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok((root, addr))
}
