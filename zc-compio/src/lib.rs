//! The compio adapter of zc: compio's own `File`, `TcpStream`, `UnixStream` and pipes take the
//! kernel paths of `zc::copy` on compio's io_uring (or polling) runtime, with no wrapper at
//! the call site.
//!
//! ```no_run
//! # use zc_traits as zc; use zc_compio as _;
//! # async fn send(addr: std::net::SocketAddr) -> std::io::Result<()> {
//! let mut file = compio::fs::File::open("big.iso").await?;
//! let mut stream = compio::net::TcpStream::connect(addr).await?;
//! zc::copy(&mut file, &mut stream).await?; // sendfile(2)
//! # Ok(()) }
//! ```
//!
//! This crate provides:
//!
//! * the runtime marker [`Compio`], which lets it implement zc's endpoint traits
//!   ([`Source<Compio>`](zc_traits::Source), [`Sink<Compio>`](zc_traits::Sink),
//!   [`Readiness<Compio>`](zc_traits::endpoint::Readiness)) for compio's types; `zc::copy`
//!   infers it from whichever end is a compio type;
//! * those implementations:
//!
//! | compio type | as a source | as a destination |
//! |-------------|-------------|------------------|
//! | `compio::fs::File` (regular file) | `sendfile` / `copy_file_range`, from its fd offset | `copy_file_range` / `splice`, at its fd offset |
//! | `compio::net::TcpStream`, `compio::net::UnixStream` | `splice` through a pooled pipe | `sendfile` from a file, `splice` from a socket or pipe |
//! | `compio::fs::pipe::Receiver` | `splice` (into a file without an intermediate pipe) | — |
//! | `compio::fs::pipe::Sender` | — | `sendfile` / `splice` |
//!
//! zc's own wrappers take them too: `zc::Limited` (a range that keeps the kernel path),
//! `zc::BufReader`. Any other stream (a TLS stream) takes part through the buffered path
//! with an implementation of [`Source`](zc_traits::Source) / [`Sink`](zc_traits::Sink) of its
//! own.
//!
//! Use it through the facade crate `zc-copy` (library `zc`) with its `compio` feature, which
//! re-exports [`Compio`] (and so links this crate's implementations into your program).
//!
//! # Implementation
//!
//! compio is a completion runtime: it hands io_uring a buffer and is told when the kernel has
//! filled or drained it. io_uring has no `sendfile` operation, and its `splice` operation
//! always runs on a kernel worker thread. zc instead runs `sendfile(2)`, `splice(2)` and
//! `copy_file_range(2)` itself, on the executor thread, as it does on the readiness runtimes,
//! and asks compio only for readiness:
//!
//! *Readiness.* A socket or pipe is a
//! [`RawEnd::Polled`](zc_traits::endpoint::RawEnd::Polled) end: the syscall first, non-blocking,
//! and on `WouldBlock` a wait for the fd's next readiness event. compio's streams keep no
//! readiness state a copy could use between polls, so the fds wait, one-shot, in an epoll
//! instance of the thread's own, whose readiness compio watches with its
//! `compio::runtime::fd::PollFd` (an io_uring `POLL_ADD`), and one task on the runtime wakes
//! the copies whose fd is ready. That epoll instance holds no reference to the fds: a copy
//! dropped while it waits leaves nothing open. A copy that finds the socket full sleeps; it
//! never spins.
//!
//! *Blocking sockets.* Under the io_uring driver compio's sockets are blocking; a copy makes
//! a socket non-blocking before its fd takes part in a kernel path, and compio's own reads
//! and writes keep working on it (io_uring waits for a non-blocking socket internally).
//!
//! *Files.* compio's `File` keeps no cursor: a copy starts at the fd's file offset (0 for a
//! file compio opened; compio's `read_at` / `write_at` never move it) and leaves it advanced
//! by the bytes delivered, as a `std::fs::File`'s (see the `file` module's docs, in
//! `src/file.rs`, for ranges). A range that is not in the page cache is read on compio's
//! blocking pool (`compio::runtime::spawn_blocking`), so a cold disk read does not stall the
//! executor.
//!
//! *Fairness.* compio has no cooperative budget; zc's per-poll byte bound
//! ([`CopyOptions::max_per_poll`](zc_traits::CopyOptions::max_per_poll), 512 KiB by default)
//! makes a long copy yield to the executor, and zc's per-thread budget
//! ([`zc_traits::coop`]) makes a loop of copies that never wait yield too.
//!
//! *Not `Send`.* compio runs one runtime per thread and its types are not `Send`, so a copy
//! between compio types is not `Send` either: `compio::runtime::spawn` it on the thread whose
//! runtime owns the ends.
//!
//! # Platform-specific behavior
//!
//! Linux only (the kernel paths, and the epoll bridge, are Linux's). Elsewhere this crate is
//! empty.
//!
//! # Examples
//!
//! A file to a socket, and which path moved the bytes:
//!
//! ```
//! # compio::runtime::Runtime::new().unwrap().block_on(async {
//! use compio::io::AsyncReadExt;
//! use zc_compio as _; // links the impls (the facade `zc` does this for you)
//!
//! let listener = compio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let mut client = compio::net::TcpStream::connect(listener.local_addr()?).await?;
//! let (mut server, _) = listener.accept().await?;
//!
//! let path = tempfile::NamedTempFile::new()?;
//! std::fs::write(path.path(), [42u8; 100_000])?;
//! let mut file = compio::fs::File::open(path.path()).await?;
//!
//! let copy = compio::runtime::spawn(async move {
//!     let report = zc_traits::copy_report(&mut file, &mut server).await;
//!     drop(server); // EOF for the client
//!     report
//! });
//! let compio::BufResult(read, received) = client.read_to_end(Vec::new()).await;
//! read?;
//! let report = copy.await.expect("the copy's task")?;
//! assert_eq!(received.len(), 100_000);
//! assert_eq!(report.path(), zc_traits::CopyPath::Sendfile);
//! # std::io::Result::Ok(()) }).unwrap();
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![cfg(target_os = "linux")]

mod bridge;
mod file;
mod stream;

/// `op` until it answers anything but `Interrupted`.
fn retry(mut op: impl FnMut() -> rustix::io::Result<usize>) -> std::io::Result<usize> {
    loop {
        match op() {
            Err(rustix::io::Errno::INTR) => continue,
            result => return Ok(result?),
        }
    }
}

/// The runtime marker of compio, for zc's endpoint traits.
///
/// `impl Source<Compio> for compio::net::TcpStream` is what makes compio's own types zc
/// endpoints (the orphan rule allows it because `Compio` is local to this crate). A copy
/// infers it from any compio end; a copy between two runtime-neutral ends (`std::fs::File`,
/// `&[u8]`) can name it: `zc::copy::<zc::Compio, _, _>(..)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Compio;

/// compio has no cooperative budget: copies use zc's per-thread budget
/// ([`zc_traits::coop`]).
impl zc_traits::Runtime for Compio {
    zc_traits::__thread_budget!();

    /// A file range that is not in the page cache is read on compio's blocking pool
    /// (`compio::runtime::spawn_blocking`); outside a compio runtime the job is handed back
    /// and the range is read inline.
    fn spawn_blocking(
        job: zc_traits::coop::BlockingJob,
    ) -> Result<(), zc_traits::coop::BlockingJob> {
        if compio::runtime::Runtime::try_with_current(|_| ()).is_err() {
            return Err(job);
        }
        // Detached: the job wakes the copy when it ends, and runs to its end if the copy is
        // dropped first.
        compio::runtime::spawn_blocking(move || job.run()).detach();
        Ok(())
    }
}
