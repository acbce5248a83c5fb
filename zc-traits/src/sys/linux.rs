//! Linux: `sendfile(2)`, `splice(2)` and `copy_file_range(2)` through rustix, and the pipe pool.
//!
//! Every call retries `EINTR` itself; `EAGAIN` goes back to the caller, whose readiness handle
//! clears the readiness and waits. A syscall that answered `ENOSYS` is remembered in a
//! `static AtomicBool` and not tried again, as std's `kernel_copy` does; `EPERM` (a seccomp
//! filter, an immutable file) only makes the plan of the copy that met it fall back.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use rustix::fs::OFlags;
use rustix::io::Errno;
use rustix::pipe::{PipeFlags, SpliceFlags};

use super::{Call, Residency};

/// Why a copy has no kernel plan left once the calls that answered `ENOSYS` are dropped.
pub(crate) const NO_CALL: &str = "the kernel lacks the system call this copy needs (ENOSYS)";

/// sendfile(2) moves at most 0x7ffff000 bytes per call; so do the others, to be safe.
pub(crate) const MAX_CHUNK: usize = 0x7fff_f000;

/// The capacity asked of each pooled pipe with `F_SETPIPE_SZ` (the default
/// `/proc/sys/fs/pipe-max-size`); a refusal keeps the kernel's default of 64 KiB.
const PIPE_SIZE: usize = 1 << 20;

/// Pipes kept for reuse. More concurrent copies than this create and close their own.
const POOL_MAX: usize = 64;

static UNAVAILABLE: [AtomicBool; 4] = [
    AtomicBool::new(false),
    AtomicBool::new(false),
    AtomicBool::new(false),
    AtomicBool::new(false),
];

pub(crate) fn available(call: Call) -> bool {
    !UNAVAILABLE[call as usize].load(Ordering::Relaxed)
}

/// Remembers a syscall that can never work in this process (not built in, or filtered).
pub(crate) fn note_unavailable(err: &io::Error, call: Call) {
    if matches!(err.raw_os_error(), Some(e) if e == Errno::NOSYS.raw_os_error()) {
        UNAVAILABLE[call as usize].store(true, Ordering::Relaxed);
    }
}

/// Whether `err` is `EINVAL` from a call on `a` and `b` where one of them is open with
/// `O_DIRECT`: the alignment rule (whole blocks at aligned offsets), not a fault. One
/// `fcntl(F_GETFL)` per end, only on that error.
pub(crate) fn is_alignment_refusal(err: &io::Error, a: BorrowedFd<'_>, b: BorrowedFd<'_>) -> bool {
    err.raw_os_error() == Some(Errno::INVAL.raw_os_error())
        && [a, b]
            .into_iter()
            .any(|fd| rustix::fs::fcntl_getfl(fd).is_ok_and(|fl| fl.contains(OFlags::DIRECT)))
}

/// Errors that, before the first byte moved, mean "this kernel path does not fit these fds"
/// rather than "the copy failed": the plan falls back, and the next path continues.
pub(crate) fn falls_back(err: &io::Error) -> bool {
    let Some(raw) = err.raw_os_error() else {
        return false;
    };
    [
        Errno::INVAL,     // fd kinds the call does not support, O_APPEND for splice/sendfile
        Errno::NOSYS,     // not built into this kernel
        Errno::OPNOTSUPP, // the file system refuses (same value as ENOTSUP on Linux)
        Errno::XDEV,      // copy_file_range across file systems
        Errno::BADF,      // copy_file_range to O_APPEND; a source not open for reading
        Errno::PERM,      // seccomp filters, immutable files
        Errno::SPIPE,     // offsets on a non-seekable fd
    ]
    .iter()
    .any(|e| e.raw_os_error() == raw)
}

fn retry_eintr(mut f: impl FnMut() -> rustix::io::Result<usize>) -> io::Result<usize> {
    loop {
        match f() {
            Err(Errno::INTR) => continue,
            r => return r.map_err(io::Error::from),
        }
    }
}

/// `sendfile(2)` of at most `len` bytes from `input`'s offset into `out`, which must not
/// raise SIGPIPE (see [`sigpipe`](super::sigpipe)) when `out` is a socket or a pipe
/// (`guard`).
pub(crate) fn sendfile(
    out: BorrowedFd<'_>,
    input: BorrowedFd<'_>,
    len: usize,
    guard: bool,
) -> io::Result<usize> {
    fault::check(Call::Sendfile)?;
    let len = len.min(MAX_CHUNK);
    guarded(guard, len, || rustix::fs::sendfile(out, input, None, len))
}

