//! Static files by `sendfile(2)` from hyper 1.x and axum 0.8.
//!
//! hyper writes every response body from `Bytes` frames; this crate lets the file bodies of
//! HTTP/1.x responses leave by `sendfile` anyway, while hyper still parses the requests and
//! writes the heads, and while the user's layers (compression, tracing, anything) stay
//! where they are. It provides:
//!
//! * [`ZcIo`], a connection (over tokio's `TcpStream` or `UnixStream`) that sends the file
//!   ranges hyper hands it as tokens with `sendfile` (through `zc::copy_report`);
//! * [`ZcService`], the observer: the outermost service of a connection, which sees each
//!   final response after every layer and turns a body's file ranges into tokens only when
//!   it can prove that no layer changed the body's frames;
//! * [`ZcBody`], a body of file ranges (and multipart boundaries), which yields the file's
//!   bytes read in user space wherever zero-copy is not proven (HTTP/2, TLS, a compression
//!   layer, plain `axum::serve`), without a blocking-pool hop for a cached file;
//! * [`ServeDir`], tower-http's `ServeDir` with these bodies;
//! * [`serve`], `axum::serve` over [`ZcIo`] and [`ZcService`].
//!
//! The change to an axum app is two lines: `axum::serve` → `zc_hyper::serve`, and
//! `tower_http::services::ServeDir` → `zc_hyper::ServeDir`.
//!
//! # The invariant
//!
//! The client never receives a byte that is not the file's. A file range goes by
//! `sendfile` only when (1) the request is HTTP/1.x, (2) the connection has shown that hyper
//! hands it body frames by reference (a probe frame's address reached its vectored write: on
//! a fresh connection, the first [`PROBE_PREFIX`] bytes of the first file body, sent through
//! user space),
//! (3) the response hyper writes still has the status, `Content-Length` and
//! `Content-Encoding` the body was made with, and (4) the layers returned the body's
//! identity token for that range unchanged, after every literal frame before it, with no
//! other poll of the body in between. Otherwise the body yields real bytes from the exact
//! position, and [`Delivery::report`] says why. `docs/DESIGN.md` ("hyper and axum") gives
//! the argument and the cases it leaves.
//!
//! # Observability
//!
//! Each [`ZcBody`]'s [`Delivery`] (a response extension) reports the bytes sent by
//! `sendfile` and through user space and the reason for the latter;
//! [`ZcService::on_response`] (and [`Serve::on_response`]) is called once per finished
//! response with its [`BodyReport`]; [`counters`] are process-wide.
//!
//! # Supported versions
//!
//! hyper 1.x (1.13 tested; its HTTP/1 writer's queue strategy is what the zero-copy path
//! relies on, and the tests observe that path, so a release that changes it fails them),
//! hyper-util 0.1, axum 0.8, tokio 1. Linux (`sendfile`, `preadv2(RWF_NOWAIT)`).
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![cfg(target_os = "linux")]

mod body;
mod io;
mod observe;
mod serve;
mod serve_dir;
mod stats;
mod token;

pub use body::{BodyReport, Delivery, UserSpace, ZcBody, PROBE_PREFIX};
pub use io::{Stream, ZcIo};
pub use observe::{Completed, ObserveFuture, ObservedBody, ResponseHook, ZcService};
pub use serve::{serve, Serve, ServeFuture, WithGracefulShutdown};
pub use serve_dir::ServeDir;
pub use stats::{counters, Counters};
