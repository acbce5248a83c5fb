//! Fairness: a long copy yields after a bounded amount of work per poll.
// Measures a copy_file_range copy; tests/portable.rs covers the portable fallback (`zc_portable`).
#![cfg(not(zc_portable))]

use std::cell::Cell;

use futures_lite::future;
use zc_test_support::aio::*;
use zc_test_support::*;
use zc_traits::{CopyOptions, CopyPath, Neutral};

/// Copies 32 MiB file→file (copy_file_range never waits, so without a bound one poll would do
/// all of it) beside a probe on the same single-threaded executor, and returns how many times
/// the probe ran while the copy was still going.
fn probe_runs_during_copy(opts: CopyOptions) -> u64 {
    let data = pattern(32 << 20);
    let mut src = file_with(&data);
    let mut dst = tempfile::tempfile().unwrap();
    let copying = Cell::new(true);
    let probe_runs = Cell::new(0u64);
    let (report, ()) = run(future::zip(
        async {
            let r = opts
                .copy::<Neutral, _, _>(&mut src, &mut dst)
                .await
                .unwrap();
            copying.set(false);
            r
        },
        async {
            while copying.get() {
                probe_runs.set(probe_runs.get() + 1);
                future::yield_now().await;
            }
        },
    ));
    assert_eq!(report.path(), CopyPath::CopyFileRange);
    assert!(content(&dst) == data);
    probe_runs.get()
}

#[test]
fn long_copy_lets_a_neighbour_run_between_its_chunks() {
    let runs = probe_runs_during_copy(CopyOptions::new().max_per_poll(1 << 20));
    // 32 chunks of 1 MiB: the copy yields after each, so the probe runs between them.
    assert!(runs >= 16, "probe ran only {runs} times during the copy");
}

#[test]
fn default_bound_also_yields() {
    let runs = probe_runs_during_copy(CopyOptions::new());
    assert!(runs >= 4, "probe ran only {runs} times during the copy");
}

#[test]
fn unbounded_copy_would_starve_the_neighbour() {
    // The control: with no bound the copy finishes in one poll, and the probe does not get
    // to run in between. This shows the test above can fail.
    let runs = probe_runs_during_copy(CopyOptions::new().max_per_poll(u64::MAX));
    assert!(runs <= 1, "probe ran {runs} times");
}
