//! Faults: a peer that closes or resets mid-copy, SIGPIPE, a file truncated while it is sent, a
//! slow reader, a half-closing relay, and kernel errors injected through the core's
//! test-only seam (`zc_traits::fault`, feature `fault-injection`).
// The kernel errors injected here do not exist under the portable fallback (`zc_portable`).
#![cfg(all(target_os = "linux", not(zc_portable)))]

use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::os::unix::process::ExitStatusExt;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_io::Async;
use futures_lite::{future, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use rustix::io::Errno;
use zc_test_support::aio::*;
use zc_test_support::*;
use zc_traits::fault::{self, Call};
use zc_traits::{
    copy_bidirectional_report, copy_report, copy_strict, CopyError, CopyOptions, CopyPath, Limited,
    Report, Sink,
};

// ---------------------------------------------------------------------------------------------
// The peer goes away mid-copy.

/// How the receiving end goes away.
#[derive(Debug, Clone, Copy)]
enum Gone {
    /// `close` with unread bytes: TCP answers the next segment with a reset.
    Close,
    /// `SO_LINGER` 0 then `close`: an immediate reset.
    Reset,
}

/// A TCP pair with small kernel buffers, so a copy is still running when the peer leaves.
fn small_tcp_pair() -> (AioStream<TcpStream>, AioStream<TcpStream>) {
    let (a, b) = tcp_pair();
    socket_buffers(a.0.get_ref().as_fd(), 32 << 10);
    socket_buffers(b.0.get_ref().as_fd(), 32 << 10);
    (a, b)
}

/// Reads at least `at_least` bytes, then leaves as `gone` says; returns what it read.
async fn read_then_leave<T>(mut rx: Async<T>, at_least: usize, gone: Gone) -> Vec<u8>
where
    T: AsFd,
    Async<T>: AsyncRead + Unpin,
{
    let mut got = Vec::new();
    let mut buf = vec![0u8; 16 << 10];
    while got.len() < at_least {
        let n = rx.read(&mut buf).await.unwrap();
        assert!(n > 0, "the copy ended before the peer left");
        got.extend_from_slice(&buf[..n]);
    }
    if let Gone::Reset = gone {
        rustix::net::sockopt::set_socket_linger(rx.get_ref().as_fd(), Some(Duration::ZERO))
            .unwrap();
    }
    drop(rx);
    got
}

/// Checks a copy whose destination went away: an error of the peer's kind that carries the
/// count, a destination that got a prefix of what was counted, and (for a file source) a
/// position equal to the count.
fn assert_peer_gone(result: Result<Report, CopyError>, received: &[u8], data: &[u8]) -> u64 {
    let err = result.expect_err("the copy must fail when its peer goes away");
    assert!(is_peer_gone(err.kind()), "a peer's error kind, got {err:?}");
    let n = err.delivered();
    assert!(
        n >= received.len() as u64,
        "{n} counted, {} received",
        received.len()
    );
    assert!(n < data.len() as u64, "the copy cannot have finished");
    assert!(
        received[..] == data[..received.len()],
        "received bytes differ"
    );
    n
}

/// file → socket or pipe whose reader leaves: sendfile fails with the peer's error.
fn sendfile_into_a_peer_that_leaves(dst_kind: u8, gone: Gone) {
    let data = pattern(8 << 20);
    let mut file = file_with(&data);
    let (result, received) = match dst_kind {
        0 => {
            let (mut tx, rx) = small_tcp_pair();
            run(future::zip(
                copy_report(&mut file, &mut tx),
                read_then_leave(rx.0, 256 << 10, gone),
            ))
        }
        1 => {
            let (mut tx, rx) = unix_pair();
            run(future::zip(
                copy_report(&mut file, &mut tx),
                read_then_leave(rx.0, 256 << 10, Gone::Close),
            ))
        }
        _ => {
            let (rx, mut tx) = pipe();
            run(future::zip(
                copy_report(&mut file, &mut tx),
                read_then_leave(rx.0, 256 << 10, Gone::Close),
            ))
        }
    };
    let n = assert_peer_gone(result, &received, &data);
    assert_eq!(
        file.stream_position().unwrap(),
        n,
        "source position = count"
    );
}

#[test]
fn tcp_peer_reset_mid_sendfile_is_an_error_with_the_count() {
    sendfile_into_a_peer_that_leaves(0, Gone::Reset);
}

#[test]
fn tcp_peer_close_mid_sendfile_is_an_error_with_the_count() {
    sendfile_into_a_peer_that_leaves(0, Gone::Close);
}

#[test]
fn unix_peer_close_mid_sendfile_is_an_error_with_the_count() {
    sendfile_into_a_peer_that_leaves(1, Gone::Close);
}

#[test]
fn pipe_reader_close_mid_sendfile_is_broken_pipe_with_the_count() {
    sendfile_into_a_peer_that_leaves(2, Gone::Close);
}

/// Writes `data` until done or the stream fails (the relay went away), then closes it.
async fn feed<W: AsyncWrite + Unpin>(mut tx: W, data: &[u8]) {
    for chunk in data.chunks(64 << 10) {
        if tx.write_all(chunk).await.is_err() {
            return;
        }
    }
    let _ = tx.close().await;
}

/// socket → socket or pipe whose reader leaves: splice fails with the peer's error.
fn splice_into_a_peer_that_leaves(dst_kind: u8, gone: Gone) {
    let data = pattern(8 << 20);
    let (client, relay_in) = small_tcp_pair();
    let relay = async move {
        let mut relay_in = relay_in;
        match dst_kind {
            0 => {
                let (mut tx, rx) = small_tcp_pair();
                future::zip(
                    async {
                        let r = copy_report(&mut relay_in, &mut tx).await;
                        drop(relay_in);
                        r
                    },
                    read_then_leave(rx.0, 256 << 10, gone),
                )
                .await
            }
            1 => {
                let (mut tx, rx) = unix_pair();
                future::zip(
                    async {
                        let r = copy_report(&mut relay_in, &mut tx).await;
                        drop(relay_in);
                        r
                    },
                    read_then_leave(rx.0, 256 << 10, Gone::Close),
                )
                .await
            }
            _ => {
                let (rx, mut tx) = pipe();
                future::zip(
                    async {
                        let r = copy_report(&mut relay_in, &mut tx).await;
                        drop(relay_in);
                        r
                    },
                    read_then_leave(rx.0, 256 << 10, Gone::Close),
                )
                .await
            }
        }
    };
    let (_, (result, received)) = run(future::zip(feed(client.0, &data), relay));
    if let Ok(report) = &result {
        panic!("the relay must fail, got {report:?}");
    }
    assert_peer_gone(result, &received, &data);
}

#[test]
fn tcp_peer_reset_mid_splice_is_an_error_with_the_count() {
    splice_into_a_peer_that_leaves(0, Gone::Reset);
}

#[test]
fn tcp_peer_close_mid_splice_is_an_error_with_the_count() {
    splice_into_a_peer_that_leaves(0, Gone::Close);
}

#[test]
fn unix_peer_close_mid_splice_is_an_error_with_the_count() {
    splice_into_a_peer_that_leaves(1, Gone::Close);
}

#[test]
fn pipe_reader_close_mid_splice_is_broken_pipe_with_the_count() {
    splice_into_a_peer_that_leaves(2, Gone::Close);
}

#[test]
fn locally_shut_down_socket_is_broken_pipe_before_any_byte() {
    let data = pattern(100_000);
    for splice in [false, true] {
        let (tx, _rx) = tcp_pair();
        tx.0.get_ref().shutdown(Shutdown::Write).unwrap();
        let mut tx = tx;
        let result = if splice {
            let (client, mut relay_in) = tcp_pair();
            let (_, r) = run(future::zip(feed(client.0, &data), async {
                let r = copy_report(&mut relay_in, &mut tx).await;
                drop(relay_in);
                r
            }));
            r
        } else {
            run(copy_report(&mut file_with(&data), &mut tx))
        };
        let err = result.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err:?}");
        assert_eq!(err.delivered(), 0);
    }
}

