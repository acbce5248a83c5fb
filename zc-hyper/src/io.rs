//! [`ZcIo`], the connection hyper writes through: ordinary bytes with `sendmsg`, file tokens
//! with `sendfile` (through `zc::copy_report`).
//!
//! # Implementation
//!
//! hyper's HTTP/1 writer (`proto/h1/io.rs`) takes the *queue* strategy when the IO says
//! `is_write_vectored()`: the head and each body frame (`Bytes`) wait in a queue, uncopied,
//! and a flush passes them to `poll_write_vectored` as their own `IoSlice`s, the head's
//! first, in body order, advancing by the count the IO returns. So a file token that the
//! observer handed to hyper as a frame arrives here as a slice of the token region (see
//! `token.rs`), at its place in the response.
//!
//! Each call walks its slices in order. A run of ordinary slices is sent with one `sendmsg`,
//! with `MSG_MORE` when a token follows (the head and the body's first bytes then leave in
//! one segment, so no delayed ACK stalls them, `TCP_NODELAY` or not). A slice in the token
//! region must be exactly the front token of the connection's FIFO (from its start, whole):
//! its range is then sent by a `zc::copy_report` of the file into the socket's write half,
//! which the copy owns until it ends, so the copy is an ordinary zc copy (readiness, cold
//! page cache on tokio's blocking pool, SIGPIPE, counts, its `Report`). Until it ends, the
//! call answers `Pending` for the token (hyper keeps it queued and calls again); when it
//! ends, the token counts as written whole. hyper's count is so always head bytes plus file
//! bytes sent.
//!
//! Anything else while tokens are outstanding aborts the connection with an error, before
//! any byte of it is written: a token out of order or split, ordinary bytes where the
//! in-flight token is expected, a write that lacks the front token (someone copied it), a
//! `poll_write` (hyper flattening). Never a wrong byte.
//!
//! Until the connection is *verified*, no token is issued: the observer registers the
//! first data frames of the connection's responses as probes (for a file body, a short real
//! prefix), and a probe's address reaching `poll_write_vectored` proves that hyper hands this
//! connection its frames by reference. A run of slices that ends with a probe whose body
//! continues is sent with `MSG_MORE` as well: the rest of the body pushes it.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice, Read as _};
use std::os::fd::AsFd;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper_util::rt::TokioIo;
use rustix::io::Errno;
use rustix::net::{SendAncillaryBuffer, SendFlags};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};
use zc::endpoint::{Interest, RawEnd, Readiness};

use crate::body::{BodyShared, FileShared};
use crate::observe::{LogEntry, ZcService};
use crate::token::{self, Place};

/// At most this many probes are kept per connection (the newest).
const MAX_PROBES: usize = 8;

/// After this many probe prefixes that did not prove a connection, its file bodies go
/// through user space whole, without a probe (and without the observer's self-wake).
const MAX_PROBE_FAILURES: u32 = 2;

/// The most slices one `sendmsg` takes (Linux's `IOV_MAX`).
const IOV_MAX: usize = 1024;

/// A file range committed to the connection, in the order hyper will write it.
pub(crate) struct FileToken {
    /// Where hyper's slice of the token region starts.
    pub(crate) offset: usize,
    pub(crate) len: usize,
    pub(crate) start: u64,
    pub(crate) body: Arc<BodyShared>,
    /// Keeps the response's log entry open until its last range has left.
    pub(crate) _log: Option<Arc<LogEntry>>,
}

#[derive(Default)]
struct ConnState {
    /// Probe frames, and whether file bytes follow each (its write then gets `MSG_MORE`).
    probes: Vec<(Bytes, bool)>,
    tokens: VecDeque<FileToken>,
}

/// What a connection shares with its observer: whether it is verified, its probes, its FIFO
/// of file tokens.
#[derive(Default)]
pub(crate) struct ConnShared {
    verified: AtomicBool,
    /// Responses whose probe prefix did not prove the connection.
    probe_failures: AtomicU32,
    state: Mutex<ConnState>,
}

