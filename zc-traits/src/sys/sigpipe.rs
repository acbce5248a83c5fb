//! SIGPIPE around `sendfile(2)` and `splice(2)`, which take no `MSG_NOSIGNAL`.
//!
//! Writing into a socket whose peer is gone, or into a pipe without readers, raises SIGPIPE
//! on the writing thread, and SIGPIPE's default action ends the process. Rust's runtime
//! ignores SIGPIPE before `main`, so in most programs the call just fails with `EPIPE`, and zc
//! then does nothing at all: no syscall besides the copy call.
//!
//! Where SIGPIPE is not ignored (its default action restored, or a handler installed), every
//! write into a socket or a pipe runs with SIGPIPE blocked on the calling thread, and a
//! SIGPIPE that the call raised is taken off the thread's pending set before the mask is
//! restored, so it is never delivered: what libcurl and OpenSSL do. That costs two
//! `rt_sigprocmask` per call, and one `read` of a signalfd after a call that failed with
//! `EPIPE` or wrote less than asked (a call can raise SIGPIPE after it moved bytes: one
//! sendfile into a socket is several `sendmsg`s, and the one after the peer's reset fails).
//!
//! # Learning the disposition
//!
//! The disposition is read from the `SigIgn` mask of `/proc/self/status` on the first
//! write, and read again on the first write after [`RECHECK`] has passed since the last read
//! (a monotonic clock, read through the vDSO: no syscall). A program that changes SIGPIPE's
//! disposition after its first copy is therefore seen within one second. Where `/proc` cannot
//! be read, SIGPIPE counts as not ignored, and every write is protected.
//!
//! # Why `nix`
//!
//! rustix's signal-mask calls are `unsafe` and meant for runtimes, and zc forbids `unsafe`.
//! `nix` (only its `signal` feature) wraps `pthread_sigmask` and `signalfd` safely. It has no
//! `sigpending` or `sigtimedwait`; a non-blocking signalfd for SIGPIPE does both at once: its
//! `read` takes a pending SIGPIPE of the calling thread (or of the process) and answers
//! `EAGAIN` when there is none. The signalfd is made once, on the first protected write, and
//! kept for the life of the process (one fd).
//!
//! A thread that blocks SIGPIPE itself keeps its own mask: zc neither changes it nor takes a
//! SIGPIPE that a call left pending there, as with any other write on that thread.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

/// How long the disposition read from `/proc/self/status` is trusted.
pub(crate) const RECHECK: Duration = Duration::from_secs(1);

/// Whether SIGPIPE is ignored, as last read; `false` (protect) until it is read.
static IGNORED: AtomicBool = AtomicBool::new(false);
/// When to read the disposition again, in milliseconds since [`epoch`]; 0: never read.
static NEXT_READ_MS: AtomicU64 = AtomicU64::new(0);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Whether SIGPIPE is ignored by this process, re-read at most once per [`RECHECK`].
pub(crate) fn ignored() -> bool {
    let now = epoch().elapsed().as_millis() as u64 + 1;
    let next = NEXT_READ_MS.load(Ordering::Relaxed);
    if now >= next
        && NEXT_READ_MS
            .compare_exchange(
                next,
                now + RECHECK.as_millis() as u64,
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_ok()
    {
        // This thread won the read; the others keep the last answer meanwhile.
        IGNORED.store(read_ignored().unwrap_or(false), Ordering::Relaxed);
    }
    IGNORED.load(Ordering::Relaxed)
}

/// SIGPIPE's bit in the `SigIgn` line of `/proc/self/status`: `open`, usually one `read`
/// (the line is in the first 2 KiB), `close`.
fn read_ignored() -> Option<bool> {
    use std::io::Read;
    let mut file = std::fs::File::open("/proc/self/status").ok()?;
    let mut buf = [0u8; 4096];
    let mut len = 0;
    loop {
        let text = std::str::from_utf8(&buf[..len]).ok()?;
        if let Some(line) = text
            .split_once("SigIgn:")
            .and_then(|(_, rest)| rest.split_once('\n'))
        {
            let mask = u64::from_str_radix(line.0.trim(), 16).ok()?;
            return Some(mask & (1 << (Signal::SIGPIPE as i32 - 1)) != 0);
        }
        match file.read(&mut buf[len..]) {
            Ok(0) | Err(_) => return None,
            Ok(n) => len += n,
        }
    }
}

/// The signalfd that takes a pending SIGPIPE off the calling thread.
fn signalfd() -> io::Result<&'static SignalFd> {
    static FD: OnceLock<SignalFd> = OnceLock::new();
    if let Some(fd) = FD.get() {
        return Ok(fd);
    }
    let fd = SignalFd::with_flags(&pipe_set(), SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)?;
    // A racing thread may have set one first; this one is then closed.
    let _ = FD.set(fd);
    Ok(FD.get().expect("set above"))
}

fn pipe_set() -> SigSet {
    let mut set = SigSet::empty();
    set.add(Signal::SIGPIPE);
    set
}

/// Runs `write`, a `sendfile`/`splice` of at most `len` bytes into a socket or a pipe, so
/// that it cannot raise SIGPIPE (see the module doc).
///
/// # Errors
///
/// `write`'s error; or, before `write` runs, the error of making the signalfd
/// (`EMFILE`/`ENFILE`, marked with `sys::no_kernel_resource`: the copy goes on by the
/// buffered path) or of changing the thread's signal mask.
pub(crate) fn write_without_sigpipe(
    len: usize,
    write: impl FnOnce() -> io::Result<usize>,
) -> io::Result<usize> {
    if ignored() {
        return write();
    }
    let signalfd = signalfd().map_err(|e| super::no_kernel_resource("the SIGPIPE signalfd", e))?;
    let set = pipe_set();
    let old = set.thread_swap_mask(SigmaskHow::SIG_BLOCK)?;
    if old.contains(Signal::SIGPIPE) {
        // The thread blocks SIGPIPE itself: its mask and its pending signals are its own.
        return write();
    }
    let result = write();
    let may_have_raised = match &result {
        Ok(n) => *n < len,
        Err(e) => e.raw_os_error() == Some(nix::errno::Errno::EPIPE as i32),
    };
    if may_have_raised {
        // Take this call's SIGPIPE, if it raised one, before unblocking delivers it. A
        // failed read leaves it pending, and then it is delivered as it would be anyway.
        let _ = signalfd.read_signal();
    }
    // Cannot fail with a valid set; the write's result is what the copy must see.
    let _ = set.thread_unblock();
    result
}
