//! `copy()`: Go's `io.Copy` order over the endpoint traits, as a poll-driven state machine.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::io;
use std::os::fd::BorrowedFd;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::cold::Spawn;
use crate::coop::{BlockingJob, Permit, Runtime};
use crate::endpoint::{Handoff, Progress, RawEnd, Sink, Source};
use crate::kernel::{self, Kernel, Step};
use crate::sys;

/// Bytes a copy may move in one poll before it yields to the executor, by default.
///
/// nginx caps one `sendfile` at 2 MiB (`sendfile_max_chunk`) for the same reason: one big
/// transfer must not starve the other connections served by its thread. 2 MiB rather than
/// 4 MiB (zc's bound before issue 15): a task beside a file → TCP copy on the same thread
/// waited at worst 4.6-5.3 ms instead of 6.9-7.1 ms (medians, a busy 2-core machine), at no
/// measurable cost in CPU per GiB (BENCHMARKS.md, scenario 7).
pub const DEFAULT_MAX_PER_POLL: u64 = 2 << 20;

/// The buffered path's buffer size, by default (allocated only when the buffered path runs).
pub const DEFAULT_BUFFER_SIZE: usize = 64 << 10;

/// The alignment of the buffered path's buffer: what `O_DIRECT` reads need (the block size,
/// at most a page).
const PAGE: usize = 4096;

/// The path that moved a copy's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CopyPath {
    /// `sendfile(2)`: a file into a socket, a pipe or another file.
    Sendfile,
    /// `splice(2)`: a socket or pipe into a socket, a pipe or a file.
    Splice,
    /// `copy_file_range(2)`: a file into a file, possibly sharing extents (reflink).
    CopyFileRange,
    /// The source's own [`WriterTo`](crate::endpoint::WriterTo).
    WriterTo,
    /// The destination's own [`ReaderFrom`](crate::endpoint::ReaderFrom).
    ReaderFrom,
    /// A user-space buffer: `read` then `write`.
    Buffered,
}

impl CopyPath {
    /// True for the paths that move bytes inside the kernel.
    pub fn is_zero_copy(self) -> bool {
        matches!(
            self,
            CopyPath::Sendfile | CopyPath::Splice | CopyPath::CopyFileRange
        )
    }
}

impl fmt::Display for CopyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CopyPath::Sendfile => "sendfile",
            CopyPath::Splice => "splice",
            CopyPath::CopyFileRange => "copy_file_range",
            CopyPath::WriterTo => "writer_to",
            CopyPath::ReaderFrom => "reader_from",
            CopyPath::Buffered => "buffered",
        })
    }
}

/// What a copy did: the bytes delivered and the path that moved them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    bytes: u64,
    kernel_bytes: u64,
    path: CopyPath,
    fallback: Option<CopyPath>,
    disk_steps: u64,
    disk_bytes: u64,
    cold_inline_bytes: u64,
}

impl Report {
    /// Bytes that reached the destination, over every path.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The main path: the kernel path if the copy took one (even when it found the source
    /// empty), else the path that moved the bytes.
    pub fn path(&self) -> CopyPath {
        self.path
    }

    /// The path that took over, with the exact count, after the main path had moved bytes
    /// and then handed over; `None` when no path took over.
    ///
    /// `copy_file_range` refusing the unaligned tail of an `O_DIRECT` file is one such case
    /// (the tail then goes by `sendfile`), as is a splice whose destination refuses the bytes
    /// already in its pipe (they go by the buffered path). [`kernel_bytes`](Report::kernel_bytes)
    /// and [`user_bytes`](Report::user_bytes) say how the bytes split.
    pub fn fallback(&self) -> Option<CopyPath> {
        self.fallback
    }

    /// Bytes moved inside the kernel (sendfile, splice, copy_file_range).
    pub fn kernel_bytes(&self) -> u64 {
        self.kernel_bytes
    }

    /// Bytes that went through user space: a buffered reader's leftovers, a `WriterTo`, a
    /// `ReaderFrom`, or the buffered path.
    pub fn user_bytes(&self) -> u64 {
        self.bytes - self.kernel_bytes
    }

    /// Kernel steps whose file range was not in the page cache and was read off the executor
    /// thread, on the runtime's blocking pool, before the step sent it (see
    /// [`CopyOptions::disk_off_thread`]). 0 for a copy whose source was resident.
    pub fn disk_wait_steps(&self) -> u64 {
        self.disk_steps
    }

    /// The bytes of those steps' ranges: what waited for the disk off the executor thread.
    pub fn disk_wait_bytes(&self) -> u64 {
        self.disk_bytes
    }

    /// Bytes of kernel steps that found their file range not in the page cache and read it
    /// on the executor thread, because the runtime marker has no blocking facility
    /// ([`Runtime::spawn_blocking`]'s default, as [`Neutral`](crate::Neutral)). 0 when the
    /// behaviour is off ([`CopyOptions::disk_off_thread`]`(false)`): nothing is checked then.
    pub fn cold_inline_bytes(&self) -> u64 {
        self.cold_inline_bytes
    }
}

