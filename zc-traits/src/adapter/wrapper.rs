//! A source that wraps another and keeps its kernel path: a buffered reader hands out the bytes
//! it holds first, a limit stops the kernel path where it would stop a read (std's
//! `kernel_copy` treats its `BufReader` and `Take` the same way).

use std::io;
use std::task::{Context, Poll};

use crate::endpoint::{RawEnd, Source};

/// A [`Source`] that wraps another: what it changes about the wrapped source, for the
/// [`Source`] methods this module implements once ([`buffered`], [`consume_buffered`],
/// [`limit`], [`advance`], and the two that delegate, [`poll_prepare_source`] and
/// [`raw_source`]).
///
/// A buffered reader answers [`held`](SourceWrapper::held) (the bytes it read from the inner
/// source and has not handed out); a limit answers [`own_limit`](SourceWrapper::own_limit).
/// The copy writes the held bytes before any kernel syscall, and the kernel path never takes
/// more than the smallest limit of the chain.
///
/// # Implementation
///
/// The defaults say "holds nothing" and "no limit of its own"; override the pair that applies.
/// In the [`Source`] impl, the crate-root macro `__source_by_wrapper!(Rt)` writes every method
/// through this module's functions.
pub trait SourceWrapper<Rt> {
    /// The wrapped source.
    type Inner: Source<Rt> + ?Sized;

    /// The wrapped source.
    fn inner(&self) -> &Self::Inner;

    /// The wrapped source, mutably.
    fn inner_mut(&mut self) -> &mut Self::Inner;

    /// Reads through the wrapper: the buffered path, as [`Source::poll_read`].
    ///
    /// # Errors
    ///
    /// Errors of the inner source, and those the wrapper adds (an early end of an exact
    /// limit).
    fn poll_read_wrapper(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>>;

    /// Bytes the wrapper read from the inner source and has not handed out. Default: none.
    fn held(&self) -> &[u8] {
        &[]
    }

    /// Hands out `n` of the [`held`](SourceWrapper::held) bytes.
    fn consume_held(&mut self, _n: usize) {}

    /// The bytes the wrapper still lets through. Default: `None` (no limit of its own).
    fn own_limit(&self) -> Option<u64> {
        None
    }

    /// Sets what [`own_limit`](SourceWrapper::own_limit) returns.
    fn set_own_limit(&mut self, _left: u64) {}

    /// Called when the kernel reports the inner source's end of file.
    ///
    /// # Errors
    ///
    /// A wrapper that promised a length refuses an early end (`UnexpectedEof`). Default: `Ok`.
    fn check_eof(&self) -> io::Result<()> {
        Ok(())
    }
}

/// [`Source::buffered`] of a wrapper: the bytes it holds, else those the inner source holds,
/// cut at the wrapper's limit.
pub fn buffered<'a, Rt, W>(wrapper: &'a W) -> &'a [u8]
where
    W: SourceWrapper<Rt> + ?Sized,
    W::Inner: 'a,
{
    let held = wrapper.held();
    let bytes = if held.is_empty() {
        wrapper.inner().buffered()
    } else {
        held
    };
    match wrapper.own_limit() {
        Some(limit) => &bytes[..bytes.len().min(limit.try_into().unwrap_or(usize::MAX))],
        None => bytes,
    }
}

/// [`Source::consume_buffered`] of a wrapper: takes the `n` bytes from where [`buffered`]
/// found them, and counts them against the wrapper's limit.
pub fn consume_buffered<Rt, W: SourceWrapper<Rt> + ?Sized>(wrapper: &mut W, n: usize) {
    if wrapper.held().is_empty() {
        wrapper.inner_mut().consume_buffered(n);
    } else {
        wrapper.consume_held(n);
    }
    if let Some(left) = wrapper.own_limit() {
        wrapper.set_own_limit(left.saturating_sub(n as u64));
    }
}

/// [`Source::limit`] of a wrapper: the smaller of its own limit and the inner source's.
pub fn limit<Rt, W: SourceWrapper<Rt> + ?Sized>(wrapper: &W) -> Option<u64> {
    let inner = wrapper.inner().limit();
    match wrapper.own_limit() {
        Some(own) => Some(inner.map_or(own, |inner| inner.min(own))),
        None => inner,
    }
}

