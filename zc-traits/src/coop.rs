//! Cooperative scheduling: a copy that never waits still lets its thread run other tasks.
//!
//! A copy between two ends that are always ready (bytes in memory, a file into a file, a
//! socket with room) never returns `Pending` on its own. [`CopyOptions::max_per_poll`] bounds
//! one large copy, but a loop of small copies (`loop { zc::copy(..).await }`) would then never
//! yield, and on a single-threaded executor the other tasks would starve. tokio's own
//! `io::copy` avoids that with tokio's coop budget; every zc copy takes part in its runtime's
//! budget through the runtime marker, which implements [`Runtime`]:
//!
//! * each poll of a copy (each direction of a relay) first asks
//!   [`Runtime::poll_proceed`] for one unit of budget, and returns `Pending` when there is
//!   none (the runtime arranges the wake-up);
//! * when the poll moved bytes or ended the copy, it keeps the unit
//!   ([`Permit::made_progress`]); a poll that only waited gives it back (by dropping the
//!   permit).
//!
//! `zc_tokio::Tokio` uses tokio's budget (`tokio::task::coop::poll_proceed`): 128 units per
//! task poll, shared with tokio's own I/O. smol and async-std have no budget, so
//! `zc_smol::Smol`, `zc_async_std::AsyncStd` and [`Neutral`] use zc's
//! per-thread budget ([`poll_proceed`]): after [`THREAD_BUDGET`] units on a thread, the copy
//! that asks next returns `Pending` once, with its waker woken, so the executor runs the other
//! tasks before it continues.
//!
//! [`CopyOptions::max_per_poll`]: crate::CopyOptions::max_per_poll

use std::cell::Cell;
use std::task::{Context, Poll};

/// A runtime marker, as a copy needs it: how the copy takes part in the runtime's cooperative
/// scheduling (see the [module docs](crate::coop)).
///
/// Every copy function of zc requires it of its `Rt` parameter.
///
/// # Implementation
///
/// A runtime with a budget of its own hands out its units; any other uses zc's per-thread
/// budget:
///
/// ```
/// use std::task::{Context, Poll};
/// use zc_traits::coop::{self, Runtime, ThreadPermit};
///
/// /// The marker of a runtime with no budget of its own.
/// struct MyRuntime;
///
/// impl Runtime for MyRuntime {
///     type Permit = ThreadPermit;
///
///     fn poll_proceed(cx: &mut Context<'_>) -> Poll<ThreadPermit> {
///         coop::poll_proceed(cx)
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a zc runtime marker",
    label = "does not implement `zc::Runtime`",
    note = "zc's markers are `zc::Tokio`, `zc::Smol`, `zc::AsyncStd` and `zc::Neutral`; a marker \
            of your own implements `zc::Runtime` (`zc::coop::poll_proceed` is the budget for a \
            runtime that has none)"
)]
pub trait Runtime {
    /// One unit of budget, taken by [`poll_proceed`](Runtime::poll_proceed).
    type Permit: Permit;

    /// Takes one unit of the current task's budget, or returns `Poll::Pending` when it is
    /// spent, with the task's waker registered so that it runs again after the executor has
    /// run the others.
    ///
    /// Called at the start of every poll of a copy, before any work.
    fn poll_proceed(cx: &mut Context<'_>) -> Poll<Self::Permit>;

    /// Runs `job` on the runtime's facility for blocking work (its blocking thread pool),
    /// off the executor's threads, or hands it back when there is none here.
    ///
    /// A copy from a regular file calls it when the file's next range is not in the page
    /// cache, so that the disk read does not stall the executor (see
    /// [`CopyOptions::disk_off_thread`](crate::CopyOptions::disk_off_thread)). The job is
    /// short (one read of at most one step's range, a few MiB), owns all it uses and never
    /// panics; the copy waits for it without blocking. A job that is dropped without running
    /// wakes the copy, which then reads the range inline.
    ///
    /// The default hands the job back: the copy then reads the range inline, on the executor
    /// thread, as a copy always did before. [`Neutral`] keeps that default (it
    /// has no thread pool, and a thread per step would be a surprise); `zc::Tokio` uses
    /// `tokio::task::spawn_blocking`, `zc::Smol` `blocking::unblock` (smol's `unblock`) and
    /// `zc::AsyncStd` `async_std::task::spawn_blocking`.
    ///
    /// # Errors
    ///
    /// `Err(job)`, the job untouched, when the runtime has no blocking facility here (say
    /// tokio's marker outside a tokio runtime).
    fn spawn_blocking(job: BlockingJob) -> Result<(), BlockingJob> {
        Err(job)
    }
}

/// A short piece of blocking work for [`Runtime::spawn_blocking`]: run it once, on a thread
/// where blocking is allowed.
#[must_use = "a job does nothing until run; dropping it wakes the copy, which then continues inline"]
pub struct BlockingJob(Box<dyn FnOnce() + Send + 'static>);

impl BlockingJob {
    pub(crate) fn new(job: impl FnOnce() + Send + 'static) -> BlockingJob {
        BlockingJob(Box::new(job))
    }

    /// Runs the job (it blocks the calling thread, for about one disk read).
    pub fn run(self) {
        (self.0)()
    }
}

impl std::fmt::Debug for BlockingJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingJob").finish_non_exhaustive()
    }
}