/// The error of a failed copy: the cause, untouched, and what was delivered before it (Go's
/// `(n, err)`).
///
/// [`copy`] and [`copy_bidirectional`](crate::copy_bidirectional) return the cause itself, as
/// `tokio::io::copy` does: the same [`kind`](io::Error::kind),
/// [`raw_os_error`](io::Error::raw_os_error) and `Display`. [`copy_report`], [`copy_strict`],
/// [`CopyOptions::copy`] and [`copy_bidirectional_report`](crate::copy_bidirectional_report)
/// return this type, which adds the count. It converts into the cause with `?` in a function
/// that returns `io::Result`, and it displays as the cause (its
/// [`source`](StdError::source) is the cause's), so a log line is the same either way.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let mut src: &[u8] = b"hello";
/// let mut dst = zc_traits::FuturesIo::new(FailAfter(3));
/// let err = zc_traits::copy_report::<zc_traits::Neutral, _, _>(&mut src, &mut dst)
///     .await
///     .unwrap_err();
/// assert_eq!(err.delivered(), 3);
/// assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
/// let err: std::io::Error = err.into(); // the cause, as `zc::copy` returns it
/// assert_eq!(err.raw_os_error(), Some(32));
/// # });
/// # struct FailAfter(usize);
/// # impl futures_io::AsyncWrite for FailAfter {
/// #     fn poll_write(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>, b: &[u8]) -> std::task::Poll<std::io::Result<usize>> {
/// #         if self.0 == 0 { return std::task::Poll::Ready(Err(std::io::Error::from_raw_os_error(32))); }
/// #         let n = b.len().min(self.0); self.0 -= n; std::task::Poll::Ready(Ok(n))
/// #     }
/// #     fn poll_flush(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> { std::task::Poll::Ready(Ok(())) }
/// #     fn poll_close(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> { std::task::Poll::Ready(Ok(())) }
/// # }
/// ```
#[derive(Debug)]
pub struct CopyError {
    error: io::Error,
    report: Report,
}

impl CopyError {
    pub(crate) fn new(error: io::Error, report: Report) -> CopyError {
        CopyError { error, report }
    }

    /// Bytes that reached the destination before the error.
    pub fn delivered(&self) -> u64 {
        self.report.bytes
    }

    /// What the copy had done when it failed: the count and the path.
    pub fn report(&self) -> Report {
        self.report
    }

    /// The cause, as `zc::copy` returns it.
    pub fn error(&self) -> &io::Error {
        &self.error
    }

    /// The cause's kind (`self.error().kind()`).
    pub fn kind(&self) -> io::ErrorKind {
        self.error.kind()
    }

    /// The cause, by value.
    pub fn into_error(self) -> io::Error {
        self.error
    }
}

/// The cause's own text: the count is in [`CopyError::delivered`], not in the message.
impl fmt::Display for CopyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

/// Transparent: the source is the cause's source (the cause is not repeated in a chain).
impl StdError for CopyError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.error.source()
    }
}

/// The cause, untouched: `copy_report(..).await?` in a function returning `io::Result`.
impl From<CopyError> for io::Error {
    fn from(err: CopyError) -> io::Error {
        err.error
    }
}

/// How a copy runs: strictness, fairness and the buffered path's buffer.
///
/// # Examples
///
/// Demand zero-copy: the copy fails with `ErrorKind::Unsupported` instead of falling back.
///
/// ```
/// # futures_lite::future::block_on(async {
/// let mut src: &[u8] = b"bytes in memory have no kernel object";
/// let mut dst = Vec::new();
/// let err = zc_traits::CopyOptions::new()
///     .strict(true)
///     .copy::<zc_traits::Neutral, _, _>(&mut src, &mut dst)
///     .await
///     .unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::Unsupported);
/// assert!(dst.is_empty());
/// # });
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CopyOptions {
    strict: bool,
    max_per_poll: u64,
    buffer_size: usize,
    /// The relay's splice-auto: a socket/pipe → socket/pipe copy starts buffered and moves to
    /// splice once it streams.
    splice_auto: bool,
    disk_off_thread: bool,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions::new()
    }
}

impl CopyOptions {
    /// The defaults: not strict, [`DEFAULT_MAX_PER_POLL`], [`DEFAULT_BUFFER_SIZE`], disk
    /// reads off the executor thread.
    pub const fn new() -> Self {
        CopyOptions {
            strict: false,
            max_per_poll: DEFAULT_MAX_PER_POLL,
            buffer_size: DEFAULT_BUFFER_SIZE,
            splice_auto: false,
            disk_off_thread: true,
        }
    }

    /// With `true` (the default), a kernel step from a regular file first checks, without
    /// blocking, that its range is in the page cache (one `preadv2(RWF_NOWAIT)` of a byte);
    /// a range that is not is read on the runtime's blocking pool
    /// ([`Runtime::spawn_blocking`]) while the executor runs other tasks, and then sent
    /// zero-copy. [`Report::disk_wait_steps`] counts those steps. See the
    /// [`cold`](crate::cold) module for the design and its costs.
    ///
    /// With `false`, no check: every step runs on the executor thread and waits there for the
    /// disk if it must (zc's behaviour before), for callers that know their files are
    /// resident.
    pub const fn disk_off_thread(mut self, enabled: bool) -> Self {
        self.disk_off_thread = enabled;
        self
    }

