//! For adapter authors: the endpoint traits and the handles through which a copy reaches a
//! runtime's fds. A program that only copies needs none of this beyond [`Source`] and
//! [`Sink`], which the crate root re-exports.
//!
//! Go's `io.Copy(dst, src)` asks the source "are you a `WriterTo`?", then the destination "are
//! you a `ReaderFrom`?", and `*net.TCPConn.ReadFrom` asks its argument "are you an
//! `*os.File`?". Rust has no specialization, so every endpoint answers those questions through
//! default methods of [`Source`] and [`Sink`]: the defaults say "no", and the types that can do
//! better override them. Every method is object safe, so one side can inspect the other as a
//! trait object.
//!
//! | item | what an adapter does with it |
//! |------|------------------------------|
//! | [`Source`], [`Sink`] | implements them for its runtime's files, sockets and pipes |
//! | [`RawEnd`], [`FdKind`] | answers "what fd is behind you?" ([`Source::raw_source`], [`Sink::raw_sink`]) |
//! | [`Readiness`], [`Interest`], [`Watcher`] | lets the kernel loops wait for the runtime's readiness (Go's `syscall.RawConn`) |
//! | [`WriterTo`], [`ReaderFrom`], [`Progress`], [`Handoff`] | a copy of its own that one end knows how to do better (Go's `io.WriterTo` / `io.ReaderFrom`) |
//!
//! The runtime marker, [`Runtime`](crate::Runtime), and its cooperative budget are in
//! [`coop`](crate::coop).
//!
//! The `Rt` parameter is a runtime marker (`zc_tokio::Tokio`, `zc_smol::Smol`,
//! `zc_async_std::AsyncStd`). It lets each adapter crate implement these traits for its
//! runtime's own types (the orphan rule allows `impl Source<Tokio> for tokio::net::TcpStream`
//! in `zc-tokio`), and it keeps a copy from mixing the readiness machinery of two runtimes.
//! Runtime-neutral endpoints (`&[u8]`, `Vec<u8>`, `std::fs::File`, the wrappers of this crate)
//! implement the traits for every `Rt`.
//!
//! Where each item is defined: [`Source`], [`Sink`], [`WriterTo`], [`ReaderFrom`], [`Progress`]
//! and [`Handoff`] in `endpoint/traits.rs` (the traits name one another, so they are written
//! together); [`RawEnd`], [`FdKind`], [`Readiness`], [`Interest`] and [`Watcher`] in
//! `endpoint/raw.rs`; the implementations for `&[u8]`, `Vec<u8>` and `std::fs::File` in
//! `endpoint/neutral.rs`.

pub(crate) mod neutral;
pub(crate) mod raw;
pub(crate) mod traits;

pub use raw::{FdKind, Interest, RawEnd, Readiness, Watcher};
pub use traits::{Handoff, Progress, ReaderFrom, Sink, Source, WriterTo};