// ---------------------------------------------------------------------------------------------
// SIGPIPE, in child processes where it is not ignored.

#[test]
fn sigpipe_is_never_raised_even_where_it_would_kill() {
    if child_mode().as_deref() == Some("sigpipe") {
        make_sigpipe_fatal();
        for gone in [Gone::Reset, Gone::Close] {
            sendfile_into_a_peer_that_leaves(0, gone);
            splice_into_a_peer_that_leaves(0, gone);
        }
        sendfile_into_a_peer_that_leaves(1, Gone::Close);
        sendfile_into_a_peer_that_leaves(2, Gone::Close);
        splice_into_a_peer_that_leaves(1, Gone::Close);
        splice_into_a_peer_that_leaves(2, Gone::Close);
        locally_shut_down_socket_is_broken_pipe_before_any_byte();
        println!("ZC-CHILD-OK sigpipe");
        return;
    }
    let out = spawn_child(
        "sigpipe_is_never_raised_even_where_it_would_kill",
        "sigpipe",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.signal(),
        None,
        "the child was killed by a signal: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && stdout.contains("ZC-CHILD-OK sigpipe"),
        "child failed: {}\n{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn control_a_plain_write_to_a_widowed_pipe_kills_such_a_child() {
    if child_mode().as_deref() == Some("control") {
        make_sigpipe_fatal();
        let (read, write) = rustix::pipe::pipe().unwrap();
        drop(read);
        // write(2) with no reader left raises SIGPIPE; zc's probe is what avoids this.
        let _ = File::from(write).write(b"x");
        println!("ZC-CHILD-SURVIVED control");
        return;
    }
    let out = spawn_child(
        "control_a_plain_write_to_a_widowed_pipe_kills_such_a_child",
        "control",
    );
    assert_eq!(
        out.status.signal(),
        Some(signal_hook::consts::SIGPIPE),
        "the control child must die of SIGPIPE: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
}

// ---------------------------------------------------------------------------------------------
// The source file is truncated while it is being sent.

/// file → TCP; once the receiver has `after` bytes it truncates the file to `to`.
fn sendfile_with_truncation(
    after: usize,
    to: u64,
    exact: bool,
) -> (Result<Report, CopyError>, Vec<u8>, u64) {
    let data = pattern(4 << 20);
    let mut file = file_with(&data);
    let shrink = file.try_clone().unwrap();
    let (mut tx, mut rx) = small_tcp_pair();
    let (result, received) = run(future::zip(
        async {
            let r = if exact {
                let mut range = Limited::exact(&mut file, data.len() as u64);
                copy_report(&mut range, &mut tx).await
            } else {
                copy_report(&mut file, &mut tx).await
            };
            drop(tx);
            r
        },
        async {
            let mut got = Vec::new();
            let mut buf = vec![0u8; 16 << 10];
            let mut truncated = false;
            loop {
                let n = rx.0.read(&mut buf).await.unwrap();
                if n == 0 {
                    return got;
                }
                got.extend_from_slice(&buf[..n]);
                if !truncated && got.len() >= after {
                    shrink.set_len(to).unwrap();
                    truncated = true;
                }
            }
        },
    ));
    assert!(
        received[..] == data[..received.len()],
        "received bytes differ"
    );
    let pos = file.stream_position().unwrap();
    (result, received, pos)
}

#[test]
fn file_truncated_mid_sendfile_ends_the_copy_at_the_new_end() {
    // The sender is at most a few socket buffers ahead of the receiver: far before 2 MiB.
    let (result, received, pos) = sendfile_with_truncation(256 << 10, 2 << 20, false);
    let report = result.unwrap();
    assert_eq!(report.path(), CopyPath::Sendfile);
    assert_eq!(report.bytes(), 2 << 20);
    assert_eq!(received.len(), 2 << 20);
    assert_eq!(pos, 2 << 20);
}

#[test]
fn file_truncated_behind_the_position_mid_sendfile_ends_the_copy_short() {
    let (result, received, pos) = sendfile_with_truncation(256 << 10, 0, false);
    let report = result.unwrap();
    assert_eq!(report.bytes(), received.len() as u64);
    assert_eq!(pos, report.bytes(), "source position = count");
    assert!(report.bytes() < 4 << 20);
}

#[test]
fn limited_exact_copy_of_a_truncated_file_is_unexpected_eof_with_the_count() {
    let (result, received, pos) = sendfile_with_truncation(256 << 10, 2 << 20, true);
    let err = result.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(err.delivered(), 2 << 20);
    assert_eq!(received.len(), 2 << 20);
    assert_eq!(pos, 2 << 20);
}

// The source file grows while it is being sent: the copy takes at most the file's size at its
// start (its one fstat), so a copy from the start sends the file as it was, and stops without
// a last call that returns 0.

#[test]
fn file_grown_mid_sendfile_is_sent_up_to_its_size_at_the_start() {
    use std::os::unix::fs::FileExt;
    let data = pattern(4 << 20);
    let mut file = file_with(&data);
    let grow = file.try_clone().unwrap();
    let (mut tx, mut rx) = small_tcp_pair();
    let appended = pattern(5 << 20);
    let (result, received) = run(future::zip(
        async {
            let r = copy_report(&mut file, &mut tx).await;
            drop(tx);
            r
        },
        async {
            let mut got = Vec::new();
            let mut buf = vec![0u8; 16 << 10];
            loop {
                let n = rx.0.read(&mut buf).await.unwrap();
                if n == 0 {
                    return got;
                }
                if got.len() < 256 << 10 && got.len() + n >= 256 << 10 {
                    // The sender is a few socket buffers ahead: far before the old end.
                    grow.write_all_at(&appended[4 << 20..], 4 << 20).unwrap();
                }
                got.extend_from_slice(&buf[..n]);
            }
        },
    ));
    let report = result.unwrap();
    assert_eq!(report.path(), CopyPath::Sendfile);
    assert_eq!(
        report.bytes(),
        4 << 20,
        "the size at the start, not the grown one"
    );
    assert!(received == data, "received bytes differ");
    assert_eq!(file.stream_position().unwrap(), 4 << 20);
    // The next copy sends what was appended.
    let mut rest = Vec::new();
    let n = run(copy_report::<Aio, _, _>(&mut file, &mut rest)).unwrap();
    assert_eq!(n.bytes(), 1 << 20);
    assert!(rest[..] == appended[4 << 20..], "appended bytes differ");
}

#[test]
fn file_grown_between_copy_file_range_chunks_is_copied_up_to_its_size_at_the_start() {
    use std::os::unix::fs::FileExt;
    let data = pattern(4 << 20);
    let mut src = file_with(&data);
    let grow = src.try_clone().unwrap();
    let mut dst = tempfile::tempfile().unwrap();
    let opts = CopyOptions::new().max_per_poll(64 << 10);
    let report = run(async {
        let mut copy = Box::pin(opts.copy::<Aio, _, _>(&mut src, &mut dst));
        let mut polls = 0;
        future::poll_fn(|cx| {
            polls += 1;
            if polls == 6 {
                grow.write_all_at(&[7u8; 1 << 20], 4 << 20).unwrap();
            }
            std::future::Future::poll(copy.as_mut(), cx)
        })
        .await
    })
    .unwrap();
    assert_eq!(report.path(), CopyPath::CopyFileRange);
    assert_eq!(report.bytes(), 4 << 20);
    assert_eq!(src.stream_position().unwrap(), 4 << 20);
    assert!(content(&dst) == data, "copied bytes differ");
}

#[test]
fn file_copied_from_a_later_position_ends_at_its_end() {
    // From offset 1 MiB the size bound (4 MiB) is not reached: the kernel's end of file ends
    // the copy, with the exact count.
    let data = pattern(4 << 20);
    let mut src = file_with(&data);
    src.seek(io::SeekFrom::Start(1 << 20)).unwrap();
    let (mut tx, mut rx) = small_tcp_pair();
    let (result, received) = run(future::zip(
        async {
            let r = copy_report(&mut src, &mut tx).await;
            drop(tx);
            r
        },
        async {
            let mut got = Vec::new();
            rx.0.read_to_end(&mut got).await.unwrap();
            got
        },
    ));
    let report = result.unwrap();
    assert_eq!(report.path(), CopyPath::Sendfile);
    assert_eq!(report.bytes(), 3 << 20);
    assert!(received[..] == data[1 << 20..], "received bytes differ");
    assert_eq!(src.stream_position().unwrap(), 4 << 20);
}

/// Polls `fut`, truncating `file` to `to` after `polls` polls.
async fn truncate_after<F: std::future::Future + Unpin>(
    mut fut: F,
    polls: usize,
    file: &File,
    to: u64,
) -> F::Output {
    let mut n = 0;
    future::poll_fn(|cx| {
        n += 1;
        if n == polls + 1 {
            file.set_len(to).unwrap();
        }
        std::pin::Pin::new(&mut fut).poll(cx)
    })
    .await
}

#[test]
fn file_truncated_between_copy_file_range_chunks_ends_the_copy() {
    let data = pattern(4 << 20);
    // (truncate to, exact limit): past the position, behind it, and an exact limit.
    for (to, exact) in [(1u64 << 20, false), (0, false), (1 << 20, true)] {
        let mut src = file_with(&data);
        let shrink = src.try_clone().unwrap();
        let mut dst = tempfile::tempfile().unwrap();
        let opts = CopyOptions::new().max_per_poll(64 << 10);
        let result = run(async {
            if exact {
                let mut range = Limited::exact(&mut src, data.len() as u64);
                let copy = Box::pin(opts.copy::<Aio, _, _>(&mut range, &mut dst));
                truncate_after(copy, 5, &shrink, to).await
            } else {
                let copy = Box::pin(opts.copy::<Aio, _, _>(&mut src, &mut dst));
                truncate_after(copy, 5, &shrink, to).await
            }
        });
        // Five polls of 64 KiB each were delivered before the truncation.
        let expected = to.max(5 * (64 << 10));
        match result {
            Ok(report) => {
                assert!(!exact);
                assert_eq!(report.path(), CopyPath::CopyFileRange);
                assert_eq!(report.bytes(), expected);
            }
            Err(err) => {
                assert!(exact, "{err:?}");
                assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
                assert_eq!(err.delivered(), expected);
            }
        }
        assert_eq!(src.stream_position().unwrap(), expected);
        let out = content(&dst);
        assert!(out[..] == data[..expected as usize], "copied bytes differ");
    }
}

/// A destination without an fd that truncates the source file on its first write.
struct TruncateOnFirstWrite {
    victim: File,
    out: Vec<u8>,
}

impl Sink<Aio> for TruncateOnFirstWrite {
    fn poll_write(&mut self, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.out.is_empty() {
            self.victim.set_len(10).unwrap();
        }
        self.out.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[test]
fn file_truncated_during_the_buffered_path_ends_the_copy() {
    let data = pattern(1 << 20);
    let mut src = file_with(&data);
    let mut dst = TruncateOnFirstWrite {
        victim: src.try_clone().unwrap(),
        out: Vec::new(),
    };
    let opts = CopyOptions::new().buffer_size(64 << 10);
    let report = run(opts.copy::<Aio, _, _>(&mut src, &mut dst)).unwrap();
    assert_eq!(report.path(), CopyPath::Buffered);
    assert_eq!(
        report.bytes(),
        64 << 10,
        "one buffer was read before the truncation"
    );
    assert!(dst.out[..] == data[..64 << 10]);
}

// ---------------------------------------------------------------------------------------------
// A slow reader: the copy waits on readiness and burns no CPU meanwhile.

/// A receiver thread that reads 1 KiB every 2 ms until EOF.
fn slow_reader(mut rx: TcpStream) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        loop {
            let n = rx.read(&mut buf).unwrap();
            if n == 0 {
                return got;
            }
            got.extend_from_slice(&buf[..n]);
            std::thread::sleep(Duration::from_millis(2));
        }
    })
}

fn blocking_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let a = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let b = listener.accept().unwrap().0;
    socket_buffers(a.as_fd(), 16 << 10);
    socket_buffers(b.as_fd(), 16 << 10);
    (a, b)
}

