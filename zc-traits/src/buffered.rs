//! The buffered path: a user-space buffer between `read` and `write`, tokio's `CopyBuffer`
//! with what zc adds for file ends (a file source read at its offset with `pread`, whose
//! offset moves only past bytes that reached the destination, and a block-aligned window for
//! `O_DIRECT` files). It is the path every pair of ends supports, and the one a kernel path
//! falls back to.

use std::io;
use std::task::{Context, Poll};

use crate::endpoint::traits::{poll_count, Sink, Source};
use crate::file_end::{on_file_fd, on_file_sink_fd, read_at_offset, read_moving_offset};
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
    /// `file_src`'s offset is the destination's too (one open file description, see
    /// `sys::SameFile::SharedOffset`): each read moves it (`read(2)`), as each write does, so
    /// the copy is a plain `read`/`write` loop.
    pub(crate) shared_offset: bool,
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
        // A file read at its offset may be `O_DIRECT`, which reads into block-aligned memory
        // only: its window starts at a page boundary inside `buf`, which has a page more for
        // that. Any other source reads from the buffer's start, with no slack (a relay holds
        // two buffers per connection).
        let from_fd = self.file_src && src.buffered().is_empty();
        self.at_offset = from_fd && !self.shared_offset;
        let slack = if from_fd { PAGE } else { 0 };
        let need = len.saturating_add(slack);
        if self.buf.len() < need {
            // `CopyOptions::buffer_size` is the caller's: a size the allocator refuses is an
            // error of this copy, not an abort of the process.
            if let Err(e) = self.buf.try_reserve_exact(need - self.buf.len()) {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::OutOfMemory,
                    format!(
                        "zc: the buffered path's buffer of {need} bytes cannot be allocated: {e}"
                    ),
                )));
            }
            self.buf.resize(need, 0);
        }
        let start = if from_fd {
            self.buf.as_ptr().align_offset(PAGE).min(PAGE)
        } else {
            0
        };
        let window = &mut self.buf[start..start + len];
        let read = if self.at_offset {
            Poll::Ready(read_at_offset(src, window))
        } else if from_fd {
            Poll::Ready(read_moving_offset(src, window))
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

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::task::{Context, Poll, Waker};

    use super::{Buffered, PAGE};
    use crate::coop::Neutral;

    /// Fills `buffer` once from `src` with `len` bytes and returns what it read.
    fn fill<S: crate::Source<Neutral>>(buffer: &mut Buffered, src: &mut S, len: usize) -> usize {
        let mut cx = Context::from_waker(Waker::noop());
        match buffer.poll_fill::<Neutral, _>(&mut cx, src, len) {
            Poll::Ready(Ok(n)) => n,
            other => panic!("the fill did not complete: {other:?}"),
        }
    }

    /// A buffer size the allocator refuses (`CopyOptions::buffer_size` is the caller's) is
    /// `OutOfMemory` from the copy, not an abort of the process.
    #[test]
    fn a_buffer_the_allocator_refuses_is_out_of_memory() {
        for len in [usize::MAX, 1 << 62] {
            let mut slice = &b"bytes"[..];
            let mut buffer = Buffered::default();
            let mut cx = Context::from_waker(Waker::noop());
            match buffer.poll_fill::<Neutral, _>(&mut cx, &mut slice, len) {
                Poll::Ready(Err(e)) => {
                    assert_eq!(e.kind(), std::io::ErrorKind::OutOfMemory, "{len}: {e}");
                }
                other => panic!("{len}: {other:?}"),
            }
            assert_eq!(slice, b"bytes", "nothing was read");
        }
    }

    /// A relay reads sockets into exactly its buffer size, with no alignment slack (two
    /// buffers per connection); only a file read at its offset, which may be `O_DIRECT`, gets
    /// a page more to align its window.
    #[test]
    fn only_a_file_read_at_its_offset_gets_the_alignment_page() {
        const LEN: usize = 16 << 10;
        let data = vec![7u8; 2 * LEN];
        let mut slice = &data[..];
        let mut buffer = Buffered::default();
        assert_eq!(fill(&mut buffer, &mut slice, LEN), LEN);
        assert_eq!(buffer.buf.len(), LEN, "a slice source");

        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&data).unwrap();
        std::io::Seek::rewind(&mut file).unwrap();
        let mut buffer = Buffered {
            file_src: true,
            ..Buffered::default()
        };
        assert_eq!(fill(&mut buffer, &mut file, LEN), LEN);
        assert_eq!(buffer.buf.len(), LEN + PAGE, "a file read at its offset");
        let window = buffer.buf.as_ptr() as usize + buffer.pos;
        assert_eq!(window % PAGE, 0, "the window starts at a page boundary");
    }
}