impl ConnShared {
    fn lock(&self) -> MutexGuard<'_, ConnState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn is_verified(&self) -> bool {
        self.verified.load(Ordering::Acquire)
    }

    /// The observer forwarded `frame` to hyper on an unverified connection (`more`: more
    /// of the same body follows it).
    pub(crate) fn add_probe(&self, frame: &Bytes, more: bool) {
        let mut state = self.lock();
        if state.probes.len() == MAX_PROBES {
            state.probes.remove(0);
        }
        // The clone keeps the frame's allocation, and so its address, alive until checked.
        state.probes.push((frame.clone(), more));
    }

    /// Whether a body may still spend a probe prefix on this connection: not after
    /// [`MAX_PROBE_FAILURES`] did not prove it (hyper flattens this connection's writes).
    pub(crate) fn may_probe(&self) -> bool {
        self.probe_failures.load(Ordering::Relaxed) < MAX_PROBE_FAILURES
    }

    /// A probe prefix went to hyper and the connection is still unproven.
    pub(crate) fn probe_failed(&self) {
        self.probe_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// The observer handed hyper a file token for `token`.
    pub(crate) fn push_token(&self, token: FileToken) {
        self.lock().tokens.push_back(token);
    }

    /// Verifies the connection if `slices` hold a probe; returns whether the last slice is a
    /// probe that more of its body follows (to be sent with `MSG_MORE`).
    fn check_probes(&self, slices: &[IoSlice<'_>]) -> bool {
        let mut state = self.lock();
        let is =
            |s: &IoSlice<'_>, probe: &Bytes| s.as_ptr() == probe.as_ptr() && s.len() == probe.len();
        let seen = state
            .probes
            .iter()
            .any(|(probe, _)| slices.iter().any(|s| is(s, probe)));
        let more = slices.last().is_some_and(|last| {
            state
                .probes
                .iter()
                .any(|(probe, more)| *more && is(last, probe))
        });
        if seen {
            state.probes = Vec::new();
            self.verified.store(true, Ordering::Release);
        }
        more
    }

    /// The front token's place in the region.
    fn front(&self) -> Option<(usize, usize)> {
        self.lock()
            .tokens
            .front()
            .map(|token| (token.offset, token.len))
    }

    fn has_tokens(&self) -> bool {
        !self.lock().tokens.is_empty()
    }
}

/// A stream [`ZcIo`] can serve: tokio's `TcpStream` and `UnixStream`.
///
/// The connection splits it: hyper reads through the read half, and the write half is lent
/// to each `sendfile` copy while it runs.
pub trait Stream: sealed::Sealed + Send + 'static {
    #[doc(hidden)]
    type ReadHalf: AsyncRead + Unpin + Send + 'static;
    #[doc(hidden)]
    type WriteHalf: AsyncWrite + zc::Sink<zc::Tokio> + Readiness<zc::Tokio> + Unpin + Send + 'static;
    #[doc(hidden)]
    fn split(self) -> (Self::ReadHalf, Self::WriteHalf);
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for tokio::net::TcpStream {}
    impl Sealed for tokio::net::UnixStream {}
}

impl Stream for TcpStream {
    type ReadHalf = tokio::net::tcp::OwnedReadHalf;
    type WriteHalf = tokio::net::tcp::OwnedWriteHalf;

    fn split(self) -> (Self::ReadHalf, Self::WriteHalf) {
        self.into_split()
    }
}

impl Stream for UnixStream {
    type ReadHalf = tokio::net::unix::OwnedReadHalf;
    type WriteHalf = tokio::net::unix::OwnedWriteHalf;

    fn split(self) -> (Self::ReadHalf, Self::WriteHalf) {
        self.into_split()
    }
}

/// A `sendfile` of one file token's range, owning the write half until it ends.
type CopyTask<W> = Pin<Box<dyn Future<Output = (W, Result<zc::Report, zc::CopyError>)> + Send>>;

