//! Go's tests of `io.Copy` from a socket into a file (`os/readfrom_linux_test.go`), run against
//! `zc::copy` on every runtime and flavour, with the runtime's own sockets and files:
//!
//! * `TestSpliceFile`: TCP and Unix sockets, Go's sizes (1, 42, 1025, a page + 1, 32769),
//!   whole and through a limit one less than the size, half of it and one more (Go's
//!   `io.LimitedReader`; here `zc::Limited`). A copy that moves bytes takes `splice(2)`; it
//!   moves exactly `min(size, limit)`, the file holds exactly those bytes and its position is
//!   just past them, and the limit is used up by exactly that count. Beyond Go's checks, the
//!   bytes past a limit are still the socket's to read: none stranded in the splice pipe.
//! * `TestProcCopy`: `/proc/self/cmdline` (whose size `fstat` reports as 0, and from which
//!   the kernel's copy calls move nothing) copied into a file gives its content.
//! * `TestCopyFile` "NotRegular/BothPipes": `hello` from one of the runtime's pipes into
//!   another, by `splice`.
//! * `TestSpliceToTTY` (Go issue 59041): a socket copied into a terminal opened without
//!   `O_NONBLOCK` while the peer writes 1 KiB at a time ends, with every byte counted.
#![cfg(target_os = "linux")]

mod support;

use std::fs::File;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_lite::future::zip;
use rustix::pty::OpenptFlags;
use support::Harness;
use zc::{CopyPath, Limited};
use zc_test_support::*;

support::per_runtime!(
    socket_into_file_matches_gos_test_splice_file,
    proc_cmdline_into_a_file_copies_its_content,
    socket_into_a_blocking_terminal_ends_with_every_byte,
    pipe_into_pipe_matches_gos_both_pipes,
);

fn pipe_into_pipe_matches_gos_both_pipes<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let (Some((mut w1, mut r1)), Some((mut w2, mut r2))) = (H::pipe().await, H::pipe().await)
        else {
            eprintln!("{}: no pipe type; skipped", H::NAME);
            return;
        };
        write_and_close(&mut w1, b"hello").await;
        drop(w1);
        let report = zc::copy_report(&mut r1, &mut w2).await.unwrap();
        assert_eq!(report.bytes(), 5, "{}", H::NAME);
        assert_eq!(report.path(), CopyPath::Splice, "{}: {report:?}", H::NAME);
        shutdown(&mut w2).await;
        drop(w2);
        assert_eq!(read_to_end(&mut r2).await, b"hello", "{}", H::NAME);
    });
}

const SIZES: [usize; 5] = [1, 42, 1025, 4097, 32769];

/// Go's limits for `size`: none, one less, half, one more. (Go runs the first two subtests
/// with size 1 too: a limit of 0, an empty copy.)
fn limits(size: usize) -> [Option<u64>; 4] {
    let size = size as u64;
    [None, Some(size - 1), Some(size / 2), Some(size + 1)]
}

/// One of Go's cases: the peer writes `size` bytes and closes; the copy reads the socket
/// `server`, through `limit` if set, into a new file.
async fn splice_file_case<H, S>(
    proto: &str,
    (mut client, mut server): (S, S),
    size: usize,
    limit: Option<u64>,
) where
    H: Harness,
    S: zc::Source<H::Rt> + zc::Sink<H::Rt> + Unpin,
{
    let case = format!("{}: {proto}, size {size}, limit {limit:?}", H::NAME);
    let data = pattern(size);
    let dst_std = file_with(b"");
    let check = dst_std.try_clone().expect("dup");
    let mut dst = H::file(dst_std).await;
    let want = limit.map_or(size, |l| size.min(l as usize));
    let (_, (report, left)) = zip(write_and_close(&mut client, &data), async {
        match limit {
            None => (zc::copy_report(&mut server, &mut dst).await, None),
            Some(l) => {
                let mut limited = Limited::new(&mut server, l);
                let report = zc::copy_report(&mut limited, &mut dst).await;
                (report, Some(limited.remaining()))
            }
        }
    })
    .await;
    let report = report.unwrap_or_else(|e| panic!("{case}: {e}"));
    assert_eq!(report.bytes(), want as u64, "{case}: bytes reported");
    if want > 0 {
        assert_eq!(report.path(), CopyPath::Splice, "{case}: {report:?}");
        assert_eq!(report.user_bytes(), 0, "{case}: {report:?}");
    }
    assert_eq!(
        H::file_position(&mut dst).await,
        want as u64,
        "{case}: file position"
    );
    assert!(
        content(&check) == data[..want],
        "{case}: the file's bytes differ"
    );
    if let (Some(l), Some(left)) = (limit, left) {
        assert_eq!(left, l - want as u64, "{case}: the limit left");
    }
    // What the limit left behind is still in the socket, in order.
    let rest = read_to_end(&mut server).await;
    assert!(
        rest == data[want..],
        "{case}: the socket's remaining bytes differ"
    );
}

