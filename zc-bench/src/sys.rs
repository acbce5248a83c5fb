//! Measurement (CPU clocks, peak RSS) and the kernel-limit loops, all through rustix.

use std::fs::File;
use std::io::{self, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use rustix::io::Errno;
use rustix::time::{clock_gettime, ClockId};

/// `sendfile(2)`'s per-call maximum.
const MAX_CHUNK: usize = 0x7fff_f000;

/// CPU time of the whole process, every thread included (user + sys), in nanoseconds.
///
/// A runtime's helper threads (tokio's blocking pool for file reads, async-io's reactor
/// thread) do work for the sender, so the sender runs in a process of its own and this clock
/// charges it all.
pub fn process_cpu_ns() -> u64 {
    let t = clock_gettime(ClockId::ProcessCPUTime);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// CPU time of the calling thread (user + sys), in nanoseconds.
pub fn thread_cpu_ns() -> u64 {
    let t = clock_gettime(ClockId::ThreadCPUTime);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// User and system time of the process in clock ticks, from `/proc/self/stat` (fields 14, 15).
pub fn process_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name (field 2) may hold spaces; the fields after it are plain numbers.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse().ok()).unwrap_or(0);
    (field(14), field(15))
}

/// Resets the peak RSS (`VmHWM`) to the current RSS (Linux ≥ 4.0), so the next reading is
/// the peak of what follows. Returns false where the kernel does not allow it.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// `VmHWM` of `/proc/self/status`: the peak resident set size, in KiB.
pub fn peak_rss_kib() -> u64 {
    status_field("VmHWM:")
}

fn status_field(name: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Context switches (voluntary + involuntary) of every thread of the process so far: how
/// often the sender slept and woke up.
pub fn context_switches() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .map(|t| {
            let status = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
            status
                .lines()
                .filter_map(|l| {
                    l.strip_prefix("voluntary_ctxt_switches:")
                        .or_else(|| l.strip_prefix("nonvoluntary_ctxt_switches:"))
                })
                .filter_map(|v| v.trim().parse::<u64>().ok())
                .sum::<u64>()
        })
        .sum()
}

/// The measured part of one run, started just before the work and read just after.
#[derive(Debug)]
pub struct Meter {
    wall: Instant,
    cpu_ns: u64,
    ticks: (u64, u64),
    switches: u64,
}

impl Meter {
    pub fn start() -> Meter {
        reset_peak_rss();
        Meter {
            switches: context_switches(),
            ticks: process_ticks(),
            cpu_ns: process_cpu_ns(),
            wall: {
                mark("start");
                Instant::now()
            },
        }
    }

    pub fn finish(self, bytes: u64, path: &str) -> Sample {
        let wall = self.wall.elapsed();
        mark("stop");
        let cpu_ns = process_cpu_ns() - self.cpu_ns;
        let (user, sys) = process_ticks();
        Sample {
            bytes,
            wall_ns: wall.as_nanos() as u64,
            cpu_ns,
            user_ticks: user - self.ticks.0,
            sys_ticks: sys - self.ticks.1,
            peak_rss_kib: peak_rss_kib(),
            switches: context_switches().saturating_sub(self.switches),
            path: if path.is_empty() {
                "-".into()
            } else {
                path.into()
            },
            peer_cpu_ns: 0,
            gap_us: 0,
            disk_steps: 0,
            syscalls: None,
        }
    }
}

/// What the child process measured in one run.
#[derive(Debug, Clone)]
pub struct Sample {
    pub bytes: u64,
    pub wall_ns: u64,
    pub cpu_ns: u64,
    pub user_ticks: u64,
    pub sys_ticks: u64,
    pub peak_rss_kib: u64,
    /// Context switches of the sending process during the run (threads that ended during
    /// the run are not counted).
    pub switches: u64,
    /// The path zc reported (`sendfile`, `splice`, ...), or `-`.
    pub path: String,
    /// CPU time of the parent's peer threads (receivers) during the run, filled in by the
    /// parent: on loopback, part of one side's TCP work runs in the other side's context.
    pub peer_cpu_ns: u64,
    /// Scenario 7: the longest gap between two wake-ups of the 1 ms probe task, in µs.
    pub gap_us: u64,
    /// Scenario 7: kernel steps zc read off the executor thread (`Report::disk_wait_steps`).
    pub disk_steps: u64,
    /// Syscalls of the measured part, from the extra run under `strace` (filled in by the
    /// parent; only on that run's sample).
    pub syscalls: Option<crate::trace::Counts>,
}

impl Sample {
    /// The line the child prints and the parent parses.
    pub fn to_line(&self) -> String {
        format!(
            "RESULT bytes={} wall_ns={} cpu_ns={} user_ticks={} sys_ticks={} peak_rss_kib={} switches={} gap_us={} disk_steps={} path={}",
            self.bytes,
            self.wall_ns,
            self.cpu_ns,
            self.user_ticks,
            self.sys_ticks,
            self.peak_rss_kib,
            self.switches,
            self.gap_us,
            self.disk_steps,
            self.path
        )
    }

    pub fn from_line(line: &str) -> Option<Sample> {
        let rest = line.strip_prefix("RESULT ")?;
        let get = |key: &str| {
            rest.split(' ')
                .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        };
        let num = |key: &str| get(key)?.parse().ok();
        Some(Sample {
            bytes: num("bytes")?,
            wall_ns: num("wall_ns")?,
            cpu_ns: num("cpu_ns")?,
            user_ticks: num("user_ticks")?,
            sys_ticks: num("sys_ticks")?,
            peak_rss_kib: num("peak_rss_kib")?,
            switches: num("switches")?,
            path: get("path")?.to_owned(),
            peer_cpu_ns: 0,
            gap_us: num("gap_us").unwrap_or(0),
            disk_steps: num("disk_steps").unwrap_or(0),
            syscalls: None,
        })
    }

    pub fn wall(&self) -> Duration {
        Duration::from_nanos(self.wall_ns)
    }
}

fn retry<T>(mut f: impl FnMut() -> rustix::io::Result<T>) -> io::Result<T> {
    loop {
        match f() {
            Err(Errno::INTR) => continue,
            r => return r.map_err(io::Error::from),
        }
    }
}

/// File → socket without an event loop: `sendfile(2)` on blocking fds until end of file.
pub fn sendfile_all(file: &File, sock: &TcpStream) -> io::Result<u64> {
    let mut total = 0;
    loop {
        match retry(|| rustix::fs::sendfile(sock, file, None, MAX_CHUNK))? {
            0 => return Ok(total),
            n => total += n as u64,
        }
    }
}

/// The C reference for file → file: `copy_file_range(2)` until end of file.
pub fn copy_file_range_all(src: &File, dst: &File) -> io::Result<u64> {
    let mut total = 0;
    loop {
        match retry(|| rustix::fs::copy_file_range(src, None, dst, None, MAX_CHUNK))? {
            0 => return Ok(total),
            n => total += n as u64,
        }
    }
}

/// Asks for a `size`-byte pipe (`F_SETPIPE_SZ`); where `/proc/sys/fs/pipe-max-size` is lower,
/// keeps what the kernel gives.
fn pipe_capacity(pipe: &std::os::fd::OwnedFd, size: usize) -> usize {
    rustix::pipe::fcntl_setpipe_size(pipe, size)
        .or_else(|_| rustix::pipe::fcntl_getpipe_size(pipe))
        .unwrap_or(1 << 16)
}

/// Socket → socket without an event loop: `splice(2)` through one pipe of `pipe_size` bytes,
/// on blocking fds, until the source's end of file. Returns the bytes relayed.
pub fn splice_all(src: &TcpStream, dst: &TcpStream, pipe_size: usize) -> io::Result<u64> {
    use rustix::pipe::SpliceFlags;
    let (pipe_out, pipe_in) = rustix::pipe::pipe()?;
    let size = pipe_capacity(&pipe_in, pipe_size);
    let mut total = 0;
    loop {
        let n = retry(|| rustix::pipe::splice(src, None, &pipe_in, None, size, SpliceFlags::MOVE))?;
        if n == 0 {
            return Ok(total);
        }
        let mut left = n;
        while left > 0 {
            let m = retry(|| {
                rustix::pipe::splice(&pipe_out, None, dst, None, left, SpliceFlags::MOVE)
            })?;
            if m == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            left -= m;
        }
        total += n as u64;
    }
}

/// A receiver that never copies to user space: `splice(2)` from the socket through a pipe
/// into `/dev/null`, until the peer's end of stream. Returns the bytes received.
pub fn splice_to_null(sock: &TcpStream) -> io::Result<u64> {
    use rustix::pipe::SpliceFlags;
    let null = std::fs::OpenOptions::new().write(true).open("/dev/null")?;
    let (pipe_out, pipe_in) = rustix::pipe::pipe()?;
    let size = pipe_capacity(&pipe_in, 1 << 20);
    let mut total = 0;
    loop {
        let n =
            retry(|| rustix::pipe::splice(sock, None, &pipe_in, None, size, SpliceFlags::MOVE))?;
        if n == 0 {
            return Ok(total);
        }
        let mut left = n;
        while left > 0 {
            left -= retry(|| {
                rustix::pipe::splice(&pipe_out, None, &null, None, left, SpliceFlags::MOVE)
            })?;
        }
        total += n as u64;
    }
}

/// Reads until the peer closes; the first byte that arrives instead is an error.
pub fn wait_eof(sock: &mut TcpStream) -> io::Result<()> {
    let mut byte = [0u8; 1];
    match sock.read(&mut byte)? {
        0 => Ok(()),
        _ => Err(io::Error::other("the peer sent bytes instead of closing")),
    }
}

/// Waits up to `timeout` for a connection on `listener`.
pub fn accept_timeout(
    listener: &std::net::TcpListener,
    timeout: Duration,
) -> io::Result<TcpStream> {
    use rustix::event::{PollFd, PollFlags};
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no connection from the child process",
            ));
        }
        let mut fds = [PollFd::new(listener, PollFlags::IN)];
        let ts = rustix::time::Timespec {
            tv_sec: left.as_secs().min(1) as i64,
            tv_nsec: 0,
        };
        if retry(|| rustix::event::poll(&mut fds, Some(&ts)))? > 0 {
            let (sock, _) = listener.accept()?;
            return Ok(sock);
        }
    }
}

