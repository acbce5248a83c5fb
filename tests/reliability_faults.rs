//! Faults on every runtime: a peer that resets or closes mid-sendfile and mid-splice (also in
//! a child process where SIGPIPE kills), a file truncated while it is sent, a slow reader, a
//! half-closing relay, and kernel errors injected through the core's test-only seam.
#![cfg(target_os = "linux")]

mod support;

use std::io;
use std::time::Instant;

use futures_lite::future::zip;
use rustix::io::Errno;
use support::Harness;
use zc::{CopyError, CopyOptions, CopyPath, Limited, Report};
use zc_test_support::*;
use zc_traits::fault::Call;

support::per_runtime!(
    tcp_peer_reset_mid_sendfile_is_an_error_with_the_count,
    tcp_peer_close_mid_splice_is_an_error_with_the_count,
    pipe_reader_close_mid_sendfile_is_broken_pipe_with_the_count,
    sigpipe_is_never_raised_even_where_it_would_kill,
    sigpipe_never_kills_when_peers_leave_at_random_moments,
    sigpipe_at_default_with_no_fd_left_copies_by_the_buffered_path,
    file_truncated_mid_sendfile_ends_short_or_is_unexpected_eof,
    slow_reader_is_waited_for_without_spinning,
    half_close_ends_one_direction_and_the_other_keeps_working,
    injected_decline_on_the_first_kernel_call_falls_back_with_exact_bytes,
    injected_error_after_bytes_moved_is_returned_with_the_count,
);

/// Checks a copy whose destination went away: the peer's error with the count, a received
/// prefix, and returns the count.
fn assert_peer_gone(
    name: &str,
    result: Result<Report, CopyError>,
    received: &[u8],
    data: &[u8],
) -> u64 {
    let err = result.expect_err("the copy must fail when its peer goes away");
    assert!(
        is_peer_gone(err.kind()),
        "{name}: a peer's error kind, got {err:?}"
    );
    let n = err.delivered();
    assert!(
        n >= received.len() as u64 && n < data.len() as u64,
        "{name}: count {n}"
    );
    assert!(
        received[..] == data[..received.len()],
        "{name}: received bytes differ"
    );
    n
}

async fn sendfile_into_a_resetting_peer<H: Harness>() {
    let data = pattern(8 << 20);
    let mut file = H::file(file_with(&data)).await;
    let (mut tx, rx) = H::tcp_pair();
    with_dst_fd::<H::Rt, _, _>(&mut tx, small_buffers);
    let receiver = async move {
        let mut rx = rx;
        with_src_fd::<H::Rt, _, _>(&mut rx, small_buffers);
        let got = read_at_least::<H::Rt, _>(&mut rx, 256 << 10).await;
        with_src_fd::<H::Rt, _, _>(&mut rx, reset_on_close);
        drop(rx);
        got
    };
    let (result, received) = zip(zc::copy_report(&mut file, &mut tx), receiver).await;
    let n = assert_peer_gone(H::NAME, result, &received, &data);
    assert_eq!(
        H::file_position(&mut file).await,
        n,
        "{}: position = count",
        H::NAME
    );
}

async fn splice_into_a_closing_peer<H: Harness>() {
    let data = pattern(8 << 20);
    let (mut client, mut relay_in) = H::tcp_pair();
    let (mut relay_out, sink) = H::tcp_pair();
    with_dst_fd::<H::Rt, _, _>(&mut relay_out, small_buffers);
    let receiver = async move {
        let mut sink = sink;
        with_src_fd::<H::Rt, _, _>(&mut sink, small_buffers);
        // Closing with unread bytes makes the peer's kernel answer with a reset.
        read_at_least::<H::Rt, _>(&mut sink, 256 << 10).await
    };
    let (_, (result, received)) = zip(
        feed::<H::Rt, _>(&mut client, &data),
        zip(
            async {
                let r = zc::copy_report(&mut relay_in, &mut relay_out).await;
                // Let the feeder stop.
                drop(relay_in);
                r
            },
            receiver,
        ),
    )
    .await;
    assert_peer_gone(H::NAME, result, &received, &data);
}

