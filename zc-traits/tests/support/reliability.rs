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

use std::net::{TcpListener, TcpStream};

use async_io::Async;
use futures_lite::{future, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use zc_traits::{Sink, Source};

use super::{tcp_pair, Aio, AioStream};

/// `pattern(len)`, from one shared buffer: generating it per copy dominates a debug build's
/// time when a suite runs thousands of copies.
pub fn shared_pattern(len: usize) -> &'static [u8] {
    static DATA: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    &DATA.get_or_init(|| super::pattern(16 << 20))[..len]
}

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
pub fn is_peer_gone(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
}

pub type Reader = Box<dyn AsyncRead + Unpin>;
pub type Writer = Box<dyn AsyncWrite + Unpin>;

/// A stream the copy writes into (0 TCP, 1 Unix, 2 pipe) and the test's reading end.
pub fn sink_pair(kind: u8) -> (Box<dyn Sink<Aio>>, Reader) {
    match kind {
        0 => {
            let (tx, rx) = tcp_pair();
            (Box::new(tx), Box::new(rx.0))
        }
        1 => {
            let (tx, rx) = unix_pair();
            (Box::new(tx), Box::new(rx.0))
        }
        _ => {
            let (rx, tx) = pipe();
            (Box::new(tx), Box::new(rx.0))
        }
    }
}

/// The test's writing end and a stream the copy reads from (0 TCP, 1 Unix, 2 pipe).
pub fn source_pair(kind: u8) -> (Writer, Box<dyn Source<Aio>>) {
    match kind {
        0 => {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let server = listener.accept().unwrap().0;
            (
                Box::new(Async::new(client).unwrap()),
                Box::new(AioStream(Async::new(server).unwrap())),
            )
        }
        1 => {
            let (feed, src) = unix_pair();
            (Box::new(feed.0), Box::new(src))
        }
        _ => {
            let (src, feed) = pipe();
            (Box::new(feed.0), Box::new(src))
        }
    }
}

/// Reads to EOF in random chunk sizes, sometimes yielding between reads.
pub async fn read_chunked(mut rx: Reader, seed: u64) -> Vec<u8> {
    let mut rng = Xorshift::new(seed);
    let mut out = Vec::new();
    let mut buf = vec![0u8; 256 << 10];
    loop {
        let want = 1 + rng.below(buf.len() as u64) as usize;
        let n = rx.read(&mut buf[..want]).await.unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
        if rng.below(4) == 0 {
            future::yield_now().await;
        }
    }
}

/// Writes `data` in random chunk sizes, sometimes yielding, then closes the stream.
pub async fn write_chunked_and_close(mut tx: Writer, data: &[u8], seed: u64) {
    let mut rng = Xorshift::new(seed);
    let mut at = 0;
    while at < data.len() {
        let n = (1 + rng.below(200_000) as usize).min(data.len() - at);
        tx.write_all(&data[at..at + n]).await.unwrap();
        at += n;
        if rng.below(3) == 0 {
            future::yield_now().await;
        }
    }
    tx.close().await.unwrap();
}

/// One step of a mock's script.
#[derive(Debug, Clone, Copy)]
pub enum Act {
    /// Move at most this many bytes (at least 1).
    Short(usize),
    /// Return `Pending`, waking at once.
    Pending,
    /// Return `Interrupted`.
    Interrupted,
}

/// A reader or writer that follows a script of short transfers, `Pending` and `Interrupted`.
#[derive(Debug)]
pub struct Scripted {
    data: Vec<u8>,
    pos: usize,
    script: Vec<Act>,
    step: usize,
    pub accepted: Vec<u8>,
    fail_at: Option<usize>,
}

impl Scripted {
    pub fn reader(data: Vec<u8>, mut script: Vec<Act>) -> Scripted {
        script.push(Act::Short(1 << 16));
        Scripted {
            data,
            pos: 0,
            script,
            step: 0,
            accepted: Vec::new(),
            fail_at: None,
        }
    }

    pub fn writer(mut script: Vec<Act>, fail_at: Option<usize>) -> Scripted {
        script.push(Act::Short(1 << 16));
        Scripted {
            data: Vec::new(),
            pos: 0,
            script,
            step: 0,
            accepted: Vec::new(),
            fail_at,
        }
    }

    fn next(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let act = self.script[self.step % self.script.len()];
        self.step += 1;
        match act {
            Act::Short(n) => Poll::Ready(Ok(n)),
            Act::Pending => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Act::Interrupted => Poll::Ready(Err(io::ErrorKind::Interrupted.into())),
        }
    }
}

impl<Rt> Source<Rt> for Scripted {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() || self.pos == self.data.len() {
            return Poll::Ready(Ok(0));
        }
        let n = futures_lite::ready!(self.next(cx))?
            .min(buf.len())
            .min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Poll::Ready(Ok(n))
    }
}

impl<Rt> Sink<Rt> for Scripted {
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let mut n = futures_lite::ready!(self.next(cx))?.min(buf.len());
        if let Some(fail_at) = self.fail_at {
            if self.accepted.len() == fail_at {
                return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
            }
            n = n.min(fail_at - self.accepted.len());
        }
        self.accepted.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Flushing also meets the script's `Pending` and `Interrupted`, but moves nothing.
        match self.script[self.step % self.script.len()] {
            Act::Pending => {
                self.step += 1;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            _ => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Sink::<Rt>::poll_flush(self, cx)
    }
}
