//! The kernel loops: sendfile, splice and copy_file_range, written once on top of [`RawEnd`].
//!
//! # Strategy
//!
//! The copy asks each side what kernel object it has ([`Source::raw_source`],
//! [`Sink::raw_sink`]) and what kind it is: a socket or pipe end whose type says it
//! ([`FdKind`]) costs no syscall; any other end is `fstat`ed once per copy (a regular file's
//! size comes with it, and the kernel steps reuse both). Then it picks a list of plans to try
//! in order:
//!
//! | source            | destination               | plans                              |
//! |-------------------|---------------------------|------------------------------------|
//! | regular file      | regular file              | copy_file_range, then sendfile     |
//! | regular file      | socket, pipe, other fd    | sendfile                           |
//! | polled pipe       | regular file              | splice (direct)                    |
//! | polled pipe/socket| regular file, polled pipe/socket | splice through a pooled pipe |
//!
//! A plan that fails with a "does not fit" errno (`EINVAL`, `ENOSYS`, `EOPNOTSUPP`, `EXDEV`,
//! `EBADF`, `EPERM`, `ESPIPE`) before its first byte is declined, and the next plan, or the
//! buffered path, continues. After the first byte an error is the copy's error, reported with
//! the count: resending from the start would duplicate bytes, and a silent switch would hide a
//! fault. One error after bytes is not a fault: `EINVAL` from `copy_file_range` when an end is
//! open with `O_DIRECT` is the alignment rule refusing the unaligned tail; the kernel paths
//! hand over to the buffered path at the exact offsets (std's `CopyResult::Fallback(n)`), and
//! the report names both paths. A first call that returns 0 from a regular file is checked with `pread`, because
//! `/proc` and `/sys` files report size 0 and answer 0 while they have content.
//!
//! # The end of a regular file
//!
//! A regular file source of known size (its `fstat` says more than 0) is read until the copy
//! has taken that size, or until the kernel reports end of file (a call returns 0), whichever
//! comes first. So a file copied from its start is sent as it was when the copy started, with
//! no last call that returns 0: bytes appended during the copy are left for the next copy (Go's
//! `sendFile` on the BSDs bounds the copy by the size the same way). A file that shrinks ends
//! the copy at its new end, with the bytes taken until then (`Ok`, or `UnexpectedEof` for
//! [`Limited::exact`](crate::Limited::exact)). A copy from a later position ends at the
//! kernel's end of file, which then costs one call that returns 0. Size 0 (an empty file, a
//! `/proc` file, a block device) sets no bound.
//!
//! Splice through a pipe never mixes two copies' bytes: the pipe is emptied into the
//! destination before it is refilled, and only an empty pipe goes back to the pool. If the
//! destination declines while the pipe holds bytes (say an `O_APPEND` file that the hint did
//! not catch), the bytes are read out of the pipe and written by the buffered path first.
//!
//! [`Source::raw_source`]: crate::Source::raw_source
//! [`Sink::raw_sink`]: crate::Sink::raw_sink

use std::io;
use std::os::fd::BorrowedFd;
use std::task::{ready, Context, Poll};

use crate::cold::{ColdCache, Spawn};
use crate::endpoint::{FdKind, Interest, RawEnd, Readiness, Watcher};
use crate::sys::{self, Call, Kind};
use crate::{CopyPath, Neutral};

/// The owned readiness handle of a [`RawEnd::Watched`] end, kept for the whole kernel stage.
type Watch = Box<dyn Readiness<Neutral> + Send>;

/// One way to move bytes in the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    CopyFileRange,
    Sendfile,
    /// splice(2) from a pipe source straight into a regular file.
    SpliceDirect,
    /// splice(2) from the source into a pooled pipe, then from the pipe into the destination.
    SplicePooled,
}

impl Plan {
    pub(crate) fn path(self) -> CopyPath {
        match self {
            Plan::CopyFileRange => CopyPath::CopyFileRange,
            Plan::Sendfile => CopyPath::Sendfile,
            Plan::SpliceDirect | Plan::SplicePooled => CopyPath::Splice,
        }
    }

    fn call(self) -> Call {
        match self {
            Plan::CopyFileRange => Call::CopyFileRange,
            Plan::Sendfile => Call::Sendfile,
            Plan::SpliceDirect | Plan::SplicePooled => Call::Splice,
        }
    }
}

