//! tokio's I/O wrappers that keep the kernel path (`BufReader`, `Take`, `BufWriter`,
//! `BufStream`), the halves of `tokio::io::split`, and [`TokioBuffered`] for any other tokio
//! stream.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{
    AsyncBufRead, AsyncRead, AsyncWrite, BufReader, BufStream, BufWriter, ReadBuf, ReadHalf, Take,
    WriteHalf,
};
use zc_traits::endpoint::{RawEnd, Sink, Source};

use crate::stream::poll_read_tokio;
use crate::Tokio;

zc_traits::__io_wrappers!(
    Tokio,
    read_trait: AsyncRead,
    read: poll_read_tokio,
    consume: AsyncBufRead::consume,
    /// tokio's buffered reader: the bytes it holds are written first, then the kernel path
    /// takes the rest from the fd behind it (std's `kernel_copy` treats its `BufReader` the
    /// same way).
    ///
    /// Read a protocol header with tokio's `AsyncBufReadExt`, then `zc::copy` the body.
    BufReader,
    /// tokio's `take(n)` keeps the kernel path and stops it at the limit (Go's
    /// `LimitedReader`): `zc::copy(&mut (&mut file).take(len), &mut socket)` is a `sendfile` of
    /// `len` bytes. An earlier end of file ends the copy with `Ok`, as with tokio's `Take`; for
    /// a promised length use `zc::Limited::exact`.
    Take,
);

/// A writer that holds bytes in user space before its inner `W` (`BufWriter<W>`,
/// `BufStream<W>`): the bytes it holds are flushed first, then the kernel path writes into the
/// fd behind `W` (the dual of the `BufReader` source).
macro_rules! buffered_sink {
    ($($(#[$doc:meta])* $ty:ident<$w:ident: $($bound:path),+>;)*) => {$(
        $(#[$doc])*
        impl<$w> Sink<Tokio> for $ty<$w>
        where
            $w: Sink<Tokio> + $($bound +)+ Unpin,
        {
            sink_by_async_write!();

            fn poll_prepare_sink(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                // The kernel writes at the fd: what the buffer holds must be there first.
                ready!(AsyncWrite::poll_flush(Pin::new(&mut *self), cx))?;
                self.get_mut().poll_prepare_sink(cx)
            }

            fn raw_sink(&mut self) -> Option<RawEnd<'_, Tokio>> {
                self.get_mut().raw_sink()
            }
        }
    )*};
}

buffered_sink! {
    /// tokio's buffered writer: its buffer is flushed, then the kernel path writes into `W`'s
    /// fd. Write a protocol header through the `BufWriter`, then `zc::copy` the body into it:
    /// `file → BufWriter<TcpStream>` is a `sendfile(2)` after the header.
    BufWriter<W: AsyncWrite>;
    /// tokio's buffered stream, as a destination: its write buffer is flushed, then the kernel
    /// path writes into `RW`'s fd. (As a source it is not a zc endpoint: tokio gives no access
    /// to the bytes its read buffer holds; read through it, or use `BufReader` and
    /// `BufWriter` on the stream's halves.)
    BufStream<RW: AsyncRead, AsyncWrite>;
}

/// The read half of `tokio::io::split`, through the buffered path: tokio keeps the stream
/// behind a lock that it lends only to its own reads and writes, so the fd is out of reach.
/// A `TcpStream`'s or `UnixStream`'s own `split()` / `into_split()` halves keep the kernel
/// paths.
impl<T: AsyncRead> Source<Tokio> for ReadHalf<T> {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        poll_read_tokio(Pin::new(self), cx, buf)
    }
}

/// The write half of `tokio::io::split`, through the buffered path (see [`ReadHalf`]'s
/// [`Source`] impl).
impl<T: AsyncWrite> Sink<Tokio> for WriteHalf<T> {
    sink_by_async_write!();
}

/// Any tokio `AsyncRead` / `AsyncWrite` as a zc endpoint of the tokio runtime, through the
/// buffered path: a TLS stream, a compressor, `tokio::io::duplex`, a type of your own.
///
/// (Not hyper-util's `TokioIo`, which adapts tokio streams to hyper's I/O traits; this type was
/// called `TokioIo` before 0.1 was published, and [`TokioIo`] remains as a deprecated alias.)
///
/// It forwards tokio's `AsyncRead`, `AsyncBufRead` and `AsyncWrite`, so it can stay in place.
/// tokio's own files, sockets and pipes do not need it: they are zc endpoints themselves and
/// take the kernel paths.
///
/// | inner implements | `TokioBuffered<T>` implements |
/// |------------------|-------------------------|
/// | `AsyncRead + Unpin` | [`Source<Tokio>`] |
/// | `AsyncWrite + Unpin` | [`Sink<Tokio>`] |
/// | `AsyncRead` / `AsyncBufRead` / `AsyncWrite` (+ `Unpin`) | the same trait |
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use zc_tokio::TokioBuffered;
///
/// let (client, server) = tokio::io::duplex(64);
/// let mut src = TokioBuffered::new(&b"over a duplex"[..]);
/// let mut dst = TokioBuffered::new(client);
/// let report = zc_traits::copy_report(&mut src, &mut dst).await?;
/// assert_eq!(report.bytes(), 13);
/// assert_eq!(report.path(), zc_traits::CopyPath::Buffered);
/// # drop((dst, server));
/// # Ok(()) }
/// ```
#[derive(Debug, Default, Clone)]
pub struct TokioBuffered<T> {
    inner: T,
}

/// The former name of [`TokioBuffered`], which clashed with hyper-util's `TokioIo` (a different
/// type: tokio streams as hyper's I/O).
#[deprecated(
    since = "0.1.0",
    note = "renamed to `TokioBuffered`; hyper-util's `TokioIo` is a different type"
)]
pub type TokioIo<T> = TokioBuffered<T>;

impl<T> TokioBuffered<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Self {
        TokioBuffered { inner }
    }

    /// The wrapped stream.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutably.
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// The wrapped stream, by value.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for TokioBuffered<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncBufRead + Unpin> AsyncBufRead for TokioBuffered<T> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        Pin::new(&mut self.get_mut().inner).poll_fill_buf(cx)
    }

    fn consume(mut self: Pin<&mut Self>, amt: usize) {
        Pin::new(&mut self.inner).consume(amt)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for TokioBuffered<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<T: AsyncRead + Unpin> Source<Tokio> for TokioBuffered<T> {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        poll_read_tokio(Pin::new(&mut self.inner), cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> Sink<Tokio> for TokioBuffered<T> {
    sink_by_async_write!();
}
