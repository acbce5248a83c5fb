//! The core's own test runtime: async-io's reactor under a runtime marker of its own
//! ([`Aio`]), socket and pipe pairs on it, and a `block_on` with a timeout ([`run`]).
//!
//! `zc-traits` is tested without any of zc's runtime markers: [`Aio`] takes zc's per-thread
//! budget and has no blocking pool (it keeps [`Runtime::spawn_blocking`]'s default, so a copy
//! reads a cold file range inline). Its streams, [`AioStream`], are async-io `Async<T>`s
//! that wait with the adapters' own async-io loop (`zc_traits::__async_io_poll_io!`) and
//! read and write through zc-smol's impls for `Async<T>`: no adapter code written again.

use std::fs::File;
use std::io;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_io::Async;
use futures_lite::{future, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use zc_smol::Smol;
use zc_traits::endpoint::{RawEnd, Readiness};
use zc_traits::{Runtime, Sink, Source};

use crate::{Xorshift, TIMEOUT};

/// The runtime marker of the core's tests.
#[derive(Debug)]
pub struct Aio;

/// async-io has no budget: zc's per-thread one, as zc-smol uses; no blocking pool.
impl Runtime for Aio {
    zc_traits::__thread_budget!();
}

/// A non-blocking fd registered with async-io, an endpoint for [`Aio`]: a
/// [`RawEnd::Polled`] end that waits as zc-smol's ends do, and reads and writes through
/// zc-smol's impls for `Async<T>`.
#[derive(Debug)]
pub struct AioStream<T>(pub Async<T>);

impl<T: AsFd> Readiness<Aio> for AioStream<T> {
    fn fd(&self) -> BorrowedFd<'_> {
        self.0.get_ref().as_fd()
    }

    zc_traits::__async_io_poll_io!(Aio, |stream| &stream.0);
}

impl<T: AsFd> Source<Aio> for AioStream<T>
where
    Async<T>: Source<Smol>,
{
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Source::<Smol>::poll_read(&mut self.0, cx, buf)
    }

    fn raw_source(&mut self) -> Option<RawEnd<'_, Aio>> {
        Some(RawEnd::Polled(self))
    }
}

impl<T: AsFd> Sink<Aio> for AioStream<T>
where
    Async<T>: Sink<Smol>,
{
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Sink::<Smol>::poll_write(&mut self.0, cx, buf)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Sink::<Smol>::poll_flush(&mut self.0, cx)
    }

    /// Flushes, then shuts a socket's write side down (its FIN, which a relay needs).
    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Sink::<Smol>::poll_shutdown(&mut self.0, cx)
    }

    fn raw_sink(&mut self) -> Option<RawEnd<'_, Aio>> {
        Some(RawEnd::Polled(self))
    }
}

impl<T> AsyncRead for AioStream<T>
where
    Async<T>: AsyncRead + Unpin,
{
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

/// Runs `fut` to completion on async-io, failing the test if it takes more than
/// [`TIMEOUT`].
pub fn run<T>(fut: impl std::future::Future<Output = T>) -> T {
    async_io::block_on(future::or(async { Some(fut.await) }, async {
        async_io::Timer::after(TIMEOUT).await;
        None
    }))
    .expect("test timed out after 60 s")
}

/// A connected TCP pair on 127.0.0.1: (client, server).
pub fn tcp_pair() -> (AioStream<TcpStream>, AioStream<TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    (
        AioStream(Async::new(client).unwrap()),
        AioStream(Async::new(server).unwrap()),
    )
}

/// A connected Unix stream socket pair.
pub fn unix_pair() -> (AioStream<UnixStream>, AioStream<UnixStream>) {
    let (a, b) = UnixStream::pair().unwrap();
    (
        AioStream(Async::new(a).unwrap()),
        AioStream(Async::new(b).unwrap()),
    )
}

/// A non-blocking pipe: (read end, write end).
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

/// Reads everything from `stream` until EOF, on the current executor.
pub async fn read_all<T>(stream: &mut AioStream<T>) -> Vec<u8>
where
    Async<T>: AsyncRead + Unpin,
{
    let mut out = Vec::new();
    stream.0.read_to_end(&mut out).await.unwrap();
    out
}

/// The test's reading end of a stream.
pub type Reader = Box<dyn AsyncRead + Unpin>;
/// The test's writing end of a stream.
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
            let (feed, src) = tcp_pair();
            (Box::new(feed.0), Box::new(src))
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
