//! Platform code, in one place: the Linux syscalls (through rustix) beside a portable stand-in
//! that makes every kernel plan unavailable, so other platforms take the buffered path.

#[cfg(any(target_os = "linux", target_os = "android"))]
mod linux;
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) use linux::*;

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod other;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) use other::*;

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

/// The kernel calls zc makes, for remembering which are unavailable (and for fault injection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
pub(crate) enum Call {
    Sendfile = 0,
    Splice = 1,
    CopyFileRange = 2,
}