/// `splice(2)` of at most `len` bytes; `guard` as for [`sendfile`].
pub(crate) fn splice(
    input: BorrowedFd<'_>,
    out: BorrowedFd<'_>,
    len: usize,
    guard: bool,
) -> io::Result<usize> {
    fault::check(Call::Splice)?;
    let flags = SpliceFlags::MOVE | SpliceFlags::NONBLOCK;
    let len = len.min(MAX_CHUNK);
    guarded(guard, len, || {
        rustix::pipe::splice(input, None, out, None, len, flags)
    })
}

/// Runs `call` (retrying `EINTR`), a write of at most `len` bytes, without SIGPIPE if `guard`.
fn guarded(
    guard: bool,
    len: usize,
    mut call: impl FnMut() -> rustix::io::Result<usize>,
) -> io::Result<usize> {
    if guard {
        super::sigpipe::write_without_sigpipe(len, || retry_eintr(&mut call))
    } else {
        retry_eintr(call)
    }
}

pub(crate) fn copy_file_range(
    input: BorrowedFd<'_>,
    out: BorrowedFd<'_>,
    len: usize,
) -> io::Result<usize> {
    fault::check(Call::CopyFileRange)?;
    retry_eintr(|| rustix::fs::copy_file_range(input, None, out, None, len.min(MAX_CHUNK)))
}

/// Whether a regular file has a byte at its current offset, without consuming it.
///
/// sendfile and copy_file_range answer 0 both at end of file and for pseudo files (`/proc`,
/// `/sys`) whose size reads as 0 but which have content; a positional read tells them apart.
pub(crate) fn has_more(fd: BorrowedFd<'_>) -> io::Result<bool> {
    let pos = rustix::fs::seek(fd, rustix::fs::SeekFrom::Current(0))?;
    let mut byte = [0u8; 1];
    Ok(retry_eintr(|| rustix::io::pread(fd, &mut byte, pos))? > 0)
}

static POOL: Mutex<Vec<Pipe>> = Mutex::new(Vec::new());
static PIPES_OPEN: AtomicUsize = AtomicUsize::new(0);

/// Pipes that zc has open right now: pooled ones and those lent to running copies.
pub(crate) fn pipes_open() -> usize {
    PIPES_OPEN.load(Ordering::Relaxed)
}

/// Pipes waiting in the pool.
pub(crate) fn pipes_pooled() -> usize {
    POOL.lock().map(|p| p.len()).unwrap_or(0)
}

/// A non-blocking, close-on-exec pipe for splice(2), taken from a bounded pool.
///
/// A pipe goes back to the pool only through [`Pipe::recycle`], which the copy calls when the
/// pipe is empty; dropping it anywhere else closes it, so bytes left inside are never
/// delivered to another copy.
#[derive(Debug)]
pub(crate) struct Pipe {
    read: OwnedFd,
    write: OwnedFd,
    capacity: usize,
}

impl Pipe {
    pub(crate) fn new() -> io::Result<Pipe> {
        fault::check(Call::Pipe)?;
        if let Some(pipe) = POOL.lock().ok().and_then(|mut pool| pool.pop()) {
            return Ok(pipe);
        }
        let (read, write) = rustix::pipe::pipe_with(PipeFlags::NONBLOCK | PipeFlags::CLOEXEC)?;
        let capacity = rustix::pipe::fcntl_setpipe_size(&write, PIPE_SIZE)
            .or_else(|_| rustix::pipe::fcntl_getpipe_size(&write))
            .unwrap_or(1 << 16);
        PIPES_OPEN.fetch_add(1, Ordering::Relaxed);
        Ok(Pipe {
            read,
            write,
            capacity,
        })
    }

    pub(crate) fn read_end(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }

    pub(crate) fn write_end(&self) -> BorrowedFd<'_> {
        self.write.as_fd()
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Reads what the pipe holds into `buf` (the pipe is non-blocking: `EAGAIN` when empty).
    pub(crate) fn drain_into(&self, buf: &mut [u8]) -> io::Result<usize> {
        retry_eintr(|| rustix::io::read(&self.read, &mut *buf))
    }

