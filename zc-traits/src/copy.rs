//! The entry points, [`copy`], [`copy_report`], [`copy_strict`] and [`CopyOptions::copy`], and
//! their future, [`CopyFuture`]: Go's `io.Copy` order over the endpoint traits. The future
//! holds the two ends and a `CopyState` (in `state.rs`), the state machine that runs the
//! paths in order.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::coop::Runtime;
use crate::endpoint::traits::{Sink, Source};
use crate::options::CopyOptions;
use crate::report::{CopyError, Report};
use crate::state::CopyState;

impl CopyOptions {
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
/// A file copied onto itself gives the answer `tokio::io::copy` gives. Through one open file
/// description (a `try_clone` or `dup` of one file on both ends, so one offset), the copy is
/// a `read`/`write` loop of 8 KiB chunks, the runtimes' own copies' buffer: each chunk is
/// written after itself (`hello world!` becomes `hello world!hello world!`, and the count is
/// 12). Two opens of one file copy as any two files do, unless the copy would read back its
/// own output and never end (see Errors).
///
/// `sendfile` from a file into a pipe or a socket passes the file's pages on, not copies of
/// them: bytes written into the file's range after the copy returned, while the pages still
/// wait in the pipe or the socket's send queue, can reach the reader (see
/// [`RawEnd`](crate::endpoint::RawEnd), "A file written after the copy returned").
///
/// # Errors
///
/// The first error of either end, untouched, as `tokio::io::copy` returns it (same kind,
/// `raw_os_error` and message). The bytes delivered before it are in the [`CopyError`] of
/// [`copy_report`], which takes the same arguments.
///
/// `ErrorKind::InvalidInput`, before any byte and with the file untouched, for a copy of a
/// file onto itself through two opens that would never end: a destination seeked past the
/// source's position, or opened with `O_APPEND`, inside the bytes still to read (the copy
/// would read back what it wrote, and grow the file until the disk is full; GNU `cat`
/// refuses the same). The message says which.
///
/// # Cancel safety
///
/// Dropping the future stops the copy. Bytes delivered so far stay delivered, and a file
/// source's position equals the bytes that reached the destination, on every path (the
/// buffered path reads a file at its offset and moves the offset as bytes are written; the
/// same holds when the copy fails), except for a file copied onto itself through one shared
/// offset, which is where the `read`/`write` loop left it. Bytes already taken from a stream source (a socket, a
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
