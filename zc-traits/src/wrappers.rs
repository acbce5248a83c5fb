//! Wrappers that change how a source is read, and keep the kernel path: a limit, a buffered
//! reader, and a bridge for any `futures_io` stream.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};
use pin_project_lite::pin_project;

use crate::endpoint::{RawEnd, Sink, Source};

/// A source that yields at most a fixed number of bytes: Go's `io.LimitedReader`, Netty's
/// `FileRegion(position, count)`. The kernel path honours the limit, so an HTTP `Range` reply
/// is still a `sendfile`.
///
/// After the copy, [`remaining`](Limited::remaining) is the limit minus the bytes taken from
/// the source.
///
/// # Examples
///
/// Send bytes 2..5 of a file:
///
/// ```
/// # futures_lite::future::block_on(async {
/// use std::io::{Seek, SeekFrom, Write};
/// let mut file = tempfile::tempfile()?;
/// file.write_all(b"0123456789")?;
/// file.seek(SeekFrom::Start(2))?;
/// let mut range = zc_traits::Limited::exact(&mut file, 3);
/// let mut out = Vec::new();
/// zc_traits::copy::<zc_traits::Neutral, _, _>(&mut range, &mut out).await?;
/// assert_eq!(out, b"234");
/// assert_eq!(range.remaining(), 0);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct Limited<S> {
    inner: S,
    remaining: u64,
    exact: bool,
}

impl<S> Limited<S> {
    /// At most `limit` bytes of `inner`; an earlier EOF ends the copy with `Ok` (Go's
    /// `LimitedReader`).
    pub fn new(inner: S, limit: u64) -> Self {
        Limited {
            inner,
            remaining: limit,
            exact: false,
        }
    }

    /// Exactly `limit` bytes of `inner`; an earlier EOF is an `UnexpectedEof` error (Go's
    /// `io.CopyN`). This is what a reply with a promised `Content-Length` needs.
    pub fn exact(inner: S, limit: u64) -> Self {
        Limited {
            inner,
            remaining: limit,
            exact: true,
        }
    }

    /// Bytes still allowed.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// The wrapped source.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped source, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The wrapped source, by value.
    pub fn into_inner(self) -> S {
        self.inner
    }

    fn early_eof(&self) -> io::Result<()> {
        if self.exact && self.remaining > 0 {
            Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("source ended {} bytes before its limit", self.remaining),
            ))
        } else {
            Ok(())
        }
    }
}

impl<Rt, S: Source<Rt>> Source<Rt> for Limited<S> {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if self.remaining == 0 || buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let max = buf
            .len()
            .min(self.remaining.try_into().unwrap_or(usize::MAX));
        let n = ready!(self.inner.poll_read(cx, &mut buf[..max]))?;
        if n == 0 {
            self.early_eof()?;
        }
        self.remaining -= n as u64;
        Poll::Ready(Ok(n))
    }

    // No `writer_to`: the inner source's WriterTo would not stop at the limit (Go's
    // LimitedReader hides it too).

    fn poll_prepare_source(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.poll_prepare_source(cx)
    }

    fn raw_source(&mut self) -> Option<RawEnd<'_, Rt>> {
        self.inner.raw_source()
    }

    fn buffered(&self) -> &[u8] {
        let buffered = self.inner.buffered();
        &buffered[..buffered
            .len()
            .min(self.remaining.try_into().unwrap_or(usize::MAX))]
    }

    fn consume_buffered(&mut self, n: usize) {
        self.inner.consume_buffered(n);
        self.remaining -= n as u64;
    }

    fn limit(&self) -> Option<u64> {
        Some(
            self.inner
                .limit()
                .map_or(self.remaining, |l| l.min(self.remaining)),
        )
    }

    fn advance(&mut self, n: u64, eof: bool) -> io::Result<()> {
        self.remaining -= n.min(self.remaining);
        self.inner.advance(n, eof)?;
        if eof {
            self.early_eof()?;
        }
        Ok(())
    }
}

pin_project! {
    /// A buffered reader whose buffer the copy drains before it hands the fd to the kernel.
    ///
    /// Read a protocol header through it ([`AsyncBufRead`] when the inner type is a
    /// `futures_io` reader, or [`Source::poll_read`]), then `copy` the rest: the bytes it
    /// already holds are written first, the remainder moves by `splice`/`sendfile`. std's
    /// `kernel_copy` treats `BufReader` the same way.
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// use futures_lite::AsyncBufReadExt;
    /// let input = futures_lite::io::Cursor::new(b"HEADER\nbody".to_vec());
    /// let mut reader = zc_traits::BufReader::new(zc_traits::FuturesIo::new(input));
    /// let mut header = String::new();
    /// reader.read_line(&mut header).await?;
    /// let mut body = Vec::new();
    /// zc_traits::copy::<zc_traits::Neutral, _, _>(&mut reader, &mut body).await?;
    /// assert_eq!((header.as_str(), &body[..]), ("HEADER\n", &b"body"[..]));
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[derive(Debug)]
    pub struct BufReader<R> {
        #[pin]
        inner: R,
        buf: Box<[u8]>,
        pos: usize,
        cap: usize,
    }
}

