//! The shared test bodies: each is `async fn rule_it_checks<H: Harness>(..)`, written against
//! zc's traits and the [`Harness`], and observes the path with `copy_report(..).path()`.

use futures_lite::future::zip;
use zc::{CopyPath, Limited, Report};

use zc_test_support::{
    content, file_with, pattern, raise_fd_limit, read_to_end, shutdown, write_all, write_and_close,
};

use super::{Harness, SendHarness};

const MIB_64: usize = 64 << 20;

fn check_bytes(name: &str, what: &str, got: &[u8], want: &[u8]) {
    if got != want {
        let first = got.iter().zip(want).position(|(a, b)| a != b);
        panic!(
            "{name}: {what}: got {} bytes, want {}; first difference at {first:?}",
            got.len(),
            want.len()
        );
    }
}

fn check_report(name: &str, what: &str, report: Report, path: CopyPath, len: usize) {
    assert_eq!(report.path(), path, "{name}: {what}: path");
    assert_eq!(report.bytes(), len as u64, "{name}: {what}: bytes");
    assert_eq!(
        report.kernel_bytes(),
        len as u64,
        "{name}: {what}: every byte moved in the kernel"
    );
}

/// A runtime file → a TCP socket is `sendfile(2)`, with exact bytes, and the file's
/// position advances by the bytes delivered.
pub async fn file_to_tcp_takes_sendfile<H: Harness>(len: usize) {
    let data = pattern(len);
    let mut file = H::file(file_with(&data)).await;
    let (mut tx, mut rx) = H::tcp_pair();
    let (report, received) = zip(
        async {
            let report = zc::copy_report(&mut file, &mut tx).await.expect("copy");
            shutdown(&mut tx).await;
            report
        },
        read_to_end(&mut rx),
    )
    .await;
    check_report(H::NAME, "file → tcp", report, CopyPath::Sendfile, len);
    check_bytes(H::NAME, "file → tcp", &received, &data);
    assert_eq!(H::file_position(&mut file).await, len as u64, "{}", H::NAME);
}

/// A TCP socket → a TCP socket is `splice(2)` through a pooled pipe, with exact bytes.
pub async fn tcp_to_tcp_takes_splice<H: Harness>(len: usize) {
    let data = pattern(len);
    let (mut client, mut relay_in) = H::tcp_pair();
    let (mut relay_out, mut server) = H::tcp_pair();
    let (_, (report, received)) = zip(
        write_and_close(&mut client, &data),
        zip(
            async {
                let report = zc::copy_report(&mut relay_in, &mut relay_out)
                    .await
                    .expect("copy");
                shutdown(&mut relay_out).await;
                report
            },
            read_to_end(&mut server),
        ),
    )
    .await;
    check_report(H::NAME, "tcp → tcp", report, CopyPath::Splice, len);
    check_bytes(H::NAME, "tcp → tcp", &received, &data);
}

/// A runtime file → a runtime file is `copy_file_range(2)`; both positions advance.
pub async fn file_to_file_takes_copy_file_range<H: Harness>(len: usize) {
    let data = pattern(len);
    let mut src = H::file(file_with(&data)).await;
    let dst_std = file_with(b"");
    let check = dst_std.try_clone().expect("dup");
    let mut dst = H::file(dst_std).await;
    let report = zc::copy_report(&mut src, &mut dst).await.expect("copy");
    check_report(H::NAME, "file → file", report, CopyPath::CopyFileRange, len);
    check_bytes(H::NAME, "file → file", &content(&check), &data);
    assert_eq!(H::file_position(&mut src).await, len as u64, "{}", H::NAME);
    assert_eq!(H::file_position(&mut dst).await, len as u64, "{}", H::NAME);
}

/// A TCP socket → a runtime file is `splice(2)`, written at the file's position.
pub async fn tcp_to_file_takes_splice<H: Harness>(len: usize) {
    let data = pattern(len);
    let (mut client, mut server) = H::tcp_pair();
    let dst_std = file_with(b"");
    let check = dst_std.try_clone().expect("dup");
    let mut dst = H::file(dst_std).await;
    let (_, report) = zip(write_and_close(&mut client, &data), async {
        zc::copy_report(&mut server, &mut dst).await.expect("copy")
    })
    .await;
    check_report(H::NAME, "tcp → file", report, CopyPath::Splice, len);
    check_bytes(H::NAME, "tcp → file", &content(&check), &data);
    assert_eq!(H::file_position(&mut dst).await, len as u64, "{}", H::NAME);
}

pub async fn file_to_tcp_of_64_mib_takes_sendfile_with_exact_bytes<H: Harness>() {
    file_to_tcp_takes_sendfile::<H>(MIB_64).await
}

