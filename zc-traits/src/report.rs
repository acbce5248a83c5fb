//! What a copy did: the path that moved its bytes ([`CopyPath`]), the [`Report`] of a copy
//! that ended, and the [`CopyError`] of one that failed, with the bytes delivered before it.

use std::error::Error as StdError;
use std::fmt;
use std::io;

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
    pub(crate) bytes: u64,
    pub(crate) kernel_bytes: u64,
    pub(crate) path: CopyPath,
    pub(crate) fallback: Option<CopyPath>,
    pub(crate) disk_steps: u64,
    pub(crate) disk_bytes: u64,
    pub(crate) cold_inline_bytes: u64,
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
    /// [`CopyOptions::disk_off_thread`](crate::CopyOptions::disk_off_thread)). 0 for a copy whose source was resident.
    pub fn disk_wait_steps(&self) -> u64 {
        self.disk_steps
    }

    /// The bytes of those steps' ranges: what waited for the disk off the executor thread.
    pub fn disk_wait_bytes(&self) -> u64 {
        self.disk_bytes
    }

    /// Bytes of kernel steps that found their file range not in the page cache and read it
    /// on the executor thread, because the runtime marker has no blocking facility
    /// ([`Runtime::spawn_blocking`](crate::Runtime::spawn_blocking)'s default, as [`Neutral`](crate::Neutral)). 0 when the
    /// behaviour is off ([`CopyOptions::disk_off_thread`](crate::CopyOptions::disk_off_thread)`(false)`): nothing is checked then.
    pub fn cold_inline_bytes(&self) -> u64 {
        self.cold_inline_bytes
    }
}

/// The error of a failed copy: the cause, untouched, and what was delivered before it (Go's
/// `(n, err)`).
///
/// [`copy`](fn@crate::copy) and [`copy_bidirectional`](crate::copy_bidirectional) return the cause itself, as
/// `tokio::io::copy` does: the same [`kind`](io::Error::kind),
/// [`raw_os_error`](io::Error::raw_os_error) and `Display`. [`copy_report`](crate::copy_report), [`copy_strict`](crate::copy_strict),
/// [`CopyOptions::copy`](crate::CopyOptions::copy) and [`copy_bidirectional_report`](crate::copy_bidirectional_report)
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

/// The paths that moved a copy's bytes so far: the first is the copy's main path
/// ([`Report::path`]), a different later one its fallback ([`Report::fallback`]).
#[derive(Debug, Default)]
pub(crate) struct Paths {
    pub(crate) main: Option<CopyPath>,
    pub(crate) fallback: Option<CopyPath>,
}

impl Paths {
    /// Records that `path` moved bytes (or ended the copy).
    pub(crate) fn took(&mut self, path: CopyPath) {
        match self.main {
            None => self.main = Some(path),
            Some(first) if first != path => self.fallback = Some(path),
            Some(_) => {}
        }
    }

    /// Makes `path` the main path of a copy that has none yet (one that moved no byte).
    pub(crate) fn or_main(&mut self, path: CopyPath) {
        self.main.get_or_insert(path);
    }
}
