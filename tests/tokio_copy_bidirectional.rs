//! tokio's own tests of `tokio::io::copy_bidirectional` (`tokio/tests/io_copy_bidirectional.rs`),
//! run against `zc::copy_bidirectional`: the cases a tokio user relies on, each written here
//! for zc's ends (real `TcpStream`s on 127.0.0.1, where tokio's test has them, and scripted
//! ends through `zc::TokioBuffered` where it uses `tokio_test`'s mocks).
//!
//! On sockets each direction starts buffered and moves to `splice` once it streams, so these
//! cases also run through the splice path (`blocking_one_side_does_not_block_other` writes
//! until the socket is full).

#![cfg(all(target_os = "linux", feature = "tokio"))]

mod support;

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use support::Harness;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

type H = support::tokio::CurrentThread;

/// Writes 2 KiB chunks into `s` until a write has waited 10 ms (the relay's path to the peer
/// is full); returns the bytes written.
async fn write_until_blocked(s: &mut TcpStream) -> usize {
    let chunk = [7u8; 2048];
    let mut written = 0;
    loop {
        tokio::select! {
            n = s.write(&chunk) => written += n.unwrap(),
            () = tokio::time::sleep(Duration::from_millis(10)) => return written,
        }
    }
}

/// Runs `case` on a relay between two socket pairs, twice: with the relay's arguments in one
/// order and in the other, which must not matter. `case` gets the relay's task and the two
/// outer ends (`a` relayed to `b`).
async fn both_orders<F, Fut>(mut case: F)
where
    F: FnMut(JoinHandle<io::Result<(u64, u64)>>, TcpStream, TcpStream) -> Fut,
    Fut: Future<Output = ()>,
{
    for swapped in [false, true] {
        let (a, mut a_inner) = H::tcp_pair();
        let (b, mut b_inner) = H::tcp_pair();
        let relay = tokio::spawn(async move {
            if swapped {
                zc::copy_bidirectional(&mut b_inner, &mut a_inner)
                    .await
                    .map(|(ba, ab)| (ab, ba))
            } else {
                zc::copy_bidirectional(&mut a_inner, &mut b_inner).await
            }
        });
        case(relay, a, b).await;
    }
}

#[tokio::test]
async fn basic_transfer() {
    both_orders(|_relay, mut a, mut b| async move {
        a.write_all(b"test").await.unwrap();
        let mut got = [0; 4];
        b.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"test");
    })
    .await;
}

#[tokio::test]
async fn transfer_after_close() {
    both_orders(|relay, mut a, mut b| async move {
        a.shutdown().await.unwrap();
        // `a`'s EOF reaches `b` as a half-close; the other direction goes on.
        assert_eq!(b.read_to_end(&mut Vec::new()).await.unwrap(), 0);
        b.write_all(b"quux").await.unwrap();
        let mut got = [0; 4];
        a.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"quux");
        drop(b);
        assert_eq!(relay.await.unwrap().unwrap(), (0, 4));
    })
    .await;
}

#[tokio::test]
async fn blocking_one_side_does_not_block_other() {
    both_orders(|relay, mut a, mut b| async move {
        // `a` → `b` is full (nobody reads `b`), in the relay's buffers and pipe too.
        let written = write_until_blocked(&mut a).await;
        assert!(written > 0);
        b.write_all(b"quux").await.unwrap();
        let mut got = [0; 4];
        a.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"quux");
        a.shutdown().await.unwrap();
        let mut arrived = Vec::new();
        b.read_to_end(&mut arrived).await.unwrap();
        assert_eq!(
            arrived.len(),
            written,
            "every byte written to `a` reached `b`"
        );
        assert!(arrived.iter().all(|&x| x == 7), "the bytes differ");
        drop(b);
        assert_eq!(relay.await.unwrap().unwrap(), (written as u64, 4));
    })
    .await;
}

