//! What the servers and proxies need of a runtime ([`Runtime`]), and everything they build on
//! it once for all runtimes: the accept loop that survives exhausted resources, deadlines,
//! reads and writes through zc's endpoint traits, a response head sent with `MSG_MORE`,
//! lingering close, threads, and log lines.
//!
//! The runtimes' implementations are in `runtimes.rs`.

use std::future::{poll_fn, Future};
use std::io::{self, Write as _};
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::pin::{pin, Pin};
use std::task::Poll;
use std::time::{Duration, Instant};

use rustix::net::SendFlags;

/// What a server needs of its runtime beyond zc's traits.
pub trait Runtime: Sized + Send + Sync + 'static {
    /// zc's runtime marker (`zc::Tokio`, `zc::Smol`, `zc::AsyncStd`).
    type Rt: zc::Runtime + 'static;
    /// The runtime's listener.
    type Listener: Send + Sync + 'static;
    /// The runtime's TCP stream: a zc source and sink with an fd.
    type Stream: zc::Source<Self::Rt> + zc::Sink<Self::Rt> + AsFd + Unpin + Send + 'static;
    /// A resettable timer.
    type Timer: Future + Unpin + Send + 'static;

    /// The runtime's name, for logs.
    const NAME: &'static str;

    /// Registers a non-blocking std listener with the runtime (called inside [`block_on`]).
    ///
    /// [`block_on`]: Runtime::block_on
    fn listener(listener: std::net::TcpListener) -> io::Result<Self::Listener>;

    /// Accepts one connection.
    fn accept(
        listener: &Self::Listener,
    ) -> impl Future<Output = io::Result<(Self::Stream, SocketAddr)>> + Send;

    /// Connects to `addr`.
    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Stream>> + Send;

    /// Runs `task` on the current thread's runtime (or the runtime's pool), detached.
    fn spawn(task: impl Future<Output = ()> + Send + 'static);

    /// A timer that fires `after` from now.
    fn timer(after: Duration) -> Self::Timer;

    /// Makes `timer` fire `after` from now instead.
    fn reset(timer: &mut Self::Timer, after: Duration);

    /// Runs `main` to completion on this thread, with [`spawn`](Runtime::spawn)ed tasks.
    fn block_on<T>(main: impl Future<Output = T>) -> T;

    /// Prepares the runtime for `threads` threads and returns how many threads should run an
    /// accept loop each ([`run_threads`]): one per thread where each thread has its own
    /// single-threaded runtime (tokio, smol, as nginx's workers), one where the runtime has
    /// its own pool (async-std).
    fn threads(threads: usize) -> usize {
        threads
    }
}

/// The machine's cores: the default of `--threads`.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs `serve` on `threads` threads, each with its own runtime and its own accept loop on
/// the shared listener (the nginx model: no task moves between threads, no lock on the way
/// of a request). Returns when every thread's `serve` returned.
///
/// # Errors
///
/// The listener cannot be cloned or registered, or a thread's `serve` failed.
pub fn run_threads<R, F, Fut>(
    threads: usize,
    listener: std::net::TcpListener,
    serve: F,
) -> io::Result<()>
where
    R: Runtime,
    F: Fn(R::Listener) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = io::Result<()>>,
{
    listener.set_nonblocking(true)?;
    let threads = R::threads(threads.max(1));
    let mut others = Vec::new();
    for i in 1..threads {
        let (listener, serve) = (listener.try_clone()?, serve.clone());
        others.push(
            std::thread::Builder::new()
                .name(format!("{}-{i}", R::NAME))
                .spawn(move || R::block_on(async move { serve(R::listener(listener)?).await }))?,
        );
    }
    let result = R::block_on(async move { serve(R::listener(listener)?).await });
    for thread in others {
        thread
            .join()
            .map_err(|_| io::Error::other("a server thread panicked"))??;
    }
    result
}