/// Runs `copy` on this thread and returns (its report, wall time, this thread's CPU time).
fn measured(
    copy: impl std::future::Future<Output = Result<Report, CopyError>>,
) -> (Report, Duration, Duration) {
    let (wall, cpu) = (Instant::now(), thread_cpu_time());
    let report = run(copy).unwrap();
    (report, wall.elapsed(), thread_cpu_time() - cpu)
}

fn assert_idle_while_waiting(what: &str, wall: Duration, cpu: Duration) {
    eprintln!("{what}: waited {wall:?}, used {cpu:?} of CPU");
    // A copy that polled instead of waiting would burn about as much CPU as wall time.
    assert!(
        cpu * 4 < wall,
        "{what}: {cpu:?} of CPU over {wall:?}: the copy spins instead of waiting"
    );
}

#[test]
fn slow_reader_sendfile_waits_on_readiness_without_spinning() {
    let data = pattern(256 << 10);
    let mut file = file_with(&data);
    let (tx, rx) = blocking_pair();
    let reader = slow_reader(rx);
    let mut tx = AioStream(Async::new(tx).unwrap());
    let (report, wall, cpu) = measured(async {
        let r = copy_report(&mut file, &mut tx).await;
        drop(tx);
        r
    });
    assert_eq!(report.path(), CopyPath::Sendfile);
    assert!(reader.join().unwrap() == data);
    assert_idle_while_waiting("sendfile", wall, cpu);
}

