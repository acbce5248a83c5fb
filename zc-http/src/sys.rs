//! The resolver's platform calls, in one place: Linux opens beneath the root with
//! `openat2(2)`; other Unix platforms have no such call and take the resolver's portable way
//! (canonicalize, then check the prefix).

use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

/// Opens the served directory, for lookups beneath it (`O_PATH` where there is one: no read
/// permission needed on the directory itself, as nginx's `root`).
pub(crate) fn open_dir(path: &Path) -> Result<OwnedFd, Errno> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    rustix::fs::open(path, flags, Mode::empty())
}

/// Opens `rel` beneath `dir` with `flags`, refusing `..` and symlinks that leave `dir`, in
/// one call (`RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`); `None` where the kernel has no such
/// call (`ENOSYS` before Linux 5.6, `EPERM` from a sandbox that refuses it, any other
/// platform).
pub(crate) fn open_beneath(
    dir: impl AsFd,
    rel: &Path,
    flags: OFlags,
) -> Option<Result<OwnedFd, Errno>> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::ResolveFlags;
        let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS;
        match rustix::fs::openat2(dir, rel, flags, Mode::empty(), resolve) {
            Err(Errno::NOSYS | Errno::PERM) => None,
            other => Some(other),
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = (dir, rel, flags);
        None
    }
}
