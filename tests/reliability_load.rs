//! Load on every runtime: 1,000 concurrent copies, each its own task on one runtime, over
//! sendfile, splice and copy_file_range at once; all exact, one splice pipe per splice copy
//! at most, the pool bounded and the fds back to the baseline afterwards.
//!
//! `ZC_HEAVY=1` moves 1 MiB per copy instead of 64 KiB.
#![cfg(target_os = "linux")]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures_lite::future::zip;
use support::{Harness, SendHarness};
use zc::diagnostics::{pipes_open, pipes_pooled};
use zc::{CopyPath, Report};
use zc_test_support::*;

support::per_runtime!(send: thousand_concurrent_copies_are_exact_and_bounded);

const COPIES: usize = 1000;

/// Copies in flight, and the most zc pipes and fds seen open.
#[derive(Default)]
struct Load {
    copies: usize,
    arrived: AtomicUsize,
    peak_pipes: AtomicUsize,
    peak_fds: AtomicUsize,
}

impl Load {
    fn sample(&self) {
        self.peak_pipes.fetch_max(pipes_open(), Ordering::Relaxed);
        self.peak_fds.fetch_max(open_fds(), Ordering::Relaxed);
    }

    /// Waits until every copy has its ends open, so they all run at once.
    async fn start(&self) {
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.copies {
            self.sample();
        }
        while self.arrived.load(Ordering::Acquire) < self.copies {
            futures_lite::future::yield_now().await;
        }
    }
}

/// The runtime files of copy `i`: a source with `data` (routes 0 and 3), an empty
/// destination with a std handle to read it back (routes 2 and 3). Made before the copy's task
/// is spawned: a harness's `file` future need not be `Send`.
struct Files<H: Harness> {
    src: Option<H::File>,
    dst: Option<(H::File, std::fs::File)>,
}

async fn files_of<H: Harness>(i: usize, data: &[u8]) -> Files<H> {
    let src = match i % 4 {
        0 | 3 => Some(H::file(file_with(data)).await),
        _ => None,
    };
    let dst = match i % 4 {
        2 | 3 => {
            let out = file_with(b"");
            let check = out.try_clone().unwrap();
            Some((H::file(out).await, check))
        }
        _ => None,
    };
    Files { src, dst }
}

async fn one<H: Harness>(
    i: usize,
    data: Vec<u8>,
    files: Files<H>,
    load: Arc<Load>,
) -> (CopyPath, Report, bool) {
    let out = match (i % 4, files.src, files.dst) {
        (0, Some(mut file), _) => {
            let (mut tx, mut rx) = H::unix_pair();
            with_dst_fd::<H::Rt, _, _>(&mut tx, small_buffers);
            load.start().await;
            let (report, got) = zip(
                async {
                    let r = zc::copy_report(&mut file, &mut tx).await.unwrap();
                    shutdown(&mut tx).await;
                    r
                },
                read_to_end::<H::Rt, _>(&mut rx),
            )
            .await;
            (CopyPath::Sendfile, report, got == data)
        }
        (1, ..) => {
            let (mut client, mut relay_in) = H::tcp_pair();
            let (mut relay_out, mut sink) = H::tcp_pair();
            with_dst_fd::<H::Rt, _, _>(&mut relay_out, small_buffers);
            load.start().await;
            let (_, (report, got)) = zip(
                write_and_close(&mut client, &data),
                zip(
                    async {
                        let r = zc::copy_report(&mut relay_in, &mut relay_out)
                            .await
                            .unwrap();
                        shutdown(&mut relay_out).await;
                        r
                    },
                    read_to_end::<H::Rt, _>(&mut sink),
                ),
            )
            .await;
            (CopyPath::Splice, report, got == data)
        }
        (2, _, Some((mut dst, check))) => {
            let (mut feed, mut src) = H::unix_pair();
            load.start().await;
            let (_, report) = zip(write_and_close(&mut feed, &data), async {
                zc::copy_report(&mut src, &mut dst).await.unwrap()
            })
            .await;
            drop(dst);
            (CopyPath::Splice, report, content(&check) == data)
        }
        (_, Some(mut src), Some((mut dst, check))) => {
            load.start().await;
            let report = zc::copy_report(&mut src, &mut dst).await.unwrap();
            drop(dst);
            (CopyPath::CopyFileRange, report, content(&check) == data)
        }
        _ => unreachable!("files_of makes the files of copy {i}'s route"),
    };
    load.sample();
    out
}

