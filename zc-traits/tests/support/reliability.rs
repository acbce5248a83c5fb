//! Helpers of the reliability suites (proptest_copy, faults, bad_input, cancel, load): pipes and
//! Unix socket pairs on the async-io adapter, fd accounting, a join for many futures,
//! poll-counted cancellation, thread CPU time and a small deterministic PRNG.

use std::collections::VecDeque;
use std::fs::File;
use std::future::Future;
use std::io;
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use async_io::Async;

use super::AioStream;

/// A non-blocking pipe registered with async-io: (read end, write end).
///
/// The ends are `std::fs::File`s so the tests build on the workspace's MSRV (std's
/// `PipeReader` is 1.87).
pub fn pipe() -> (AioStream<File>, AioStream<File>) {
    let (read, write) = rustix::pipe::pipe().unwrap();
    (
        AioStream(Async::new(File::from(read)).unwrap()),
        AioStream(Async::new(File::from(write)).unwrap()),
    )
}

/// A connected Unix stream socket pair registered with async-io.
pub fn unix_pair() -> (AioStream<UnixStream>, AioStream<UnixStream>) {
    let (a, b) = UnixStream::pair().unwrap();
    (
        AioStream(Async::new(a).unwrap()),
        AioStream(Async::new(b).unwrap()),
    )
}

/// The fds this process has open, from `/proc/self/fd` (not counting the directory's own fd).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count() - 1
}

/// fds held by zc's splice pipes (pooled or lent): two per pipe.
pub fn zc_pipe_fds() -> usize {
    2 * zc_traits::diagnostics::pipes_open()
}

/// The process-wide fd and pipe counters are shared by every test of a binary: tests that
/// compare them before and after hold this lock, so parallel tests do not disturb them.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `ZC_HEAVY=1` asks for the heavier variants (bigger sizes, more iterations).
pub fn heavy() -> bool {
    std::env::var_os("ZC_HEAVY").is_some_and(|v| v != "0")
}

/// CPU time the calling thread has used (user + system).
pub fn thread_cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// A small deterministic PRNG (xorshift64*), so a failing case can be replayed from its seed.
#[derive(Debug, Clone)]
pub struct Xorshift(u64);

impl Xorshift {
    pub fn new(seed: u64) -> Xorshift {
        Xorshift(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Polls `fut` at most `polls` times (each after a wake); `None` means it was still pending
/// after the last one and is now dropped: a cancellation at a chosen point.
pub async fn poll_at_most<F: Future>(fut: F, polls: usize) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let mut done = 0;
    std::future::poll_fn(|cx| {
        done += 1;
        match fut.as_mut().poll(cx) {
            Poll::Ready(out) => Poll::Ready(Some(out)),
            Poll::Pending if done >= polls => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// Runs all `futs` concurrently on the current task and returns their outputs in order.
///
/// Each future gets its own waker, so a wake polls only the future it belongs to: 1,000 copies
/// do not cost 1,000 polls per event.
pub async fn join_all<F: Future>(futs: Vec<F>) -> Vec<F::Output> {
    JoinAll::new(futs).await
}

struct Shared {
    ready: Mutex<VecDeque<usize>>,
    parent: Mutex<Option<Waker>>,
}

struct TaskWaker {
    index: usize,
    queued: AtomicBool,
    shared: Arc<Shared>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            self.shared.ready.lock().unwrap().push_back(self.index);
        }
        if let Some(w) = self.shared.parent.lock().unwrap().as_ref() {
            w.wake_by_ref();
        }
    }
}

struct JoinAll<F: Future> {
    futs: Vec<Option<Pin<Box<F>>>>,
    outputs: Vec<Option<F::Output>>,
    wakers: Vec<Arc<TaskWaker>>,
    shared: Arc<Shared>,
    left: usize,
}

impl<F: Future> JoinAll<F> {
    fn new(futs: Vec<F>) -> Self {
        let shared = Arc::new(Shared {
            ready: Mutex::new((0..futs.len()).collect()),
            parent: Mutex::new(None),
        });
        let wakers = (0..futs.len())
            .map(|index| {
                Arc::new(TaskWaker {
                    index,
                    queued: AtomicBool::new(true),
                    shared: shared.clone(),
                })
            })
            .collect();
        let left = futs.len();
        JoinAll {
            outputs: futs.iter().map(|_| None).collect(),
            futs: futs.into_iter().map(|f| Some(Box::pin(f))).collect(),
            wakers,
            shared,
            left,
        }
    }
}

impl<F: Future> Unpin for JoinAll<F> {}

impl<F: Future> Future for JoinAll<F> {
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        *this.shared.parent.lock().unwrap() = Some(cx.waker().clone());
        // Bounded per poll, so one busy future cannot keep this loop from yielding.
        for _ in 0..4 * this.futs.len().max(1) {
            let Some(i) = this.shared.ready.lock().unwrap().pop_front() else {
                break;
            };
            this.wakers[i].queued.store(false, Ordering::Release);
            let Some(fut) = this.futs[i].as_mut() else {
                continue;
            };
            let waker = Waker::from(this.wakers[i].clone());
            if let Poll::Ready(out) = fut.as_mut().poll(&mut Context::from_waker(&waker)) {
                this.outputs[i] = Some(out);
                this.futs[i] = None;
                this.left -= 1;
            }
        }
        if this.left == 0 {
            return Poll::Ready(this.outputs.iter_mut().map(|o| o.take().unwrap()).collect());
        }
        if !this.shared.ready.lock().unwrap().is_empty() {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

/// Sets a socket's kernel send and receive buffers (small buffers make a copy wait often).
pub fn small_buffers(fd: std::os::fd::BorrowedFd<'_>, bytes: usize) {
    rustix::net::sockopt::set_socket_send_buffer_size(fd, bytes).unwrap();
    rustix::net::sockopt::set_socket_recv_buffer_size(fd, bytes).unwrap();
}

/// `io::Error` kinds a peer that went away may produce.
pub fn is_peer_gone(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
}