fn socket_into_file_matches_gos_test_splice_file<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        for size in SIZES {
            for limit in limits(size) {
                splice_file_case::<H, _>("tcp", H::tcp_pair(), size, limit).await;
                splice_file_case::<H, _>("unix", H::unix_pair(), size, limit).await;
            }
        }
    });
}

fn proc_cmdline_into_a_file_copies_its_content<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let want = std::fs::read("/proc/self/cmdline").expect("read /proc/self/cmdline");
        assert!(!want.is_empty());
        let mut src = H::file(File::open("/proc/self/cmdline").unwrap()).await;
        let dst_std = file_with(b"");
        let check = dst_std.try_clone().expect("dup");
        let mut dst = H::file(dst_std).await;
        let report = zc::copy_report(&mut src, &mut dst).await.unwrap();
        assert_eq!(report.bytes(), want.len() as u64, "{}: {report:?}", H::NAME);
        assert_eq!(H::file_position(&mut dst).await, want.len() as u64);
        assert!(content(&check) == want, "{}: the copy differs", H::NAME);
    });
}

/// A pseudo-terminal: its controlling side, and its terminal opened read-write, blocking.
fn blocking_terminal() -> (File, File) {
    let master = rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
    rustix::pty::grantpt(&master).expect("grantpt");
    rustix::pty::unlockpt(&master).expect("unlockpt");
    let tty = rustix::pty::ioctl_tiocgptpeer(&master, OpenptFlags::RDWR | OpenptFlags::NOCTTY)
        .expect("open the terminal");
    (File::from(master), File::from(tty))
}

fn socket_into_a_blocking_terminal_ends_with_every_byte<H: Harness>() {
    const SIZE: usize = 32768;
    let _g = shared();
    let (master, tty) = blocking_terminal();
    // Drain the terminal's output (the line discipline may turn bytes into more bytes),
    // checking a flag between polls so the thread stops on its own.
    let stop = Arc::new(AtomicBool::new(false));
    let drainer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while !stop.load(Ordering::Relaxed) {
                let mut fds = [rustix::event::PollFd::new(
                    &master,
                    rustix::event::PollFlags::IN,
                )];
                let timeout = rustix::time::Timespec {
                    tv_sec: 0,
                    tv_nsec: 50_000_000,
                };
                if rustix::event::poll(&mut fds, Some(&timeout)).unwrap_or(0) == 0 {
                    continue;
                }
                if !matches!(rustix::io::read(master.as_fd(), &mut buf), Ok(n) if n > 0) {
                    return;
                }
            }
        })
    };
    H::block_on(async move {
        let (mut client, mut server) = H::tcp_pair();
        let mut dst = H::file(tty).await;
        let data = vec![b'a'; SIZE];
        let (_, report) = zip(
            async {
                // Go's case: the peer writes one 1 KiB block at a time.
                for block in data.chunks(1024) {
                    write_all(&mut client, block).await;
                }
                shutdown(&mut client).await;
            },
            zc::copy_report(&mut server, &mut dst),
        )
        .await;
        let report = report.unwrap_or_else(|e| panic!("{}: {e}", H::NAME));
        assert_eq!(report.bytes(), SIZE as u64, "{}: {report:?}", H::NAME);
        // A terminal opened as the runtime's file keeps the runtime's blocking pool.
        assert_eq!(report.path(), CopyPath::Buffered, "{}: {report:?}", H::NAME);
    });
    stop.store(true, Ordering::Relaxed);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !drainer.is_finished() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(drainer.is_finished(), "the terminal's reader did not stop");
}