async fn sendfile_into_a_widowed_pipe<H: Harness>() -> bool {
    let Some((mut tx, rx)) = H::pipe().await else {
        eprintln!("{}: no pipe type; skipped", H::NAME);
        return false;
    };
    let data = pattern(8 << 20);
    let mut file = H::file(file_with(&data)).await;
    let receiver = async move {
        let mut rx = rx;
        read_at_least::<H::Rt, _>(&mut rx, 256 << 10).await
    };
    let (result, received) = zip(zc::copy_report(&mut file, &mut tx), receiver).await;
    let n = assert_peer_gone(H::NAME, result, &received, &data);
    assert_eq!(
        H::file_position(&mut file).await,
        n,
        "{}: position = count",
        H::NAME
    );
    true
}

fn tcp_peer_reset_mid_sendfile_is_an_error_with_the_count<H: Harness>() {
    let _g = shared();
    H::block_on(sendfile_into_a_resetting_peer::<H>());
}

fn tcp_peer_close_mid_splice_is_an_error_with_the_count<H: Harness>() {
    let _g = shared();
    H::block_on(splice_into_a_closing_peer::<H>());
}

fn pipe_reader_close_mid_sendfile_is_broken_pipe_with_the_count<H: Harness>() {
    let _g = shared();
    H::block_on(sendfile_into_a_widowed_pipe::<H>());
}

/// The test's full name in this binary, for a child re-run: `<runtime module>::<test>`.
fn test_path<H: Harness>(test: &str) -> String {
    let module = match H::NAME {
        "tokio current_thread" => "tokio_current_thread",
        "tokio multi_thread" => "tokio_multi_thread",
        name if name.starts_with("smol") => "smol",
        _ => "async_std",
    };
    format!("{module}::{test}")
}

fn sigpipe_is_never_raised_even_where_it_would_kill<H: Harness>() {
    const TEST: &str = "sigpipe_is_never_raised_even_where_it_would_kill";
    if child_mode().as_deref() == Some("sigpipe") {
        make_sigpipe_fatal();
        // The scenarios print their names, so a child killed by SIGPIPE says where.
        println!("child: sendfile into a resetting peer");
        H::block_on(sendfile_into_a_resetting_peer::<H>());
        println!("child: splice into a closing peer");
        H::block_on(splice_into_a_closing_peer::<H>());
        println!("child: sendfile into a widowed pipe");
        H::block_on(sendfile_into_a_widowed_pipe::<H>());
        println!("child: copies into a socket shut down for writing");
        H::block_on(async {
            // A destination shut down for writing: sendfile and splice.
            let (mut tx, _rx) = H::tcp_pair();
            shutdown(&mut tx).await;
            let mut file = H::file(file_with(&pattern(100_000))).await;
            let err = zc::copy(&mut file, &mut tx).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
            let (mut client, mut relay_in) = H::tcp_pair();
            let (_, r) = zip(
                write_and_close(&mut client, &pattern(100_000)),
                zc::copy(&mut relay_in, &mut tx),
            )
            .await;
            assert_eq!(r.unwrap_err().kind(), io::ErrorKind::BrokenPipe);
        });
        println!("ZC-CHILD-OK sigpipe");
        return;
    }
    let _g = shared();
    run_child_that_must_live::<H>(TEST, "sigpipe");
}

