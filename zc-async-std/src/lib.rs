//! The async-std adapter of zc: async-std's own `File`, `TcpStream` and `UnixStream` take the
//! kernel paths of `zc::copy`, with no wrapper at the call site.
//!
//! ```ignore
//! let mut file = async_std::fs::File::open("big.iso").await?;
//! let mut stream = async_std::net::TcpStream::connect(addr).await?;
//! zc::copy(&mut file, &mut stream).await?; // sendfile(2)
//! ```
//!
//! **async-std is discontinued upstream; its maintainers point to smol as its successor. New
//! code should prefer smol and the `zc-smol` adapter (zc's `smol` feature).** This crate keeps
//! existing async-std programs on the kernel paths.
//!
//! This crate provides:
//!
//! * the runtime marker [`AsyncStd`], which lets it implement zc's endpoint traits
//!   ([`Source<AsyncStd>`](zc_traits::Source), [`Sink<AsyncStd>`](zc_traits::Sink)) for
//!   async-std's types; `zc::copy` infers it from whichever end is an async-std type;
//! * those implementations:
//!
//! | async-std type | as a source | as a destination |
//! |----------------|-------------|------------------|
//! | `fs::File` (regular file) | `sendfile` / `copy_file_range`, from its logical position | `copy_file_range` / `splice`, after its writes are flushed |
//! | `net::TcpStream`, `os::unix::net::UnixStream` | `splice` through a pooled pipe | `sendfile` from a file, `splice` from a socket or pipe |
//! | `io::BufReader<R>` | its buffer first, then `R`'s kernel path | `R` itself (it buffers reads only) |
//! | `io::Take<R>` (`ReadExt::take`) | `R`'s kernel path, stopped at the limit | — |
//!
//! Any other `futures_io` stream takes part through the buffered path with
//! [`zc_traits::FuturesIo`]. async-std has no pipe type of its own (smol's `Async<T>` is one
//! way to a pipe with the kernel path).
//!
//! Use it through the facade crate `zc-copy` (library `zc`) with its `async-std` feature,
//! which re-exports [`AsyncStd`] (and so links this crate's implementations into your
//! program).
//!
//! # Implementation
//!
//! *Readiness.* async-std registers its sockets with async-io's reactor but keeps the
//! `Async` handle private and offers no readiness API, so its streams cannot lend a
//! [`Readiness`](zc_traits::endpoint::Readiness). They are
//! [`RawEnd::Watched`](zc_traits::endpoint::RawEnd::Watched) ends instead: the kernel loop runs its
//! syscalls on the stream's fd while they make progress, and when one first answers
//! `WouldBlock` it asks this crate for a watch: a duplicate of the fd
//! (`fcntl(F_DUPFD_CLOEXEC)`, the same open socket) registered with the same async-io reactor.
//! The reactor keys its epoll registrations by fd, so the duplicate has its own, independent
//! of async-std's. The copy waits with `Async::poll_readable` / `Async::poll_writable` on it,
//! keeps it until the copy ends, and then drops it, which deregisters and closes the
//! duplicate: a finished, failed or cancelled copy leaves no extra fd open. A copy that never
//! waits makes no duplicate.
//!
//! *Files.* An async-std `File` is a [`RawEnd::File`](zc_traits::endpoint::RawEnd::File) end (for
//! a regular file; a FIFO or a device keeps the blocking pool). async-std caches reads and
//! writes in memory, so its fd offset may differ from the logical position; before the fd is
//! used, the copy asks async-std for the logical position and, when the fd offset differs,
//! seeks to it, which makes async-std drop its read cache and flush its write cache. The
//! kernel advances the fd offset, so the position afterwards is the start plus the bytes
//! delivered, and async-std's next read, write or seek continues from there.
//!
//! *Fairness.* zc's per-poll byte bound
//! ([`CopyOptions::max_per_poll`](zc_traits::CopyOptions::max_per_poll), 512 KiB by default)
//! makes a long copy yield to the executor, and zc's per-thread budget
//! ([`zc_traits::coop`]) makes a loop of copies that never wait yield too (async-std has no
//! cooperative budget of its own).
//!
//! *Send.* Every type here is `Send`, and zc's copy future holds only the two `&mut` ends and
//! plain state (the watch included), so a copy between async-std types can be
//! `async_std::task::spawn`ed.
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
//! # async_std::task::block_on(async {
//! use async_std::io::ReadExt;
//! // Links this crate's impls; with the facade `zc` and its feature, `zc::copy` does.
//! use zc_async_std as _;
//!
//! let listener = async_std::net::TcpListener::bind("127.0.0.1:0").await?;
//! let mut client = async_std::net::TcpStream::connect(listener.local_addr()?).await?;
//! let (mut server, _) = listener.accept().await?;
//!
//! let mut std_file = tempfile::tempfile()?;
//! std::io::Write::write_all(&mut std_file, &[42u8; 100_000])?;
//! std::io::Seek::rewind(&mut std_file)?;
//! let mut file = async_std::fs::File::from(std_file);
//!
//! let sending = async_std::task::spawn(async move {
//!     let report = zc_traits::copy_report(&mut file, &mut server).await;
//!     drop(server); // EOF for the client
//!     report
//! });
//! let mut received = Vec::new();
//! client.read_to_end(&mut received).await?;
//! let report = sending.await?;
//! assert_eq!(received.len(), 100_000);
//! # #[cfg(target_os = "linux")]
//! assert_eq!(report.path(), zc_traits::CopyPath::Sendfile);
//! # std::io::Result::Ok(()) }).unwrap();
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![cfg(unix)]

mod file;
mod io;
mod stream;

/// The runtime marker of async-std, for zc's endpoint traits.
///
/// `impl Source<AsyncStd> for async_std::net::TcpStream` is what makes async-std's own types
/// zc endpoints (the orphan rule allows it because `AsyncStd` is local to this crate). A copy
/// infers it from any async-std end; a copy between two runtime-neutral ends
/// (`std::fs::File`, `&[u8]`) can name it: `zc::copy::<zc::AsyncStd, _, _>(..)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AsyncStd;

/// async-std has no cooperative budget: copies use zc's per-thread budget
/// ([`zc_traits::coop`]).
impl zc_traits::Runtime for AsyncStd {
    zc_traits::__thread_budget!();

    /// A file range that is not in the page cache is read on async-std's blocking pool
    /// (`async_std::task::spawn_blocking`), as `async_std::fs` reads files.
    fn spawn_blocking(
        job: zc_traits::coop::BlockingJob,
    ) -> Result<(), zc_traits::coop::BlockingJob> {
        // Dropping async-std's `JoinHandle` detaches the job; it wakes the copy when it ends.
        drop(async_std::task::spawn_blocking(move || job.run()));
        Ok(())
    }
}
