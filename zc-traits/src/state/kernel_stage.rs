//! The kernel stage of a copy: preparing the two ends, choosing the kernel plans, running
//! their steps, and falling back to the buffered path.

use std::io;
use std::task::{ready, Context, Poll};

use super::{CopyState, Stage};
use crate::endpoint::raw::RawEnd;
use crate::endpoint::traits::{Sink, Source};
use crate::file_end::{is_file_at_offset, is_file_sink};
use crate::kernel::plan::{end_kind, plans, Plan};
use crate::kernel::step::{Kernel, Step};
use crate::sys;

impl CopyState {
    /// Brings both ends to their logical positions and chooses the kernel plans, or falls
    /// back to the buffered path (preparing the one end that has an fd: the buffered path
    /// reads a file source, and writes a file destination, at its fd offset).
    pub(super) fn poll_prepare<Rt, S, D>(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut S,
        dst: &mut D,
    ) -> Poll<io::Result<()>>
    where
        S: Source<Rt> + ?Sized,
        D: Sink<Rt> + ?Sized,
    {
        if src.raw_source().is_none() {
            if dst.raw_sink().is_some() {
                ready!(dst.poll_prepare_sink(cx))?;
                self.file_dst = is_file_sink(dst);
            }
            return Poll::Ready(self.fall_back("the source has no kernel object (fd)".into()));
        }
        if dst.raw_sink().is_none() {
            ready!(src.poll_prepare_source(cx))?;
            self.buffer.file_src = is_file_at_offset(src);
            return Poll::Ready(self.fall_back("the destination has no kernel object (fd)".into()));
        }
        // A runtime's file may have a read or write in flight, or read-ahead buffered; its fd
        // offset is right only after this.
        ready!(src.poll_prepare_source(cx))?;
        ready!(dst.poll_prepare_sink(cx))?;
        Poll::Ready(self.choose_plans(src, dst))
    }

    /// Learns what the two prepared ends are and starts the kernel stage with the plans that
    /// fit them, or falls back to the buffered path with the reason there are none.
    fn choose_plans<Rt, S, D>(&mut self, src: &mut S, dst: &mut D) -> io::Result<()>
    where
        S: Source<Rt> + ?Sized,
        D: Sink<Rt> + ?Sized,
    {
        let limit = src.limit();
        let (Some(s), Some(d)) = (src.raw_source(), dst.raw_sink()) else {
            return self.fall_back("an end lost its kernel object while preparing".into());
        };
        // One fstat per end (none for an end whose type says its kind), shared by the plan
        // choice and the source's size; two files also cost the same-file check's two.
        let (src_meta, dst_meta) = (end_kind(&s), end_kind(&d));
        let kinds = (src_meta.kind, dst_meta.kind);
        let both_files = kinds == (sys::Kind::RegularFile, sys::Kind::RegularFile);
        match both_files.then(|| sys::same_file(s.fd(), d.fd(), limit)) {
            Some(Ok(sys::SameFile::FeedsItself(why))) => {
                // A copy that would never end: refused before any byte.
                return Err(io::Error::new(io::ErrorKind::InvalidInput, why));
            }
            Some(Ok(sys::SameFile::SharedOffset)) => {
                // The kernel paths would rewrite the bytes in place; a `read`/`write` loop
                // (tokio's, Go's) gives the answer a user of theirs expects.
                self.buffer.file_src = is_file_at_offset(src);
                self.buffer.shared_offset = true;
                self.file_dst = is_file_sink(dst);
                return self.fall_back(
                    "the source and the destination are the same file through one open file \
                     description (one offset): only a `read`/`write` loop gives a copy's \
                     answer"
                        .into(),
                );
            }
            Some(Err(e)) => return Err(e),
            Some(Ok(sys::SameFile::Apart)) | None => {}
        }
        // A buffered reader's bytes go to a file at its fd, as the buffered path's.
        self.file_dst =
            matches!(d, RawEnd::Direct(_) | RawEnd::File(_)) && kinds.1 == sys::Kind::RegularFile;
        match plans(&s, &d, kinds) {
            Ok((plans, src_kind, dst_kind)) => {
                let spawn = self.opts.disk_off_thread.then_some(self.spawn);
                let kernel = Kernel::new(plans, (src_kind, dst_kind), src_meta, spawn);
                let pooled = kernel.plan() == Plan::SplicePooled;
                self.kernel = Some(kernel);
                if self.opts.splice_auto && pooled && src.buffered().is_empty() {
                    // Small messages go buffered until the copy streams.
                    self.splice_later = Some(0);
                    self.stage = Stage::Buffered;
                } else {
                    self.stage = Stage::Drain;
                }
                Ok(())
            }
            Err(reason) => {
                self.buffer.file_src = is_file_at_offset(src);
                self.file_dst = is_file_sink(dst);
                self.fall_back(reason.into())
            }
        }
    }

