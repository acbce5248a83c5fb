//! Code the runtime adapters share: what makes a runtime's file, its buffered reader, its
//! `take(n)` and its reactor-registered fds zc endpoints, written once and parameterised by
//! what differs between the runtimes.
//!
//! An adapter crate (`zc-tokio`, `zc-smol`, `zc-async-std`) implements [`Source`] and
//! [`Sink`] for its runtime's own types; the orphan rule wants those impls in the adapter
//! crate, beside its runtime marker. What they do is mostly the same on every runtime, so the
//! logic lives here and an adapter keeps only its runtime's part:
//!
//! | what | shared here | the adapter's part |
//! |------|-------------|--------------------|
//! | a runtime's `File` | its [`Source`]/[`Sink`] impls (`RawEnd::File`, flush before a kernel write) | [`RuntimeFile::poll_sync_position`]: bring the fd offset to the logical position |
//! | a runtime's `BufReader` / `Take` | [`SourceWrapper`]: buffered bytes first, the limit kept on the kernel path | which `AsyncRead` / `AsyncBufRead` the runtime spells |
//! | a socket or pipe in async-io's style | [`poll_io_then_wait`]: the syscall first, the reactor on `WouldBlock` | how to wait for the reactor |
//!
//! The orphan rule keeps each `impl` block in its adapter crate; macros exported at this
//! crate's root (hidden from its docs) write the methods inside it, so a compile error still
//! points at the adapter's own `impl` line:
//!
//! * `__runtime_file!(source, Smol, futures_io)` / `(sink, Smol, futures_io)`: the [`Source`]
//!   / [`Sink`] methods of a file type that implements [`RuntimeFile`], reading and writing
//!   through `futures_io` (or through the functions named, for tokio);
//! * `__source_by_wrapper!(Rt)`: the [`Source`] methods of any [`SourceWrapper`]; the core's
//!   own [`Limited`](crate::Limited) and [`BufReader`](crate::BufReader) use it too;
//! * `__io_wrappers!(futures_io, Smol, BufReader, Take)`: [`SourceWrapper`] and [`Source`]
//!   for a runtime's `BufReader` and `Take` (futures-lite's API: `buffer`, `get_ref`,
//!   `get_mut`, `limit`, `set_limit`);
//! * `__futures_io_bytes!(source)` / `(sink)`: the byte-level methods of a `futures_io`
//!   stream's [`Source`] / [`Sink`] impl;
//! * `__async_io_poll_io!(Rt, |end| handle)`: the `poll_io` of an fd registered with
//!   async-io's reactor (smol's `Async<T>` and async-net streams, async-std's watch);
//! * `__thread_budget!()`: the [`Runtime`](crate::Runtime) budget of a runtime that has none
//!   of its own (smol, async-std): zc's per-thread budget.
//!
//! The macros are not part of zc's API: their arguments may change with the adapters.

mod bytes;
mod file;
mod readiness;
mod runtime;
mod wrapper;

pub use file::RuntimeFile;
pub use readiness::poll_io_then_wait;
pub use wrapper::{
    advance, buffered, consume_buffered, limit, poll_prepare_source, raw_source, SourceWrapper,
};

/// The `futures_io` crate, for the `futures_io` presets of the macros (an adapter crate need
/// not depend on it).
#[doc(hidden)]
pub use futures_io;

// The intra-doc links of the module docs.
#[cfg(doc)]
use crate::{Sink, Source};
