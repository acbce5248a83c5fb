//! tokio's buffered writers and `tokio::io::split` halves as zc ends: a `BufWriter` or
//! `BufStream` destination sends what it holds first, then takes the kernel path into the fd
//! behind it (the bytes arrive in order, and the report shows the kernel call); the halves of
//! `tokio::io::split` take the buffered path.
#![cfg(target_os = "linux")]

mod support;

use futures_lite::future::zip;
use support::Harness;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufStream, BufWriter};
use zc::CopyPath;
use zc_test_support::{content, file_with, pattern, read_to_end, write_and_close};

type H = support::tokio::CurrentThread;

/// What a server writes through its buffered writer before the body.
const HEAD: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 1048576\r\n\r\n";

/// `HEAD` then `body`, as the client must receive them.
fn head_then(body: &[u8]) -> Vec<u8> {
    [HEAD, body].concat()
}

#[tokio::test]
async fn buf_writer_sends_its_buffer_then_the_body_by_sendfile() {
    let body = pattern(1 << 20);
    let (mut client, server) = H::tcp_pair();
    let mut file = tokio::fs::File::from_std(file_with(&body));
    let mut dst = BufWriter::with_capacity(64 << 10, server);
    let (report, received) = zip(
        async {
            dst.write_all(HEAD).await.unwrap();
            assert_eq!(dst.buffer(), HEAD, "the head waits in the writer's buffer");
            let report = zc::copy_report(&mut file, &mut dst).await.unwrap();
            dst.shutdown().await.unwrap();
            report
        },
        read_to_end(&mut client),
    )
    .await;
    assert_eq!(report.path(), CopyPath::Sendfile);
    assert_eq!(
        report.bytes(),
        body.len() as u64,
        "the head is not the copy's"
    );
    assert_eq!(report.kernel_bytes(), report.bytes());
    assert!(
        received == head_then(&body),
        "the head, then the body, in order"
    );
}

#[tokio::test]
async fn buf_stream_reads_a_request_then_sends_head_and_body_by_sendfile() {
    let body = pattern(1 << 20);
    let (mut client, server) = H::tcp_pair();
    let mut file = tokio::fs::File::from_std(file_with(&body));
    let mut conn = BufStream::new(server);
    let (report, received) = zip(
        async {
            let mut request = String::new();
            conn.read_line(&mut request).await.unwrap();
            assert_eq!(request, "GET /body HTTP/1.1\r\n");
            conn.write_all(HEAD).await.unwrap();
            let report = zc::copy_report(&mut file, &mut conn).await.unwrap();
            conn.shutdown().await.unwrap();
            report
        },
        async {
            client.write_all(b"GET /body HTTP/1.1\r\n").await.unwrap();
            read_to_end(&mut client).await
        },
    )
    .await;
    assert_eq!(report.path(), CopyPath::Sendfile);
    assert_eq!(report.bytes(), body.len() as u64);
    assert!(
        received == head_then(&body),
        "the head, then the body, in order"
    );
}

#[tokio::test]
async fn buf_reader_into_buf_writer_keeps_both_buffers_in_order() {
    // The source's buffered bytes go through the writer's buffer; both are out before the
    // kernel writes the rest into the socket.
    let body = pattern(1 << 20);
    let (mut client, server) = H::tcp_pair();
    let mut src = BufReader::with_capacity(4096, tokio::fs::File::from_std(file_with(&body)));
    let mut dst = BufWriter::with_capacity(64 << 10, server);
    let (report, received) = zip(
        async {
            let held = src.fill_buf().await.unwrap().len();
            assert_eq!(held, 4096, "the reader holds the start of the file");
            dst.write_all(HEAD).await.unwrap();
            let report = zc::copy_report(&mut src, &mut dst).await.unwrap();
            dst.shutdown().await.unwrap();
            report
        },
        read_to_end(&mut client),
    )
    .await;
    assert_eq!(report.path(), CopyPath::Sendfile);
    assert_eq!(report.bytes(), body.len() as u64);
    assert_eq!(report.kernel_bytes(), body.len() as u64 - 4096);
    assert!(received == head_then(&body));
}

#[tokio::test]
async fn buf_writer_over_a_file_takes_copy_file_range_after_its_buffer() {
    let body = pattern(1 << 20);
    let out = file_with(b"");
    let check = out.try_clone().unwrap();
    let mut src = tokio::fs::File::from_std(file_with(&body));
    let mut dst = BufWriter::new(tokio::fs::File::from_std(out));
    dst.write_all(HEAD).await.unwrap();
    let report = zc::copy_report(&mut src, &mut dst).await.unwrap();
    dst.flush().await.unwrap();
    assert_eq!(report.path(), CopyPath::CopyFileRange);
    assert_eq!(report.bytes(), body.len() as u64);
    assert!(content(&check) == head_then(&body));
}

#[tokio::test]
async fn split_halves_take_the_buffered_path() {
    let body = pattern(1 << 20);
    let (mut client, server) = H::tcp_pair();
    let (mut client_read, mut client_write) = client.split();
    let (mut read_half, mut write_half) = tokio::io::split(server);
    let mut file = tokio::fs::File::from_std(file_with(&body));
    let out = file_with(b"");
    let check = out.try_clone().unwrap();
    let mut out = tokio::fs::File::from_std(out);
    // file → WriteHalf → client, and client → ReadHalf → file, at once.
    let ((sent, received), (echoed, ())) = zip(
        zip(
            async {
                let report = zc::copy_report(&mut file, &mut write_half).await.unwrap();
                write_half.shutdown().await.unwrap();
                report
            },
            read_to_end(&mut client_read),
        ),
        zip(
            async {
                let report = zc::copy_report(&mut read_half, &mut out).await.unwrap();
                out.flush().await.unwrap();
                report
            },
            write_and_close(&mut client_write, &body),
        ),
    )
    .await;
    assert_eq!(sent.path(), CopyPath::Buffered);
    assert!(received == body);
    assert_eq!(echoed.path(), CopyPath::Buffered);
    assert!(
        content(&check) == body,
        "the read half delivers what the client sent"
    );
}