pub async fn tcp_to_tcp_of_64_mib_takes_splice_with_exact_bytes<H: Harness>() {
    tcp_to_tcp_takes_splice::<H>(MIB_64).await
}

pub async fn file_to_file_of_64_mib_takes_copy_file_range_with_exact_bytes<H: Harness>() {
    file_to_file_takes_copy_file_range::<H>(MIB_64).await
}

pub async fn tcp_to_file_of_64_mib_takes_splice_with_exact_bytes<H: Harness>() {
    tcp_to_file_takes_splice::<H>(MIB_64).await
}

/// A Unix stream socket → a Unix stream socket is `splice(2)`.
pub async fn unix_to_unix_takes_splice<H: Harness>() {
    let data = pattern(300_001);
    let (mut client, mut relay_in) = H::unix_pair();
    let (mut relay_out, mut server) = H::unix_pair();
    let (_, (report, received)) = zip(
        write_and_close(&mut client, &data),
        zip(
            async {
                let report = zc::copy_report(&mut relay_in, &mut relay_out)
                    .await
                    .expect("copy");
                shutdown(&mut relay_out).await;
                report
            },
            read_to_end(&mut server),
        ),
    )
    .await;
    check_report(H::NAME, "unix → unix", report, CopyPath::Splice, data.len());
    check_bytes(H::NAME, "unix → unix", &received, &data);
}

/// A runtime file → a Unix stream socket is `sendfile(2)`.
pub async fn file_to_unix_takes_sendfile<H: Harness>() {
    let data = pattern(300_001);
    let mut file = H::file(file_with(&data)).await;
    let (mut tx, mut rx) = H::unix_pair();
    let (report, received) = zip(
        async {
            let report = zc::copy_report(&mut file, &mut tx).await.expect("copy");
            shutdown(&mut tx).await;
            report
        },
        read_to_end(&mut rx),
    )
    .await;
    check_report(
        H::NAME,
        "file → unix",
        report,
        CopyPath::Sendfile,
        data.len(),
    );
    check_bytes(H::NAME, "file → unix", &received, &data);
}

/// A Unix stream socket → a runtime file is `splice(2)`.
pub async fn unix_to_file_takes_splice<H: Harness>() {
    let data = pattern(300_001);
    let (mut client, mut server) = H::unix_pair();
    let dst_std = file_with(b"");
    let check = dst_std.try_clone().expect("dup");
    let mut dst = H::file(dst_std).await;
    let (_, report) = zip(write_and_close(&mut client, &data), async {
        zc::copy_report(&mut server, &mut dst).await.expect("copy")
    })
    .await;
    check_report(H::NAME, "unix → file", report, CopyPath::Splice, data.len());
    check_bytes(H::NAME, "unix → file", &content(&check), &data);
}

fn no_pipe<H: Harness>() -> bool {
    eprintln!(
        "{}: the runtime has no pipe type; pipe body skipped",
        H::NAME
    );
    true
}

/// A runtime file → a pipe is `sendfile(2)`.
pub async fn file_to_pipe_takes_sendfile<H: Harness>() {
    let Some((mut tx, mut rx)) = H::pipe().await else {
        no_pipe::<H>();
        return;
    };
    let data = pattern(300_001);
    let mut file = H::file(file_with(&data)).await;
    let (report, received) = zip(
        async {
            let report = zc::copy_report(&mut file, &mut tx).await.expect("copy");
            drop(tx); // EOF for the reader
            report
        },
        read_to_end(&mut rx),
    )
    .await;
    check_report(
        H::NAME,
        "file → pipe",
        report,
        CopyPath::Sendfile,
        data.len(),
    );
    check_bytes(H::NAME, "file → pipe", &received, &data);
}

/// A pipe → a runtime file is `splice(2)` straight into the file.
pub async fn pipe_to_file_takes_splice<H: Harness>() {
    let Some((mut tx, mut rx)) = H::pipe().await else {
        no_pipe::<H>();
        return;
    };
    let data = pattern(300_001);
    let dst_std = file_with(b"");
    let check = dst_std.try_clone().expect("dup");
    let mut dst = H::file(dst_std).await;
    let (_, report) = zip(
        async {
            write_all(&mut tx, &data).await;
            drop(tx);
        },
        async { zc::copy_report(&mut rx, &mut dst).await.expect("copy") },
    )
    .await;
    check_report(H::NAME, "pipe → file", report, CopyPath::Splice, data.len());
    check_bytes(H::NAME, "pipe → file", &content(&check), &data);
}

