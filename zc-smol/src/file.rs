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
use futures_lite::AsyncSeek;
use zc_traits::adapter::RuntimeFile;
use zc_traits::endpoint::{Sink, Source};

use crate::Smol;

/// Stops async-fs's background task and brings the fd offset to the logical position.
///
/// A file that cannot seek (a FIFO or a terminal opened as a `File`) has no position to
/// bring anywhere, and is left alone: async-fs's seek would drop its read-ahead (bytes
/// already taken from a pipe) before the kernel refused it with `ESPIPE`. Such a file takes
/// the buffered path, through async-fs's own reads and writes.
impl RuntimeFile<Smol> for File {
    fn poll_sync_position(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match rustix::fs::tell(self.as_fd()) {
            Err(rustix::io::Errno::SPIPE) => return Poll::Ready(Ok(())),
            Err(e) => return Poll::Ready(Err(e.into())),
            Ok(_) => {}
        }
        ready!(Pin::new(self).poll_seek(cx, SeekFrom::Current(0)))?;
        Poll::Ready(Ok(()))
    }
}

/// An async-fs file is read from its logical position (read-ahead included), with
/// `sendfile(2)` or `copy_file_range(2)`; the position advances by exactly the bytes
/// delivered.
///
/// # Caveats
///
/// The kernel path runs on the executor thread, as a read of a page-cache hit would; only
/// regular files take it, so a FIFO or a device opened as a `File` keeps the blocking pool.
/// Another handle to the same fd (`try_clone` of the `std::fs::File` it was made from) must
/// not move the offset during the copy.
impl Source<Smol> for File {
    zc_traits::__runtime_file!(source, Smol, futures_io);
}

/// An async-fs file is written at its logical position after its pending writes are
/// flushed, with `copy_file_range(2)` from a file and `splice(2)` from a socket or pipe.
///
/// [`Sink::poll_shutdown`] flushes: a file has no write side to shut down, and async-fs's
/// `poll_close` would drop the handle its later operations need.
///
/// # Caveats
///
/// As for the [`Source`] impl. An `O_APPEND` file takes the buffered path (the kernel calls
/// refuse it).
impl Sink<Smol> for File {
    zc_traits::__runtime_file!(sink, Smol, futures_io);
}
