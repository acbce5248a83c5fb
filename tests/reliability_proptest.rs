//! Property tests on every runtime, with the runtime's own files and sockets: for random sizes,
//! start positions, limits (inclusive of exact limits past the end), pre-filled buffered
//! readers and per-poll budgets, the destination gets exactly the selected range, the count
//! is exact, and the file's position (read back with the runtime's own seek) and the limit
//! left are exact. The path is observed. The core's own suite (zc-traits/tests/proptest_copy.rs)
//! adds mocks with short reads and writes, `Pending` and `Interrupted`.
//!
//! `PROPTEST_CASES` overrides the number of cases (default 8 per runtime and property, 64
//! with `ZC_HEAVY=1`).
#![cfg(target_os = "linux")]

mod support;

use std::future::poll_fn;
use std::io;

use futures_lite::future::zip;
use proptest::prelude::*;
use support::Harness;
use zc::{BufReader, CopyError, CopyOptions, CopyPath, Limited, Report, Source};
use zc_test_support::*;

support::per_runtime!(
    file_to_tcp_and_file_deliver_the_selected_range_exactly,
    tcp_to_tcp_and_file_deliver_exactly_and_leave_the_rest,
);

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(if heavy() { 64 } else { 8 }),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// One case: the sizes, the limit (per mille of what is available; past 1000 reaches beyond
/// the end), the buffered reader's capacity and pre-filled bytes, the per-poll budget.
#[derive(Debug, Clone)]
struct Case {
    size: usize,
    start_per_mille: u64,
    limit_per_mille: Option<u64>,
    exact: bool,
    buffered: Option<(usize, usize)>,
    per_poll: u64,
    to_file: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![0usize..=16, 0usize..=200_000, 0usize..=(2 << 20)],
        0u64..=1000,
        prop::option::of(0u64..=1200),
        any::<bool>(),
        prop::option::of((1usize..=70_000, 0usize..=80_000)),
        prop_oneof![Just(zc::DEFAULT_MAX_PER_POLL), 4096u64..=(1 << 20)],
        any::<bool>(),
    )
        .prop_map(
            |(size, start_per_mille, limit_per_mille, exact, buffered, per_poll, to_file)| Case {
                size,
                start_per_mille,
                limit_per_mille,
                exact,
                buffered,
                per_poll,
                to_file,
            },
        )
}

/// Reads up to `n` bytes through the source's byte-level path (a protocol header, say).
async fn prefill<Rt, S: Source<Rt> + ?Sized>(src: &mut S, n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    let mut filled = 0;
    while filled < n {
        // An exact limit past the end refuses the end of the source here already.
        let got = match poll_fn(|cx| src.poll_read(cx, &mut out[filled..])).await {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
            r => r.unwrap(),
        };
        if got == 0 {
            break;
        }
        filled += got;
    }
    out.truncate(filled);
    out
}

/// Checks the outcome: `Ok` with the count, or `UnexpectedEof` with the count for an exact
/// limit past the end.
fn check_outcome(
    name: &str,
    result: &Result<Report, CopyError>,
    count: usize,
    short_exact: bool,
    path: CopyPath,
) {
    match result {
        Ok(report) => {
            assert!(
                !short_exact,
                "{name}: an exact limit past the end must fail"
            );
            assert_eq!(report.bytes(), count as u64, "{name}: count");
            assert_eq!(report.path(), path, "{name}: path");
        }
        Err(err) => {
            assert!(short_exact, "{name}: {err:?}");
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{name}");
            assert_eq!(err.delivered(), count as u64, "{name}: count");
        }
    }
}