#[test]
fn slow_reader_splice_waits_on_readiness_without_spinning() {
    let data = pattern(256 << 10);
    let (mut client, relay_in) = blocking_pair();
    let (relay_out, rx) = blocking_pair();
    let feeder = {
        let data = data.clone();
        std::thread::spawn(move || {
            client.write_all(&data).unwrap();
        })
    };
    let reader = slow_reader(rx);
    let mut relay_in = AioStream(Async::new(relay_in).unwrap());
    let mut relay_out = AioStream(Async::new(relay_out).unwrap());
    let (report, wall, cpu) = measured(async {
        let r = copy_report(&mut relay_in, &mut relay_out).await;
        drop(relay_out);
        r
    });
    feeder.join().unwrap();
    assert_eq!(report.path(), CopyPath::Splice);
    assert!(reader.join().unwrap() == data);
    assert_idle_while_waiting("splice", wall, cpu);
}

// ---------------------------------------------------------------------------------------------
// The source half-closes.

#[test]
fn half_close_ends_one_direction_and_the_other_keeps_working() {
    let request = pattern(100_000);
    let response = pattern(3 << 20);
    let front = TcpListener::bind("127.0.0.1:0").unwrap();
    let back = TcpListener::bind("127.0.0.1:0").unwrap();
    let front_addr = front.local_addr().unwrap();
    let back_addr = back.local_addr().unwrap();
    // The client sends its request, half-closes, then reads the response to EOF.
    let client = {
        let request = request.clone();
        std::thread::spawn(move || {
            let mut s = TcpStream::connect(front_addr).unwrap();
            s.write_all(&request).unwrap();
            s.shutdown(Shutdown::Write).unwrap();
            let mut got = Vec::new();
            s.read_to_end(&mut got).unwrap();
            got
        })
    };
    // The server answers only after the request's EOF reached it through the relay.
    let server = {
        let response = response.clone();
        std::thread::spawn(move || {
            let mut s = back.accept().unwrap().0;
            let mut got = Vec::new();
            s.read_to_end(&mut got).unwrap();
            s.write_all(&response).unwrap();
            got
        })
    };
    let mut a = AioStream(Async::new(front.accept().unwrap().0).unwrap());
    let mut b = AioStream(Async::new(TcpStream::connect(back_addr).unwrap()).unwrap());
    let (ab, ba) = run(copy_bidirectional_report::<Aio, _, _>(&mut a, &mut b)).unwrap();
    assert_eq!(ab.bytes(), request.len() as u64);
    assert_eq!(ba.bytes(), response.len() as u64);
    // Splice-auto: a direction splices once it streams; the report says which way bytes went.
    for report in [ab, ba] {
        assert_relay_path(&report, "relay");
    }
    assert!(
        server.join().unwrap() == request,
        "the server got the request"
    );
    assert!(
        client.join().unwrap() == response,
        "the client got the response"
    );
    // Both of the relay's sockets have their write side shut down.
    for s in [a.0.get_ref(), b.0.get_ref()] {
        let err = (&mut &*s).write(b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    }
}

// ---------------------------------------------------------------------------------------------
// Injected kernel errors.

/// The errnos that mean "this path does not fit" when they come before the first byte. ENOSYS
/// is tested in a child process, because the core remembers it for the whole process.
const DECLINES: [Errno; 3] = [Errno::INVAL, Errno::PERM, Errno::OPNOTSUPP];

/// The kernel paths, each with the call to fail.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scenario {
    /// file → file: copy_file_range.
    FileToFile,
    /// file → TCP: sendfile.
    FileToTcp,
    /// TCP → TCP: splice through a pooled pipe.
    TcpToTcp,
    /// TCP → file: splice through a pooled pipe.
    TcpToFile,
    /// pipe → file: splice straight into the file.
    PipeToFile,
}

