//! Go's zero-copy `io.Copy` for async Rust: `zc::copy(&mut file, &mut stream).await?` moves
//! the bytes with `sendfile(2)`, `splice(2)` or `copy_file_range(2)` whenever the two ends
//! allow it, on tokio, smol or async-std, and falls back to a buffered copy otherwise.
//!
//! This crate is the facade: it re-exports the user's surface of the runtime-agnostic core
//! (`zc-traits`: [`copy`], [`copy_report`], [`copy_strict`], [`copy_bidirectional`],
//! [`CopyOptions`], [`Report`], [`CopyError`], the endpoint traits [`Source`] and [`Sink`], the
//! wrappers [`Limited`], [`BufReader`], [`FuturesIo`], [`Runtime`] and the markers,
//! [`diagnostics`]), the adapter author's items in [`endpoint`], and, per feature, a runtime
//! adapter:
//!
//! | feature | adapter | marker | endpoints |
//! |---------|---------|--------|-----------|
//! | `tokio` | `zc-tokio` | `Tokio` | `tokio::fs::File`, `net::{TcpStream, UnixStream}` and their halves, `net::unix::pipe`, `io::{BufReader, Take, BufWriter, BufStream}`, `io::split` halves |
//! | `smol` | `zc-smol` | `Smol` | `smol::fs::File`, `smol::net` streams, `smol::Async<T>` sockets and pipes, `io::{BufReader, Take}` |
//! | `async-std` | `zc-async-std` | `AsyncStd` | `async_std::fs::File`, `net::TcpStream`, `os::unix::net::UnixStream`, `io::{BufReader, Take}` |
//! | `compio` (Linux, Rust 1.95) | `zc-compio` | `Compio` | `compio::fs::File` (at its fd offset), `net::{TcpStream, UnixStream}`, `fs::pipe::{Receiver, Sender}` |
//!
//! Naming the adapter here also links its trait implementations into the program, so enable
//! the feature of each runtime you use. The runtime is inferred from whichever end belongs to
//! it. A copy between two runtime-neutral ends (`std::fs::File`, `&[u8]`, `Vec<u8>`) has no
//! runtime to infer (`zc::copy` stops with `E0283`, "type annotations needed"): use
//! [`neutral::copy`] (or name the marker, `zc::copy::<zc::Neutral, _, _>(..)`). Each marker
//! implements [`Runtime`]: every poll of a copy takes a unit of that runtime's cooperative
//! budget ([`coop`]), so even a loop of copies that never wait yields to the scheduler.
//!
//! # Observability and strictness
//!
//! [`copy_report`] returns a [`Report`] whose [`path`](Report::path) says which path moved the
//! bytes (`Sendfile`, `Splice`, `CopyFileRange`, `Buffered`, ...) and whose
//! [`fallback`](Report::fallback) names the path that took over mid-copy, if one did;
//! [`copy_strict`] fails with `ErrorKind::Unsupported` instead of falling back. [`copy`] fails
//! with the cause itself, as `tokio::io::copy` does; the others fail with a [`CopyError`], which
//! adds the bytes delivered before it ([`CopyError::delivered`]) and converts back into the
//! cause with `?`.
//!
//! # A closed peer is an error, never a SIGPIPE
//!
//! A copy into a socket whose peer closed or reset, or into a pipe without readers, fails with
//! `BrokenPipe`/`ConnectionReset` and the count, whatever SIGPIPE's disposition: where it is
//! ignored (the Rust default) zc does no extra work, and where it is not, zc blocks it on the
//! calling thread around each `sendfile`/`splice` and takes the signal the call raised. See
//! `zc_traits`'s crate documentation, section "SIGPIPE".
//!
//! # Misuse does not compile
//!
//! Both ends are checked where the copy is written, once, and the error says what to do: a
//! type that is not an endpoint (wrap it in [`FuturesIo`] or implement [`Source`] / [`Sink`]),
//! a read-only destination such as `&[u8]`, a write-only source such as `Vec<u8>` or a pipe's
//! writing end, ends of two different runtimes, or a runtime's type whose zc feature is off
//! (`` `tokio::fs::File` is not a zc source ``, "... when zc's feature for that runtime is
//! enabled").
//!
//! ```compile_fail
//! # async fn f(file: &mut std::fs::File) -> std::io::Result<u64> {
//! let mut read_only: &[u8] = &[0; 16];
//! zc::copy(file, &mut read_only).await // error: `&[u8]` is not a zc sink for runtime `_`
//! # }
//! ```
//!
//! The repository's `tests/ui/` holds one trybuild case per mistake, with the compiler's
//! message.
//!
//! # Platforms
//!
//! The kernel paths are Linux's (and Android's). On other Unix platforms every copy takes the
//! buffered path and [`copy_strict`] fails with `ErrorKind::Unsupported`. zc is for Unix: for
//! other targets (Windows) this crate and the crates it re-exports compile empty, so a program
//! that also builds there can depend on it unconditionally and use it under `cfg(unix)`.
//!
//! # Examples
//!
//! ```
//! # futures_lite::future::block_on(async {
//! let mut src = tempfile::tempfile()?;
//! std::io::Write::write_all(&mut src, b"hello, kernel")?;
//! std::io::Seek::rewind(&mut src)?;
//! let mut dst = tempfile::tempfile()?;
//! let report = zc::neutral::copy_report(&mut src, &mut dst).await?; // two std ends
//! assert_eq!(report.bytes(), 13);
//! assert!(report.path().is_zero_copy()); // copy_file_range on Linux
//! # std::io::Result::Ok(()) }).unwrap();
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
// zc is for Unix: elsewhere (Windows) the core and the adapters are empty, and so is the facade.
#![cfg(unix)]
// docs.rs builds with `--cfg docsrs` on nightly: label each runtime's items with its feature.
#![cfg_attr(docsrs, feature(doc_cfg))]

