//! async-std's streams are `RawEnd::Watched` ends: the kernel loop waits on a duplicate of
//! the stream's fd registered with async-io. These tests check the duplicate's life: made only
//! when a syscall would block, closed when the copy finishes, fails or is dropped, and never
//! in the way of async-std's own registration of the stream; and that a wait sleeps.
//!
//! Open fds are counted in /proc/self/fd (less zc's splice pipes), so the tests of this file
//! run one at a time.
#![cfg(target_os = "linux")]

mod support;

use std::fs::File;
use std::future::Future;
use std::io::{self, Seek};
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use async_std::io::prelude::{ReadExt, WriteExt};
use async_std::net::TcpStream;
use futures_lite::future::{poll_once, zip};
use support::async_std::AsyncStd;
use support::Harness;
use zc::CopyPath;
use zc_test_support::{content, file_with, pattern, read_to_end};

/// More than loopback TCP buffers hold, so a copy to a reader that does not read blocks.
const BIG: usize = 32 << 20;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// Open fds, not counting the splice pipes zc holds (in its pool or lent to a copy).
fn open_fds() -> usize {
    let all = std::fs::read_dir("/proc/self/fd")
        .expect("list /proc/self/fd")
        .count();
    all - 2 * zc::diagnostics::pipes_open()
}

/// Lets async-std and async-io open their own fds (reactor, executor threads) before a test
/// takes its baseline.
async fn warm_up() {
    let (mut a, mut b) = AsyncStd::tcp_pair();
    a.write_all(b"warm").await.expect("write");
    let mut buf = [0u8; 4];
    b.read_exact(&mut buf).await.expect("read");
    async_std::task::sleep(Duration::from_millis(10)).await;
}

/// Polls `copy` (and sleeps between polls) until `open_fds()` is `want`; bounded.
async fn poll_until_fds<F: Future + Unpin>(copy: &mut F, want: usize) {
    for _ in 0..500 {
        if poll_once(&mut *copy).await.is_some() {
            panic!("the copy finished before it blocked");
        }
        if open_fds() == want {
            return;
        }
        async_std::task::sleep(Duration::from_millis(10)).await;
    }
    panic!("open fds never became {want} (now {})", open_fds());
}

/// Waits, without polling the copy, until `open_fds()` is `want`; bounded.
async fn wait_for_fds(want: usize) {
    for _ in 0..500 {
        if open_fds() == want {
            return;
        }
        async_std::task::sleep(Duration::from_millis(10)).await;
    }
    panic!("open fds never became {want} (now {})", open_fds());
}

#[test]
fn watched_copy_makes_one_duplicate_and_closes_it_when_done() {
    let _serial = serial();
    AsyncStd::block_on(async {
        warm_up().await;
        let data = pattern(BIG);
        let mut file = file_with(&data);
        let (mut tx, mut rx) = AsyncStd::tcp_pair();
        let baseline = open_fds();
        let mut copy = Box::pin(zc::copy_report(&mut file, &mut tx));
        // The reader does not read: the copy blocks, and waits on one duplicate of tx's fd.
        poll_until_fds(&mut copy, baseline + 1).await;
        let (report, received) = zip(copy, async {
            let mut got = Vec::new();
            let mut buf = vec![0u8; 1 << 20];
            while got.len() < data.len() {
                let n = rx.read(&mut buf).await.expect("read");
                assert!(n > 0, "EOF before all bytes");
                got.extend_from_slice(&buf[..n]);
            }
            got
        })
        .await;
        let report = report.expect("copy");
        assert_eq!(report.path(), CopyPath::Sendfile);
        assert_eq!(report.bytes(), BIG as u64);
        assert!(received == data, "bytes differ");
        assert_eq!(open_fds(), baseline, "the duplicate is closed");
    });
}

#[test]
fn dropped_watched_copy_closes_its_duplicate_and_keeps_the_position() {
    let _serial = serial();
    AsyncStd::block_on(async {
        warm_up().await;
        let data = pattern(BIG);
        let mut file = file_with(&data);
        let (mut tx, mut rx) = AsyncStd::tcp_pair();
        let baseline = open_fds();
        let mut copy = Box::pin(zc::copy(&mut file, &mut tx));
        poll_until_fds(&mut copy, baseline + 1).await;
        drop(copy);
        assert_eq!(open_fds(), baseline, "the duplicate is closed on drop");

        // sendfile advanced the file exactly by what reached the socket; the stream still
        // works through async-std's own registration.
        let sent = file.stream_position().expect("position") as usize;
        assert!(sent > 0 && sent < BIG, "sent {sent}");
        let (_, received) = zip(
            async {
                tx.write_all(b"tail").await.expect("async-std write");
                tx.shutdown(std::net::Shutdown::Write).expect("shutdown");
            },
            async {
                let mut got = Vec::new();
                rx.read_to_end(&mut got).await.expect("async-std read");
                got
            },
        )
        .await;
        let mut want = data[..sent].to_vec();
        want.extend_from_slice(b"tail");
        assert!(
            received == want,
            "got {} bytes, want {}",
            received.len(),
            want.len()
        );
    });
}

