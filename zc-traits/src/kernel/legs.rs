//! Running a syscall on an end when it is ready: at once for a direct fd, through the
//! runtime's [`Readiness`] for a polled one, through a handle its [`Watcher`] makes for a
//! watched one.

use std::io;
use std::os::fd::BorrowedFd;
use std::task::{Context, Poll};

use crate::coop::Neutral;
use crate::endpoint::raw::{Interest, RawEnd, Readiness, Watcher};
use crate::sys::Kind;

/// The owned readiness handle of a [`RawEnd::Watched`] end, kept for the whole kernel stage.
pub(super) type Watch = Box<dyn Readiness<Neutral> + Send>;

/// Whether a write into a destination of this kind can raise SIGPIPE: into a socket or a
/// pipe (and, to be safe, into anything that is not a regular file).
pub(super) fn may_raise_sigpipe(kind: Kind) -> bool {
    kind != Kind::RegularFile
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
                Err(e) => {
                    let what = "the readiness handle of a watched end";
                    return Poll::Ready(Err(crate::sys::no_kernel_resource(what, e)));
                }
            }
        }
    };
    watch.poll_io(cx, interest, op)
}

/// Runs `op` on the source fd: at once for a direct fd, on readability for a polled one.
pub(super) fn poll_read_leg<Rt>(
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
pub(super) fn poll_write_leg<Rt>(
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
