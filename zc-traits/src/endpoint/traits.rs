//! The endpoint traits, [`Source`] and [`Sink`], and Go's two type-assertion questions,
//! [`WriterTo`] and [`ReaderFrom`], with the [`Progress`] and [`Handoff`] they report through.
//! They name one another (`Source::writer_to` returns a `WriterTo`, which writes into a
//! `Sink`), so they are written together.

use std::io;
use std::task::{Context, Poll};

use super::raw::RawEnd;

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

/// The count a `poll_read` into `len` bytes, or a `poll_write` of `len` bytes (`op`), returned:
/// an end that reports more than it was given broke its contract, and the bytes it counts do
/// not exist, so the copy fails with `InvalidData` rather than panicking on the slice or
/// delivering bytes that were never read (Go's `io.Copy` answers a writer that does this with
/// `errInvalidWrite`).
pub(crate) fn checked_count(n: usize, len: usize, op: &str) -> io::Result<usize> {
    if n <= len {
        return Ok(n);
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        format!("zc: an end's poll_{op} returned {n} bytes for a buffer of {len}"),
    ))
}

/// [`interrupted_is_pending`], then [`checked_count`] on the count.
pub(crate) fn poll_count(
    poll: Poll<io::Result<usize>>,
    len: usize,
    op: &str,
    cx: &mut Context<'_>,
) -> Poll<io::Result<usize>> {
    match interrupted_is_pending(poll, cx) {
        Poll::Ready(Ok(n)) => Poll::Ready(checked_count(n, len, op)),
        other => other,
    }
}

/// Bytes delivered so far by a copy, and the work it may still do in the current poll.
///
/// [`WriterTo`] and [`ReaderFrom`] implementations receive it, must
/// [`record`](Progress::record) every byte that reached the destination, and must stop and
/// yield when [`poll_budget`](Progress::poll_budget) says so. That keeps one long copy from
/// starving the other tasks of its executor thread (see [`CopyOptions::max_per_poll`]).
///
/// [`CopyOptions::max_per_poll`]: crate::CopyOptions::max_per_poll
#[derive(Debug)]
pub struct Progress {
    delivered: u64,
    budget: u64,
}

impl Progress {
    pub(crate) fn new(budget: u64) -> Self {
        Progress {
            delivered: 0,
            budget,
        }
    }

    pub(crate) fn refill(&mut self, budget: u64) {
        self.budget = budget;
    }

    /// Bytes that reached the destination so far, over every path.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Bytes the copy may still move in this poll before it yields.
    pub fn budget(&self) -> u64 {
        self.budget
    }

    /// Records `n` bytes that reached the destination.
    pub fn record(&mut self, n: u64) {
        self.delivered += n;
        self.budget = self.budget.saturating_sub(n);
    }

    /// `Poll::Ready(())` while budget is left; otherwise wakes the task and returns
    /// `Poll::Pending`, so the executor runs other tasks before this copy continues.
    pub fn poll_budget(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.budget > 0 {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// What a [`WriterTo`] or [`ReaderFrom`] did with the copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handoff {
    /// The source is exhausted and every byte reached the destination.
    Finished,
    /// This path stops here; the copy continues with the next path. When
    /// [`Progress::delivered`] is still 0 this is a plain "no" (Go's failed type assertion);
    /// otherwise the next path continues exactly after the bytes already delivered.
    Fallback,
}

/// Go's `io.WriterTo`: a source that knows how to write itself to any destination.
///
/// `&[u8]` implements it: it writes its bytes straight to the destination, with no
/// intermediate buffer.
///
/// # Implementation
///
/// * Record every byte that reached `dst` in `progress`; never count a byte twice or skip one.
/// * Check [`Progress::poll_budget`] in loops and return `Pending` when it does.
/// * Return `Pending` only with the waker registered (through `dst` or the budget).
/// * State that must survive between polls lives in `self`: the copy calls this method again
///   after `Pending`.
/// * On `Ready(Err)`, the bytes recorded in `progress` are those that reached `dst`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a zc `WriterTo` for runtime `{Rt}`",
    label = "does not implement `WriterTo<{Rt}>`"
)]
pub trait WriterTo<Rt> {
    /// Writes this source to `dst`, recording delivered bytes in `progress`.
    ///
    /// # Errors
    ///
    /// Errors of the source or of `dst`; the bytes delivered before them are in `progress`.
    fn poll_write_to(
        &mut self,
        cx: &mut Context<'_>,
        dst: &mut dyn Sink<Rt>,
        progress: &mut Progress,
    ) -> Poll<io::Result<Handoff>>;
}

