#![forbid(unsafe_code)]
//! zc
pub use zc_traits::*;

/// tokio: `zc::copy` takes tokio's own `File`, `TcpStream`, `UnixStream` and pipes (see
/// `zc_tokio`). Re-exporting from `zc_tokio` also links its endpoint implementations.
#[cfg(feature = "tokio")]
pub use zc_tokio::{Tokio, TokioIo};

/// smol: `zc::copy` takes smol's own `fs::File`, `net::TcpStream`, `net::unix::UnixStream` and
/// `Async<T>` sockets and pipes (see `zc_smol`). Re-exporting from `zc_smol` also links its
/// endpoint implementations.
#[cfg(feature = "smol")]
pub use zc_smol::Smol;

/// async-std: `zc::copy` takes async-std's own `fs::File`, `net::TcpStream` and
/// `os::unix::net::UnixStream` (see `zc_async_std`; async-std is discontinued, new code should
/// prefer smol). Re-exporting from `zc_async_std` also links its endpoint implementations.
#[cfg(feature = "async-std")]
pub use zc_async_std::AsyncStd;
