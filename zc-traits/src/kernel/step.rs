//! The kernel stage of one copy direction, [`Kernel`]: its plans, where it stands in them, and
//! its step, one syscall of the current plan ([`Step`]).

use std::io;
use std::os::fd::BorrowedFd;
use std::task::{ready, Context, Poll};

use super::legs::{may_raise_sigpipe, poll_read_leg, poll_write_leg, Watch};
use super::plan::Plan;
use crate::cold::{ColdCache, Spawn};
use crate::endpoint::raw::RawEnd;
use crate::sys::{self, Kind};

/// What one kernel step did.
#[derive(Debug)]
pub(crate) enum Step {
    /// `taken` bytes left the source, `delivered` bytes reached the destination.
    Moved { taken: u64, delivered: u64 },
    /// The source reported end of file, and nothing is left in flight.
    Eof,
    /// The current plan falls back: it does not fit these fds, and it delivered nothing. The
    /// next plan continues, or the buffered path when none is left.
    Fallback(io::Error),
    /// The kernel paths fall back to the buffered path, possibly after bytes moved, for a
    /// reason that is not a fault and that the next plan would meet too (an `O_DIRECT` end's
    /// unaligned tail; a resource of the kernel path's own that cannot be made): the buffered path
    /// continues at the exact offsets.
    FallbackToBuffered(io::Error),
}

/// The state of the kernel stage of one copy direction.
#[derive(Debug)]
pub(crate) struct Kernel {
    pub(super) plans: Vec<Plan>,
    pub(super) current: usize,
    pub(super) src_kind: Kind,
    pub(super) dst_kind: Kind,
    /// Bytes the current plan delivered; a plan falls back only while this is 0.
    pub(super) plan_delivered: u64,
    /// For a regular file source of known size: the most bytes it may still give, its size
    /// at the copy's start less the bytes taken. The copy ends when this reaches 0, without
    /// a last call that would return 0 (see the module doc).
    pub(super) src_left: Option<u64>,
    pub(super) pipe: Option<sys::Pipe>,
    /// Bytes inside `pipe`, taken from the source and not yet delivered.
    pub(super) in_pipe: usize,
    /// The readiness handles of `Watched` ends, made on first use and dropped (closing their
    /// duplicated fds) when the copy releases the kernel stage.
    pub(super) src_watch: Option<Watch>,
    pub(super) dst_watch: Option<Watch>,
    /// A regular file source's cold-cache state (see [`cold`](crate::cold)); `None` when
    /// the copy runs cold steps inline by choice.
    pub(crate) cold: Option<ColdCache>,
}

impl Kernel {
    /// `(src_kind, dst_kind)`: what the plans were made for. `src`: what the source's `fstat`
    /// said (a regular file's size, 0 if unknown, and its stamp).
    /// `spawn`: the runtime's blocking facility, for ranges not in the page cache (`None`:
    /// read them inline).
    pub(crate) fn new(
        plans: Vec<Plan>,
        (src_kind, dst_kind): (Kind, Kind),
        src: sys::Meta,
        spawn: Option<Spawn>,
    ) -> Kernel {
        Kernel {
            plans,
            current: 0,
            src_kind,
            dst_kind,
            plan_delivered: 0,
            // Size 0 is also what /proc files and block devices report: no bound then.
            src_left: (src_kind == Kind::RegularFile && src.size > 0).then_some(src.size),
            pipe: None,
            in_pipe: 0,
            src_watch: None,
            dst_watch: None,
            cold: spawn
                .filter(|_| src_kind == Kind::RegularFile)
                .map(|spawn| ColdCache::new(spawn, src)),
        }
    }

    pub(crate) fn plan(&self) -> Plan {
        self.plans[self.current]
    }

    /// Moves on to the next plan after a fallback; `false` (staying on the last) when none is left.
    pub(crate) fn next_plan(&mut self) -> bool {
        if self.current + 1 == self.plans.len() {
            return false;
        }
        self.current += 1;
        self.plan_delivered = 0;
        true
    }

    /// Bytes taken from the source that are still in flight inside the pipe.
    pub(crate) fn in_pipe(&self) -> usize {
        self.in_pipe
    }

    /// Gives an empty pipe back to the pool; a pipe with bytes inside is closed instead.
    pub(crate) fn release(&mut self) {
        if let Some(pipe) = self.pipe.take() {
            if self.in_pipe == 0 {
                pipe.recycle();
            }
        }
        self.src_watch = None;
        self.dst_watch = None;
    }