/// Go's `io.ReaderFrom`: a destination that knows how to fill itself from any source.
///
/// `Vec<u8>` implements it: it reads straight into its spare capacity.
///
/// # Implementation
///
/// The same contract as [`WriterTo`], with the roles swapped.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a zc `ReaderFrom` for runtime `{Rt}`",
    label = "does not implement `ReaderFrom<{Rt}>`"
)]
pub trait ReaderFrom<Rt> {
    /// Reads `src` into this destination until EOF, recording delivered bytes in `progress`.
    ///
    /// # Errors
    ///
    /// Errors of `src` or of this destination; the bytes delivered before them are in
    /// `progress`.
    fn poll_read_from(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut dyn Source<Rt>,
        progress: &mut Progress,
    ) -> Poll<io::Result<Handoff>>;
}

/// The reading end of a copy.
///
/// Only [`poll_read`](Source::poll_read) is required: it is the byte-level path every source
/// supports and the buffered fallback uses. The other methods are Go's type-assertion
/// questions; their defaults answer "no".
///
/// # Implementation
///
/// * `poll_read` follows `futures_io::AsyncRead::poll_read`: `Ready(Ok(0))` is EOF (or an empty
///   `buf`), `Pending` registers the waker, and `WouldBlock`/`Interrupted` are never returned.
/// * A source that has a kernel object answers [`raw_source`](Source::raw_source), and, if the
///   object must be brought to a consistent state first (a runtime file with an operation in
///   flight or read-ahead buffered), does so in [`poll_prepare_source`](Source::poll_prepare_source).
///   After preparation, the fd's own file offset must be the source's logical position.
/// * A wrapper that holds bytes already read from its fd (a buffered reader) returns them from
///   [`buffered`](Source::buffered); the copy writes them before any kernel syscall and then
///   calls [`consume_buffered`](Source::consume_buffered).
/// * A wrapper that limits the copy answers [`limit`](Source::limit), counting down in
///   [`advance`](Source::advance), which the copy calls after every kernel syscall.
/// * Wrappers delegate every method they do not change to the value they wrap.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a zc source for runtime `{Rt}`",
    label = "not a zc source",
    note = "zc reads from `std::fs::File`, `&[u8]`, `zc::Limited`, `zc::BufReader`, and the files, \
            sockets and pipes of tokio, smol and async-std when zc's feature for that runtime is \
            enabled (`zc-copy = {{ features = [\"tokio\"] }}`)",
    note = "both ends of one copy belong to one runtime: `zc::Tokio`, `zc::Smol` or `zc::AsyncStd` \
            (`zc::Neutral` between std types)",
    note = "for the buffered path, wrap any other reader in `zc::FuturesIo` (a \
            `futures_io::AsyncRead`) or `zc::TokioBuffered` (a tokio `AsyncRead`), or implement \
            `zc::Source<Rt>` for it; read a `Vec<u8>` as `&mut &vec[..]`"
)]
pub trait Source<Rt> {
    /// Reads bytes into `buf`: the buffered path.
    ///
    /// # Errors
    ///
    /// I/O errors of the underlying object.
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;

    /// Go's `WriterTo` assertion. Default: `None`.
    fn writer_to(&mut self) -> Option<&mut dyn WriterTo<Rt>> {
        None
    }

    /// Brings the kernel object to the source's logical position before
    /// [`raw_source`](Source::raw_source) is used. Default: ready at once.
    ///
    /// # Errors
    ///
    /// Errors of operations that were still in flight, or of the seek.
    fn poll_prepare_source(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// The kernel object behind this source. Default: `None` (only the buffered path).
    ///
    /// A regular file's pages go into a pipe or a socket by reference, not copied: a write
    /// into the file after the copy returned can reach the reader ([`RawEnd`], "A file
    /// written after the copy returned").
    fn raw_source(&mut self) -> Option<RawEnd<'_, Rt>> {
        None
    }

    /// Bytes already read from the kernel object and not yet handed out. Default: none.
    fn buffered(&self) -> &[u8] {
        &[]
    }

    /// Marks `n` bytes of [`buffered`](Source::buffered) as delivered.
    fn consume_buffered(&mut self, _n: usize) {}

    /// The most bytes the kernel path may move from this source. Default: `None` (no limit).
    fn limit(&self) -> Option<u64> {
        None
    }

    /// Called after the kernel path took `n` bytes from the source; `eof` is true when the
    /// kernel reported end of file.
    ///
    /// # Errors
    ///
    /// A source may refuse an early end: [`Limited::exact`](crate::Limited::exact) returns
    /// `UnexpectedEof` when the kernel reports EOF before its limit was reached.
    fn advance(&mut self, _n: u64, _eof: bool) -> io::Result<()> {
        Ok(())
    }
}