impl<R> BufReader<R> {
    /// A reader with an 8 KiB buffer.
    pub fn new(inner: R) -> Self {
        Self::with_capacity(8 << 10, inner)
    }

    /// A reader with a buffer of `capacity` bytes.
    pub fn with_capacity(capacity: usize, inner: R) -> Self {
        BufReader {
            inner,
            buf: vec![0; capacity.max(1)].into_boxed_slice(),
            pos: 0,
            cap: 0,
        }
    }

    /// The bytes read from `inner` and not yet handed out.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..self.cap]
    }

    /// The wrapped reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The wrapped reader, mutably. Reading from it directly skips the buffered bytes.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The wrapped reader, pinned.
    pub fn get_pin_mut(self: Pin<&mut Self>) -> Pin<&mut R> {
        self.project().inner
    }

    /// The wrapped reader; the buffered bytes are lost.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: AsyncRead> AsyncRead for BufReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if self.pos == self.cap && buf.len() >= self.buf.len() {
            // An empty buffer and a big read: skip the copy through the buffer.
            return self.project().inner.poll_read(cx, buf);
        }
        let available = ready!(self.as_mut().poll_fill_buf(cx))?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Poll::Ready(Ok(n))
    }
}

impl<R: AsyncRead> AsyncBufRead for BufReader<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.project();
        if *this.pos == *this.cap {
            *this.cap = ready!(this.inner.poll_read(cx, this.buf))?;
            *this.pos = 0;
        }
        Poll::Ready(Ok(&this.buf[*this.pos..*this.cap]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.project();
        *this.pos = (*this.pos + amt).min(*this.cap);
    }
}

impl<Rt, R: Source<Rt>> Source<Rt> for BufReader<R> {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if self.pos == self.cap {
            if buf.len() >= self.buf.len() {
                return self.inner.poll_read(cx, buf);
            }
            self.cap = ready!(self.inner.poll_read(cx, &mut self.buf))?;
            self.pos = 0;
        }
        let n = (self.cap - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Poll::Ready(Ok(n))
    }

    fn poll_prepare_source(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.poll_prepare_source(cx)
    }

    fn raw_source(&mut self) -> Option<RawEnd<'_, Rt>> {
        self.inner.raw_source()
    }

    fn buffered(&self) -> &[u8] {
        if self.pos < self.cap {
            &self.buf[self.pos..self.cap]
        } else {
            self.inner.buffered()
        }
    }

    fn consume_buffered(&mut self, n: usize) {
        if self.pos < self.cap {
            self.pos = (self.pos + n).min(self.cap);
        } else {
            self.inner.consume_buffered(n);
        }
    }

    fn limit(&self) -> Option<u64> {
        self.inner.limit()
    }

    fn advance(&mut self, n: u64, eof: bool) -> io::Result<()> {
        self.inner.advance(n, eof)
    }
}

pin_project! {
    /// Lets any `futures_io` stream take part in a copy, through the buffered path: a TLS
    /// stream, a compressor, an in-memory cursor, a type of a runtime zc has no adapter for.
    ///
    /// It forwards `AsyncRead`, `AsyncBufRead` and `AsyncWrite`, so it can stay in place for the
    /// rest of the program.
    ///
    /// | inner implements | `FuturesIo<T>` implements |
    /// |------------------|---------------------------|
    /// | `AsyncRead + Unpin` | [`Source<Rt>`] for every `Rt` |
    /// | `AsyncWrite + Unpin` | [`Sink<Rt>`] for every `Rt` |
    /// | `AsyncRead` / `AsyncBufRead` / `AsyncWrite` | the same trait |
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let mut src = zc_traits::FuturesIo::new(futures_lite::io::Cursor::new(b"abc".to_vec()));
    /// let mut dst = Vec::new();
    /// let report = zc_traits::copy_report::<zc_traits::Neutral, _, _>(&mut src, &mut dst).await?;
    /// assert_eq!(dst, b"abc");
    /// assert_eq!(report.path(), zc_traits::CopyPath::ReaderFrom);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    #[derive(Debug)]
    pub struct FuturesIo<T> {
        #[pin]
        inner: T,
    }
}

impl<T> FuturesIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Self {
        FuturesIo { inner }
    }

    /// The wrapped stream.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutably.
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// The wrapped stream, pinned.
    pub fn inner_pin_mut(self: Pin<&mut Self>) -> Pin<&mut T> {
        self.project().inner
    }

    /// The wrapped stream, by value.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead> AsyncRead for FuturesIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_read(cx, buf)
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [io::IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_read_vectored(cx, bufs)
    }
}

impl<T: AsyncBufRead> AsyncBufRead for FuturesIo<T> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.project().inner.poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.project().inner.consume(amt)
    }
}

impl<T: AsyncWrite> AsyncWrite for FuturesIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().inner.poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_close(cx)
    }
}

impl<Rt, T: AsyncRead + Unpin> Source<Rt> for FuturesIo<T> {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<Rt, T: AsyncWrite + Unpin> Sink<Rt> for FuturesIo<T> {
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}
