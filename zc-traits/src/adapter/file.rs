//! A runtime's file type: a blocking fd behind the runtime's blocking pool, whose fd offset may
//! differ from the position its user sees.
//!
//! Every runtime reads and writes files on a background thread and keeps state of its own: an
//! operation in flight, read-ahead (the fd offset runs ahead of the logical position), writes
//! not yet on the fd (it lags behind). The kernel path uses the fd itself, at its offset, and
//! advances it. So the copy asks the file to bring the fd offset to its logical position first
//! ([`RuntimeFile::poll_sync_position`], the only part that differs between runtimes) and, for
//! a destination, to flush its writes before that; afterwards the position is the start plus
//! the bytes delivered, and the runtime's next read, write or seek continues from there.

use std::io;
use std::os::fd::AsFd;
use std::task::{Context, Poll};

/// A runtime's file type, as a zc endpoint needs it: its fd, and a way to bring that fd's
/// offset to the file's logical position.
///
/// `Rt` is the runtime marker, as in [`Source`](crate::Source): it lets the adapter crate
/// implement this trait for its runtime's file type.
///
/// With it, the crate-root macro `__runtime_file!` writes the type's [`Source`](crate::Source)
/// and [`Sink`](crate::Sink) impls:
///
/// * as a source, it is a [`RawEnd::File`](crate::endpoint::RawEnd::File) read from its logical position
///   (read-ahead included), with `sendfile(2)` or `copy_file_range(2)`;
/// * as a destination, its pending writes are flushed, then it is a `RawEnd::File` written at
///   its logical position (`copy_file_range(2)`, `splice(2)`);
/// * its `poll_shutdown` flushes: a file has no write side to shut down.
///
/// Only regular files (and block devices) take the kernel path; a FIFO or a device opened as a
/// file keeps the runtime's blocking pool.
///
/// # Implementation
///
/// [`poll_sync_position`](RuntimeFile::poll_sync_position) must be idempotent (the copy calls
/// it again after `Pending`, and once per kernel step) and cheap on a file already in sync.
/// A file that cannot seek (a FIFO or a terminal opened as a file: `ESPIPE`) has no position
/// to bring anywhere; it answers `Ok(())` and leaves the runtime's state (its read-ahead)
/// alone, since such a file takes the buffered path through the runtime's own reads and
/// writes.
pub trait RuntimeFile<Rt>: AsFd {
    /// Completes what the runtime has in flight on the fd, drops its read-ahead and brings the
    /// fd offset to the file's logical position.
    ///
    /// # Errors
    ///
    /// Errors of the operation that was in flight, or of the seek.
    fn poll_sync_position(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

/// In an `impl Source<Rt>` / `impl Sink<Rt>` block of a runtime's file type that implements
/// [`RuntimeFile<Rt>`], every method of the impl (see [`RuntimeFile`] for what they do):
///
/// * `__runtime_file!(source, Rt, futures_io)` and `__runtime_file!(sink, Rt, futures_io)`: a
///   file type that implements `futures_io`'s `AsyncRead` / `AsyncWrite` (smol's, async-std's);
/// * `__runtime_file!(source, Rt, read: path)` and
///   `__runtime_file!(sink, Rt, write: path, flush: path)`: any other (tokio's); the paths are
///   called as `read(Pin<&mut File>, cx, buf)`, `write(Pin<&mut File>, cx, buf)` and
///   `flush(Pin<&mut File>, cx)`.
///
/// For adapter crates; not part of zc's API.
#[doc(hidden)]
#[macro_export]
macro_rules! __runtime_file {
    (source, $rt:ty, futures_io) => {
        $crate::__runtime_file!(
            source,
            $rt,
            read: $crate::adapter::futures_io::AsyncRead::poll_read
        );
    };
    (sink, $rt:ty, futures_io) => {
        $crate::__runtime_file!(
            sink,
            $rt,
            write: $crate::adapter::futures_io::AsyncWrite::poll_write,
            flush: $crate::adapter::futures_io::AsyncWrite::poll_flush
        );
    };
    (source, $rt:ty, read: $read:path) => {
        fn poll_read(
            &mut self,
            cx: &mut ::std::task::Context<'_>,
            buf: &mut [u8],
        ) -> ::std::task::Poll<::std::io::Result<usize>> {
            $read(::std::pin::Pin::new(self), cx, buf)
        }

        fn poll_prepare_source(
            &mut self,
            cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<::std::io::Result<()>> {
            $crate::adapter::RuntimeFile::<$rt>::poll_sync_position(self, cx)
        }

        fn raw_source(&mut self) -> ::std::option::Option<$crate::endpoint::RawEnd<'_, $rt>> {
            Some($crate::endpoint::RawEnd::File(::std::os::fd::AsFd::as_fd(&*self)))
        }
    };
    (sink, $rt:ty, write: $write:path, flush: $flush:path) => {
        fn poll_write(
            &mut self,
            cx: &mut ::std::task::Context<'_>,
            buf: &[u8],
        ) -> ::std::task::Poll<::std::io::Result<usize>> {
            $write(::std::pin::Pin::new(self), cx, buf)
        }

        fn poll_flush(
            &mut self,
            cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<::std::io::Result<()>> {
            $flush(::std::pin::Pin::new(self), cx)
        }

        /// Flushes: a file has no write side to shut down.
        fn poll_shutdown(
            &mut self,
            cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<::std::io::Result<()>> {
            $flush(::std::pin::Pin::new(self), cx)
        }

        fn poll_prepare_sink(
            &mut self,
            cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<::std::io::Result<()>> {
            // The runtime's `poll_write` returns before the bytes reach the fd; a kernel write
            // must land after them, and their error belongs to this copy.
            ::std::task::ready!($flush(::std::pin::Pin::new(&mut *self), cx))?;
            $crate::adapter::RuntimeFile::<$rt>::poll_sync_position(self, cx)
        }

        fn raw_sink(&mut self) -> ::std::option::Option<$crate::endpoint::RawEnd<'_, $rt>> {
            Some($crate::endpoint::RawEnd::File(::std::os::fd::AsFd::as_fd(&*self)))
        }
    };
}