/// One scripted result of a [`Scripted`] end.
enum Step {
    Data(&'static [u8]),
    Error(io::ErrorKind),
}

/// An end that answers reads and writes from two scripts, as `tokio_test::io::Builder` does: a
/// read takes the next read step (EOF when none is left), a write the next write step
/// (`Data(expected)` accepts exactly those bytes; anything when none is left).
struct Scripted {
    reads: VecDeque<Step>,
    writes: VecDeque<Step>,
}

impl Scripted {
    fn new(reads: impl IntoIterator<Item = Step>, writes: impl IntoIterator<Item = Step>) -> Self {
        Scripted {
            reads: reads.into_iter().collect(),
            writes: writes.into_iter().collect(),
        }
    }
}

impl AsyncRead for Scripted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.reads.pop_front() {
            None => Poll::Ready(Ok(())),
            Some(Step::Error(kind)) => Poll::Ready(Err(io::Error::new(kind, "scripted read"))),
            Some(Step::Data(data)) => {
                buf.put_slice(data);
                Poll::Ready(Ok(()))
            }
        }
    }
}

impl AsyncWrite for Scripted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.writes.pop_front() {
            None => Poll::Ready(Ok(buf.len())),
            Some(Step::Error(kind)) => Poll::Ready(Err(io::Error::new(kind, "scripted write"))),
            Some(Step::Data(expected)) => {
                assert_eq!(buf, expected, "the relay wrote other bytes");
                Poll::Ready(Ok(buf.len()))
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fn scripted(
    reads: impl IntoIterator<Item = Step>,
    writes: impl IntoIterator<Item = Step>,
) -> zc::TokioBuffered<Scripted> {
    zc::TokioBuffered::new(Scripted::new(reads, writes))
}

#[tokio::test]
async fn immediate_exit_on_write_error() {
    let payload: &[u8] = b"here, take this";
    let mut a = scripted([Step::Data(payload)], [Step::Error(io::ErrorKind::Other)]);
    let mut b = scripted([Step::Data(payload)], [Step::Error(io::ErrorKind::Other)]);
    let err = zc::copy_bidirectional(&mut a, &mut b).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Other);
    assert_eq!(err.to_string(), "scripted write");
}

#[tokio::test]
async fn immediate_exit_on_read_error() {
    let mut a = scripted([Step::Error(io::ErrorKind::Other)], []);
    let mut b = scripted([Step::Error(io::ErrorKind::Other)], []);
    let err = zc::copy_bidirectional(&mut a, &mut b).await.unwrap_err();
    assert_eq!(err.to_string(), "scripted read");
}

#[tokio::test]
async fn retry_on_io_interrupted() {
    let interrupted = || Step::Error(io::ErrorKind::Interrupted);
    let mut a = scripted(
        [interrupted(), Step::Data(b"ab")],
        [interrupted(), Step::Data(b"cd")],
    );
    let mut b = scripted(
        [interrupted(), Step::Data(b"cd")],
        [interrupted(), Step::Data(b"ab")],
    );
    assert_eq!(
        zc::copy_bidirectional(&mut a, &mut b).await.unwrap(),
        (2, 2)
    );
}

/// A loop of relays whose ends are always ready still lets the other branch of a `select!`
/// run: `true` when `yield_now` won. At most 4,000 relays, so a relay that never yields ends
/// the loop (`false`) instead of hanging the test.
#[tokio::test]
async fn copy_bidirectional_is_cooperative() {
    let payload: &[u8] = b"here, take this";
    let yielded = tokio::select! {
        biased;
        () = async {
            for _ in 0..4_000 {
                let mut a = scripted([Step::Data(payload)], [Step::Data(payload)]);
                let mut b = scripted([Step::Data(payload)], [Step::Data(payload)]);
                zc::copy_bidirectional(&mut a, &mut b).await.unwrap();
            }
        } => false,
        () = tokio::task::yield_now() => true,
    };
    assert!(yielded, "4,000 relays ran without yielding once");
}