// The user's surface, item by item (a glob would also bring the core's hidden plumbing).
pub use zc_traits::{
    copy, copy_bidirectional, copy_bidirectional_report, copy_report, copy_strict, BufReader,
    CopyError, CopyFuture, CopyOptions, CopyPath, FuturesIo, Limited, Neutral, RelayFuture, Report,
    Runtime, Sink, Source, DEFAULT_BUFFER_SIZE, DEFAULT_MAX_PER_POLL,
};
// Counters of the resources zc holds, and the cooperative budget a runtime marker implements.
pub use zc_traits::{coop, diagnostics};
// For adapter authors: the handles through which a copy reaches a runtime's fds.
pub use zc_traits::endpoint;

pub mod neutral;

/// tokio: `zc::copy` takes tokio's own `File`, `TcpStream`, `UnixStream` and pipes (see
/// `zc_tokio`). Re-exporting from `zc_tokio` also links its endpoint implementations.
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
#[allow(deprecated)]
pub use zc_tokio::{Tokio, TokioBuffered, TokioIo};

/// smol: `zc::copy` takes smol's own `fs::File`, `net::TcpStream`, `net::unix::UnixStream` and
/// `Async<T>` sockets and pipes (see `zc_smol`). Re-exporting from `zc_smol` also links its
/// endpoint implementations.
#[cfg(feature = "smol")]
#[cfg_attr(docsrs, doc(cfg(feature = "smol")))]
pub use zc_smol::Smol;

/// async-std: `zc::copy` takes async-std's own `fs::File`, `net::TcpStream` and
/// `os::unix::net::UnixStream` (see `zc_async_std`; async-std is discontinued, new code should
/// prefer smol). Re-exporting from `zc_async_std` also links its endpoint implementations.
#[cfg(feature = "async-std")]
#[cfg_attr(docsrs, doc(cfg(feature = "async-std")))]
pub use zc_async_std::AsyncStd;

/// compio (Linux): `zc::copy` takes compio's own `fs::File`, `net::{TcpStream, UnixStream}`
/// and `fs::pipe` ends on its io_uring or polling driver (see `zc_compio`; compio's crates
/// need Rust 1.95). Re-exporting from `zc_compio` also links its endpoint implementations.
#[cfg(all(feature = "compio", target_os = "linux"))]
#[cfg_attr(docsrs, doc(cfg(feature = "compio")))]
pub use zc_compio::Compio;
