//! The portable fallback (`sys/other.rs`, Unix other than Linux), built on Linux with
//! `RUSTFLAGS="--cfg zc_portable"` (CI does): the ends that take a kernel path on Linux take
//! the buffered path, with the same bytes, positions and limits, and a strict copy says why.
#![cfg(zc_portable)]

use std::cell::Cell;
use std::io::{self, Seek, SeekFrom};

use futures_lite::future;
use zc_test_support::aio::*;
use zc_test_support::*;
use zc_traits::{copy_report, copy_strict, CopyOptions, CopyPath, Limited, Neutral};

#[test]
fn file_to_file_is_buffered_from_both_positions() {
    let data = pattern(300_000);
    let mut src = file_with(&data);
    src.seek(SeekFrom::Start(1_000)).unwrap();
    let mut dst = file_with(b"head");
    dst.seek(SeekFrom::End(0)).unwrap();
    let report = run(copy_report::<Neutral, _, _>(&mut src, &mut dst)).unwrap();
    assert_eq!(
        (report.bytes(), report.path()),
        (299_000, CopyPath::Buffered)
    );
    assert_eq!(report.kernel_bytes(), 0);
    assert_eq!(src.stream_position().unwrap(), 300_000);
    let out = content(&dst);
    assert!(out[..4] == b"head"[..] && out[4..] == data[1_000..]);
}

#[test]
fn a_limited_file_into_a_socket_is_buffered_and_stops_at_the_limit() {
    let data = pattern(200_000);
    let mut file = file_with(&data);
    let (mut tx, mut rx) = tcp_pair();
    let (report, received) = run(future::zip(
        async {
            let r = copy_report(&mut Limited::new(&mut file, 150_000), &mut tx).await;
            drop(tx);
            r.unwrap()
        },
        read_all(&mut rx),
    ));
    assert_eq!(
        (report.bytes(), report.path()),
        (150_000, CopyPath::Buffered)
    );
    assert!(received[..] == data[..150_000], "received bytes differ");
    assert_eq!(file.stream_position().unwrap(), 150_000);
}

#[test]
fn socket_to_socket_and_to_file_are_buffered() {
    let data = pattern(500_000);
    let (mut client, mut src) = tcp_pair();
    let (mut tx, mut rx) = tcp_pair();
    let (report, received) = run(future::zip(
        async {
            let (r, ()) = future::zip(
                copy_report(&mut src, &mut tx),
                write_and_close(&mut client, &data),
            )
            .await;
            drop(tx);
            r.unwrap()
        },
        read_all(&mut rx),
    ));
    assert_eq!(
        (report.bytes(), report.path()),
        (500_000, CopyPath::Buffered)
    );
    assert!(received == data, "received bytes differ");

    let (mut client, mut src) = tcp_pair();
    let mut dst = tempfile::tempfile().unwrap();
    let (report, ()) = run(future::zip(
        copy_report(&mut src, &mut dst),
        write_and_close(&mut client, &data),
    ));
    assert_eq!(report.unwrap().path(), CopyPath::Buffered);
    assert!(content(&dst) == data);
}

#[test]
fn strict_copy_fails_unsupported_and_takes_nothing() {
    let mut src = file_with(b"data");
    let mut dst = tempfile::tempfile().unwrap();
    let err = run(copy_strict::<Neutral, _, _>(&mut src, &mut dst)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Unsupported);
    assert!(
        err.to_string().contains("no kernel copy on this platform"),
        "{err}"
    );
    assert_eq!(err.delivered(), 0);
    assert_eq!(src.stream_position().unwrap(), 0);
    assert!(content(&dst).is_empty());
}

/// The bound per poll holds on the buffered path too: file → file never waits, so without it
/// one poll would do the whole copy.
#[test]
fn a_buffered_copy_yields_between_its_chunks() {
    let probe_runs = |opts: CopyOptions| {
        let data = pattern(8 << 20);
        let mut src = file_with(&data);
        let mut dst = tempfile::tempfile().unwrap();
        let copying = Cell::new(true);
        let runs = Cell::new(0u64);
        run(future::zip(
            async {
                let r = opts.copy::<Neutral, _, _>(&mut src, &mut dst).await;
                copying.set(false);
                assert_eq!(r.unwrap().path(), CopyPath::Buffered);
            },
            async {
                while copying.get() {
                    runs.set(runs.get() + 1);
                    future::yield_now().await;
                }
            },
        ));
        assert!(content(&dst) == data);
        runs.get()
    };
    let bounded = probe_runs(CopyOptions::new().max_per_poll(256 << 10));
    assert!(bounded >= 16, "the probe ran only {bounded} times");
    // The control: unbounded, the copy finishes in one poll.
    let unbounded = probe_runs(CopyOptions::new().max_per_poll(u64::MAX));
    assert!(unbounded <= 1, "the probe ran {unbounded} times");
}