    /// Runs kernel steps until the budget of this poll is spent, the copy ends, or the plans
    /// fall back to the buffered path.
    pub(super) fn poll_kernel<Rt, S, D>(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut S,
        dst: &mut D,
    ) -> Poll<io::Result<()>>
    where
        S: Source<Rt> + ?Sized,
        D: Sink<Rt> + ?Sized,
    {
        let Some(kernel) = &mut self.kernel else {
            unreachable!("the kernel stage starts after its plans are chosen");
        };
        loop {
            ready!(self.progress.poll_budget(cx));
            let left = src
                .limit()
                .map_or(u64::MAX, |l| l.saturating_sub(kernel.in_pipe() as u64));
            if left == 0 && kernel.in_pipe() == 0 {
                self.paths.took(kernel.plan().path());
                self.stage = Stage::Flush;
                return Poll::Ready(Ok(()));
            }
            let want = left.min(self.progress.budget()).min(usize::MAX as u64) as usize;
            let (Some(s), Some(d)) = (src.raw_source(), dst.raw_sink()) else {
                return Poll::Ready(Err(io::Error::other(
                    "zc: an end stopped answering raw_source/raw_sink mid-copy",
                )));
            };
            let step = ready!(kernel.poll_step(cx, s, d, want.max(1)))?;
            match step {
                Step::Moved { taken, delivered } => {
                    self.paths.took(kernel.plan().path());
                    if taken > 0 {
                        src.advance(taken, false)?;
                    }
                    self.kernel_bytes += delivered;
                    self.progress.record(delivered);
                }
                Step::Eof => {
                    src.advance(0, true)?;
                    self.paths.took(kernel.plan().path());
                    self.stage = Stage::Flush;
                    return Poll::Ready(Ok(()));
                }
                // A plan that does not fit falls back to the next; after bytes moved, only
                // the buffered path continues.
                Step::Fallback(_) if kernel.next_plan() => continue,
                Step::Fallback(err) | Step::FallbackToBuffered(err) => {
                    return Poll::Ready(self.kernel_falls_back(src, dst, err));
                }
            }
        }
    }

    /// The last kernel plan fell back: the bytes a splice left in its pipe go first, and the
    /// buffered path continues at the exact offsets (or strict mode fails).
    fn kernel_falls_back<Rt, S, D>(
        &mut self,
        src: &mut S,
        dst: &mut D,
        err: io::Error,
    ) -> io::Result<()>
    where
        S: Source<Rt> + ?Sized,
        D: Sink<Rt> + ?Sized,
    {
        let Some(kernel) = &mut self.kernel else {
            unreachable!("only the kernel stage falls back from a kernel plan");
        };
        if kernel.in_pipe() > 0 {
            // The destination refused after the source gave bytes to the pipe: hand them to
            // the buffered path so none is lost.
            self.buffer.take_from_pipe(kernel)?;
        }
        // The message's wording is part of what strict mode reports (and tests check).
        let reason = format!("{:?} declined: {err}", kernel.plan().path());
        kernel.release();
        self.buffer.file_src = self.buffer.is_empty() && is_file_at_offset(src);
        self.file_dst = is_file_sink(dst);
        self.fall_back(reason)
    }
}
