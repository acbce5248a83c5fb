//! The syscalls of a small copy, counted with `strace -f -c` on a child process: a 16 KiB
//! file → TCP copy makes at most 6 syscalls besides the file's `open`/`close` (C's loop makes
//! 2: `fstat` and `sendfile`), and a long copy makes no syscall per kernel step besides the
//! copy call and the runtime's readiness wait.
//!
//! Each measurement runs a child twice, with `FEW` and with `MANY` copies, and takes the
//! difference per copy, so the runtime's start-up and the test harness cancel out. The
//! receiver is a thread of this (untraced) process. The child runs with SIGPIPE ignored, as a
//! Rust program does by default.
//!
//! Needs `strace` (CI installs it); the test fails, with advice, where it is missing.
#![cfg(target_os = "linux")]

mod support;

use std::collections::BTreeMap;
use std::io::Read;
use std::net::{TcpListener, TcpStream as StdTcpStream};
use std::path::Path;
use std::process::Command;

use support::{per_runtime, Harness};
use zc::CopyPath;
use zc_test_support::{child_mode, pattern, CHILD};

per_runtime!(
    relay_makes_no_syscall_but_splice_and_the_wait,
    small_file_to_tcp_makes_at_most_six_syscalls_per_copy,
    a_kernel_step_makes_no_syscall_but_the_copy_call_and_the_wait,
);

/// A runtime's TCP stream made from a connected std one.
trait FromStd: Harness {
    fn tcp(stream: StdTcpStream) -> Self::Tcp;
}

#[cfg(feature = "tokio")]
fn tokio_tcp(stream: StdTcpStream) -> tokio::net::TcpStream {
    stream.set_nonblocking(true).unwrap();
    tokio::net::TcpStream::from_std(stream).unwrap()
}

#[cfg(feature = "tokio")]
impl FromStd for support::tokio::CurrentThread {
    fn tcp(stream: StdTcpStream) -> Self::Tcp {
        tokio_tcp(stream)
    }
}

#[cfg(feature = "tokio")]
impl FromStd for support::tokio::MultiThread {
    fn tcp(stream: StdTcpStream) -> Self::Tcp {
        tokio_tcp(stream)
    }
}

#[cfg(feature = "smol")]
impl FromStd for support::smol::Smol {
    fn tcp(stream: StdTcpStream) -> Self::Tcp {
        ::smol::net::TcpStream::try_from(stream).unwrap()
    }
}

#[cfg(feature = "async-std")]
impl FromStd for support::async_std::AsyncStd {
    fn tcp(stream: StdTcpStream) -> Self::Tcp {
        ::async_std::net::TcpStream::from(stream)
    }
}

/// The copies of one child: `copies` times, open the file, copy it whole into one TCP
/// connection to `port`, close it. A small send buffer (`small_sndbuf`) makes each copy many
/// kernel steps.
fn child_copies<H: FromStd>(path: &Path, len: u64, copies: usize, port: u16, small_sndbuf: bool) {
    let stream = StdTcpStream::connect(("127.0.0.1", port)).unwrap();
    if small_sndbuf {
        rustix::net::sockopt::set_socket_send_buffer_size(&stream, 16 << 10).unwrap();
    }
    let path = path.to_owned();
    H::block_on(async move {
        let mut tx = H::tcp(stream);
        for _ in 0..copies {
            let mut file = std::fs::File::open(&path).unwrap();
            let report = zc::copy_report(&mut file, &mut tx).await.unwrap();
            assert_eq!(report.bytes(), len);
            assert_eq!(report.path(), CopyPath::Sendfile);
        }
    });
}

/// The relay of one child: `copy_bidirectional` between a connection from the feeder and one
/// to the receiver, both at `port`.
fn child_relay<H: FromStd>(total: u64, port: u16) {
    let feed = StdTcpStream::connect(("127.0.0.1", port)).unwrap();
    let out = StdTcpStream::connect(("127.0.0.1", port)).unwrap();
    H::block_on(async move {
        let (mut a, mut b) = (H::tcp(feed), H::tcp(out));
        let (ab, ba) = zc::copy_bidirectional_report(&mut a, &mut b).await.unwrap();
        assert_eq!(ab.bytes(), total);
        assert_eq!(ab.path(), CopyPath::Splice);
        assert_eq!(ba.bytes(), 0);
    });
}

