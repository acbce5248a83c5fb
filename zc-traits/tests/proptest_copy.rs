//! Property tests: for random sizes, start positions, limits, pre-filled buffered readers and
//! chunkings, every endpoint pair delivers exactly the source's selected range, returns the
//! exact count, and leaves the source's position and limit exact. The path is observed.
//!
//! `PROPTEST_CASES` overrides the number of cases; `ZC_HEAVY=1` runs more, and bigger, ones.

use std::io::{self, Seek, SeekFrom, Write};
use std::sync::OnceLock;

use futures_lite::future;
use proptest::prelude::*;
use zc_test_support::aio::*;
use zc_test_support::*;
use zc_traits::{
    BufReader, CopyError, CopyOptions, CopyPath, Limited, Report, Sink, Source,
    DEFAULT_MAX_PER_POLL,
};

const MAX_SIZE: usize = 4 << 20;
const HEAVY_MAX_SIZE: usize = 12 << 20;

/// One pattern for every case; `pattern(n)` is a prefix of `pattern(m)` for n < m.
fn data(len: usize) -> &'static [u8] {
    static DATA: OnceLock<Vec<u8>> = OnceLock::new();
    &DATA.get_or_init(|| pattern(HEAVY_MAX_SIZE))[..len]
}

/// Caps `size` so that a copy takes at most ~20,000 polls or reads: moving 4 MiB one byte
/// per poll proves nothing more than 20 KiB does, and would take minutes in a debug build.
fn bounded(size: usize, bytes_per_step: usize) -> usize {
    size.min(bytes_per_step.max(1).saturating_mul(20_000))
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(if heavy() { 256 } else { 20 }),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn size() -> impl Strategy<Value = usize> {
    let max = if heavy() { HEAVY_MAX_SIZE } else { MAX_SIZE };
    prop_oneof![
        2 => 0usize..=16,
        3 => 0usize..=200_000,
        2 => 0usize..=max,
    ]
}

fn max_per_poll() -> impl Strategy<Value = u64> {
    prop_oneof![Just(DEFAULT_MAX_PER_POLL), 1u64..=4096, 4096u64..=(1 << 20)]
}

/// How the source is wrapped, and the limit (as a fraction of the bytes after the start, or
/// past them).
#[derive(Debug, Clone, Copy)]
enum Shape {
    Plain,
    Limited {
        per_mille: u32,
        exact: bool,
    },
    Buffered {
        capacity: usize,
        prefill: usize,
    },
    /// `Limited<BufReader<_>>`: the buffered reader may hold bytes past the limit.
    LimitedBuffered {
        per_mille: u32,
        capacity: usize,
        prefill: usize,
    },
    /// `BufReader<Limited<_>>`: the buffered reader fills through the limit.
    BufferedLimited {
        per_mille: u32,
        capacity: usize,
        prefill: usize,
    },
}

fn shape() -> impl Strategy<Value = Shape> {
    // per_mille up to 1200: a tenth of the limits reach past the end of the source.
    let limit = 0u32..=1200;
    let capacity = prop_oneof![1usize..=64, 64usize..=70_000];
    let prefill = 0usize..=80_000;
    prop_oneof![
        Just(Shape::Plain),
        (limit.clone(), any::<bool>())
            .prop_map(|(per_mille, exact)| Shape::Limited { per_mille, exact }),
        (capacity.clone(), prefill.clone())
            .prop_map(|(capacity, prefill)| Shape::Buffered { capacity, prefill }),
        (limit.clone(), capacity.clone(), prefill.clone()).prop_map(
            |(per_mille, capacity, prefill)| Shape::LimitedBuffered {
                per_mille,
                capacity,
                prefill
            }
        ),
        (limit, capacity, prefill).prop_map(|(per_mille, capacity, prefill)| {
            Shape::BufferedLimited {
                per_mille,
                capacity,
                prefill,
            }
        }),
    ]
}

fn limit_of(per_mille: u32, available: usize) -> u64 {
    available as u64 * u64::from(per_mille) / 1000 + u64::from(per_mille > 1000)
}

/// Leaves `Limited`'s and `BufReader`'s bookkeeping reachable after the copy.
enum Built<S: Source<Aio>> {
    Plain(S),
    Limited(Limited<S>),
    Buffered(BufReader<S>),
    LimitedBuffered(Limited<BufReader<S>>),
    BufferedLimited(BufReader<Limited<S>>),
}

impl<S: Source<Aio>> Built<S> {
    fn new(inner: S, shape: Shape, available: usize) -> (Self, usize, Option<(u64, bool)>) {
        match shape {
            Shape::Plain => (Built::Plain(inner), 0, None),
            Shape::Limited { per_mille, exact } => {
                let l = limit_of(per_mille, available);
                let w = if exact {
                    Limited::exact(inner, l)
                } else {
                    Limited::new(inner, l)
                };
                (Built::Limited(w), 0, Some((l, exact)))
            }
            Shape::Buffered { capacity, prefill } => (
                Built::Buffered(BufReader::with_capacity(capacity, inner)),
                prefill,
                None,
            ),
            Shape::LimitedBuffered {
                per_mille,
                capacity,
                prefill,
            } => {
                let l = limit_of(per_mille, available);
                (
                    Built::LimitedBuffered(Limited::new(
                        BufReader::with_capacity(capacity, inner),
                        l,
                    )),
                    prefill,
                    Some((l, false)),
                )
            }
            Shape::BufferedLimited {
                per_mille,
                capacity,
                prefill,
            } => {
                let l = limit_of(per_mille, available);
                (
                    Built::BufferedLimited(BufReader::with_capacity(
                        capacity,
                        Limited::new(inner, l),
                    )),
                    prefill,
                    Some((l, false)),
                )
            }
        }
    }

    fn source(&mut self) -> &mut dyn Source<Aio> {
        match self {
            Built::Plain(s) => s,
            Built::Limited(s) => s,
            Built::Buffered(s) => s,
            Built::LimitedBuffered(s) => s,
            Built::BufferedLimited(s) => s,
        }
    }

    /// The limit left, if there is one.
    fn remaining(&self) -> Option<u64> {
        match self {
            Built::Plain(_) | Built::Buffered(_) => None,
            Built::Limited(s) => Some(s.remaining()),
            Built::LimitedBuffered(s) => Some(s.remaining()),
            Built::BufferedLimited(s) => Some(s.get_ref().remaining()),
        }
    }

    /// Bytes a `BufReader` took from the inner source and still holds.
    fn held(&self) -> usize {
        match self {
            Built::Buffered(s) => s.buffer().len(),
            Built::LimitedBuffered(s) => s.get_ref().buffer().len(),
            Built::BufferedLimited(s) => s.buffer().len(),
            _ => 0,
        }
    }

    fn inner_mut(&mut self) -> &mut S {
        match self {
            Built::Plain(s) => s,
            Built::Limited(s) => s.get_mut(),
            Built::Buffered(s) => s.get_mut(),
            Built::LimitedBuffered(s) => s.get_mut().get_mut(),
            Built::BufferedLimited(s) => s.get_mut().get_mut(),
        }
    }
}

/// Reads up to `n` bytes through the source's byte-level path (a protocol header, say).
async fn prefill(src: &mut dyn Source<Aio>, n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    let mut filled = 0;
    while filled < n {
        let got = future::poll_fn(|cx| src.poll_read(cx, &mut out[filled..]))
            .await
            .unwrap();
        if got == 0 {
            break;
        }
        filled += got;
    }
    out.truncate(filled);
    out
}

/// What a copy of `available` bytes through `limit` must deliver, after `prefilled` bytes.
fn selected(available: usize, limit: Option<(u64, bool)>) -> usize {
    limit.map_or(available, |(l, _)| {
        available.min(l.try_into().unwrap_or(usize::MAX))
    })
}

/// The path a copy that the kernel can make reports: `path`, or the buffered path under the
/// portable fallback (`--cfg zc_portable`, as on Unix other than Linux).
fn kernel(path: CopyPath) -> CopyPath {
    if cfg!(zc_portable) {
        CopyPath::Buffered
    } else {
        path
    }
}

/// Checks the copy's outcome: `Ok` with the exact count, or `UnexpectedEof` with the exact
/// count when an exact limit reached past the end.
fn check_outcome(
    result: &Result<Report, CopyError>,
    expected_count: usize,
    limit: Option<(u64, bool)>,
    available: usize,
    path: CopyPath,
) {
    let short_exact = matches!(limit, Some((l, true)) if l > available as u64);
    match result {
        Ok(report) => {
            assert!(!short_exact, "an exact limit past the end must fail");
            assert_eq!(report.bytes(), expected_count as u64, "count");
            assert_eq!(report.path(), path, "path");
        }
        Err(err) => {
            assert!(short_exact, "unexpected error: {err:?}");
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
            assert_eq!(err.delivered(), expected_count as u64, "count");
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// file → file: copy_file_range.
    #[test]
    fn file_to_file_delivers_the_selected_range_and_positions_exactly(
        size in size(),
        start_per_mille in 0u32..=1000,
        shape in shape(),
        dst_head in 0usize..=5000,
        per_poll in max_per_poll(),
    ) {
        let size = bounded(size, per_poll as usize);
        let data = data(size);
        let start = size * start_per_mille as usize / 1000;
        let mut file = file_with(data);
        file.seek(SeekFrom::Start(start as u64)).unwrap();
        let mut dst = tempfile::tempfile().unwrap();
        dst.write_all(&data[..dst_head.min(size)]).unwrap();
        let head = dst_head.min(size);

        let available = size - start;
        let (mut src, pre, limit) = Built::new(&mut file, shape, available);
        let selected = selected(available, limit);
        let opts = CopyOptions::new().max_per_poll(per_poll);
        let (prefilled, result) = run(async {
            let prefilled = prefill(src.source(), pre).await;
            let r = opts.copy::<Aio, _, _>(src.source(), &mut dst).await;
            (prefilled, r)
        });
        let want = &data[start..start + selected];
        prop_assert_eq!(&prefilled[..], &want[..prefilled.len()]);
        check_outcome(&result, selected - prefilled.len(), limit, available, kernel(CopyPath::CopyFileRange));
        let written = content(&dst);
        prop_assert_eq!(written.len(), head + selected - prefilled.len());
        prop_assert!(written[..head] == data[..head]);
        prop_assert!(written[head..] == want[prefilled.len()..], "destination bytes differ");
        if let Some((l, _)) = limit {
            prop_assert_eq!(src.remaining(), Some(l - selected as u64));
        }
        let held = src.held() as u64;
        let pos = src.inner_mut().stream_position().unwrap();
        prop_assert_eq!(pos - held, (start + selected) as u64, "source position");
    }

    /// file → TCP / Unix socket / pipe: sendfile.
    #[test]
    fn file_to_stream_delivers_the_selected_range_and_positions_exactly(
        size in size(),
        start_per_mille in 0u32..=1000,
        shape in shape(),
        kind in 0u8..3,
        per_poll in max_per_poll(),
        seed in any::<u64>(),
    ) {
        let size = bounded(size, per_poll as usize);
        let data = data(size);
        let start = size * start_per_mille as usize / 1000;
        let mut file = file_with(data);
        file.seek(SeekFrom::Start(start as u64)).unwrap();
        let (dst, rx) = sink_pair(kind);
        let available = size - start;
        let (mut src, pre, limit) = Built::new(&mut file, shape, available);
        let selected = selected(available, limit);
        let opts = CopyOptions::new().max_per_poll(per_poll);
        let ((prefilled, result), received) = run(future::zip(
            async {
                let mut dst = dst;
                let prefilled = prefill(src.source(), pre).await;
                let r = opts.copy::<Aio, _, _>(src.source(), &mut *dst).await;
                drop(dst);
                (prefilled, r)
            },
            read_chunked(rx, seed),
        ));
        let want = &data[start..start + selected];
        prop_assert_eq!(&prefilled[..], &want[..prefilled.len()]);
        check_outcome(&result, selected - prefilled.len(), limit, available, kernel(CopyPath::Sendfile));
        prop_assert_eq!(received.len(), selected - prefilled.len());
        prop_assert!(received[..] == want[prefilled.len()..], "received bytes differ");
        if let Some((l, _)) = limit {
            prop_assert_eq!(src.remaining(), Some(l - selected as u64));
        }
        let held = src.held() as u64;
        let pos = src.inner_mut().stream_position().unwrap();
        prop_assert_eq!(pos - held, (start + selected) as u64, "source position");
    }

    /// TCP / Unix socket / pipe → TCP / Unix socket / pipe / file: splice. The source is fed
    /// in random chunks; what the copy did not take is still readable from it afterwards.
    #[test]
    fn stream_to_stream_or_file_delivers_exactly_and_leaves_the_rest(
        size in size(),
        shape in shape(),
        src_kind in 0u8..3,
        dst_kind in 0u8..4,
        per_poll in max_per_poll(),
        seed in any::<u64>(),
    ) {
        let size = bounded(size, per_poll as usize);
        let data = data(size);
        let (feed, inner) = source_pair(src_kind);
        let (mut src, pre, limit) = Built::new(inner, shape, size);
        let selected = selected(size, limit);
        let opts = CopyOptions::new().max_per_poll(per_poll);
        let (dst, rx, mut file) = if dst_kind == 3 {
            let file = tempfile::tempfile().unwrap();
            let dst: Box<dyn Sink<Aio>> = Box::new(file.try_clone().unwrap());
            (dst, None, Some(file))
        } else {
            let (dst, rx) = sink_pair(dst_kind);
            (dst, Some(rx), None)
        };
        let (_, ((prefilled, result, rest), received)) = run(future::zip(
            write_chunked_and_close(feed, data, seed),
            future::zip(
                async {
                    let mut dst = dst;
                    let prefilled = prefill(src.source(), pre).await;
                    let r = opts.copy::<Aio, _, _>(src.source(), &mut *dst).await;
                    drop(dst);
                    // What a BufReader holds, then what is still in the source.
                    let mut rest = match &src {
                        Built::Buffered(s) => s.buffer().to_vec(),
                        Built::LimitedBuffered(s) => s.get_ref().buffer().to_vec(),
                        Built::BufferedLimited(s) => s.buffer().to_vec(),
                        _ => Vec::new(),
                    };
                    let inner = src.inner_mut();
                    let mut tail = Vec::new();
                    loop {
                        let mut buf = [0u8; 64 << 10];
                        let n = future::poll_fn(|cx| inner.poll_read(cx, &mut buf)).await.unwrap();
                        if n == 0 {
                            break;
                        }
                        tail.extend_from_slice(&buf[..n]);
                    }
                    rest.extend_from_slice(&tail);
                    (prefilled, r, rest)
                },
                async {
                    match rx {
                        Some(rx) => read_chunked(rx, seed ^ 1).await,
                        None => Vec::new(),
                    }
                },
            ),
        ));
        let received = match &mut file {
            Some(file) => {
                prop_assert_eq!(file.stream_position().unwrap(), (selected - prefilled.len()) as u64, "file position");
                content(file)
            }
            None => received,
        };
        let path = kernel(CopyPath::Splice);
        prop_assert_eq!(&prefilled[..], &data[..prefilled.len()]);
        check_outcome(&result, selected - prefilled.len(), limit, size, path);
        prop_assert_eq!(received.len(), selected - prefilled.len());
        prop_assert!(received[..] == data[prefilled.len()..selected], "received bytes differ");
        if let Some((l, _)) = limit {
            prop_assert_eq!(src.remaining(), Some(l - selected as u64));
        }
        prop_assert!(rest[..] == data[selected..], "bytes after the limit were lost or altered");
    }

    /// Ends without a kernel object: the WriterTo, ReaderFrom and buffered paths, against
    /// mocks that return short reads and writes, `Pending` and `Interrupted`.
    #[test]
    fn mock_endpoints_deliver_exactly_through_short_io_pending_and_interrupts(
        size in size(),
        pair in 0u8..6,
        reads in prop::collection::vec(act(), 1..12),
        writes in prop::collection::vec(act(), 1..12),
        limit_per_mille in prop::option::of(0u32..=1200),
        buffer in prop_oneof![1usize..=64, 64usize..=100_000],
        per_poll in max_per_poll(),
    ) {
        let size = bounded(size, (per_poll as usize).min(buffer));
        let data = data(size);
        let limit = limit_per_mille.map(|m| limit_of(m, size));
        let selected = selected(size, limit.map(|l| (l, false)));
        let opts = CopyOptions::new().max_per_poll(per_poll).buffer_size(buffer);
        let mut writer = Scripted::writer(writes, None);
        let mut reader = Scripted::reader(data.to_vec(), reads);
        let (result, out, path) = match pair {
            // &[u8] → mock writer: the slice's WriterTo.
            0 => {
                let mut src: &[u8] = &data[..selected];
                let r = run(opts.copy::<Aio, _, _>(&mut src, &mut writer));
                prop_assert!(src.is_empty() || r.is_err());
                (r, writer.accepted, CopyPath::WriterTo)
            }
            // mock reader → Vec: the vector's ReaderFrom.
            1 => {
                let mut out = Vec::new();
                let mut src = Limited::new(&mut reader, limit.unwrap_or(u64::MAX));
                let r = run(opts.copy::<Aio, _, _>(&mut src, &mut out));
                (r, out, CopyPath::ReaderFrom)
            }
            // mock reader → mock writer: buffered.
            2 => {
                let mut src = Limited::new(&mut reader, limit.unwrap_or(u64::MAX));
                let r = run(opts.copy::<Aio, _, _>(&mut src, &mut writer));
                (r, writer.accepted, CopyPath::Buffered)
            }
            // mock reader behind a BufReader → file: buffered.
            3 => {
                let mut file = tempfile::tempfile().unwrap();
                let mut src = BufReader::with_capacity(buffer, Limited::new(&mut reader, limit.unwrap_or(u64::MAX)));
                let r = run(opts.copy::<Aio, _, _>(&mut src, &mut file));
                prop_assert_eq!(file.stream_position().unwrap(), selected as u64);
                (r, content(&file), CopyPath::Buffered)
            }
            // file → mock writer: buffered, and the file position follows the bytes.
            4 => {
                let mut file = file_with(data);
                let mut src = Limited::new(&mut file, limit.unwrap_or(u64::MAX));
                let r = run(opts.copy::<Aio, _, _>(&mut src, &mut writer));
                prop_assert_eq!(file.stream_position().unwrap(), selected as u64);
                (r, writer.accepted, CopyPath::Buffered)
            }
            // mock reader → TCP socket: buffered into a polled socket.
            _ => {
                let (mut tx, mut rx) = tcp_pair();
                let mut src = Limited::new(&mut reader, limit.unwrap_or(u64::MAX));
                let (r, received) = run(future::zip(
                    async {
                        let r = opts.copy::<Aio, _, _>(&mut src, &mut tx).await;
                        drop(tx);
                        r
                    },
                    read_all(&mut rx),
                ));
                (r, received, CopyPath::Buffered)
            }
        };
        let report = result.unwrap();
        prop_assert_eq!(report.bytes(), selected as u64);
        prop_assert_eq!(report.kernel_bytes(), 0);
        if selected > 0 || path == CopyPath::WriterTo || path == CopyPath::ReaderFrom {
            prop_assert_eq!(report.path(), path);
        }
        prop_assert_eq!(out.len(), selected);
        prop_assert!(out[..] == data[..selected], "destination bytes differ");
    }

    /// A destination that fails after accepting some bytes: the error carries exactly the
    /// bytes it accepted, on every user-space path.
    #[test]
    fn failing_destination_reports_exactly_the_bytes_it_accepted(
        size in 1usize..=300_000,
        fail_per_mille in 0u32..1000,
        source in 0u8..3,
        writes in prop::collection::vec(act(), 1..8),
        reads in prop::collection::vec(act(), 1..8),
        buffer in prop_oneof![1usize..=64, 64usize..=100_000],
    ) {
        let data = data(size);
        let fail_at = size * fail_per_mille as usize / 1000;
        let opts = CopyOptions::new().buffer_size(buffer);
        let mut writer = Scripted::writer(writes, Some(fail_at));
        let err = match source {
            0 => {
                let mut src: &[u8] = data;
                let err = run(opts.copy::<Aio, _, _>(&mut src, &mut writer)).unwrap_err();
                prop_assert_eq!(src.len(), size - fail_at, "the slice advanced by the bytes delivered");
                err
            }
            1 => {
                let mut src = Scripted::reader(data.to_vec(), reads);
                run(opts.copy::<Aio, _, _>(&mut src, &mut writer)).unwrap_err()
            }
            _ => {
                let mut file = file_with(data);
                run(opts.copy::<Aio, _, _>(&mut file, &mut writer)).unwrap_err()
            }
        };
        prop_assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        prop_assert_eq!(err.delivered(), fail_at as u64);
        prop_assert!(writer.accepted[..] == data[..fail_at]);
    }
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        4 => (1usize..=100_000).prop_map(Act::Short),
        2 => (1usize..=16).prop_map(Act::Short),
        1 => Just(Act::Pending),
        1 => Just(Act::Interrupted),
    ]
}
