//! Helpers shared by zc's two test trees: the facade's integration tests (`tests/`) and the
//! core's (`zc-traits/tests/`). Not published; a dev-dependency of `zc-copy` and `zc-traits`.
//!
//! * test bytes ([`pattern`], [`shared_pattern`]) and files ([`file_with`], [`content`]);
//! * byte-level reads and writes through an endpoint's own `poll_read` / `poll_write` /
//!   `poll_shutdown`, never through a copy ([`read_to_end`], [`write_and_close`], [`feed`],
//!   ..), and the fd behind an endpoint ([`with_src_fd`]);
//! * cancellation at a chosen poll ([`poll_at_most`]), a join of many futures
//!   ([`join_all`]), and (feature `fault-injection`) a kernel fault that follows a task across
//!   threads (`with_fault`);
//! * fd and CPU-time accounting ([`open_fds`], [`thread_cpu_time`]), the lock of tests that
//!   read process-wide counters ([`exclusive`]), the re-run of a test as a child process
//!   ([`spawn_child`]) and [`make_sigpipe_fatal`];
//! * socket options ([`small_buffers`], [`reset_on_close`]) and the error kinds of a peer that
//!   left ([`is_peer_gone`]);
//! * a small deterministic PRNG ([`Xorshift`]), so a failing case replays from its seed;
//! * mocks that follow a script of short transfers, `Pending` and `Interrupted`
//!   ([`Scripted`]);
//! * in [`aio`], the core's own test runtime: async-io under a marker of its own
//!   ([`aio::Aio`]), with its socket and pipe pairs. The facade's tests run on the real
//!   runtimes instead, through their `Harness` in `tests/support`.
//!
//! A test file says `use zc_test_support::*;` (and `use zc_test_support::aio::*;` in the
//! core's tests).
//!
//! A dev-dependency on a crate that depends on `zc-traits` links the one `zc-traits` of the
//! integration tests, so these helpers and the tests share its types; the core's unit tests
//! (in `zc-traits/src`) are a second build of `zc-traits` and must not use this crate.
#![forbid(unsafe_code)]
#![cfg(unix)]

pub mod aio;

mod data;
mod io;
mod mock;
mod poll;
mod process;
mod rng;
mod socket;

pub use data::{
    content, direct_source, file_with, open_direct, pattern, shared_pattern, DIRECT_LEN,
};
pub use io::{
    feed, read_at_least, read_to_end, read_until_gone, shutdown, with_dst_fd, with_src_fd,
    write_all, write_and_close,
};
pub use mock::{Act, Scripted};
// Where zc_traits::fault exists: its kernel calls are Linux's (not under `--cfg zc_portable`).
#[cfg(all(
    feature = "fault-injection",
    any(target_os = "linux", target_os = "android"),
    not(zc_portable)
))]
pub use poll::with_fault;
pub use poll::{join_all, poll_at_most};
pub use process::{
    child_mode, exclusive, heavy, make_sigpipe_fatal, no_fd_left, open_fds, process_cpu_time,
    raise_fd_limit, shared, spawn_child, thread_cpu_time, zc_pipe_fds, NoFdLeft, CHILD,
};
pub use rng::Xorshift;
pub use socket::{is_peer_gone, reset_on_close, small_buffers, socket_buffers};

/// A test that takes longer than this fails instead of hanging.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// A relay direction's report under splice-auto: `Splice` once it spliced a byte, else
/// `Buffered` (when it switched depends on how its reads found the data).
pub fn assert_relay_path(report: &zc_traits::Report, what: &str) {
    let path = if report.kernel_bytes() > 0 {
        zc_traits::CopyPath::Splice
    } else {
        zc_traits::CopyPath::Buffered
    };
    assert_eq!(
        report.path(),
        path,
        "{what}: the path says which way the bytes went"
    );
}