/// What one kernel step did.
#[derive(Debug)]
pub(crate) enum Step {
    /// `taken` bytes left the source, `delivered` bytes reached the destination.
    Moved { taken: u64, delivered: u64 },
    /// The source reported end of file, and nothing is left in flight.
    Eof,
    /// The current plan does not fit these fds; nothing was delivered by it.
    Decline(io::Error),
    /// The kernel paths stop here after bytes moved, for a reason that is not a fault (an
    /// `O_DIRECT` end's unaligned tail): the buffered path continues at the exact offsets.
    Handover(io::Error),
}

/// What an end is, and a regular file's size (0 if not one): from the end's type when it
/// says it ([`FdKind`]), else from one `fstat` (and a `getsockopt` for a socket).
pub(crate) fn end_kind<Rt>(end: &RawEnd<'_, Rt>) -> (Kind, u64) {
    let stated = match end {
        RawEnd::Polled(ready) => ready.fd_kind(),
        RawEnd::Watched(_, _, kind) => *kind,
        RawEnd::Direct(_) | RawEnd::File(_) => FdKind::Unknown,
    };
    match stated {
        FdKind::StreamSocket => (Kind::StreamSocket, 0),
        FdKind::Pipe => (Kind::Pipe, 0),
        FdKind::Unknown => sys::kind_and_size(end.fd()),
    }
}

/// The plans for a source and destination of the given kinds (from [`end_kind`]), best
/// first, with the reason when there is none.
pub(crate) fn plans<Rt>(
    src: &RawEnd<'_, Rt>,
    dst: &RawEnd<'_, Rt>,
    (src_kind, dst_kind): (Kind, Kind),
) -> Result<(Vec<Plan>, Kind, Kind), &'static str> {
    let src_polled = matches!(src, RawEnd::Polled(_) | RawEnd::Watched(..));
    let dst_polled = matches!(dst, RawEnd::Polled(_) | RawEnd::Watched(..));
    if matches!(src, RawEnd::File(_)) && src_kind != Kind::RegularFile {
        return Err(
            "the source is a runtime's file over a FIFO or a device, whose kernel \
                    copy could block the executor",
        );
    }
    if matches!(dst, RawEnd::File(_)) && dst_kind != Kind::RegularFile {
        return Err(
            "the destination is a runtime's file over a FIFO or a device, whose \
                    kernel copy could block the executor",
        );
    }
    if dst_kind == Kind::RegularFile && sys::is_append(dst.fd()) {
        // sendfile, splice and copy_file_range all refuse O_APPEND destinations.
        return Err("the destination file is opened with O_APPEND");
    }
    let mut plans = match (src_kind, src_polled, dst_kind, dst_polled) {
        (Kind::RegularFile, false, Kind::RegularFile, false) => {
            vec![Plan::CopyFileRange, Plan::Sendfile]
        }
        (Kind::RegularFile, false, Kind::StreamSocket | Kind::Pipe, _) => vec![Plan::Sendfile],
        (Kind::RegularFile, false, Kind::Other, false) => vec![Plan::Sendfile],
        (Kind::Pipe, true, Kind::RegularFile, false) => vec![Plan::SpliceDirect],
        (Kind::StreamSocket, true, Kind::RegularFile, false) => vec![Plan::SplicePooled],
        (Kind::Pipe | Kind::StreamSocket, true, Kind::Pipe | Kind::StreamSocket, true) => {
            vec![Plan::SplicePooled]
        }
        (Kind::RegularFile | Kind::Pipe | Kind::StreamSocket, true, ..) => {
            return Err("the source is polled by a reactor but its fd kind has no kernel path")
        }
        (Kind::Pipe | Kind::StreamSocket, false, ..) => {
            return Err("the source is a blocking pipe or socket; splice needs a polled one")
        }
        (Kind::Other, ..) => return Err("the source is not a regular file, pipe or stream socket"),
        (_, _, Kind::Other, _) => {
            return Err("the destination is not a regular file, pipe or stream socket")
        }
        _ => return Err("the destination is a blocking pipe or socket; splice needs a polled one"),
    };
    plans.retain(|p| sys::available(p.call()));
    if plans.is_empty() {
        return Err(sys::NO_CALL);
    }
    Ok((plans, src_kind, dst_kind))
}

