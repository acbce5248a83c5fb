//! Go's tests of `io.Copy` and `io.CopyN` (`io/io_test.go`), run against `zc::copy` with ends
//! that have no kernel object, so the choice between a source's `WriterTo`, a destination's
//! `ReaderFrom` and the buffered path is what they check:
//!
//! * `TestCopy`, `TestCopyPriority`: a slice (a `WriterTo`) into a `Vec` (a `ReaderFrom`):
//!   the bytes, by the source's `WriterTo`, which Go prefers too.
//! * `TestCopyReadFrom`: a plain reader into a `Vec`: by the `Vec`'s `ReaderFrom`.
//! * `TestCopyWriteTo`: a slice into a plain writer: by the slice's `WriterTo`.
//! * `TestCopyN`, `TestCopyNReadFrom`, `TestCopyNWriteTo`: the same through a limit of 5
//!   (Go's `CopyN`; here `Limited`): `hello`.
//! * `TestCopyNegative`: a limit of 0 is an empty copy (Go's `CopyN` with `n <= 0`).
//! * `TestCopyNEOF`: `foo` through an exact limit of 3 is 3 bytes; of 4, 3 bytes and
//!   `UnexpectedEof` (Go's `CopyN` returns `EOF` with the count); through a plain limit of 4,
//!   3 bytes and no error (Go's `Copy` of a `LimitReader`).
//!
//! (Go's `TestCopyLargeWriter`, a writer that reports more than it was given, is
//! `bad_input.rs`'s `writer_that_reports_more_than_it_was_given_is_invalid_data`; its
//! `TestCopyReadErrWriteErr` needs a read that returns bytes and an error at once, which a
//! Rust reader cannot.)

use std::io;

use zc_test_support::aio::run;
use zc_test_support::{Act, Scripted};
use zc_traits::{copy_report, CopyPath, Limited, Neutral, Report};

const HELLO: &[u8] = b"hello, world.";

/// A reader with no `WriterTo` and no kernel object (Go's test wraps its buffer the same way).
fn plain_reader(data: &[u8]) -> Scripted {
    Scripted::reader(data.to_vec(), vec![Act::Short(1 << 16)])
}

/// A writer with no `ReaderFrom` and no kernel object.
fn plain_writer() -> Scripted {
    Scripted::writer(vec![Act::Short(1 << 16)], None)
}

fn check(report: &Report, bytes: &[u8], got: &[u8], path: CopyPath, case: &str) {
    assert_eq!(report.bytes(), bytes.len() as u64, "{case}");
    assert_eq!(got, bytes, "{case}");
    assert_eq!(report.path(), path, "{case}: {report:?}");
}

#[test]
fn copy_and_copy_priority_take_the_sources_writer_to() {
    let (mut src, mut dst) = (HELLO, Vec::new());
    let report = run(copy_report::<Neutral, _, _>(&mut src, &mut dst)).unwrap();
    check(&report, HELLO, &dst, CopyPath::WriterTo, "slice → Vec");
    assert!(src.is_empty(), "the slice is consumed");
}

#[test]
fn copy_read_from_takes_the_destinations_reader_from() {
    let (mut src, mut dst) = (plain_reader(HELLO), Vec::new());
    let report = run(copy_report::<Neutral, _, _>(&mut src, &mut dst)).unwrap();
    check(&report, HELLO, &dst, CopyPath::ReaderFrom, "reader → Vec");
}

#[test]
fn copy_write_to_takes_the_sources_writer_to() {
    let (mut src, mut dst) = (HELLO, plain_writer());
    let report = run(copy_report::<Neutral, _, _>(&mut src, &mut dst)).unwrap();
    check(
        &report,
        HELLO,
        &dst.accepted,
        CopyPath::WriterTo,
        "slice → writer",
    );
}

#[test]
fn copy_n_stops_at_its_limit_on_every_path() {
    let want = &HELLO[..5];
    let mut src = HELLO;
    let mut dst = Vec::new();
    let report = run(copy_report::<Neutral, _, _>(
        &mut Limited::new(&mut src, 5),
        &mut dst,
    ));
    let report = report.unwrap();
    assert_eq!((report.bytes(), dst.as_slice()), (5, want), "slice → Vec");
    assert_eq!(src, &HELLO[5..], "the slice moved by the limit");

    let mut dst = Vec::new();
    let mut limited = Limited::new(plain_reader(HELLO), 5);
    let report = run(copy_report::<Neutral, _, _>(&mut limited, &mut dst)).unwrap();
    check(&report, want, &dst, CopyPath::ReaderFrom, "reader → Vec");
    assert_eq!(limited.remaining(), 0);

    let mut dst = plain_writer();
    let mut src = HELLO;
    let report = run(copy_report::<Neutral, _, _>(
        &mut Limited::new(&mut src, 5),
        &mut dst,
    ));
    let report = report.unwrap();
    assert_eq!(
        (report.bytes(), dst.accepted.as_slice()),
        (5, want),
        "slice → writer"
    );
}

#[test]
fn copy_n_of_zero_is_an_empty_copy() {
    let mut dst = Vec::new();
    let mut src = HELLO;
    let report = run(copy_report::<Neutral, _, _>(
        &mut Limited::new(&mut src, 0),
        &mut dst,
    ));
    assert_eq!(report.unwrap().bytes(), 0);
    assert!(dst.is_empty());
    assert_eq!(src, HELLO, "nothing was taken from the source");
}

#[test]
fn copy_n_past_the_end_is_unexpected_eof_with_the_count() {
    let foo = b"foo";
    for (limit, exact, want_err) in [(3, true, false), (4, true, true), (4, false, false)] {
        let case = format!("limit {limit}, exact {exact}");
        let mut dst = Vec::new();
        let mut src = plain_reader(foo);
        let result = if exact {
            run(copy_report::<Neutral, _, _>(
                &mut Limited::exact(&mut src, limit),
                &mut dst,
            ))
        } else {
            run(copy_report::<Neutral, _, _>(
                &mut Limited::new(&mut src, limit),
                &mut dst,
            ))
        };
        assert_eq!(dst, foo, "{case}");
        match result {
            Ok(report) => {
                assert!(!want_err, "{case}: {report:?}");
                assert_eq!(report.bytes(), 3, "{case}");
            }
            Err(err) => {
                assert!(want_err, "{case}: {err}");
                assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{case}: {err}");
                assert_eq!(err.delivered(), 3, "{case}");
            }
        }
    }
}