fn thousand_concurrent_copies_are_exact_and_bounded<H: SendHarness>() {
    let _g = exclusive();
    raise_fd_limit(16_384);
    let len = if heavy() { 1 << 20 } else { 64 << 10 };
    let all = pattern(len + COPIES);
    H::block_on(async move {
        // Warm up: the runtime's and the reactor's own fds, opened lazily.
        let warm_up = Arc::new(Load {
            copies: 4,
            ..Load::default()
        });
        let mut warm = Vec::new();
        for i in 0..4 {
            let files = files_of::<H>(i, &all[..1000]).await;
            warm.push(H::spawn(one::<H>(
                i,
                all[..1000].to_vec(),
                files,
                warm_up.clone(),
            )));
        }
        for task in warm {
            task.await;
        }
        let (fds_before, pooled_before) = (open_fds(), pipes_pooled());
        let load = Arc::new(Load {
            copies: COPIES,
            ..Load::default()
        });
        let mut tasks = Vec::with_capacity(COPIES);
        for i in 0..COPIES {
            // Each copy's bytes are the pattern shifted by `i`: a byte of another copy shows.
            let files = files_of::<H>(i, &all[i..i + len]).await;
            tasks.push(H::spawn(one::<H>(
                i,
                all[i..i + len].to_vec(),
                files,
                load.clone(),
            )));
        }
        let mut splice_copies = 0;
        for (i, task) in tasks.into_iter().enumerate() {
            let (path, report, exact) = task.await;
            assert!(
                exact,
                "{}: copy {i} ({path}) delivered other bytes",
                H::NAME
            );
            assert_eq!(
                (report.path(), report.bytes()),
                (path, len as u64),
                "{}: copy {i}",
                H::NAME
            );
            splice_copies += usize::from(path == CopyPath::Splice);
        }
        let (peak_pipes, peak_fds) = (
            load.peak_pipes.load(Ordering::Relaxed),
            load.peak_fds.load(Ordering::Relaxed),
        );
        eprintln!(
            "{}: {COPIES} copies of {len} bytes; peak {peak_pipes} pipes, {peak_fds} fds (baseline {fds_before})",
            H::NAME
        );
        assert!(
            peak_fds > fds_before + COPIES,
            "{}: the copies overlapped",
            H::NAME
        );
        assert!(
            peak_pipes <= splice_copies + pooled_before,
            "{}: one pipe per splice copy",
            H::NAME
        );
        // Per copy at most 4 sockets (or 3 and a file, or 2 files) and one pipe (2 fds); a
        // runtime may hold a dup'd fd per watched socket while a copy runs.
        assert!(
            peak_fds <= fds_before + COPIES * 8,
            "{}: {peak_fds} fds",
            H::NAME
        );
        let pooled = pipes_pooled();
        assert!(
            pooled <= 64,
            "{}: the pool keeps at most 64 pipes, has {pooled}",
            H::NAME
        );
        assert_eq!(
            pipes_open(),
            pooled,
            "{}: no pipe lent out after the load",
            H::NAME
        );
        let want = fds_before + 2 * (pooled - pooled_before);
        // A runtime may close a dropped file's fd on its blocking pool a moment later (and
        // one that ran before may still be closing its own): more than the baseline is a leak.
        for _ in 0..100 {
            if open_fds() <= want {
                break;
            }
            async_io::Timer::after(std::time::Duration::from_millis(20)).await;
        }
        assert!(
            open_fds() <= want,
            "{}: fds leaked: {} open, baseline {want}",
            H::NAME,
            open_fds()
        );
    });
}
