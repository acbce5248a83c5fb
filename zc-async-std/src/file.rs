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
use futures_lite::AsyncSeek;
use zc_traits::adapter::RuntimeFile;
use zc_traits::endpoint::{Sink, Source};

use crate::AsyncStd;

/// Empties async-std's caches and brings the fd offset to the logical position.
///
/// Idempotent, as the copy requires of `poll_prepare_*`: the logical position does not move
/// while the caches are dropped or flushed, so a call after `Pending` asks for the same
/// position, and a file already in sync costs two `lseek`s.
impl RuntimeFile<AsyncStd> for File {
    fn poll_sync_position(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Waits for an operation in flight (async-std's file lock), then reports the logical
        // position without moving anything.
        let logical = match ready!(Pin::new(&mut *self).poll_seek(cx, SeekFrom::Current(0))) {
            Ok(logical) => logical,
            // A FIFO or a terminal opened as a `File`: no position to bring anywhere (and
            // the caches untouched). It takes the buffered path, through async-std's own
            // reads and writes.
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::SPIPE.raw_os_error()) => {
                return Poll::Ready(Ok(()))
            }
            Err(e) => return Poll::Ready(Err(e)),
        };
        let offset = rustix::fs::tell(self.as_fd())?;
        if offset != logical {
            ready!(Pin::new(&mut *self).poll_seek(cx, SeekFrom::Start(logical)))?;
        }
        Poll::Ready(Ok(()))
    }
}

/// An async-std file is read from its logical position (cached read-ahead included), with
/// `sendfile(2)` or `copy_file_range(2)`; the position advances by exactly the bytes
/// delivered.
///
/// # Caveats
///
/// The kernel path runs on the executor thread, as a read of a page-cache hit would; only
/// regular files take it, so a FIFO or a device opened as a `File` keeps the blocking pool.
/// Another handle to the same fd must not move the offset during the copy.
impl Source<AsyncStd> for File {
    zc_traits::__runtime_file!(source, AsyncStd, futures_io);
}

/// An async-std file is written at its logical position after its cached writes are
/// flushed, with `copy_file_range(2)` from a file and `splice(2)` from a socket or pipe.
///
/// [`Sink::poll_shutdown`] flushes (async-std's own `poll_close` does nothing): a file has no
/// write side to shut down.
///
/// # Caveats
///
/// As for the [`Source`] impl. An `O_APPEND` file takes the buffered path (the kernel calls
/// refuse it).
impl Sink<AsyncStd> for File {
    zc_traits::__runtime_file!(sink, AsyncStd, futures_io);
}
