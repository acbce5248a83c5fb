//! The shared cross-runtime test harness: one test body, run on every runtime.
//!
//! # Interface (stable; other runtimes implement it)
//!
//! * [`Harness`] abstracts a runtime for the tests. An implementation is a unit type per
//!   runtime flavour (`tokio::CurrentThread`, `tokio::MultiThread`, `smol::Smol`,
//!   `async_std::AsyncStd`), in `tests/support/<runtime>.rs`, declared at the bottom of this
//!   file behind the runtime's feature (add one `#[cfg(feature = "..")] pub mod ..;` line).
//!   - associated types: `Rt` (the runtime marker), `Tcp`, `Unix` (connected stream sockets,
//!     `Source<Rt> + Sink<Rt>`), `File` (the runtime's file type, `Source + Sink`),
//!     `PipeReader` (`Source`), `PipeWriter` (`Sink`); all `Unpin + 'static`, and `Send` for
//!     the runtimes that move tasks between threads ([`SendHarness`]; compio's types are
//!     not `Send`);
//!   - `NAME`, used in assertion messages;
//!   - `block_on(fut)`: runs a `'static` future to completion on a fresh runtime and panics
//!     after [`TIMEOUT`] (on the test's thread: the bodies run on compio too, whose futures
//!     are not `Send`; `matrix_tests!` checks at compile time that the bodies are `Send` on
//!     the runtimes whose types are);
//!   - [`SendHarness::spawn`]`(fut)`: a task on the current runtime, for a runtime whose
//!     types are `Send`; the returned future is its result (a panic in the task is a panic of
//!     the awaiting test);
//!   - `tcp_pair()`, `unix_pair()`: connected pairs (on 127.0.0.1 for TCP), called inside
//!     `block_on`;
//!   - `pipe().await`: `Some((writer, reader))`, or `None` when the runtime has no pipe type (the
//!     pipe bodies then print why and return);
//!   - `file(std_file).await`: the runtime's file over a std file, keeping its offset;
//!   - `file_position`, `file_seek`, `file_read_exact`, `file_write_all`: the runtime's *own*
//!     API (not zc's), so the bodies can check zc against it.
//! * The runtime-independent helpers (`pattern`, `file_with`, `content`, `read_to_end`,
//!   `write_all`, `shutdown`, fd accounting, cancellation points, ..) are the crate
//!   `zc-test-support`, shared with the core's tests; here only [`curl`], for the example
//!   servers' tests.
//! * [`matrix`] holds the generic bodies (`async fn name<H: Harness>(..)`), named after the
//!   rule they check; [`matrix_tests!`] expands to one `#[test]` per body and size for a
//!   harness: a runtime's test file is
//!
//!   ```ignore
//!   mod support;
//!   support::matrix_tests!(support::tokio::CurrentThread);
//!   ```
//! * [`per_runtime!`] expands to one module per runtime flavour, each with one `#[test]` per
//!   body `fn name<H: Harness>()` of the calling file (the `reliability_*` suites).
#![allow(dead_code, unused_macros, unused_imports)]

use std::fs::File;
use std::future::Future;
use std::process::{Command, Output};

use zc::{Sink, Source};
pub use zc_test_support::TIMEOUT;

pub mod matrix;

