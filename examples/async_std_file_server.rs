//! A static HTTP/1.1 file server on async-std (async-std is discontinued; new code should prefer smol), whose bodies go out with `zc::copy`:
//! `sendfile(2)` from the file into the runtime's own TCP stream, ranges included.
//!
//! ```sh
//! cargo run --release --features async-std --example async_std_file_server -- --root . --addr 127.0.0.1:8080
//! curl -r 0-99 http://127.0.0.1:8080/README.md
//! ```
//!
//! What each request is answered is the `zc-http` crate's (`zc_http::Root::serve`): GET and
//! HEAD; `Range` (206, several ranges as `multipart/byteranges` with each part by
//! `sendfile`, 416); `Last-Modified`, `ETag`, and the preconditions in RFC 9110's order
//! (`If-Match`, `If-Unmodified-Since`: 412; `If-None-Match`, `If-Modified-Since`: 304),
//! `If-Range`; `Content-Type` from the extension; 301 for a directory without its slash, its
//! `index.html` with it (403 without one, as nginx); no path outside `--root` (the kernel's
//! `RESOLVE_BENEATH`) and no dotfile unless `--dotfiles`; `NAME.br`/`NAME.gz` by
//! `Accept-Encoding` with `--precompressed`. The server itself: keep-alive and pipelining;
//! request heads parsed by `httparse` (smuggling attempts and HTTP/1.1 without `Host`: 400;
//! too large: 431); head, keep-alive, send and lingering-close deadlines; an accept loop that
//! survives running out of fds. `--help` lists the flags.
//!
//! The server is written once for the three runtimes (`common/file_server.rs`); this file only
//! names its runtime (`common/runtimes.rs`).

mod common;

fn main() {
    common::file_server::main::<common::runtimes::AsyncStd>("async_std_file_server");
}