/// Syscall name → calls, from `strace -c` output (`name(err)`: the calls that failed).
type Counts = BTreeMap<String, f64>;

/// Runs `test` of this binary as a child under `strace -f -c`, making `copies` copies of a
/// `len`-byte file into a connection to a receiver thread here; returns the syscall counts.
/// With `relay`, the child relays instead (`copy_bidirectional` between a connection from a
/// feeder thread here, which sends `len * copies` bytes, and one to the receiver).
fn traced_child(test: &str, len: usize, copies: usize, small_sndbuf: bool) -> Counts {
    traced(test, len, copies, small_sndbuf, false)
}

fn traced(test: &str, len: usize, copies: usize, small_sndbuf: bool, relay: bool) -> Counts {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data");
    std::fs::write(&file, pattern(len)).unwrap();
    let out = dir.path().join("strace.out");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let total = len * copies;
    let receiver = std::thread::spawn(move || {
        if relay {
            let (mut feed, _) = listener.accept().unwrap();
            std::thread::spawn(move || {
                let chunk = pattern(1 << 20);
                let mut left = total;
                while left > 0 {
                    let n = left.min(chunk.len());
                    std::io::Write::write_all(&mut feed, &chunk[..n]).unwrap();
                    left -= n;
                }
                feed.shutdown(std::net::Shutdown::Write).unwrap();
                let _ = feed.read_to_end(&mut Vec::new());
            });
        }
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = vec![0u8; 1 << 20];
        let mut total = 0u64;
        loop {
            match conn.read(&mut buf) {
                Ok(0) | Err(_) => return total,
                Ok(n) => total += n as u64,
            }
        }
    });
    let run = Command::new("strace")
        .args(["-f", "-c", "-o"])
        .arg(&out)
        .arg("--")
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, "syscalls")
        .env("ZC_SYSCALLS_FILE", &file)
        .env("ZC_SYSCALLS_LEN", len.to_string())
        .env("ZC_SYSCALLS_COPIES", copies.to_string())
        .env("ZC_SYSCALLS_PORT", port.to_string())
        .env("ZC_SYSCALLS_RELAY", if relay { "1" } else { "0" })
        .env(
            "ZC_SYSCALLS_SMALL_SNDBUF",
            if small_sndbuf { "1" } else { "0" },
        )
        .output()
        .unwrap_or_else(|e| panic!("this test needs strace (apt-get install strace): {e}"));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success() && stdout.contains("ZC-CHILD-OK syscalls"),
        "the traced child failed: {:?}\n{stdout}\n{}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        receiver.join().unwrap(),
        (len * copies) as u64,
        "bytes received"
    );
    parse_strace_c(&std::fs::read_to_string(&out).unwrap())
}

/// `strace -c`'s table: `% time  seconds  usecs/call  calls  [errors]  syscall`.
fn parse_strace_c(table: &str) -> Counts {
    let mut counts = Counts::new();
    for line in table.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < 5 || cols[0].parse::<f64>().is_err() || cols.last() == Some(&"total") {
            continue;
        }
        let calls: f64 = cols[3].parse().unwrap();
        let name = cols.last().unwrap().to_string();
        if cols.len() == 6 {
            let errors: f64 = cols[4].parse().unwrap();
            *counts.entry(format!("{name}(err)")).or_default() += errors;
        }
        *counts.entry(name).or_default() += calls;
    }
    counts
}

/// Syscalls per copy: the difference between a run of `MANY` and one of `FEW` copies.
fn per_copy(test: &str, len: usize, small_sndbuf: bool) -> Counts {
    // Few enough to keep the test short under strace, enough to average the wake-ups out.
    let (few, many) = if small_sndbuf { (10, 40) } else { (20, 100) };
    difference(few, many, |copies| {
        traced_child(test, len, copies, small_sndbuf)
    })
}