/// [`Source::advance`] of a wrapper: counts the bytes against its limit, tells the inner
/// source, and on end of file lets the wrapper refuse an early end.
///
/// # Errors
///
/// Those of the inner source's `advance`, then [`SourceWrapper::check_eof`]'s.
pub fn advance<Rt, W: SourceWrapper<Rt> + ?Sized>(
    wrapper: &mut W,
    n: u64,
    eof: bool,
) -> io::Result<()> {
    if let Some(left) = wrapper.own_limit() {
        wrapper.set_own_limit(left.saturating_sub(n));
    }
    wrapper.inner_mut().advance(n, eof)?;
    if eof {
        wrapper.check_eof()?;
    }
    Ok(())
}

/// [`Source::poll_prepare_source`] of a wrapper: the inner source's.
///
/// # Errors
///
/// Those of the inner source.
pub fn poll_prepare_source<Rt, W: SourceWrapper<Rt> + ?Sized>(
    wrapper: &mut W,
    cx: &mut Context<'_>,
) -> Poll<io::Result<()>> {
    wrapper.inner_mut().poll_prepare_source(cx)
}

/// [`Source::raw_source`] of a wrapper: the inner source's kernel object.
pub fn raw_source<Rt, W: SourceWrapper<Rt> + ?Sized>(wrapper: &mut W) -> Option<RawEnd<'_, Rt>> {
    wrapper.inner_mut().raw_source()
}

/// In an `impl Source<Rt>` block of a [`SourceWrapper<Rt>`](crate::adapter::SourceWrapper),
/// `__source_by_wrapper!(Rt)` is every method of the impl, through the functions of
/// [`zc_traits::adapter`](crate::adapter).
///
/// For adapter crates and the core's wrappers; not part of zc's API.
#[doc(hidden)]
#[macro_export]
macro_rules! __source_by_wrapper {
    ($rt:ty) => {
        fn poll_read(
            &mut self,
            cx: &mut ::std::task::Context<'_>,
            buf: &mut [u8],
        ) -> ::std::task::Poll<::std::io::Result<usize>> {
            $crate::adapter::SourceWrapper::<$rt>::poll_read_wrapper(self, cx, buf)
        }

        fn poll_prepare_source(
            &mut self,
            cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<::std::io::Result<()>> {
            $crate::adapter::poll_prepare_source::<$rt, Self>(self, cx)
        }

        fn raw_source(&mut self) -> ::std::option::Option<$crate::endpoint::RawEnd<'_, $rt>> {
            $crate::adapter::raw_source::<$rt, Self>(self)
        }

        fn buffered(&self) -> &[u8] {
            $crate::adapter::buffered::<$rt, Self>(self)
        }

        fn consume_buffered(&mut self, n: usize) {
            $crate::adapter::consume_buffered::<$rt, Self>(self, n)
        }

        fn limit(&self) -> ::std::option::Option<u64> {
            $crate::adapter::limit::<$rt, Self>(self)
        }

        fn advance(&mut self, n: u64, eof: bool) -> ::std::io::Result<()> {
            $crate::adapter::advance::<$rt, Self>(self, n, eof)
        }
    };
}