    /// HAProxy's `splice-auto`, for the relay: a copy whose kernel path is a splice through
    /// a pipe (socket or pipe → socket or pipe) starts on the buffered path, where a small
    /// message costs one `read` and one `write`, and moves to splice after
    /// [`SPLICE_AUTO_FULL_READS`] reads that filled the buffer (the peer streams).
    /// The report's `kernel_bytes` / `user_bytes` tell which bytes went which way.
    pub(crate) const fn splice_auto(mut self, on: bool) -> Self {
        self.splice_auto = on;
        self
    }

    /// With `true`, the copy moves bytes only inside the kernel and fails with
    /// `ErrorKind::Unsupported` (saying why) where it would fall back to a user-space copy.
    /// This is the answer to Java's `transferTo`, which falls back silently.
    ///
    /// Bytes a buffered reader already holds in memory are still written first.
    pub const fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// The most bytes moved in one poll before the copy yields to the executor (at least 1).
    pub const fn max_per_poll(mut self, bytes: u64) -> Self {
        self.max_per_poll = if bytes == 0 { 1 } else { bytes };
        self
    }

    /// The buffered path's buffer size (at least 1).
    pub const fn buffer_size(mut self, bytes: usize) -> Self {
        self.buffer_size = if bytes == 0 { 1 } else { bytes };
        self
    }

    /// Copies `src` to `dst` with these options; see [`copy_report`](crate::copy_report).
    ///
    /// # Errors
    ///
    /// As [`copy_report`](crate::copy_report); in strict mode also `ErrorKind::Unsupported`
    /// when no kernel path fits the two ends.
    ///
    /// # Cancel safety
    ///
    /// As [`copy`](crate::copy).
    pub fn copy<'a, Rt, S, D>(
        &self,
        src: &'a mut S,
        dst: &'a mut D,
    ) -> CopyFuture<'a, S, D, Result<Report, CopyError>>
    where
        Rt: Runtime,
        S: Source<Rt> + ?Sized,
        D: Sink<Rt> + ?Sized,
    {
        copy_future(src, dst, *self, |result| result)
    }
}

/// Copies everything from `src` to `dst`, in the kernel when it can, and returns the bytes
/// delivered.
///
/// The order is Go's `io.Copy`: the source's [`WriterTo`](crate::endpoint::WriterTo), then the
/// destination's [`ReaderFrom`](crate::endpoint::ReaderFrom), then the kernel (`copy_file_range`,
/// `sendfile`, `splice`), then a buffered `read`/`write` loop. A faster path gives up only
/// before it has delivered a byte; the buffered path then continues exactly where it stopped.
/// The destination is flushed at the end, as `tokio::io::copy` does.
///
/// A file source is read from its current position, which advances by exactly the bytes that
/// reached the destination.
///
/// # Errors
///
/// The first error of either end, untouched, as `tokio::io::copy` returns it (same kind,
/// `raw_os_error` and message). The bytes delivered before it are in the [`CopyError`] of
/// [`copy_report`], which takes the same arguments.
///
/// # Cancel safety
///
/// Dropping the future stops the copy. Bytes delivered so far stay delivered, and a file
/// source's position equals the bytes that reached the destination, on every path (the
/// buffered path reads a file at its offset and moves the offset as bytes are written; the
/// same holds when the copy fails). Bytes already taken from a stream source (a socket, a
/// pipe, a buffered reader's buffer) and not yet delivered are lost: those in the buffered
/// path's buffer (as with `tokio::io::copy`) or inside a splice pipe, which is then closed
/// rather than reused.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let mut file = tempfile::tempfile()?;
/// std::io::Write::write_all(&mut file, b"hello")?;
/// std::io::Seek::rewind(&mut file)?;
/// let mut out = Vec::new();
/// let n = zc_traits::copy::<zc_traits::Neutral, _, _>(&mut file, &mut out).await?;
/// assert_eq!((n, &out[..]), (5, &b"hello"[..]));
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn copy<'a, Rt, S, D>(src: &'a mut S, dst: &'a mut D) -> CopyFuture<'a, S, D, io::Result<u64>>
where
    Rt: Runtime,
    S: Source<Rt> + ?Sized,
    D: Sink<Rt> + ?Sized,
{
    copy_future(src, dst, CopyOptions::new(), |result| {
        result.map(|report| report.bytes()).map_err(io::Error::from)
    })
}