/// The state of the kernel stage of one copy direction.
#[derive(Debug)]
pub(crate) struct Kernel {
    plans: Vec<Plan>,
    current: usize,
    src_kind: Kind,
    dst_kind: Kind,
    /// Bytes the current plan delivered; a plan declines only while this is 0.
    plan_delivered: u64,
    /// For a regular file source of known size: the most bytes it may still give, its size
    /// at the copy's start less the bytes taken. The copy ends when this reaches 0, without
    /// a last call that would return 0 (see the module doc).
    src_left: Option<u64>,
    /// That source's size from its `fstat`, for a step that takes it to its end.
    src_size: u64,
    pipe: Option<sys::Pipe>,
    /// Bytes inside `pipe`, taken from the source and not yet delivered.
    in_pipe: usize,
    /// The readiness handles of `Watched` ends, made on first use and dropped (closing their
    /// duplicated fds) when the copy releases the kernel stage.
    src_watch: Option<Watch>,
    dst_watch: Option<Watch>,
    /// A regular file source's cold-cache state (see [`cold`](crate::cold)); `None` when
    /// the copy runs cold steps inline by choice.
    pub(crate) cold: Option<ColdCache>,
}

impl Kernel {
    /// `src_size`: a regular file source's size from its `fstat` (0: unknown).
    /// `spawn`: the runtime's blocking facility, for ranges not in the page cache (`None`:
    /// read them inline).
    pub(crate) fn new(
        plans: Vec<Plan>,
        src_kind: Kind,
        dst_kind: Kind,
        src_size: u64,
        spawn: Option<Spawn>,
    ) -> Kernel {
        Kernel {
            plans,
            current: 0,
            src_kind,
            dst_kind,
            plan_delivered: 0,
            // Size 0 is also what /proc files and block devices report: no bound then.
            src_left: (src_kind == Kind::RegularFile && src_size > 0).then_some(src_size),
            src_size,
            pipe: None,
            in_pipe: 0,
            src_watch: None,
            dst_watch: None,
            cold: spawn
                .filter(|_| src_kind == Kind::RegularFile)
                .map(ColdCache::new),
        }
    }

    pub(crate) fn plan(&self) -> Plan {
        self.plans[self.current]
    }

    /// Moves on to the next plan after a decline; `false` (staying on the last) when none is left.
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

    /// Moves the bytes left in the pipe into `buf`, for the buffered path to deliver.
    pub(crate) fn drain_pipe(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        let Some(pipe) = &self.pipe else {
            return Ok(());
        };
        buf.clear();
        buf.resize(self.in_pipe, 0);
        let mut filled = 0;
        while filled < self.in_pipe {
            match pipe.drain_into(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) => {
                    buf.truncate(filled);
                    return Err(e);
                }
            }
        }
        buf.truncate(filled);
        self.in_pipe -= filled;
        if self.in_pipe != 0 {
            return Err(io::Error::other("zc: the splice pipe lost bytes"));
        }
        Ok(())
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
        let want = match self.src_left {
            // The file's size at the start is taken: the end, with no call that returns 0.
            Some(0) if src_file.is_some() => return Poll::Ready(Ok(Step::Eof)),
            Some(left) if src_file.is_some() => want.min(left.try_into().unwrap_or(usize::MAX)),
            _ => want,
        };
        let want = match (&mut self.cold, src_file, plan) {
            // A file source's range comes from the disk off the executor, if it must.
            (Some(cold), Some(fd), Plan::CopyFileRange | Plan::Sendfile) => {
                let to_size = (self.src_left == Some(want as u64)).then_some(self.src_size);
                ready!(cold.poll_ready(cx, fd, want, to_size))
            }
            _ => want,
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
                        return Poll::Ready(Ok(Step::Handover(e)));
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
                            return Ok(Step::Decline(io::Error::new(
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
            Err(e) => self.fail(plan, e),
        }
    }

    fn fail(&mut self, plan: Plan, err: io::Error) -> io::Result<Step> {
        sys::note_unavailable(&err, plan.call());
        if self.plan_delivered == 0 && sys::is_decline(&err) {
            Ok(Step::Decline(err))
        } else {
            Err(err)
        }
    }

    fn poll_pooled<Rt>(
        &mut self,
        cx: &mut Context<'_>,
        src: RawEnd<'_, Rt>,
        dst: RawEnd<'_, Rt>,
        want: usize,
    ) -> Poll<io::Result<Step>> {
        let pipe = match &mut self.pipe {
            Some(pipe) => pipe,
            None => match sys::Pipe::new() {
                Ok(pipe) => self.pipe.insert(pipe),
                // No fd for the pipe (EMFILE, ENFILE) or no memory: nothing was taken yet,
                // so the buffered path, which needs no fd, does the copy.
                Err(e) if self.plan_delivered == 0 && self.in_pipe == 0 => {
                    return Poll::Ready(Ok(Step::Decline(io::Error::new(
                        e.kind(),
                        format!("the splice pipe cannot be made: {e}"),
                    ))))
                }
                Err(e) => return Poll::Ready(self.fail(Plan::SplicePooled, e)),
            },
        };
        if self.in_pipe > 0 {
            // Empty the pipe before refilling it, so its bytes leave in order and a pipe
            // that holds bytes is never shared.
            let (pipe_out, in_pipe) = (pipe.read_end(), self.in_pipe);
            let guard = may_raise_sigpipe(self.dst_kind);
            let result = ready!(poll_write_leg(cx, dst, &mut self.dst_watch, &mut |out| {
                sys::splice(pipe_out, out, in_pipe, guard)
            }));
            return Poll::Ready(match result {
                Ok(0) => Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.in_pipe -= n;
                    self.plan_delivered += n as u64;
                    Ok(Step::Moved {
                        taken: 0,
                        delivered: n as u64,
                    })
                }
                Err(e) => self.fail(Plan::SplicePooled, e),
            });
        }
        let (pipe_in, len) = (pipe.write_end(), want.min(pipe.capacity()));
        // zc's own pipe has a reader (zc): filling it never raises SIGPIPE.
        let result = ready!(poll_read_leg(cx, src, &mut self.src_watch, &mut |input| {
            sys::splice(input, pipe_in, len, false)
        }));
        Poll::Ready(match result {
            Ok(0) => Ok(Step::Eof),
            Ok(n) => {
                self.in_pipe = n;
                Ok(Step::Moved {
                    taken: n as u64,
                    delivered: 0,
                })
            }
            Err(e) => self.fail(Plan::SplicePooled, e),
        })
    }
}

impl Drop for Kernel {
    fn drop(&mut self) {
        // A copy dropped mid-way (cancelled) closes a pipe that still holds bytes.
        self.release();
    }
}

/// Whether a write into a destination of this kind can raise SIGPIPE: into a socket or a
/// pipe (and, to be safe, into anything that is not a regular file).
fn may_raise_sigpipe(kind: Kind) -> bool {
    kind != Kind::RegularFile
}

fn src_fd_if_file<'a, Rt>(src: &RawEnd<'a, Rt>, kind: Kind) -> Option<BorrowedFd<'a>> {
    match (src, kind) {
        (RawEnd::Direct(fd) | RawEnd::File(fd), Kind::RegularFile) => Some(*fd),
        _ => None,
    }
}

