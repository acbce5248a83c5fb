//! smol's sockets and pipes: non-blocking fds registered with async-io's reactor.
//!
//! Each type answers [`Source::raw_source`] / [`Sink::raw_sink`] with [`RawEnd::Polled`] on
//! itself, and its [`Readiness`] runs the kernel loop's syscall the way async-io's
//! `read_with` / `write_with` do: try the syscall, and on `WouldBlock` wait for the reactor's
//! next event with `Async::poll_readable` / `Async::poll_writable`.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream as StdUnixStream;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use async_io::{Async, IoSafe};
use async_net::unix::UnixStream;
use async_net::TcpStream;
use futures_lite::AsyncWrite;
use zc_traits::endpoint::{FdKind, RawEnd, Readiness, Sink, Source};

use crate::Smol;

/// Flushes, then shuts the write side of a socket down; a pipe has no write side to shut
/// (its reader sees EOF when the writer is dropped), so for it this is a flush.
fn poll_flush_shutdown<W: AsyncWrite + AsFd + Unpin>(
    io: &mut W,
    cx: &mut Context<'_>,
) -> Poll<io::Result<()>> {
    ready!(Pin::new(&mut *io).poll_flush(cx))?;
    match rustix::net::shutdown(io.as_fd(), rustix::net::Shutdown::Write) {
        Ok(()) | Err(rustix::io::Errno::NOTSOCK) => Poll::Ready(Ok(())),
        Err(e) => Poll::Ready(Err(e.into())),
    }
}

/// Any fd registered with async-io: a socket or a pipe.
impl<T: AsFd> Readiness<Smol> for Async<T> {
    fn fd(&self) -> BorrowedFd<'_> {
        self.get_ref().as_fd()
    }

    zc_traits::__async_io_poll_io!(Smol, |io| io);
}

/// `smol::Async<T>` over a socket or a pipe: `splice(2)` into a socket, a pipe or a file.
///
/// `T` is `std::net::TcpStream`, `std::os::unix::net::UnixStream`, or a pipe's reading end
/// (`std::io::PipeReader`, `std::process::ChildStdout`, a `std::fs::File` opened on a FIFO or
/// made from a pipe fd).
impl<T: AsFd + IoSafe + Read> Source<Smol> for Async<T> {
    zc_traits::__futures_io_bytes!(source);

    fn raw_source(&mut self) -> Option<RawEnd<'_, Smol>> {
        Some(RawEnd::Polled(self))
    }
}

/// `smol::Async<T>` over a socket or a pipe: receives `sendfile(2)` from a file and `splice(2)`
/// from a socket or pipe.
///
/// [`Sink::poll_shutdown`] flushes and, for a socket, shuts its write side down
/// (`shutdown(SHUT_WR)`), which async-io's own `poll_close` does not do.
impl<T: AsFd + IoSafe + Write> Sink<Smol> for Async<T> {
    zc_traits::__futures_io_bytes!(sink);

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        poll_flush_shutdown(self, cx)
    }

    fn raw_sink(&mut self) -> Option<RawEnd<'_, Smol>> {
        Some(RawEnd::Polled(self))
    }
}

// async-net's streams are `Arc<Async<_>>` inside and keep it private, but every clone of a
// stream converts into that `Arc`. The readiness state (the waker and the last event seen)
// lives in the shared registration, not in the handle, so waiting through a clone made for
// this one poll is waiting on the stream itself; the clone costs one reference count.
macro_rules! async_net_stream {
    ($(#[$src_doc:meta])* ; $(#[$sink_doc:meta])* $ty:ty => $std:ty) => {
        impl Readiness<Smol> for $ty {
            fn fd(&self) -> BorrowedFd<'_> {
                self.as_fd()
            }

            /// The type says it: a copy asks the kernel nothing about the fd.
            fn fd_kind(&self) -> FdKind {
                FdKind::StreamSocket
            }

            zc_traits::__async_io_poll_io!(Smol, |stream| Arc::<Async<$std>>::from(stream.clone()));
        }

        $(#[$src_doc])*
        impl Source<Smol> for $ty {
            zc_traits::__futures_io_bytes!(source);

            fn raw_source(&mut self) -> Option<RawEnd<'_, Smol>> {
                Some(RawEnd::Polled(self))
            }
        }

        $(#[$sink_doc])*
        impl Sink<Smol> for $ty {
            zc_traits::__futures_io_bytes!(sink);

            fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                // async-net's `poll_close` is `shutdown(SHUT_WR)`.
                AsyncWrite::poll_close(Pin::new(self), cx)
            }

            fn raw_sink(&mut self) -> Option<RawEnd<'_, Smol>> {
                Some(RawEnd::Polled(self))
            }
        }
    };
}

async_net_stream!(
    /// `smol::net::TcpStream`: `splice(2)` into a socket, a pipe or a file.
    ;
    /// `smol::net::TcpStream`: receives `sendfile(2)` from a file and `splice(2)` from a socket
    /// or pipe. [`Sink::poll_shutdown`] is `shutdown(SHUT_WR)`.
    TcpStream => std::net::TcpStream
);

async_net_stream!(
    /// `smol::net::unix::UnixStream`: `splice(2)` into a socket, a pipe or a file.
    ;
    /// `smol::net::unix::UnixStream`: receives `sendfile(2)` from a file and `splice(2)` from a
    /// socket or pipe. [`Sink::poll_shutdown`] is `shutdown(SHUT_WR)`.
    UnixStream => StdUnixStream
);
