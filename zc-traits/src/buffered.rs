//! The buffered path: a user-space buffer between `read` and `write`, tokio's `CopyBuffer`
//! with what zc adds for file ends (a file source read at its offset with `pread`, whose
//! offset moves only past bytes that reached the destination, and a block-aligned window for
//! `O_DIRECT` files). It is the path every pair of ends supports, and the one a kernel path
//! falls back to.

use std::io;
use std::task::{Context, Poll};

use crate::endpoint::traits::{poll_count, Sink, Source};
use crate::file_end::{on_file_fd, on_file_sink_fd, read_at_offset};
use crate::kernel::step::Kernel;
use crate::sys;

/// The alignment of the buffered path's buffer: what `O_DIRECT` reads need (the block size,
/// at most a page).
const PAGE: usize = 4096;

/// The buffered path's buffer and where it stands (allocated on its first read).
#[derive(Debug, Default)]
pub(crate) struct Buffered {
    buf: Vec<u8>,
    pos: usize,
    cap: usize,
    read_done: bool,
    /// The source is a regular file read at its fd offset: it is read with `pread` and its
    /// offset moves only past bytes that reached the destination, so its position stays exact
    /// when the copy fails or is dropped.
    pub(crate) file_src: bool,
    /// `buf[pos..cap]` came from `file_src`'s fd and its offset has not passed them yet.
    at_offset: bool,
}

impl Buffered {
    /// No bytes wait in the buffer.
    pub(crate) fn is_empty(&self) -> bool {
        self.pos == self.cap
    }

    /// The buffer is empty and the source has more: the next step is a read.
    pub(crate) fn needs_read(&self) -> bool {
        self.is_empty() && !self.read_done
    }

    /// The source reported its end.
    pub(crate) fn read_done(&self) -> bool {
        self.read_done
    }

    /// Takes the bytes a splice left in its pipe, for the buffered path to deliver first.
    pub(crate) fn take_from_pipe(&mut self, kernel: &mut Kernel) -> io::Result<()> {
        kernel.drain_pipe(&mut self.buf)?;
        self.pos = 0;
        self.cap = self.buf.len();
        Ok(())
    }

    /// Reads the next chunk, at most `len` bytes, into an empty buffer: a buffered reader's
    /// bytes first; then a file source at its offset, which moves on as the bytes are written
    /// (see [`poll_write`](Buffered::poll_write)). `Ok(0)` is the source's end.
    pub(crate) fn poll_fill<Rt, S>(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut S,
        len: usize,
    ) -> Poll<io::Result<usize>>
    where
        S: Source<Rt> + ?Sized,
    {
        // An `O_DIRECT` file is read into block-aligned memory only: the window starts at a
        // page boundary inside `buf`.
        if self.buf.len() < len + PAGE {
            self.buf.resize(len + PAGE, 0);
        }
        let start = self.buf.as_ptr().align_offset(PAGE).min(PAGE);
        let window = &mut self.buf[start..start + len];
        self.at_offset = self.file_src && src.buffered().is_empty();
        let read = if self.at_offset {
            Poll::Ready(read_at_offset(src, window))
        } else {
            poll_count(src.poll_read(cx, window), len, "read", cx)
        };
        match read {
            Poll::Ready(Ok(0)) => self.read_done = true,
            Poll::Ready(Ok(n)) => {
                self.pos = start;
                self.cap = start + n;
            }
            _ => {}
        }
        read
    }

    /// Writes once from the buffer into `dst` (at its fd when `file_dst`), and returns the
    /// bytes that reached it; a file source read at its offset moves past them.
    pub(crate) fn poll_write<Rt, S, D>(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut S,
        dst: &mut D,
        file_dst: bool,
    ) -> Poll<io::Result<u64>>
    where
        S: Source<Rt> + ?Sized,
        D: Sink<Rt> + ?Sized,
    {
        let chunk = &self.buf[self.pos..self.cap];
        let n = if file_dst {
            on_file_sink_fd(dst, |fd| sys::write_at_offset(fd, chunk))?
        } else {
            std::task::ready!(poll_count(
                dst.poll_write(cx, chunk),
                chunk.len(),
                "write",
                cx
            ))?
        };
        if n == 0 {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "write zero bytes into the destination",
            )));
        }
        if self.at_offset {
            on_file_fd(src, |fd| sys::skip(fd, n as u64))?;
            src.advance(n as u64, false)?;
        }
        self.pos += n;
        Poll::Ready(Ok(n as u64))
    }
}
