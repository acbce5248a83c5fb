//! Ends read and written at their fd offset. A file source on the buffered path is read with
//! `pread` and its offset moved only past bytes that reached the destination; a file
//! destination is written with `write(2)` on its fd rather than through its own `poll_write`
//! (see [`FileSink`]). Either way a count of bytes delivered is exact when the copy fails or
//! is dropped.

use std::io;
use std::os::fd::BorrowedFd;
use std::task::{Context, Poll};

use crate::endpoint::raw::RawEnd;
use crate::endpoint::traits::{Sink, Source};
use crate::sys;

/// Whether the (prepared) source is a regular file read at its own fd offset.
pub(crate) fn is_file_at_offset<Rt, S: Source<Rt> + ?Sized>(src: &mut S) -> bool {
    matches!(src.raw_source(), Some(RawEnd::Direct(fd) | RawEnd::File(fd)) if sys::kind(fd) == sys::Kind::RegularFile)
}

/// Runs `op` on a file source's fd.
pub(crate) fn on_file_fd<Rt, S: Source<Rt> + ?Sized, T>(
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
pub(crate) fn is_file_sink<Rt, D: Sink<Rt> + ?Sized>(dst: &mut D) -> bool {
    matches!(dst.raw_sink(), Some(RawEnd::Direct(fd) | RawEnd::File(fd)) if sys::kind(fd) == sys::Kind::RegularFile)
}

/// Runs `op` on a file destination's fd.
pub(crate) fn on_file_sink_fd<Rt, D: Sink<Rt> + ?Sized, T>(
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
pub(crate) struct FileSink<'a, D: ?Sized>(pub(crate) &'a mut D);

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
pub(crate) fn read_at_offset<Rt, S: Source<Rt> + ?Sized>(
    src: &mut S,
    buf: &mut [u8],
) -> io::Result<usize> {
    read_file(src, buf, sys::read_at_offset)
}

/// Reads a file source at its fd offset and moves the offset (and the source's limit) past
/// the bytes read, as a plain `read`/`write` loop does: for a source whose offset is also the
/// destination's (one open file description), where the write moves it too.
pub(crate) fn read_moving_offset<Rt, S: Source<Rt> + ?Sized>(
    src: &mut S,
    buf: &mut [u8],
) -> io::Result<usize> {
    let n = read_file(src, buf, sys::read_moving_offset)?;
    if n > 0 {
        src.advance(n as u64, false)?;
    }
    Ok(n)
}

/// One `read` of a file source's fd, within its limit; `Ok(0)` is its end, which the source
/// may refuse (`Limited::exact`).
fn read_file<Rt, S: Source<Rt> + ?Sized>(
    src: &mut S,
    buf: &mut [u8],
    read: fn(BorrowedFd<'_>, &mut [u8]) -> io::Result<usize>,
) -> io::Result<usize> {
    let max = src.limit().map_or(buf.len(), |l| {
        buf.len().min(l.try_into().unwrap_or(usize::MAX))
    });
    if max == 0 {
        return Ok(0);
    }
    let n = on_file_fd(src, |fd| read(fd, &mut buf[..max]))?;
    if n == 0 {
        src.advance(0, true)?;
    }
    Ok(n)
}
