//! What an endpoint has in the kernel ([`RawEnd`], [`FdKind`]) and how a kernel loop waits for
//! it ([`Readiness`], [`Interest`], [`Watcher`]).

use std::fmt;
use std::io;
use std::os::fd::BorrowedFd;
use std::task::{Context, Poll};

use crate::coop::Neutral;

/// Which readiness a kernel loop waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interest {
    /// The fd has bytes to read (or EOF, or an error).
    Readable,
    /// The fd has room to write (or an error).
    Writable,
}

/// A non-blocking fd registered with a runtime's reactor: Go's `syscall.RawConn`.
///
/// `Rt` is the runtime marker, as in [`Source`](crate::Source): it lets an adapter crate implement this trait
/// for its runtime's own stream types (`impl Readiness<Tokio> for tokio::net::TcpStream`), so
/// [`RawEnd::Polled`] can borrow the stream itself.
///
/// The kernel loops of this crate (`sendfile`, `splice`) never block the executor: they run each
/// syscall through [`poll_io`](Readiness::poll_io), which waits until the runtime reports the
/// fd ready, runs the syscall, and on `WouldBlock` clears the readiness it consumed and waits
/// again. That is tokio's `poll_read_ready` + `try_io`, async-io's `poll_readable` +
/// `read_with`, and Go's `RawConn.Read(func(fd) bool)`.
///
/// # Implementation
///
/// * [`fd`](Readiness::fd) returns the fd the runtime watches; it must be in non-blocking mode.
/// * [`poll_io`](Readiness::poll_io) must:
///   - return `Poll::Ready(op(fd))` for every outcome of `op` except `WouldBlock`;
///   - on `WouldBlock`, clear the readiness for `interest` (so the next wait really waits) and
///     poll for readiness again, returning `Poll::Pending` with the task's waker registered
///     when the fd is not ready;
///   - never spin: a `WouldBlock` must lead to `Pending` unless the runtime reports a new
///     readiness event.
///
///   It may run `op` before waiting (async-io's style) or only after the runtime reports
///   readiness (tokio's style). `op` retries `Interrupted` itself.
pub trait Readiness<Rt> {
    /// The fd behind the endpoint, borrowed for as long as the endpoint is.
    fn fd(&self) -> BorrowedFd<'_>;

    /// What the fd is, when the endpoint's type says it (a TCP stream is a stream socket).
    /// Default: [`FdKind::Unknown`], and the copy asks the kernel (`fstat`, `getsockopt`).
    fn fd_kind(&self) -> FdKind {
        FdKind::Unknown
    }

    /// Runs `op` on the fd when it is ready for `interest`; re-waits on `WouldBlock`.
    ///
    /// # Errors
    ///
    /// Whatever `op` returns other than `WouldBlock`, and errors of the reactor registration.
    fn poll_io(
        &mut self,
        cx: &mut Context<'_>,
        interest: Interest,
        op: &mut dyn FnMut(BorrowedFd<'_>) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>>;
}

impl<Rt> fmt::Debug for dyn Readiness<Rt> + '_ {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Readiness").field("fd", &self.fd()).finish()
    }
}

impl<Rt> fmt::Debug for dyn Readiness<Rt> + Send + '_ {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Readiness").field("fd", &self.fd()).finish()
    }
}

/// Makes an owned [`Readiness`] handle for the fd of a [`RawEnd::Watched`] end.
///
/// The handle belongs to no runtime's own types, so it uses the [`Neutral`]
/// marker. It typically owns a duplicate of the fd (`fcntl(F_DUPFD_CLOEXEC)`) registered with
/// the runtime's reactor, and closes it when dropped.
///
/// # Errors
///
/// Errors of the duplication or of the reactor registration; the copy fails with them.
pub type Watcher = fn(BorrowedFd<'_>) -> io::Result<Box<dyn Readiness<Neutral> + Send>>;

/// What kind of kernel object a socket or pipe end is, as its type says (std's `kernel_copy`
/// keeps the same knowledge in its `FdMeta`). A copy takes a kind its ends state as given and
/// makes no syscall to learn it; it asks the kernel only about [`FdKind::Unknown`] ends.
///
/// The kind picks the kernel plan; the syscall's answer still decides, so a wrong kind costs a
/// plan that falls back to the next, never wrong bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FdKind {
    /// A connected stream socket: TCP, or a Unix stream socket.
    StreamSocket,
    /// A pipe or a FIFO.
    Pipe,
    /// The type does not say (`smol::Async<T>` over any `T`, say): the copy asks the kernel.
    Unknown,
}