    /// Returns an empty pipe to the pool, or closes it when the pool is full.
    pub(crate) fn recycle(self) {
        if let Ok(mut pool) = POOL.lock() {
            if pool.len() < POOL_MAX {
                pool.push(self);
            }
        }
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        // Runs for pipes that leave the pool for good; pooled ones are moved, not dropped.
        PIPES_OPEN.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A test-only seam that makes the next kernel calls fail with a chosen errno.
#[cfg(feature = "fault-injection")]
pub(crate) mod fault {
    use super::Call;
    use std::cell::Cell;
    use std::io;

    thread_local! {
        static PLAN: Cell<Option<(Call, i32, u32)>> = const { Cell::new(None) };
    }

    /// From now on, on this thread, the `(skip + 1)`-th call of `call` fails with `errno`.
    pub(crate) fn inject(call: Call, errno: i32, skip: u32) {
        PLAN.with(|p| p.set(Some((call, errno, skip))));
    }

    pub(crate) fn clear() {
        PLAN.with(|p| p.set(None));
    }

    pub(crate) fn take() -> Option<u32> {
        PLAN.with(|p| p.take()).map(|(_, _, skip)| skip)
    }

    pub(crate) fn check(call: Call) -> io::Result<()> {
        PLAN.with(|p| match p.get() {
            Some((c, errno, 0)) if c == call => {
                p.set(None);
                Err(io::Error::from_raw_os_error(errno))
            }
            Some((c, errno, n)) if c == call => {
                p.set(Some((c, errno, n - 1)));
                Ok(())
            }
            _ => Ok(()),
        })
    }
}

#[cfg(not(feature = "fault-injection"))]
mod fault {
    use super::Call;
    use std::io;

    #[inline(always)]
    pub(crate) fn check(_call: Call) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(feature = "fault-injection")]
pub(crate) use fault::{clear as clear_fault, inject as inject_fault, take as take_fault};

/// Set once a kernel answers that it has no `RWF_NOWAIT` reads: no copy asks again.
static NOWAIT_UNSUPPORTED: AtomicBool = AtomicBool::new(false);

/// Whether the page of `fd` holding byte `at` is resident, without blocking: one
/// `preadv2(RWF_NOWAIT)` of that byte, which fails with `EAGAIN` rather than wait for the disk.
pub(crate) fn residency(fd: BorrowedFd<'_>, at: u64) -> Residency {
    if NOWAIT_UNSUPPORTED.load(Ordering::Relaxed) {
        return Residency::Unknown;
    }
    let mut byte = [0u8; 1];
    let mut bufs = [io::IoSliceMut::new(&mut byte)];
    loop {
        return match rustix::io::preadv2(fd, &mut bufs, at, rustix::io::ReadWriteFlags::NOWAIT) {
            Ok(_) => Residency::Resident,
            Err(Errno::AGAIN) => Residency::Cold,
            Err(Errno::INTR) => continue,
            Err(Errno::NOSYS | Errno::OPNOTSUPP) => {
                NOWAIT_UNSUPPORTED.store(true, Ordering::Relaxed);
                Residency::Unknown
            }
            Err(_) => Residency::Unknown,
        };
    }
}

/// Asks the kernel to read `len` bytes of `fd` from `at` into the page cache, without waiting
/// for them (`posix_fadvise(WILLNEED)` submits the reads).
pub(crate) fn read_ahead(fd: BorrowedFd<'_>, at: u64, len: usize) {
    let len = std::num::NonZeroU64::new(len as u64);
    let _ = rustix::fs::fadvise(fd, at, len, rustix::fs::Advice::WillNeed);
}

/// Makes `len` bytes of `fd` from `at` resident in the page cache, blocking: asks for them
/// all at once (`posix_fadvise(WILLNEED)`, which submits the reads), then waits for them with a
/// one-byte `pread` every 64 KiB and at the last byte (each returns once its page is read;
/// reading every byte into a buffer would cost a copy of the range, CPU the executor's thread
/// may share a core with). Advisory: an error stops it (the kernel step that follows reports
/// it, with the count), and the file's offset does not move.
pub(crate) fn make_resident(fd: BorrowedFd<'_>, at: u64, len: usize) {
    const STRIDE: usize = 64 << 10;
    read_ahead(fd, at, len);
    let len = len as u64;
    let mut byte = [0u8; 1];
    let last = len.saturating_sub(1);
    for k in (0..last).step_by(STRIDE).chain(std::iter::once(last)) {
        match retry_eintr(|| rustix::io::pread(fd, &mut byte, at + k)) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}
