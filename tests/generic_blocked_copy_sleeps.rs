//! A kernel copy that cannot move (the peer does not read, or does not send) sleeps until the
//! reactor reports the socket ready: its future is not polled over and over meanwhile. One
//! body per direction, run on every runtime's own sockets; each adapter reaches readiness its
//! own way (tokio's `poll_*_ready`, async-io's `poll_readable` through async-net's shared
//! handle or an `Async<T>`, async-std's watched duplicate fd).
#![cfg(target_os = "linux")]

mod support;

use std::fs::File;
use std::future::Future;
use std::io::Seek;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_lite::future::zip;
use support::Harness;
use zc::CopyPath;
use zc_test_support::{content, file_with, pattern, read_to_end, write_all, write_and_close};

/// More than loopback TCP buffers hold.
const BIG: usize = 32 << 20;

/// Counts the polls of the future it wraps.
struct Counted<'a, F> {
    inner: F,
    polls: &'a AtomicUsize,
}

impl<F: Future + Unpin> Future for Counted<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, Ordering::Relaxed);
        Pin::new(&mut self.inner).poll(cx)
    }
}

/// async-io's timer, driven by its own reactor thread under any runtime, so the observer does
/// not depend on the timer of the runtime under test.
async fn sleep(duration: Duration) {
    async_io::Timer::after(duration).await;
}

/// Waits until `position()` holds still, then counts the copy's polls over 300 ms during
/// which it still holds still; retries a window in which it moved. Returns the count.
async fn polls_while_stuck(polls: &AtomicUsize, mut position: impl FnMut() -> u64) -> usize {
    for _ in 0..40 {
        let before = (position(), polls.load(Ordering::Relaxed));
        sleep(Duration::from_millis(300)).await;
        let after = (position(), polls.load(Ordering::Relaxed));
        if before.0 == after.0 && before.0 > 0 {
            return after.1 - before.1;
        }
    }
    panic!("the copy never held still");
}

/// file → TCP (`sendfile`), the reader not reading: the copy waits for writability.
async fn copy_blocked_on_a_full_socket_sleeps<H: Harness>() {
    let data = pattern(BIG);
    let mut file = file_with(&data);
    let offset = file.try_clone().expect("dup");
    let (mut tx, mut rx) = H::tcp_pair();
    let polls = AtomicUsize::new(0);
    let copy = Counted {
        inner: Box::pin(async {
            let report = zc::copy_report(&mut file, &mut tx).await;
            zc_test_support::shutdown(&mut tx).await;
            report
        }),
        polls: &polls,
    };
    let (report, received) = zip(copy, async {
        let mut offset = &offset;
        let stuck = polls_while_stuck(&polls, || offset.stream_position().unwrap()).await;
        assert!(
            stuck <= 3,
            "{}: polled {stuck} times while nothing could move",
            H::NAME
        );
        read_to_end(&mut rx).await
    })
    .await;
    let report = report.expect("copy");
    assert_eq!(report.path(), CopyPath::Sendfile, "{}", H::NAME);
    assert!(received == data, "{}: bytes differ", H::NAME);
}

/// TCP → file (`splice`), the writer idle: the copy waits for readability.
async fn copy_blocked_on_an_idle_socket_sleeps<H: Harness>() {
    let (mut tx, mut rx) = H::tcp_pair();
    let mut dst: File = file_with(b"");
    let check = dst.try_clone().expect("dup");
    let polls = AtomicUsize::new(0);
    let copy = Counted {
        inner: Box::pin(zc::copy_report(&mut rx, &mut dst)),
        polls: &polls,
    };
    let (report, ()) = zip(copy, async {
        write_all(&mut tx, b"first").await;
        let mut check_pos = &check;
        let stuck = polls_while_stuck(&polls, || check_pos.stream_position().unwrap()).await;
        assert!(
            stuck <= 3,
            "{}: polled {stuck} times while nothing could move",
            H::NAME
        );
        write_and_close(&mut tx, b" and the rest").await;
    })
    .await;
    let report = report.expect("copy");
    assert_eq!(report.path(), CopyPath::Splice, "{}", H::NAME);
    assert_eq!(content(&check), b"first and the rest", "{}", H::NAME);
}

macro_rules! on_every_runtime {
    ($($name:ident => $h:ty),* $(,)?) => {$(
        mod $name {
            use super::*;

            #[test]
            fn copy_blocked_on_a_full_socket_sleeps() {
                <$h>::block_on(super::copy_blocked_on_a_full_socket_sleeps::<$h>())
            }

            #[test]
            fn copy_blocked_on_an_idle_socket_sleeps() {
                <$h>::block_on(super::copy_blocked_on_an_idle_socket_sleeps::<$h>())
            }
        }
    )*};
}

on_every_runtime!(
    tokio => support::tokio::CurrentThread,
    smol => support::smol::Smol,
    smol_async_io => support::smol::SmolAsyncIo,
    async_std => support::async_std::AsyncStd,
);
