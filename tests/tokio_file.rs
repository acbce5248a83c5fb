//! tokio's `File` in a zc copy: its logical position (read-ahead, unread buffered bytes,
//! pending writes) is where the kernel starts, and where tokio continues afterwards.
#![cfg(target_os = "linux")]

mod support;

use std::io::SeekFrom;
use std::pin::pin;

use futures_lite::future::{poll_once, zip};
use support::Harness;
use tokio::fs::File;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use zc::CopyPath;
use zc_test_support::{content, file_with, pattern, read_to_end, shutdown, write_and_close};

type H = support::tokio::CurrentThread;

/// Polls a tokio read once and drops it: tokio's blocking read is then in flight, and the
/// bytes it brings back stay in the file's buffer, unread. Returns the bytes the read
/// delivered anyway if it completed at once (then there is no read-ahead).
async fn leave_read_ahead(file: &mut File, len: usize) -> usize {
    let mut buf = vec![0u8; len];
    let read = pin!(file.read(&mut buf));
    match poll_once(read).await {
        None => 0,
        Some(result) => result.expect("tokio read"),
    }
}

/// Sends `file` into a fresh TCP pair and returns (report, bytes received).
async fn send(file: &mut File) -> (zc::Report, Vec<u8>) {
    let (mut tx, mut rx) = H::tcp_pair();
    zip(
        async {
            let report = zc::copy_report(file, &mut tx).await.expect("copy");
            shutdown(&mut tx).await;
            report
        },
        read_to_end(&mut rx),
    )
    .await
}

#[tokio::test]
async fn read_ahead_of_a_cancelled_read_is_copied_not_skipped() {
    let data = pattern(300_000);
    let mut file = File::from_std(file_with(&data));
    let consumed = leave_read_ahead(&mut file, 10_000).await;
    let (report, received) = send(&mut file).await;
    assert_eq!(report.path(), CopyPath::Sendfile);
    assert!(
        received[..] == data[consumed..],
        "bytes skipped or repeated"
    );
    assert_eq!(file.stream_position().await.unwrap(), data.len() as u64);
}

#[tokio::test]
async fn read_ahead_partly_consumed_is_copied_from_the_first_unread_byte() {
    let data = pattern(300_000);
    let mut file = File::from_std(file_with(&data));
    let consumed = leave_read_ahead(&mut file, 10_000).await;
    let mut head = vec![0u8; 1_234];
    file.read_exact(&mut head).await.unwrap();
    assert!(head[..] == data[consumed..consumed + 1_234]);
    let (report, received) = send(&mut file).await;
    assert_eq!(report.path(), CopyPath::Sendfile);
    assert_eq!(report.bytes(), (data.len() - consumed - 1_234) as u64);
    assert!(
        received[..] == data[consumed + 1_234..],
        "bytes skipped or repeated"
    );
}

#[tokio::test]
async fn tokio_reads_continue_after_the_bytes_a_copy_delivered() {
    let data = pattern(300_000);
    let mut file = File::from_std(file_with(&data));
    let (mut tx, mut rx) = H::tcp_pair();
    let (report, received) = zip(
        async {
            let mut range = zc::Limited::exact(&mut file, 100_000);
            let report = zc::copy_report(&mut range, &mut tx).await.unwrap();
            shutdown(&mut tx).await;
            report
        },
        read_to_end(&mut rx),
    )
    .await;
    assert_eq!(report.path(), CopyPath::Sendfile);
    assert!(received[..] == data[..100_000]);
    let mut rest = Vec::new();
    file.read_to_end(&mut rest).await.unwrap();
    assert!(
        rest[..] == data[100_000..],
        "tokio's read resumes after the copy"
    );
}

