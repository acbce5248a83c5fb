//! Helpers of the cross-runtime reliability suites (`tests/reliability_*.rs`): a macro that
//! runs one body per runtime flavour, locks for the process-wide counters, fd and CPU
//! accounting, cancellation points, a fault-injection wrapper that follows a task across
//! worker threads, and socket options through an endpoint's fd.

use std::future::{poll_fn, Future};
use std::io;
use std::os::fd::BorrowedFd;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::task::Poll;
use std::time::Duration;

use zc::endpoint::RawEnd;
use zc::{Sink, Source};
use zc_traits::fault::{self, Call};

/// Expands to one module per runtime flavour whose feature is enabled (tokio's
/// `current_thread` and `multi_thread`, smol, async-std), each with one `#[test]` per body;
/// a body is `fn name<H: Harness>()` in the calling file.
macro_rules! per_runtime {
    ($($body:ident),* $(,)?) => {
        #[cfg(feature = "tokio")]
        mod tokio_current_thread {
            $( #[test] fn $body() { super::$body::<crate::support::tokio::CurrentThread>() } )*
        }
        #[cfg(feature = "tokio")]
        mod tokio_multi_thread {
            $( #[test] fn $body() { super::$body::<crate::support::tokio::MultiThread>() } )*
        }
        #[cfg(feature = "smol")]
        mod smol {
            $( #[test] fn $body() { super::$body::<crate::support::smol::Smol>() } )*
        }
        #[cfg(feature = "async-std")]
        mod async_std {
            $( #[test] fn $body() { super::$body::<crate::support::async_std::AsyncStd>() } )*
        }
    };
}
pub(crate) use per_runtime;

static COUNTERS: RwLock<()> = RwLock::new(());

/// Held by every test that does not read the process-wide counters.
pub fn shared() -> RwLockReadGuard<'static, ()> {
    COUNTERS.read().unwrap_or_else(|p| p.into_inner())
}

/// Held by a test that reads process-wide counters (open fds, zc's pipes, process CPU time),
/// so no other test of its binary runs meanwhile.
pub fn exclusive() -> RwLockWriteGuard<'static, ()> {
    COUNTERS.write().unwrap_or_else(|p| p.into_inner())
}

/// `ZC_HEAVY=1` asks for the heavier variants.
pub fn heavy() -> bool {
    std::env::var_os("ZC_HEAVY").is_some_and(|v| v != "0")
}

/// The fds this process has open (not counting the directory's own).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count() - 1
}

/// CPU time this process has used, all threads.
pub fn process_cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Runs `op` on the fd behind a source (a socket's options, say).
pub fn with_src_fd<Rt, S: Source<Rt> + ?Sized, T>(
    src: &mut S,
    op: impl FnOnce(BorrowedFd<'_>) -> T,
) -> T {
    let end = src.raw_source().expect("the endpoint has an fd");
    op(end.fd())
}

/// Runs `op` on the fd behind a sink.
pub fn with_dst_fd<Rt, D: Sink<Rt> + ?Sized, T>(
    dst: &mut D,
    op: impl FnOnce(BorrowedFd<'_>) -> T,
) -> T {
    let end: RawEnd<'_, Rt> = dst.raw_sink().expect("the endpoint has an fd");
    op(end.fd())
}

/// Small kernel buffers on a socket, so a copy is still running when something happens.
pub fn small_buffers(fd: BorrowedFd<'_>) {
    rustix::net::sockopt::set_socket_send_buffer_size(fd, 32 << 10).unwrap();
    rustix::net::sockopt::set_socket_recv_buffer_size(fd, 32 << 10).unwrap();
}

/// `SO_LINGER` 0: closing the socket then sends a reset.
pub fn reset_on_close(fd: BorrowedFd<'_>) {
    rustix::net::sockopt::set_socket_linger(fd, Some(Duration::ZERO)).unwrap();
}

/// Error kinds of a peer that went away.
pub fn is_peer_gone(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
}

/// Reads through `src`'s byte-level path until at least `n` bytes (or EOF).
pub async fn read_at_least<Rt, S: Source<Rt> + ?Sized>(src: &mut S, n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    while out.len() < n {
        let got = poll_fn(|cx| src.poll_read(cx, &mut buf)).await.unwrap_or(0);
        if got == 0 {
            break;
        }
        out.extend_from_slice(&buf[..got]);
    }
    out
}

/// Reads to EOF through the byte-level path, treating an error as the end (a test peer).
pub async fn read_until_gone<Rt, S: Source<Rt> + ?Sized>(src: &mut S) -> Vec<u8> {
    read_at_least(src, usize::MAX).await
}

/// Writes `data` through the byte-level path until done or the peer fails, then shuts down.
pub async fn feed<Rt, D: Sink<Rt> + ?Sized>(dst: &mut D, data: &[u8]) {
    let mut at = 0;
    while at < data.len() {
        let end = (at + (64 << 10)).min(data.len());
        match poll_fn(|cx| dst.poll_write(cx, &data[at..end])).await {
            Ok(0) | Err(_) => return,
            Ok(n) => at += n,
        }
    }
    let _ = poll_fn(|cx| dst.poll_shutdown(cx)).await;
}

/// Polls `fut` at most `polls` times; `None` if it was still pending and is now dropped.
pub async fn poll_at_most<F: Future>(fut: F, polls: usize) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let mut done = 0;
    poll_fn(|cx| {
        done += 1;
        match fut.as_mut().poll(cx) {
            Poll::Ready(out) => Poll::Ready(Some(out)),
            Poll::Pending if done >= polls => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// Runs `fut` with `call` failing with `errno` after `skip` calls, on whichever threads the
/// runtime polls it: the fault is re-armed on the polling thread before each poll and taken
/// back after it, so a work-stealing runtime cannot lose or duplicate it.
pub async fn with_fault<F: Future>(call: Call, errno: i32, skip: u32, fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let mut left = Some(skip);
    poll_fn(|cx| {
        if let Some(skip) = left {
            fault::inject(call, errno, skip);
        }
        let out = fut.as_mut().poll(cx);
        left = left.and_then(|_| fault::take());
        out
    })
    .await
}

/// A small deterministic PRNG (xorshift64*).
#[derive(Debug, Clone)]
pub struct Xorshift(u64);

impl Xorshift {
    pub fn new(seed: u64) -> Xorshift {
        Xorshift(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// The environment variable that turns a test of this binary into a child's part.
pub const CHILD: &str = "ZC_RELIABILITY_CHILD";

/// This process's role when it is a child re-run of a test.
pub fn child_mode() -> Option<String> {
    std::env::var(CHILD).ok()
}

/// Re-runs this test binary on exactly `test` with `CHILD=mode`.
pub fn spawn_child(test: &str, mode: &str) -> std::process::Output {
    std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, mode)
        .output()
        .unwrap()
}

/// From now on a SIGPIPE kills this process, as the default disposition does (Rust's runtime
/// ignores it at start-up and std has no safe way back): signal-hook's emulation of the
/// default action. Checks `/proc/self/status` that it is not ignored any more.
pub fn make_sigpipe_fatal() {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    signal_hook::flag::register_conditional_default(
        signal_hook::consts::SIGPIPE,
        Arc::new(AtomicBool::new(true)),
    )
    .unwrap();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let mask = |name: &str| {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap();
        u64::from_str_radix(line.split_whitespace().nth(1).unwrap(), 16).unwrap()
    };
    let bit = 1u64 << (signal_hook::consts::SIGPIPE - 1);
    assert_eq!(mask("SigIgn:") & bit, 0, "SIGPIPE must not be ignored");
    assert_ne!(
        mask("SigCgt:") & bit,
        0,
        "SIGPIPE must be caught (and fatal)"
    );
}