/// The writing end of a copy.
///
/// Only the byte-level methods are required; the other methods are Go's type-assertion
/// questions, and their defaults answer "no".
///
/// # Implementation
///
/// * `poll_write`, `poll_flush` and `poll_shutdown` follow `futures_io::AsyncWrite`
///   (`poll_shutdown` is `poll_close`: it shuts the write side down, as a relay needs).
/// * A sink with a kernel object answers [`raw_sink`](Sink::raw_sink) and, if it buffers writes
///   in user space (a runtime file), flushes them and brings the fd to its logical position in
///   [`poll_prepare_sink`](Sink::poll_prepare_sink).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a zc sink for runtime `{Rt}`",
    label = "not a zc sink",
    note = "zc writes into `std::fs::File`, `Vec<u8>`, and the files, sockets and pipes of tokio, \
            smol and async-std when zc's feature for that runtime is enabled \
            (`zc-copy = {{ features = [\"tokio\"] }}`)",
    note = "both ends of one copy belong to one runtime: `zc::Tokio`, `zc::Smol` or `zc::AsyncStd` \
            (`zc::Neutral` between std types)",
    note = "for the buffered path, wrap any other writer in `zc::FuturesIo` (a \
            `futures_io::AsyncWrite`) or `zc::TokioBuffered` (a tokio `AsyncWrite`), or implement \
            `zc::Sink<Rt>` for it; a `&[u8]` is read-only: `zc::copy(&mut src, &mut dst)` copies \
            its first argument into its second"
)]
pub trait Sink<Rt> {
    /// Writes bytes from `buf`: the buffered path.
    ///
    /// # Errors
    ///
    /// I/O errors of the underlying object.
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;

    /// Flushes bytes buffered in user space.
    ///
    /// # Errors
    ///
    /// I/O errors of the underlying object.
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Flushes and shuts the write side down (a socket's `shutdown(SHUT_WR)`).
    ///
    /// # Errors
    ///
    /// I/O errors of the underlying object.
    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Go's `ReaderFrom` assertion. Default: `None`.
    fn reader_from(&mut self) -> Option<&mut dyn ReaderFrom<Rt>> {
        None
    }

    /// Flushes user-space buffers and brings the kernel object to the sink's logical position
    /// before [`raw_sink`](Sink::raw_sink) is used. Default: ready at once.
    ///
    /// # Errors
    ///
    /// Errors of the flush or the seek.
    fn poll_prepare_sink(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// The kernel object behind this sink. Default: `None` (only the buffered path).
    fn raw_sink(&mut self) -> Option<RawEnd<'_, Rt>> {
        None
    }
}

macro_rules! forward_source {
    () => {
        fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
            (**self).poll_read(cx, buf)
        }
        fn writer_to(&mut self) -> Option<&mut dyn WriterTo<Rt>> {
            (**self).writer_to()
        }
        fn poll_prepare_source(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            (**self).poll_prepare_source(cx)
        }
        fn raw_source(&mut self) -> Option<RawEnd<'_, Rt>> {
            (**self).raw_source()
        }
        fn buffered(&self) -> &[u8] {
            (**self).buffered()
        }
        fn consume_buffered(&mut self, n: usize) {
            (**self).consume_buffered(n)
        }
        fn limit(&self) -> Option<u64> {
            (**self).limit()
        }
        fn advance(&mut self, n: u64, eof: bool) -> io::Result<()> {
            (**self).advance(n, eof)
        }
    };
}

macro_rules! forward_sink {
    () => {
        fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            (**self).poll_write(cx, buf)
        }
        fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            (**self).poll_flush(cx)
        }
        fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            (**self).poll_shutdown(cx)
        }
        fn reader_from(&mut self) -> Option<&mut dyn ReaderFrom<Rt>> {
            (**self).reader_from()
        }
        fn poll_prepare_sink(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            (**self).poll_prepare_sink(cx)
        }
        fn raw_sink(&mut self) -> Option<RawEnd<'_, Rt>> {
            (**self).raw_sink()
        }
    };
}

// The forwarding impls are left out of diagnostics: a compile error names the endpoint type
// itself, and the "other types implement this trait" list shows endpoints, not `&mut _`.

#[diagnostic::do_not_recommend]
impl<Rt, S: Source<Rt> + ?Sized> Source<Rt> for &mut S {
    forward_source!();
}

#[diagnostic::do_not_recommend]
impl<Rt, S: Source<Rt> + ?Sized> Source<Rt> for Box<S> {
    forward_source!();
}

#[diagnostic::do_not_recommend]
impl<Rt, D: Sink<Rt> + ?Sized> Sink<Rt> for &mut D {
    forward_sink!();
}

#[diagnostic::do_not_recommend]
impl<Rt, D: Sink<Rt> + ?Sized> Sink<Rt> for Box<D> {
    forward_sink!();
}
