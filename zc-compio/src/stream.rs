//! compio's sockets and pipes: fds compio reads and writes by completion, which zc reads and
//! writes with non-blocking syscalls on the executor thread, waiting for readiness through
//! the thread's epoll bridge ([`bridge`](crate::bridge)).
//!
//! Each type answers [`Source::raw_source`] / [`Sink::raw_sink`] with [`RawEnd::Polled`] on
//! itself, and its [`Readiness`] runs the kernel loop's syscall in async-io's style: the
//! syscall first, and on `WouldBlock` a wait for the fd's next readiness event.
//!
//! compio makes its sockets blocking under the io_uring driver (io_uring needs no
//! `O_NONBLOCK`); `sendfile(2)` and `splice(2)` on a blocking socket would block the executor
//! thread. So before a copy uses a socket's fd, [`Source::poll_prepare_source`] /
//! [`Sink::poll_prepare_sink`] make it non-blocking (`ioctl(FIONBIO)`, once per copy). It
//! stays so: io_uring completes compio's own reads and writes on a non-blocking socket as on a
//! blocking one (it waits internally on `EAGAIN`), and compio's polling driver makes its
//! sockets non-blocking itself. The byte-level reads and writes of a socket (the buffered
//! path) pass `MSG_DONTWAIT` and need no mode at all; they also pass `MSG_NOSIGNAL`, as
//! compio's own writes do. compio's pipes are non-blocking when opened from a FIFO, but
//! `compio::fs::pipe::anonymous` leaves them blocking under io_uring, and a pipe's `read` and
//! `write` take no flag: a pipe is made non-blocking before each of them (one `ioctl`).

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::task::{ready, Context, Poll};

use compio::fs::pipe::{Receiver, Sender};
use compio::net::{TcpStream, UnixStream};
use rustix::net::{RecvFlags, SendFlags, Shutdown};
use zc_traits::adapter::poll_io_then_wait;
use zc_traits::endpoint::{FdKind, Interest, RawEnd, Readiness, Sink, Source};

use crate::{bridge, retry, Compio};

