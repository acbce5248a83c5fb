//! copy_file_range(2): a file into a file.

mod support;

use std::io::{Seek, SeekFrom, Write};

use futures_lite::future::poll_fn;
use support::*;
use zc_traits::{copy_report, BufReader, CopyPath, Limited, Neutral, Source};

#[test]
fn file_to_file_takes_copy_file_range_and_copies_exact_bytes() {
    let data = pattern(3 << 20);
    let mut src = file_with(&data);
    let mut dst = tempfile::tempfile().unwrap();
    let report = run(copy_report::<Neutral, _, _>(&mut src, &mut dst)).unwrap();
    assert_eq!(report.path(), CopyPath::CopyFileRange);
    assert_eq!(report.kernel_bytes(), data.len() as u64);
    assert_eq!(src.stream_position().unwrap(), data.len() as u64);
    assert_eq!(dst.stream_position().unwrap(), data.len() as u64);
    assert!(content(&mut dst) == data);
}

#[test]
fn copy_starts_at_both_files_positions() {
    let data = pattern(200_000);
    let mut src = file_with(&data);
    src.seek(SeekFrom::Start(4097)).unwrap();
    let mut dst = tempfile::tempfile().unwrap();
    dst.write_all(b"prefix").unwrap();
    let report = run(copy_report::<Neutral, _, _>(&mut src, &mut dst)).unwrap();
    assert_eq!(report.path(), CopyPath::CopyFileRange);
    assert_eq!(report.bytes(), (data.len() - 4097) as u64);
    let out = content(&mut dst);
    assert_eq!(&out[..6], b"prefix");
    assert!(out[6..] == data[4097..]);
}

#[test]
fn limit_keeps_copy_file_range_and_copies_exactly_the_range() {
    let data = pattern(1 << 20);
    let mut src = file_with(&data);
    src.seek(SeekFrom::Start(10)).unwrap();
    let mut dst = tempfile::tempfile().unwrap();
    let mut range = Limited::new(&mut src, 65_537);
    let report = run(copy_report::<Neutral, _, _>(&mut range, &mut dst)).unwrap();
    assert_eq!(report.path(), CopyPath::CopyFileRange);
    assert_eq!(range.remaining(), 0);
    assert_eq!(src.stream_position().unwrap(), 10 + 65_537);
    assert!(content(&mut dst) == data[10..10 + 65_537]);
}

#[test]
fn limit_past_the_end_copies_to_eof_unless_exact() {
    let data = pattern(5000);
    let mut dst = tempfile::tempfile().unwrap();
    let mut src = file_with(&data);
    let mut loose = Limited::new(&mut src, 9000);
    let report = run(copy_report::<Neutral, _, _>(&mut loose, &mut dst)).unwrap();
    assert_eq!((report.bytes(), loose.remaining()), (5000, 4000));

    let mut src = file_with(&data);
    let mut dst = tempfile::tempfile().unwrap();
    let mut exact = Limited::exact(&mut src, 9000);
    let err = run(copy_report::<Neutral, _, _>(&mut exact, &mut dst)).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    assert_eq!(err.delivered(), 5000);
    assert!(content(&mut dst) == data);
}

#[test]
fn buffered_reader_is_drained_before_copy_file_range() {
    let data = pattern(300_000);
    let mut reader = BufReader::with_capacity(8192, file_with(&data));
    let mut head = [0u8; 100];
    let n = run(poll_fn(|cx| {
        Source::<Neutral>::poll_read(&mut reader, cx, &mut head)
    }))
    .unwrap();
    assert_eq!(&head[..n], &data[..n]);
    assert_eq!(
        reader.buffer().len(),
        8192 - n,
        "the reader holds read-ahead"
    );
    let mut dst = tempfile::tempfile().unwrap();
    let report = run(copy_report::<Neutral, _, _>(&mut reader, &mut dst)).unwrap();
    assert_eq!(report.path(), CopyPath::CopyFileRange);
    assert_eq!(report.user_bytes(), (8192 - n) as u64);
    assert_eq!(report.bytes(), (data.len() - n) as u64);
    assert!(content(&mut dst) == data[n..]);
}

#[test]
fn empty_file_copies_nothing_through_the_kernel_path() {
    let mut src = file_with(&[]);
    let mut dst = tempfile::tempfile().unwrap();
    let report = run(copy_report::<Neutral, _, _>(&mut src, &mut dst)).unwrap();
    assert_eq!(report.bytes(), 0);
    assert_eq!(report.path(), CopyPath::CopyFileRange);
}