const SCENARIOS: [Scenario; 5] = [
    Scenario::FileToFile,
    Scenario::FileToTcp,
    Scenario::TcpToTcp,
    Scenario::TcpToFile,
    Scenario::PipeToFile,
];

impl Scenario {
    fn call(self) -> Call {
        match self {
            Scenario::FileToFile => Call::CopyFileRange,
            Scenario::FileToTcp => Call::Sendfile,
            _ => Call::Splice,
        }
    }
}

/// What a scenario did: the result, the bytes at the destination, the file source's position.
struct Outcome {
    result: Result<Report, CopyError>,
    received: Vec<u8>,
    src_pos: Option<u64>,
}

/// Runs `scenario` on `data` with `call` failing with `errno` after `skip` calls, in chunks of
/// at most 16 KiB per poll. A stream source is filled and closed before the copy starts, so
/// the only calls are those that move bytes.
fn run_scenario(scenario: Scenario, data: &[u8], fail: Option<(Errno, u32)>) -> Outcome {
    let opts = CopyOptions::new().max_per_poll(16 << 10);
    let inject = || {
        if let Some((errno, skip)) = fail {
            fault::inject(scenario.call(), errno.raw_os_error(), skip);
        }
    };
    let outcome = match scenario {
        Scenario::FileToFile => {
            let mut src = file_with(data);
            let mut dst = tempfile::tempfile().unwrap();
            inject();
            let result = run(opts.copy::<Aio, _, _>(&mut src, &mut dst));
            Outcome {
                result,
                received: content(&dst),
                src_pos: Some(src.stream_position().unwrap()),
            }
        }
        Scenario::FileToTcp => {
            let mut src = file_with(data);
            let (mut tx, mut rx) = tcp_pair();
            inject();
            let (result, received) = run(future::zip(
                async {
                    let r = opts.copy::<Aio, _, _>(&mut src, &mut tx).await;
                    drop(tx);
                    r
                },
                read_all(&mut rx),
            ));
            Outcome {
                result,
                received,
                src_pos: Some(src.stream_position().unwrap()),
            }
        }
        Scenario::TcpToTcp | Scenario::TcpToFile => {
            let (mut client, mut src) = tcp_pair();
            run(write_and_close(&mut client, data));
            if scenario == Scenario::TcpToFile {
                let mut dst = tempfile::tempfile().unwrap();
                inject();
                let result = run(opts.copy::<Aio, _, _>(&mut src, &mut dst));
                Outcome {
                    result,
                    received: content(&dst),
                    src_pos: None,
                }
            } else {
                let (mut tx, mut rx) = tcp_pair();
                inject();
                let (result, received) = run(future::zip(
                    async {
                        let r = opts.copy::<Aio, _, _>(&mut src, &mut tx).await;
                        drop(tx);
                        r
                    },
                    read_all(&mut rx),
                ));
                Outcome {
                    result,
                    received,
                    src_pos: None,
                }
            }
        }
        Scenario::PipeToFile => {
            let (mut src, feed) = pipe();
            // A pipe holds 64 KiB by default: the data fits, and the writer can close.
            assert!(data.len() <= 64 << 10);
            feed.0.get_ref().write_all(data).unwrap();
            drop(feed);
            let mut dst = tempfile::tempfile().unwrap();
            inject();
            let result = run(opts.copy::<Aio, _, _>(&mut src, &mut dst));
            Outcome {
                result,
                received: content(&dst),
                src_pos: None,
            }
        }
    };
    fault::clear();
    outcome
}

