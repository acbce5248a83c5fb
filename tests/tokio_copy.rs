//! tokio's own tests of `tokio::io::copy` and `copy_buf` (`tokio/tests/io_copy.rs`), run
//! against `zc::copy` on ends that tokio users have: a reader of their own and a writer that
//! buffers until it is flushed, through `zc::TokioBuffered`, tokio's `take` and `BufReader`.
//! (`copy_is_cooperative` is ported in `tests/tokio_streams.rs`.)

#![cfg(all(target_os = "linux", feature = "tokio"))]

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};

/// A reader of the user's own: "hello world" once, then EOF.
struct Once(bool);

impl AsyncRead for Once {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if std::mem::take(&mut self.0) {
            buf.put_slice(b"hello world");
        }
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn copy() {
    let mut src = zc::TokioBuffered::new(Once(true));
    let mut dst = Vec::new();
    let report = zc::copy_report(&mut src, &mut dst).await.unwrap();
    assert_eq!(report.bytes(), 11);
    // A `Vec` reads from the source itself (Go's `ReaderFrom`).
    assert_eq!(report.path(), zc::CopyPath::ReaderFrom);
    assert_eq!(dst, b"hello world");
}

/// A writer that keeps what it is given until it is flushed, then writes it into a duplex
/// stream.
struct FlushedOnly {
    held: Vec<u8>,
    out: DuplexStream,
}

impl AsyncWrite for FlushedOnly {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().held.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while !this.held.is_empty() {
            let n = ready!(Pin::new(&mut this.out).poll_write(cx, &this.held))?;
            this.held.drain(..n);
        }
        Pin::new(&mut this.out).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.out).poll_shutdown(cx)
    }
}

/// The copy reads back what it writes: 512 bytes are in the pipe when it starts, and the 512
/// after them exist only once the copy has flushed the writer. A copy that waits for its
/// source without flushing its destination waits forever; zc's flushes while the source has
/// nothing, as tokio's does. Bounded by a timeout.
///
/// `src` reads the duplex stream whose other end is `wd`, 1,024 bytes at most.
async fn copy_that_must_flush(mut src: impl zc::Source<zc::Tokio>, wd: DuplexStream) {
    let mut dst = zc::TokioBuffered::new(FlushedOnly {
        held: Vec::new(),
        out: wd,
    });
    dst.write_all(&[0x42; 512]).await.unwrap();
    dst.flush().await.unwrap();
    let copied = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        zc::copy(&mut src, &mut dst),
    )
    .await
    .expect("the copy waited for bytes that only its own flush would bring");
    assert_eq!(copied.unwrap(), 1024);
}

#[tokio::test]
async fn proxy() {
    let (rd, wd) = tokio::io::duplex(1024);
    copy_that_must_flush(zc::TokioBuffered::new(rd.take(1024)), wd).await;
}

/// `proxy` through tokio's `BufReader` (tokio's `copy_buf` test).
#[tokio::test]
async fn proxy_buf() {
    let (rd, wd) = tokio::io::duplex(1024);
    let src = tokio::io::BufReader::new(zc::TokioBuffered::new(rd)).take(1024);
    copy_that_must_flush(src, wd).await;
}