    /// Runs one syscall of the current plan, moving at most `want` bytes out of the source
    /// (`want` > 0; the pipe is emptied regardless of `want`).
    pub(crate) fn poll_step<Rt>(
        &mut self,
        cx: &mut Context<'_>,
        src: RawEnd<'_, Rt>,
        dst: RawEnd<'_, Rt>,
        want: usize,
    ) -> Poll<io::Result<Step>> {
        let plan = self.plan();
        let dst_kind = self.dst_kind;
        let src_file = src_fd_if_file(&src, self.src_kind);
        let Some(want) = ready!(self.poll_bound(cx, plan, src_file, want)) else {
            return Poll::Ready(Ok(Step::Eof));
        };
        let result = match plan {
            Plan::CopyFileRange => {
                let (input, out) = (src.fd(), dst.fd());
                let result = sys::copy_file_range(input, out, want);
                match result {
                    // An `O_DIRECT` end moves whole blocks only, so the unaligned tail is
                    // refused after the aligned part moved. Not a fault: the buffered path
                    // continues at the offsets, which moved by exactly the bytes copied
                    // (std's `CopyResult::Fallback(n)`); sendfile would refuse the tail too.
                    Err(e)
                        if self.plan_delivered > 0 && sys::is_alignment_refusal(&e, input, out) =>
                    {
                        return Poll::Ready(Ok(Step::FallbackToBuffered(e)));
                    }
                    result => result,
                }
            }
            Plan::Sendfile => {
                let input = src.fd();
                let slot = &mut self.dst_watch;
                let guard = may_raise_sigpipe(dst_kind);
                ready!(poll_write_leg(cx, dst, slot, &mut |out| {
                    sys::sendfile(out, input, want, guard)
                }))
            }
            Plan::SpliceDirect => {
                let out = dst.fd();
                ready!(poll_read_leg(cx, src, &mut self.src_watch, &mut |input| {
                    sys::splice(input, out, want, false)
                }))
            }
            Plan::SplicePooled => return self.poll_pooled(cx, src, dst, want),
        };
        Poll::Ready(self.settle(plan, result, src_file))
    }

    /// Bounds a step of at most `want` bytes by a regular file source: by its size at the
    /// copy's start (`None`: it is all taken, the end, with no call that returns 0), and by
    /// the range the cold-cache check has in the page cache, which it may first read off the
    /// executor.
    fn poll_bound(
        &mut self,
        cx: &mut Context<'_>,
        plan: Plan,
        src_file: Option<BorrowedFd<'_>>,
        want: usize,
    ) -> Poll<Option<usize>> {
        let want = match self.src_left {
            Some(0) if src_file.is_some() => return Poll::Ready(None),
            Some(left) if src_file.is_some() => want.min(left.try_into().unwrap_or(usize::MAX)),
            _ => want,
        };
        Poll::Ready(Some(match (&mut self.cold, src_file, plan) {
            // A file source's range comes from the disk off the executor, if it must.
            (Some(cold), Some(fd), Plan::CopyFileRange | Plan::Sendfile) => {
                let to_end = self.src_left == Some(want as u64);
                ready!(cold.poll_ready(cx, fd, want, to_end))
            }
            _ => want,
        }))
    }

    /// Turns a direct plan's syscall result into a step.
    fn settle(
        &mut self,
        plan: Plan,
        result: io::Result<usize>,
        src_file: Option<BorrowedFd<'_>>,
    ) -> io::Result<Step> {
        match result {
            Ok(0) => {
                if self.plan_delivered == 0 {
                    if let Some(fd) = src_file {
                        if sys::has_more(fd).unwrap_or(true) {
                            return Ok(Step::Fallback(io::Error::new(
                                io::ErrorKind::Unsupported,
                                "the kernel returned 0 bytes from a file that has data (a /proc or /sys file?)",
                            )));
                        }
                    }
                }
                Ok(Step::Eof)
            }
            Ok(n) => {
                self.plan_delivered += n as u64;
                if let Some(left) = &mut self.src_left {
                    *left = left.saturating_sub(n as u64);
                }
                if let Some(cold) = &mut self.cold {
                    cold.moved(n as u64);
                }
                Ok(Step::Moved {
                    taken: n as u64,
                    delivered: n as u64,
                })
            }
            Err(e) => self.fall_back_or_fail(plan, e),
        }
    }

    /// A syscall's error: the plan falls back when it delivered nothing and the errno means
    /// "does not fit" (`sys::falls_back`); otherwise it is the copy's error. A resource of the
    /// kernel path's own that could not be made (an fd for a watch duplicate or the SIGPIPE
    /// signalfd) hands the copy to the buffered path, before or after bytes moved: every plan
    /// would need it too.
    pub(super) fn fall_back_or_fail(&mut self, plan: Plan, err: io::Error) -> io::Result<Step> {
        if sys::lacks_kernel_resource(&err) {
            return Ok(Step::FallbackToBuffered(err));
        }
        sys::note_unavailable(&err, plan.call());
        if self.plan_delivered == 0 && sys::falls_back(&err) {
            Ok(Step::Fallback(err))
        } else {
            Err(err)
        }
    }
}

impl Drop for Kernel {
    fn drop(&mut self) {
        // A copy dropped mid-way (cancelled) closes a pipe that still holds bytes.
        self.release();
    }
}

fn src_fd_if_file<'a, Rt>(src: &RawEnd<'a, Rt>, kind: Kind) -> Option<BorrowedFd<'a>> {
    match (src, kind) {
        (RawEnd::Direct(fd) | RawEnd::File(fd), Kind::RegularFile) => Some(*fd),
        _ => None,
    }
}
