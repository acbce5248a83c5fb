//! The user-space stages of a copy: the ends' own `WriterTo` / `ReaderFrom`, the buffered
//! path, and the drain of a buffered reader's bytes before the kernel stage.

use std::io;
use std::task::{ready, Context, Poll};

use super::{CopyState, Stage};
use crate::endpoint::raw::RawEnd;
use crate::endpoint::traits::{poll_count, Handoff, Sink, Source};
use crate::file_end::{is_file_sink, on_file_sink_fd, FileSink};
use crate::options::{SHARED_OFFSET_CHUNK, SPLICE_AUTO_BUFFER_SIZE, SPLICE_AUTO_FULL_READS};
use crate::report::CopyPath;
use crate::sys;

impl CopyState {
    /// The source's own `WriterTo`, if it has one (not in strict mode: it runs in user space).
    pub(super) fn poll_writer_to<Rt, S, D>(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut S,
        mut dst: &mut D,
    ) -> Poll<io::Result<()>>
    where
        S: Source<Rt> + ?Sized,
        D: Sink<Rt> + ?Sized,
    {
        if self.opts.strict || src.writer_to().is_none() {
            self.stage = Stage::ReaderFrom;
            return Poll::Ready(Ok(()));
        }
        if !self.file_dst && matches!(dst.raw_sink(), Some(RawEnd::Direct(_) | RawEnd::File(_))) {
            // A file destination is written at its fd, so that only bytes that reached it
            // count (see `FileSink`).
            ready!(dst.poll_prepare_sink(cx))?;
            self.file_dst = is_file_sink(dst);
        }
        let Some(writer) = src.writer_to() else {
            // A source's own `writer_to` that changed its answer within one poll: its contract
            // is broken, and the copy says so rather than guess which answer holds.
            return Poll::Ready(Err(io::Error::other(
                "zc: the source's writer_to answered Some, then None, within one poll",
            )));
        };
        let handoff = if self.file_dst {
            let mut sink = FileSink(&mut dst);
            ready!(writer.poll_write_to(cx, &mut sink, &mut self.progress))?
        } else {
            ready!(writer.poll_write_to(cx, &mut dst, &mut self.progress))?
        };
        self.stage = self.after_handoff(handoff, CopyPath::WriterTo, Stage::ReaderFrom);
        Poll::Ready(Ok(()))
    }

    /// The destination's own `ReaderFrom`, if it has one (not in strict mode).
    pub(super) fn poll_reader_from<Rt, S, D>(
        &mut self,
        cx: &mut Context<'_>,
        mut src: &mut S,
        dst: &mut D,
    ) -> Poll<io::Result<()>>
    where
        S: Source<Rt> + ?Sized,
        D: Sink<Rt> + ?Sized,
    {
        let reader = if self.opts.strict {
            None
        } else {
            dst.reader_from()
        };
        let Some(reader) = reader else {
            self.stage = Stage::Prepare;
            return Poll::Ready(Ok(()));
        };
        let handoff = ready!(reader.poll_read_from(cx, &mut src, &mut self.progress))?;
        self.stage = self.after_handoff(handoff, CopyPath::ReaderFrom, Stage::Prepare);
        Poll::Ready(Ok(()))
    }

    fn after_handoff(&mut self, handoff: Handoff, path: CopyPath, next: Stage) -> Stage {
        if self.progress.delivered() > 0 || handoff == Handoff::Finished {
            self.paths.took(path);
        }
        match handoff {
            Handoff::Finished => Stage::Flush,
            Handoff::Fallback => next,
        }
    }

    /// Writes a buffered reader's bytes, which come before those still behind its fd, and
    /// flushes the destination before the kernel writes behind its user-space buffers.
    pub(super) fn poll_drain<Rt, S, D>(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut S,
        dst: &mut D,
    ) -> Poll<io::Result<()>>
    where
        S: Source<Rt> + ?Sized,
        D: Sink<Rt> + ?Sized,
    {
        loop {
            let pending = src.buffered();
            if pending.is_empty() {
                break;
            }
            ready!(self.progress.poll_budget(cx));
            let n = if self.file_dst {
                on_file_sink_fd(dst, |fd| sys::write_at_offset(fd, pending))?
            } else {
                ready!(poll_count(
                    dst.poll_write(cx, pending),
                    pending.len(),
                    "write",
                    cx
                ))?
            };
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            src.consume_buffered(n);
            self.progress.record(n as u64);
            self.need_flush = true;
        }
        if self.need_flush {
            ready!(dst.poll_flush(cx))?;
            self.need_flush = false;
        }
        self.stage = Stage::Kernel;
        Poll::Ready(Ok(()))
    }

    /// The buffered path: reads into the buffer and writes it out until the source ends (or,
    /// for splice-auto, until the copy streams and the kernel stage takes over).
    pub(super) fn poll_buffered<Rt, S, D>(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut S,
        dst: &mut D,
    ) -> Poll<io::Result<()>>
    where
        S: Source<Rt> + ?Sized,
        D: Sink<Rt> + ?Sized,
    {
        loop {
            if self.buffer.needs_read() {
                if self.splice_later >= Some(SPLICE_AUTO_FULL_READS) {
                    // The copy streams and the buffer is empty: splice from here on.
                    self.splice_later = None;
                    self.stage = Stage::Drain;
                    return Poll::Ready(Ok(()));
                }
                ready!(self.poll_read_buffer(cx, src, dst))?;
            }
            while !self.buffer.is_empty() {
                let n = ready!(self.buffer.poll_write(cx, src, dst, self.file_dst))?;
                self.progress.record(n);
                self.need_flush = true;
                if self.splice_later.is_none() {
                    self.paths.took(CopyPath::Buffered);
                }
            }
            if self.buffer.read_done() {
                self.paths.or_main(CopyPath::Buffered);
                self.stage = Stage::Flush;
                return Poll::Ready(Ok(()));
            }
        }
    }

    /// One read into the empty buffer. While the source has nothing, the destination's own
    /// buffer is pushed out, so the peer sees the bytes while this copy waits (tokio's copy
    /// does too).
    fn poll_read_buffer<Rt, S, D>(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut S,
        dst: &mut D,
    ) -> Poll<io::Result<()>>
    where
        S: Source<Rt> + ?Sized,
        D: Sink<Rt> + ?Sized,
    {
        if self.opts.strict {
            // Only bytes the kernel path had already taken may pass through here.
            let reason = self.fallback_reason.take().unwrap_or_default();
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("zc strict copy: no zero-copy path: {reason}"),
            )));
        }
        ready!(self.progress.poll_budget(cx));
        let len = if self.splice_later.is_some() {
            // Until the copy streams, a buffer the size of HAProxy's.
            SPLICE_AUTO_BUFFER_SIZE.min(self.opts.buffer_size)
        } else if self.buffer.shared_offset {
            // One offset for both ends: the chunk decides the file's bytes; take the chunk of
            // the runtimes' own copies, so the answer is theirs.
            SHARED_OFFSET_CHUNK.min(self.opts.buffer_size)
        } else {
            self.opts.buffer_size
        };
        match self.buffer.poll_fill(cx, src, len) {
            Poll::Ready(Ok(n)) => {
                if let Some(full) = &mut self.splice_later {
                    *full += u32::from(n == len);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                if self.need_flush {
                    ready!(dst.poll_flush(cx))?;
                    self.need_flush = false;
                }
                Poll::Pending
            }
        }
    }
}
