//! Platform code, in one place: the Linux syscalls (through rustix, `linux.rs`) beside a
//! portable stand-in (`other.rs`) that makes every kernel plan unavailable, so other Unix
//! platforms take the buffered path; what is the same on every Unix (what an fd is, the
//! same-file check, positioned file I/O) is here. `--cfg zc_portable` selects the stand-in on
//! Linux too, so that CI builds and tests it.

#[cfg(all(any(target_os = "linux", target_os = "android"), not(zc_portable)))]
mod linux;
#[cfg(all(any(target_os = "linux", target_os = "android"), not(zc_portable)))]
pub(crate) use linux::*;
#[cfg(all(any(target_os = "linux", target_os = "android"), not(zc_portable)))]
mod sigpipe;

#[cfg(not(all(any(target_os = "linux", target_os = "android"), not(zc_portable))))]
mod other;
#[cfg(not(all(any(target_os = "linux", target_os = "android"), not(zc_portable))))]
pub(crate) use other::*;

/// A resource of the kernel path's own that could not be made, one the buffered path does not
/// need: an fd for a watch duplicate or for the SIGPIPE signalfd (`EMFILE`, `ENFILE`), memory,
/// a reactor registration. Not a fault of the copy: the kernel stage hands it to the buffered
/// path at the exact offsets, before or after bytes moved (`Step::FallbackToBuffered`), which
/// is what `tokio::io::copy` would have done from the start.
#[derive(Debug)]
struct NoKernelResource {
    what: &'static str,
    err: std::io::Error,
}

impl std::fmt::Display for NoKernelResource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} cannot be made: {}", self.what, self.err)
    }
}

impl std::error::Error for NoKernelResource {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.err)
    }
}

/// `err`, the error of making `what` for the kernel path, marked as [`lacks_kernel_resource`].
pub(crate) fn no_kernel_resource(what: &'static str, err: std::io::Error) -> std::io::Error {
    std::io::Error::new(err.kind(), NoKernelResource { what, err })
}

/// Whether `err` says a resource of the kernel path's own could not be made (see
/// [`no_kernel_resource`]).
pub(crate) fn lacks_kernel_resource(err: &std::io::Error) -> bool {
    err.get_ref().is_some_and(|e| e.is::<NoKernelResource>())
}

/// What `fstat` says an fd is. A hint: the syscall's answer decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A regular file (or a block device): sendfile and copy_file_range can read it.
    RegularFile,
    /// A pipe or FIFO: splice can read or fill it without an intermediate pipe.
    Pipe,
    /// A connected stream socket (TCP, Unix stream).
    StreamSocket,
    /// Anything else: a directory, a character device, a datagram socket, an unknown fd.
    Other,
}

/// What `fd` is (see [`meta`]).
pub(crate) fn kind(fd: std::os::fd::BorrowedFd<'_>) -> Kind {
    meta(fd).kind
}

/// What one `fstat` says of an end, as the copy uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) kind: Kind,
    /// A regular file's `st_size`; 0 for anything else (block devices and `/proc` files
    /// report 0 too).
    pub(crate) size: u64,
    /// A regular file's identity and version: a hash of its device, inode, size and
    /// modification and change times, never 0; 0 for anything else. The cold-cache check
    /// remembers a file's residency under it for a moment (`cold::recent`), so a write to the
    /// file (its times change) or another file makes a new stamp.
    pub(crate) stamp: u64,
}

impl Meta {
    /// An end whose type states its kind: no `fstat` made, so no size or stamp.
    pub(crate) fn stated(kind: Kind) -> Meta {
        Meta {
            kind,
            size: 0,
            stamp: 0,
        }
    }
}

/// What `fd` is, from one `fstat` (and a `getsockopt` for a socket), with a regular file's
/// size and stamp ([`Meta`]).
///
/// The same on every Unix: where no kernel call is available (`other.rs`), no plan is made
/// from it, but the same-file check and the buffered path's file ends still need it.
pub(crate) fn meta(fd: std::os::fd::BorrowedFd<'_>) -> Meta {
    use rustix::fs::FileType;
    let Ok(stat) = rustix::fs::fstat(fd) else {
        return Meta::stated(Kind::Other);
    };
    let kind = match FileType::from_raw_mode(stat.st_mode) {
        FileType::RegularFile => {
            let size = stat.st_size.max(0) as u64;
            return Meta {
                kind: Kind::RegularFile,
                size,
                stamp: stamp(&stat),
            };
        }
        FileType::BlockDevice => Kind::RegularFile,
        FileType::Fifo => Kind::Pipe,
        FileType::Socket => match rustix::net::sockopt::socket_type(fd) {
            Ok(rustix::net::SocketType::STREAM) => Kind::StreamSocket,
            _ => Kind::Other,
        },
        _ => Kind::Other,
    };
    Meta::stated(kind)
}

