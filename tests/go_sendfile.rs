//! Go's `sendfile` tests (`net/sendfile_test.go`), run against `zc::copy` on every runtime and
//! flavour, with the runtime's own files, sockets and pipes:
//!
//! * `TestSendfile`, `TestSendfileWithExactLimit`, `TestSendfileWithLimitLargerThanFile`: a
//!   567,198-byte file (the size of Go's test file) into a TCP socket, whole, through an exact
//!   limit of its size and through a limit of twice its size: `sendfile`, its exact bytes.
//! * `TestSendfileParts`: three copies of 3 bytes each from one file into one socket: the
//!   socket gets the file's first 9 bytes, each copy by `sendfile`.
//! * `TestSendfilePipe`: a copy of 1 byte from a pipe leaves the pipe's mode as it was
//!   (non-blocking for the runtime's pipe, blocking for a `std::fs::File` over a pipe).
//! * `TestSendfileWithLargeFile`: a file of 2³¹ bytes (one more than the largest `sendfile`
//!   call), with `ZC_HEAVY=1` only: every byte arrives.
//!
//! (Go's `TestSendfileSeeked` is in `tests/go_net_copy.rs`; its write-deadline test has no
//! counterpart: zc's copies have no deadline of their own.)
#![cfg(target_os = "linux")]

mod support;

use std::fs::File;
use std::future::poll_fn;
use std::io::Write;
use std::os::fd::AsFd;

use futures_lite::future::zip;
use rustix::fs::OFlags;
use support::Harness;
use zc::{CopyPath, Limited, Sink, Source};
use zc_test_support::*;

support::per_runtime!(
    file_into_a_socket_matches_gos_test_sendfile,
    three_parts_of_a_file_match_gos_test_sendfile_parts,
    a_copy_from_a_pipe_keeps_its_mode,
    a_2_gib_file_matches_gos_test_sendfile_with_large_file,
);

/// The size of Go's test file, `testdata/Isaac.Newton-Opticks.txt`.
const NEWTON_LEN: usize = 567_198;

/// Copies `src` into a new TCP socket and reads what arrives.
async fn deliver<H: Harness, S: Source<H::Rt>>(src: &mut S) -> (zc::Report, Vec<u8>) {
    let (report, got) = support::copy_into_tcp::<H, _>(src).await;
    (report.unwrap_or_else(|e| panic!("{}: {e}", H::NAME)), got)
}

fn file_into_a_socket_matches_gos_test_sendfile<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let data = pattern(NEWTON_LEN);
        let size = NEWTON_LEN as u64;
        for (case, limit) in [
            ("whole", None),
            ("exact limit", Some(size)),
            ("limit larger than the file", Some(2 * size)),
        ] {
            let mut file = H::file(file_with(&data)).await;
            let (report, got) = match limit {
                None => deliver::<H, _>(&mut file).await,
                Some(l) if l == size => deliver::<H, _>(&mut Limited::exact(&mut file, l)).await,
                Some(l) => deliver::<H, _>(&mut Limited::new(&mut file, l)).await,
            };
            assert_eq!(report.bytes(), size, "{}: {case}", H::NAME);
            assert_eq!(
                report.path(),
                CopyPath::Sendfile,
                "{}: {case}: {report:?}",
                H::NAME
            );
            assert_eq!(report.user_bytes(), 0, "{}: {case}: {report:?}", H::NAME);
            assert!(got == data, "{}: {case}: the bytes differ", H::NAME);
            assert_eq!(
                H::file_position(&mut file).await,
                size,
                "{}: {case}",
                H::NAME
            );
        }
    });
}

