//! The byte-level methods of [`Source`](crate::Source) and [`Sink`](crate::Sink) for a type
//! that implements `futures_io`'s `AsyncRead` / `AsyncWrite`: smol's and async-std's streams,
//! whose impls differ only in their kernel object and their shutdown.

/// In an `impl Source<Rt>` block, `__futures_io_bytes!(source)` is `poll_read` through
/// `futures_io::AsyncRead`; in an `impl Sink<Rt>` block, `__futures_io_bytes!(sink)` is
/// `poll_write` and `poll_flush` through `futures_io::AsyncWrite` (`poll_shutdown` is left to
/// the impl: what shuts a write side down differs between the runtimes' types).
///
/// For adapter crates; not part of zc's API.
#[doc(hidden)]
#[macro_export]
macro_rules! __futures_io_bytes {
    (source) => {
        fn poll_read(
            &mut self,
            cx: &mut ::std::task::Context<'_>,
            buf: &mut [u8],
        ) -> ::std::task::Poll<::std::io::Result<usize>> {
            $crate::adapter::futures_io::AsyncRead::poll_read(::std::pin::Pin::new(self), cx, buf)
        }
    };
    (sink) => {
        fn poll_write(
            &mut self,
            cx: &mut ::std::task::Context<'_>,
            buf: &[u8],
        ) -> ::std::task::Poll<::std::io::Result<usize>> {
            $crate::adapter::futures_io::AsyncWrite::poll_write(::std::pin::Pin::new(self), cx, buf)
        }

        fn poll_flush(
            &mut self,
            cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<::std::io::Result<()>> {
            $crate::adapter::futures_io::AsyncWrite::poll_flush(::std::pin::Pin::new(self), cx)
        }
    };
}