#[test]
fn failed_watched_copy_closes_its_duplicate() {
    let _serial = serial();
    AsyncStd::block_on(async {
        warm_up().await;
        let data = pattern(BIG);
        let mut file = file_with(&data);
        let (mut tx, rx) = AsyncStd::tcp_pair();
        let baseline = open_fds();
        let mut copy = Box::pin(zc::copy_report(&mut file, &mut tx));
        poll_until_fds(&mut copy, baseline + 1).await;
        // The peer goes away with unread bytes: the kernel resets the connection.
        drop(rx);
        let err = copy.await.expect_err("the peer is gone");
        assert!(
            matches!(
                err.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
            ),
            "{err:?}"
        );
        let delivered = err.delivered();
        assert!(delivered > 0 && delivered < BIG as u64, "{delivered}");
        assert_eq!(
            open_fds(),
            baseline - 1,
            "rx is closed, and so is the duplicate"
        );
    });
}

#[test]
fn dropped_watched_splice_from_an_idle_socket_closes_its_duplicate() {
    let _serial = serial();
    AsyncStd::block_on(async {
        warm_up().await;
        let (mut tx, mut rx) = AsyncStd::tcp_pair();
        let dst = file_with(b"");
        let check = dst.try_clone().expect("dup");
        let mut dst = async_std::fs::File::from(dst);
        tx.write_all(b"first").await.expect("write");
        let baseline = open_fds();
        let mut copy = Box::pin(zc::copy_report(&mut rx, &mut dst));
        // "first" is spliced at once; then the socket is idle and the copy waits to read.
        poll_until_fds(&mut copy, baseline + 1).await;
        drop(copy);
        assert_eq!(open_fds(), baseline, "the duplicate is closed on drop");
        assert_eq!(content(&check), b"first");

        // A new copy continues where the dropped one stopped.
        let (_, report) = zip(
            async {
                tx.write_all(b" second").await.expect("write");
                tx.shutdown(std::net::Shutdown::Write).expect("shutdown");
            },
            zc::copy_report(&mut rx, &mut dst),
        )
        .await;
        let report = report.expect("copy");
        assert_eq!(report.path(), CopyPath::Splice);
        assert_eq!(content(&check), b"first second");
        wait_for_fds(baseline).await;
    });
}

#[test]
fn short_copy_that_never_blocks_makes_no_duplicate() {
    let _serial = serial();
    AsyncStd::block_on(async {
        warm_up().await;
        let data = pattern(10_000);
        let mut file = file_with(&data);
        let (mut tx, mut rx) = AsyncStd::tcp_pair();
        let baseline = open_fds();
        let mut copy = Box::pin(zc::copy_report(&mut file, &mut tx));
        // 10 kB fit in the socket buffer: the first poll finishes, with no fd made.
        let report = poll_once(&mut copy)
            .await
            .expect("a copy that fits the socket buffer finishes in one poll")
            .expect("copy");
        assert_eq!(report.path(), CopyPath::Sendfile);
        assert_eq!(open_fds(), baseline);
        drop(copy);
        drop(tx);
        assert_eq!(read_to_end(&mut rx).await, data);
    });
}

/// Counts the polls of the future it wraps.
struct Counted<'a, F> {
    inner: F,
    polls: &'a std::sync::atomic::AtomicUsize,
}

impl<F: Future + Unpin> Future for Counted<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Pin::new(&mut self.inner).poll(cx)
    }
}

#[test]
fn blocked_watched_copy_sleeps_until_the_peer_reads() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let _serial = serial();
    AsyncStd::block_on(async {
        warm_up().await;
        let data = pattern(BIG);
        let mut file = file_with(&data);
        let (mut tx, mut rx) = AsyncStd::tcp_pair();
        let polls = AtomicUsize::new(0);
        let baseline = open_fds();
        let copy = Counted {
            inner: Box::pin(zc::copy_report(&mut file, &mut tx)),
            polls: &polls,
        };
        let (report, received) = zip(copy, async {
            // Do not read until the copy is blocked, then hold still for a while: a copy that
            // spun would be polled over and over in the meantime.
            wait_for_fds(baseline + 1).await;
            async_std::task::sleep(Duration::from_millis(50)).await;
            let before = polls.load(Ordering::Relaxed);
            async_std::task::sleep(Duration::from_millis(300)).await;
            let during = polls.load(Ordering::Relaxed) - before;
            assert!(
                during <= 3,
                "polled {during} times while nothing could move"
            );
            let mut got = Vec::new();
            let mut buf = vec![0u8; 1 << 20];
            while got.len() < data.len() {
                let n = rx.read(&mut buf).await.expect("read");
                assert!(n > 0, "EOF before all bytes");
                got.extend_from_slice(&buf[..n]);
            }
            got
        })
        .await;
        assert_eq!(report.expect("copy").bytes(), BIG as u64);
        assert!(received == data, "bytes differ");
    });
}

