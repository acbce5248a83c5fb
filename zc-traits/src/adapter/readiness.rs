//! The kernel loop's wait in async-io's style: the syscall first, the reactor only on
//! `WouldBlock` (async-io's `read_with` / `write_with`, one poll at a time).

use std::io;
use std::os::fd::BorrowedFd;
use std::task::{ready, Context, Poll};

use crate::endpoint::Interest;

/// A [`Readiness::poll_io`](crate::endpoint::Readiness::poll_io) in async-io's style: runs `op` on `fd`,
/// and on `WouldBlock` waits with `poll_ready`, then runs `op` again.
///
/// `poll_ready(cx, interest)` must return `Ready` only for a reactor event of `interest`
/// delivered since this task last got `Pending` from it, and otherwise `Pending` with the
/// waker registered (async-io's `Async::poll_readable` / `poll_writable`). Then a
/// `WouldBlock` leads to `Pending` after at most one stale event: the loop never spins.
///
/// # Errors
///
/// Whatever `op` returns other than `WouldBlock`, and the errors of `poll_ready`.
pub fn poll_io_then_wait(
    fd: BorrowedFd<'_>,
    cx: &mut Context<'_>,
    interest: Interest,
    op: &mut dyn FnMut(BorrowedFd<'_>) -> io::Result<usize>,
    mut poll_ready: impl FnMut(&mut Context<'_>, Interest) -> Poll<io::Result<()>>,
) -> Poll<io::Result<usize>> {
    loop {
        match op(fd) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            result => return Poll::Ready(result),
        }
        ready!(poll_ready(cx, interest))?;
    }
}

/// In an `impl Readiness<Rt>` block of an fd registered with async-io's reactor,
/// `__async_io_poll_io!(Rt, |end| handle)` is [`poll_io`](crate::endpoint::Readiness::poll_io)
/// through [`poll_io_then_wait`]: the syscall on the impl's [`fd`](crate::endpoint::Readiness::fd),
/// and on `WouldBlock` `poll_readable` / `poll_writable` on `handle` (an `&Async<_>`, or
/// anything that dereferences to one), computed from `end: &Self` for each wait.
///
/// For adapter crates; not part of zc's API.
#[doc(hidden)]
#[macro_export]
macro_rules! __async_io_poll_io {
    ($rt:ty, |$end:ident| $handle:expr) => {
        /// async-io's `read_with` / `write_with`, one poll at a time: the syscall first, and
        /// on `WouldBlock` a wait for the reactor's next event, which never spins.
        fn poll_io(
            &mut self,
            cx: &mut ::std::task::Context<'_>,
            interest: $crate::endpoint::Interest,
            op: &mut dyn FnMut(::std::os::fd::BorrowedFd<'_>) -> ::std::io::Result<usize>,
        ) -> ::std::task::Poll<::std::io::Result<usize>> {
            let $end = &*self;
            let fd = $crate::endpoint::Readiness::<$rt>::fd($end);
            $crate::adapter::poll_io_then_wait(fd, cx, interest, op, |cx, interest| {
                let handle = $handle;
                match interest {
                    $crate::endpoint::Interest::Readable => handle.poll_readable(cx),
                    $crate::endpoint::Interest::Writable => handle.poll_writable(cx),
                }
            })
        }
    };
}
