//! tokio's sockets beyond the shared matrix: split halves, `Send` copies on the
//! multi-threaded runtime, tokio's `BufReader`, cooperation with the scheduler, a peer that
//! goes away, and `TokioBuffered` for other tokio streams.
#![cfg(target_os = "linux")]

mod support;

use std::future::poll_fn;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures_lite::future::zip;
use support::Harness;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::UnixStream;
use zc::endpoint::{Interest, Readiness};
use zc::CopyPath;
use zc_test_support::{file_with, pattern, read_to_end, shutdown, write_and_close};

type H = support::tokio::CurrentThread;

#[tokio::test]
async fn borrowed_tcp_halves_echo_by_splice() {
    let data = pattern(1 << 20);
    let (mut client, mut echo) = H::tcp_pair();
    let (mut echo_in, mut echo_out) = echo.split();
    let (report, received) = zip(
        async {
            let report = zc::copy_report(&mut echo_in, &mut echo_out).await.unwrap();
            shutdown(&mut echo_out).await;
            report
        },
        async {
            // Write and read at once: the echo's socket buffers cannot hold 1 MiB.
            let (mut read, mut write) = client.split();
            zip(write_and_close(&mut write, &data), read_to_end(&mut read))
                .await
                .1
        },
    )
    .await;
    assert_eq!(report.path(), CopyPath::Splice);
    assert!(received == data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owned_tcp_halves_take_sendfile_and_splice_from_separate_tasks() {
    let data = pattern(1 << 20);
    let (client, server) = H::tcp_pair();
    let (mut server_read, mut server_write) = server.into_split();
    let (mut client_read, mut client_write) = client.into_split();
    let std_sink = file_with(b"");
    let check = std_sink.try_clone().unwrap();
    let mut sink = tokio::fs::File::from_std(std_sink);
    let mut source = tokio::fs::File::from_std(file_with(&data));
    // server: file → write half, and read half → file, each on its own task.
    let send = tokio::spawn(async move {
        let report = zc::copy_report(&mut source, &mut server_write)
            .await
            .unwrap();
        shutdown(&mut server_write).await;
        report
    });
    let receive =
        tokio::spawn(async move { zc::copy_report(&mut server_read, &mut sink).await.unwrap() });
    let echoed = tokio::spawn(async move { read_to_end(&mut client_read).await });
    write_and_close(&mut client_write, &data).await;
    assert_eq!(send.await.unwrap().path(), CopyPath::Sendfile);
    assert_eq!(receive.await.unwrap().path(), CopyPath::Splice);
    assert!(echoed.await.unwrap() == data);
    assert!(zc_test_support::content(&check) == data);
}

#[tokio::test]
async fn unix_halves_echo_by_splice() {
    let data = pattern(1 << 20);
    let (mut client, mut echo) = UnixStream::pair().unwrap();
    let (mut echo_in, mut echo_out) = echo.split();
    let (report, received) = zip(
        async {
            let report = zc::copy_report(&mut echo_in, &mut echo_out).await.unwrap();
            shutdown(&mut echo_out).await;
            report
        },
        async {
            let (mut read, mut write) = client.split();
            zip(write_and_close(&mut write, &data), read_to_end(&mut read))
                .await
                .1
        },
    )
    .await;
    assert_eq!(report.path(), CopyPath::Splice);
    assert!(received == data);
}

#[tokio::test]
async fn a_half_refuses_readiness_for_the_other_direction() {
    let (mut stream, _peer) = H::tcp_pair();
    let (mut read, _write) = stream.split();
    let err = poll_fn(|cx| read.poll_io(cx, Interest::Writable, &mut |_| Ok(0)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

fn assert_send<T: Send>(value: T) -> T {
    value
}

#[test]
fn copy_future_is_send_and_runs_in_a_spawned_task() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let data = pattern(300_000);
        let file = tokio::fs::File::from_std(file_with(&data));
        let (tx, mut rx) = H::tcp_pair();
        let copy = tokio::spawn(assert_send(async move {
            let (mut file, mut tx) = (file, tx);
            let report = zc::copy_report(&mut file, &mut tx).await.unwrap();
            let relay = assert_send(zc::copy_bidirectional(&mut tx, &mut file));
            drop(relay);
            report
        }));
        let received = read_to_end(&mut rx).await;
        assert_eq!(copy.await.unwrap().path(), CopyPath::Sendfile);
        assert!(received == data);
    });
}

#[tokio::test]
async fn tokio_bufreader_is_drained_before_splice() {
    let mut data = b"HEADER line\n".to_vec();
    data.extend_from_slice(&pattern(1 << 20));
    let (mut client, server) = H::tcp_pair();
    let (mut out, mut sink) = H::tcp_pair();
    let mut reader = BufReader::with_capacity(4096, server);
    let (_, (report, received)) = zip(
        write_and_close(&mut client, &data),
        zip(
            async {
                let mut line = String::new();
                reader.read_line(&mut line).await.unwrap();
                assert_eq!(line, "HEADER line\n");
                let report = zc::copy_report(&mut reader, &mut out).await.unwrap();
                shutdown(&mut out).await;
                report
            },
            read_to_end(&mut sink),
        ),
    )
    .await;
    assert_eq!(report.path(), CopyPath::Splice);
    assert!(report.kernel_bytes() > 0);
    assert!(
        received[..] == data[12..],
        "buffered bytes first, none twice"
    );
}

/// A copy that never waits for readiness (file → file) still yields every
/// `max_per_poll` bytes, so another task on the same thread runs before it ends.
#[tokio::test]
async fn a_long_file_copy_lets_other_tasks_run_on_current_thread() {
    let data = pattern(32 << 20);
    let mut src = tokio::fs::File::from_std(file_with(&data));
    let mut dst = tokio::fs::File::from_std(file_with(b""));
    let ticks = Arc::new(AtomicUsize::new(0));
    let ticker = tokio::spawn({
        let ticks = ticks.clone();
        async move {
            loop {
                ticks.fetch_add(1, Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        }
    });
    // Let the ticker start, then count only the ticks during the copy.
    tokio::task::yield_now().await;
    let before = ticks.load(Ordering::Relaxed);
    let report = zc::CopyOptions::new()
        .max_per_poll(1 << 20)
        .copy(&mut src, &mut dst)
        .await
        .unwrap();
    let during = ticks.load(Ordering::Relaxed) - before;
    ticker.abort();
    assert_eq!(report.path(), CopyPath::CopyFileRange);
    assert!(during > 0, "the ticker never ran during a 32 MiB copy");
}

/// A file → socket copy yields while it runs (a full socket, tokio's coop budget of one unit
/// per readiness wait, zc's byte bound), so the reader and another task share the thread.
#[tokio::test]
async fn a_long_socket_copy_lets_other_tasks_run_on_current_thread() {
    let data = pattern(32 << 20);
    let mut file = tokio::fs::File::from_std(file_with(&data));
    let (mut tx, mut rx) = H::tcp_pair();
    let reader = tokio::spawn(async move { read_to_end(&mut rx).await.len() });
    let ticks = Arc::new(AtomicUsize::new(0));
    let ticker = tokio::spawn({
        let ticks = ticks.clone();
        async move {
            loop {
                ticks.fetch_add(1, Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        }
    });
    tokio::task::yield_now().await;
    let before = ticks.load(Ordering::Relaxed);
    let report = zc::copy_report(&mut file, &mut tx).await.unwrap();
    let during = ticks.load(Ordering::Relaxed) - before;
    shutdown(&mut tx).await;
    ticker.abort();
    assert_eq!(report.path(), CopyPath::Sendfile);
    assert_eq!(reader.await.unwrap(), data.len());
    assert!(during > 0);
}

#[tokio::test]
async fn peer_reset_mid_sendfile_is_an_error_with_the_delivered_count() {
    let data = pattern(32 << 20);
    let mut file = tokio::fs::File::from_std(file_with(&data));
    let (mut tx, mut rx) = H::tcp_pair();
    let (result, got) = zip(zc::copy_report(&mut file, &mut tx), async move {
        let mut buf = vec![0u8; 100_000];
        rx.read_exact(&mut buf).await.unwrap();
        // Closing with unread bytes sends a reset.
        drop(rx);
        buf.len()
    })
    .await;
    let err = result.unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
        ),
        "{err:?}"
    );
    let delivered = err.delivered();
    assert!(delivered >= got as u64 && delivered < data.len() as u64);
}

#[tokio::test]
async fn tokio_io_wrapper_takes_the_buffered_path() {
    let data = pattern(200_000);
    let (a, mut b) = tokio::io::duplex(4096);
    let mut file = tokio::fs::File::from_std(file_with(&data));
    let mut dst = zc::TokioBuffered::new(a);
    let (report, received) = zip(
        async {
            let report = zc::copy_report(&mut file, &mut dst).await.unwrap();
            shutdown(&mut dst).await;
            report
        },
        async {
            let mut out = Vec::new();
            b.read_to_end(&mut out).await.unwrap();
            out
        },
    )
    .await;
    assert_eq!(report.path(), CopyPath::Buffered);
    assert!(received == data);
    let err = zc::copy_strict(&mut file, &mut dst).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::Unsupported);
}

#[tokio::test]
async fn errors_are_those_of_tokio_io_copy() {
    let same = |what: &str, zc: std::io::Error, tokio: std::io::Error| {
        assert_eq!(
            (zc.kind(), zc.raw_os_error(), zc.to_string()),
            (tokio.kind(), tokio.raw_os_error(), tokio.to_string()),
            "{what}"
        );
    };
    // EPIPE: a file into a socket shut down for writing.
    let data = pattern(100_000);
    let (mut tx, _rx) = H::tcp_pair();
    shutdown(&mut tx).await;
    let mut file = tokio::fs::File::from_std(file_with(&data));
    let tokio_err = tokio::io::copy(&mut file, &mut tx).await.unwrap_err();
    let mut file = tokio::fs::File::from_std(file_with(&data));
    let zc_err = zc::copy(&mut file, &mut tx).await.unwrap_err();
    assert_eq!(zc_err.raw_os_error(), Some(32));
    same("EPIPE", zc_err, tokio_err);
    // EBADF: a slice into a read-only tokio file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("read-only");
    std::fs::write(&path, b"").unwrap();
    let mut dst = tokio::fs::File::open(&path).await.unwrap();
    let tokio_err = tokio::io::copy(&mut &data[..], &mut dst).await.unwrap_err();
    let mut dst = tokio::fs::File::open(&path).await.unwrap();
    let zc_err = zc::copy(&mut &data[..], &mut dst).await.unwrap_err();
    assert_eq!(zc_err.raw_os_error(), Some(9));
    same("EBADF", zc_err, tokio_err);
}

/// A relay whose one direction writes into a socket shut down for writing: zc's
/// `copy_bidirectional` fails with the error tokio's does (`EPIPE`), untouched, and
/// `copy_bidirectional_report` adds that direction's count.
#[tokio::test]
async fn relay_errors_are_those_of_tokio_copy_bidirectional() {
    // `a` cannot send (shut down); `b`'s peer sends 5 bytes and EOF, which go to `a`.
    async fn ends() -> (
        tokio::net::TcpStream,
        tokio::net::TcpStream,
        [tokio::net::TcpStream; 2],
    ) {
        let (mut a, mut a_peer) = H::tcp_pair();
        let (b, mut b_peer) = H::tcp_pair();
        shutdown(&mut a).await;
        shutdown(&mut a_peer).await;
        write_and_close(&mut b_peer, b"hello").await;
        (a, b, [a_peer, b_peer])
    }
    let (mut a, mut b, _peers) = ends().await;
    let tokio_err = tokio::io::copy_bidirectional(&mut a, &mut b)
        .await
        .unwrap_err();
    let (mut a, mut b, _peers) = ends().await;
    let zc_err = zc::copy_bidirectional(&mut a, &mut b).await.unwrap_err();
    assert_eq!(zc_err.raw_os_error(), Some(32), "{zc_err}");
    assert_eq!(
        (zc_err.kind(), zc_err.raw_os_error(), zc_err.to_string()),
        (
            tokio_err.kind(),
            tokio_err.raw_os_error(),
            tokio_err.to_string()
        )
    );
    let (mut a, mut b, _peers) = ends().await;
    let err = zc::copy_bidirectional_report(&mut a, &mut b)
        .await
        .unwrap_err();
    assert_eq!(err.error().raw_os_error(), Some(32));
    assert_eq!(err.delivered(), 0, "nothing reached `a`");
}

/// tokio's own `copy_is_cooperative` test with `tokio::select!` and `tokio::task::yield_now`,
/// for zc's in-memory copy and for `TokioBuffered` ends; 4,000 copies at most, so a copy that
/// never yields ends the loop (`false`) instead of hanging the test.
macro_rules! tokio_copy_is_cooperative {
    ($one_copy:expr) => {{
        tokio::select! {
            biased;
            _ = async {
                for _ in 0..4_000 {
                    $one_copy;
                }
            } => false,
            _ = tokio::task::yield_now() => true,
        }
    }};
}

#[tokio::test]
async fn copies_take_part_in_tokios_coop_budget() {
    let yielded = tokio_copy_is_cooperative!({
        let mut r: &[u8] = b"hello";
        let mut w = Vec::new();
        let _ = zc::copy::<zc::Tokio, _, _>(&mut r, &mut w).await;
    });
    assert!(yielded, "slice → Vec");
    let yielded = tokio_copy_is_cooperative!({
        let mut r = zc::TokioBuffered::new(&b"hello"[..]);
        let mut w = zc::TokioBuffered::new(tokio::io::sink());
        let _ = zc::copy(&mut r, &mut w).await;
    });
    assert!(yielded, "TokioBuffered ends");
}

/// The control: with tokio's budget switched off (`coop::unconstrained`), the same loop runs
/// to its bound, so the test above can fail.
#[tokio::test]
async fn without_tokios_budget_the_copy_loop_starves_the_neighbour() {
    let yielded = tokio::task::coop::unconstrained(async {
        tokio_copy_is_cooperative!({
            let mut r: &[u8] = b"hello";
            let mut w = Vec::new();
            let _ = zc::copy::<zc::Tokio, _, _>(&mut r, &mut w).await;
        })
    })
    .await;
    assert!(!yielded, "the loop yielded without a budget");
}
