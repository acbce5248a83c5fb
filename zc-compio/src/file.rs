//! `compio::fs::File`: positional I/O, and no cursor of its own.
//!
//! compio reads and writes a file at the offsets its caller names (`read_at`, `write_at`) and
//! never moves the fd's file offset, which stays where it was when the file was opened: 0.
//! zc's copy has no offset to be told; it reads and writes at the fd offset, as it does for a
//! `std::fs::File`. So a compio `File` copies like a `std::fs::File` opened on the same path:
//!
//! * **where a copy starts**: at the fd offset, which is 0 for a file compio opened, and the
//!   end of the previous copy for a file a copy already read or wrote;
//! * **what it leaves**: the fd offset advanced by exactly the bytes delivered (also when the
//!   copy fails or is dropped: the count is the error's), so consecutive copies from one file
//!   are adjacent, and a copy into one appends to what the previous copy wrote;
//! * compio's own `read_at` / `write_at` neither see nor move that offset.
//!
//! To copy a range, set the fd offset to its start (`rustix::fs::seek(file.as_fd(),
//! SeekFrom::Start(start))`, or `std::io::Seek` on a `std::fs::File` made from a duplicate of
//! the fd) and wrap the file in `zc::Limited` for its length: the kernel path then sends
//! exactly the range.

use std::io;
use std::os::fd::AsFd;
use std::task::{Context, Poll};

use compio::fs::File;
use zc_traits::endpoint::{RawEnd, Sink, Source};

use crate::{retry, Compio};

/// A compio file is read from its fd offset (see the module docs) with `sendfile(2)` or
/// `copy_file_range(2)`; the offset advances by exactly the bytes delivered. A range that is
/// not in the page cache is read on compio's blocking pool.
///
/// # Caveats
///
/// The buffered path reads at the fd offset on the executor thread, as a read of a
/// `std::fs::File` does. Only regular files take the kernel path; a FIFO opened as a compio
/// `File` is read in blocking mode there (open it with `compio::fs::pipe::OpenOptions`
/// instead, as a `Receiver`).
impl Source<Compio> for File {
    fn poll_read(&mut self, _cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(retry(|| rustix::io::read(self.as_fd(), &mut *buf)))
    }

    fn raw_source(&mut self) -> Option<RawEnd<'_, Compio>> {
        Some(RawEnd::File(AsFd::as_fd(&*self)))
    }
}

/// A compio file is written at its fd offset (at its end with `O_APPEND`, on the buffered
/// path: the kernel calls refuse `O_APPEND`), with `copy_file_range(2)` from a file and
/// `splice(2)` from a socket or pipe.
///
/// compio holds no bytes in user space: [`Sink::poll_flush`] and [`Sink::poll_shutdown`] do
/// nothing (a file has no write side to shut down).
///
/// # Caveats
///
/// As for the [`Source`] impl.
impl Sink<Compio> for File {
    fn poll_write(&mut self, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(retry(|| rustix::io::write(self.as_fd(), buf)))
    }

    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn raw_sink(&mut self) -> Option<RawEnd<'_, Compio>> {
        Some(RawEnd::File(AsFd::as_fd(&*self)))
    }
}
