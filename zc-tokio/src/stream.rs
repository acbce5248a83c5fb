//! tokio's sockets and pipes: non-blocking fds registered with tokio's reactor.
//!
//! Each type answers [`Source::raw_source`] / [`Sink::raw_sink`] with [`RawEnd::Polled`] on
//! itself, and its [`Readiness`] runs the kernel loop's syscall the way tokio's own I/O does:
//! wait with `poll_read_ready` / `poll_write_ready`, run the syscall inside `try_io`, and on
//! `WouldBlock` let `try_io` clear the readiness so the next wait really waits.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};
use tokio::net::unix::pipe;
use tokio::net::{tcp, unix, TcpStream, UnixStream};
use zc_traits::endpoint::{FdKind, Interest, RawEnd, Readiness, Sink, Source};

use crate::Tokio;

/// tokio's readiness API, as each of its fd types spells it.
pub(crate) trait Reactor {
    fn reactor_fd(&self) -> BorrowedFd<'_>;

    /// `poll_read_ready` / `poll_write_ready`. They take one unit of tokio's coop budget
    /// each, so a long kernel copy yields to the scheduler like tokio's own I/O does.
    fn poll_ready(&self, cx: &mut Context<'_>, interest: Interest) -> Poll<io::Result<()>>;

    /// `try_io`: runs `f` only if tokio holds a readiness event for `interest`, and clears
    /// that event when `f` answers `WouldBlock`.
    fn try_io(
        &self,
        interest: Interest,
        f: &mut dyn FnMut() -> io::Result<usize>,
    ) -> io::Result<usize>;
}

/// Readiness for a direction this end does not have (a write half asked to read).
fn wrong_direction(interest: Interest) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("zc-tokio: this end cannot wait for {interest:?} readiness"),
    )
}

fn tokio_interest(interest: Interest) -> tokio::io::Interest {
    match interest {
        Interest::Readable => tokio::io::Interest::READABLE,
        Interest::Writable => tokio::io::Interest::WRITABLE,
    }
}

/// The body of every [`Readiness::poll_io`] of this crate.
pub(crate) fn poll_io<R: Reactor + ?Sized>(
    io: &R,
    cx: &mut Context<'_>,
    interest: Interest,
    op: &mut dyn FnMut(BorrowedFd<'_>) -> io::Result<usize>,
) -> Poll<io::Result<usize>> {
    loop {
        // Pending here registers the waker; tokio's coop budget may also say "yield now".
        ready!(io.poll_ready(cx, interest))?;
        let fd = io.reactor_fd();
        match io.try_io(interest, &mut || op(fd)) {
            // `try_io` cleared the readiness it consumed (or held none): the next
            // `poll_ready` waits for a new event instead of spinning.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            result => return Poll::Ready(result),
        }
    }
}

macro_rules! reactor_for_stream {
    ($ty:ty, $stream:ty) => {
        impl Reactor for $ty {
            fn reactor_fd(&self) -> BorrowedFd<'_> {
                AsRef::<$stream>::as_ref(self).as_fd()
            }

            fn poll_ready(&self, cx: &mut Context<'_>, interest: Interest) -> Poll<io::Result<()>> {
                let stream: &$stream = self.as_ref();
                match interest {
                    Interest::Readable => stream.poll_read_ready(cx),
                    Interest::Writable => stream.poll_write_ready(cx),
                }
            }

            fn try_io(
                &self,
                interest: Interest,
                f: &mut dyn FnMut() -> io::Result<usize>,
            ) -> io::Result<usize> {
                AsRef::<$stream>::as_ref(self).try_io(tokio_interest(interest), f)
            }
        }
    };
}

// A stream's halves share its registration: a read half only ever waits for readability and
// a write half only for writability, which is the mutual exclusion tokio's `poll_*_ready`
// asks of their callers.
macro_rules! reactor_for_half {
    ($ty:ty, $stream:ty, $only:ident) => {
        impl Reactor for $ty {
            fn reactor_fd(&self) -> BorrowedFd<'_> {
                AsRef::<$stream>::as_ref(self).as_fd()
            }

            fn poll_ready(
                &self,
                cx: &mut Context<'_>,
                interest: Interest,
            ) -> Poll<io::Result<()>> {
                let stream: &$stream = self.as_ref();
                match interest {
                    Interest::$only => reactor_for_half!(@ready $only, stream, cx),
                    other => Poll::Ready(Err(wrong_direction(other))),
                }
            }

            fn try_io(
                &self,
                interest: Interest,
                f: &mut dyn FnMut() -> io::Result<usize>,
            ) -> io::Result<usize> {
                if interest != Interest::$only {
                    return Err(wrong_direction(interest));
                }
                AsRef::<$stream>::as_ref(self).try_io(tokio_interest(interest), f)
            }
        }
    };
    (@ready Readable, $stream:ident, $cx:ident) => {
        $stream.poll_read_ready($cx)
    };
    (@ready Writable, $stream:ident, $cx:ident) => {
        $stream.poll_write_ready($cx)
    };
}