/// Writes one log line to stderr with a single `write(2)`: `line` is formatted into a
/// thread-local buffer first (stderr is unbuffered, and `eprintln!` writes each piece).
pub fn log(line: std::fmt::Arguments<'_>) {
    thread_local! {
        static LINE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    LINE.with(|buf| {
        let mut buf = buf.borrow_mut();
        buf.clear();
        let _ = buf.write_fmt(line);
        buf.push(b'\n');
        let _ = io::stderr().lock().write_all(&buf);
        if buf.capacity() > 4096 {
            *buf = Vec::new();
        }
    });
}

/// Whether an `accept` error is about one connection only (the next accept may work at once),
/// rather than an exhausted resource (back off) or anything else (back off longer).
fn accept_backoff(err: &io::Error) -> Option<Duration> {
    use rustix::io::Errno;
    let errno = err.raw_os_error().map(Errno::from_raw_os_error);
    match errno {
        // The connection died in the backlog, or a signal: try the next one now.
        Some(Errno::CONNABORTED | Errno::PROTO | Errno::INTR | Errno::AGAIN) => None,
        Some(Errno::CONNRESET | Errno::PERM) => None,
        // Out of fds or memory: the server's own connections free them as they end.
        Some(Errno::MFILE | Errno::NFILE | Errno::NOBUFS | Errno::NOMEM) => {
            Some(Duration::from_millis(100))
        }
        _ => Some(Duration::from_secs(1)),
    }
}

/// Accepts connections from `listener` forever and hands each to `handle`.
///
/// An `accept` error never ends the loop: per-connection errors (`ECONNABORTED`) are skipped,
/// exhausted resources (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`) pause the loop 100 ms (1 s for
/// anything else) while the open connections finish and free them, as hyper's and tokio's
/// servers do. A burst of errors is logged once when it starts and once when it ends.
pub async fn accept_loop<R: Runtime>(
    listener: &R::Listener,
    mut handle: impl FnMut(R::Stream, SocketAddr),
) {
    let mut burst: Option<(io::Error, u64)> = None;
    loop {
        match R::accept(listener).await {
            Ok((stream, peer)) => {
                if let Some((err, n)) = burst.take() {
                    log(format_args!(
                        "accept: serving again after {n} failed accepts ({err})"
                    ));
                }
                handle(stream, peer);
            }
            Err(err) => {
                let pause = accept_backoff(&err);
                match &mut burst {
                    Some((_, n)) => *n += 1,
                    None => {
                        log(format_args!(
                            "accept: {err}; retrying{} (logged again when accept works)",
                            pause.map_or(String::new(), |p| format!(" every {p:?}"))
                        ));
                        burst = Some((err, 1));
                    }
                }
                if let Some(pause) = pause {
                    let _ = R::timer(pause).await;
                }
            }
        }
    }
}

/// How long an operation may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Until this instant, however much progress it makes (a request head's deadline).
    At(Instant),
    /// Until it makes no progress for this long: fails when the operation was not woken for
    /// that long (a send timeout, an idle proxy connection).
    Idle(Duration),
}

/// The error of an operation that outlived its [`Limit`].
pub fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, format!("{what} timed out"))
}

/// A connection's timer, made on first use and reused by every operation on the connection,
/// and moved lazily: an operation whose deadline is later than the armed one leaves the timer
/// alone and re-arms it when it fires early (nginx's and hyper's trick), so a keep-alive
/// request costs no timer update at all, and an operation that finishes at once no timer.
pub struct Clock<R: Runtime> {
    timer: Option<R::Timer>,
    armed: Instant,
}

impl<R: Runtime> Default for Clock<R> {
    fn default() -> Clock<R> {
        Clock {
            timer: None,
            armed: Instant::now(),
        }
    }
}

impl<R: Runtime> std::fmt::Debug for Clock<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clock").field("armed", &self.armed).finish()
    }
}

impl<R: Runtime> Clock<R> {
    /// Whether the armed timer's time has come (it fired, or is about to).
    fn fired(&self, now: Instant) -> bool {
        self.timer.is_some() && self.armed <= now
    }

