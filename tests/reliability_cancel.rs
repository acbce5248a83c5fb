//! Cancellation on every runtime: copies dropped at random points (after a number of polls,
//! or by a timer) on every path leak no fd and no pipe, deliver a prefix of the source and
//! nothing else, and leave a file source's position (read back with the runtime's own seek)
//! equal to the bytes that reached the destination.
//!
//! `ZC_HEAVY=1` runs ten times as many copies.
#![cfg(target_os = "linux")]

mod support;

use std::future::Future;
use std::time::Duration;

use futures_lite::future::{or, zip};
use support::Harness;
use zc::diagnostics::{pipes_open, pipes_pooled};
use zc::{CopyError, CopyOptions, CopyPath, Limited, Report};
use zc_test_support::*;

support::per_runtime!(dropped_copies_leak_nothing_and_keep_positions_exact);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Route {
    FileToTcp,
    FileToPipe,
    FileToFile,
    TcpToTcp,
    TcpToFile,
    Relay,
}

#[derive(Debug, Clone, Copy)]
enum Stop {
    AfterPolls(usize),
    AfterMicros(u64),
    Never,
}

async fn stopped<F: Future>(copy: F, stop: Stop) -> Option<F::Output> {
    match stop {
        Stop::AfterPolls(n) => poll_at_most(copy, n).await,
        Stop::AfterMicros(us) => {
            or(async { Some(copy.await) }, async {
                async_io::Timer::after(Duration::from_micros(us)).await;
                None
            })
            .await
        }
        Stop::Never => Some(copy.await),
    }
}

/// Checks an outcome against what arrived: a finished copy is whole and counted exactly.
fn check(name: &str, outcome: &Option<Result<Report, CopyError>>, arrived: usize, selected: usize) {
    match outcome {
        None => assert!(arrived <= selected, "{name}: more than selected arrived"),
        Some(Ok(report)) => {
            assert_eq!(report.bytes(), arrived as u64, "{name}: count");
            assert_eq!(arrived, selected, "{name}: a finished copy is whole");
        }
        Some(Err(err)) => panic!("{name}: {err:?}"),
    }
}

async fn one_copy<H: Harness>(route: Route, stop: Stop, rng: &mut Xorshift) {
    let len = rng.below(512 << 10) as usize;
    let data = pattern(len);
    let start = rng.below(len as u64 + 1) as usize;
    let limit = rng.below(len as u64 + 1) as usize;
    let selected = limit.min(len - start);
    let opts = CopyOptions::new().max_per_poll(1 + rng.below(128 << 10));
    let name = format!("{} {route:?} {stop:?} len {len}", H::NAME);
    let window = &data[start..start + selected];
    match route {
        Route::FileToTcp | Route::FileToPipe | Route::FileToFile => {
            let mut file = H::file(file_with(&data)).await;
            H::file_seek(&mut file, start as u64).await;
            let (outcome, arrived, path) = match route {
                Route::FileToTcp => {
                    let (mut tx, mut rx) = H::tcp_pair();
                    let (outcome, got) = zip(
                        async {
                            let mut src = Limited::new(&mut file, limit as u64);
                            let r = stopped(opts.copy(&mut src, &mut tx), stop).await;
                            shutdown(&mut tx).await;
                            r
                        },
                        read_to_end::<H::Rt, _>(&mut rx),
                    )
                    .await;
                    (outcome, got, CopyPath::Sendfile)
                }
                Route::FileToPipe => {
                    let (tx, mut rx) = H::pipe().await.expect("a pipe");
                    let (outcome, got) = zip(
                        async {
                            let mut tx = tx;
                            let mut src = Limited::new(&mut file, limit as u64);
                            stopped(opts.copy(&mut src, &mut tx), stop).await
                        },
                        read_to_end::<H::Rt, _>(&mut rx),
                    )
                    .await;
                    (outcome, got, CopyPath::Sendfile)
                }
                _ => {
                    let out = file_with(b"");
                    let check_file = out.try_clone().unwrap();
                    let mut dst = H::file(out).await;
                    let mut src = Limited::new(&mut file, limit as u64);
                    let outcome = stopped(opts.copy(&mut src, &mut dst), stop).await;
                    drop(dst);
                    (outcome, content(&check_file), CopyPath::CopyFileRange)
                }
            };
            assert!(
                arrived[..] == window[..arrived.len()],
                "{name}: bytes differ"
            );
            check(&name, &outcome, arrived.len(), selected);
            if let Some(Ok(report)) = &outcome {
                assert_eq!(report.path(), path, "{name}");
            }
            let pos = H::file_position(&mut file).await;
            assert_eq!(pos, (start + arrived.len()) as u64, "{name}: position");
        }
        Route::TcpToTcp | Route::TcpToFile => {
            let (mut client, relay_in) = H::tcp_pair();
            let out = file_with(b"");
            let check_file = out.try_clone().unwrap();
            let copy_side = async {
                let mut src = Limited::new(relay_in, limit as u64);
                if route == Route::TcpToFile {
                    let mut dst = H::file(out).await;
                    let r = stopped(opts.copy(&mut src, &mut dst), stop).await;
                    drop(src);
                    (r, None)
                } else {
                    let (mut tx, mut rx) = H::tcp_pair();
                    let (r, got) = zip(
                        async {
                            let r = stopped(opts.copy(&mut src, &mut tx), stop).await;
                            shutdown(&mut tx).await;
                            drop(src);
                            r
                        },
                        read_to_end::<H::Rt, _>(&mut rx),
                    )
                    .await;
                    (r, Some(got))
                }
            };
            let (_, (outcome, got)) = zip(feed::<H::Rt, _>(&mut client, &data), copy_side).await;
            let arrived = got.unwrap_or_else(|| content(&check_file));
            // Bytes inside a splice pipe when the copy was dropped are lost, never shifted.
            assert!(arrived[..] == data[..arrived.len()], "{name}: bytes differ");
            check(&name, &outcome, arrived.len(), limit.min(len));
            if let Some(Ok(report)) = &outcome {
                assert_eq!(report.path(), CopyPath::Splice, "{name}");
            }
        }
        Route::Relay => {
            let (mut a_peer, mut a) = H::tcp_pair();
            let (mut b, mut b_peer) = H::tcp_pair();
            let back = pattern(len / 2 + 7);
            let (outcome, (a_got, b_got)) = zip(
                async {
                    let r = stopped(zc::copy_bidirectional(&mut a, &mut b), stop).await;
                    drop(a);
                    drop(b);
                    r
                },
                zip(
                    async {
                        feed::<H::Rt, _>(&mut a_peer, &data).await;
                        read_until_gone::<H::Rt, _>(&mut a_peer).await
                    },
                    async {
                        feed::<H::Rt, _>(&mut b_peer, &back).await;
                        read_until_gone::<H::Rt, _>(&mut b_peer).await
                    },
                ),
            )
            .await;
            assert!(
                b_got[..] == data[..b_got.len()],
                "{name}: a->b bytes differ"
            );
            assert!(
                a_got[..] == back[..a_got.len()],
                "{name}: b->a bytes differ"
            );
            if let Some(Ok((ab, ba))) = outcome {
                assert_eq!((ab, ba), (data.len() as u64, back.len() as u64), "{name}");
                assert_eq!(
                    (b_got.len(), a_got.len()),
                    (data.len(), back.len()),
                    "{name}"
                );
            }
        }
    }
}

