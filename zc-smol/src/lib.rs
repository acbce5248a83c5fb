//! The smol adapter of zc: smol's own sockets, files and pipes take the kernel paths of
//! `zc::copy`, with no wrapper at the call site.
//!
//! ```ignore
//! let mut file = smol::fs::File::open("big.iso").await?;
//! let mut stream = smol::net::TcpStream::connect(addr).await?;
//! zc::copy(&mut file, &mut stream).await?; // sendfile(2)
//! ```
//!
//! This crate provides:
//!
//! * the runtime marker [`Smol`], which lets it implement zc's endpoint traits
//!   ([`Source<Smol>`](zc_traits::Source), [`Sink<Smol>`](zc_traits::Sink),
//!   [`Readiness<Smol>`](zc_traits::endpoint::Readiness)) for the types of smol's crates (`async-io`,
//!   `async-net`, `async-fs`, which smol re-exports as `smol::Async`, `smol::net`,
//!   `smol::fs`); `zc::copy` infers it from whichever end is one of them;
//! * those implementations:
//!
//! | smol type | as a source | as a destination |
//! |-----------|-------------|------------------|
//! | `smol::fs::File` (`async_fs::File`, regular file) | `sendfile` / `copy_file_range`, from its logical position | `copy_file_range` / `splice`, after its writes are flushed |
//! | `smol::net::TcpStream`, `smol::net::unix::UnixStream` | `splice` through a pooled pipe | `sendfile` from a file, `splice` from a socket or pipe |
//! | `smol::Async<T>` for `T` = `std::net::TcpStream`, `UnixStream`, a pipe (`std::fs::File` on a pipe fd, `ChildStdout`, `PipeReader`, …) | `splice` (into a file without an intermediate pipe when `T` is a pipe) | `sendfile` / `splice` |
//! | `smol::io::BufReader<R>` | its buffer first, then `R`'s kernel path | `R` itself (it buffers reads only) |
//! | `smol::io::Take<R>` (`AsyncReadExt::take`) | `R`'s kernel path, stopped at the limit | — |
//!
//! Any other `futures_io` stream (a TLS stream) takes part through the buffered path with
//! [`zc_traits::FuturesIo`].
//!
//! Use it through the facade crate `zc-copy` (library `zc`) with its `smol` feature, which
//! re-exports [`Smol`] (and so links this crate's implementations into your program).
//!
//! # Implementation
//!
//! *Readiness.* A socket or pipe is a [`RawEnd::Polled`](zc_traits::endpoint::RawEnd::Polled) end whose
//! [`Readiness`](zc_traits::endpoint::Readiness) is async-io's, in `read_with` / `write_with` style: run
//! the syscall first, and on `WouldBlock` wait with `Async::poll_readable` /
//! `Async::poll_writable`, which return `Pending` with the waker registered until the reactor
//! delivers a new event. A copy that finds the socket full sleeps; it never spins.
//! `async_net::TcpStream` keeps its `Async` handle private, but it is a cheap clone of an
//! `Arc<Async<std::net::TcpStream>>` and converts into that `Arc`; waiting goes through such a
//! clone, which shares the stream's reactor registration.
//!
//! *Files.* An `async_fs::File` is a [`RawEnd::File`](zc_traits::endpoint::RawEnd::File) end (for a
//! regular file; a FIFO or a device keeps the blocking pool). async-fs reads ahead on a
//! background thread, so its fd offset runs ahead of the logical position; before the fd is
//! used, the copy flushes pending writes and seeks with `SeekFrom::Current(0)`, which makes
//! async-fs stop its background task and move the fd offset back to the logical position. The
//! kernel advances the fd offset, so the position afterwards is the start plus the bytes
//! delivered, and async-fs's next read, write or seek continues from there.
//!
//! *Fairness.* async-io has no cooperative budget; zc's per-poll byte bound
//! ([`CopyOptions::max_per_poll`](zc_traits::CopyOptions::max_per_poll), 512 KiB by default)
//! makes a long copy yield to the executor, and zc's per-thread budget
//! ([`zc_traits::coop`]) makes a loop of copies that never wait yield too.
//!
//! *Send.* Every type here is `Send`, and zc's copy future holds only the two `&mut` ends and
//! plain state, so a copy between smol types can be `smol::spawn`ed.
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
//! # smol::block_on(async {
//! use smol::io::AsyncReadExt;
//! // Links this crate's impls; with the facade `zc` and its feature, `zc::copy` does.
//! use zc_smol as _;
//!
//! let listener = smol::net::TcpListener::bind("127.0.0.1:0").await?;
//! let mut client = smol::net::TcpStream::connect(listener.local_addr()?).await?;
//! let (mut server, _) = listener.accept().await?;
//!
//! let mut std_file = tempfile::tempfile()?;
//! std::io::Write::write_all(&mut std_file, &[42u8; 100_000])?;
//! std::io::Seek::rewind(&mut std_file)?;
//! let mut file = smol::fs::File::from(std_file);
//!
//! let (report, received) = smol::future::zip(
//!     async {
//!         let report = zc_traits::copy_report(&mut file, &mut server).await;
//!         drop(server); // EOF for the client
//!         report
//!     },
//!     async {
//!         let mut received = Vec::new();
//!         client.read_to_end(&mut received).await.map(|_| received)
//!     },
//! )
//! .await;
//! let report = report?;
//! assert_eq!(received?.len(), 100_000);
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

/// The runtime marker of smol, for zc's endpoint traits.
///
/// `impl Source<Smol> for async_net::TcpStream` is what makes smol's own types zc endpoints
/// (the orphan rule allows it because `Smol` is local to this crate). A copy infers it from
/// any smol end; a copy between two runtime-neutral ends (`std::fs::File`, `&[u8]`) can name
/// it: `zc::copy::<zc::Smol, _, _>(..)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Smol;

/// smol has no cooperative budget: copies use zc's per-thread budget
/// ([`zc_traits::coop`]).
impl zc_traits::Runtime for Smol {
    zc_traits::__thread_budget!();

    /// A file range that is not in the page cache is read on smol's blocking pool
    /// (`blocking::unblock`, which smol re-exports as `smol::unblock` and `async-fs` uses).
    fn spawn_blocking(
        job: zc_traits::coop::BlockingJob,
    ) -> Result<(), zc_traits::coop::BlockingJob> {
        // Detached: the job wakes the copy when it ends, and runs to its end if the copy is
        // dropped first.
        blocking::unblock(move || job.run()).detach();
        Ok(())
    }
}