    /// Makes sure the task is woken at `at` or earlier.
    fn arm(&mut self, at: Instant, now: Instant, cx: &mut std::task::Context<'_>) {
        match &mut self.timer {
            None => self.timer = Some(R::timer(at - now)),
            Some(timer) if self.armed > at || self.armed <= now => R::reset(timer, at - now),
            Some(_) => return self.poll(cx),
        }
        self.armed = at;
        self.poll(cx);
    }

    fn poll(&mut self, cx: &mut std::task::Context<'_>) {
        let timer = self.timer.as_mut().expect("armed");
        if Pin::new(timer).poll(cx).is_ready() {
            // Fired already (timers round): poll again to see the deadline.
            cx.waker().wake_by_ref();
        }
    }
}

/// Runs `op` within `limit`, on the connection's `clock`.
///
/// [`Limit::Idle`] counts progress as wake-ups: a wake-up of `op` (not of the timer) pushes
/// the deadline back, so it passes only after `op` was not woken for the whole period.
///
/// # Errors
///
/// `op`'s error, or `TimedOut` (with `what` in its message).
pub async fn within<R: Runtime, T>(
    clock: &mut Clock<R>,
    limit: Limit,
    what: &str,
    op: impl Future<Output = io::Result<T>>,
) -> io::Result<T> {
    let mut op = pin!(op);
    let mut idle_deadline = None;
    poll_fn(|cx| {
        if let Poll::Ready(out) = op.as_mut().poll(cx) {
            return Poll::Ready(out);
        }
        let now = Instant::now();
        let at = match limit {
            Limit::At(at) => at,
            Limit::Idle(idle) => match idle_deadline {
                Some(at) if now >= at => return Poll::Ready(Err(timed_out(what))),
                // Woken by the timer, not by progress: the deadline stays.
                Some(at) if clock.fired(now) => at,
                _ => *idle_deadline.insert(now + idle),
            },
        };
        if now >= at {
            return Poll::Ready(Err(timed_out(what)));
        }
        clock.arm(at, now, cx);
        Poll::Pending
    })
    .await
}

/// Reads into `buf` through the stream's zc source (one `read(2)`).
pub async fn read<R: Runtime>(stream: &mut R::Stream, buf: &mut [u8]) -> io::Result<usize> {
    poll_fn(|cx| zc::Source::<R::Rt>::poll_read(stream, cx, buf)).await
}

/// Writes all of `buf` through the stream's zc sink.
pub async fn write_all<R: Runtime>(stream: &mut R::Stream, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        let n = poll_fn(|cx| zc::Sink::<R::Rt>::poll_write(stream, cx, buf)).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
    }
    Ok(())
}

/// Sends `head` on the socket; with `more`, as `send(MSG_MORE)`: the kernel holds it until
/// the body that follows (`sendfile`) fills the packet, so head and body leave together, with
/// neither a small packet of their own nor a Nagle stall (nginx's `tcp_nopush`, per call
/// instead of two `TCP_CORK` calls). Returns whether all of `head` went with `MSG_MORE`.
///
/// A head that does not fit the socket buffer at once goes on with plain writes, within
/// `send_timeout` of no progress.
///
/// # Errors
///
/// I/O errors of the socket; `TimedOut`.
pub async fn send_head<R: Runtime>(
    stream: &mut R::Stream,
    clock: &mut Clock<R>,
    send_timeout: Duration,
    head: &[u8],
    more: bool,
) -> io::Result<bool> {
    let flags = if more {
        SendFlags::MORE | SendFlags::NOSIGNAL
    } else {
        SendFlags::NOSIGNAL
    };
    let sent = loop {
        match rustix::net::send(stream.as_fd(), head, flags) {
            Ok(n) => break n,
            Err(rustix::io::Errno::INTR) => continue,
            Err(rustix::io::Errno::AGAIN) => break 0,
            Err(e) => return Err(e.into()),
        }
    };
    if sent == head.len() {
        return Ok(more);
    }
    let rest = &head[sent..];
    within::<R, _>(
        clock,
        Limit::Idle(send_timeout),
        "send",
        write_all::<R>(stream, rest),
    )
    .await?;
    Ok(false)
}