#[test]
fn injected_decline_on_the_first_kernel_call_falls_back_with_exact_bytes() {
    let data = pattern(60_000);
    for scenario in SCENARIOS {
        for errno in DECLINES {
            let out = run_scenario(scenario, &data, Some((errno, 0)));
            let report = out
                .result
                .unwrap_or_else(|e| panic!("{scenario:?} {errno:?}: {e:?}"));
            assert_eq!(report.bytes(), data.len() as u64, "{scenario:?} {errno:?}");
            assert!(out.received == data, "{scenario:?} {errno:?}: bytes differ");
            if let Some(pos) = out.src_pos {
                assert_eq!(pos, data.len() as u64, "{scenario:?} {errno:?}: position");
            }
            // copy_file_range declines to sendfile; the others to the buffered path.
            let (path, kernel) = match scenario {
                Scenario::FileToFile => (CopyPath::Sendfile, data.len() as u64),
                _ => (CopyPath::Buffered, 0),
            };
            assert_eq!(report.path(), path, "{scenario:?} {errno:?}");
            assert_eq!(report.fallback(), None, "{scenario:?} {errno:?}: one path");
            assert_eq!(report.kernel_bytes(), kernel, "{scenario:?} {errno:?}");
        }
    }
}

#[test]
fn injected_decline_while_the_splice_pipe_holds_bytes_hands_them_to_the_buffered_path() {
    let data = pattern(60_000);
    for scenario in [Scenario::TcpToTcp, Scenario::TcpToFile] {
        for errno in DECLINES {
            // The first splice fills the pipe; the second, into the destination, declines.
            let out = run_scenario(scenario, &data, Some((errno, 1)));
            let report = out.result.unwrap();
            assert_eq!(report.bytes(), data.len() as u64, "{scenario:?} {errno:?}");
            assert_eq!(report.kernel_bytes(), 0, "{scenario:?} {errno:?}");
            // splice took the bytes, the buffered path delivered them.
            assert_eq!(report.path(), CopyPath::Splice, "{scenario:?} {errno:?}");
            assert_eq!(
                report.fallback(),
                Some(CopyPath::Buffered),
                "{scenario:?} {errno:?}"
            );
            assert!(out.received == data, "{scenario:?} {errno:?}: bytes differ");
        }
    }
}