/// In a child with SIGPIPE at `SIG_DFL`, whose first protected `sendfile` would make the
/// signalfd that takes a raised SIGPIPE: with no fd left (`RLIMIT_NOFILE` lowered to the fds
/// open), the copy goes on by the buffered path (which writes to the socket with
/// `MSG_NOSIGNAL`) with every byte, where it used to fail with `EMFILE` before its first byte.
fn sigpipe_at_default_with_no_fd_left_copies_by_the_buffered_path<H: Harness>() {
    const TEST: &str = "sigpipe_at_default_with_no_fd_left_copies_by_the_buffered_path";
    if child_mode().as_deref() == Some("sigpipe-nofd") {
        make_sigpipe_fatal();
        H::block_on(async {
            let data = pattern(1 << 20);
            let mut file = H::file(file_with(&data)).await;
            let (mut tx, mut rx) = H::tcp_pair();
            let no_fd = no_fd_left();
            let (report, got) = zip(
                async {
                    let report = zc::copy_report(&mut file, &mut tx).await;
                    shutdown(&mut tx).await;
                    report
                },
                read_to_end::<H::Rt, _>(&mut rx),
            )
            .await;
            drop(no_fd);
            let report = report.unwrap_or_else(|e| panic!("{}: {e}", H::NAME));
            assert_eq!(report.bytes(), data.len() as u64, "{}: {report:?}", H::NAME);
            assert!(got == data, "{}: the bytes differ", H::NAME);
            assert_eq!(report.path(), CopyPath::Buffered, "{report:?}");
        });
        println!("ZC-CHILD-OK sigpipe-nofd");
        return;
    }
    let _g = shared();
    run_child_that_must_live::<H>(TEST, "sigpipe-nofd");
}

