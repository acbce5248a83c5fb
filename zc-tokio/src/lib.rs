//! The tokio adapter of zc: tokio's own `File`, `TcpStream`, `UnixStream` and pipes take the
//! kernel paths of `zc::copy`, with no wrapper at the call site.
//!
//! ```no_run
//! # use zc_traits as zc; use zc_tokio as _;
//! # async fn send(addr: std::net::SocketAddr) -> std::io::Result<()> {
//! let mut file = tokio::fs::File::open("big.iso").await?;
//! let mut stream = tokio::net::TcpStream::connect(addr).await?;
//! zc::copy(&mut file, &mut stream).await?; // sendfile(2)
//! # Ok(()) }
//! ```
//!
//! This crate provides:
//!
//! * the runtime marker [`Tokio`], which lets it implement zc's endpoint traits
//!   ([`Source<Tokio>`](zc_traits::Source), [`Sink<Tokio>`](zc_traits::Sink),
//!   [`Readiness<Tokio>`](zc_traits::endpoint::Readiness)) for tokio's types; `zc::copy` infers it from
//!   whichever end is a tokio type;
//! * those implementations, listed below;
//! * [`TokioBuffered`], which lets any other tokio `AsyncRead` / `AsyncWrite` (a TLS stream, a
//!   duplex) take part through the buffered path.
//!
//! | tokio type | as a source | as a destination |
//! |------------|-------------|------------------|
//! | `fs::File` (regular file) | `sendfile` / `copy_file_range`, from its logical position | `copy_file_range` / `splice`, after its writes are flushed |
//! | `net::TcpStream`, `net::UnixStream` | `splice` through a pooled pipe | `sendfile` from a file, `splice` from a socket or pipe |
//! | their `split()` / `into_split()` halves | read half, as the stream | write half, as the stream |
//! | `net::unix::pipe::Receiver` / `Sender` | `splice` | `sendfile` / `splice` |
//! | `io::BufReader<R>` | its buffer first, then `R`'s kernel path | `R` itself (it buffers reads only) |
//! | `io::Take<R>` | `R`'s kernel path, stopped at the limit | — |
//! | `io::BufWriter<W>`, `io::BufStream<W>` | — | its buffer first, then `W`'s kernel path |
//! | `io::ReadHalf<T>` / `io::WriteHalf<T>` (`io::split`) | buffered | buffered |
//! | [`TokioBuffered<T>`] | buffered | buffered |
//!
//! Use it through the facade crate `zc-copy` (library `zc`) with its `tokio` feature, which
//! re-exports [`Tokio`] and [`TokioBuffered`] (and so links this crate's implementations into your
//! program).
//!
//! # Implementation
//!
//! *Readiness.* A socket or pipe is a [`RawEnd::Polled`](zc_traits::endpoint::RawEnd::Polled) end whose
//! [`Readiness`](zc_traits::endpoint::Readiness) is tokio's own: `poll_read_ready` /
//! `poll_write_ready` to wait, the syscall inside `try_io`, which clears the readiness when
//! the syscall answers `WouldBlock`. A copy that finds the socket full returns `Pending` and
//! is woken by the reactor; it never spins.
//!
//! *Files.* A tokio `File` is a [`RawEnd::File`](zc_traits::endpoint::RawEnd::File) end (a FIFO or a
//! device keeps the blocking pool). Before its
//! fd is used, the copy completes the operation tokio has in flight and, when tokio may hold
//! read-ahead, discards it with `start_seek(SeekFrom::Current(0))`, so the kernel reads from
//! the logical position; the kernel advances the fd offset, so the position afterwards is the
//! start plus the bytes delivered. tokio's next `read`, `write` or
//! `seek(SeekFrom::Current(0))` sees that position. (tokio caches the result of its last seek
//! and returns it from `poll_complete` on an idle file; only code that calls `poll_complete`
//! without `start_seek` would see that stale value, and tokio's `seek` future does not.)
//!
//! *Cooperation.* Every poll of a copy takes one unit of tokio's coop budget
//! (`tokio::task::coop::poll_proceed`, through [`Tokio`]'s [`Runtime`](zc_traits::Runtime)
//! impl), as tokio's own `io::copy` does, and every wait for readiness takes one more (tokio's
//! `poll_*_ready` do). So a loop of copies that never wait (bytes in memory, a file into a
//! file) yields to the scheduler like any tokio I/O, and a copy between sockets yields after
//! at most 128 syscalls per poll. zc's per-poll byte bound
//! ([`CopyOptions::max_per_poll`](zc_traits::CopyOptions::max_per_poll), 512 KiB by default)
//! applies on top, and bounds one large copy.
//!
//! *Send.* Every type here is `Send`, and zc's copy future holds only the two `&mut` ends and
//! plain state, so a copy between tokio types can be `tokio::spawn`ed on the multi-threaded
//! runtime.
//!
//! # Platform-specific behavior
//!
//! The kernel paths exist on Linux; elsewhere on Unix every copy takes the buffered path. Off
//! Unix (Windows) this crate is empty.
//!
//! # Examples
//!
//! A file to a socket, and which path moved the bytes:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use tokio::io::AsyncReadExt;
//! use zc_tokio as _; // links the impls (the facade `zc` does this for you)
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let mut client = tokio::net::TcpStream::connect(listener.local_addr()?).await?;
//! let (mut server, _) = listener.accept().await?;
//!
//! let mut std_file = tempfile::tempfile()?;
//! std::io::Write::write_all(&mut std_file, &[42u8; 100_000])?;
//! std::io::Seek::rewind(&mut std_file)?;
//! let mut file = tokio::fs::File::from_std(std_file);
//!
//! let (report, received) = tokio::join!(
//!     async {
//!         let report = zc_traits::copy_report(&mut file, &mut server).await;
//!         drop(server); // EOF for the client
//!         report
//!     },
//!     async {
//!         let mut received = Vec::new();
//!         client.read_to_end(&mut received).await.map(|_| received)
//!     },
//! );
//! let report = report?;
//! assert_eq!(received?.len(), 100_000);
//! # #[cfg(target_os = "linux")]
//! assert_eq!(report.path(), zc_traits::CopyPath::Sendfile);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![cfg(unix)]

