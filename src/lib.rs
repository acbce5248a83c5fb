#![forbid(unsafe_code)]
//! zc
pub use zc_traits::*;

/// tokio: `zc::copy` takes tokio's own `File`, `TcpStream`, `UnixStream` and pipes (see
/// `zc_tokio`). Re-exporting from `zc_tokio` also links its endpoint implementations.
#[cfg(feature = "tokio")]
pub use zc_tokio::{Tokio, TokioIo};
