//! `async_std::fs::File`: a blocking fd behind in-memory read and write caches.
//!
//! async-std runs file reads and writes on its blocking pool and keeps a cache: in read mode,
//! bytes read from the fd and not yet handed out (the fd offset is ahead of the logical
//! position); in write mode, bytes handed in and not yet written (the fd offset is behind).
//! `seek(SeekFrom::Current(0))` only reports the logical position, without touching either
//! cache; any other seek drops the read cache (moving the fd back over it), flushes the write
//! cache, and moves the fd. So before the kernel path touches the fd, the copy asks for the
//! logical position and, when the fd offset differs, seeks to it with `SeekFrom::Start`. The
//! kernel then reads or writes at the fd offset and advances it, so afterwards the file's
//! position is its start plus the bytes delivered, and async-std's next read, write or seek
//! (which work from the fd offset once the caches are empty) continues from there.

use std::io::{self, SeekFrom};
use std::os::fd::AsFd;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use async_std::fs::File;
use futures_lite::{AsyncRead, AsyncSeek, AsyncWrite};
use zc_traits::endpoint::{RawEnd, Sink, Source};

use crate::AsyncStd;

/// Empties async-std's caches and brings the fd offset to the logical position.
///
/// Idempotent, as the copy requires of `poll_prepare_*`: the logical position does not move
/// while the caches are dropped or flushed, so a call after `Pending` asks for the same
/// position, and a file already in sync costs two `lseek`s.
fn poll_sync_position(file: &mut File, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
    // Waits for an operation in flight (async-std's file lock), then reports the logical
    // position without moving anything.
    let logical = ready!(Pin::new(&mut *file).poll_seek(cx, SeekFrom::Current(0)))?;
    let offset = rustix::fs::tell(file.as_fd())?;
    if offset != logical {
        ready!(Pin::new(&mut *file).poll_seek(cx, SeekFrom::Start(logical)))?;
    }
    Poll::Ready(Ok(()))
}

/// An async-std file is read from its logical position (cached read-ahead included), with
/// `sendfile(2)` or `copy_file_range(2)`; the position advances by exactly the bytes delivered.
///
/// # Caveats
///
/// The kernel path runs on the executor thread, as a read of a page-cache hit would; only
/// regular files take it, so a FIFO or a device opened as a `File` keeps the blocking pool.
/// Another handle to the same fd must not move the offset during the copy.
impl Source<AsyncStd> for File {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        AsyncRead::poll_read(Pin::new(self), cx, buf)
    }

    fn poll_prepare_source(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        poll_sync_position(self, cx)
    }

    fn raw_source(&mut self) -> Option<RawEnd<'_, AsyncStd>> {
        Some(RawEnd::File(AsFd::as_fd(&*self)))
    }
}

/// An async-std file is written at its logical position after its cached writes are flushed,
/// with `copy_file_range(2)` from a file and `splice(2)` from a socket or pipe.
///
/// [`Sink::poll_shutdown`] flushes (async-std's own `poll_close` does nothing): a file has no
/// write side to shut down.
///
/// # Caveats
///
/// As for the [`Source`] impl. An `O_APPEND` file takes the buffered path (the kernel calls
/// refuse it).
impl Sink<AsyncStd> for File {
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
        // Cached writes must reach the fd before a kernel write lands after them, and their
        // error belongs to this copy.
        ready!(AsyncWrite::poll_flush(Pin::new(&mut *self), cx))?;
        poll_sync_position(self, cx)
    }

    fn raw_sink(&mut self) -> Option<RawEnd<'_, AsyncStd>> {
        Some(RawEnd::File(AsFd::as_fd(&*self)))
    }
}