/// The byte-level methods of [`Sink<Tokio>`](zc_traits::Sink) for a tokio writer: its own
/// `AsyncWrite`. (Defined before the modules, which use it.)
macro_rules! sink_by_async_write {
    () => {
        fn poll_write(
            &mut self,
            cx: &mut ::std::task::Context<'_>,
            buf: &[u8],
        ) -> ::std::task::Poll<::std::io::Result<usize>> {
            ::tokio::io::AsyncWrite::poll_write(::std::pin::Pin::new(self), cx, buf)
        }

        fn poll_flush(
            &mut self,
            cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<::std::io::Result<()>> {
            ::tokio::io::AsyncWrite::poll_flush(::std::pin::Pin::new(self), cx)
        }

        fn poll_shutdown(
            &mut self,
            cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<::std::io::Result<()>> {
            ::tokio::io::AsyncWrite::poll_shutdown(::std::pin::Pin::new(self), cx)
        }
    };
}

mod file;
mod io;
mod stream;

#[allow(deprecated)]
pub use io::{TokioBuffered, TokioIo};

/// The runtime marker of tokio, for zc's endpoint traits.
///
/// `impl Source<Tokio> for tokio::net::TcpStream` is what makes tokio's own types zc
/// endpoints (the orphan rule allows it because `Tokio` is local to this crate). A copy
/// infers it from any tokio end; a copy between two runtime-neutral ends (`std::fs::File`,
/// `&[u8]`) can name it: `zc::copy::<zc::Tokio, _, _>(..)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Tokio;

/// Copies take part in tokio's coop budget (`tokio::task::coop`), as tokio's own `io::copy`
/// does: one unit per poll of a copy, so a loop of copies that never wait (bytes in memory, a
/// file into a file) yields to the scheduler like any other tokio I/O.
impl zc_traits::Runtime for Tokio {
    type Permit = CoopPermit;

    fn poll_proceed(cx: &mut std::task::Context<'_>) -> std::task::Poll<CoopPermit> {
        tokio::task::coop::poll_proceed(cx).map(CoopPermit)
    }

    /// A file range that is not in the page cache is read on tokio's blocking pool
    /// (`spawn_blocking`), as `tokio::fs` reads files; outside a tokio runtime the job is
    /// handed back and the range is read inline.
    fn spawn_blocking(
        job: zc_traits::coop::BlockingJob,
    ) -> Result<(), zc_traits::coop::BlockingJob> {
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                // Dropping the handle detaches the job; it wakes the copy when it ends.
                drop(handle.spawn_blocking(move || job.run()));
                Ok(())
            }
            Err(_) => Err(job),
        }
    }
}

/// A unit of tokio's coop budget taken by a copy's poll (tokio's `RestoreOnPending`): given
/// back when dropped, unless the poll made progress.
#[derive(Debug)]
pub struct CoopPermit(tokio::task::coop::RestoreOnPending);

impl zc_traits::coop::Permit for CoopPermit {
    fn made_progress(&self) {
        self.0.made_progress();
    }
}