/// Runs `test` of this binary as a child in `mode` and checks that it finished (and was not
/// killed by a signal); returns its "ZC-CHILD-OK" line.
fn run_child_that_must_live<H: Harness>(test: &str, mode: &str) -> String {
    let out = spawn_child(&test_path::<H>(test), mode);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let ok = format!("ZC-CHILD-OK {mode}");
    assert!(
        out.status.success() && stdout.contains(&ok),
        "{}: the child failed or was killed by a signal: {:?}\n{stdout}\n{}",
        H::NAME,
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find(|l| l.contains(&ok))
        .unwrap_or("")
        .to_string()
}

/// Copies into peers that leave at random moments, `ROUNDS` times for each of sendfile into
/// a socket, sendfile into a pipe and splice socket → socket; returns the copies checked.
///
/// The receiver reads a random number of bytes, then closes, with a reset (`SO_LINGER` 0) or
/// without; every copy must end with `BrokenPipe`/`ConnectionReset`, a count that is at least
/// what arrived, bytes that are a prefix of the data, and (sendfile) the file's position equal
/// to the count.
async fn random_peer_exits<H: Harness>(seed: u64) -> usize {
    const ROUNDS: u64 = 120;
    const LEN: usize = 1 << 20;
    let data = pattern(LEN);
    let mut rng = Xorshift::new(seed);
    let mut checked = 0;
    for round in 0..ROUNDS {
        // Leave before the last 256 KiB: the socket buffers cannot hold the rest.
        let at = rng.below((LEN - (256 << 10)) as u64) as usize;
        let reset = rng.below(2) == 0;
        let name = format!("{} round {round} (leave at {at}, reset {reset})", H::NAME);
        let leave = |mut rx: H::Tcp| async move {
            with_src_fd::<H::Rt, _, _>(&mut rx, small_buffers);
            let got = read_at_least::<H::Rt, _>(&mut rx, at).await;
            if reset {
                with_src_fd::<H::Rt, _, _>(&mut rx, reset_on_close);
            }
            drop(rx);
            got
        };

        // sendfile into a socket.
        let mut file = file_with(&data);
        let (mut tx, rx) = H::tcp_pair();
        with_dst_fd::<H::Rt, _, _>(&mut tx, small_buffers);
        let (result, received) = zip(zc::copy_report(&mut file, &mut tx), leave(rx)).await;
        let n = assert_peer_gone(&name, result, &received, &data);
        let pos = std::io::Seek::stream_position(&mut file).unwrap();
        assert_eq!(pos, n, "{name}: sendfile: position = count");
        checked += 1;

        // splice socket → socket.
        let (mut client, mut relay_in) = H::tcp_pair();
        let (mut relay_out, sink) = H::tcp_pair();
        with_dst_fd::<H::Rt, _, _>(&mut relay_out, small_buffers);
        let (_, (result, received)) = zip(
            feed::<H::Rt, _>(&mut client, &data),
            zip(
                async {
                    let r = zc::copy_report(&mut relay_in, &mut relay_out).await;
                    drop(relay_in);
                    r
                },
                leave(sink),
            ),
        )
        .await;
        assert_peer_gone(&name, result, &received, &data);
        checked += 1;

        // sendfile into a pipe whose reader leaves.
        if let Some((mut tx, rx)) = H::pipe().await {
            let mut file = file_with(&data);
            let reader = async move {
                let mut rx = rx;
                read_at_least::<H::Rt, _>(&mut rx, at).await
            };
            let (result, received) = zip(zc::copy_report(&mut file, &mut tx), reader).await;
            let n = assert_peer_gone(&name, result, &received, &data);
            let pos = std::io::Seek::stream_position(&mut file).unwrap();
            assert_eq!(pos, n, "{name}: pipe: position = count");
            checked += 1;
        }
    }
    checked
}

fn sigpipe_never_kills_when_peers_leave_at_random_moments<H: Harness>() {
    const TEST: &str = "sigpipe_never_kills_when_peers_leave_at_random_moments";
    if child_mode().as_deref() == Some("sigpipe-random") {
        make_sigpipe_fatal();
        let checked = H::block_on(random_peer_exits::<H>(0x5eed));
        println!("ZC-CHILD-OK sigpipe-random {checked} copies");
        return;
    }
    let _g = shared();
    let line = run_child_that_must_live::<H>(TEST, "sigpipe-random");
    eprintln!("{}: {line}", H::NAME);
}

fn file_truncated_mid_sendfile_ends_short_or_is_unexpected_eof<H: Harness>() {
    let _g = shared();
    // (truncate to, exact limit): past the sender, behind it, and an exact limit past it.
    for (to, exact) in [(2u64 << 20, false), (0, false), (2 << 20, true)] {
        H::block_on(async move {
            let data = pattern(4 << 20);
            let std_file = file_with(&data);
            let shrink = std_file.try_clone().unwrap();
            let mut file = H::file(std_file).await;
            let (mut tx, mut rx) = H::tcp_pair();
            with_dst_fd::<H::Rt, _, _>(&mut tx, small_buffers);
            with_src_fd::<H::Rt, _, _>(&mut rx, small_buffers);
            let receiver = async move {
                let mut got = read_at_least::<H::Rt, _>(&mut rx, 256 << 10).await;
                shrink.set_len(to).unwrap();
                got.extend(read_to_end::<H::Rt, _>(&mut rx).await);
                got
            };
            let (result, received) = zip(
                async {
                    let r = if exact {
                        zc::copy_report(&mut Limited::exact(&mut file, 4 << 20), &mut tx).await
                    } else {
                        zc::copy_report(&mut file, &mut tx).await
                    };
                    shutdown(&mut tx).await;
                    r
                },
                receiver,
            )
            .await;
            assert!(
                received[..] == data[..received.len()],
                "{}: bytes differ",
                H::NAME
            );
            let n = match result {
                Ok(report) => {
                    assert!(!exact, "{}: an exact limit past the end must fail", H::NAME);
                    assert_eq!(report.path(), CopyPath::Sendfile);
                    report.bytes()
                }
                Err(err) => {
                    assert!(exact, "{}: {err:?}", H::NAME);
                    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
                    err.delivered()
                }
            };
            assert_eq!(n, received.len() as u64, "{}: count", H::NAME);
            if to > 0 {
                // The sender is a few socket buffers ahead of the receiver at most.
                assert_eq!(n, to, "{}: the copy ends at the new end", H::NAME);
            }
            assert_eq!(
                H::file_position(&mut file).await,
                n,
                "{}: position",
                H::NAME
            );
        });
    }
}

fn slow_reader_is_waited_for_without_spinning<H: Harness>() {
    // Process CPU time: nothing else of this binary runs meanwhile.
    let _g = exclusive();
    let (wall, cpu) = (Instant::now(), process_cpu_time());
    let (report, exact) = H::block_on(async {
        let data = pattern(256 << 10);
        let mut file = H::file(file_with(&data)).await;
        let (mut tx, rx) = H::tcp_pair();
        with_dst_fd::<H::Rt, _, _>(&mut tx, small_buffers);
        // The receiver reads 1 KiB every 2 ms.
        let receiver = async move {
            let mut rx = rx;
            with_src_fd::<H::Rt, _, _>(&mut rx, small_buffers);
            let mut got = Vec::new();
            let mut buf = [0u8; 1024];
            loop {
                let n = std::future::poll_fn(|cx| {
                    zc::Source::<H::Rt>::poll_read(&mut rx, cx, &mut buf)
                })
                .await
                .unwrap();
                if n == 0 {
                    return got;
                }
                got.extend_from_slice(&buf[..n]);
                async_io::Timer::after(std::time::Duration::from_millis(2)).await;
            }
        };
        let (report, got) = zip(
            async {
                let r = zc::copy_report(&mut file, &mut tx).await.unwrap();
                shutdown(&mut tx).await;
                r
            },
            receiver,
        )
        .await;
        (report, got == data)
    });
    let (wall, cpu) = (wall.elapsed(), process_cpu_time() - cpu);
    assert_eq!(report.path(), CopyPath::Sendfile, "{}", H::NAME);
    assert!(exact, "{}: bytes differ", H::NAME);
    eprintln!(
        "{}: waited {wall:?}, used {cpu:?} of CPU (all threads)",
        H::NAME
    );
    // A copy that polled instead of waiting would burn about as much CPU as wall time.
    assert!(
        cpu * 4 < wall,
        "{}: {cpu:?} of CPU over {wall:?}: the copy spins instead of waiting",
        H::NAME
    );
}

fn half_close_ends_one_direction_and_the_other_keeps_working<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let request = pattern(100_000);
        let response = pattern(3 << 20);
        let (mut client, mut a) = H::tcp_pair();
        let (mut b, mut server) = H::tcp_pair();
        let client_side = async {
            write_all(&mut client, &request).await;
            shutdown(&mut client).await;
            read_to_end::<H::Rt, _>(&mut client).await
        };
        let server_side = async {
            let got = read_to_end::<H::Rt, _>(&mut server).await;
            // Only now, after the request's EOF came through the relay, does it answer.
            write_and_close(&mut server, &response).await;
            got
        };
        let ((ab, ba), (client_got, server_got)) = zip(
            async { zc::copy_bidirectional_report(&mut a, &mut b).await.unwrap() },
            zip(client_side, server_side),
        )
        .await;
        assert_eq!(
            (ab.bytes(), ba.bytes()),
            (request.len() as u64, response.len() as u64)
        );
        // Splice-auto: a direction splices once it streams; the report says which way
        // the bytes went.
        for report in [ab, ba] {
            zc_test_support::assert_relay_path(&report, H::NAME);
        }
        assert!(
            server_got == request,
            "{}: the server got the request",
            H::NAME
        );
        assert!(
            client_got == response,
            "{}: the client got the response",
            H::NAME
        );
        // Both of the relay's ends are shut down for writing.
        for end in [&mut a, &mut b] {
            let err = std::future::poll_fn(|cx| zc::Sink::<H::Rt>::poll_write(end, cx, b"x"))
                .await
                .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{}", H::NAME);
        }
    });
}

