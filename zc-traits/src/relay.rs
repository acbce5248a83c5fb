//! `copy_bidirectional()`: a proxy's relay, both directions at once, each through the kernel
//! when it can.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{ready, Context, Poll, Wake, Waker};

use crate::coop::Runtime;
use crate::endpoint::traits::{Sink, Source};
use crate::options::CopyOptions;
use crate::report::{CopyError, Report};
use crate::state::CopyState;

/// How many bytes each direction of a relay moves per poll before it yields: 4 MiB, eight
/// times a [`copy`](crate::copy)'s default. A relay reads no disk and its sockets' readiness already
/// bounds a poll; at 2 MiB each direction yielded twice as often and cut the splice before
/// each yield short (zc-bench's scenario 2 on tokio: 3,075 `splice` per GiB at 2 MiB, 2,621 at
/// 4 MiB, against the C loop's 2,185-2,377; BENCHMARKS.md).
const RELAY_MAX_PER_POLL: u64 = 4 << 20;

/// Relays `a` ⇄ `b` until both directions reach EOF, and returns the bytes moved each way
/// (`a` → `b`, `b` → `a`).
///
/// This is `tokio::io::copy_bidirectional`'s shape over zc's endpoints: each direction is a
/// [`copy`](crate::copy) (so socket ⇄ socket relays splice both ways through pooled pipes);
/// when one direction reaches EOF, the other end's write side is shut down
/// ([`Sink::poll_shutdown`], a TCP half-close), and the other direction keeps going until its
/// own EOF.
///
/// Each direction registers its own waker with its ends, so a wake-up polls only the
/// direction whose end became ready: the idle direction makes no syscall.
///
/// Small messages do not pay for splice (HAProxy's `splice-auto`): a direction whose kernel
/// path is a splice through a pipe starts on the buffered path, where a message costs one
/// `read` and one `write` (splice costs two calls and a pipe), and moves to splice after two
/// reads that filled its 16 KiB buffer (HAProxy's `tune.bufsize`), that is once the peer
/// streams. Each direction's
/// [`Report`] says which bytes went which way ([`Report::kernel_bytes`],
/// [`Report::user_bytes`]); its [`path`](Report::path) is `Splice` once it spliced.
///
/// Each direction yields to the scheduler after 4 MiB per poll (a [`copy`](crate::copy) yields
/// after [`DEFAULT_MAX_PER_POLL`](crate::DEFAULT_MAX_PER_POLL), 512 KiB): a relay reads no disk,
/// and its sockets' readiness already bounds a poll.
///
/// # Errors
///
/// The first error of either direction ends the relay, untouched, as with
/// `tokio::io::copy_bidirectional`; [`copy_bidirectional_report`] also gives that direction's
/// count.
///
/// # Cancel safety
///
/// As [`copy`](crate::copy), for each direction.
///
/// # Examples
///
/// ```
/// use zc_traits::{copy_bidirectional, FuturesIo, Neutral};
/// # futures_lite::future::block_on(async {
/// // Two in-memory "connections": each has bytes to send and collects what it receives.
/// let mut a = FuturesIo::new(Conn::new(b"ping"));
/// let mut b = FuturesIo::new(Conn::new(b"pong!"));
/// let (ab, ba) = copy_bidirectional::<Neutral, _, _>(&mut a, &mut b).await?;
/// assert_eq!((ab, ba), (4, 5));
/// assert_eq!(b.inner().received, b"ping");
/// assert_eq!(a.inner().received, b"pong!");
/// # std::io::Result::Ok(()) }).unwrap();
/// # struct Conn { input: &'static [u8], received: Vec<u8> }
/// # impl Conn { fn new(input: &'static [u8]) -> Self { Conn { input, received: Vec::new() } } }
/// # use std::{pin::Pin, task::{Context, Poll}, io};
/// # impl futures_io::AsyncRead for Conn {
/// #     fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
/// #         Poll::Ready(io::Read::read(&mut self.input, buf))
/// #     }
/// # }
/// # impl futures_io::AsyncWrite for Conn {
/// #     fn poll_write(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
/// #         self.received.extend_from_slice(buf); Poll::Ready(Ok(buf.len()))
/// #     }
/// #     fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> { Poll::Ready(Ok(())) }
/// #     fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> { Poll::Ready(Ok(())) }
/// # }
/// ```
pub fn copy_bidirectional<'a, Rt, A, B>(
    a: &'a mut A,
    b: &'a mut B,
) -> RelayFuture<'a, A, B, io::Result<(u64, u64)>>
where
    Rt: Runtime,
    A: Source<Rt> + Sink<Rt> + ?Sized,
    B: Source<Rt> + Sink<Rt> + ?Sized,
{
    relay_future(a, b, |result| {
        result
            .map(|(ab, ba)| (ab.bytes(), ba.bytes()))
            .map_err(io::Error::from)
    })
}