fn three_parts_of_a_file_match_gos_test_sendfile_parts<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let mut file = H::file(file_with(b"Produced by an optical experiment")).await;
        let (mut tx, mut rx) = H::tcp_pair();
        let (_, got) = zip(
            async {
                for _ in 0..3 {
                    let report = zc::copy_report(&mut Limited::exact(&mut file, 3), &mut tx)
                        .await
                        .unwrap_or_else(|e| panic!("{}: {e}", H::NAME));
                    assert_eq!(report.bytes(), 3, "{}", H::NAME);
                    assert_eq!(report.path(), CopyPath::Sendfile, "{}: {report:?}", H::NAME);
                }
                shutdown(&mut tx).await;
            },
            read_to_end::<H::Rt, _>(&mut rx),
        )
        .await;
        assert_eq!(got, b"Produced ", "{}", H::NAME);
        assert_eq!(H::file_position(&mut file).await, 9, "{}", H::NAME);
    });
}

fn flags(fd: impl AsFd) -> OFlags {
    rustix::fs::fcntl_getfl(fd).expect("F_GETFL")
}

/// Copies one byte from `reader`'s pipe into a socket: it arrives.
async fn copy_one_byte<H: Harness, S: Source<H::Rt>>(reader: &mut S) {
    let (report, got) = deliver::<H, _>(&mut Limited::exact(reader, 1)).await;
    assert_eq!(
        (report.bytes(), got.as_slice()),
        (1, &b"a"[..]),
        "{}",
        H::NAME
    );
}

fn a_copy_from_a_pipe_keeps_its_mode<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        // The runtime's pipe: non-blocking before and after.
        if let Some((mut writer, mut reader)) = H::pipe().await {
            let before = with_src_fd::<H::Rt, _, _>(&mut reader, |fd| flags(fd));
            assert!(before.contains(OFlags::NONBLOCK), "{}: {before:?}", H::NAME);
            write_all(&mut writer, b"a").await;
            copy_one_byte::<H, _>(&mut reader).await;
            let after = with_src_fd::<H::Rt, _, _>(&mut reader, |fd| flags(fd));
            assert_eq!(after, before, "{}: the runtime's pipe", H::NAME);
            let _ = poll_fn(|cx| writer.poll_shutdown(cx)).await;
        }
        // A blocking pipe as a `std::fs::File`: blocking before and after.
        let (read_end, write_end) = rustix::pipe::pipe().unwrap();
        let (mut reader, mut writer) = (File::from(read_end), File::from(write_end));
        let before = flags(&reader);
        assert!(
            !before.contains(OFlags::NONBLOCK),
            "{}: {before:?}",
            H::NAME
        );
        writer.write_all(b"a").unwrap();
        copy_one_byte::<H, _>(&mut reader).await;
        assert_eq!(flags(&reader), before, "{}: a blocking pipe", H::NAME);
    });
}

fn a_2_gib_file_matches_gos_test_sendfile_with_large_file<H: Harness>() {
    if !heavy() {
        eprintln!("skipped: a 2 GiB transfer runs with ZC_HEAVY=1");
        return;
    }
    const SIZE: u64 = 1 << 31;
    let _g = shared();
    H::block_on(async {
        // Sparse: the kernel reads its holes as zeros.
        let std_file = file_with(b"");
        std_file.set_len(SIZE).unwrap();
        let mut file = H::file(std_file).await;
        let (mut tx, mut rx) = H::tcp_pair();
        let (report, received) = zip(
            async {
                let report = zc::copy_report(&mut file, &mut tx).await;
                shutdown(&mut tx).await;
                report
            },
            async {
                let (mut n, mut buf, mut zeros) = (0u64, vec![0u8; 256 << 10], true);
                loop {
                    let got = poll_fn(|cx| rx.poll_read(cx, &mut buf)).await.unwrap();
                    if got == 0 {
                        return (n, zeros);
                    }
                    zeros &= buf[..got].iter().all(|&b| b == 0);
                    n += got as u64;
                }
            },
        )
        .await;
        let report = report.unwrap_or_else(|e| panic!("{}: {e}", H::NAME));
        assert_eq!(report.bytes(), SIZE, "{}", H::NAME);
        assert_eq!(report.path(), CopyPath::Sendfile, "{}: {report:?}", H::NAME);
        assert_eq!(received, (SIZE, true), "{}", H::NAME);
    });
}