/// The kernel paths the injected faults hit, each with its call.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scenario {
    FileToFile,
    FileToTcp,
    TcpToTcp,
}

impl Scenario {
    fn call(self) -> Call {
        match self {
            Scenario::FileToFile => Call::CopyFileRange,
            Scenario::FileToTcp => Call::Sendfile,
            Scenario::TcpToTcp => Call::Splice,
        }
    }
}

/// Runs `scenario` over 60,000 bytes in chunks of at most 16 KiB, with `errno` injected after
/// `skip` calls; returns the result, the bytes at the destination and a file source's position.
async fn run_scenario<H: Harness>(
    scenario: Scenario,
    errno: Errno,
    skip: u32,
) -> (Result<Report, CopyError>, Vec<u8>, Option<u64>) {
    let data = pattern(60_000);
    let opts = CopyOptions::new().max_per_poll(16 << 10);
    let (call, errno) = (scenario.call(), errno.raw_os_error());
    match scenario {
        Scenario::FileToFile => {
            let mut src = H::file(file_with(&data)).await;
            let dst_std = file_with(b"");
            let check = dst_std.try_clone().unwrap();
            let mut dst = H::file(dst_std).await;
            let r = with_fault(call, errno, skip, opts.copy(&mut src, &mut dst)).await;
            (r, content(&check), Some(H::file_position(&mut src).await))
        }
        Scenario::FileToTcp => {
            let mut src = H::file(file_with(&data)).await;
            let (mut tx, mut rx) = H::tcp_pair();
            let (r, got) = zip(
                async {
                    let r = with_fault(call, errno, skip, opts.copy(&mut src, &mut tx)).await;
                    shutdown(&mut tx).await;
                    r
                },
                read_to_end::<H::Rt, _>(&mut rx),
            )
            .await;
            (r, got, Some(H::file_position(&mut src).await))
        }
        Scenario::TcpToTcp => {
            let (mut client, mut relay_in) = H::tcp_pair();
            // Filled and closed before the copy, so no splice meets an empty socket.
            write_and_close(&mut client, &data).await;
            let (mut tx, mut rx) = H::tcp_pair();
            let (r, got) = zip(
                async {
                    let r = with_fault(call, errno, skip, opts.copy(&mut relay_in, &mut tx)).await;
                    shutdown(&mut tx).await;
                    r
                },
                read_to_end::<H::Rt, _>(&mut rx),
            )
            .await;
            (r, got, None)
        }
    }
}