/// Runs `op` on `fd` in async-io's style, waiting through the thread's epoll bridge.
fn poll_io(
    fd: BorrowedFd<'_>,
    cx: &mut Context<'_>,
    interest: Interest,
    op: &mut dyn FnMut(BorrowedFd<'_>) -> io::Result<usize>,
) -> Poll<io::Result<usize>> {
    poll_io_then_wait(fd, cx, interest, op, |cx, interest| {
        bridge::poll_ready(fd, interest, cx)
    })
}

/// Makes a socket or pipe non-blocking before its fd takes part in a kernel path (or, for a
/// pipe, in a read or write).
fn make_non_blocking(fd: BorrowedFd<'_>) -> Poll<io::Result<()>> {
    Poll::Ready(rustix::io::ioctl_fionbio(fd, true).map_err(io::Error::from))
}

/// Shuts a socket's write side down; a socket that is not connected (any more) has no write
/// side to shut.
fn shutdown_write(fd: BorrowedFd<'_>) -> Poll<io::Result<()>> {
    match rustix::net::shutdown(fd, Shutdown::Write) {
        Ok(()) | Err(rustix::io::Errno::NOTCONN) => Poll::Ready(Ok(())),
        Err(e) => Poll::Ready(Err(e.into())),
    }
}

macro_rules! readiness {
    ($ty:ty, $kind:expr) => {
        impl Readiness<Compio> for $ty {
            fn fd(&self) -> BorrowedFd<'_> {
                self.as_fd()
            }

            /// The type says it: a copy asks the kernel nothing about the fd.
            fn fd_kind(&self) -> FdKind {
                $kind
            }

            /// The syscall first, and on `WouldBlock` a wait for the fd's next readiness
            /// event (the thread's epoll bridge, watched by compio): a copy that finds the fd
            /// full or empty returns `Pending`, and never spins.
            fn poll_io(
                &mut self,
                cx: &mut Context<'_>,
                interest: Interest,
                op: &mut dyn FnMut(BorrowedFd<'_>) -> io::Result<usize>,
            ) -> Poll<io::Result<usize>> {
                poll_io(self.as_fd(), cx, interest, op)
            }
        }
    };
}

macro_rules! socket {
    ($(#[$src_doc:meta])* ; $(#[$sink_doc:meta])* $ty:ty) => {
        readiness!($ty, FdKind::StreamSocket);

        $(#[$src_doc])*
        impl Source<Compio> for $ty {
            fn poll_read(
                &mut self,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                poll_io(self.as_fd(), cx, Interest::Readable, &mut |fd| {
                    retry(|| rustix::net::recv(fd, &mut *buf, RecvFlags::DONTWAIT).map(|(n, _)| n))
                })
            }

            fn poll_prepare_source(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                make_non_blocking(self.as_fd())
            }

            fn raw_source(&mut self) -> Option<RawEnd<'_, Compio>> {
                Some(RawEnd::Polled(self))
            }
        }

        $(#[$sink_doc])*
        impl Sink<Compio> for $ty {
            fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                poll_io(self.as_fd(), cx, Interest::Writable, &mut |fd| {
                    retry(|| rustix::net::send(fd, buf, SendFlags::DONTWAIT | SendFlags::NOSIGNAL))
                })
            }

            /// Nothing to flush: compio's sockets hold no bytes in user space.
            fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            /// `shutdown(SHUT_WR)`: the peer reads EOF, and this side can still read.
            fn poll_shutdown(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                shutdown_write(self.as_fd())
            }

            fn poll_prepare_sink(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                make_non_blocking(self.as_fd())
            }

            fn raw_sink(&mut self) -> Option<RawEnd<'_, Compio>> {
                Some(RawEnd::Polled(self))
            }
        }
    };
}

socket!(
    /// `compio::net::TcpStream`: `splice(2)` into a socket, a pipe or a file; the stream is
    /// made non-blocking before its fd is used (see the module docs).
    ;
    /// `compio::net::TcpStream`: receives `sendfile(2)` from a file and `splice(2)` from a
    /// socket or pipe; the stream is made non-blocking before its fd is used.
    /// [`Sink::poll_shutdown`] is `shutdown(SHUT_WR)`.
    TcpStream
);

socket!(
    /// `compio::net::UnixStream`: `splice(2)` into a socket, a pipe or a file; the stream is
    /// made non-blocking before its fd is used.
    ;
    /// `compio::net::UnixStream`: receives `sendfile(2)` from a file and `splice(2)` from a
    /// socket or pipe; the stream is made non-blocking before its fd is used.
    /// [`Sink::poll_shutdown`] is `shutdown(SHUT_WR)`.
    UnixStream
);

readiness!(Receiver, FdKind::Pipe);
readiness!(Sender, FdKind::Pipe);

/// `compio::fs::pipe::Receiver`: `splice(2)` into a socket, a pipe or a file (into a file
/// with no intermediate pipe); the pipe is made non-blocking before its fd is used.
impl Source<Compio> for Receiver {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        // A read has no `MSG_DONTWAIT`: the mode must be set (compio's `pipe::anonymous`
        // leaves it blocking under io_uring).
        ready!(make_non_blocking(self.as_fd()))?;
        poll_io(self.as_fd(), cx, Interest::Readable, &mut |fd| {
            retry(|| rustix::io::read(fd, &mut *buf))
        })
    }

    fn poll_prepare_source(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        make_non_blocking(self.as_fd())
    }

    fn raw_source(&mut self) -> Option<RawEnd<'_, Compio>> {
        Some(RawEnd::Polled(self))
    }
}

/// `compio::fs::pipe::Sender`: receives `sendfile(2)` from a file and `splice(2)` from a
/// socket or pipe; the pipe is made non-blocking before its fd is used. [`Sink::poll_shutdown`] does nothing: a pipe has no write side to shut
/// down, and its reader sees EOF when the `Sender` (with its clones) is dropped.
impl Sink<Compio> for Sender {
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        ready!(make_non_blocking(self.as_fd()))?;
        poll_io(self.as_fd(), cx, Interest::Writable, &mut |fd| {
            retry(|| rustix::io::write(fd, buf))
        })
    }

    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_prepare_sink(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        make_non_blocking(self.as_fd())
    }

    fn raw_sink(&mut self) -> Option<RawEnd<'_, Compio>> {
        Some(RawEnd::Polled(self))
    }
}