/// A pipe → a TCP socket is `splice(2)`.
pub async fn pipe_to_tcp_takes_splice<H: Harness>() {
    let Some((mut tx, mut rx)) = H::pipe().await else {
        no_pipe::<H>();
        return;
    };
    let data = pattern(300_001);
    let (mut out, mut server) = H::tcp_pair();
    let (_, (report, received)) = zip(
        async {
            write_all(&mut tx, &data).await;
            drop(tx);
        },
        zip(
            async {
                let report = zc::copy_report(&mut rx, &mut out).await.expect("copy");
                shutdown(&mut out).await;
                report
            },
            read_to_end(&mut server),
        ),
    )
    .await;
    check_report(H::NAME, "pipe → tcp", report, CopyPath::Splice, data.len());
    check_bytes(H::NAME, "pipe → tcp", &received, &data);
}

/// A TCP socket → a pipe is `splice(2)`.
pub async fn tcp_to_pipe_takes_splice<H: Harness>() {
    let Some((mut tx, mut rx)) = H::pipe().await else {
        no_pipe::<H>();
        return;
    };
    let data = pattern(300_001);
    let (mut client, mut server) = H::tcp_pair();
    let (_, (report, received)) = zip(
        write_and_close(&mut client, &data),
        zip(
            async {
                let report = zc::copy_report(&mut server, &mut tx).await.expect("copy");
                drop(tx);
                report
            },
            read_to_end(&mut rx),
        ),
    )
    .await;
    check_report(H::NAME, "tcp → pipe", report, CopyPath::Splice, data.len());
    check_bytes(H::NAME, "tcp → pipe", &received, &data);
}

/// A file partly read with the runtime's own `read` is copied from its logical position:
/// nothing duplicated, nothing skipped, and the position afterwards is the end.
pub async fn partly_read_file_is_copied_from_its_logical_position<H: Harness>() {
    let data = pattern(200_003);
    let mut file = H::file(file_with(&data)).await;
    let head = H::file_read_exact(&mut file, 1_001).await;
    check_bytes(H::NAME, "the runtime's own read", &head, &data[..1_001]);
    let (mut tx, mut rx) = H::tcp_pair();
    let (report, received) = zip(
        async {
            let report = zc::copy_report(&mut file, &mut tx).await.expect("copy");
            shutdown(&mut tx).await;
            report
        },
        read_to_end(&mut rx),
    )
    .await;
    check_report(
        H::NAME,
        "partly read file → tcp",
        report,
        CopyPath::Sendfile,
        data.len() - 1_001,
    );
    check_bytes(H::NAME, "partly read file → tcp", &received, &data[1_001..]);
    assert_eq!(
        H::file_position(&mut file).await,
        data.len() as u64,
        "{}",
        H::NAME
    );
}

/// A range of a file (`Limited::exact` after a seek) → a socket is `sendfile(2)` of exactly
/// the range, and the position ends right after it.
pub async fn file_range_to_tcp_takes_sendfile_and_sends_exactly_the_range<H: Harness>() {
    let data = pattern(1 << 20);
    let (start, len) = (123_457usize, 300_001usize);
    let mut file = H::file(file_with(&data)).await;
    H::file_seek(&mut file, start as u64).await;
    let (mut tx, mut rx) = H::tcp_pair();
    let (report, received) = zip(
        async {
            let mut range = Limited::exact(&mut file, len as u64);
            let report = zc::copy_report(&mut range, &mut tx).await.expect("copy");
            assert_eq!(range.remaining(), 0);
            shutdown(&mut tx).await;
            report
        },
        read_to_end(&mut rx),
    )
    .await;
    check_report(H::NAME, "range → tcp", report, CopyPath::Sendfile, len);
    check_bytes(H::NAME, "range → tcp", &received, &data[start..start + len]);
    assert_eq!(
        H::file_position(&mut file).await,
        (start + len) as u64,
        "{}",
        H::NAME
    );
}

/// Two range copies in a row from one file deliver adjacent ranges: the second starts where
/// the kernel left the first.
pub async fn consecutive_ranges_of_one_file_are_adjacent<H: Harness>() {
    let data = pattern(500_000);
    let mut file = H::file(file_with(&data)).await;
    let (mut tx, mut rx) = H::tcp_pair();
    let (reports, received) = zip(
        async {
            let first = zc::copy_report(&mut Limited::exact(&mut file, 100_000), &mut tx)
                .await
                .expect("first range");
            let second = zc::copy_report(&mut Limited::exact(&mut file, 150_000), &mut tx)
                .await
                .expect("second range");
            shutdown(&mut tx).await;
            (first, second)
        },
        read_to_end(&mut rx),
    )
    .await;
    check_report(
        H::NAME,
        "first range",
        reports.0,
        CopyPath::Sendfile,
        100_000,
    );
    check_report(
        H::NAME,
        "second range",
        reports.1,
        CopyPath::Sendfile,
        150_000,
    );
    check_bytes(H::NAME, "two ranges", &received, &data[..250_000]);
    assert_eq!(H::file_position(&mut file).await, 250_000, "{}", H::NAME);
}