const DECLINES: [Errno; 3] = [Errno::INVAL, Errno::PERM, Errno::OPNOTSUPP];
const SCENARIOS: [Scenario; 3] = [
    Scenario::FileToFile,
    Scenario::FileToTcp,
    Scenario::TcpToTcp,
];

fn injected_decline_on_the_first_kernel_call_falls_back_with_exact_bytes<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let data = pattern(60_000);
        for scenario in SCENARIOS {
            for errno in DECLINES {
                let (r, got, pos) = run_scenario::<H>(scenario, errno, 0).await;
                let what = format!("{}: {scenario:?} {errno:?}", H::NAME);
                let report = r.unwrap_or_else(|e| panic!("{what}: {e:?}"));
                assert_eq!(report.bytes(), data.len() as u64, "{what}");
                assert!(got == data, "{what}: bytes differ");
                if let Some(pos) = pos {
                    assert_eq!(pos, data.len() as u64, "{what}: position");
                }
                let path = match scenario {
                    Scenario::FileToFile => CopyPath::Sendfile,
                    _ => CopyPath::Buffered,
                };
                assert_eq!(report.path(), path, "{what}");
            }
        }
    });
}

fn injected_error_after_bytes_moved_is_returned_with_the_count<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let data = pattern(60_000);
        for scenario in SCENARIOS {
            for errno in DECLINES.into_iter().chain([Errno::IO]) {
                // Two calls go through: two chunks, or one through a splice pipe (in, out).
                let (r, got, pos) = run_scenario::<H>(scenario, errno, 2).await;
                let what = format!("{}: {scenario:?} {errno:?}", H::NAME);
                let err = r.expect_err(&what);
                assert_eq!(
                    err.error().raw_os_error(),
                    Some(errno.raw_os_error()),
                    "{what}"
                );
                let n = err.delivered();
                let chunks = if scenario == Scenario::TcpToTcp { 1 } else { 2 };
                assert_eq!(n, chunks * (16 << 10), "{what}: count");
                assert_eq!(
                    got.len() as u64,
                    n,
                    "{what}: nothing sent twice or invented"
                );
                assert!(got[..] == data[..got.len()], "{what}: bytes differ");
                if let Some(pos) = pos {
                    assert_eq!(pos, n, "{what}: position = count");
                }
            }
        }
    });
}
