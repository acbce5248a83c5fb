//! Shared helpers for zc-traits' tests: a minimal async-io adapter (the tests' own runtime
//! marker), socket pairs on 127.0.0.1, files with known content, and mocks that force states.
#![allow(dead_code)]

use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use async_io::Async;
use futures_lite::{future, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use zc_traits::endpoint::{Interest, RawEnd, Readiness};
use zc_traits::{Sink, Source};

/// Helpers of the reliability suites (fd accounting, pipes, joins, cancellation points).
pub mod reliability;

/// The runtime marker of the tests' async-io adapter.
#[derive(Debug)]
pub struct Aio;

/// async-io has no budget: zc's per-thread one, as zc-smol uses.
impl zc_traits::Runtime for Aio {
    type Permit = zc_traits::coop::ThreadPermit;

    fn poll_proceed(cx: &mut Context<'_>) -> Poll<Self::Permit> {
        zc_traits::coop::poll_proceed(cx)
    }
}

/// A non-blocking fd registered with async-io, as zc-smol does it.
#[derive(Debug)]
pub struct AioStream<T>(pub Async<T>);

impl<T: AsFd> Readiness<Aio> for AioStream<T> {
    fn fd(&self) -> BorrowedFd<'_> {
        self.0.get_ref().as_fd()
    }

    fn poll_io(
        &mut self,
        cx: &mut Context<'_>,
        interest: Interest,
        op: &mut dyn FnMut(BorrowedFd<'_>) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            match op(self.0.get_ref().as_fd()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                r => return Poll::Ready(r),
            }
            match interest {
                Interest::Readable => futures_lite::ready!(self.0.poll_readable(cx))?,
                Interest::Writable => futures_lite::ready!(self.0.poll_writable(cx))?,
            }
        }
    }
}

impl<T: AsFd> Source<Aio> for AioStream<T>
where
    Async<T>: AsyncRead + Unpin,
{
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }

    fn raw_source(&mut self) -> Option<RawEnd<'_, Aio>> {
        Some(RawEnd::Polled(self))
    }
}

impl<T: AsFd> Sink<Aio> for AioStream<T>
where
    Async<T>: AsyncWrite + Unpin,
{
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // async-io's poll_close only flushes; a relay needs the socket's FIN.
        futures_lite::ready!(Pin::new(&mut self.0).poll_close(cx))?;
        match rustix::net::shutdown(self.0.get_ref(), rustix::net::Shutdown::Write) {
            Err(rustix::io::Errno::NOTSOCK) => Poll::Ready(Ok(())),
            r => Poll::Ready(r.map_err(io::Error::from)),
        }
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

/// Deterministic, non-repeating-looking bytes, so a shifted or duplicated range shows.
pub fn pattern(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A temporary file holding `data`, positioned at 0.
pub fn file_with(data: &[u8]) -> File {
    let mut f = tempfile::tempfile().unwrap();
    f.write_all(data).unwrap();
    f.rewind().unwrap();
    f
}

/// All of a file's content, from offset 0.
pub fn content(f: &mut File) -> Vec<u8> {
    let mut out = Vec::new();
    f.rewind().unwrap();
    f.read_to_end(&mut out).unwrap();
    out
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

/// Writes `data` to `stream` and shuts its write side down.
pub async fn write_and_close(stream: &mut AioStream<TcpStream>, data: &[u8]) {
    stream.0.write_all(data).await.unwrap();
    stream
        .0
        .get_ref()
        .shutdown(std::net::Shutdown::Write)
        .unwrap();
}

/// Runs `fut` to completion, failing the test if it takes more than 60 seconds.
pub fn run<T>(fut: impl std::future::Future<Output = T>) -> T {
    async_io::block_on(future::or(async { Some(fut.await) }, async {
        async_io::Timer::after(Duration::from_secs(60)).await;
        None
    }))
    .expect("test timed out after 60 s")
}

/// Opens `path` with `O_DIRECT` (read-only, or write-only with `write`), or says why it cannot.
pub fn open_direct(path: &std::path::Path, write: bool) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let direct = rustix::fs::OFlags::DIRECT.bits() as i32;
    match std::fs::OpenOptions::new()
        .read(!write)
        .write(write)
        .custom_flags(direct)
        .open(path)
    {
        Ok(file) => Some(file),
        Err(e) => {
            eprintln!("skipped: this filesystem refuses O_DIRECT ({e})");
            None
        }
    }
}

/// 8 MiB and a 1000-byte tail: `O_DIRECT` moves whole blocks only.
pub const DIRECT_LEN: usize = (8 << 20) + 1000;

/// A file holding `data`, opened read-only with `O_DIRECT`, in a directory of cargo's target
/// directory (`/tmp` may be a tmpfs, which has no alignment rule to refuse with); `None`, said
/// on stderr, where the filesystem refuses `O_DIRECT`.
pub fn direct_source(data: &[u8]) -> Option<(tempfile::TempDir, File)> {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let path = dir.path().join("direct");
    std::fs::write(&path, data).unwrap();
    let file = open_direct(&path, false)?;
    Some((dir, file))
}

/// A relay direction's report under splice-auto: `Splice` once it spliced a byte, else
/// `Buffered` (when it switched depends on how its reads found the data).
pub fn assert_relay_path(report: &zc_traits::Report, what: &str) {
    let spliced = report.kernel_bytes() > 0;
    let path = if spliced {
        zc_traits::CopyPath::Splice
    } else {
        zc_traits::CopyPath::Buffered
    };
    assert_eq!(
        report.path(),
        path,
        "{what}: the path says which way the bytes went"
    );
}
