//! A relay whose client side is a buffered reader over the stream, the way a proxy reads a
//! request's head before it relays the rest (tokio's `copy_bidirectional` takes a
//! `BufReader<TcpStream>` the same way): the bytes the reader holds reach the upstream first,
//! the rest is spliced from the stream, and the answer is written into the stream through the
//! reader. With zc's `BufReader` on every runtime, and with each runtime's own buffered
//! reader (tokio's, smol's from futures-lite, async-std's).
#![cfg(target_os = "linux")]

mod support;

use std::future::poll_fn;

use futures_lite::future::zip;
use support::Harness;
use zc::{CopyPath, Sink, Source};
use zc_test_support::*;

support::per_runtime!(relay_takes_zc_buf_reader_after_a_head);

const HEAD: &[u8] = b"HELLO\n";
const BODY_LEN: usize = 300_000;
const ANSWER: &[u8] = b"bye";

/// Reads exactly `n` bytes through `src`'s own `poll_read` (a protocol head).
async fn read_head<Rt, S: Source<Rt>>(src: &mut S, n: usize) -> Vec<u8> {
    let mut head = vec![0u8; n];
    let mut got = 0;
    while got < n {
        let k = poll_fn(|cx| src.poll_read(cx, &mut head[got..]))
            .await
            .unwrap();
        assert!(k > 0, "the client closed inside the head");
        got += k;
    }
    head
}

/// The client sends `HEAD` and a body, half-closes, and reads the answer; `relay` reads the
/// head from the accepted stream through a buffered reader and relays the rest to the
/// upstream, whose peer checks the body and answers. Returns the relay's two reports.
async fn run<H, F, Fut>(relay: F) -> (zc::Report, zc::Report)
where
    H: Harness,
    F: FnOnce(H::Tcp, H::Tcp) -> Fut,
    Fut: std::future::Future<Output = (zc::Report, zc::Report)>,
{
    let (mut client, accepted) = H::tcp_pair();
    let (upstream, mut backend) = H::tcp_pair();
    let body = pattern(BODY_LEN);
    let mut request = HEAD.to_vec();
    request.extend_from_slice(&body);
    let ((answer, reports), got) = zip(
        zip(
            async {
                write_and_close(&mut client, &request).await;
                read_to_end::<H::Rt, _>(&mut client).await
            },
            relay(accepted, upstream),
        ),
        async {
            let got = read_to_end::<H::Rt, _>(&mut backend).await;
            write_and_close(&mut backend, ANSWER).await;
            got
        },
    )
    .await;
    assert!(
        got == body,
        "{}: the upstream got {} bytes",
        H::NAME,
        got.len()
    );
    assert_eq!(answer, ANSWER, "{}", H::NAME);
    reports
}

fn check(name: &str, (there, back): (zc::Report, zc::Report)) {
    assert_eq!(there.bytes(), BODY_LEN as u64, "{name}: {there:?}");
    assert_eq!(there.path(), CopyPath::Splice, "{name}: {there:?}");
    assert!(
        there.user_bytes() > 0,
        "{name}: the held bytes went first: {there:?}"
    );
    assert_eq!(back.bytes(), ANSWER.len() as u64, "{name}: {back:?}");
}

/// Relays `reader` (the head already read through it) and `upstream`.
async fn relay<Rt, R, U>(mut reader: R, mut upstream: U) -> (zc::Report, zc::Report)
where
    Rt: zc::Runtime,
    R: Source<Rt> + Sink<Rt>,
    U: Source<Rt> + Sink<Rt>,
{
    zc::copy_bidirectional_report::<Rt, _, _>(&mut reader, &mut upstream)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn relay_takes_zc_buf_reader_after_a_head<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let reports = run::<H, _, _>(|accepted, upstream| async move {
            let mut reader = zc::BufReader::new(accepted);
            assert_eq!(read_head::<H::Rt, _>(&mut reader, HEAD.len()).await, HEAD);
            relay::<H::Rt, _, _>(reader, upstream).await
        })
        .await;
        check(&format!("{}: zc::BufReader", H::NAME), reports);
    });
}

#[cfg(feature = "tokio")]
#[test]
fn relay_takes_tokios_buf_reader_after_a_head() {
    use tokio::io::AsyncBufReadExt;
    type H = support::tokio::CurrentThread;
    let _g = shared();
    H::block_on(async {
        let reports = run::<H, _, _>(|accepted, upstream| async move {
            let mut reader = tokio::io::BufReader::new(accepted);
            let mut line = String::new();
            reader.read_line(&mut line).await.unwrap();
            assert_eq!(line.as_bytes(), HEAD);
            relay::<zc::Tokio, _, _>(reader, upstream).await
        })
        .await;
        check("tokio::io::BufReader", reports);
    });
}

#[cfg(feature = "smol")]
#[test]
fn relay_takes_smols_buf_reader_after_a_head() {
    use futures_lite::AsyncBufReadExt;
    type H = support::smol::Smol;
    let _g = shared();
    H::block_on(async {
        let reports = run::<H, _, _>(|accepted, upstream| async move {
            let mut reader = futures_lite::io::BufReader::new(accepted);
            let mut line = String::new();
            reader.read_line(&mut line).await.unwrap();
            assert_eq!(line.as_bytes(), HEAD);
            relay::<zc::Smol, _, _>(reader, upstream).await
        })
        .await;
        check("smol's BufReader", reports);
    });
}

#[cfg(feature = "async-std")]
#[test]
fn relay_takes_async_stds_buf_reader_after_a_head() {
    use ::async_std::io::prelude::BufReadExt;
    type H = support::async_std::AsyncStd;
    let _g = shared();
    H::block_on(async {
        let reports = run::<H, _, _>(|accepted, upstream| async move {
            let mut reader = ::async_std::io::BufReader::new(accepted);
            let mut line = String::new();
            reader.read_line(&mut line).await.unwrap();
            assert_eq!(line.as_bytes(), HEAD);
            relay::<zc::AsyncStd, _, _>(reader, upstream).await
        })
        .await;
        check("async-std's BufReader", reports);
    });
}