/// Per unit: the counts of `many` units less those of `few`, over `many - few`.
fn difference(few: usize, many: usize, run: impl Fn(usize) -> Counts) -> Counts {
    let (copies, few) = (few, run(few));
    let (more, many) = (many, run(many));
    let mut per = Counts::new();
    for (name, calls) in &many {
        let diff = (calls - few.get(name).copied().unwrap_or(0.0)) / (more - copies) as f64;
        if diff.abs() >= 0.005 {
            per.insert(name.clone(), diff);
        }
    }
    if cfg!(debug_assertions) {
        // std's debug check that an fd is still open when it is closed: one `F_GETFD` each.
        let closes = per.get("close").copied().unwrap_or(0.0);
        if let Some(fcntl) = per.get_mut("fcntl") {
            *fcntl -= closes;
        }
    }
    per
}

/// The child's part, when this process is one; `true` then.
fn run_as_child<H: FromStd>() -> bool {
    if child_mode().as_deref() != Some("syscalls") {
        return false;
    }
    let var = |name: &str| std::env::var(name).unwrap();
    if var("ZC_SYSCALLS_RELAY") == "1" {
        let total = var("ZC_SYSCALLS_LEN").parse::<u64>().unwrap()
            * var("ZC_SYSCALLS_COPIES").parse::<u64>().unwrap();
        child_relay::<H>(total, var("ZC_SYSCALLS_PORT").parse().unwrap());
        println!("ZC-CHILD-OK syscalls");
        return true;
    }
    child_copies::<H>(
        Path::new(&var("ZC_SYSCALLS_FILE")),
        var("ZC_SYSCALLS_LEN").parse().unwrap(),
        var("ZC_SYSCALLS_COPIES").parse().unwrap(),
        var("ZC_SYSCALLS_PORT").parse().unwrap(),
        var("ZC_SYSCALLS_SMALL_SNDBUF") == "1",
    );
    println!("ZC-CHILD-OK syscalls");
    true
}

fn module<H: Harness>() -> &'static str {
    match H::NAME {
        "tokio current_thread" => "tokio_current_thread",
        "tokio multi_thread" => "tokio_multi_thread",
        name if name.starts_with("smol") => "smol",
        _ => "async_std",
    }
}

/// The syscalls that are the file's own (`open`, `close`) or the runtime's way to wait for
/// readiness and to wake a thread (`epoll_wait`, `futex`, ...), as opposed to the copy's.
fn is_open_close(name: &str) -> bool {
    // `name(err)` repeats calls already counted under `name`.
    matches!(name, "openat" | "open" | "close") || name.ends_with("(err)")
}

fn is_wait(name: &str) -> bool {
    name.starts_with("epoll_wait")
        || name.starts_with("epoll_pwait")
        // async-io re-arms its oneshot registration and its timer on each wait.
        || name == "epoll_ctl"
        || name == "timerfd_settime"
        || name == "futex"
        || name == "sched_yield"
        // A runtime's wake-up of its reactor: tokio's and async-io's eventfd, mio's waker.
        || name == "write"
        || name == "read"
}