reactor_for_stream!(TcpStream, TcpStream);
reactor_for_stream!(UnixStream, UnixStream);
reactor_for_half!(tcp::ReadHalf<'_>, TcpStream, Readable);
reactor_for_half!(tcp::OwnedReadHalf, TcpStream, Readable);
reactor_for_half!(tcp::WriteHalf<'_>, TcpStream, Writable);
reactor_for_half!(tcp::OwnedWriteHalf, TcpStream, Writable);
reactor_for_half!(unix::ReadHalf<'_>, UnixStream, Readable);
reactor_for_half!(unix::OwnedReadHalf, UnixStream, Readable);
reactor_for_half!(unix::WriteHalf<'_>, UnixStream, Writable);
reactor_for_half!(unix::OwnedWriteHalf, UnixStream, Writable);

impl Reactor for pipe::Receiver {
    fn reactor_fd(&self) -> BorrowedFd<'_> {
        self.as_fd()
    }

    fn poll_ready(&self, cx: &mut Context<'_>, interest: Interest) -> Poll<io::Result<()>> {
        match interest {
            Interest::Readable => self.poll_read_ready(cx),
            other => Poll::Ready(Err(wrong_direction(other))),
        }
    }

    fn try_io(
        &self,
        interest: Interest,
        f: &mut dyn FnMut() -> io::Result<usize>,
    ) -> io::Result<usize> {
        match interest {
            Interest::Readable => pipe::Receiver::try_io(self, f),
            other => Err(wrong_direction(other)),
        }
    }
}

impl Reactor for pipe::Sender {
    fn reactor_fd(&self) -> BorrowedFd<'_> {
        self.as_fd()
    }

    fn poll_ready(&self, cx: &mut Context<'_>, interest: Interest) -> Poll<io::Result<()>> {
        match interest {
            Interest::Writable => self.poll_write_ready(cx),
            other => Poll::Ready(Err(wrong_direction(other))),
        }
    }

    fn try_io(
        &self,
        interest: Interest,
        f: &mut dyn FnMut() -> io::Result<usize>,
    ) -> io::Result<usize> {
        match interest {
            Interest::Writable => pipe::Sender::try_io(self, f),
            other => Err(wrong_direction(other)),
        }
    }
}

/// tokio's `AsyncRead::poll_read` in the `futures_io` shape the endpoint traits use.
pub(crate) fn poll_read_tokio<R: AsyncRead + ?Sized>(
    reader: Pin<&mut R>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    let mut read_buf = ReadBuf::new(buf);
    ready!(reader.poll_read(cx, &mut read_buf))?;
    Poll::Ready(Ok(read_buf.filled().len()))
}

macro_rules! polled {
    ($($ty:ty => $kind:ident),* $(,)?) => {$(
        impl Readiness<Tokio> for $ty {
            fn fd(&self) -> BorrowedFd<'_> {
                self.reactor_fd()
            }

            fn fd_kind(&self) -> FdKind {
                FdKind::$kind
            }

            fn poll_io(
                &mut self,
                cx: &mut Context<'_>,
                interest: Interest,
                op: &mut dyn FnMut(BorrowedFd<'_>) -> io::Result<usize>,
            ) -> Poll<io::Result<usize>> {
                poll_io(&*self, cx, interest, op)
            }
        }
    )*};
}

// The type says what the fd is, so a copy asks the kernel nothing about it.
polled!(
    TcpStream => StreamSocket,
    UnixStream => StreamSocket,
    tcp::ReadHalf<'_> => StreamSocket,
    tcp::OwnedReadHalf => StreamSocket,
    tcp::WriteHalf<'_> => StreamSocket,
    tcp::OwnedWriteHalf => StreamSocket,
    unix::ReadHalf<'_> => StreamSocket,
    unix::OwnedReadHalf => StreamSocket,
    unix::WriteHalf<'_> => StreamSocket,
    unix::OwnedWriteHalf => StreamSocket,
    pipe::Receiver => Pipe,
    pipe::Sender => Pipe,
);

macro_rules! polled_source {
    ($($(#[$doc:meta])* $ty:ty),* $(,)?) => {$(
        $(#[$doc])*
        impl Source<Tokio> for $ty {
            fn poll_read(
                &mut self,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                poll_read_tokio(Pin::new(self), cx, buf)
            }

            fn raw_source(&mut self) -> Option<RawEnd<'_, Tokio>> {
                Some(RawEnd::Polled(self))
            }
        }
    )*};
}

macro_rules! polled_sink {
    ($($(#[$doc:meta])* $ty:ty),* $(,)?) => {$(
        $(#[$doc])*
        impl Sink<Tokio> for $ty {
            sink_by_async_write!();

            fn raw_sink(&mut self) -> Option<RawEnd<'_, Tokio>> {
                Some(RawEnd::Polled(self))
            }
        }
    )*};
}

polled_source!(
    /// A TCP socket: `splice(2)` into a socket, a pipe or a file.
    TcpStream,
    /// A Unix stream socket: `splice(2)` into a socket, a pipe or a file.
    UnixStream,
    /// The read half of [`TcpStream::split`].
    tcp::ReadHalf<'_>,
    /// The read half of [`TcpStream::into_split`].
    tcp::OwnedReadHalf,
    /// The read half of [`UnixStream::split`].
    unix::ReadHalf<'_>,
    /// The read half of [`UnixStream::into_split`].
    unix::OwnedReadHalf,
    /// The reading end of a pipe: `splice(2)` into a file without an intermediate pipe.
    pipe::Receiver,
);

polled_sink!(
    /// A TCP socket: receives `sendfile(2)` from a file and `splice(2)` from a socket or pipe.
    /// [`Sink::poll_shutdown`] is `shutdown(SHUT_WR)`.
    TcpStream,
    /// A Unix stream socket, as [`TcpStream`].
    UnixStream,
    /// The write half of [`TcpStream::split`]; its shutdown half-closes the stream.
    tcp::WriteHalf<'_>,
    /// The write half of [`TcpStream::into_split`]; its shutdown half-closes the stream.
    tcp::OwnedWriteHalf,
    /// The write half of [`UnixStream::split`].
    unix::WriteHalf<'_>,
    /// The write half of [`UnixStream::into_split`].
    unix::OwnedWriteHalf,
    /// The writing end of a pipe: receives `sendfile(2)` from a file, `splice(2)` otherwise.
    pipe::Sender,
);