/// A runtime, as the shared test bodies need it. See the module doc.
pub trait Harness: 'static {
    /// The runtime marker of zc's endpoint traits.
    type Rt: zc::Runtime + 'static;
    /// A connected TCP socket.
    type Tcp: Source<Self::Rt> + Sink<Self::Rt> + Unpin + 'static;
    /// A connected Unix stream socket.
    type Unix: Source<Self::Rt> + Sink<Self::Rt> + Unpin + 'static;
    /// The runtime's file type.
    type File: Source<Self::Rt> + Sink<Self::Rt> + Unpin + 'static;
    /// The reading end of the runtime's pipe.
    type PipeReader: Source<Self::Rt> + Unpin + 'static;
    /// The writing end of the runtime's pipe.
    type PipeWriter: Sink<Self::Rt> + Unpin + 'static;

    /// Names the runtime (and flavour) in assertion messages.
    const NAME: &'static str;

    /// Runs `fut` to completion on a fresh runtime, on the test's thread; panics after
    /// [`TIMEOUT`].
    fn block_on<F>(fut: F) -> F::Output
    where
        F: Future + 'static,
        F::Output: 'static;

    /// A connected TCP pair on 127.0.0.1: (client, server).
    fn tcp_pair() -> (Self::Tcp, Self::Tcp);

    /// A connected Unix stream pair.
    fn unix_pair() -> (Self::Unix, Self::Unix);

    /// A pipe: (writer, reader); `None` if the runtime has no pipe type. (A future: compio
    /// makes its pipes with an operation of its runtime.)
    fn pipe() -> impl Future<Output = Option<(Self::PipeWriter, Self::PipeReader)>>;

    /// The runtime's file over `file`, at `file`'s current offset. (A future: compio opens
    /// its files with an operation of its runtime.)
    fn file(file: File) -> impl Future<Output = Self::File>;

    /// The file's position, from the runtime's own `seek(SeekFrom::Current(0))`.
    fn file_position(file: &mut Self::File) -> impl Future<Output = u64> + '_;

    /// The runtime's own `seek(SeekFrom::Start(pos))`.
    fn file_seek(file: &mut Self::File, pos: u64) -> impl Future<Output = ()> + '_;

    /// The runtime's own `read_exact` of `len` bytes.
    fn file_read_exact(file: &mut Self::File, len: usize) -> impl Future<Output = Vec<u8>> + '_;

    /// The runtime's own `write_all`, without a flush (a runtime may still hold the bytes).
    fn file_write_all<'a>(
        file: &'a mut Self::File,
        data: &'a [u8],
    ) -> impl Future<Output = ()> + 'a;
}

/// A [`Harness`] whose types are `Send` (tokio, smol, async-std): the bodies that spread
/// their copies over tasks (on every worker of a multi-threaded runtime) need it.
pub trait SendHarness:
    Harness<Tcp: Send, Unix: Send, File: Send, PipeReader: Send, PipeWriter: Send>
{
    /// Spawns `fut` on the current runtime; the returned future resolves to its output.
    fn spawn<T: Send + 'static>(
        fut: impl Future<Output = T> + Send + 'static,
    ) -> impl Future<Output = T> + Send + 'static;
}

/// Copies `src` into the sending end of a new TCP pair, shuts that end down, and reads what
/// arrives: the copy's result and the bytes.
pub async fn copy_into_tcp<H: Harness, S: Source<H::Rt> + ?Sized>(
    src: &mut S,
) -> (Result<zc::Report, zc::CopyError>, Vec<u8>) {
    let (mut tx, mut rx) = H::tcp_pair();
    futures_lite::future::zip(
        async {
            let report = zc::copy_report(src, &mut tx).await;
            zc_test_support::shutdown(&mut tx).await;
            report
        },
        zc_test_support::read_to_end::<H::Rt, _>(&mut rx),
    )
    .await
}

/// Runs `curl` with `args` (plus `--silent --show-error --max-time 30`), for the example
/// servers' tests. Panics with advice if curl is not installed.
pub fn curl(args: &[&str]) -> Output {
    Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "30"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("curl is needed by this test (apt-get install curl): {e}"))
}

