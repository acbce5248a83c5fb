//! Go's tests of `io.Copy` into and out of sockets (`net/splice_test.go`,
//! `net/sendfile_test.go`): a limited splice leaves the rest of the source socket's bytes
//! where they were, a splice from a socket already at EOF is an empty copy, and `sendfile`
//! from a file that was seeked starts at its offset. Run against `zc::copy` on tokio's ends.

#![cfg(all(target_os = "linux", feature = "tokio"))]

mod support;

use std::io::SeekFrom;

use support::Harness;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use zc_test_support::pattern;

type H = support::tokio::CurrentThread;

/// Go's "honors LimitedReader": a splice through a limit moves exactly the limit, and the
/// bytes after it are still the source socket's to read (none stranded in the splice pipe).
#[tokio::test]
async fn limited_splice_leaves_the_rest_in_the_source_socket() {
    const LIMIT: u64 = 70_001;
    let data = pattern(1 << 20);
    let (mut client, mut relay_in) = H::tcp_pair();
    let (mut relay_out, mut sink) = H::tcp_pair();
    let (_, (report, rest), received) = tokio::join!(
        async {
            client.write_all(&data).await.unwrap();
            client.shutdown().await.unwrap();
        },
        async {
            let report =
                zc::copy_report(&mut zc::Limited::new(&mut relay_in, LIMIT), &mut relay_out)
                    .await
                    .unwrap();
            relay_out.shutdown().await.unwrap();
            let mut rest = Vec::new();
            relay_in.read_to_end(&mut rest).await.unwrap();
            (report, rest)
        },
        async {
            let mut got = Vec::new();
            sink.read_to_end(&mut got).await.unwrap();
            got
        },
    );
    assert_eq!(report.bytes(), LIMIT);
    assert_eq!(report.path(), zc::CopyPath::Splice);
    assert!(
        received == data[..LIMIT as usize],
        "the spliced bytes differ"
    );
    assert_eq!(
        rest.len(),
        data.len() - LIMIT as usize,
        "bytes went missing"
    );
    assert!(
        rest == data[LIMIT as usize..],
        "the bytes left in the source differ"
    );
}

/// Go's "reader at EOF": a socket whose peer has shut down without sending is an empty copy,
/// not an error, and the destination sees its end.
#[tokio::test]
async fn splice_from_a_socket_at_eof_is_an_empty_copy() {
    let (mut client, mut relay_in) = H::tcp_pair();
    let (mut relay_out, mut sink) = H::tcp_pair();
    client.shutdown().await.unwrap();
    let copied = zc::copy(&mut relay_in, &mut relay_out).await.unwrap();
    assert_eq!(copied, 0);
    relay_out.shutdown().await.unwrap();
    let mut got = Vec::new();
    assert_eq!(sink.read_to_end(&mut got).await.unwrap(), 0);
}

/// Go's `TestSendfileSeeked`: a file seeked to an offset is sent from there by `sendfile`,
/// and its position ends at its end.
#[tokio::test]
async fn sendfile_from_a_seeked_file_starts_at_its_offset() {
    const OFFSET: u64 = 3;
    let data = pattern(64 << 10);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seeked");
    tokio::fs::write(&path, &data).await.unwrap();
    let mut file = tokio::fs::File::open(&path).await.unwrap();
    file.seek(SeekFrom::Start(OFFSET)).await.unwrap();
    let (mut tx, mut rx) = H::tcp_pair();
    let (report, received) = tokio::join!(
        async {
            let report = zc::copy_report(&mut file, &mut tx).await.unwrap();
            tx.shutdown().await.unwrap();
            report
        },
        async {
            let mut got = Vec::new();
            rx.read_to_end(&mut got).await.unwrap();
            got
        },
    );
    assert_eq!(report.path(), zc::CopyPath::Sendfile);
    assert_eq!(report.bytes(), data.len() as u64 - OFFSET);
    assert!(received == data[OFFSET as usize..], "the sent bytes differ");
    assert_eq!(
        file.stream_position().await.unwrap(),
        data.len() as u64,
        "the file's position"
    );
}
