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

/// A tokio type registered with the reactor (a stream, or a pipe end), as it spells tokio's
/// readiness API.
trait Registration: AsFd {
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

macro_rules! stream_registration {
    ($($stream:ty),*) => {$(
        impl Registration for $stream {
            fn poll_ready(&self, cx: &mut Context<'_>, interest: Interest) -> Poll<io::Result<()>> {
                match interest {
                    Interest::Readable => self.poll_read_ready(cx),
                    Interest::Writable => self.poll_write_ready(cx),
                }
            }

            fn try_io(
                &self,
                interest: Interest,
                f: &mut dyn FnMut() -> io::Result<usize>,
            ) -> io::Result<usize> {
                let interest = match interest {
                    Interest::Readable => tokio::io::Interest::READABLE,
                    Interest::Writable => tokio::io::Interest::WRITABLE,
                };
                <$stream>::try_io(self, interest, f)
            }
        }
    )*};
}

stream_registration!(TcpStream, UnixStream);

// A pipe end has one direction, which its endpoint's `DIRECTION` enforces before these run.
impl Registration for pipe::Receiver {
    fn poll_ready(&self, cx: &mut Context<'_>, _: Interest) -> Poll<io::Result<()>> {
        self.poll_read_ready(cx)
    }

    fn try_io(&self, _: Interest, f: &mut dyn FnMut() -> io::Result<usize>) -> io::Result<usize> {
        pipe::Receiver::try_io(self, f)
    }
}

impl Registration for pipe::Sender {
    fn poll_ready(&self, cx: &mut Context<'_>, _: Interest) -> Poll<io::Result<()>> {
        self.poll_write_ready(cx)
    }

    fn try_io(&self, _: Interest, f: &mut dyn FnMut() -> io::Result<usize>) -> io::Result<usize> {
        pipe::Sender::try_io(self, f)
    }
}

/// Readiness for a direction this end does not have (a write half asked to read).
fn wrong_direction(interest: Interest) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("zc-tokio: this end cannot wait for {interest:?} readiness"),
    )
}

/// The body of every [`Readiness::poll_io`] of this crate: tokio's own I/O, one poll at a time.
///
/// `direction` is the one readiness the end may wait for, if it has one. A stream's halves
/// share its registration: a read half only ever waits for readability and a write half only
/// for writability, which is the mutual exclusion tokio's `poll_*_ready` asks of their callers.
fn poll_io(
    registration: &dyn Registration,
    direction: Option<Interest>,
    cx: &mut Context<'_>,
    interest: Interest,
    op: &mut dyn FnMut(BorrowedFd<'_>) -> io::Result<usize>,
) -> Poll<io::Result<usize>> {
    if direction.is_some_and(|only| only != interest) {
        return Poll::Ready(Err(wrong_direction(interest)));
    }
    loop {
        // Pending here registers the waker; tokio's coop budget may also say "yield now".
        ready!(registration.poll_ready(cx, interest))?;
        let fd = registration.as_fd();
        match registration.try_io(interest, &mut || op(fd)) {
            // `try_io` cleared the readiness it consumed (or held none): the next
            // `poll_ready` waits for a new event instead of spinning.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            result => return Poll::Ready(result),
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

/// Each of tokio's registered types as a zc endpoint: its [`Readiness<Tokio>`] (its
/// registration: itself, or the stream of a half; the one direction it may wait for; what its
/// fd is, which the type says, so a copy asks the kernel nothing about it), and its
/// [`Source<Tokio>`] / [`Sink<Tokio>`] impls, each with its docs.
macro_rules! endpoints {
    ($(
        $ty:ty => $kind:ident, $registration:ident, $direction:expr,
            [$($(#[$doc:meta])* $role:ident),+ $(,)?];
    )*) => {$(
        impl Readiness<Tokio> for $ty {
            fn fd(&self) -> BorrowedFd<'_> {
                endpoints!(@registration $registration, self).as_fd()
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
                let registration = endpoints!(@registration $registration, self);
                poll_io(registration, $direction, cx, interest, op)
            }
        }

        $(endpoints!(@$role $ty, $(#[$doc])*);)+
    )*};
    (@registration itself, $end:ident) => {
        &*$end
    };
    (@registration $stream:ident, $end:ident) => {
        AsRef::<$stream>::as_ref(&*$end)
    };
    (@source $ty:ty, $(#[$doc:meta])*) => {
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
    };
    (@sink $ty:ty, $(#[$doc:meta])*) => {
        $(#[$doc])*
        impl Sink<Tokio> for $ty {
            sink_by_async_write!();

            fn raw_sink(&mut self) -> Option<RawEnd<'_, Tokio>> {
                Some(RawEnd::Polled(self))
            }
        }
    };
}

const READ: Option<Interest> = Some(Interest::Readable);
const WRITE: Option<Interest> = Some(Interest::Writable);

endpoints! {
    TcpStream => StreamSocket, itself, None, [
        /// A TCP socket: `splice(2)` into a socket, a pipe or a file.
        source,
        /// A TCP socket: receives `sendfile(2)` from a file and `splice(2)` from a socket or
        /// pipe. [`Sink::poll_shutdown`] is `shutdown(SHUT_WR)`.
        sink,
    ];
    UnixStream => StreamSocket, itself, None, [
        /// A Unix stream socket: `splice(2)` into a socket, a pipe or a file.
        source,
        /// A Unix stream socket, as [`TcpStream`].
        sink,
    ];
    pipe::Receiver => Pipe, itself, READ, [
        /// The reading end of a pipe: `splice(2)` into a file without an intermediate pipe.
        source,
    ];
    pipe::Sender => Pipe, itself, WRITE, [
        /// The writing end of a pipe: receives `sendfile(2)` from a file, `splice(2)`
        /// otherwise.
        sink,
    ];
}

// The four halves of a stream's `split()` / `into_split()`; their shutdown is the stream's
// `shutdown(SHUT_WR)`.
macro_rules! halves {
    ($module:ident, $stream:ident) => {
        endpoints! {
            $module::ReadHalf<'_> => StreamSocket, $stream, READ, [
                #[doc = concat!("The read half of [`", stringify!($stream), "::split`].")]
                source,
            ];
            $module::OwnedReadHalf => StreamSocket, $stream, READ, [
                #[doc = concat!("The read half of [`", stringify!($stream), "::into_split`].")]
                source,
            ];
            $module::WriteHalf<'_> => StreamSocket, $stream, WRITE, [
                #[doc = concat!(
                    "The write half of [`", stringify!($stream), "::split`]; its shutdown ",
                    "half-closes the stream."
                )]
                sink,
            ];
            $module::OwnedWriteHalf => StreamSocket, $stream, WRITE, [
                #[doc = concat!(
                    "The write half of [`", stringify!($stream), "::into_split`]; its ",
                    "shutdown half-closes the stream."
                )]
                sink,
            ];
        }
    };
}

halves!(tcp, TcpStream);
halves!(unix, UnixStream);
