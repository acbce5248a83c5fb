//! Cooperation with the scheduler on every runtime and every path: tokio's
//! `copy_is_cooperative` test, with zc's copies in the loop.
//!
//! A loop of small copies runs beside `yield_now` on one task, the loop polled first (tokio's
//! `select! { biased; .. }`). The `yield_now` branch completes only if a copy returns `Pending`
//! at some point; a copy that is always ready (bytes in memory, a file into a file, a socket
//! with room) would keep the loop, and the thread, forever. Each loop is bounded (a number of
//! copies and a deadline), so a copy that does not yield ends the loop instead of hanging the
//! test, and the test fails. The controls run the same loop with a runtime marker whose budget
//! never runs out (zc before it took part in the runtime's budget): their loops do run to the
//! bound, which shows the test can fail.
#![cfg(target_os = "linux")]

mod support;

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_lite::future::{or, yield_now};
use support::Harness;
use zc::coop::Permit;
use zc::{CopyPath, FuturesIo, Limited};
use zc_test_support::*;

support::per_runtime!(
    copies_in_memory_yield,
    copies_file_to_file_yield,
    copies_file_to_socket_yield,
    copies_socket_to_socket_yield,
    relays_in_memory_yield,
    control_copies_without_a_budget_starve_the_neighbour,
);

/// Copies a loop may make before it counts as "would never yield".
const COPIES: usize = 4_000;
/// Bytes per copy.
const CHUNK: u64 = 5;
/// A loop that has not yielded by then counts as "would never yield" too.
const DEADLINE: Duration = Duration::from_secs(20);

/// Runs `$one_copy` in a loop beside `yield_now`, the loop polled first; evaluates to `true`
/// when `yield_now` completed (the loop yielded), `false` when the loop reached its bound.
macro_rules! loop_yields {
    ($one_copy:expr) => {{
        let deadline = Instant::now() + DEADLINE;
        or(
            async {
                let mut copies = 0;
                while copies < COPIES && Instant::now() < deadline {
                    $one_copy;
                    copies += 1;
                }
                false
            },
            async {
                yield_now().await;
                true
            },
        )
        .await
    }};
}

fn copies_in_memory_yield<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let yielded = loop_yields!({
            let n = zc::copy::<H::Rt, _, _>(&mut &b"hello"[..], &mut Vec::new()).await;
            assert_eq!(n.unwrap(), 5);
        });
        assert!(yielded, "{}: slice → Vec never yielded", H::NAME);
    });
}

fn copies_file_to_file_yield<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        // The runtime's files, new for each copy (a runtime file reused after a kernel copy
        // may wait on its blocking pool to bring its position back, and so yield anyway).
        let yielded = loop_yields!({
            let mut src = H::file(file_with(b"hello")).await;
            let mut dst = H::file(tempfile::tempfile().unwrap()).await;
            let report = zc::copy_report(&mut src, &mut dst).await;
            assert_eq!(report.unwrap().path(), CopyPath::CopyFileRange);
        });
        assert!(yielded, "{}: copy_file_range never yielded", H::NAME);
        // std's files, chunk after chunk.
        let mut src = file_with(&pattern(COPIES * CHUNK as usize));
        let mut dst = tempfile::tempfile().unwrap();
        let yielded = loop_yields!({
            let mut range = Limited::new(&mut src, CHUNK);
            let report = zc::copy_report::<H::Rt, _, _>(&mut range, &mut dst).await;
            assert_eq!(report.unwrap().path(), CopyPath::CopyFileRange);
        });
        assert!(yielded, "{}: copy_file_range (std) never yielded", H::NAME);
    });
}

fn copies_file_to_socket_yield<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        // The socket buffers hold every byte: the copies never wait for room.
        let (mut tx, _rx) = H::tcp_pair();
        let yielded = loop_yields!({
            let mut src = H::file(file_with(b"hello")).await;
            let report = zc::copy_report(&mut src, &mut tx).await;
            assert_eq!(report.unwrap().path(), CopyPath::Sendfile);
        });
        assert!(yielded, "{}: sendfile never yielded", H::NAME);
    });
}

fn copies_socket_to_socket_yield<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let (mut client, mut rx) = H::tcp_pair();
        let (mut tx, _peer) = H::tcp_pair();
        // Every byte the loop may take is there before it starts: the copies never wait.
        write_all(&mut client, &pattern(COPIES * CHUNK as usize)).await;
        let yielded = loop_yields!({
            let report = zc::copy_report(&mut Limited::new(&mut rx, CHUNK), &mut tx).await;
            assert_eq!(report.unwrap().path(), CopyPath::Splice);
        });
        assert!(yielded, "{}: splice never yielded", H::NAME);
    });
}

fn relays_in_memory_yield<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let yielded = loop_yields!({
            let (mut a, mut b) = (Conn::new(b"ping"), Conn::new(b"pong!"));
            let moved = zc::copy_bidirectional::<H::Rt, _, _>(&mut a, &mut b).await;
            assert_eq!(moved.unwrap(), (4, 5));
        });
        assert!(yielded, "{}: copy_bidirectional never yielded", H::NAME);
    });
}

/// An in-memory connection: it sends its bytes, then EOF, and takes whatever it is sent.
struct Conn {
    input: &'static [u8],
    received: Vec<u8>,
}

impl Conn {
    fn new(input: &'static [u8]) -> FuturesIo<Conn> {
        FuturesIo::new(Conn {
            input,
            received: Vec::new(),
        })
    }
}

impl futures_lite::AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(io::Read::read(&mut self.input, buf))
    }
}

impl futures_lite::AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.received.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A runtime marker whose budget never runs out: what every copy was before zc took part in
/// the runtime's budget.
struct Unbudgeted;

struct Unlimited;

impl Permit for Unlimited {
    fn made_progress(&self) {}
}

impl zc::Runtime for Unbudgeted {
    type Permit = Unlimited;

    fn poll_proceed(_cx: &mut Context<'_>) -> Poll<Unlimited> {
        Poll::Ready(Unlimited)
    }
}

fn control_copies_without_a_budget_starve_the_neighbour<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let yielded = loop_yields!({
            let n = zc::copy::<Unbudgeted, _, _>(&mut &b"hello"[..], &mut Vec::new()).await;
            assert_eq!(n.unwrap(), 5);
        });
        assert!(
            !yielded,
            "{}: slice → Vec yielded without a budget",
            H::NAME
        );
        let mut src = file_with(&pattern(COPIES * CHUNK as usize));
        let mut dst = tempfile::tempfile().unwrap();
        let yielded = loop_yields!({
            let mut range = Limited::new(&mut src, CHUNK);
            let report = zc::copy_report::<Unbudgeted, _, _>(&mut range, &mut dst).await;
            assert_eq!(report.unwrap().path(), CopyPath::CopyFileRange);
        });
        assert!(
            !yielded,
            "{}: file → file yielded without a budget",
            H::NAME
        );
    });
}