/// Expands to one `#[test]` per shared body (and size) of [`matrix`] for harness `$h`:
/// `matrix_tests!(H)` for a [`SendHarness`] (every body, each checked to be `Send` at compile
/// time), `matrix_tests!(local H)` for a runtime whose types are not `Send` (compio: every body
/// but the one that spreads its copies over `Send` tasks).
macro_rules! matrix_tests {
    (local $h:ty) => {
        $crate::support::matrix_tests!(@bodies local $h);
    };
    ($h:ty) => {
        $crate::support::matrix_tests!(@bodies send $h);
    };
    // The bodies, listed once.
    (@bodies $mode:ident $h:ty) => {
        $crate::support::matrix_tests!(@all $mode $h;
            [
                file_to_tcp_takes_sendfile,
                tcp_to_tcp_takes_splice,
                file_to_file_takes_copy_file_range,
                tcp_to_file_takes_splice,
            ];
            [
                file_to_tcp_of_64_mib_takes_sendfile_with_exact_bytes,
                tcp_to_tcp_of_64_mib_takes_splice_with_exact_bytes,
                file_to_file_of_64_mib_takes_copy_file_range_with_exact_bytes,
                tcp_to_file_of_64_mib_takes_splice_with_exact_bytes,
                unix_to_unix_takes_splice,
                file_to_unix_takes_sendfile,
                unix_to_file_takes_splice,
                file_to_pipe_takes_sendfile,
                pipe_to_file_takes_splice,
                pipe_to_tcp_takes_splice,
                tcp_to_pipe_takes_splice,
                partly_read_file_is_copied_from_its_logical_position,
                file_range_to_tcp_takes_sendfile_and_sends_exactly_the_range,
                consecutive_ranges_of_one_file_are_adjacent,
                file_sink_is_written_after_its_pending_writes,
                relay_splices_both_ways_and_half_closes,
            ]
        );
    };
    (@all $mode:ident $h:ty; [$($sized:ident),* $(,)?]; [$($once:ident),* $(,)?]) => {
        /// The harness every test of this file runs on.
        type MatrixHarness = $h;
        $crate::support::matrix_tests!(@sizes super::MatrixHarness; $($sized),*);
        $crate::support::matrix_tests!(@once MatrixHarness; $($once),*);
        $crate::support::matrix_tests!(@$mode [$($sized),*] [$($once),*]);
    };
    (@local [$($sized:ident),*] [$($once:ident),*]) => {};
    (@send [$($sized:ident),*] [$($once:ident),*]) => {
        $crate::support::matrix_tests!(@once MatrixHarness; concurrent_copies_deliver_exact_bytes);
        /// The bodies' futures are `Send` on this runtime (`block_on` does not need them to be).
        #[allow(dead_code)]
        fn bodies_are_send() {
            fn send<T: Send>(_: &T) {}
            $( send(&$crate::support::matrix::$sized::<MatrixHarness>(0)); )*
            $( send(&$crate::support::matrix::$once::<MatrixHarness>()); )*
            send(&$crate::support::matrix::concurrent_copies_deliver_exact_bytes::<MatrixHarness>());
        }
    };
    (@sizes $h:ty; $($body:ident),* $(,)?) => {
        $(
            #[allow(non_snake_case)]
            mod $body {
                #[test]
                fn empty() {
                    <$h as $crate::support::Harness>::block_on(
                        $crate::support::matrix::$body::<$h>(0),
                    )
                }
                #[test]
                fn one_byte() {
                    <$h as $crate::support::Harness>::block_on(
                        $crate::support::matrix::$body::<$h>(1),
                    )
                }
                #[test]
                fn one_byte_short_of_a_page() {
                    <$h as $crate::support::Harness>::block_on(
                        $crate::support::matrix::$body::<$h>(4095),
                    )
                }
                #[test]
                fn one_byte_over_64_kib() {
                    <$h as $crate::support::Harness>::block_on(
                        $crate::support::matrix::$body::<$h>((64 << 10) + 1),
                    )
                }
            }
        )*
    };
    (@once $h:ty; $($body:ident),* $(,)?) => {
        $(
            #[test]
            fn $body() {
                <$h as $crate::support::Harness>::block_on($crate::support::matrix::$body::<$h>())
            }
        )*
    };
}
pub(crate) use matrix_tests;

/// Expands to one module per runtime flavour whose feature is enabled (tokio's
/// `current_thread` and `multi_thread`, smol, async-std), each with one `#[test]` per body; a
/// body is `fn name<H: Harness>()` (or `SendHarness`, with `per_runtime!(send: ..)`) in the
/// calling file.
macro_rules! per_runtime {
    (send: $($body:ident),* $(,)?) => {
        #[cfg(feature = "tokio")]
        mod tokio_current_thread {
            $( #[test] fn $body() { super::$body::<crate::support::tokio::CurrentThread>() } )*
        }
        #[cfg(feature = "tokio")]
        mod tokio_multi_thread {
            $( #[test] fn $body() { super::$body::<crate::support::tokio::MultiThread>() } )*
        }
        #[cfg(feature = "smol")]
        mod smol {
            $( #[test] fn $body() { super::$body::<crate::support::smol::Smol>() } )*
        }
        #[cfg(feature = "async-std")]
        mod async_std {
            $( #[test] fn $body() { super::$body::<crate::support::async_std::AsyncStd>() } )*
        }
    };
    // compio is not in these suites yet: some bodies assume the harness's file shares the
    // std file's open file description, which compio's `File` cannot (it is made by opening
    // the file again); `tests/compio_matrix.rs` runs the matrix on it.
    ($($body:ident),* $(,)?) => {
        $crate::support::per_runtime!(send: $($body),*);
    };
}
pub(crate) use per_runtime;

// One line per runtime, behind its feature.
#[cfg(feature = "async-std")]
pub mod async_std;
#[cfg(feature = "compio")]
pub mod compio;
#[cfg(feature = "smol")]
pub mod smol;
#[cfg(feature = "tokio")]
pub mod tokio;