/// The runtime's file → a TCP socket (sendfile) or a runtime file (copy_file_range).
async fn file_case<H: Harness>(c: Case) {
    let name = format!("{}: {c:?}", H::NAME);
    let data = pattern(c.size);
    let start = (c.size as u64 * c.start_per_mille / 1000) as usize;
    let available = c.size - start;
    let limit = c
        .limit_per_mille
        .map(|m| available as u64 * m / 1000 + u64::from(m > 1000));
    let selected = limit.map_or(available, |l| available.min(l as usize));
    let short_exact = c.exact && limit.is_some_and(|l| l > available as u64);
    let want = &data[start..start + selected];
    let opts = CopyOptions::new().max_per_poll(c.per_poll);

    let mut file = H::file(file_with(&data)).await;
    H::file_seek(&mut file, start as u64).await;
    let (capacity, pre) = c.buffered.unwrap_or((1, 0));
    let mut reader = BufReader::with_capacity(capacity, &mut file);
    let mut limited = match (limit, c.exact) {
        (Some(l), true) => Limited::exact(&mut reader, l),
        (l, _) => Limited::new(&mut reader, l.unwrap_or(u64::MAX)),
    };
    let prefilled = prefill(&mut limited, pre).await;
    assert!(
        prefilled[..] == want[..prefilled.len()],
        "{name}: prefilled bytes"
    );
    let (result, arrived, path) = if c.to_file {
        let out = file_with(b"");
        let check = out.try_clone().unwrap();
        let mut dst = H::file(out).await;
        let r = opts.copy(&mut limited, &mut dst).await;
        drop(dst);
        (r, content(&check), CopyPath::CopyFileRange)
    } else {
        let (mut tx, mut rx) = H::tcp_pair();
        let (r, got) = zip(
            async {
                let r = opts.copy(&mut limited, &mut tx).await;
                shutdown(&mut tx).await;
                r
            },
            read_to_end::<H::Rt, _>(&mut rx),
        )
        .await;
        (r, got, CopyPath::Sendfile)
    };
    let count = selected - prefilled.len();
    check_outcome(&name, &result, count, short_exact, path);
    assert_eq!(arrived.len(), count, "{name}: bytes at the destination");
    assert!(
        arrived[..] == want[prefilled.len()..],
        "{name}: bytes differ"
    );
    if let Some(l) = limit {
        assert_eq!(
            limited.remaining(),
            l - selected as u64,
            "{name}: limit left"
        );
    }
    // The file's position, less what the buffered reader still holds, is exact.
    let held = reader.buffer().len() as u64;
    let pos = H::file_position(&mut file).await;
    assert_eq!(pos - held, (start + selected) as u64, "{name}: position");
}

/// A TCP socket fed in one go → a TCP socket or a runtime file (splice); what the copy did
/// not take is still readable from the source.
async fn stream_case<H: Harness>(c: Case) {
    let name = format!("{}: {c:?}", H::NAME);
    let data = pattern(c.size);
    let limit = c
        .limit_per_mille
        .map(|m| c.size as u64 * m / 1000 + u64::from(m > 1000));
    let selected = limit.map_or(c.size, |l| c.size.min(l as usize));
    let short_exact = c.exact && limit.is_some_and(|l| l > c.size as u64);
    let opts = CopyOptions::new().max_per_poll(c.per_poll);
    let (mut client, mut src) = H::tcp_pair();
    let copy_side = async {
        let (capacity, pre) = c.buffered.unwrap_or((1, 0));
        let mut reader = BufReader::with_capacity(capacity, &mut src);
        let mut limited = match (limit, c.exact) {
            (Some(l), true) => Limited::exact(&mut reader, l),
            (l, _) => Limited::new(&mut reader, l.unwrap_or(u64::MAX)),
        };
        let prefilled = prefill(&mut limited, pre).await;
        let (result, arrived, path) = if c.to_file {
            let out = file_with(b"");
            let check = out.try_clone().unwrap();
            let mut dst = H::file(out).await;
            let r = opts.copy(&mut limited, &mut dst).await;
            drop(dst);
            (r, content(&check), CopyPath::Splice)
        } else {
            let (mut tx, mut rx) = H::tcp_pair();
            let (r, got) = zip(
                async {
                    let r = opts.copy(&mut limited, &mut tx).await;
                    shutdown(&mut tx).await;
                    r
                },
                read_to_end::<H::Rt, _>(&mut rx),
            )
            .await;
            (r, got, CopyPath::Splice)
        };
        let left = limited.remaining();
        // What the buffered reader holds, then what is still in the socket.
        let mut rest = reader.buffer().to_vec();
        rest.extend(read_to_end::<H::Rt, _>(&mut src).await);
        (prefilled, result, arrived, path, left, rest)
    };
    let (_, (prefilled, result, arrived, path, left, rest)) =
        zip(write_and_close(&mut client, &data), copy_side).await;
    let count = selected - prefilled.len();
    assert!(
        prefilled[..] == data[..prefilled.len()],
        "{name}: prefilled bytes"
    );
    check_outcome(&name, &result, count, short_exact, path);
    assert_eq!(arrived.len(), count, "{name}: bytes at the destination");
    assert!(
        arrived[..] == data[prefilled.len()..selected],
        "{name}: bytes differ"
    );
    if let Some(l) = limit {
        assert_eq!(left, l - selected as u64, "{name}: limit left");
    }
    assert!(
        rest[..] == data[selected..],
        "{name}: bytes after the limit lost or altered"
    );
}

fn file_to_tcp_and_file_deliver_the_selected_range_exactly<H: Harness>() {
    let _g = shared();
    proptest!(config(), |(c in case())| {
        H::block_on(file_case::<H>(c));
    });
}

fn tcp_to_tcp_and_file_deliver_exactly_and_leave_the_rest<H: Harness>() {
    let _g = shared();
    proptest!(config(), |(c in case())| {
        H::block_on(stream_case::<H>(c));
    });
}