/// [`copy`], returning a [`Report`] that says which path moved the bytes.
///
/// # Errors
///
/// A [`CopyError`]: the error [`copy`] would return, and the [`Report`] of what was done
/// before it ([`CopyError::delivered`], Go's `(n, err)`). `?` turns it back into that
/// `io::Error`.
///
/// # Cancel safety
///
/// As [`copy`].
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// let mut src = tempfile::tempfile()?;
/// std::io::Write::write_all(&mut src, &[7u8; 10_000])?;
/// std::io::Seek::rewind(&mut src)?;
/// let mut dst = tempfile::tempfile()?;
/// let report = zc_traits::copy_report::<zc_traits::Neutral, _, _>(&mut src, &mut dst).await?;
/// assert_eq!(report.bytes(), 10_000);
/// assert!(report.path().is_zero_copy()); // copy_file_range on Linux
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn copy_report<'a, Rt, S, D>(
    src: &'a mut S,
    dst: &'a mut D,
) -> CopyFuture<'a, S, D, Result<Report, CopyError>>
where
    Rt: Runtime,
    S: Source<Rt> + ?Sized,
    D: Sink<Rt> + ?Sized,
{
    copy_future(src, dst, CopyOptions::new(), |result| result)
}

/// [`copy_report`] in strict mode: only kernel paths, else `ErrorKind::Unsupported`.
///
/// # Errors
///
/// As [`copy_report`], and `ErrorKind::Unsupported` (before any byte moved) when no kernel
/// path fits the two ends, with the reason in the message.
///
/// # Cancel safety
///
/// As [`copy`].
pub fn copy_strict<'a, Rt, S, D>(
    src: &'a mut S,
    dst: &'a mut D,
) -> CopyFuture<'a, S, D, Result<Report, CopyError>>
where
    Rt: Runtime,
    S: Source<Rt> + ?Sized,
    D: Sink<Rt> + ?Sized,
{
    copy_future(src, dst, CopyOptions::new().strict(true), |result| result)
}

/// The future of [`copy`] (its output `T` is `io::Result<u64>`), and of [`copy_report`],
/// [`copy_strict`] and [`CopyOptions::copy`] (`T` is `Result<Report, CopyError>`).
///
/// It holds the two ends by `&mut` and the copy's own state, so it is `Unpin`, and it is
/// `Send` when both ends are: a copy between two tokio streams can be `tokio::spawn`ed.
///
/// # Cancel safety
///
/// As [`copy`].
#[must_use = "futures do nothing unless polled"]
pub struct CopyFuture<'a, S: ?Sized, D: ?Sized, T> {
    src: &'a mut S,
    dst: &'a mut D,
    state: CopyState,
    // `CopyState::poll_copy` for the `Rt` the ends were checked against. Choosing it where the
    // future is made leaves the `Future` impl without trait bounds, so an end that is not a
    // zc endpoint is reported once, at the argument, and not again at the call and `.await`.
    poll: PollCopy<S, D>,
    output: fn(Result<Report, CopyError>) -> T,
}

type PollCopy<S, D> =
    fn(&mut CopyState, &mut Context<'_>, &mut S, &mut D) -> Poll<Result<Report, CopyError>>;

// A free function rather than `CopyFuture::new`, so that rustc's "use the `new` associated
// function" hint never points a user at it.
fn copy_future<'a, Rt, S, D, T>(
    src: &'a mut S,
    dst: &'a mut D,
    opts: CopyOptions,
    output: fn(Result<Report, CopyError>) -> T,
) -> CopyFuture<'a, S, D, T>
where
    Rt: Runtime,
    S: Source<Rt> + ?Sized,
    D: Sink<Rt> + ?Sized,
{
    CopyFuture {
        src,
        dst,
        state: CopyState::new(opts),
        poll: CopyState::poll_copy::<Rt, S, D>,
        output,
    }
}

impl<S: ?Sized, D: ?Sized, T> Future for CopyFuture<'_, S, D, T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let result = ready!((this.poll)(&mut this.state, cx, this.src, this.dst));
        Poll::Ready((this.output)(result))
    }
}

// Only `&mut` references and owned state: nothing is pinned.
impl<S: ?Sized, D: ?Sized, T> Unpin for CopyFuture<'_, S, D, T> {}

impl<S: ?Sized, D: ?Sized, T> fmt::Debug for CopyFuture<'_, S, D, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CopyFuture")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
enum Stage {
    WriterTo,
    ReaderFrom,
    Prepare,
    Drain,
    Kernel,
    Buffered,
    Flush,
    Done,
}

/// `Interrupted` means "try again" (a signal arrived): std's `io::copy` retries it, and so do
/// zc's user-space paths, on the next poll, so an end that keeps failing cannot spin inside
/// one poll and a copy never fails or loses a byte because of it.
pub(crate) fn interrupted_is_pending<T>(
    poll: Poll<io::Result<T>>,
    cx: &mut Context<'_>,
) -> Poll<io::Result<T>> {
    match poll {
        Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        other => other,
    }
}

/// Reads that filled the buffer after which a splice-auto copy moves to splice.
pub(crate) const SPLICE_AUTO_FULL_READS: u32 = 2;

/// Records that `path` moved bytes (or ended the copy): the first such path is the copy's
/// main path, a different later one its fallback.
fn took(main: &mut Option<CopyPath>, fallback: &mut Option<CopyPath>, path: CopyPath) {
    match *main {
        None => *main = Some(path),
        Some(first) if first != path => *fallback = Some(path),
        Some(_) => {}
    }
}