#[test]
fn stream_keeps_async_std_io_after_a_watched_copy() {
    let _serial = serial();
    AsyncStd::block_on(async {
        let data = pattern(BIG);
        let mut file: File = file_with(&data);
        let (mut tx, mut rx) = AsyncStd::tcp_pair();
        let (report, received) = zip(
            async { zc::copy_report(&mut file, &mut tx).await.expect("copy") },
            async {
                // Let the copy block first, so it waits on (and then closes) a duplicate.
                async_std::task::sleep(Duration::from_millis(100)).await;
                let mut got = vec![0u8; BIG];
                rx.read_exact(&mut got).await.expect("read");
                got
            },
        )
        .await;
        assert_eq!(report.bytes(), BIG as u64);
        assert!(received == data, "bytes differ");
        // Both directions, through async-std's own readiness, many times over.
        let chunk = pattern(1 << 20);
        for _ in 0..8 {
            let (_, back) = zip(
                async { tx.write_all(&chunk).await.expect("async-std write") },
                async {
                    let mut got = vec![0u8; chunk.len()];
                    rx.read_exact(&mut got).await.expect("async-std read");
                    got
                },
            )
            .await;
            assert!(back == chunk);
            let (_, forth) = zip(
                async { rx.write_all(&chunk).await.expect("async-std write") },
                async {
                    let mut got = vec![0u8; chunk.len()];
                    tx.read_exact(&mut got).await.expect("async-std read");
                    got
                },
            )
            .await;
            assert!(forth == chunk);
        }
    });
}

/// `TcpStream` is used through zc only as `&mut`; this checks the copy future is `Send`, so
/// it can be spawned on async-std's executor.
#[test]
fn watched_copy_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let mut file = file_with(b"x");
    let (mut tx, _rx): (TcpStream, TcpStream) = AsyncStd::tcp_pair();
    let copy = zc::copy(&mut file, &mut tx);
    assert_send(&copy);
}

/// With no fd left for the duplicate (`EMFILE`), a watched copy hands the rest to the buffered
/// path at the exact offsets, as `async_std::io::copy` (which needs no fd) would have copied
/// it all, instead of failing; here after the first bytes were spliced (they were there before
/// the copy, so the first wait comes after them).
#[test]
fn watched_copy_with_no_fd_left_for_its_duplicate_falls_back_with_exact_bytes() {
    const FIRST: usize = 100_000;
    let _g = serial();
    AsyncStd::block_on(async {
        warm_up().await;
        // A splice copy that ends leaves its pipe in the pool: the copy below takes it and
        // needs a new fd only for the duplicate.
        let (mut a, mut b) = AsyncStd::tcp_pair();
        let (mut c, mut d) = AsyncStd::tcp_pair();
        let (_, (copied, _)) = zip(
            async {
                a.write_all(b"pool").await.unwrap();
                a.shutdown(std::net::Shutdown::Write).unwrap();
            },
            zip(zc::copy_report(&mut b, &mut c), async {
                let mut buf = [0u8; 4];
                d.read_exact(&mut buf).await.unwrap();
            }),
        )
        .await;
        assert_eq!(copied.unwrap().path(), CopyPath::Splice);
        assert!(zc::diagnostics::pipes_pooled() > 0, "no pipe in the pool");

        let data = pattern(4 << 20);
        let (mut client, mut server) = AsyncStd::tcp_pair();
        let (mut out, mut sink) = AsyncStd::tcp_pair();
        client.write_all(&data[..FIRST]).await.unwrap();
        let no_fd = zc_test_support::no_fd_left();
        let ((report, ()), got) = zip(
            zip(
                async {
                    let report = zc::copy_report(&mut server, &mut out).await;
                    out.shutdown(std::net::Shutdown::Write).unwrap();
                    report
                },
                async {
                    async_std::task::sleep(Duration::from_millis(50)).await;
                    client.write_all(&data[FIRST..]).await.unwrap();
                    client.shutdown(std::net::Shutdown::Write).unwrap();
                },
            ),
            read_to_end(&mut sink),
        )
        .await;
        drop(no_fd);
        let report = report.unwrap_or_else(|e| panic!("the copy failed: {e}"));
        assert_eq!(report.bytes(), data.len() as u64, "{report:?}");
        assert!(got == data, "the bytes differ");
        assert!(
            report.kernel_bytes() > 0,
            "nothing was spliced first: {report:?}"
        );
        assert!(
            report.user_bytes() > 0,
            "the buffered path took no part: {report:?}"
        );
        assert_eq!(report.fallback(), Some(CopyPath::Buffered), "{report:?}");
    });
}
