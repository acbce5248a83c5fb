//! Static file serving over zc: Go's `http.ServeContent` and nginx's static module as a
//! library — ranges, `multipart/byteranges`, conditional requests, precompressed siblings,
//! a resolver confined beneath its root — with bodies sent by `sendfile(2)` on any runtime zc
//! supports.
//!
//! The crate separates the three things a file server does:
//!
//! | step | item | I/O |
//! |---|---|---|
//! | map a target to a file | [`Root::resolve`] → [`Resolved`]: an [`Opened`] file and its [`Entity`], a redirect, or an error status | `openat2`, `fstat` (inline, no blocking pool) |
//! | decide the response | [`respond`]`(&`[`Request`]`, &`[`Entity`]`, &`[`Options`]`)` → [`Response`]: status, header fields, [`Body`] plan | none: pure, testable without a socket |
//! | send the body | [`send_body`] into any `zc::Sink` (tokio's, smol's, async-std's sockets) | `sendfile(2)` by `zc::copy_report` |
//!
//! [`Root::serve`] does the first two in one call. The response's fields are `http`'s types
//! ([`http::StatusCode`], [`http::HeaderName`], [`http::HeaderValue`]), ready for an
//! `http::Response` (hyper, axum); [`write_head`] writes them as an HTTP/1.1 head for a
//! server that writes its own. A [`Request`] borrows what the decision reads from an
//! `http::request::Parts`, a `HeaderMap`, or `httparse` headers.
//!
//! # Semantics
//!
//! RFC 9110 as Go's `net/http` and nginx implement it; the repository's tests port Go's
//! `TestServeContent` and `ServeFileRangeTests` tables and nginx-tests' `range.t`,
//! `range_if_range.t` and `not_modified.t`. Where the two differ, the choice:
//!
//! | case | answer | as |
//! |---|---|---|
//! | `Range` of another unit (`items=0-1`), or no `bytes=` prefix | 200, whole | nginx, RFC 9110 §14.2 (Go: 416) |
//! | a syntax error in a `bytes=` set (`bytes=a-`, `bytes=5-4`, `bytes=7`, a number past `u64`) | 416 | Go and nginx |
//! | a set with no range in it (`bytes=`, `bytes= , ,`) | 200, whole | Go (nginx: 416) |
//! | a range starting at or past the end (`bytes=100-` of 100 bytes), `bytes=-0` | unsatisfiable: left out of the set; 416 if nothing is left | nginx, RFC 9110 §14.1.3 (Go: `-0` is an empty range) |
//! | an end past the end (`bytes=90-500`), a suffix longer than the file (`bytes=-500`) | clipped to the file | both |
//! | any well-formed set on an empty file | 200, empty | Go |
//! | overlapping ranges (`bytes=0-5,3-8`) | served as asked, in order, neither sorted nor coalesced | both |
//! | ranges whose lengths add up past the file (`bytes=0-,0-`) | 200, whole | both |
//! | more satisfiable ranges than [`Options::max_ranges`] (unsatisfiable ones do not count) | 200, whole | nginx |
//! | `If-Match` and `If-Unmodified-Since` both sent | `If-Unmodified-Since` ignored | Go, RFC 9110 §13.2.2 (nginx checks both) |
//! | `If-None-Match` and `If-Modified-Since` both sent | `If-Modified-Since` ignored | Go, RFC (nginx checks both) |
//! | `If-Modified-Since` later than the file's time | 304 | Go, nginx's `if_modified_since before` (nginx's default `exact`: 200) |
//! | `If-Range` with a weak tag, another tag, another date, or garbage | 200, whole | both |
//! | a date header that does not parse | ignored | both |
//! | `HEAD` | the `GET`'s head, no body | both |
//! | 304 | `ETag`, `Last-Modified` (and `Vary`), no content fields | nginx (Go drops `Last-Modified`) |
//! | 416 | `Content-Range: bytes */<length>` and a short text | nginx (Go: only when no range overlaps) |
//! | a `multipart/byteranges` body | nginx's layout: each part head starts with CRLF | nginx |
//!
//! The entity tag is nginx's, `"<mtime hex>-<length hex>"` (strong); `Last-Modified` is the
//! file's time; `Accept-Ranges: bytes` is on every 200 and 206 unless ranges are off
//! (`max_ranges` 0). With precompressed siblings on ([`Root::precompressed_br`],
//! [`Root::precompressed_gzip`]), [`negotiate`] picks the coding by `Accept-Encoding`
//! weights (`q=0` refuses, `*` and `identity` count, Brotli before gzip at equal weight),
//! and the response carries `Content-Encoding`, `Vary: Accept-Encoding`, the `Content-Type`
//! of the name asked for, and the validators and ranges of the sibling sent.
//!
//! # Examples
//!
//! A whole exchange, with a `Vec<u8>` standing in for the socket (on a server, the sink is
//! the runtime's `TcpStream` and the head goes first):
//!
//! ```
//! # fn main() -> std::io::Result<()> { futures_lite::future::block_on(async {
//! # let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("hello.txt"), "hello, kernel\n")?;
//! let root = zc_http::Root::open(dir.path())?;
//!
//! let mut request = zc_http::Request::new("GET", "/hello.txt");
//! request.range = Some("bytes=7-");
//! let mut reply = root.serve(&request);
//! assert_eq!(reply.response.status, 206);
//!
//! let mut wire = Vec::new();
//! zc_http::write_head(&mut wire, reply.response.status, &reply.response.headers, "");
//! let sent = zc_http::send_body::<zc::Neutral, _>(
//!     &reply.response.body,
//!     reply.file.as_mut(),
//!     &mut wire,
//! )
//! .await?;
//! assert!(String::from_utf8_lossy(&wire).contains("\r\nContent-Range: bytes 7-13/14\r\n"));
//! assert!(wire.ends_with(b"\r\n\r\nkernel\n"));
//! assert_eq!(sent.unwrap().bytes, 7);
//! # Ok(()) }) }
//! ```
//!
//! # Errors
//!
//! The decision cannot fail: every request gets a response. [`Root::open`] fails when the
//! root is not a directory it can open; [`Root::resolve`] answers its failures as statuses
//! ([`Resolved::Error`]); [`send_body`] fails with the I/O error of the file or the sink.
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]
// The resolver opens beneath its root with Linux's openat2 (`sys.rs`), elsewhere with a
// portable fallback; zc itself is for Unix.
#![cfg(unix)]

mod conditional;
mod encoding;
mod head;
mod range;
mod request;
mod response;
mod root;
mod send;
mod sys;

/// The `http` crate this one speaks ([`StatusCode`](http::StatusCode),
/// [`HeaderName`](http::HeaderName), [`HeaderValue`](http::HeaderValue)), re-exported so a
/// server names the same version.
pub use http;

pub use encoding::{negotiate, Encoding};
pub use head::write_head;
pub use request::Request;
pub use response::{content_type, respond, Body, Entity, Multipart, Options, Part, Response};
pub use root::{Opened, Reply, Resolved, Root};
pub use send::{send_body, Sent};
