//! The kernel plans: which syscalls can copy between two ends, best first, and what an end is.

use crate::endpoint::raw::{FdKind, RawEnd};
use crate::report::CopyPath;
use crate::sys::{self, Call, Kind};

/// One way to move bytes in the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plan {
    CopyFileRange,
    Sendfile,
    /// splice(2) from a pipe source straight into a regular file.
    SpliceDirect,
    /// splice(2) from the source into a pooled pipe, then from the pipe into the destination.
    SplicePooled,
}

impl Plan {
    /// The path the report names for this plan: its call's.
    pub(crate) fn path(self) -> CopyPath {
        self.call().into()
    }

    /// The syscall this plan makes.
    pub(crate) fn call(self) -> Call {
        match self {
            Plan::CopyFileRange => Call::CopyFileRange,
            Plan::Sendfile => Call::Sendfile,
            Plan::SpliceDirect | Plan::SplicePooled => Call::Splice,
        }
    }
}

/// A kernel call as the report names the path: a pipe is made for a splice.
impl From<Call> for CopyPath {
    fn from(call: Call) -> CopyPath {
        match call {
            Call::Sendfile => CopyPath::Sendfile,
            Call::Splice | Call::Pipe => CopyPath::Splice,
            Call::CopyFileRange => CopyPath::CopyFileRange,
        }
    }
}

/// What an end is, with a regular file's size and stamp ([`sys::Meta`]): from the end's type
/// when it says it ([`FdKind`]), else from one `fstat` (and a `getsockopt` for a socket).
pub(crate) fn end_kind<Rt>(end: &RawEnd<'_, Rt>) -> sys::Meta {
    let stated = match end {
        RawEnd::Polled(ready) => ready.fd_kind(),
        RawEnd::Watched(_, _, kind) => *kind,
        RawEnd::Direct(_) | RawEnd::File(_) => FdKind::Unknown,
    };
    match stated {
        FdKind::StreamSocket => sys::Meta::stated(Kind::StreamSocket),
        FdKind::Pipe => sys::Meta::stated(Kind::Pipe),
        FdKind::Unknown => sys::meta(end.fd()),
    }
}

/// The plans for a source and destination of the given kinds (from [`end_kind`]), best
/// first, with the reason when there is none.
pub(crate) fn plans<Rt>(
    src: &RawEnd<'_, Rt>,
    dst: &RawEnd<'_, Rt>,
    (src_kind, dst_kind): (Kind, Kind),
) -> Result<(Vec<Plan>, Kind, Kind), &'static str> {
    let src_polled = matches!(src, RawEnd::Polled(_) | RawEnd::Watched(..));
    let dst_polled = matches!(dst, RawEnd::Polled(_) | RawEnd::Watched(..));
    if matches!(src, RawEnd::File(_)) && src_kind != Kind::RegularFile {
        return Err(
            "the source is a runtime's file over a FIFO or a device, whose kernel \
                    copy could block the executor",
        );
    }
    if matches!(dst, RawEnd::File(_)) && dst_kind != Kind::RegularFile {
        return Err(
            "the destination is a runtime's file over a FIFO or a device, whose \
                    kernel copy could block the executor",
        );
    }
    if dst_kind == Kind::RegularFile && sys::is_append(dst.fd()) {
        // sendfile, splice and copy_file_range all refuse O_APPEND destinations.
        return Err("the destination file is opened with O_APPEND");
    }
    let mut plans = match (src_kind, src_polled, dst_kind, dst_polled) {
        (Kind::RegularFile, false, Kind::RegularFile, false) => {
            vec![Plan::CopyFileRange, Plan::Sendfile]
        }
        (Kind::RegularFile, false, Kind::StreamSocket | Kind::Pipe, _) => vec![Plan::Sendfile],
        (Kind::RegularFile, false, Kind::Other, false) => vec![Plan::Sendfile],
        (Kind::Pipe, true, Kind::RegularFile, false) => vec![Plan::SpliceDirect],
        (Kind::StreamSocket, true, Kind::RegularFile, false) => vec![Plan::SplicePooled],
        (Kind::Pipe | Kind::StreamSocket, true, Kind::Pipe | Kind::StreamSocket, true) => {
            vec![Plan::SplicePooled]
        }
        // No plan: the reason names the end that has none, the source first.
        (Kind::Other, ..) => return Err("the source is not a regular file, pipe or stream socket"),
        (Kind::Pipe | Kind::StreamSocket, false, ..) => {
            return Err("the source is a blocking pipe or socket; splice needs a polled one")
        }
        (_, _, Kind::Other, _) => {
            return Err("the destination is not a regular file, pipe or stream socket")
        }
        (_, _, Kind::Pipe | Kind::StreamSocket, false) => {
            return Err("the destination is a blocking pipe or socket; splice needs a polled one")
        }
        (Kind::RegularFile, true, ..) => {
            return Err("the source is a regular file polled by a reactor; no kernel path reads it")
        }
        (_, _, Kind::RegularFile, true) => {
            return Err(
                "the destination is a regular file polled by a reactor; no kernel path writes it",
            )
        }
    };
    plans.retain(|p| sys::available(p.call()));
    if plans.is_empty() {
        return Err(sys::NO_CALL);
    }
    Ok((plans, src_kind, dst_kind))
}