/// Checks a copy that failed after it moved bytes: the injected error, with the count of the
/// bytes at the destination, and nothing sent twice.
fn assert_failed_with_count(scenario: Scenario, errno: Errno, out: &Outcome, data: &[u8]) -> u64 {
    let err = out
        .result
        .as_ref()
        .expect_err("an error after bytes moved is returned, not hidden");
    assert_eq!(
        err.error().raw_os_error(),
        Some(errno.raw_os_error()),
        "{scenario:?}: the cause is the injected errno, untouched"
    );
    let n = err.delivered();
    assert!(
        n > 0,
        "{scenario:?} {errno:?}: bytes moved before the error"
    );
    assert_eq!(
        out.received.len() as u64,
        n,
        "{scenario:?} {errno:?}: count"
    );
    assert!(
        out.received[..] == data[..n as usize],
        "{scenario:?} {errno:?}: bytes differ"
    );
    if let Some(pos) = out.src_pos {
        assert_eq!(pos, n, "{scenario:?} {errno:?}: source position = count");
    }
    n
}

#[test]
fn injected_error_after_bytes_moved_is_returned_with_the_count() {
    let data = pattern(60_000);
    for scenario in SCENARIOS {
        for errno in DECLINES.into_iter().chain([Errno::IO]) {
            // Splice through a pipe makes two calls per chunk: fail the refill after one
            // chunk went through (skip 2) and the delivery of the second chunk (skip 3).
            let skips: &[u32] = match scenario {
                Scenario::TcpToTcp | Scenario::TcpToFile => &[2, 3],
                _ => &[2],
            };
            for &skip in skips {
                let out = run_scenario(scenario, &data, Some((errno, skip)));
                let n = assert_failed_with_count(scenario, errno, &out, &data);
                // 16 KiB per call: through a pipe one chunk got through, else two did.
                let chunks = if skips.len() == 2 { 1 } else { 2 };
                assert_eq!(n, chunks * (16 << 10), "{scenario:?} {errno:?} skip {skip}");
            }
        }
    }
}