/// The kernel object behind an endpoint: Go's "are you an `*os.File` / `*net.TCPConn`?".
///
/// The kind of the fd (regular file, pipe, socket) comes from the end when its type says it
/// ([`Readiness::fd_kind`], the [`FdKind`] of [`RawEnd::Watched`]); otherwise the copy learns
/// it with an `fstat` of the end when it chooses its kernel plans (a copy that falls back to
/// the buffered path, or copies a file into itself, makes one or two more: the `kernel`
/// module's docs list them). It is a hint, and the syscall's answer decides.
///
/// # A file written after the copy returned
///
/// From a regular file (`Direct`, `File`) into a pipe or a socket, `sendfile(2)` passes the
/// file's pages on, not copies of them: the pipe, or the socket's send queue until the peer
/// acknowledges the bytes, refers to the file's pages. Bytes written into that range of the
/// file after the copy returned, while those pages still wait there, can be the bytes the
/// pipe's reader or the peer receives (the reason std's `io::copy` stopped splicing file →
/// pipe, rust-lang/rust#108283). A copy into a file (`copy_file_range`, `sendfile` between
/// files) and the buffered path copy the bytes. zc does not copy the pages first: rewrite a
/// served file by writing a new one and renaming it over the old, as a deployment does, or
/// copy it on the buffered path (a [`FuturesIo`](crate::FuturesIo) end has no fd).
#[derive(Debug)]
#[non_exhaustive]
pub enum RawEnd<'a, Rt> {
    /// An fd that is used in blocking mode and never needs a reactor: a regular file, a block
    /// device, or a blocking pipe. Its own file offset is the position the copy reads from or
    /// writes at, and the kernel advances it.
    Direct(BorrowedFd<'a>),
    /// A non-blocking socket or pipe registered with a runtime's reactor.
    Polled(&'a mut dyn Readiness<Rt>),
    /// A non-blocking socket or pipe whose runtime keeps its reactor registration private
    /// (async-std's streams), so the end cannot lend a [`Readiness`].
    ///
    /// The copy runs a syscall on the fd itself first; on its first `WouldBlock` it calls the
    /// [`Watcher`], keeps the handle it returns until the copy ends (finished, failed or
    /// dropped), and runs its syscalls on the handle's fd, which must refer to the same open
    /// file description. The [`FdKind`] says what the fd is, when the type knows.
    Watched(BorrowedFd<'a>, Watcher, FdKind),
    /// The fd of a runtime's file type, which the copy may use in blocking mode only if it is
    /// a regular file or a block device: it checks with its `fstat` of the end, and an fd
    /// of any other kind (a FIFO or a terminal opened as a file, whose kernel copy could block
    /// the executor for good) takes the buffered path, through the runtime's own reads and
    /// writes. Otherwise as [`RawEnd::Direct`].
    ///
    /// This spares the end an `fstat` of its own each time the copy asks for it (once per
    /// kernel step).
    File(BorrowedFd<'a>),
}

impl<Rt> RawEnd<'_, Rt> {
    /// The fd behind this end.
    pub fn fd(&self) -> BorrowedFd<'_> {
        match self {
            RawEnd::Direct(fd) => *fd,
            RawEnd::Polled(ready) => ready.fd(),
            RawEnd::Watched(fd, ..) => *fd,
            RawEnd::File(fd) => *fd,
        }
    }
}
