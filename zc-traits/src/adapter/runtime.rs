//! The [`Runtime`](crate::Runtime) impl of a runtime with no cooperative budget of its own
//! (smol, async-std): zc's per-thread budget.

/// In an `impl Runtime for Marker` block, `__thread_budget!()` is the budget of a runtime that
/// has none of its own: [`ThreadPermit`](crate::coop::ThreadPermit) and
/// [`coop::poll_proceed`](crate::coop::poll_proceed), so a loop of copies that never wait still
/// yields to the executor at least once every [`THREAD_BUDGET`](crate::coop::THREAD_BUDGET)
/// polls. The impl adds its runtime's `spawn_blocking`.
///
/// For adapter crates; not part of zc's API.
#[doc(hidden)]
#[macro_export]
macro_rules! __thread_budget {
    () => {
        type Permit = $crate::coop::ThreadPermit;

        fn poll_proceed(
            cx: &mut ::std::task::Context<'_>,
        ) -> ::std::task::Poll<$crate::coop::ThreadPermit> {
            $crate::coop::poll_proceed(cx)
        }
    };
}
