//! sendfile(2): a file into a socket.

mod support;

use std::io::{Seek, SeekFrom};

use futures_lite::future;
use support::*;
use zc_traits::{copy_report, CopyPath, Limited};

#[test]
fn file_to_socket_takes_sendfile_and_sends_exact_bytes() {
    let data = pattern(3 << 20);
    let mut file = file_with(&data);
    let (mut tx, mut rx) = tcp_pair();
    let (report, received) = run(future::zip(
        async {
            let r = copy_report(&mut file, &mut tx).await.unwrap();
            drop(tx);
            r
        },
        read_all(&mut rx),
    ));
    assert_eq!(report.path(), CopyPath::Sendfile);
    assert_eq!(report.bytes(), data.len() as u64);
    assert_eq!(report.kernel_bytes(), data.len() as u64);
    assert!(received == data, "received bytes differ");
    assert_eq!(file.stream_position().unwrap(), data.len() as u64);
}

#[test]
fn file_position_is_the_start_and_advances_by_bytes_delivered() {
    let data = pattern(100_000);
    let mut file = file_with(&data);
    file.seek(SeekFrom::Start(12_345)).unwrap();
    let (mut tx, mut rx) = tcp_pair();
    let (report, received) = run(future::zip(
        async {
            let r = copy_report(&mut file, &mut tx).await.unwrap();
            drop(tx);
            r
        },
        read_all(&mut rx),
    ));
    assert_eq!(report.path(), CopyPath::Sendfile);
    assert_eq!(received, &data[12_345..]);
    assert_eq!(file.stream_position().unwrap(), data.len() as u64);
}

#[test]
fn limit_keeps_sendfile_and_sends_exactly_the_range() {
    let data = pattern(1 << 20);
    let mut file = file_with(&data);
    file.seek(SeekFrom::Start(1000)).unwrap();
    let (mut tx, mut rx) = tcp_pair();
    let mut range = Limited::exact(&mut file, 300_001);
    let (report, received) = run(future::zip(
        async {
            let r = copy_report(&mut range, &mut tx).await.unwrap();
            drop(tx);
            r
        },
        read_all(&mut rx),
    ));
    assert_eq!(report.path(), CopyPath::Sendfile);
    assert_eq!(report.bytes(), 300_001);
    assert_eq!(range.remaining(), 0);
    assert_eq!(received, &data[1000..301_001]);
    assert_eq!(file.stream_position().unwrap(), 301_001);
}
