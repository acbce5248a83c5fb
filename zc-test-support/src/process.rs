//! The process: fd and CPU-time accounting, the lock of tests that read process-wide
//! counters, a test re-run as a child process, SIGPIPE.

use std::process::{Command, Output};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

static COUNTERS: RwLock<()> = RwLock::new(());

/// Held by a test that may disturb process-wide counters but does not read them, where its
/// binary has tests that do (they take [`exclusive`]).
pub fn shared() -> RwLockReadGuard<'static, ()> {
    COUNTERS.read().unwrap_or_else(|p| p.into_inner())
}

/// Held by a test that compares process-wide counters (open fds, zc's pipes, process CPU
/// time) before and after: no other test of its binary that takes this lock or [`shared`]
/// runs meanwhile.
pub fn exclusive() -> RwLockWriteGuard<'static, ()> {
    COUNTERS.write().unwrap_or_else(|p| p.into_inner())
}

/// `ZC_HEAVY=1` asks for the heavier variants (bigger sizes, more iterations).
pub fn heavy() -> bool {
    std::env::var_os("ZC_HEAVY").is_some_and(|v| v != "0")
}

/// The fds this process has open, from `/proc/self/fd` (not counting the directory's own fd).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count() - 1
}

/// fds held by zc's splice pipes (pooled or lent): two per pipe.
pub fn zc_pipe_fds() -> usize {
    2 * zc_traits::diagnostics::pipes_open()
}

/// CPU time this process has used, all threads.
pub fn process_cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// CPU time the calling thread has used (user + system).
pub fn thread_cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// Raises this process's soft limit on open fds to at least `want` (up to the hard limit),
/// for tests that hold many sockets at once.
pub fn raise_fd_limit(want: u64) {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    let hard = limit.maximum;
    if limit.current.is_some_and(|soft| soft < want) {
        limit.current = Some(hard.map_or(want, |hard| hard.min(want)));
        let _ = setrlimit(Resource::Nofile, limit);
    }
}

/// While alive, this process can open no fd: its soft limit on open fds is lowered to the
/// lowest fd number that is free, so the next `open`, `dup` or `pipe` fails with `EMFILE`.
/// Dropping it restores the limit. For tests that run one at a time (other threads of the
/// process cannot open fds either meanwhile).
#[derive(Debug)]
pub struct NoFdLeft(rustix::process::Rlimit);

/// Lowers the limit on open fds to the fds open now: see [`NoFdLeft`].
pub fn no_fd_left() -> NoFdLeft {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let saved = getrlimit(Resource::Nofile);
    // The lowest free fd number: every lower one is in use.
    let probe = std::fs::File::open("/dev/null").expect("open /dev/null");
    let lowest_free = std::os::fd::AsRawFd::as_raw_fd(&probe) as u64;
    drop(probe);
    let mut limit = saved;
    limit.current = Some(lowest_free);
    setrlimit(Resource::Nofile, limit).expect("lower RLIMIT_NOFILE");
    NoFdLeft(saved)
}

impl Drop for NoFdLeft {
    fn drop(&mut self) {
        let _ = rustix::process::setrlimit(rustix::process::Resource::Nofile, self.0);
    }
}

/// The environment variable that turns a test of this binary into a child's part.
pub const CHILD: &str = "ZC_TEST_CHILD";

/// This process's role when it is a child re-run of a test ([`spawn_child`]).
pub fn child_mode() -> Option<String> {
    std::env::var(CHILD).ok()
}

/// Re-runs this test binary on exactly `test` with `CHILD=mode`; returns its status and
/// output.
pub fn spawn_child(test: &str, mode: &str) -> Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, mode)
        .output()
        .unwrap()
}

/// From now on a SIGPIPE kills this process, as the default disposition does.
///
/// Rust's runtime ignores SIGPIPE at start-up and no safe std API resets it, so this installs
/// signal-hook's emulation of the default action (restore `SIG_DFL`, re-raise), and checks in
/// `/proc/self/status` that SIGPIPE is no longer ignored. For a child process
/// ([`spawn_child`]): the change is for the whole process.
pub fn make_sigpipe_fatal() {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    signal_hook::flag::register_conditional_default(
        signal_hook::consts::SIGPIPE,
        Arc::new(AtomicBool::new(true)),
    )
    .unwrap();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let mask = |name: &str| {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap();
        u64::from_str_radix(line.split_whitespace().nth(1).unwrap(), 16).unwrap()
    };
    let bit = 1u64 << (signal_hook::consts::SIGPIPE - 1);
    assert_eq!(mask("SigIgn:") & bit, 0, "SIGPIPE must not be ignored");
    assert_ne!(
        mask("SigCgt:") & bit,
        0,
        "SIGPIPE must be caught (and fatal)"
    );
}