/// A regular file's [`Meta::stamp`].
#[allow(
    clippy::unnecessary_cast,
    reason = "the field types differ between targets"
)]
fn stamp(stat: &rustix::fs::Stat) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        stat.st_dev as u64,
        stat.st_ino as u64,
        stat.st_size as i64,
        stat.st_mtime as i64,
        stat.st_mtime_nsec as i64,
        stat.st_ctime as i64,
        stat.st_ctime_nsec as i64,
    )
        .hash(&mut h);
    h.finish().max(1)
}

/// Whether `fd` is open with `O_APPEND`.
pub(crate) fn is_append(fd: std::os::fd::BorrowedFd<'_>) -> bool {
    rustix::fs::fcntl_getfl(fd).is_ok_and(|fl| fl.contains(rustix::fs::OFlags::APPEND))
}

/// What a one-byte read that must not wait for the disk (`preadv2(RWF_NOWAIT)`) says about a
/// page of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    not(all(any(target_os = "linux", target_os = "android"), not(zc_portable))),
    expect(
        dead_code,
        reason = "only Linux's probe answers Resident or Cold; the portable stand-in never \
                  reaches a kernel step, and answers Unknown"
    )
)]
pub(crate) enum Residency {
    /// In the page cache (or past the end of the file: nothing to read).
    Resident,
    /// Not in the page cache: reading it would wait for the disk.
    Cold,
    /// The kernel or the file cannot say (no `RWF_NOWAIT` here, `O_DIRECT`, ...).
    Unknown,
}

/// The kernel calls zc makes: the one enum of them (see the `kernel` module's docs). `sys`
/// remembers the unavailable ones by it, a kernel plan names its call with it, the report's
/// [`CopyPath`](crate::CopyPath) is made from it, and the test-only fault seam
/// (`zc_traits::fault::Call`) is this enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    not(all(
        feature = "fault-injection",
        any(target_os = "linux", target_os = "android"),
        not(zc_portable)
    )),
    allow(dead_code)
)]
pub enum Call {
    /// `sendfile(2)`
    Sendfile = 0,
    /// `splice(2)`
    Splice = 1,
    /// `copy_file_range(2)`
    CopyFileRange = 2,
    /// `pipe2(2)`, making a splice pipe (also when the pool has one; only for fault
    /// injection).
    Pipe = 3,
}

/// What the same-file check says of a copy between two regular files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SameFile {
    /// Two files, or one file at positions where the copy ends by itself: the usual plans.
    Apart,
    /// Both ends are one open file description (`try_clone`, `dup`): one offset, which every
    /// read and every write moves. A `read`/`write` loop (Go's `io.Copy`,
    /// `tokio::io::copy`) writes each chunk after itself and reads the next one past it, and
    /// ends; the kernel paths would rewrite the bytes in place (`std::io::copy`'s answer).
    /// The copy takes the loop's answer: the buffered path, reading the shared offset with
    /// `read(2)`.
    SharedOffset,
    /// Two opens of one file where the copy would read back the bytes it writes and never
    /// reach the end: refused, for the reason given.
    FeedsItself(&'static str),
}