/// Whether the (prepared) source is a regular file read at its own fd offset.
fn is_file_at_offset<Rt, S: Source<Rt> + ?Sized>(src: &mut S) -> bool {
    matches!(src.raw_source(), Some(RawEnd::Direct(fd) | RawEnd::File(fd)) if sys::kind(fd) == sys::Kind::RegularFile)
}

/// Runs `op` on a file source's fd.
fn on_file_fd<Rt, S: Source<Rt> + ?Sized, T>(
    src: &mut S,
    op: impl FnOnce(BorrowedFd<'_>) -> io::Result<T>,
) -> io::Result<T> {
    match src.raw_source() {
        Some(RawEnd::Direct(fd) | RawEnd::File(fd)) => op(fd),
        _ => Err(io::Error::other(
            "zc: a file source stopped answering raw_source mid-copy",
        )),
    }
}

/// Whether the (prepared) destination is a regular file written at its own fd offset.
fn is_file_sink<Rt, D: Sink<Rt> + ?Sized>(dst: &mut D) -> bool {
    matches!(dst.raw_sink(), Some(RawEnd::Direct(fd) | RawEnd::File(fd)) if sys::kind(fd) == sys::Kind::RegularFile)
}

/// Runs `op` on a file destination's fd.
fn on_file_sink_fd<Rt, D: Sink<Rt> + ?Sized, T>(
    dst: &mut D,
    op: impl FnOnce(BorrowedFd<'_>) -> io::Result<T>,
) -> io::Result<T> {
    match dst.raw_sink() {
        Some(RawEnd::Direct(fd) | RawEnd::File(fd)) => op(fd),
        _ => Err(io::Error::other(
            "zc: a file destination stopped answering raw_sink mid-copy",
        )),
    }
}

/// A file destination as [`WriterTo`](crate::endpoint::WriterTo) sees it: written with `write(2)` on its
/// fd (after `poll_prepare_sink`), not through its own `poll_write`. A runtime's file accepts
/// bytes into a write-behind buffer and reports the error of writing them on a later call, so
/// a count of bytes it accepted is not a count of bytes delivered; a write on the fd is.
struct FileSink<'a, D: ?Sized>(&'a mut D);

impl<Rt, D: Sink<Rt> + ?Sized> Sink<Rt> for FileSink<'_, D> {
    fn poll_write(&mut self, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(on_file_sink_fd(self.0, |fd| sys::write_at_offset(fd, buf)))
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_flush(cx)
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_shutdown(cx)
    }

    fn poll_prepare_sink(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_prepare_sink(cx)
    }

    fn raw_sink(&mut self) -> Option<RawEnd<'_, Rt>> {
        self.0.raw_sink()
    }
}

/// Reads a file source at its fd offset without moving it, within the source's limit.
/// `Ok(0)` is the end: of the limit, or of the file (then `advance` may refuse it).
fn read_at_offset<Rt, S: Source<Rt> + ?Sized>(src: &mut S, buf: &mut [u8]) -> io::Result<usize> {
    let max = src.limit().map_or(buf.len(), |l| {
        buf.len().min(l.try_into().unwrap_or(usize::MAX))
    });
    if max == 0 {
        return Ok(0);
    }
    let n = on_file_fd(src, |fd| sys::read_at_offset(fd, &mut buf[..max]))?;
    if n == 0 {
        src.advance(0, true)?;
    }
    Ok(n)
}

/// One copy direction's state; the ends are passed in on every poll, so a relay can run two
/// of them over the same pair of streams.
#[derive(Debug)]
pub(crate) struct CopyState {
    opts: CopyOptions,
    stage: Stage,
    progress: Progress,
    kernel_bytes: u64,
    path: Option<CopyPath>,
    /// A later path that took over after `path` had moved bytes (see `Report::fallback`).
    fallback: Option<CopyPath>,
    /// Splice-auto: the kernel stage is ready and waits for the copy to stream; the count of
    /// reads that filled the buffer.
    splice_later: Option<u32>,
    kernel: Option<Kernel>,
    /// Why the kernel path is out, for strict mode's error.
    declined: Option<String>,
    buf: Vec<u8>,
    pos: usize,
    cap: usize,
    read_done: bool,
    need_flush: bool,
    /// The source is a regular file read at its fd offset: the buffered path reads it with
    /// `pread` and moves the offset only past bytes that reached the destination, so its
    /// position stays exact when the copy fails or is dropped.
    file_src: bool,
    /// `buf[pos..cap]` came from `file_src`'s fd and its offset has not passed them yet.
    buf_at_offset: bool,
    /// The destination is a regular file written at its fd offset: every user-space write
    /// (the buffered path, a buffered reader's drain, a `WriterTo` through `FileSink`) goes
    /// to its fd, so a failed write is never counted as delivered (a runtime's file accepts
    /// bytes into its own buffer and reports the error of writing them later).
    file_dst: bool,
    /// The runtime's blocking facility, for file ranges not in the page cache.
    spawn: Spawn,
}