/// A runtime file with writes the runtime has not flushed yet receives the kernel's bytes
/// after them.
pub async fn file_sink_is_written_after_its_pending_writes<H: Harness>() {
    let data = pattern(200_000);
    let (mut client, mut server) = H::tcp_pair();
    let dst_std = file_with(b"");
    let check = dst_std.try_clone().expect("dup");
    let mut dst = H::file(dst_std).await;
    H::file_write_all(&mut dst, b"header: written by the runtime\n").await;
    let (_, report) = zip(write_and_close(&mut client, &data), async {
        zc::copy_report(&mut server, &mut dst).await.expect("copy")
    })
    .await;
    check_report(
        H::NAME,
        "tcp → written file",
        report,
        CopyPath::Splice,
        data.len(),
    );
    let mut want = b"header: written by the runtime\n".to_vec();
    want.extend_from_slice(&data);
    check_bytes(H::NAME, "tcp → written file", &content(&check), &want);
    assert_eq!(
        H::file_position(&mut dst).await,
        want.len() as u64,
        "{}",
        H::NAME
    );
}

/// A proxy's relay (`copy_bidirectional`) splices both directions and half-closes: the
/// server reads the client's request to EOF before it answers, so the answer can only arrive
/// if the relay forwarded the client's half-close and kept the other direction open.
pub async fn relay_splices_both_ways_and_half_closes<H: Harness>() {
    let request = pattern(700_001);
    let answer: Vec<u8> = pattern(900_001).into_iter().rev().collect();
    let (mut client, mut proxy_in) = H::tcp_pair();
    let (mut proxy_out, mut server) = H::tcp_pair();
    let ((up, down), (client_got, server_got)) = zip(
        async {
            zc::copy_bidirectional_report(&mut proxy_in, &mut proxy_out)
                .await
                .expect("relay")
        },
        zip(
            async {
                write_and_close(&mut client, &request).await;
                read_to_end(&mut client).await
            },
            async {
                let got = read_to_end(&mut server).await;
                write_and_close(&mut server, &answer).await;
                got
            },
        ),
    )
    .await;
    // Splice-auto: a direction starts buffered and splices once it streams (when, depends on
    // how its reads found the data); the report says which bytes went which way.
    for (what, report, len) in [
        ("relay up", up, request.len()),
        ("relay down", down, answer.len()),
    ] {
        assert_eq!(report.bytes(), len as u64, "{}: {what}: bytes", H::NAME);
        zc_test_support::assert_relay_path(&report, &format!("{}: {what}", H::NAME));
    }
    check_bytes(H::NAME, "relay up", &server_got, &request);
    check_bytes(H::NAME, "relay down", &client_got, &answer);
}

/// Many copies at once, each in its own task (on every worker of a multi-threaded runtime),
/// all deliver exact bytes by `sendfile(2)`: no bytes cross between copies.
pub async fn concurrent_copies_deliver_exact_bytes<H: SendHarness>() {
    const COPIES: usize = 500;
    const LEN: usize = 64 << 10;
    raise_fd_limit(8 * COPIES as u64 + 256);
    let all = pattern(LEN + COPIES);
    let mut tasks = Vec::with_capacity(COPIES);
    for i in 0..COPIES {
        // Each copy's bytes are the pattern shifted by `i`: a byte from another copy shows.
        let data = all[i..i + LEN].to_vec();
        let mut file = H::file(file_with(&data)).await;
        let (mut tx, mut rx) = H::tcp_pair();
        let sender = H::spawn(async move {
            let report = zc::copy_report(&mut file, &mut tx).await.expect("copy");
            shutdown(&mut tx).await;
            report
        });
        let receiver = H::spawn(async move { read_to_end(&mut rx).await });
        tasks.push((i, data, sender, receiver));
    }
    for (i, data, sender, receiver) in tasks {
        let report = sender.await;
        let received = receiver.await;
        check_report(
            H::NAME,
            &format!("copy {i}"),
            report,
            CopyPath::Sendfile,
            LEN,
        );
        check_bytes(H::NAME, &format!("copy {i}"), &received, &data);
    }
}
