//! async-std's sockets: non-blocking fds registered with async-io's reactor behind a private
//! handle, watched through a registered duplicate.
//!
//! Each stream answers [`Source::raw_source`] / [`Sink::raw_sink`] with
//! [`RawEnd::Watched`] on its fd and [`watch`], which the kernel loop calls once per copy
//! direction, on the first `WouldBlock`.

use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use async_io::Async;
use async_std::net::TcpStream;
use async_std::os::unix::net::UnixStream;
use futures_lite::AsyncWrite;
use zc_traits::endpoint::{FdKind, RawEnd, Readiness, Sink, Source};
use zc_traits::Neutral;

use crate::AsyncStd;

/// A duplicate of a stream's fd, registered with async-io's reactor, owned by one copy.
///
/// It refers to the same open socket as the stream, so a syscall on it is a syscall on the
/// stream; its epoll registration is its own (epoll keys registrations by fd), so waiting on it
/// neither disturbs async-std's registration of the original fd nor depends on it. Dropping it
/// deregisters the duplicate and closes it.
#[derive(Debug)]
struct Watch(Async<OwnedFd>);

impl Readiness<Neutral> for Watch {
    fn fd(&self) -> BorrowedFd<'_> {
        self.0.get_ref().as_fd()
    }

    zc_traits::__async_io_poll_io!(Neutral, |watch| &watch.0);
}

/// The [`Watcher`](zc_traits::endpoint::Watcher) of async-std's streams: duplicates `fd`
/// (close-on-exec) and registers the duplicate with async-io's reactor.
///
/// # Errors
///
/// `EMFILE`/`ENFILE` from the duplication, or the reactor's registration error; the duplicate
/// is closed on either.
fn watch(fd: BorrowedFd<'_>) -> io::Result<Box<dyn Readiness<Neutral> + Send>> {
    let dup = rustix::io::fcntl_dupfd_cloexec(fd, 0)?;
    // The stream's open file is already non-blocking (O_NONBLOCK is shared by duplicates);
    // `Async::new` sets it again, harmlessly.
    Ok(Box::new(Watch(Async::new(dup)?)))
}

macro_rules! watched_stream {
    ($(#[$src_doc:meta])* ; $(#[$sink_doc:meta])* $ty:ty) => {
        $(#[$src_doc])*
        impl Source<AsyncStd> for $ty {
            zc_traits::__futures_io_bytes!(source);

            fn raw_source(&mut self) -> Option<RawEnd<'_, AsyncStd>> {
                Some(RawEnd::Watched(AsFd::as_fd(&*self), watch, FdKind::StreamSocket))
            }
        }

        $(#[$sink_doc])*
        impl Sink<AsyncStd> for $ty {
            zc_traits::__futures_io_bytes!(sink);

            fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                // async-std's `poll_close` only flushes; a relay's half-close needs SHUT_WR.
                ready!(AsyncWrite::poll_flush(Pin::new(&mut *self), cx))?;
                Poll::Ready(self.shutdown(Shutdown::Write))
            }

            fn raw_sink(&mut self) -> Option<RawEnd<'_, AsyncStd>> {
                Some(RawEnd::Watched(AsFd::as_fd(&*self), watch, FdKind::StreamSocket))
            }
        }
    };
}

watched_stream!(
    /// `async_std::net::TcpStream`: `splice(2)` into a socket, a pipe or a file.
    ;
    /// `async_std::net::TcpStream`: receives `sendfile(2)` from a file and `splice(2)` from a
    /// socket or pipe. [`Sink::poll_shutdown`] is `shutdown(SHUT_WR)`.
    TcpStream
);

watched_stream!(
    /// `async_std::os::unix::net::UnixStream`: `splice(2)` into a socket, a pipe or a file.
    ;
    /// `async_std::os::unix::net::UnixStream`: receives `sendfile(2)` from a file and
    /// `splice(2)` from a socket or pipe. [`Sink::poll_shutdown`] is `shutdown(SHUT_WR)`.
    UnixStream
);