/// Before the first poll names the runtime: no blocking facility.
fn no_spawn(job: BlockingJob) -> Result<(), BlockingJob> {
    Err(job)
}

impl CopyState {
    pub(crate) fn new(opts: CopyOptions) -> CopyState {
        CopyState {
            opts,
            stage: Stage::WriterTo,
            progress: Progress::new(opts.max_per_poll),
            kernel_bytes: 0,
            path: None,
            fallback: None,
            splice_later: None,
            kernel: None,
            declined: None,
            buf: Vec::new(),
            pos: 0,
            cap: 0,
            read_done: false,
            need_flush: false,
            file_src: false,
            buf_at_offset: false,
            file_dst: false,
            spawn: no_spawn,
        }
    }

    fn report(&self) -> Report {
        let cold = self.kernel.as_ref().and_then(|k| k.cold.as_ref());
        Report {
            bytes: self.progress.delivered(),
            kernel_bytes: self.kernel_bytes,
            path: self.path.unwrap_or(CopyPath::Buffered),
            fallback: self.fallback,
            disk_steps: cold.map_or(0, |c| c.steps),
            disk_bytes: cold.map_or(0, |c| c.bytes),
            cold_inline_bytes: cold.map_or(0, |c| c.inline_bytes),
        }
    }

    fn fail(&mut self, error: io::Error) -> CopyError {
        self.stage = Stage::Done;
        if let Some(kernel) = &mut self.kernel {
            kernel.release();
        }
        CopyError::new(error, self.report())
    }

