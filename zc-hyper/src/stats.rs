//! Process-wide counters of how file bodies left ([`counters`]).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

static BODIES_SENDFILE: AtomicU64 = AtomicU64::new(0);
static BODIES_USER_SPACE: AtomicU64 = AtomicU64::new(0);
static BODIES_MIXED: AtomicU64 = AtomicU64::new(0);
static BYTES_SENDFILE: AtomicU64 = AtomicU64::new(0);
static BYTES_USER_SPACE: AtomicU64 = AtomicU64::new(0);

/// Counts of the [`ZcBody`](crate::ZcBody) file bodies this process has finished (each
/// counted when it is dropped, after its last byte left or its connection ended) and of
/// their file bytes, by path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Counters {
    /// Bodies whose file bytes all went by `sendfile`.
    pub bodies_sendfile: u64,
    /// Bodies whose file bytes all went through user space.
    pub bodies_user_space: u64,
    /// Bodies that switched from `sendfile` to user space midway.
    pub bodies_mixed: u64,
    /// File bytes sent by `sendfile`.
    pub bytes_sendfile: u64,
    /// File bytes sent through user space.
    pub bytes_user_space: u64,
}

/// The process-wide [`Counters`] so far.
pub fn counters() -> Counters {
    Counters {
        bodies_sendfile: BODIES_SENDFILE.load(Relaxed),
        bodies_user_space: BODIES_USER_SPACE.load(Relaxed),
        bodies_mixed: BODIES_MIXED.load(Relaxed),
        bytes_sendfile: BYTES_SENDFILE.load(Relaxed),
        bytes_user_space: BYTES_USER_SPACE.load(Relaxed),
    }
}

/// A body with `file_bytes` of file data was dropped after `sendfile` and `user` bytes left.
pub(crate) fn body_done(file_bytes: u64, sendfile: u64, user: u64) {
    if file_bytes == 0 {
        return;
    }
    let bodies = match (sendfile > 0, user > 0) {
        (true, false) => &BODIES_SENDFILE,
        (true, true) => &BODIES_MIXED,
        _ => &BODIES_USER_SPACE,
    };
    bodies.fetch_add(1, Relaxed);
    BYTES_SENDFILE.fetch_add(sendfile, Relaxed);
    BYTES_USER_SPACE.fetch_add(user, Relaxed);
}
