//! Go's `TestSplice` (`net/splice_linux_test.go`), run against `zc::copy` on every runtime and
//! flavour, with the runtime's own sockets: TCP → TCP, Unix → TCP, TCP → Unix, and TCP and
//! Unix → `/dev/null`, as `std::fs::File` and as the runtime's file.
//!
//! Go's cases, each a peer that writes `total` bytes in `chunk`-byte writes and closes:
//! "simple" (128 / 128), "multipleWrite" (4 KiB / 1 MiB), "honorsLimitedReader" (4 KiB / 1 MiB
//! through a 1 KiB limit: the peer writes only the limit), "updatesLimitedReaderN" (1 KiB /
//! 4 KiB through a limit of 4 KiB + 100: 100 left), "limitedReaderAtLimit" (32 / 128 through
//! a limit of 128: 0 left), and "big" (5 MiB writes; Go sends 1 GiB, here 64 MiB, or 1 GiB
//! with `ZC_HEAVY=1`). Each copy moves exactly the bytes written (a socket destination's
//! reader checks every byte), uses up the limit by exactly that count, and splices between
//! sockets.
//!
//! Where zc differs from Go, by design: Go's `File.ReadFrom` splices into `/dev/null`; zc
//! takes the kernel path into a file only when it is a regular file (a device opened
//! blocking could block the executor: a terminal, a serial line), so a device destination
//! is written by the buffered path, and the report says so (`copy_strict`'s reason:
//! `tests/reliability_bad_input.rs`).
#![cfg(target_os = "linux")]

mod support;

use std::fs::{File, OpenOptions};

use futures_lite::future::zip;
use support::Harness;
use zc::{CopyPath, Limited, Sink, Source};
use zc_test_support::*;

support::per_runtime!(
    socket_to_socket_matches_gos_test_splice,
    socket_to_dev_null_matches_gos_test_splice,
    big_socket_to_socket_matches_gos_test_splice,
);

/// One of Go's cases: `chunk`-byte writes, `total` bytes, an optional limit.
#[derive(Clone, Copy, Debug)]
struct Case {
    name: &'static str,
    chunk: usize,
    total: usize,
    limit: Option<u64>,
}

const CASES: [Case; 5] = [
    Case {
        name: "simple",
        chunk: 128,
        total: 128,
        limit: None,
    },
    Case {
        name: "multipleWrite",
        chunk: 4096,
        total: 1 << 20,
        limit: None,
    },
    Case {
        name: "honorsLimitedReader",
        chunk: 4096,
        total: 1 << 20,
        limit: Some(1 << 10),
    },
    Case {
        name: "updatesLimitedReaderN",
        chunk: 1024,
        total: 4096,
        limit: Some(4096 + 100),
    },
    Case {
        name: "limitedReaderAtLimit",
        chunk: 32,
        total: 128,
        limit: Some(128),
    },
];

impl Case {
    /// What the peer writes, as in Go: the total, or the limit if that is smaller.
    fn size(self) -> usize {
        self.limit
            .map_or(self.total, |l| self.total.min(l as usize))
    }
}

/// Runs `case` from `src` (whose peer `feed` writes and closes) into `dst`: the report and
/// the limit left.
async fn run_case<H, S, D, F>(
    case: Case,
    (mut feed, mut src): (F, S),
    dst: &mut D,
) -> (zc::Report, Option<u64>)
where
    H: Harness,
    S: Source<H::Rt>,
    D: Sink<H::Rt>,
    F: Sink<H::Rt>,
{
    let data = pattern(case.size());
    let writer = async {
        for chunk in data.chunks(case.chunk) {
            write_all(&mut feed, chunk).await;
        }
        shutdown(&mut feed).await;
    };
    let copy = async {
        match case.limit {
            None => (zc::copy_report(&mut src, &mut *dst).await, None),
            Some(l) => {
                let mut limited = Limited::new(&mut src, l);
                let report = zc::copy_report(&mut limited, &mut *dst).await;
                (report, Some(limited.remaining()))
            }
        }
    };
    let (_, (report, left)) = zip(writer, copy).await;
    let report = report.unwrap_or_else(|e| panic!("{}: {}: {e}", H::NAME, case.name));
    (report, left)
}

fn check(name: &str, case: Case, report: &zc::Report, left: Option<u64>, path: CopyPath) {
    let (size, name) = (case.size() as u64, format!("{name}: {}", case.name));
    assert_eq!(report.bytes(), size, "{name}");
    if let (Some(l), Some(left)) = (case.limit, left) {
        assert_eq!(left, l - size, "{name}: the limit left");
    }
    assert_eq!(report.path(), path, "{name}: {report:?}");
}

/// Runs `case` from `up` into the socket pair `down` (whose far end a reader drains and
/// checks), expecting `splice`.
async fn socket_case<H, U, D>(name: &str, case: Case, up: (U, U), down: (D, D))
where
    H: Harness,
    U: Source<H::Rt> + Sink<H::Rt>,
    D: Source<H::Rt> + Sink<H::Rt>,
{
    let (mut dst, mut reader) = down;
    let ((report, left), got) = zip(
        async {
            let out = run_case::<H, _, _, _>(case, up, &mut dst).await;
            shutdown(&mut dst).await;
            out
        },
        read_to_end::<H::Rt, _>(&mut reader),
    )
    .await;
    check(name, case, &report, left, CopyPath::Splice);
    assert!(
        got == pattern(case.size()),
        "{name}: {case:?}: the bytes differ"
    );
}

fn socket_to_socket_matches_gos_test_splice<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        for case in CASES {
            let name = format!("{}: tcp-to-tcp", H::NAME);
            socket_case::<H, _, _>(&name, case, H::tcp_pair(), H::tcp_pair()).await;
            let name = format!("{}: unix-to-tcp", H::NAME);
            socket_case::<H, _, _>(&name, case, H::unix_pair(), H::tcp_pair()).await;
            let name = format!("{}: tcp-to-unix", H::NAME);
            socket_case::<H, _, _>(&name, case, H::tcp_pair(), H::unix_pair()).await;
        }
    });
}

fn dev_null() -> File {
    OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .expect("open /dev/null")
}

fn socket_to_dev_null_matches_gos_test_splice<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        for case in CASES {
            // A device: the buffered path (see the module doc), every byte counted.
            let name = format!("{}: tcp-to-file", H::NAME);
            let (report, left) = run_case::<H, _, _, _>(case, H::tcp_pair(), &mut dev_null()).await;
            check(&name, case, &report, left, CopyPath::Buffered);
            let name = format!("{}: unix-to-file", H::NAME);
            let (report, left) =
                run_case::<H, _, _, _>(case, H::unix_pair(), &mut dev_null()).await;
            check(&name, case, &report, left, CopyPath::Buffered);
            let name = format!("{}: tcp-to-runtime-file", H::NAME);
            let mut dst = H::file(dev_null()).await;
            let (report, left) = run_case::<H, _, _, _>(case, H::tcp_pair(), &mut dst).await;
            check(&name, case, &report, left, CopyPath::Buffered);
        }
    });
}

fn big_socket_to_socket_matches_gos_test_splice<H: Harness>() {
    let total = if heavy() { 1 << 30 } else { 64 << 20 };
    let case = Case {
        name: "big",
        chunk: 5 << 20,
        total,
        limit: None,
    };
    let _g = shared();
    H::block_on(async move {
        let name = format!("{}: tcp-to-tcp", H::NAME);
        socket_case::<H, _, _>(&name, case, H::tcp_pair(), H::tcp_pair()).await;
    });
}