    /// Leaves the kernel stage for the buffered one, or fails in strict mode.
    fn fall_back(&mut self, reason: String) -> io::Result<()> {
        if self.opts.strict && self.cap == self.pos {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("zc strict copy: no zero-copy path: {reason}"),
            ));
        }
        self.declined = Some(reason);
        self.stage = Stage::Buffered;
        Ok(())
    }

    pub(crate) fn poll_copy<Rt, S, D>(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut S,
        dst: &mut D,
    ) -> Poll<Result<Report, CopyError>>
    where
        Rt: Runtime,
        S: Source<Rt> + ?Sized,
        D: Sink<Rt> + ?Sized,
    {
        // A copy whose ends are always ready never returns `Pending` by itself: take part in
        // the runtime's budget, so a loop of copies yields too (tokio's copy does the same).
        let permit = ready!(Rt::poll_proceed(cx));
        self.spawn = Rt::spawn_blocking;
        self.progress.refill(self.opts.max_per_poll);
        let before = self.progress.delivered();
        let poll = self.poll_stages(cx, src, dst);
        if poll.is_ready() || self.progress.delivered() > before {
            permit.made_progress();
        }
        match poll {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(self.report())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(self.fail(e))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_stages<Rt, S, D>(
        &mut self,
        cx: &mut Context<'_>,
        mut src: &mut S,
        mut dst: &mut D,
    ) -> Poll<io::Result<()>>
    where
        S: Source<Rt> + ?Sized,
        D: Sink<Rt> + ?Sized,
    {
        loop {
            match self.stage {
                Stage::WriterTo => {
                    // Strict mode wants the kernel, and WriterTo/ReaderFrom run in user space.
                    if self.opts.strict || src.writer_to().is_none() {
                        self.stage = Stage::ReaderFrom;
                        continue;
                    }
                    if !self.file_dst
                        && matches!(dst.raw_sink(), Some(RawEnd::Direct(_) | RawEnd::File(_)))
                    {
                        // A file destination is written at its fd, so that only bytes that
                        // reached it count (see `FileSink`).
                        ready!(dst.poll_prepare_sink(cx))?;
                        self.file_dst = is_file_sink(dst);
                    }
                    let Some(writer) = src.writer_to() else {
                        unreachable!("the source answered writer_to just above");
                    };
                    let handoff = if self.file_dst {
                        let mut sink = FileSink(&mut dst);
                        ready!(writer.poll_write_to(cx, &mut sink, &mut self.progress))?
                    } else {
                        ready!(writer.poll_write_to(cx, &mut dst, &mut self.progress))?
                    };
                    self.stage = self.after_handoff(handoff, CopyPath::WriterTo, Stage::ReaderFrom);
                }
                Stage::ReaderFrom => {
                    let reader = if self.opts.strict {
                        None
                    } else {
                        dst.reader_from()
                    };
                    let Some(reader) = reader else {
                        self.stage = Stage::Prepare;
                        continue;
                    };
                    let handoff = ready!(reader.poll_read_from(cx, &mut src, &mut self.progress))?;
                    self.stage = self.after_handoff(handoff, CopyPath::ReaderFrom, Stage::Prepare);
                }
                Stage::Prepare => {
                    if src.raw_source().is_none() {
                        // The buffered path writes a file destination at its fd offset.
                        if dst.raw_sink().is_some() {
                            ready!(dst.poll_prepare_sink(cx))?;
                            self.file_dst = is_file_sink(dst);
                        }
                        self.fall_back("the source has no kernel object (fd)".into())?;
                        continue;
                    }
                    if dst.raw_sink().is_none() {
                        // The buffered path reads a file source at its fd offset: prepare it.
                        ready!(src.poll_prepare_source(cx))?;
                        self.file_src = is_file_at_offset(src);
                        self.fall_back("the destination has no kernel object (fd)".into())?;
                        continue;
                    }
                    // A runtime's file may have a read or write in flight, or read-ahead
                    // buffered; its fd offset is right only after this.
                    ready!(src.poll_prepare_source(cx))?;
                    ready!(dst.poll_prepare_sink(cx))?;
                    let limit = src.limit();
                    let (Some(s), Some(d)) = (src.raw_source(), dst.raw_sink()) else {
                        self.fall_back("an end lost its kernel object while preparing".into())?;
                        continue;
                    };
                    // At most one fstat per end (none for an end whose type says its kind),
                    // shared by the same-file check, the plan choice and the source's size.
                    let ((src_kind, src_size), (dst_kind, _)) =
                        (kernel::end_kind(&s), kernel::end_kind(&d));
                    let kinds = (src_kind, dst_kind);
                    let both_files = kinds == (sys::Kind::RegularFile, sys::Kind::RegularFile);
                    if let Some(why) = both_files
                        .then(|| sys::same_file_refusal(s.fd(), d.fd(), limit))
                        .flatten()
                    {
                        // A copy that never ends, or one whose result is not a copy.
                        return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidInput, why)));
                    }
                    // A buffered reader's bytes go to a file at its fd, as the buffered path's.
                    self.file_dst = matches!(d, RawEnd::Direct(_) | RawEnd::File(_))
                        && kinds.1 == sys::Kind::RegularFile;
                    match kernel::plans(&s, &d, kinds) {
                        Ok((plans, src_kind, dst_kind)) => {
                            let kernel = Kernel::new(
                                plans,
                                src_kind,
                                dst_kind,
                                src_size,
                                self.opts.disk_off_thread.then_some(self.spawn),
                            );
                            let pooled = kernel.plan() == kernel::Plan::SplicePooled;
                            self.kernel = Some(kernel);
                            if self.opts.splice_auto && pooled && src.buffered().is_empty() {
                                // Small messages go buffered until the copy streams.
                                self.splice_later = Some(0);
                                self.stage = Stage::Buffered;
                            } else {
                                self.stage = Stage::Drain;
                            }
                        }
                        Err(reason) => {
                            self.file_src = is_file_at_offset(src);
                            self.file_dst = is_file_sink(dst);
                            self.fall_back(reason.into())?
                        }
                    }
                }
                Stage::Drain => {
                    // A buffered reader's bytes come before those still behind its fd.
                    loop {
                        let pending = src.buffered();
                        if pending.is_empty() {
                            break;
                        }
                        ready!(self.progress.poll_budget(cx));
                        let n = if self.file_dst {
                            on_file_sink_fd(dst, |fd| sys::write_at_offset(fd, pending))?
                        } else {
                            ready!(interrupted_is_pending(dst.poll_write(cx, pending), cx))?
                        };
                        if n == 0 {
                            return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                        }
                        src.consume_buffered(n);
                        self.progress.record(n as u64);
                        self.need_flush = true;
                    }
                    if self.need_flush {
                        // The kernel writes behind user-space buffers; push them out first.
                        ready!(dst.poll_flush(cx))?;
                        self.need_flush = false;
                    }
                    self.stage = Stage::Kernel;
                }
                Stage::Kernel => ready!(self.poll_kernel(cx, src, dst))?,
                Stage::Buffered => ready!(self.poll_buffered(cx, src, dst))?,
                Stage::Flush => {
                    ready!(interrupted_is_pending(dst.poll_flush(cx), cx))?;
                    if let Some(kernel) = &mut self.kernel {
                        kernel.release();
                    }
                    self.stage = Stage::Done;
                }
                Stage::Done => return Poll::Ready(Ok(())),
            }
        }
    }

    fn after_handoff(&mut self, handoff: Handoff, path: CopyPath, next: Stage) -> Stage {
        if self.progress.delivered() > 0 || handoff == Handoff::Finished {
            took(&mut self.path, &mut self.fallback, path);
        }
        match handoff {
            Handoff::Finished => Stage::Flush,
            Handoff::Fallback => next,
        }
    }

    fn poll_kernel<Rt, S, D>(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut S,
        dst: &mut D,
    ) -> Poll<io::Result<()>>
    where
        S: Source<Rt> + ?Sized,
        D: Sink<Rt> + ?Sized,
    {
        let Some(kernel) = &mut self.kernel else {
            unreachable!("the kernel stage starts after its plans are chosen");
        };
        loop {
            ready!(self.progress.poll_budget(cx));
            let left = src
                .limit()
                .map_or(u64::MAX, |l| l.saturating_sub(kernel.in_pipe() as u64));
            if left == 0 && kernel.in_pipe() == 0 {
                took(&mut self.path, &mut self.fallback, kernel.plan().path());
                self.stage = Stage::Flush;
                return Poll::Ready(Ok(()));
            }
            let want = left.min(self.progress.budget()).min(usize::MAX as u64) as usize;
            let (Some(s), Some(d)) = (src.raw_source(), dst.raw_sink()) else {
                return Poll::Ready(Err(io::Error::other(
                    "zc: an end stopped answering raw_source/raw_sink mid-copy",
                )));
            };
            let step = ready!(kernel.poll_step(cx, s, d, want.max(1)))?;
            match step {
                Step::Moved { taken, delivered } => {
                    took(&mut self.path, &mut self.fallback, kernel.plan().path());
                    if taken > 0 {
                        src.advance(taken, false)?;
                    }
                    self.kernel_bytes += delivered;
                    self.progress.record(delivered);
                }
                Step::Eof => {
                    src.advance(0, true)?;
                    took(&mut self.path, &mut self.fallback, kernel.plan().path());
                    self.stage = Stage::Flush;
                    return Poll::Ready(Ok(()));
                }
                // A plan that does not fit gives way to the next; after bytes moved, only a
                // hand-over leaves the kernel, and the buffered path continues.
                Step::Decline(_) if kernel.next_plan() => continue,
                Step::Decline(err) | Step::Handover(err) => {
                    if kernel.in_pipe() > 0 {
                        // The destination refused after the source gave bytes to the pipe:
                        // hand them to the buffered path so none is lost.
                        kernel.drain_pipe(&mut self.buf)?;
                        self.pos = 0;
                        self.cap = self.buf.len();
                    }
                    let reason = format!("{:?} declined: {err}", kernel.plan().path());
                    kernel.release();
                    self.file_src = self.cap == self.pos && is_file_at_offset(src);
                    self.file_dst = is_file_sink(dst);
                    self.fall_back(reason)?;
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }

    fn poll_buffered<Rt, S, D>(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut S,
        dst: &mut D,
    ) -> Poll<io::Result<()>>
    where
        S: Source<Rt> + ?Sized,
        D: Sink<Rt> + ?Sized,
    {
        loop {
            if self.pos == self.cap
                && !self.read_done
                && self.splice_later >= Some(SPLICE_AUTO_FULL_READS)
            {
                // The copy streams and the buffer is empty: splice from here on.
                self.splice_later = None;
                self.stage = Stage::Drain;
                return Poll::Ready(Ok(()));
            }
            if self.pos == self.cap && !self.read_done {
                if self.opts.strict {
                    // Only bytes the kernel path had already taken may pass through here.
                    let reason = self.declined.take().unwrap_or_default();
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::Unsupported,
                        format!("zc strict copy: no zero-copy path: {reason}"),
                    )));
                }
                ready!(self.progress.poll_budget(cx));
                // An `O_DIRECT` file is read into block-aligned memory only: the buffer
                // starts at a page boundary inside `buf`.
                let len = self.opts.buffer_size;
                if self.buf.len() < len + PAGE {
                    self.buf.resize(len + PAGE, 0);
                }
                let start = self.buf.as_ptr().align_offset(PAGE).min(PAGE);
                let window = &mut self.buf[start..start + len];
                // A buffered reader's bytes first; then a file is read at its offset, which
                // moves on as the bytes are written below.
                self.buf_at_offset = self.file_src && src.buffered().is_empty();
                let read = if self.buf_at_offset {
                    Poll::Ready(read_at_offset(src, window))
                } else {
                    interrupted_is_pending(src.poll_read(cx, window), cx)
                };
                match read {
                    Poll::Ready(Ok(0)) => self.read_done = true,
                    Poll::Ready(Ok(n)) => {
                        self.pos = start;
                        self.cap = start + n;
                        if let Some(full) = &mut self.splice_later {
                            *full += u32::from(n == len);
                        }
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => {
                        // Nothing to read now: push out what the destination buffers, so the
                        // peer sees the bytes while this copy waits (tokio's copy does too).
                        if self.need_flush {
                            ready!(dst.poll_flush(cx))?;
                            self.need_flush = false;
                        }
                        return Poll::Pending;
                    }
                }
            }
            while self.pos < self.cap {
                let n = if self.file_dst {
                    let chunk = &self.buf[self.pos..self.cap];
                    on_file_sink_fd(dst, |fd| sys::write_at_offset(fd, chunk))?
                } else {
                    ready!(interrupted_is_pending(
                        dst.poll_write(cx, &self.buf[self.pos..self.cap]),
                        cx
                    ))?
                };
                if n == 0 {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "write zero bytes into the destination",
                    )));
                }
                if self.buf_at_offset {
                    on_file_fd(src, |fd| sys::skip(fd, n as u64))?;
                    src.advance(n as u64, false)?;
                }
                self.pos += n;
                self.progress.record(n as u64);
                self.need_flush = true;
                if self.splice_later.is_none() {
                    took(&mut self.path, &mut self.fallback, CopyPath::Buffered);
                }
            }
            if self.read_done {
                if self.path.is_none() {
                    self.path = Some(CopyPath::Buffered);
                }
                self.stage = Stage::Flush;
                return Poll::Ready(Ok(()));
            }
        }
    }
}