/// Half-closes the connection (`shutdown(SHUT_WR)`) through zc's sink, which every runtime's
/// socket implements as a real shutdown (async-std's own `close` only flushes).
pub async fn shutdown<R: Runtime>(stream: &mut R::Stream) -> io::Result<()> {
    poll_fn(|cx| zc::Sink::<R::Rt>::poll_shutdown(stream, cx)).await
}

/// Closes a connection that may still have unread input without losing the last response:
/// shuts the write side down, then reads and drops what the client sends until it closes, for
/// at most `linger` (nginx's `lingering_close`). Closing with unread bytes would send an RST,
/// and the client's kernel could drop the response it has not read yet.
pub async fn lingering_close<R: Runtime>(
    stream: &mut R::Stream,
    clock: &mut Clock<R>,
    scratch: &mut [u8],
    linger: Duration,
) {
    if shutdown::<R>(stream).await.is_err() {
        return;
    }
    let deadline = Limit::At(Instant::now() + linger);
    while let Ok(n) = within::<R, _>(clock, deadline, "linger", read::<R>(stream, scratch)).await {
        if n == 0 {
            break;
        }
    }
}

/// Parses a duration flag's value: seconds, fractions allowed (`0.5`).
///
/// # Errors
///
/// A message naming `flag`.
pub fn seconds(flag: &str, value: &str) -> Result<Duration, String> {
    value
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .ok_or(format!(
            "{flag}: {value:?} is not a positive number of seconds"
        ))
}

/// Parses a count flag's value.
///
/// # Errors
///
/// A message naming `flag`.
pub fn count(flag: &str, value: &str) -> Result<usize, String> {
    value.parse().map_err(|e| format!("{flag}: {value:?}: {e}"))
}

/// What a command line asked for besides serving: the help text was printed.
#[derive(Debug)]
pub enum Cli<T> {
    /// Run with these settings.
    Run(T),
    /// `--help` was printed: exit 0.
    Help,
}

/// Runs a server's `main`: `parse` the arguments, print `usage` and exit 0 for `--help`, or
/// print the error and `usage` and exit 2 for bad arguments, or run `serve`.
pub fn main<T>(
    usage: &str,
    parse: impl FnOnce(&mut dyn Iterator<Item = String>) -> Result<Cli<T>, String>,
    serve: impl FnOnce(T) -> io::Result<()>,
) {
    let mut args = std::env::args().skip(1);
    match parse(&mut args) {
        Ok(Cli::Help) => println!("{usage}"),
        Ok(Cli::Run(settings)) => {
            if let Err(e) = serve(settings) {
                log(format_args!("error: {e}"));
                std::process::exit(1);
            }
        }
        Err(e) => {
            log(format_args!("error: {e}\n\n{usage}"));
            std::process::exit(2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errno(e: rustix::io::Errno) -> io::Error {
        io::Error::from_raw_os_error(e.raw_os_error())
    }

    #[test]
    fn accept_errors_back_off_by_cause() {
        use rustix::io::Errno;
        for e in [
            Errno::CONNABORTED,
            Errno::PROTO,
            Errno::INTR,
            Errno::CONNRESET,
        ] {
            assert_eq!(accept_backoff(&errno(e)), None, "{e}");
        }
        for e in [Errno::MFILE, Errno::NFILE, Errno::NOBUFS, Errno::NOMEM] {
            assert_eq!(
                accept_backoff(&errno(e)),
                Some(Duration::from_millis(100)),
                "{e}"
            );
        }
        assert_eq!(
            accept_backoff(&errno(Errno::INVAL)),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            accept_backoff(&io::Error::other("x")),
            Some(Duration::from_secs(1))
        );
    }

    #[test]
    fn flag_values_are_checked() {
        assert_eq!(seconds("--t", "0.25"), Ok(Duration::from_millis(250)));
        for bad in ["0", "-1", "x", "inf", "NaN"] {
            assert!(seconds("--t", bad).unwrap_err().starts_with("--t"), "{bad}");
        }
        assert_eq!(count("--n", "3"), Ok(3));
        assert!(count("--n", "-3").is_err());
    }
}
