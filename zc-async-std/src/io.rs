//! async-std's I/O wrappers that keep the kernel path: `async_std::io::BufReader` and the `Take`
//! of `ReadExt::take`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_std::io::{BufReader, Take};
use futures_lite::{AsyncBufRead, AsyncRead};
use zc_traits::{RawEnd, Source};

use crate::AsyncStd;

/// A buffered reader gives the bytes it already holds first (no syscall), then the kernel copies
/// the rest from the fd behind it (std's `kernel_copy` treats its `BufReader` the same way).
impl<R> Source<AsyncStd> for BufReader<R>
where
    R: Source<AsyncStd> + AsyncRead + Unpin,
{
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        AsyncRead::poll_read(Pin::new(self), cx, buf)
    }

    fn poll_prepare_source(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_prepare_source(cx)
    }

    fn raw_source(&mut self) -> Option<RawEnd<'_, AsyncStd>> {
        self.get_mut().raw_source()
    }

    fn buffered(&self) -> &[u8] {
        let own = self.buffer();
        if own.is_empty() {
            self.get_ref().buffered()
        } else {
            own
        }
    }

    fn consume_buffered(&mut self, n: usize) {
        if self.buffer().is_empty() {
            self.get_mut().consume_buffered(n);
        } else {
            AsyncBufRead::consume(Pin::new(self), n);
        }
    }

    fn limit(&self) -> Option<u64> {
        self.get_ref().limit()
    }

    fn advance(&mut self, n: u64, eof: bool) -> io::Result<()> {
        self.get_mut().advance(n, eof)
    }
}

/// `take(n)` keeps the kernel path and stops it at the limit (Go's `LimitedReader`):
/// `zc::copy(&mut (&mut file).take(len), &mut socket)` is a `sendfile` of `len` bytes. An
/// earlier end of file ends the copy with `Ok`, as with async-std's `Take`; for a promised
/// length use `zc::Limited::exact`.
impl<R> Source<AsyncStd> for Take<R>
where
    R: Source<AsyncStd> + AsyncRead + Unpin,
{
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        AsyncRead::poll_read(Pin::new(self), cx, buf)
    }

    fn poll_prepare_source(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_prepare_source(cx)
    }

    fn raw_source(&mut self) -> Option<RawEnd<'_, AsyncStd>> {
        self.get_mut().raw_source()
    }

    fn buffered(&self) -> &[u8] {
        let inner = self.get_ref().buffered();
        let limit = usize::try_from(Take::limit(self)).unwrap_or(usize::MAX);
        &inner[..inner.len().min(limit)]
    }

    fn consume_buffered(&mut self, n: usize) {
        self.get_mut().consume_buffered(n);
        let left = Take::limit(self).saturating_sub(n as u64);
        self.set_limit(left);
    }

    fn limit(&self) -> Option<u64> {
        let own = Take::limit(self);
        Some(self.get_ref().limit().map_or(own, |inner| inner.min(own)))
    }

    fn advance(&mut self, n: u64, eof: bool) -> io::Result<()> {
        let left = Take::limit(self).saturating_sub(n);
        self.set_limit(left);
        self.get_mut().advance(n, eof)
    }
}
