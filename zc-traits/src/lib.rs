//! Go's zero-copy `io.Copy` for async Rust: the runtime-agnostic core of zc.
//!
//! `copy(&mut src, &mut dst)` moves bytes with `sendfile(2)`, `splice(2)` or
//! `copy_file_range(2)` whenever both ends have a kernel object that fits, and with a buffered
//! `read`/`write` loop otherwise, on any runtime whose adapter implements the endpoint traits
//! (`zc-tokio`, `zc-smol`, `zc-async-std`). Most users depend on the facade crate `zc-copy`
//! (library `zc`), which re-exports this crate and the adapters of the enabled features.
//!
//! This crate provides:
//!
//! * the endpoint traits [`Source`] and [`Sink`], whose default methods are the questions Go's
//!   `io.Copy` asks with type assertions ([`WriterTo`](endpoint::WriterTo),
//!   [`ReaderFrom`](endpoint::ReaderFrom), "what fd is behind you?"); the adapter author's
//!   items are in [`endpoint`], among them [`Readiness`](endpoint::Readiness), the safe handle
//!   through which the kernel loops wait for a runtime's readiness (Go's `syscall.RawConn`);
//! * [`copy`], [`copy_report`] (which path moved the bytes), [`copy_strict`] and
//!   [`CopyOptions`] (fail instead of falling back; fairness bound), and
//!   [`copy_bidirectional`] for proxies;
//! * runtime-neutral endpoints: `&[u8]`, `Vec<u8>`, `std::fs::File`, [`Limited`] (a range that
//!   keeps the kernel path), [`BufReader`] (drained before the kernel path) and [`FuturesIo`]
//!   (any `futures_io` stream, through the buffered path).
//!
//! # Implementation
//!
//! The copy is a state machine that tries, in order: the source's `WriterTo`, the
//! destination's `ReaderFrom`, the kernel plans for the two fds (see the table below), and the
//! buffered path. A path may fall back to the next only before it delivered a byte; after
//! that it finishes, or falls back with the exact count, or fails with the count. All syscalls
//! go through `rustix` (SIGPIPE's mask through `nix`), and every crate of zc is
//! `#![forbid(unsafe_code)]`. The repository's `docs/DESIGN.md` follows one copy from
//! [`copy`] to `sendfile(2)`, file by file.
//!
//! | source              | destination                 | kernel path                        |
//! |---------------------|-----------------------------|------------------------------------|
//! | file                | file                        | `copy_file_range`, else `sendfile` |
//! | file                | socket, pipe                | `sendfile`                         |
//! | socket              | socket, pipe, file          | `splice` (through a pooled pipe)   |
//! | pipe                | socket, pipe                | `splice` (through a pooled pipe)   |
//! | pipe                | file                        | `splice` (directly)                |
//!
//! A copy moves at most [`DEFAULT_MAX_PER_POLL`] bytes per poll and then yields, so one large
//! transfer cannot starve the other tasks of its thread; and every poll takes a unit of the
//! runtime's cooperative budget ([`coop`]: tokio's, or zc's per-thread budget elsewhere), so a
//! loop of small copies that never wait cannot starve them either.
//!
//! # SIGPIPE
//!
//! `sendfile(2)` and `splice(2)` take no `MSG_NOSIGNAL`: writing into a socket whose peer is
//! gone, or into a pipe without readers, raises SIGPIPE, whose default action ends the
//! process. zc handles it so that a closed or reset peer is always an error
//! (`BrokenPipe`/`ConnectionReset`, with the count) and never a signal:
//!
//! * Where SIGPIPE is ignored (Rust's runtime ignores it before `main`, so this is the usual
//!   case), the call just fails with `EPIPE`, and zc does no work for SIGPIPE at all.
//! * Where it is not ignored (its default action restored, or a handler installed), each `sendfile`/`splice` into a socket
//!   or a pipe runs with SIGPIPE blocked on the calling thread, and a SIGPIPE that the call
//!   raised is taken off the thread before the mask is restored, so it is never delivered, as
//!   libcurl and OpenSSL do. That costs two `rt_sigprocmask` per call, and one `read` of a
//!   signalfd (made once per process) after a call that failed with `EPIPE` or wrote less
//!   than asked. `nix` makes these calls, as rustix's are `unsafe`.
//!
//! The disposition is read from `/proc/self/status` (`SigIgn`) on the first write into a
//! socket or pipe, and read again when a write comes more than one second after the last
//! read: a program that changes SIGPIPE's disposition after its first copy is seen within one
//! second. Where `/proc` cannot be read, every write is protected. A thread that blocks
//! SIGPIPE itself keeps its mask, and a SIGPIPE a call raised stays pending there, as after
//! any other write on that thread.
//!
//! # Platform-specific behavior
//!
//! The kernel paths exist on Linux (and Android). Elsewhere on Unix every copy takes the
//! buffered path, and [`copy_strict`] fails with `ErrorKind::Unsupported`. Off Unix (Windows)
//! this crate is empty.
//!
//! # Examples
//!
//! ```
//! # futures_lite::future::block_on(async {
//! let mut src = tempfile::tempfile()?;
//! std::io::Write::write_all(&mut src, b"zero-copy")?;
//! std::io::Seek::rewind(&mut src)?;
//! let mut dst = tempfile::tempfile()?;
//! // Two runtime-neutral ends: name the runtime marker.
//! let report = zc_traits::copy_report::<zc_traits::Neutral, _, _>(&mut src, &mut dst).await?;
//! assert_eq!(report.bytes(), 9);
//! # std::io::Result::Ok(()) }).unwrap();
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![cfg(unix)]