fn dropped_copies_leak_nothing_and_keep_positions_exact<H: Harness>() {
    let _g = exclusive();
    let copies = if heavy() { 3000 } else { 300 };
    H::block_on(async move {
        let has_pipe = H::pipe().await.is_some();
        // Warm up: the runtime's own fds, the pool's first pipes.
        let mut rng = Xorshift::new(7);
        for route in [Route::TcpToTcp, Route::FileToTcp, Route::FileToFile] {
            one_copy::<H>(route, Stop::Never, &mut rng).await;
        }
        let (fds_before, pooled_before) = (open_fds(), pipes_pooled());
        let mut rng = Xorshift::new(0x2c_2024);
        for i in 0..copies {
            let route = match rng.below(6) {
                0 => Route::FileToTcp,
                1 if has_pipe => Route::FileToPipe,
                1 | 2 => Route::FileToFile,
                3 => Route::TcpToTcp,
                4 => Route::TcpToFile,
                _ => Route::Relay,
            };
            let stop = match rng.below(5) {
                0..=2 => Stop::AfterPolls(1 + rng.below(12) as usize),
                3 => Stop::AfterMicros(rng.below(3000)),
                _ => Stop::Never,
            };
            // A hang names its copy instead of ending in the harness's anonymous timeout.
            or(one_copy::<H>(route, stop, &mut rng), async {
                async_io::Timer::after(Duration::from_secs(20)).await;
                panic!("{}: copy {i} ({route:?}, {stop:?}) hangs", H::NAME)
            })
            .await;
            assert_eq!(
                pipes_open(),
                pipes_pooled(),
                "{}: copy {i}: a pipe is still lent",
                H::NAME
            );
        }
        let pooled = pipes_pooled();
        assert!(pooled <= 64, "{}: the pool is bounded", H::NAME);
        assert_eq!(pipes_open(), pooled);
        // A runtime may close a dropped file's fd on its blocking pool a moment later.
        let want = fds_before + 2 * (pooled - pooled_before);
        // (and one that ran before may still be closing its own): more is a leak.
        for _ in 0..100 {
            if open_fds() <= want {
                break;
            }
            async_io::Timer::after(Duration::from_millis(20)).await;
        }
        assert!(
            open_fds() <= want,
            "{}: fds leaked after {copies} copies",
            H::NAME
        );
        eprintln!(
            "{}: {copies} copies, fds {fds_before} -> {}, pooled pipes {pooled_before} -> {pooled}",
            H::NAME,
            open_fds()
        );
    });
}