/// [`copy_bidirectional`], returning each direction's [`Report`].
///
/// # Errors
///
/// The first error of either direction, as a [`CopyError`] with that direction's
/// [`Report`] (see [`copy_report`](crate::copy_report)).
///
/// # Cancel safety
///
/// As [`copy_bidirectional`].
pub fn copy_bidirectional_report<'a, Rt, A, B>(
    a: &'a mut A,
    b: &'a mut B,
) -> RelayFuture<'a, A, B, Result<(Report, Report), CopyError>>
where
    Rt: Runtime,
    A: Source<Rt> + Sink<Rt> + ?Sized,
    B: Source<Rt> + Sink<Rt> + ?Sized,
{
    relay_future(a, b, |result| result)
}

#[derive(Debug)]
enum Phase {
    Copying(Box<CopyState>),
    ShuttingDown(Report),
    Done(Report),
}

/// The waker one direction registers with its ends: it marks the direction as woken, then
/// wakes the relay's task. A wake-up then polls only the direction whose end became ready,
/// so the idle direction makes no syscall (on async-io's runtimes a poll tries the `splice`
/// first, and would answer `EAGAIN`).
#[derive(Debug)]
struct DirectionWaker {
    woken: AtomicBool,
    task: Mutex<Option<Waker>>,
}

impl Wake for DirectionWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        let task = self.task.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(task) = &*task {
            task.wake_by_ref();
        }
    }
}

#[derive(Debug)]
struct Direction {
    phase: Phase,
    signal: Arc<DirectionWaker>,
    waker: Waker,
}

impl Direction {
    fn new(opts: CopyOptions) -> Direction {
        let signal = Arc::new(DirectionWaker {
            // The first poll runs both directions.
            woken: AtomicBool::new(true),
            task: Mutex::new(None),
        });
        Direction {
            phase: Phase::Copying(Box::new(CopyState::new(opts))),
            waker: Waker::from(Arc::clone(&signal)),
            signal,
        }
    }

    /// Polls the direction if it was woken since its last `Pending` (or never polled), with
    /// its own waker; otherwise it is still waiting: `Pending`.
    fn poll_if_woken<Rt, S, D>(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut S,
        dst: &mut D,
    ) -> Poll<Result<Report, CopyError>>
    where
        Rt: Runtime,
        S: Source<Rt> + ?Sized,
        D: Sink<Rt> + ?Sized,
    {
        if let Phase::Done(report) = &self.phase {
            return Poll::Ready(Ok(*report));
        }
        {
            let mut task = self
                .signal
                .task
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if !task.as_ref().is_some_and(|t| t.will_wake(cx.waker())) {
                *task = Some(cx.waker().clone());
            }
        }
        // Cleared before the poll: a wake-up during it sets it again.
        if !self.signal.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let waker = self.waker.clone();
        self.poll_direction(&mut Context::from_waker(&waker), src, dst)
    }

