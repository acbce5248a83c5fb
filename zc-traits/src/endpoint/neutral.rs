//! Endpoints that belong to no runtime: `&[u8]`, `Vec<u8>` and `std::fs::File`, for every `Rt`
//! (the marker for a copy between two of them, [`Neutral`](crate::coop::Neutral), is in
//! `coop.rs` with the other markers' trait).

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::task::{ready, Context, Poll};

use super::raw::RawEnd;
use super::traits::{poll_count, Handoff, Progress, ReaderFrom, Sink, Source, WriterTo};

/// A byte slice is read from the front; the copy advances it past the bytes delivered.
impl<Rt> Source<Rt> for &[u8] {
    fn poll_read(&mut self, _cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Read::read(self, buf))
    }

    fn writer_to(&mut self) -> Option<&mut dyn WriterTo<Rt>> {
        Some(self)
    }
}

/// Writes the slice straight to the destination, with no intermediate buffer.
impl<Rt> WriterTo<Rt> for &[u8] {
    fn poll_write_to(
        &mut self,
        cx: &mut Context<'_>,
        dst: &mut dyn Sink<Rt>,
        progress: &mut Progress,
    ) -> Poll<io::Result<Handoff>> {
        while !self.is_empty() {
            ready!(progress.poll_budget(cx));
            let len = self.len();
            let n = ready!(poll_count(dst.poll_write(cx, self), len, "write", cx))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *self = &self[n..];
            progress.record(n as u64);
        }
        Poll::Ready(Ok(Handoff::Finished))
    }
}

/// A vector is appended to.
impl<Rt> Sink<Rt> for Vec<u8> {
    fn poll_write(&mut self, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn reader_from(&mut self) -> Option<&mut dyn ReaderFrom<Rt>> {
        Some(self)
    }
}

/// Reads straight into the vector's tail, with no intermediate buffer.
impl<Rt> ReaderFrom<Rt> for Vec<u8> {
    fn poll_read_from(
        &mut self,
        cx: &mut Context<'_>,
        src: &mut dyn Source<Rt>,
        progress: &mut Progress,
    ) -> Poll<io::Result<Handoff>> {
        const CHUNK: usize = 64 << 10;
        loop {
            ready!(progress.poll_budget(cx));
            let len = self.len();
            let want = CHUNK
                .min(progress.budget().try_into().unwrap_or(CHUNK))
                .max(1);
            self.resize(len + want, 0);
            let read = poll_count(src.poll_read(cx, &mut self[len..]), want, "read", cx);
            let n = match &read {
                Poll::Ready(Ok(n)) => *n,
                _ => 0,
            };
            self.truncate(len + n);
            match read {
                Poll::Ready(Ok(0)) => return Poll::Ready(Ok(Handoff::Finished)),
                Poll::Ready(Ok(n)) => progress.record(n as u64),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// A blocking file: read from and written at its own offset, which the copy advances by
/// exactly the bytes delivered.
///
/// # Caveats
///
/// Reads and writes block the calling thread, as with any `std::fs::File`; on a page-cache
/// hit, which is what a file server mostly sees, that is as short as a memory copy.
impl<Rt> Source<Rt> for File {
    fn poll_read(&mut self, _cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(retry_interrupted(|| Read::read(self, buf)))
    }

    fn raw_source(&mut self) -> Option<RawEnd<'_, Rt>> {
        Some(RawEnd::Direct(AsFd::as_fd(&*self)))
    }
}

/// A blocking file: written at its own offset (at the end with `O_APPEND`).
impl<Rt> Sink<Rt> for File {
    fn poll_write(&mut self, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(retry_interrupted(|| Write::write(self, buf)))
    }

    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Write::flush(self))
    }

    fn poll_shutdown(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Write::flush(self))
    }

    fn raw_sink(&mut self) -> Option<RawEnd<'_, Rt>> {
        Some(RawEnd::Direct(AsFd::as_fd(&*self)))
    }
}

fn retry_interrupted<T>(mut f: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match f() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}