#[tokio::test]
async fn tokio_take_keeps_sendfile_and_stops_at_its_limit() {
    let data = pattern(300_000);
    let mut file = File::from_std(file_with(&data));
    file.seek(SeekFrom::Start(1_000)).await.unwrap();
    let (mut tx, mut rx) = H::tcp_pair();
    let (report, received) = zip(
        async {
            let mut take = (&mut file).take(70_001);
            let report = zc::copy_report(&mut take, &mut tx).await.unwrap();
            assert_eq!(take.limit(), 0);
            shutdown(&mut tx).await;
            report
        },
        read_to_end(&mut rx),
    )
    .await;
    assert_eq!(report.path(), CopyPath::Sendfile);
    assert!(received[..] == data[1_000..71_001]);
    assert_eq!(file.stream_position().await.unwrap(), 71_001);
}

#[tokio::test]
async fn tokio_take_past_the_end_ends_at_eof_without_error() {
    let data = pattern(5_000);
    let mut file = File::from_std(file_with(&data));
    let (report, received) = send_take(&mut file, 1 << 20).await;
    assert_eq!(report.path(), CopyPath::Sendfile);
    assert!(received == data);
}

async fn send_take(file: &mut File, limit: u64) -> (zc::Report, Vec<u8>) {
    let (mut tx, mut rx) = H::tcp_pair();
    zip(
        async {
            let report = zc::copy_report(&mut file.take(limit), &mut tx)
                .await
                .unwrap();
            shutdown(&mut tx).await;
            report
        },
        read_to_end(&mut rx),
    )
    .await
}

#[tokio::test]
async fn append_only_file_sink_falls_back_with_exact_bytes() {
    let data = pattern(100_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    std::fs::write(&path, b"first line\n").unwrap();
    let mut file = tokio::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .await
        .unwrap();
    let (mut client, mut server) = H::tcp_pair();
    let (_, report) = zip(write_and_close(&mut client, &data), async {
        zc::copy_report(&mut server, &mut file).await.unwrap()
    })
    .await;
    // sendfile/splice/copy_file_range refuse O_APPEND: the buffered path, and the bytes right.
    assert_eq!(report.path(), CopyPath::Buffered);
    file.flush().await.unwrap();
    let mut want = b"first line\n".to_vec();
    want.extend_from_slice(&data);
    assert!(std::fs::read(&path).unwrap() == want);
}

#[tokio::test]
async fn dropped_copy_leaves_the_position_at_the_bytes_delivered() {
    let data = pattern(32 << 20);
    let mut file = File::from_std(file_with(&data));
    let (mut tx, mut rx) = H::tcp_pair();
    {
        // Nobody reads: the copy fills the socket buffers and waits; then it is dropped.
        let mut copy = pin!(zc::copy(&mut file, &mut tx));
        for _ in 0..20 {
            let polled = poll_once(copy.as_mut()).await;
            assert!(
                polled.is_none(),
                "32 MiB cannot fit in loopback socket buffers"
            );
            tokio::task::yield_now().await;
        }
    }
    shutdown(&mut tx).await;
    let received = read_to_end(&mut rx).await;
    assert!(!received.is_empty() && received.len() < data.len());
    assert!(received[..] == data[..received.len()]);
    assert_eq!(
        file.stream_position().await.unwrap(),
        received.len() as u64,
        "position = bytes that reached the destination"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_sink_receives_the_copy_after_tokio_writes_in_flight() {
    let std_file = file_with(b"");
    let check = std_file.try_clone().unwrap();
    let mut file = File::from_std(std_file);
    let data = pattern(500_000);
    // tokio's write_all returns once its background write is queued, not done.
    file.write_all(b"0123456789").await.unwrap();
    let mut src = File::from_std(file_with(&data));
    let report = zc::copy_report(&mut src, &mut file).await.unwrap();
    assert_eq!(report.path(), CopyPath::CopyFileRange);
    file.write_all(b"tail").await.unwrap();
    file.flush().await.unwrap();
    let mut want = b"0123456789".to_vec();
    want.extend_from_slice(&data);
    want.extend_from_slice(b"tail");
    assert!(content(&check) == want);
}
