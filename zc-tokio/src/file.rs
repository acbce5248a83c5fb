//! `tokio::fs::File`: a blocking fd behind a background-thread state machine.
//!
//! tokio's `File` runs each read, write and seek on the blocking pool, one at a time, and keeps
//! what a read brought back beyond what the caller took (read-ahead) in a buffer. Its fd offset
//! is therefore the logical position only when no operation is in flight and no read-ahead is
//! buffered. Before the kernel path touches the fd, the copy completes the operation in flight
//! (`poll_complete` / `poll_flush`) and, when the fd offset may be ahead of the logical
//! position, lets tokio discard its read-ahead with `start_seek(SeekFrom::Current(0))`, which
//! moves the fd back by the unread bytes. sendfile, splice and copy_file_range then read or
//! write at the fd offset and advance it, so afterwards the file's position is its start plus
//! the bytes delivered, and tokio's next read, write or `seek(SeekFrom::Current(0))` continues
//! from there.
//!
//! # Implementation
//!
//! tokio keeps the result of its last seek as `pos`, and `poll_complete` on an idle file
//! returns it. After that seek, through tokio's API, the fd offset only moves forward (reads,
//! writes, this crate's kernel copies) or back to the logical position (a write or `set_len`
//! that discards read-ahead), and read-ahead always leaves the fd offset ahead of the logical
//! position, which is at or after the last seek. So "`pos` == the fd offset" proves that no
//! read-ahead is buffered; any other value costs one `start_seek(Current(0))` on the blocking
//! pool, after which they agree. A copy that finds the file in sync does not seek at all, and
//! the check is idempotent, as the copy requires of `poll_prepare_*`.

use std::io::{self, SeekFrom};
use std::os::fd::AsFd;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::fs::File;
use tokio::io::{AsyncSeek, AsyncWrite};
use zc_traits::adapter::RuntimeFile;
use zc_traits::endpoint::{Sink, Source};

use crate::stream::poll_read_tokio;
use crate::Tokio;

/// Completes the operation in flight and brings the fd offset to the logical position.
impl RuntimeFile<Tokio> for File {
    fn poll_sync_position(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Bounded: after our own seek completes, tokio's `pos` equals the fd offset.
        for _ in 0..3 {
            let pos = ready!(Pin::new(&mut *self).poll_complete(cx))?;
            let offset = match rustix::fs::tell(self.as_fd()) {
                Ok(offset) => offset,
                // Not seekable: there is no position to bring anywhere.
                Err(rustix::io::Errno::SPIPE) => return Poll::Ready(Ok(())),
                Err(e) => return Poll::Ready(Err(e.into())),
            };
            if offset == pos {
                return Poll::Ready(Ok(()));
            }
            // Discards read-ahead and moves the fd back by its length, on the blocking pool.
            Pin::new(&mut *self).start_seek(SeekFrom::Current(0))?;
        }
        Poll::Ready(Err(io::Error::other(
            "zc-tokio: the file's fd offset keeps moving under the copy (is the fd shared?)",
        )))
    }
}

/// A tokio file is read from its logical position (read-ahead included), with
/// `sendfile(2)` or `copy_file_range(2)`; the position advances by exactly the bytes
/// delivered.
///
/// # Caveats
///
/// The kernel path runs on the executor thread, as a read of a page-cache hit would; only
/// regular files take it, so a FIFO or device opened as a `File` keeps tokio's blocking
/// pool. A file whose fd is shared with another handle (`try_clone`) must not be read
/// through that handle during the copy.
impl Source<Tokio> for File {
    zc_traits::__runtime_file!(source, Tokio, read: poll_read_tokio);
}

/// A tokio file is written at its logical position after its pending writes are flushed,
/// with `copy_file_range(2)` from a file and `splice(2)` from a socket or pipe.
///
/// [`Sink::poll_shutdown`] flushes, as tokio's own `poll_shutdown` of a file does.
///
/// # Caveats
///
/// As for the [`Source`] impl. An `O_APPEND` file takes the buffered path (the kernel calls
/// refuse it).
impl Sink<Tokio> for File {
    zc_traits::__runtime_file!(
        sink,
        Tokio,
        write: AsyncWrite::poll_write,
        flush: AsyncWrite::poll_flush
    );
}