/// Runs `test` in one child process per scenario (ENOSYS is remembered process-wide), with
/// `CHILD=<prefix><scenario index>`, and checks that each child passed.
fn per_scenario_children(test: &str, prefix: &str, scenarios: &[Scenario]) {
    for (i, scenario) in scenarios.iter().enumerate() {
        let mode = format!("{prefix}{i}");
        let out = spawn_child(test, &mode);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains(&format!("ZC-CHILD-OK {mode}")),
            "{scenario:?}: child failed: {:?}\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The scenario this child runs, if it is one of `prefix`'s children.
fn child_scenario(prefix: &str, scenarios: &[Scenario]) -> Option<(String, Scenario)> {
    let mode = child_mode()?;
    let i: usize = mode.strip_prefix(prefix)?.parse().ok()?;
    Some((mode, scenarios[i]))
}

const ENOSYS_SCENARIOS: [Scenario; 4] = [
    Scenario::FileToFile,
    Scenario::FileToTcp,
    Scenario::TcpToTcp,
    Scenario::PipeToFile,
];

#[test]
fn enosys_falls_back_and_the_call_is_not_tried_again() {
    const TEST: &str = "enosys_falls_back_and_the_call_is_not_tried_again";
    let Some((mode, scenario)) = child_scenario("enosys-", &ENOSYS_SCENARIOS) else {
        return per_scenario_children(TEST, "enosys-", &ENOSYS_SCENARIOS);
    };
    let data = pattern(60_000);
    let out = run_scenario(scenario, &data, Some((Errno::NOSYS, 0)));
    let report = out.result.unwrap();
    assert!(out.received == data, "{scenario:?}: bytes differ");
    assert_eq!(report.bytes(), data.len() as u64);
    // Remembered: the next copy does not try the call, and takes the next path.
    let again = run_scenario(scenario, &data, None);
    let expected = match scenario {
        Scenario::FileToFile => CopyPath::Sendfile,
        _ => CopyPath::Buffered,
    };
    assert_eq!(report.path(), expected, "{scenario:?}");
    assert_eq!(again.result.unwrap().path(), expected, "{scenario:?} again");
    assert!(again.received == data);
    if scenario == Scenario::FileToTcp {
        // Without sendfile, a strict copy says why.
        let (mut tx, _rx) = tcp_pair();
        let err = run(copy_strict(&mut file_with(&data), &mut tx)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Unsupported);
        assert!(err.to_string().contains("ENOSYS"), "{err}");
    }
    println!("ZC-CHILD-OK {mode}");
}

#[test]
fn enosys_after_bytes_moved_is_returned_with_the_count() {
    const TEST: &str = "enosys_after_bytes_moved_is_returned_with_the_count";
    let Some((mode, scenario)) = child_scenario("enosys-late-", &SCENARIOS) else {
        return per_scenario_children(TEST, "enosys-late-", &SCENARIOS);
    };
    let data = pattern(60_000);
    let out = run_scenario(scenario, &data, Some((Errno::NOSYS, 2)));
    assert_failed_with_count(scenario, Errno::NOSYS, &out, &data);
    println!("ZC-CHILD-OK {mode}");
}

// ---------------------------------------------------------------------------------------------
// No fd for the splice pipe.

#[test]
fn splice_pipe_that_cannot_be_made_falls_back_before_the_first_byte() {
    let data = pattern(300_000);
    for errno in [Errno::MFILE, Errno::NFILE] {
        // The relay's socket → socket copy: the buffered path delivers everything.
        let (mut client, mut src) = tcp_pair();
        let (mut tx, mut rx) = tcp_pair();
        fault::inject(Call::Pipe, errno.raw_os_error(), 0);
        let (_, (result, received)) = run(future::zip(
            write_and_close(&mut client, &data),
            future::zip(
                async {
                    let r = copy_report::<Aio, _, _>(&mut src, &mut tx).await;
                    drop(tx);
                    r
                },
                read_all(&mut rx),
            ),
        ));
        fault::clear();
        let report = result.unwrap();
        assert_eq!(report.path(), CopyPath::Buffered, "{errno:?}");
        assert_eq!(report.bytes(), data.len() as u64);
        assert!(received == data, "{errno:?}: received bytes differ");

        // Strict: the reason is the pipe, before any byte moved.
        let (mut client, mut src) = tcp_pair();
        let (mut tx, _rx) = tcp_pair();
        run(write_and_close(&mut client, &data[..1000]));
        fault::inject(Call::Pipe, errno.raw_os_error(), 0);
        let err = run(copy_strict::<Aio, _, _>(&mut src, &mut tx)).unwrap_err();
        fault::clear();
        assert_eq!(err.kind(), io::ErrorKind::Unsupported, "{err}");
        assert!(
            err.to_string().contains("splice pipe cannot be made"),
            "{errno:?}: the reason names the pipe: {err}"
        );
        assert_eq!(err.delivered(), 0);
    }
}