pub mod adapter;
mod buffered;
pub mod cold;
pub mod coop;
mod copy;
pub mod endpoint;
mod file_end;
mod kernel;
mod options;
mod relay;
mod report;
mod state;
mod sys;
mod wrappers;

pub use coop::{Neutral, Runtime};
pub use copy::{copy, copy_report, copy_strict, CopyFuture};
pub use endpoint::traits::{Sink, Source};
pub use options::{CopyOptions, DEFAULT_BUFFER_SIZE, DEFAULT_MAX_PER_POLL};
pub use relay::{copy_bidirectional, copy_bidirectional_report, RelayFuture};
pub use report::{CopyError, CopyPath, Report};
pub use wrappers::{BufReader, FuturesIo, Limited};

/// Counters that let tests and operators check that zc holds no more than it should.
pub mod diagnostics {
    /// Splice pipes zc has open now: those in the pool and those lent to running copies.
    /// Each is two fds.
    pub fn pipes_open() -> usize {
        crate::sys::pipes_open()
    }

    /// Empty splice pipes waiting in the pool for the next copy (bounded).
    pub fn pipes_pooled() -> usize {
        crate::sys::pipes_pooled()
    }
}

/// Test-only fault injection: make the next kernel call of a kind fail with an errno.
///
/// Compiled only with the internal `fault-injection` feature; not part of the API.
#[cfg(all(
    feature = "fault-injection",
    any(target_os = "linux", target_os = "android"),
    not(zc_portable)
))]
#[doc(hidden)]
pub mod fault {
    /// The kernel calls that can be made to fail: zc's one enum of kernel calls.
    pub use crate::sys::Call;

    /// On this thread, the call after `skip` successful ones of `call` fails with `errno`.
    pub fn inject(call: Call, errno: i32, skip: u32) {
        crate::sys::inject_fault(call, errno, skip)
    }

    /// Removes an injected fault that has not fired.
    pub fn clear() {
        crate::sys::clear_fault()
    }

    /// Removes this thread's fault and returns the calls it still had to let through, or
    /// `None` if it fired (or none was set). With [`inject`], a test carries a fault across
    /// the threads of a work-stealing runtime: take it after each poll, inject it before the
    /// next.
    pub fn take() -> Option<u32> {
        crate::sys::take_fault()
    }
}