/// Whether `src` and `dst` are one regular file, and what that means for a copy of at most
/// `limit` bytes from `src`'s offset ([`SameFile`]).
///
/// Separate opens (two offsets) feed themselves when the destination writes past the source's
/// read position, inside the bytes still to read (`limit`), while the source has
/// bytes left: the copy reads back what it wrote and grows the file until the disk is full.
/// That is a destination seeked ahead of the source, or one opened with `O_APPEND` (it writes
/// at the end). GNU `cat` refuses the same cases ("input file is output file"). Other
/// positions end: at the same position the file is rewritten in place with its own bytes, and
/// a destination behind the source is a forward move that never overwrites unread bytes.
///
/// One open file description (one offset) never feeds itself: each write moves the offset the
/// next read starts from past the bytes written ([`SameFile::SharedOffset`]).
///
/// # Errors
///
/// Only when the offset probe cannot put the source's offset back (see `shares_offset`).
pub(crate) fn same_file(
    src: std::os::fd::BorrowedFd<'_>,
    dst: std::os::fd::BorrowedFd<'_>,
    limit: Option<u64>,
) -> std::io::Result<SameFile> {
    use rustix::fs::{fcntl_getfl, fstat, seek, FileType, OFlags, SeekFrom};
    let (Ok(s), Ok(d)) = (fstat(src), fstat(dst)) else {
        return Ok(SameFile::Apart);
    };
    if (s.st_dev, s.st_ino) != (d.st_dev, d.st_ino)
        || FileType::from_raw_mode(s.st_mode) != FileType::RegularFile
    {
        return Ok(SameFile::Apart);
    }
    let Ok(read_at) = seek(src, SeekFrom::Current(0)) else {
        return Ok(SameFile::Apart);
    };
    if shares_offset(src, dst, read_at)? {
        return Ok(SameFile::SharedOffset);
    }
    let appends = fcntl_getfl(dst).is_ok_and(|fl| fl.contains(OFlags::APPEND));
    let write_at = if appends {
        d.st_size as u64
    } else {
        match seek(dst, SeekFrom::Current(0)) {
            Ok(at) => at,
            Err(_) => return Ok(SameFile::Apart),
        }
    };
    let has_more = read_at < s.st_size as u64 && limit != Some(0);
    let feeds_itself = has_more
        && write_at > read_at
        && limit.is_none_or(|l| read_at.saturating_add(l) > write_at);
    Ok(match (feeds_itself, appends) {
        (false, _) => SameFile::Apart,
        (true, true) => SameFile::FeedsItself(
            "the source and the destination are the same file, and the destination appends \
             (`O_APPEND`) inside the range still to be read: the copy would read back its own \
             output and never end",
        ),
        (true, false) => SameFile::FeedsItself(
            "the source and the destination are the same file, and the destination writes \
             ahead of the source, inside the range still to be read: the copy would read back \
             its own output and never end",
        ),
    })
}

/// Whether `src` and `dst` share one file offset (one open file description), `src` being at
/// `at`: moves `src`'s offset by one, reads `dst`'s, and puts `src`'s back. An error is that
/// of putting it back: the position is then lost, and the copy fails with it.
fn shares_offset(
    src: std::os::fd::BorrowedFd<'_>,
    dst: std::os::fd::BorrowedFd<'_>,
    at: u64,
) -> std::io::Result<bool> {
    use rustix::fs::{seek, SeekFrom};
    if seek(src, SeekFrom::Start(at + 1)).is_err() {
        return Ok(false);
    }
    let shared = seek(dst, SeekFrom::Current(0)).is_ok_and(|d| d == at + 1);
    seek(src, SeekFrom::Start(at))?;
    Ok(shared)
}

/// Reads at `fd`'s offset without moving it (`pread`), retrying `EINTR`.
pub(crate) fn read_at_offset(
    fd: std::os::fd::BorrowedFd<'_>,
    buf: &mut [u8],
) -> std::io::Result<usize> {
    let at = rustix::fs::seek(fd, rustix::fs::SeekFrom::Current(0))?;
    loop {
        match rustix::io::pread(fd, &mut *buf, at) {
            Err(rustix::io::Errno::INTR) => continue,
            r => return r.map_err(Into::into),
        }
    }
}

/// Reads at `fd`'s offset and moves it past the bytes read (`read(2)`), retrying `EINTR`.
pub(crate) fn read_moving_offset(
    fd: std::os::fd::BorrowedFd<'_>,
    buf: &mut [u8],
) -> std::io::Result<usize> {
    loop {
        match rustix::io::read(fd, &mut *buf) {
            Err(rustix::io::Errno::INTR) => continue,
            r => return r.map_err(Into::into),
        }
    }
}

/// Moves `fd`'s offset `n` bytes forward, past bytes that reached the destination.
pub(crate) fn skip(fd: std::os::fd::BorrowedFd<'_>, n: u64) -> std::io::Result<()> {
    let n = i64::try_from(n).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    rustix::fs::seek(fd, rustix::fs::SeekFrom::Current(n))?;
    Ok(())
}

/// Writes at `fd`'s offset (or its end, with `O_APPEND`), moving it, retrying `EINTR`.
pub(crate) fn write_at_offset(
    fd: std::os::fd::BorrowedFd<'_>,
    buf: &[u8],
) -> std::io::Result<usize> {
    loop {
        match rustix::io::write(fd, buf) {
            Err(rustix::io::Errno::INTR) => continue,
            r => return r.map_err(Into::into),
        }
    }
}