/// In an `impl Sink<Rt>` block of a buffered reader over a stream, `__sink_through_get_mut!(Rt)`
/// is every method of the impl, each passed to the stream inside (`self.get_mut()`): a buffered
/// reader buffers reads only, and writes go straight to the stream, as its `AsyncWrite` does.
///
/// For adapter crates; not part of zc's API.
#[doc(hidden)]
#[macro_export]
macro_rules! __sink_through_get_mut {
    ($rt:ty) => {
        fn poll_write(
            &mut self,
            cx: &mut ::std::task::Context<'_>,
            buf: &[u8],
        ) -> ::std::task::Poll<::std::io::Result<usize>> {
            $crate::Sink::<$rt>::poll_write(self.get_mut(), cx, buf)
        }

        fn poll_flush(
            &mut self,
            cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<::std::io::Result<()>> {
            $crate::Sink::<$rt>::poll_flush(self.get_mut(), cx)
        }

        fn poll_shutdown(
            &mut self,
            cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<::std::io::Result<()>> {
            $crate::Sink::<$rt>::poll_shutdown(self.get_mut(), cx)
        }

        fn reader_from(
            &mut self,
        ) -> ::std::option::Option<&mut dyn $crate::endpoint::ReaderFrom<$rt>> {
            $crate::Sink::<$rt>::reader_from(self.get_mut())
        }

        fn poll_prepare_sink(
            &mut self,
            cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<::std::io::Result<()>> {
            $crate::Sink::<$rt>::poll_prepare_sink(self.get_mut(), cx)
        }

        fn raw_sink(&mut self) -> ::std::option::Option<$crate::endpoint::RawEnd<'_, $rt>> {
            $crate::Sink::<$rt>::raw_sink(self.get_mut())
        }
    };
}

/// Implements [`SourceWrapper<$rt>`](crate::adapter::SourceWrapper) and
/// [`Source<$rt>`](crate::Source) for a runtime's buffered reader and `take(n)` types, which
/// follow futures-lite's API (`buffer`, `get_ref`, `get_mut`, `limit`, `set_limit`).
///
/// * `__io_wrappers!(futures_io, Rt, BufReader, Take)`: types that implement `futures_io`'s
///   `AsyncRead` / `AsyncBufRead` (smol's, async-std's), with the docs written here;
/// * `__io_wrappers!(Rt, read_trait: Trait, read: path, consume: path, #[doc] BufReader,
///   #[doc] Take)`: any other runtime's (tokio's); `read` and `consume` are called as
///   `read(Pin<&mut Self>, cx, buf)` and `consume(Pin<&mut Self>, n)`.
///
/// For adapter crates; not part of zc's API.
#[doc(hidden)]
#[macro_export]
macro_rules! __io_wrappers {
    // The methods both types spell alike.
    (@get_ref_get_mut_read $read:path) => {
        type Inner = R;

        fn inner(&self) -> &R {
            self.get_ref()
        }

        fn inner_mut(&mut self) -> &mut R {
            self.get_mut()
        }

        fn poll_read_wrapper(
            &mut self,
            cx: &mut ::std::task::Context<'_>,
            buf: &mut [u8],
        ) -> ::std::task::Poll<::std::io::Result<usize>> {
            $read(::std::pin::Pin::new(self), cx, buf)
        }
    };
    (futures_io, $rt:ty, $buf_reader:ident, $take:ident) => {
        $crate::__io_wrappers!(
            $rt,
            read_trait: $crate::adapter::futures_io::AsyncRead,
            read: $crate::adapter::futures_io::AsyncRead::poll_read,
            consume: $crate::adapter::futures_io::AsyncBufRead::consume,
            /// The bytes it holds go first, then the kernel path of the reader inside (std's
            /// `kernel_copy` treats its `BufReader` the same way).
            $buf_reader,
            /// `take(n)` keeps the kernel path of the reader inside and stops it at the limit:
            /// `zc::copy(&mut (&mut file).take(len), &mut socket)` is a `sendfile` of `len`
            /// bytes. An earlier end of file ends the copy with `Ok`; for a promised length use
            /// `zc::Limited::exact`.
            $take
        );
    };
    (
        $rt:ty,
        read_trait: $read_trait:path,
        read: $read:path,
        consume: $consume:path,
        $(#[$buf_doc:meta])* $buf_reader:ident,
        $(#[$take_doc:meta])* $take:ident $(,)?
    ) => {
        impl<R> $crate::adapter::SourceWrapper<$rt> for $buf_reader<R>
        where
            R: $crate::Source<$rt> + $read_trait + ::std::marker::Unpin,
        {
            $crate::__io_wrappers!(@get_ref_get_mut_read $read);

            fn held(&self) -> &[u8] {
                self.buffer()
            }

            fn consume_held(&mut self, n: usize) {
                $consume(::std::pin::Pin::new(self), n)
            }
        }

        $(#[$buf_doc])*
        impl<R> $crate::Source<$rt> for $buf_reader<R>
        where
            R: $crate::Source<$rt> + $read_trait + ::std::marker::Unpin,
        {
            $crate::__source_by_wrapper!($rt);
        }

        /// A buffered reader over a stream is a destination too: it buffers reads only, and
        /// writes go straight to the stream inside (its kernel paths included), as its
        /// `AsyncWrite` does. So a relay takes a stream whose first bytes were read through
        /// it, its held bytes going first: `zc::copy_bidirectional(&mut reader, &mut upstream)`.
        impl<R> $crate::Sink<$rt> for $buf_reader<R>
        where
            R: $crate::Sink<$rt> + $read_trait + ::std::marker::Unpin,
        {
            $crate::__sink_through_get_mut!($rt);
        }

        impl<R> $crate::adapter::SourceWrapper<$rt> for $take<R>
        where
            R: $crate::Source<$rt> + $read_trait + ::std::marker::Unpin,
        {
            $crate::__io_wrappers!(@get_ref_get_mut_read $read);

            fn own_limit(&self) -> ::std::option::Option<u64> {
                Some($take::limit(self))
            }

            fn set_own_limit(&mut self, left: u64) {
                self.set_limit(left);
            }
        }

        $(#[$take_doc])*
        impl<R> $crate::Source<$rt> for $take<R>
        where
            R: $crate::Source<$rt> + $read_trait + ::std::marker::Unpin,
        {
            $crate::__source_by_wrapper!($rt);
        }
    };
}
