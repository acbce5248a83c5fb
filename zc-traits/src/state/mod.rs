//! One copy direction as a state machine, [`CopyState`]: Go's `io.Copy` order, one stage per
//! path. The ends are passed in on every poll, so a relay can run two states over the same
//! pair of streams.
//!
//! ```text
//! WriterTo -> ReaderFrom -> Prepare -> Drain -> Kernel -> Flush -> Done
//!                              |                  |
//!                              +---> Buffered <---+   (fall back; splice-auto: back to Drain)
//! ```
//!
//! The stages live in two files: `state/user_stages.rs` (`WriterTo`, `ReaderFrom`, `Drain`,
//! `Buffered`) and `state/kernel_stage.rs` (`Prepare`, `Kernel`).
//!
//! A path that stops falls back to the next ([`Handoff::Fallback`], a kernel step's
//! `Step::Fallback`), and only before it delivered a byte, or with the exact count (a kernel
//! plan that falls back to the buffered path after bytes moved, `Step::FallbackToBuffered`).

use std::io;
use std::task::{ready, Context, Poll};

use crate::buffered::Buffered;
use crate::cold::Spawn;
use crate::coop::{BlockingJob, Permit, Runtime};
use crate::endpoint::traits::{interrupted_is_pending, Progress, Sink, Source};
use crate::kernel::step::Kernel;
use crate::options::CopyOptions;
use crate::report::{CopyError, CopyPath, Paths, Report};

// The stages' `impl CopyState` blocks, by the kind of path they run.
mod kernel_stage;
mod user_stages;

#[derive(Debug)]
enum Stage {
    WriterTo,
    ReaderFrom,
    Prepare,
    Drain,
    Kernel,
    Buffered,
    Flush,
    Done,
}

/// One copy direction's state.
#[derive(Debug)]
pub(crate) struct CopyState {
    opts: CopyOptions,
    stage: Stage,
    progress: Progress,
    kernel_bytes: u64,
    paths: Paths,
    /// Splice-auto: the kernel stage is ready and waits for the copy to stream; the count of
    /// reads that filled the buffer.
    splice_later: Option<u32>,
    kernel: Option<Kernel>,
    /// Why the kernel path is out, for strict mode's error.
    fallback_reason: Option<String>,
    buffer: Buffered,
    need_flush: bool,
    /// The destination is a regular file written at its fd offset: every user-space write
    /// (the buffered path, a buffered reader's drain, a `WriterTo` through `FileSink`) goes
    /// to its fd, so a failed write is never counted as delivered (a runtime's file accepts
    /// bytes into its own buffer and reports the error of writing them later).
    file_dst: bool,
    /// The runtime's blocking facility, for file ranges not in the page cache.
    spawn: Spawn,
}

/// Before the first poll names the runtime: no blocking facility.
fn no_spawn(job: BlockingJob) -> Result<(), BlockingJob> {
    Err(job)
}

impl CopyState {
    pub(crate) fn new(opts: CopyOptions) -> CopyState {
        CopyState {
            opts,
            stage: Stage::WriterTo,
            progress: Progress::new(opts.max_per_poll),
            kernel_bytes: 0,
            paths: Paths::default(),
            splice_later: None,
            kernel: None,
            fallback_reason: None,
            buffer: Buffered::default(),
            need_flush: false,
            file_dst: false,
            spawn: no_spawn,
        }
    }

    fn report(&self) -> Report {
        let cold = self.kernel.as_ref().and_then(|k| k.cold.as_ref());
        Report {
            bytes: self.progress.delivered(),
            kernel_bytes: self.kernel_bytes,
            path: self.paths.main.unwrap_or(CopyPath::Buffered),
            fallback: self.paths.fallback,
            disk_steps: cold.map_or(0, |c| c.steps),
            disk_bytes: cold.map_or(0, |c| c.bytes),
            cold_inline_bytes: cold.map_or(0, |c| c.inline_bytes),
        }
    }

    fn fail(&mut self, error: io::Error) -> CopyError {
        self.stage = Stage::Done;
        if let Some(kernel) = &mut self.kernel {
            kernel.release();
        }
        CopyError::new(error, self.report())
    }

    /// Leaves the kernel stage for the buffered one, or fails in strict mode.
    fn fall_back(&mut self, reason: String) -> io::Result<()> {
        if self.opts.strict && self.buffer.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("zc strict copy: no zero-copy path: {reason}"),
            ));
        }
        self.fallback_reason = Some(reason);
        self.stage = Stage::Buffered;
        Ok(())
    }

    pub(crate) fn poll_copy<Rt, S, D>(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut S,
        dst: &mut D,
    ) -> Poll<Result<Report, CopyError>>
    where
        Rt: Runtime,
        S: Source<Rt> + ?Sized,
        D: Sink<Rt> + ?Sized,
    {
        // A copy whose ends are always ready never returns `Pending` by itself: take part in
        // the runtime's budget, so a loop of copies yields too (tokio's copy does the same).
        let permit = ready!(Rt::poll_proceed(cx));
        self.spawn = Rt::spawn_blocking;
        self.progress.refill(self.opts.max_per_poll);
        let before = self.progress.delivered();
        let poll = self.poll_stages(cx, src, dst);
        if poll.is_ready() || self.progress.delivered() > before {
            permit.made_progress();
        }
        match poll {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(self.report())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(self.fail(e))),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Runs the stages in order until the copy ends, fails or waits.
    fn poll_stages<Rt, S, D>(
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
            match self.stage {
                Stage::WriterTo => ready!(self.poll_writer_to(cx, src, dst))?,
                Stage::ReaderFrom => ready!(self.poll_reader_from(cx, src, dst))?,
                Stage::Prepare => ready!(self.poll_prepare(cx, src, dst))?,
                Stage::Drain => ready!(self.poll_drain(cx, src, dst))?,
                Stage::Kernel => ready!(self.poll_kernel(cx, src, dst))?,
                Stage::Buffered => ready!(self.poll_buffered(cx, src, dst))?,
                Stage::Flush => {
                    ready!(interrupted_is_pending(dst.poll_flush(cx), cx))?;
                    if let Some(kernel) = &mut self.kernel {
                        kernel.release();
                    }
                    self.stage = Stage::Done;
                }
                Stage::Done => return Poll::Ready(Ok(())),
            }
        }
    }
}