/// A file range as a zc source: the shared file, read at its file offset (which the
/// connection alone moves).
struct FileSource(Arc<FileShared>);

impl<Rt> zc::Source<Rt> for FileSource {
    fn poll_read(&mut self, _cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        loop {
            match (&self.0.file).read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                result => return Poll::Ready(result),
            }
        }
    }

    fn raw_source(&mut self) -> Option<RawEnd<'_, Rt>> {
        Some(RawEnd::File(self.0.file.as_fd()))
    }
}

/// The connection under hyper's `TokioIo`.
struct Conn<S: Stream> {
    read: S::ReadHalf,
    /// `None` while a copy owns it.
    write: Option<S::WriteHalf>,
    copy: Option<CopyTask<S::WriteHalf>>,
    shared: Arc<ConnShared>,
    /// The error that ended the connection (io::Error is not `Clone`: kind and message).
    failed: Option<(io::ErrorKind, String)>,
}

fn abort(why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("zc-hyper: connection aborted: {why}"),
    )
}

impl<S: Stream> Conn<S> {
    fn failed(&self) -> Option<io::Error> {
        self.failed
            .as_ref()
            .map(|(kind, message)| io::Error::new(*kind, message.clone()))
    }

    /// Remembers `e` as the connection's end; reports it now, or after the `written` bytes.
    fn fail(&mut self, written: usize, e: io::Error) -> Poll<io::Result<usize>> {
        self.failed = Some((e.kind(), e.to_string()));
        if written > 0 {
            Poll::Ready(Ok(written))
        } else {
            Poll::Ready(Err(e))
        }
    }

    /// Sends the file token `slice` (at `offset` in the region): `Ready(Ok)` once its whole
    /// range has left.
    fn poll_token(
        &mut self,
        cx: &mut Context<'_>,
        offset: usize,
        len: usize,
    ) -> Poll<io::Result<()>> {
        if self.shared.front() != Some((offset, len)) {
            return Poll::Ready(Err(abort(
                "a file token reached the connection out of order, split, or not from zc",
            )));
        }
        if self.copy.is_none() {
            self.start_copy()?;
        }
        let Some(copy) = &mut self.copy else {
            unreachable!("a copy was just started")
        };
        let Poll::Ready((write, result)) = copy.as_mut().poll(cx) else {
            return Poll::Pending;
        };
        self.copy = None;
        self.write = Some(write);
        let token = {
            let mut state = self.shared.lock();
            state.tokens.pop_front().expect("the token being sent")
        };
        let file = token.body.file().expect("a token's body has a file");
        let report = match &result {
            Ok(report) => *report,
            Err(e) => e.report(),
        };
        token.body.record_copy(&report);
        file.pos
            .store(token.start + report.bytes(), Ordering::Relaxed);
        match result {
            Ok(report) if report.bytes() == len as u64 => Poll::Ready(Ok(())),
            Ok(report) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "zc-hyper: a file range of {len} bytes sent {} (the file shrank)",
                    report.bytes()
                ),
            ))),
            Err(e) => Poll::Ready(Err(e.into_error())),
        }
    }

    /// Starts the copy of the front token's range; it takes the write half.
    fn start_copy(&mut self) -> io::Result<()> {
        let (file, start, len) = {
            let state = self.shared.lock();
            let token = state.tokens.front().expect("checked by the caller");
            let file = token
                .body
                .file()
                .expect("a token's body has a file")
                .clone();
            (file, token.start, token.len as u64)
        };
        if file.pos.load(Ordering::Relaxed) != start {
            rustix::fs::seek(&file.file, rustix::fs::SeekFrom::Start(start))?;
            file.pos.store(start, Ordering::Relaxed);
        }
        let Some(mut write) = self.write.take() else {
            unreachable!("no copy runs, so the write half is here")
        };
        let mut src = zc::Limited::exact(FileSource(file), len);
        self.copy = Some(Box::pin(async move {
            let result = zc::copy_report(&mut src, &mut write).await;
            (write, result)
        }));
        Ok(())
    }

    /// Sends `slices` with one `sendmsg`, with `MSG_MORE` if `more` follows.
    fn poll_send(
        &mut self,
        cx: &mut Context<'_>,
        slices: &[IoSlice<'_>],
        more: bool,
    ) -> Poll<io::Result<usize>> {
        let Some(write) = &mut self.write else {
            unreachable!("no copy runs while ordinary bytes are sent")
        };
        let slices = &slices[..slices.len().min(IOV_MAX)];
        let flags = if more {
            SendFlags::NOSIGNAL | SendFlags::MORE
        } else {
            SendFlags::NOSIGNAL
        };
        write.poll_io(cx, Interest::Writable, &mut |fd| loop {
            match rustix::net::sendmsg(fd, slices, &mut SendAncillaryBuffer::default(), flags) {
                Err(Errno::INTR) => continue,
                result => return result.map_err(io::Error::from),
            }
        })
    }
}