fn show(per: &Counts) -> String {
    per.iter()
        .map(|(name, n)| format!("{name} {n:.2}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn small_file_to_tcp_makes_at_most_six_syscalls_per_copy<H: FromStd>() {
    if run_as_child::<H>() {
        return;
    }
    let _g = zc_test_support::exclusive();
    let test = format!(
        "{}::small_file_to_tcp_makes_at_most_six_syscalls_per_copy",
        module::<H>()
    );
    let per = per_copy(&test, 16 << 10, false);
    let copy: f64 = per
        .iter()
        .filter(|(name, _)| !is_open_close(name))
        .map(|(_, n)| n)
        .sum();
    eprintln!("{}: per 16 KiB copy: {}", H::NAME, show(&per));
    assert!(
        copy <= 6.0,
        "{}: {copy:.2} syscalls per 16 KiB file → TCP copy besides open/close (at most 6): {}",
        H::NAME,
        show(&per)
    );
    // Exactly one sendfile: the size is known, so no last call that returns 0.
    let sendfile = per.get("sendfile").copied().unwrap_or(0.0);
    assert!(
        (sendfile - 1.0).abs() < 0.05,
        "{}: {sendfile:.2} sendfile calls per copy, want 1: {}",
        H::NAME,
        show(&per)
    );
}

fn a_kernel_step_makes_no_syscall_but_the_copy_call_and_the_wait<H: FromStd>() {
    if run_as_child::<H>() {
        return;
    }
    let _g = zc_test_support::exclusive();
    let test = format!(
        "{}::a_kernel_step_makes_no_syscall_but_the_copy_call_and_the_wait",
        module::<H>()
    );
    // 256 KiB through a 16 KiB send buffer: many sendfile calls per copy.
    let per = per_copy(&test, 256 << 10, true);
    eprintln!("{}: per 256 KiB copy: {}", H::NAME, show(&per));
    let sendfile = per.get("sendfile").copied().unwrap_or(0.0);
    assert!(
        sendfile >= 4.0,
        "{}: only {sendfile:.2} sendfile calls per copy; the test needs many steps",
        H::NAME
    );
    let other: f64 = per
        .iter()
        .filter(|(name, _)| !is_open_close(name) && !is_wait(name) && *name != "sendfile")
        .map(|(_, n)| n)
        .sum();
    // The per-copy syscalls and nothing that grows with the steps: the file's fstat, on
    // async-std the duplicate of the socket that its wait needs (fcntl, ioctl), and the
    // page-cache check (issue 15): one preadv2(RWF_NOWAIT) of the file's last byte, the end
    // of the range every step here may take (no lseek: a step to the file's end needs no
    // offset).
    assert!(
        other <= 5.5,
        "{}: {other:.2} syscalls per copy besides sendfile ({sendfile:.1}), the readiness wait \
         and open/close: a kernel step makes more than its copy call: {}",
        H::NAME,
        show(&per)
    );
}

fn relay_makes_no_syscall_but_splice_and_the_wait<H: FromStd>() {
    if run_as_child::<H>() {
        return;
    }
    let _g = zc_test_support::exclusive();
    let test = format!(
        "{}::relay_makes_no_syscall_but_splice_and_the_wait",
        module::<H>()
    );
    // Per MiB relayed: the difference between relays of 48 and 16 MiB.
    let run = |mib| traced(&test, 1 << 20, mib, false, true);
    let (few, many) = (run(16), run(48));
    let per = difference(
        16,
        48,
        |mib| if mib == 16 { few.clone() } else { many.clone() },
    );
    eprintln!("{}: per MiB relayed: {}", H::NAME, show(&per));
    // What the relay once made per kernel step: the SIGPIPE probe (send(0) + poll) and
    // kind checks. None of them may grow with the bytes now.
    let probes: f64 = per
        .iter()
        .filter(|(name, _)| {
            matches!(
                name.as_str(),
                "sendto" | "ppoll" | "poll" | "fstat" | "newfstatat" | "statx" | "getsockopt"
            )
        })
        .map(|(_, n)| n)
        .sum();
    assert!(
        probes <= 0.05,
        "{}: {probes:.2} probe or kind syscalls per MiB relayed: {}",
        H::NAME,
        show(&per)
    );
    // The splices themselves, counted in the longer run alone: a difference of two runs can
    // come out below one per MiB when the shorter run met more `EAGAIN`s on a busy machine.
    // Every MiB needs at least one splice into the pipe and one out of it.
    let splices = many.get("splice").copied().unwrap_or(0.0);
    assert!(
        splices >= 2.0 * 48.0,
        "{}: the relay did not splice ({splices} splices for 48 MiB): {}",
        H::NAME,
        show(&many)
    );
}
