//! copy_file_range(2): a file into a file.
// Each test asserts a kernel path; tests/portable.rs covers the portable fallback (`zc_portable`).
#![cfg(not(zc_portable))]

use std::io::{Seek, SeekFrom, Write};

use futures_lite::future::poll_fn;
use zc_test_support::aio::*;
use zc_test_support::*;
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
    assert!(content(&dst) == data);
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
    let out = content(&dst);
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
    assert!(content(&dst) == data[10..10 + 65_537]);
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
    assert!(content(&dst) == data);
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
    assert!(content(&dst) == data[n..]);
}

#[test]
fn empty_file_copies_nothing_through_the_kernel_path() {
    let mut src = file_with(&[]);
    let mut dst = tempfile::tempfile().unwrap();
    let report = run(copy_report::<Neutral, _, _>(&mut src, &mut dst)).unwrap();
    assert_eq!(report.bytes(), 0);
    assert_eq!(report.path(), CopyPath::CopyFileRange);
}

/// An `O_DIRECT` source whose size is not a multiple of the block size: `copy_file_range`
/// moves the aligned 8 MiB, then refuses the tail with `EINVAL`. That is an alignment refusal,
/// not a fault: the buffered path takes the tail (read into page-aligned memory, as `O_DIRECT`
/// wants) with the exact count (std's `CopyResult::Fallback(n)`), and the report names both
/// paths.
#[test]
fn o_direct_source_hands_its_unaligned_tail_to_the_next_path() {
    let data = pattern(DIRECT_LEN);
    let Some((dir, mut src)) = direct_source(env!("CARGO_TARGET_TMPDIR"), &data) else {
        return;
    };
    let mut dst = tempfile::tempfile_in(dir.path()).unwrap();
    let report = run(copy_report::<Neutral, _, _>(&mut src, &mut dst)).unwrap();
    assert_eq!(report.bytes(), DIRECT_LEN as u64);
    assert!(content(&dst) == data, "the bytes differ");
    assert_eq!(src.stream_position().unwrap(), DIRECT_LEN as u64);
    assert_eq!(report.path(), CopyPath::CopyFileRange);
    if report.fallback().is_none() {
        eprintln!("skipped: copy_file_range took an O_DIRECT file's unaligned tail here");
        return;
    }
    assert_eq!(report.fallback(), Some(CopyPath::Buffered));
    assert_eq!(
        report.kernel_bytes(),
        8 << 20,
        "the aligned part in the kernel"
    );
    assert_eq!(
        report.user_bytes(),
        1000,
        "the tail through an aligned buffer"
    );
}

/// An `O_DIRECT` destination cannot take an unaligned tail by any path (a `write` of 1000
/// bytes is refused too, as it is for `std::io::copy`): the copy fails with `EINVAL` and the
/// exact count of the aligned bytes it delivered, which are in the file.
#[test]
fn o_direct_destination_refuses_the_unaligned_tail_with_the_exact_count() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let data = pattern(DIRECT_LEN);
    let mut src = file_with(&data);
    let path = dir.path().join("direct");
    std::fs::write(&path, b"").unwrap();
    let Some(mut dst) = open_direct(&path, true) else {
        return;
    };
    match run(copy_report::<Neutral, _, _>(&mut src, &mut dst)) {
        Ok(report) => {
            eprintln!("skipped: this filesystem takes unaligned O_DIRECT writes");
            assert_eq!(report.bytes(), DIRECT_LEN as u64);
            assert!(std::fs::read(&path).unwrap() == data);
        }
        Err(err) => {
            let einval = rustix::io::Errno::INVAL.raw_os_error();
            assert_eq!(err.error().raw_os_error(), Some(einval), "{err}");
            assert_eq!(err.delivered(), 8 << 20);
            assert_eq!(err.report().path(), CopyPath::CopyFileRange);
            assert_eq!(src.stream_position().unwrap(), 8 << 20, "position = count");
            assert!(std::fs::read(&path).unwrap() == data[..8 << 20]);
        }
    }
}