impl<S: Stream> AsyncRead for Conn<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.read).poll_read(cx, buf)
    }
}

impl<S: Stream> AsyncWrite for Conn<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(e) = self.failed() {
            return Poll::Ready(Err(e));
        }
        if self.copy.is_some() || self.shared.has_tokens() {
            // hyper flattened a token into its own buffer: its bytes are not the file's.
            let e = abort("a flat write while file tokens are outstanding");
            return self.fail(0, e);
        }
        let Some(write) = &mut self.write else {
            unreachable!("no copy runs")
        };
        Pin::new(write).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Some(e) = this.failed() {
            return Poll::Ready(Err(e));
        }
        let mut written = 0;
        let mut i = 0;
        while i < bufs.len() {
            if bufs[i].is_empty() {
                i += 1;
                continue;
            }
            if let Place::Inside { offset } = token::place(&bufs[i]) {
                match this.poll_token(cx, offset, bufs[i].len()) {
                    Poll::Ready(Ok(())) => {
                        written += bufs[i].len();
                        i += 1;
                        continue;
                    }
                    Poll::Ready(Err(e)) => return this.fail(written, e),
                    Poll::Pending if written > 0 => return Poll::Ready(Ok(written)),
                    Poll::Pending => return Poll::Pending,
                }
            }
            if this.copy.is_some() {
                let e = abort("ordinary bytes where the file token being sent belongs");
                return this.fail(written, e);
            }
            let end = bufs[i..]
                .iter()
                .position(|s| matches!(token::place(s), Place::Inside { .. }))
                .map_or(bufs.len(), |n| i + n);
            let token_follows = end < bufs.len();
            // With tokens outstanding, these bytes must come before the front one, and the
            // slice after them must be it: checked before a byte of them is sent.
            if let Some(front) = this.shared.front() {
                let next = bufs.get(end).map(|s| (token::place(s), s.len()));
                if next != Some((Place::Inside { offset: front.0 }, front.1)) {
                    let e = abort("a write without the file token hyper was given (a copy of it?)");
                    return this.fail(written, e);
                }
            }
            // A probe prefix that the rest of its body follows is sent with `MSG_MORE` too:
            // the rest (by `sendfile` or `sendmsg`) pushes it, so no delayed ACK stalls it.
            let probe_more = !this.shared.is_verified() && this.shared.check_probes(&bufs[i..end]);
            let want: usize = bufs[i..end].iter().map(|s| s.len()).sum();
            match this.poll_send(cx, &bufs[i..end], token_follows || probe_more) {
                Poll::Ready(Ok(n)) => {
                    written += n;
                    if n < want {
                        return Poll::Ready(Ok(written));
                    }
                    i = end;
                }
                Poll::Ready(Err(e)) => return this.fail(written, e),
                Poll::Pending if written > 0 => return Poll::Ready(Ok(written)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(written))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.write {
            Some(write) => Pin::new(write).poll_flush(cx),
            // A token is being sent: hyper still holds it, nothing is buffered here.
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.write {
            Some(write) => Pin::new(write).poll_shutdown(cx),
            None => Poll::Ready(Err(abort("shut down while a file range is being sent"))),
        }
    }
}

/// A connection for hyper whose HTTP/1.x file bodies leave by `sendfile`.
///
/// Wrap the accepted stream, make the service with [`service`](ZcIo::service) (before the
/// connection moves into hyper: both share the connection's state), and give both to hyper:
///
/// ```no_run
/// # async fn run(listener: tokio::net::TcpListener) -> std::io::Result<()> {
/// use hyper::server::conn::http1;
/// let app = hyper::service::service_fn(|_req| async {
///     let file = std::fs::File::open("big.iso")?;
///     let body = zc_hyper::ZcBody::file(file)?;
///     let (parts, ()) = http::Response::new(()).into_parts();
///     Ok::<_, std::io::Error>(body.into_response(parts))
/// });
/// loop {
///     let (stream, _) = listener.accept().await?;
///     let io = zc_hyper::ZcIo::new(stream);
///     let service = io.service(app.clone());
///     tokio::spawn(http1::Builder::new().serve_connection(io, service));
/// }
/// # }
/// ```
///
/// `ZcIo` implements hyper's `Read`/`Write` and tokio's `AsyncRead`/`AsyncWrite` (so
/// hyper-util's auto builder, which serves HTTP/1.1 and HTTP/2, takes it too), and says
/// `is_write_vectored() == true`, which is what makes hyper pass body frames uncopied. The
/// module docs of `io.rs` describe the mechanism; `docs/DESIGN.md`, "hyper and axum", the
/// argument that it never sends a wrong byte.
///
/// # Errors
///
/// hyper sees an error, and ends the connection, when the peer is gone, when a file range
/// cannot be sent whole (the file shrank), and when the writes break the token protocol
/// (`InvalidData`, "connection aborted"), which hyper's own writers never do.
pub struct ZcIo<S: Stream = TcpStream> {
    io: TokioIo<Conn<S>>,
}

impl<S: Stream> ZcIo<S> {
    /// Wraps an accepted stream.
    pub fn new(stream: S) -> ZcIo<S> {
        let (read, write) = stream.split();
        ZcIo {
            io: TokioIo::new(Conn {
                read,
                write: Some(write),
                copy: None,
                shared: Arc::default(),
                failed: None,
            }),
        }
    }

    /// `service`, observed for this connection: the service to give hyper with this
    /// connection. See [`ZcService`].
    pub fn service<Svc>(&self, service: Svc) -> ZcService<Svc> {
        ZcService::new(service, self.io.inner().shared.clone())
    }

    /// Whether hyper has shown that it hands this connection body frames by reference (the
    /// condition for sending file ranges with `sendfile`).
    pub fn is_verified(&self) -> bool {
        self.io.inner().shared.is_verified()
    }
}

impl<S: Stream> fmt::Debug for ZcIo<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let conn = self.io.inner();
        f.debug_struct("ZcIo")
            .field("verified", &conn.shared.is_verified())
            .field("sending_file", &conn.copy.is_some())
            .field("failed", &conn.failed)
            .finish_non_exhaustive()
    }
}

impl<S: Stream> hyper::rt::Read for ZcIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<S: Stream> hyper::rt::Write for ZcIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        hyper::rt::Write::poll_write(Pin::new(&mut self.io), cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        hyper::rt::Write::poll_write_vectored(Pin::new(&mut self.io), cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        hyper::rt::Write::poll_flush(Pin::new(&mut self.io), cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        hyper::rt::Write::poll_shutdown(Pin::new(&mut self.io), cx)
    }
}

impl<S: Stream> AsyncRead for ZcIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(self.io.inner_mut()).poll_read(cx, buf)
    }
}

impl<S: Stream> AsyncWrite for ZcIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(self.io.inner_mut()).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(self.io.inner_mut()).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.io.inner_mut()).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.io.inner_mut()).poll_shutdown(cx)
    }
}
