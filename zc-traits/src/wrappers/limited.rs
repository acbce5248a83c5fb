//! [`Limited`]: a range of a source that keeps the kernel path (Go's `io.LimitedReader`).

use std::io;
use std::task::{ready, Context, Poll};

use crate::adapter::SourceWrapper;
use crate::endpoint::traits::checked_count;
use crate::endpoint::Source;

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

impl<Rt, S: Source<Rt>> SourceWrapper<Rt> for Limited<S> {
    inner_field!(S);

    fn poll_read_wrapper(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if self.remaining == 0 || buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let max = buf
            .len()
            .min(self.remaining.try_into().unwrap_or(usize::MAX));
        let n = checked_count(
            ready!(self.inner.poll_read(cx, &mut buf[..max]))?,
            max,
            "read",
        )?;
        if n == 0 {
            self.early_eof()?;
        }
        self.remaining -= n as u64;
        Poll::Ready(Ok(n))
    }

    fn own_limit(&self) -> Option<u64> {
        Some(self.remaining)
    }

    fn set_own_limit(&mut self, left: u64) {
        self.remaining = left;
    }

    fn check_eof(&self) -> io::Result<()> {
        self.early_eof()
    }
}

/// The kernel path honours the limit; the bytes an inner buffered reader holds count against
/// it. (No `writer_to`: the inner source's `WriterTo` would not stop at the limit; Go's
/// `LimitedReader` hides it too.)
impl<Rt, S: Source<Rt>> Source<Rt> for Limited<S> {
    crate::__source_by_wrapper!(Rt);
}