/// A unit of budget taken by [`Runtime::poll_proceed`].
///
/// Dropping it gives the unit back, unless [`made_progress`](Permit::made_progress) was
/// called: a poll that only waited does not use budget.
pub trait Permit {
    /// The poll that took this unit did work (moved bytes, or ended the copy): keep it spent.
    fn made_progress(&self);
}

/// Units of zc's per-thread budget between two forced yields (tokio's budget per task poll is
/// the same size).
pub const THREAD_BUDGET: u32 = 128;

thread_local! {
    static THREAD_UNITS: Cell<u32> = const { Cell::new(THREAD_BUDGET) };
}

/// A unit of zc's per-thread budget; see [`poll_proceed`].
#[derive(Debug)]
#[must_use = "dropping the permit at once gives its unit back"]
pub struct ThreadPermit {
    give_back: Cell<bool>,
}

impl Permit for ThreadPermit {
    fn made_progress(&self) {
        self.give_back.set(false);
    }
}

impl Drop for ThreadPermit {
    fn drop(&mut self) {
        if self.give_back.get() {
            // `try_with`: the thread may be tearing its locals down.
            let _ = THREAD_UNITS.try_with(|units| {
                units.set(units.get().saturating_add(1).min(THREAD_BUDGET));
            });
        }
    }
}

/// zc's per-thread budget, for runtimes that have none: takes one of the thread's units, or,
/// when all [`THREAD_BUDGET`] are spent, refills them, wakes the task and returns
/// `Poll::Pending`, so the task yields once to the executor.
///
/// The budget belongs to the thread, not to a task: a task may yield before it spent
/// [`THREAD_BUDGET`] units itself. That costs one extra poll; what matters is that a thread
/// that keeps copying yields at least once every [`THREAD_BUDGET`] units.
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<ThreadPermit> {
    let proceed = THREAD_UNITS
        .try_with(|units| match units.get() {
            0 => {
                units.set(THREAD_BUDGET);
                false
            }
            n => {
                units.set(n - 1);
                true
            }
        })
        .unwrap_or(true);
    if proceed {
        Poll::Ready(ThreadPermit {
            give_back: Cell::new(true),
        })
    } else {
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// The runtime marker for a copy between two runtime-neutral ends (`std::fs::File`, `&[u8]`,
/// `Vec<u8>`, [`FuturesIo`](crate::FuturesIo)), where no runtime's type pins `Rt`:
/// `zc::copy::<zc::Neutral, _, _>(&mut a, &mut b)`.
///
/// It is also the marker of the readiness handles a [`Watcher`](crate::endpoint::Watcher)
/// makes, which belong to no runtime's own types. It lives here, beside [`Runtime`], because
/// the endpoint types name it and it names nothing of theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Neutral;

/// The runtime-neutral marker uses zc's per-thread budget.
impl Runtime for Neutral {
    type Permit = ThreadPermit;

    fn poll_proceed(cx: &mut Context<'_>) -> Poll<ThreadPermit> {
        poll_proceed(cx)
    }
}
