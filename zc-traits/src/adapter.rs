//! Shared by the adapter crates: the endpoint impls of the `futures_io` wrappers that several
//! runtimes use (futures-lite's and async-std's `BufReader` and `Take`), written once.

/// The `futures_io` traits the macro below names, for adapter crates that do not depend on
/// `futures_io` themselves. A module of this crate rather than a re-export of the `futures_io`
/// crate, so that `doc(hidden)` belongs to the item and also hides it where a crate re-exports
/// this one.
#[doc(hidden)]
pub mod __futures_io {
    pub use futures_io::{AsyncBufRead, AsyncRead};
}

/// Implements [`Source<$rt>`](crate::Source) for a runtime's `BufReader` and `Take` types that
/// follow futures-lite's API (`buffer`, `get_ref`, `get_mut`, `limit`, `set_limit`, and
/// `futures_io::{AsyncRead, AsyncBufRead}`), so both keep the kernel path:
///
/// * the buffered reader gives the bytes it already holds first (no syscall), then the kernel
///   copies the rest from the fd behind it, as std's `kernel_copy` treats its `BufReader`;
/// * `take(n)` stops the kernel path at its limit (Go's `LimitedReader`); an earlier end of
///   file ends the copy with `Ok`, as the runtime's `Take` does.
///
/// For adapter crates; not part of zc's API.
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_futures_io_wrappers {
    ($rt:ty, $buf_reader:ident, $take:ident) => {
        /// The bytes it holds go first, then the kernel path of the reader inside.
        impl<R> $crate::Source<$rt> for $buf_reader<R>
        where
            R: $crate::Source<$rt>
                + $crate::endpoint::__futures_io::AsyncRead
                + ::std::marker::Unpin,
        {
            fn poll_read(
                &mut self,
                cx: &mut ::std::task::Context<'_>,
                buf: &mut [u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                $crate::endpoint::__futures_io::AsyncRead::poll_read(
                    ::std::pin::Pin::new(self),
                    cx,
                    buf,
                )
            }

            fn poll_prepare_source(
                &mut self,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                self.get_mut().poll_prepare_source(cx)
            }

            fn raw_source(&mut self) -> ::std::option::Option<$crate::endpoint::RawEnd<'_, $rt>> {
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
                    $crate::endpoint::__futures_io::AsyncBufRead::consume(
                        ::std::pin::Pin::new(self),
                        n,
                    );
                }
            }

            fn limit(&self) -> ::std::option::Option<u64> {
                self.get_ref().limit()
            }

            fn advance(&mut self, n: u64, eof: bool) -> ::std::io::Result<()> {
                self.get_mut().advance(n, eof)
            }
        }

        /// `take(n)` keeps the kernel path of the reader inside and stops it at the limit:
        /// `zc::copy(&mut (&mut file).take(len), &mut socket)` is a `sendfile` of `len` bytes.
        /// An earlier end of file ends the copy with `Ok`; for a promised length use
        /// `zc::Limited::exact`.
        impl<R> $crate::Source<$rt> for $take<R>
        where
            R: $crate::Source<$rt>
                + $crate::endpoint::__futures_io::AsyncRead
                + ::std::marker::Unpin,
        {
            fn poll_read(
                &mut self,
                cx: &mut ::std::task::Context<'_>,
                buf: &mut [u8],
            ) -> ::std::task::Poll<::std::io::Result<usize>> {
                $crate::endpoint::__futures_io::AsyncRead::poll_read(
                    ::std::pin::Pin::new(self),
                    cx,
                    buf,
                )
            }

            fn poll_prepare_source(
                &mut self,
                cx: &mut ::std::task::Context<'_>,
            ) -> ::std::task::Poll<::std::io::Result<()>> {
                self.get_mut().poll_prepare_source(cx)
            }

            fn raw_source(&mut self) -> ::std::option::Option<$crate::endpoint::RawEnd<'_, $rt>> {
                self.get_mut().raw_source()
            }

            fn buffered(&self) -> &[u8] {
                let inner = self.get_ref().buffered();
                let limit = usize::try_from($take::limit(self)).unwrap_or(usize::MAX);
                &inner[..inner.len().min(limit)]
            }

            fn consume_buffered(&mut self, n: usize) {
                self.get_mut().consume_buffered(n);
                let left = $take::limit(self).saturating_sub(n as u64);
                self.set_limit(left);
            }

            fn limit(&self) -> ::std::option::Option<u64> {
                let own = $take::limit(self);
                Some(self.get_ref().limit().map_or(own, |inner| inner.min(own)))
            }

            fn advance(&mut self, n: u64, eof: bool) -> ::std::io::Result<()> {
                let left = $take::limit(self).saturating_sub(n);
                self.set_limit(left);
                self.get_mut().advance(n, eof)
            }
        }
    };
}
