//! Load: 1,000 concurrent copies on one thread, every kernel path at once; all exact, the
//! splice pipes and the fds bounded during the run and back to the baseline after it.
//!
//! `ZC_HEAVY=1` moves 1 MiB per copy instead of 64 KiB.
// Counts splice pipes; tests/portable.rs covers the portable fallback (`zc_portable`).
#![cfg(all(target_os = "linux", not(zc_portable)))]

use std::cell::Cell;
use std::io::Seek;
use std::time::Duration;

use futures_lite::{future, AsyncReadExt, AsyncWriteExt};
use zc_test_support::aio::*;
use zc_test_support::*;
use zc_traits::diagnostics::{pipes_open, pipes_pooled};
use zc_traits::{copy_report, CopyPath, Report};

const COPIES: usize = 1000;

/// Copies that have started and not finished, and the most there were at once.
#[derive(Default)]
struct InFlight {
    arrived: Cell<usize>,
    now: Cell<usize>,
    peak: Cell<usize>,
    /// The most zc pipes and fds seen open: when every copy had its ends, and as each ended.
    peak_pipes: Cell<usize>,
    peak_fds: Cell<usize>,
}

impl InFlight {
    /// Waits until `copies` copies have their ends ready, so they all run at once.
    async fn start(&self, copies: usize) {
        self.arrived.set(self.arrived.get() + 1);
        if self.arrived.get() == copies {
            self.sample();
        }
        while self.arrived.get() < copies {
            future::yield_now().await;
        }
        self.now.set(self.now.get() + 1);
        self.peak.set(self.peak.get().max(self.now.get()));
    }

    fn end(&self) {
        self.sample();
        self.now.set(self.now.get() - 1);
    }

    fn sample(&self) {
        self.peak_pipes.set(self.peak_pipes.get().max(pipes_open()));
        self.peak_fds.set(self.peak_fds.get().max(open_fds()));
    }
}

/// Small kernel buffers, so a copy waits for its reader and the copies overlap.
fn small<T: std::os::fd::AsFd>(pair: (AioStream<T>, AioStream<T>)) -> (AioStream<T>, AioStream<T>) {
    socket_buffers(pair.0 .0.get_ref().as_fd(), 16 << 10);
    socket_buffers(pair.1 .0.get_ref().as_fd(), 16 << 10);
    pair
}

/// One copy of the load: its path, what it must deliver, and what it delivered.
async fn one(i: usize, len: usize, flight: &InFlight, copies: usize) -> (CopyPath, Report, bool) {
    let data = &shared_pattern(len + i)[i..];
    let out = match i % 4 {
        // file → Unix socket: sendfile.
        0 => {
            let mut file = file_with(data);
            let (mut tx, mut rx) = small(unix_pair());
            flight.start(copies).await;
            let (report, got) = future::zip(
                async {
                    let r = copy_report(&mut file, &mut tx).await.unwrap();
                    drop(tx);
                    r
                },
                async {
                    let mut got = Vec::new();
                    rx.0.read_to_end(&mut got).await.unwrap();
                    got
                },
            )
            .await;
            let exact = got == data && file.stream_position().unwrap() == len as u64;
            (CopyPath::Sendfile, report, exact)
        }
        // TCP → TCP: splice through a pooled pipe.
        1 => {
            let (mut client, mut relay_in) = small(tcp_pair());
            let (mut relay_out, mut sink) = small(tcp_pair());
            flight.start(copies).await;
            let (_, (report, got)) = future::zip(
                async {
                    client.0.write_all(data).await.unwrap();
                    drop(client);
                },
                future::zip(
                    async {
                        let r = copy_report(&mut relay_in, &mut relay_out).await.unwrap();
                        drop(relay_out);
                        r
                    },
                    async {
                        let mut got = Vec::new();
                        sink.0.read_to_end(&mut got).await.unwrap();
                        got
                    },
                ),
            )
            .await;
            (CopyPath::Splice, report, got == data)
        }
        // Unix socket → file: splice through a pooled pipe.
        2 => {
            let (mut feed, mut src) = small(unix_pair());
            let mut file = tempfile::tempfile().unwrap();
            flight.start(copies).await;
            let (_, report) = future::zip(
                async {
                    feed.0.write_all(data).await.unwrap();
                    drop(feed);
                },
                async { copy_report(&mut src, &mut file).await.unwrap() },
            )
            .await;
            (CopyPath::Splice, report, content(&file) == data)
        }
        // file → file: copy_file_range.
        _ => {
            let mut src = file_with(data);
            let mut dst = tempfile::tempfile().unwrap();
            flight.start(copies).await;
            let report = copy_report::<Aio, _, _>(&mut src, &mut dst).await.unwrap();
            future::yield_now().await;
            (CopyPath::CopyFileRange, report, content(&dst) == data)
        }
    };
    flight.end();
    out
}

#[test]
fn thousand_concurrent_copies_are_exact_and_keep_pipes_and_fds_bounded() {
    raise_fd_limit(16_384);
    let len = if heavy() { 1 << 20 } else { 64 << 10 };
    // Warm-up: the reactor's fds, a few pooled pipes.
    let warm_up = InFlight::default();
    run(join_all((0..8).map(|i| one(i, len, &warm_up, 8)).collect()));
    let (fds_before, pooled_before) = (open_fds(), pipes_pooled());
    assert_eq!(pipes_open(), pooled_before);

    let splice_copies = (0..COPIES).filter(|i| i % 4 == 1 || i % 4 == 2).count();
    let done = Cell::new(false);
    let flight = InFlight::default();
    let (results, ()) = run(future::zip(
        async {
            let r = join_all((0..COPIES).map(|i| one(i, len, &flight, COPIES)).collect()).await;
            done.set(true);
            r
        },
        async {
            // Samples the pipes and fds while the copies run.
            while !done.get() {
                flight.sample();
                async_io::Timer::after(Duration::from_millis(2)).await;
            }
        },
    ));

    let mut by_path = std::collections::HashMap::new();
    for (i, (path, report, exact)) in results.iter().enumerate() {
        assert!(exact, "copy {i} ({path}) delivered other bytes");
        assert_eq!(report.path(), *path, "copy {i}");
        assert_eq!(report.bytes(), len as u64, "copy {i}");
        *by_path.entry(path.to_string()).or_insert(0) += 1;
    }
    eprintln!(
        "{COPIES} copies of {len} bytes: {by_path:?}; peak {} at once, {} pipes, {} fds (baseline {fds_before})",
        flight.peak.get(),
        flight.peak_pipes.get(),
        flight.peak_fds.get()
    );
    assert!(flight.peak.get() >= COPIES / 2, "the copies overlapped");
    assert!(
        flight.peak_pipes.get() > 0 && flight.peak_fds.get() > fds_before,
        "sampled mid-run"
    );
    // At most one pipe per splice copy, never more.
    assert!(flight.peak_pipes.get() <= splice_copies + pooled_before);
    // Per copy at most: 4 sockets (or 3 + a file), and one pipe of 2 fds.
    assert!(flight.peak_fds.get() <= fds_before + COPIES * 6);
    // After: the pool is bounded, nothing is lent out, no fd is left behind.
    let pooled = pipes_pooled();
    assert!(
        pooled <= 64,
        "the pool keeps at most 64 pipes, has {pooled}"
    );
    assert_eq!(pipes_open(), pooled);
    // An fd open before the load may have closed since (not a leak); more than the pool
    // explains is a leak.
    assert!(open_fds() <= fds_before + 2 * (pooled - pooled_before));
}