/// Runs `op` on a `Watched` end: on its own fd until that first answers `WouldBlock` (a short
/// copy often never waits, and then no handle is made), then through the handle kept in
/// `slot`, which `watcher` makes on that first `WouldBlock`.
fn poll_watched(
    cx: &mut Context<'_>,
    fd: BorrowedFd<'_>,
    watcher: Watcher,
    slot: &mut Option<Watch>,
    interest: Interest,
    op: &mut dyn FnMut(BorrowedFd<'_>) -> io::Result<usize>,
) -> Poll<io::Result<usize>> {
    let watch = match slot {
        Some(watch) => watch,
        None => {
            match op(fd) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                result => return Poll::Ready(result),
            }
            match watcher(fd) {
                Ok(watch) => slot.insert(watch),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    };
    watch.poll_io(cx, interest, op)
}

/// Runs `op` on the source fd: at once for a direct fd, on readability for a polled one.
fn poll_read_leg<Rt>(
    cx: &mut Context<'_>,
    src: RawEnd<'_, Rt>,
    slot: &mut Option<Watch>,
    op: &mut dyn FnMut(BorrowedFd<'_>) -> io::Result<usize>,
) -> Poll<io::Result<usize>> {
    match src {
        RawEnd::Direct(fd) | RawEnd::File(fd) => Poll::Ready(op(fd)),
        RawEnd::Polled(ready) => ready.poll_io(cx, Interest::Readable, op),
        RawEnd::Watched(fd, watcher, _) => {
            poll_watched(cx, fd, watcher, slot, Interest::Readable, op)
        }
    }
}

/// Runs `op` on the destination fd: at once for a direct fd, on writability for a polled one.
fn poll_write_leg<Rt>(
    cx: &mut Context<'_>,
    dst: RawEnd<'_, Rt>,
    slot: &mut Option<Watch>,
    op: &mut dyn FnMut(BorrowedFd<'_>) -> io::Result<usize>,
) -> Poll<io::Result<usize>> {
    match dst {
        RawEnd::Direct(fd) | RawEnd::File(fd) => Poll::Ready(op(fd)),
        RawEnd::Polled(ready) => ready.poll_io(cx, Interest::Writable, op),
        RawEnd::Watched(fd, watcher, _) => {
            poll_watched(cx, fd, watcher, slot, Interest::Writable, op)
        }
    }
}