/// Facts about the machine for the report's header.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")?
                .split_once(':')
                .map(|x| x.1.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mem_kib = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("MemTotal:")?
                .split_whitespace()
                .next()?
                .parse::<u64>()
                .ok()
        })
        .unwrap_or(0);
    format!(
        "{cpu}, {cores} cores, {} GiB RAM, Linux {}",
        mem_kib >> 20,
        kernel.trim()
    )
}

/// The 1-, 5- and 15-minute load averages.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Pins the calling thread, and the threads and processes it starts afterwards, to `cpu`.
pub fn pin_to_cpu(cpu: usize) -> io::Result<()> {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    rustix::thread::sched_setaffinity(None, &set).map_err(io::Error::from)
}

/// Waits until `fd` is ready for `flags` (no timeout: the child's watchdog bounds the run).
fn wait_ready(fd: &impl std::os::fd::AsFd, flags: rustix::event::PollFlags) -> io::Result<()> {
    let mut fds = [rustix::event::PollFd::new(fd, flags)];
    retry(|| rustix::event::poll(&mut fds, None)).map(drop)
}

/// The C reference for file → socket, what an event-loop sender written in C does: `sendfile(2)`
/// on a non-blocking socket, at most `chunk` bytes per call, and `poll(2)` when the socket is
/// full.
pub fn sendfile_all_nonblocking(file: &File, sock: &TcpStream, chunk: usize) -> io::Result<u64> {
    sock.set_nonblocking(true)?;
    let mut total = 0;
    loop {
        match rustix::fs::sendfile(sock, file, None, chunk) {
            Ok(0) => break,
            Ok(n) => total += n as u64,
            Err(Errno::AGAIN) => wait_ready(sock, rustix::event::PollFlags::OUT)?,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    sock.set_nonblocking(false)?;
    Ok(total)
}

/// The C reference for a relay: [`splice_all`] on non-blocking sockets and pipe, with `poll(2)`
/// on `EAGAIN`; the pipe is emptied into `dst` before it is refilled from `src`.
pub fn splice_all_nonblocking(
    src: &TcpStream,
    dst: &TcpStream,
    pipe_size: usize,
) -> io::Result<u64> {
    use rustix::event::PollFlags;
    use rustix::pipe::{PipeFlags, SpliceFlags};
    src.set_nonblocking(true)?;
    dst.set_nonblocking(true)?;
    let (pipe_out, pipe_in) = rustix::pipe::pipe_with(PipeFlags::NONBLOCK | PipeFlags::CLOEXEC)?;
    let size = pipe_capacity(&pipe_in, pipe_size);
    let flags = SpliceFlags::MOVE | SpliceFlags::NONBLOCK;
    let (mut total, mut in_pipe) = (0u64, 0usize);
    loop {
        if in_pipe == 0 {
            match rustix::pipe::splice(src, None, &pipe_in, None, size, flags) {
                Ok(0) => break,
                Ok(n) => {
                    in_pipe = n;
                    total += n as u64;
                }
                Err(Errno::AGAIN) => wait_ready(src, PollFlags::IN)?,
                Err(Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        } else {
            match rustix::pipe::splice(&pipe_out, None, dst, None, in_pipe, flags) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => in_pipe -= n,
                Err(Errno::AGAIN) => wait_ready(dst, PollFlags::OUT)?,
                Err(Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    src.set_nonblocking(false)?;
    dst.set_nonblocking(false)?;
    Ok(total)
}

/// The C reference for a small file: `fstat` for the size, then `sendfile(2)` of exactly that
/// many bytes into the (non-blocking) socket, `poll(2)` when it is full. No call returns 0 at
/// the end, as in a C server that knows the size. Returns the bytes sent.
pub fn sendfile_sized_nonblocking(file: &File, sock: &TcpStream) -> io::Result<u64> {
    let size = rustix::fs::fstat(file)?.st_size as u64;
    let mut sent = 0;
    while sent < size {
        let want = (size - sent).min(MAX_CHUNK as u64) as usize;
        match rustix::fs::sendfile(sock, file, None, want) {
            Ok(0) => break,
            Ok(n) => sent += n as u64,
            Err(Errno::AGAIN) => wait_ready(sock, rustix::event::PollFlags::OUT)?,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(sent)
}

/// The C reference for many clients: one thread, every socket non-blocking, `poll(2)` over the
/// ones still sending, and `sendfile(2)` of at most `chunk` bytes into each writable one.
/// Each socket is half-closed once its file is sent. Returns the bytes sent.
pub fn sendfile_many_nonblocking(pairs: &[(File, &TcpStream)], chunk: usize) -> io::Result<u64> {
    use rustix::event::{PollFd, PollFlags};
    for (_, sock) in pairs {
        sock.set_nonblocking(true)?;
    }
    let mut open: Vec<usize> = (0..pairs.len()).collect();
    let mut total = 0;
    while !open.is_empty() {
        let mut fds: Vec<PollFd<'_>> = open
            .iter()
            .map(|&i| PollFd::new(pairs[i].1, PollFlags::OUT))
            .collect();
        retry(|| rustix::event::poll(&mut fds, None))?;
        let ready: Vec<bool> = fds.iter().map(|f| !f.revents().is_empty()).collect();
        drop(fds);
        let mut still = Vec::with_capacity(open.len());
        for (&i, ready) in open.iter().zip(ready) {
            let (file, sock) = &pairs[i];
            let done = ready
                && loop {
                    match rustix::fs::sendfile(sock, file, None, chunk) {
                        Ok(0) => break true,
                        Ok(n) => total += n as u64,
                        Err(Errno::AGAIN) => break false,
                        Err(Errno::INTR) => {}
                        Err(e) => return Err(e.into()),
                    }
                };
            if done {
                sock.shutdown(std::net::Shutdown::Write)?;
            } else {
                still.push(i);
            }
        }
        open = still;
    }
    for (_, sock) in pairs {
        sock.set_nonblocking(false)?;
    }
    Ok(total)
}

/// Whether [`mark`] makes its marker syscall (the child under `strace`).
static MARKS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The path of the marker syscall [`mark`] makes, which a syscall trace shows.
pub fn marker(which: &str) -> String {
    format!("/zc-bench-mark-{which}")
}

/// Turns the markers of [`mark`] on, for a child that runs under `strace`.
pub fn enable_marks() {
    MARKS.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Makes one syscall a trace can find (`faccessat` on [`marker`]`(which)`, which fails), so
/// the parent counts only the syscalls between the `start` and `stop` marks.
pub fn mark(which: &str) {
    if MARKS.load(std::sync::atomic::Ordering::Relaxed) {
        let _ = rustix::fs::access(marker(which).as_str(), rustix::fs::Access::EXISTS);
    }
}
