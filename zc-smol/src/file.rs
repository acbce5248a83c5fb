//! `async_fs::File` (`smol::fs::File`): a blocking fd behind a background-thread `Unblock`.
//!
//! async-fs runs reads and writes on the blocking pool through `blocking::Unblock`, which reads
//! ahead into a pipe and buffers writes; async-fs tracks the logical position of reads itself
//! (`read_pos`). Its fd offset is therefore the logical position only when no task is in
//! flight, no read-ahead is buffered and no write is pending. Before the kernel path touches
//! the fd, the copy flushes (a sink) and seeks with `SeekFrom::Current(0)`: async-fs first
//! repositions the fd to its `read_pos` (stopping the read-ahead task and dropping its
//! buffer), then `Unblock` stops whatever task is left (flushing writes) and runs the seek. The
//! kernel then reads or writes at the fd offset and advances it, so afterwards the file's
//! position is its start plus the bytes delivered, and async-fs's next read (which takes its
//! `read_pos` from the fd), write or seek continues from there.

use std::io::{self, SeekFrom};
use std::os::fd::AsFd;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use async_fs::File;
use futures_lite::{AsyncRead, AsyncSeek, AsyncWrite};
use zc_traits::endpoint::{RawEnd, Sink, Source};

use crate::Smol;

/// Stops async-fs's background task and brings the fd offset to the logical position.
fn poll_sync_position(file: &mut File, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
    ready!(Pin::new(file).poll_seek(cx, SeekFrom::Current(0)))?;
    Poll::Ready(Ok(()))
}

/// An async-fs file is read from its logical position (read-ahead included), with
/// `sendfile(2)` or `copy_file_range(2)`; the position advances by exactly the bytes delivered.
///
/// # Caveats
///
/// The kernel path runs on the executor thread, as a read of a page-cache hit would; only
/// regular files take it, so a FIFO or a device opened as a `File` keeps the blocking pool.
/// Another handle to the same fd (`try_clone` of the `std::fs::File` it was made from) must not
/// move the offset during the copy.
impl Source<Smol> for File {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        AsyncRead::poll_read(Pin::new(self), cx, buf)
    }

    fn poll_prepare_source(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        poll_sync_position(self, cx)
    }

    fn raw_source(&mut self) -> Option<RawEnd<'_, Smol>> {
        Some(RawEnd::File(AsFd::as_fd(&*self)))
    }
}

/// An async-fs file is written at its logical position after its pending writes are flushed,
/// with `copy_file_range(2)` from a file and `splice(2)` from a socket or pipe.
///
/// [`Sink::poll_shutdown`] flushes: a file has no write side to shut down, and async-fs's
/// `poll_close` would drop the handle its later operations need.
///
/// # Caveats
///
/// As for the [`Source`] impl. An `O_APPEND` file takes the buffered path (the kernel calls
/// refuse it).
impl Sink<Smol> for File {
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        AsyncWrite::poll_write(Pin::new(self), cx, buf)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        AsyncWrite::poll_flush(Pin::new(self), cx)
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        AsyncWrite::poll_flush(Pin::new(self), cx)
    }

    fn poll_prepare_sink(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // async-fs's `poll_write` returns before the bytes reach the fd; a kernel write must
        // land after them, and their error belongs to this copy.
        ready!(AsyncWrite::poll_flush(Pin::new(&mut *self), cx))?;
        poll_sync_position(self, cx)
    }

    fn raw_sink(&mut self) -> Option<RawEnd<'_, Smol>> {
        Some(RawEnd::File(AsFd::as_fd(&*self)))
    }
}
