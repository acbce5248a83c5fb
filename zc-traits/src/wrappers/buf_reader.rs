//! [`BufReader`]: a buffered reader whose buffer the copy drains before the kernel path.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead};
use pin_project_lite::pin_project;

use crate::adapter::SourceWrapper;
use crate::endpoint::traits::checked_count;
use crate::endpoint::{Sink, Source};

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
            let n = ready!(this.inner.poll_read(cx, this.buf))?;
            *this.cap = checked_count(n, this.buf.len(), "read")?;
            *this.pos = 0;
        }
        Poll::Ready(Ok(&this.buf[*this.pos..*this.cap]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.project();
        *this.pos = (*this.pos + amt).min(*this.cap);
    }
}

impl<Rt, R: Source<Rt>> SourceWrapper<Rt> for BufReader<R> {
    inner_field!(R);

    fn poll_read_wrapper(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if self.pos == self.cap {
            if buf.len() >= self.buf.len() {
                return self.inner.poll_read(cx, buf);
            }
            let n = ready!(self.inner.poll_read(cx, &mut self.buf))?;
            self.cap = checked_count(n, self.buf.len(), "read")?;
            self.pos = 0;
        }
        let n = (self.cap - self.pos).min(buf.len());
        buf[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Poll::Ready(Ok(n))
    }

    fn held(&self) -> &[u8] {
        self.buffer()
    }

    fn consume_held(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.cap);
    }
}

/// The bytes it holds go first, then the kernel path of the source inside.
impl<Rt, R: Source<Rt>> Source<Rt> for BufReader<R> {
    crate::__source_by_wrapper!(Rt);
}

/// A buffered reader over a stream is a destination too: it buffers reads only, and writes go
/// straight to the stream inside (its kernel paths included). So a relay takes a stream whose
/// first bytes were read through it, its held bytes going first:
/// `zc::copy_bidirectional(&mut reader, &mut upstream)`.
impl<Rt, R: Sink<Rt>> Sink<Rt> for BufReader<R> {
    crate::__sink_through_get_mut!(Rt);
}