    fn poll_direction<Rt, S, D>(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut S,
        dst: &mut D,
    ) -> Poll<Result<Report, CopyError>>
    where
        Rt: Runtime,
        S: Source<Rt> + ?Sized,
        D: Sink<Rt> + ?Sized,
    {
        loop {
            match &mut self.phase {
                Phase::Copying(state) => {
                    let report = ready!(state.poll_copy(cx, src, dst))?;
                    self.phase = Phase::ShuttingDown(report);
                }
                Phase::ShuttingDown(report) => {
                    let report = *report;
                    // EOF from this direction's source: tell the peer with a half-close, so
                    // it can finish the other direction.
                    ready!(dst.poll_shutdown(cx)).map_err(|e| CopyError::new(e, report))?;
                    self.phase = Phase::Done(report);
                }
                Phase::Done(report) => return Poll::Ready(Ok(*report)),
            }
        }
    }
}

/// The two directions of a relay.
#[derive(Debug)]
struct Directions {
    a_to_b: Direction,
    b_to_a: Direction,
}

impl Directions {
    fn poll_both<Rt, A, B>(
        &mut self,
        cx: &mut Context<'_>,
        a: &mut A,
        b: &mut B,
    ) -> Poll<Result<(Report, Report), CopyError>>
    where
        Rt: Runtime,
        A: Source<Rt> + Sink<Rt> + ?Sized,
        B: Source<Rt> + Sink<Rt> + ?Sized,
    {
        let a_to_b = self.a_to_b.poll_if_woken(cx, &mut *a, &mut *b)?;
        let b_to_a = self.b_to_a.poll_if_woken(cx, &mut *b, &mut *a)?;
        match (a_to_b, b_to_a) {
            (Poll::Ready(ab), Poll::Ready(ba)) => Poll::Ready(Ok((ab, ba))),
            _ => Poll::Pending,
        }
    }
}

/// The future of [`copy_bidirectional`] (its output `T` is `io::Result<(u64, u64)>`) and
/// [`copy_bidirectional_report`] (`T` is `Result<(Report, Report), CopyError>`).
///
/// It holds the two ends by `&mut` and the relay's own state, so it is `Unpin`, and it is
/// `Send` when both ends are.
///
/// # Cancel safety
///
/// As [`copy_bidirectional`].
#[must_use = "futures do nothing unless polled"]
pub struct RelayFuture<'a, A: ?Sized, B: ?Sized, T> {
    a: &'a mut A,
    b: &'a mut B,
    directions: Directions,
    // `Directions::poll_both` for the `Rt` the ends were checked against: as in
    // `CopyFuture`, the `Future` impl has no trait bounds, so a wrong end is reported once.
    poll: PollBoth<A, B>,
    output: fn(Result<(Report, Report), CopyError>) -> T,
}

type PollBoth<A, B> = fn(
    &mut Directions,
    &mut Context<'_>,
    &mut A,
    &mut B,
) -> Poll<Result<(Report, Report), CopyError>>;

// A free function, as `copy_future` is.
fn relay_future<'a, Rt, A, B, T>(
    a: &'a mut A,
    b: &'a mut B,
    output: fn(Result<(Report, Report), CopyError>) -> T,
) -> RelayFuture<'a, A, B, T>
where
    Rt: Runtime,
    A: Source<Rt> + Sink<Rt> + ?Sized,
    B: Source<Rt> + Sink<Rt> + ?Sized,
{
    RelayFuture {
        a,
        b,
        directions: Directions {
            a_to_b: Direction::new(
                CopyOptions::new()
                    .splice_auto(true)
                    .max_per_poll(RELAY_MAX_PER_POLL),
            ),
            b_to_a: Direction::new(
                CopyOptions::new()
                    .splice_auto(true)
                    .max_per_poll(RELAY_MAX_PER_POLL),
            ),
        },
        poll: Directions::poll_both::<Rt, A, B>,
        output,
    }
}

impl<A: ?Sized, B: ?Sized, T> Unpin for RelayFuture<'_, A, B, T> {}

impl<A: ?Sized, B: ?Sized, T> Future for RelayFuture<'_, A, B, T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let result = ready!((this.poll)(&mut this.directions, cx, this.a, this.b));
        Poll::Ready((this.output)(result))
    }
}

impl<A: ?Sized, B: ?Sized, T> fmt::Debug for RelayFuture<'_, A, B, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelayFuture")
            .field("directions", &self.directions)
            .finish_non_exhaustive()
    }
}
