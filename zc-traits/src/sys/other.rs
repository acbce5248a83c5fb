//! Unix other than Linux and Android, where zc has no kernel copy: [`available`] answers
//! `false` for every call, so no kernel plan is kept and every copy takes the buffered path
//! (`copy_strict` fails with `Unsupported`); the syscall stand-ins below are never reached.
//! What an fd is, the same-file check and the positioned file I/O of the buffered path are
//! shared with Linux (`sys/mod.rs`).
//!
//! CI builds, lints and tests this file on Linux with `RUSTFLAGS="--cfg zc_portable"`.

use std::io;
use std::os::fd::BorrowedFd;

use super::Residency;

/// Why a copy has no kernel plan here.
pub(crate) const NO_CALL: &str = "zc has no kernel copy on this platform";

fn unsupported() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "zc: no kernel copy on this platform",
    )
}

pub(crate) fn sendfile(
    _out: BorrowedFd<'_>,
    _in: BorrowedFd<'_>,
    _len: usize,
    _guard: bool,
) -> io::Result<usize> {
    Err(unsupported())
}

pub(crate) fn splice(
    _in: BorrowedFd<'_>,
    _out: BorrowedFd<'_>,
    _len: usize,
    _guard: bool,
) -> io::Result<usize> {
    Err(unsupported())
}

pub(crate) fn copy_file_range(
    _in: BorrowedFd<'_>,
    _out: BorrowedFd<'_>,
    _len: usize,
) -> io::Result<usize> {
    Err(unsupported())
}

pub(crate) fn has_more(_fd: BorrowedFd<'_>) -> io::Result<bool> {
    Err(unsupported())
}

pub(crate) fn is_alignment_refusal(
    _err: &io::Error,
    _a: std::os::fd::BorrowedFd<'_>,
    _b: std::os::fd::BorrowedFd<'_>,
) -> bool {
    false
}

pub(crate) fn falls_back(_err: &io::Error) -> bool {
    true
}

pub(crate) fn note_unavailable(_err: &io::Error, _call: super::Call) {}

pub(crate) fn available(_call: super::Call) -> bool {
    false
}

#[derive(Debug)]
pub(crate) struct Pipe;

impl Pipe {
    pub(crate) fn new() -> io::Result<Pipe> {
        Err(unsupported())
    }
    pub(crate) fn read_end(&self) -> BorrowedFd<'_> {
        unreachable!("no pipe is ever created on this platform")
    }
    pub(crate) fn write_end(&self) -> BorrowedFd<'_> {
        unreachable!("no pipe is ever created on this platform")
    }
    pub(crate) fn capacity(&self) -> usize {
        0
    }
    pub(crate) fn drain_into(&self, _buf: &mut [u8]) -> io::Result<usize> {
        Err(unsupported())
    }
    pub(crate) fn recycle(self) {}
}

pub(crate) fn pipes_open() -> usize {
    0
}

pub(crate) fn pipes_pooled() -> usize {
    0
}

pub(crate) fn residency(_fd: BorrowedFd<'_>, _at: u64) -> Residency {
    Residency::Unknown
}

pub(crate) fn read_ahead(_fd: BorrowedFd<'_>, _at: u64, _len: usize) {}

pub(crate) fn make_resident(_fd: BorrowedFd<'_>, _at: u64, _len: usize) {}
