//! Checks of the file server and proxy examples (examples/common: one server for the three
//! runtimes), written once and run on each runtime: curl for what a user sees, a raw socket
//! for the bytes HTTP/1.1 puts on the wire, the example binaries for what needs a process of
//! its own (a lowered fd limit, RSS, `--help`).
//!
//! A test file includes `examples/common` as `mod common`, this file as `mod file_server`,
//! and expands [`file_server_tests!`] with its runtime (`common::runtimes::Tokio`, ...).
#![allow(dead_code, unused_macros, unused_imports)]

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use zc::CopyPath;
use zc_test_support::pattern;

use crate::common::file_server::{self, Body, Config, Event, Site};
use crate::common::rt::Runtime;
use crate::support::curl;

/// zc-http's ported suites (Go's and nginx's file-serving tests), the same table its own
/// tests run against the library.
#[path = "../../zc-http/tests/ported/mod.rs"]
pub mod ported;

/// The size of the big test file: a few MiB and not a multiple of a page.
pub const BIG: usize = (3 << 20) + 7;

/// One response, as the server observed it.
#[derive(Debug, Clone)]
pub struct Sent {
    pub request: String,
    pub status: u16,
    pub head_corked: bool,
    pub body: Option<Body>,
}

/// A connection's end, as the server observed it.
#[derive(Debug)]
pub struct Closed {
    pub responses: Vec<Sent>,
    pub error: Option<std::io::ErrorKind>,
}

/// A server on its own thread, serving a temporary root, stopped when dropped.
pub struct Server {
    dir: tempfile::TempDir,
    addr: SocketAddr,
    out: PathBuf,
    closed: mpsc::Receiver<Closed>,
    stop: Option<smol::channel::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Makes the root: a big file, a 16 KiB file, a directory with an index, an empty file, a
/// dotfile, a secret outside the root and a symlink to it.
fn make_root(dir: &Path) -> PathBuf {
    let root = dir.join("www");
    fs::create_dir_all(root.join("docs")).unwrap();
    fs::create_dir_all(root.join(".git")).unwrap();
    fs::write(root.join("big.bin"), pattern(BIG)).unwrap();
    fs::write(root.join("16k.bin"), pattern(16 << 10)).unwrap();
    fs::write(root.join("docs/index.html"), b"<h1>docs</h1>\n").unwrap();
    fs::write(root.join("empty.txt"), b"").unwrap();
    fs::write(root.join(".git/config"), b"[core]\n").unwrap();
    fs::write(dir.join("secret.txt"), b"SECRET outside the root\n").unwrap();
    std::os::unix::fs::symlink("../secret.txt", root.join("escape.txt")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("absolute.txt")).unwrap();
    // A file far larger than any socket buffer, for the send timeout (sparse: no disk used).
    fs::File::create(root.join("huge.bin"))
        .unwrap()
        .set_len(256 << 20)
        .unwrap();
    root
}

impl Server {
    /// Serves a fresh root with the default settings but for `tweak`, on runtime `R`.
    pub fn start<R: Runtime>(tweak: impl FnOnce(&mut Config)) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = make_root(dir.path());
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        let mut config = Config {
            root,
            access_log: false,
            ..Config::default()
        };
        tweak(&mut config);

        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let (tx, closed) = mpsc::channel();
        let open: Mutex<HashMap<SocketAddr, Vec<Sent>>> = Mutex::default();
        let tx = Mutex::new(tx);
        let observer: file_server::Observer = Arc::new(move |peer, event: &Event<'_>| {
            let mut open = open.lock().unwrap();
            match event {
                Event::Response(sent) => open.entry(peer).or_default().push(Sent {
                    request: format!("{} {}", sent.method, sent.target),
                    status: sent.status,
                    head_corked: sent.head_corked,
                    body: sent.body,
                }),
                Event::Closed(error) => {
                    let responses = open.remove(&peer).unwrap_or_default();
                    let error = error.map(|e| e.kind());
                    let _ = tx.lock().unwrap().send(Closed { responses, error });
                }
            }
        });
        let site = Arc::new(Site::new(config, Some(observer)).expect("the site"));
        let (stop, stopped) = smol::channel::bounded::<()>(1);
        let thread = std::thread::spawn(move || {
            R::block_on(async move {
                let listener = R::listener(listener).expect("register the listener");
                let serve = file_server::serve::<R>(listener, site);
                let stopped = async {
                    let _ = stopped.recv().await;
                    Ok(())
                };
                futures_lite::future::or(serve, stopped).await.unwrap();
            })
        });
        Server {
            dir,
            addr,
            out,
            closed,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("www")
    }

    /// Runs curl on `path` with `args`; returns (status, body).
    pub fn fetch(&self, path: &str, args: &[&str]) -> (u16, Vec<u8>) {
        let file = self.out.join("body");
        let _ = fs::remove_file(&file);
        let url = self.url(path);
        let mut all = vec![
            "--path-as-is",
            "--output",
            file.to_str().unwrap(),
            "--write-out",
            "%{http_code}",
        ];
        all.extend_from_slice(args);
        all.push(&url);
        let output = curl(&all);
        assert!(
            output.status.success(),
            "curl {all:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let status = String::from_utf8_lossy(&output.stdout).parse().unwrap();
        (status, fs::read(&file).unwrap_or_default())
    }

    /// The next connection that ends, as the server saw it.
    pub fn next_connection(&self) -> Closed {
        self.closed
            .recv_timeout(Duration::from_secs(30))
            .expect("the server reports the connection")
    }

    /// The responses of the next connection that ends.
    pub fn next_responses(&self) -> Vec<Sent> {
        self.next_connection().responses
    }

    /// A raw client: connected, with a read timeout.
    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream
    }

    /// Sends `request` on a new connection, half-closes, and returns all the server sent
    /// until it closed.
    pub fn exchange(&self, request: &[u8]) -> Vec<u8> {
        let mut stream = self.connect();
        stream.write_all(request).unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).expect("the server's reply");
        reply
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() && !std::thread::panicking() {
                panic!("the server thread panicked");
            }
        }
    }
}

/// The status lines of a raw reply.
fn statuses(reply: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(reply)
        .split('\n')
        .filter(|l| l.starts_with("HTTP/1.1 "))
        .map(|l| l.trim_end_matches('\r').to_owned())
        .collect()
}

/// The value of header `name` in the first response head of `reply`.
fn header(reply: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(reply);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    head.split("\r\n").find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
    })
}

fn get(path: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: t\r\n{extra}\r\n").into_bytes()
}

pub fn get_of_a_file_sends_exact_bytes_by_sendfile(server: &Server) {
    let (status, body) = server.fetch("/big.bin", &[]);
    assert_eq!(status, 200);
    assert!(body == pattern(BIG), "body differs");
    let sent = server.next_responses();
    assert_eq!(sent.len(), 1);
    let body = sent[0].body.expect("a file body");
    assert_eq!((body.path, body.parts), (CopyPath::Sendfile, 1));
    assert_eq!((body.bytes, body.kernel_bytes), (BIG as u64, BIG as u64));
}

pub fn range_is_answered_206_with_exactly_its_bytes_by_sendfile(server: &Server) {
    let data = pattern(BIG);
    let (status, body) = server.fetch("/big.bin", &["--range", "1000-200999"]);
    assert_eq!(status, 206);
    assert!(body[..] == data[1000..201_000], "range bytes differ");
    let body = server.next_responses()[0].body.expect("a file body");
    assert_eq!(body.path, CopyPath::Sendfile);
    assert_eq!((body.bytes, body.kernel_bytes), (200_000, 200_000));

    let (status, body) = server.fetch("/big.bin", &["--range", "-500"]);
    assert_eq!(status, 206);
    assert!(body[..] == data[BIG - 500..], "suffix range bytes differ");
    let (status, body) = server.fetch("/big.bin", &["--range", "3145000-"]);
    assert_eq!(status, 206);
    assert!(body[..] == data[3_145_000..], "open range bytes differ");
}

pub fn multiple_ranges_are_multipart_with_each_part_exact_by_sendfile(server: &Server) {
    let data = pattern(BIG);
    let reply = server.exchange(&get("/big.bin", "Range: bytes=5000-5099, 0-9,-7\r\n"));
    let text = String::from_utf8_lossy(&reply).into_owned();
    assert!(text.starts_with("HTTP/1.1 206 "), "{text:.300}");
    let content_type = header(&reply, "content-type").unwrap();
    let boundary = content_type
        .strip_prefix("multipart/byteranges; boundary=")
        .expect("multipart");
    let (head, body) = reply.split_at(text.find("\r\n\r\n").unwrap() + 4);
    let length: usize = header(head, "content-length").unwrap().parse().unwrap();
    assert_eq!(body.len(), length, "Content-Length is the body's length");
    let mut rest = body;
    for (start, end) in [(5000, 5099), (0, 9), (BIG - 7, BIG - 1)] {
        let part_head = format!(
            "\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes {start}-{end}/{BIG}\r\n\r\n"
        );
        assert!(rest.starts_with(part_head.as_bytes()), "part {start}-{end}");
        rest = &rest[part_head.len()..];
        assert!(
            rest[..end - start + 1] == data[start..=end],
            "part {start}-{end} bytes"
        );
        rest = &rest[end - start + 1..];
    }
    assert_eq!(rest, format!("\r\n--{boundary}--\r\n").as_bytes());
    let body = server.next_responses()[0].body.expect("a file body");
    assert_eq!((body.parts, body.path), (3, CopyPath::Sendfile));
    assert_eq!((body.bytes, body.kernel_bytes), (117, 117));

    // Beyond --max-ranges (16): the whole file, 200.
    let many: Vec<String> = (0..17).map(|i| format!("{i}-{i}")).collect();
    let reply = server.exchange(&get(
        "/16k.bin",
        &format!("Range: bytes={}\r\n", many.join(",")),
    ));
    assert_eq!(statuses(&reply), ["HTTP/1.1 200 OK"]);
}

pub fn head_sends_the_headers_of_get_and_no_body(server: &Server) {
    let headers = server.out.join("headers");
    let url = server.url("/big.bin");
    let output = curl(&["--head", "--dump-header", headers.to_str().unwrap(), &url]);
    assert!(output.status.success());
    let headers = fs::read_to_string(headers).unwrap().to_ascii_lowercase();
    assert!(headers.starts_with("http/1.1 200 ok\r\n"), "{headers}");
    for field in [
        format!("content-length: {BIG}\r\n"),
        "accept-ranges: bytes\r\n".into(),
        "content-type: application/octet-stream\r\n".into(),
        "last-modified: ".into(),
        "etag: \"".into(),
        "date: ".into(),
    ] {
        assert!(headers.contains(&field), "{field} in {headers}");
    }
    let sent = server.next_responses();
    assert_eq!((sent[0].status, sent[0].body.is_none()), (200, true));
}

pub fn errors_are_404_405_and_416(server: &Server) {
    assert_eq!(server.fetch("/missing.txt", &[]).0, 404);
    assert_eq!(server.fetch("/big.bin", &["--range", "9999999-"]).0, 416);
    assert_eq!(server.fetch("/big.bin", &["--request", "POST"]).0, 405);
    let (status, body) = server.fetch("/docs/", &[]);
    assert_eq!((status, &body[..]), (200, &b"<h1>docs</h1>\n"[..]));
    let (status, body) = server.fetch("/empty.txt", &[]);
    assert_eq!((status, body.len()), (200, 0));
}

pub fn paths_outside_the_root_and_dotfiles_are_not_served(server: &Server) {
    for path in [
        "/../secret.txt",
        "/docs/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/docs/%2E%2E%2F%2E%2E%2Fsecret.txt",
        "/escape.txt",
        "/absolute.txt",
        "/.git/config",
        "/.git/",
    ] {
        let (status, body) = server.fetch(path, &[]);
        assert_eq!(status, 404, "{path}");
        assert!(!String::from_utf8_lossy(&body).contains("SECRET"), "{path}");
        assert!(!String::from_utf8_lossy(&body).contains("root:"), "{path}");
    }
}

pub fn directory_without_slash_is_301(server: &Server) {
    let reply = server.exchange(&get("/docs?x=1", "Connection: close\r\n"));
    assert_eq!(statuses(&reply), ["HTTP/1.1 301 Moved Permanently"]);
    assert_eq!(header(&reply, "location").as_deref(), Some("/docs/?x=1"));
    let (status, body) = server.fetch("/docs", &["--location"]);
    assert_eq!((status, &body[..]), (200, &b"<h1>docs</h1>\n"[..]));
}

/// A directory without an `index.html` is not listed: 403, as nginx answers (`autoindex
/// off`); one with an index serves it.
pub fn directory_without_an_index_is_403(server: &Server) {
    let (status, _) = server.fetch("/", &[]);
    assert_eq!(status, 403);
    let (status, body) = server.fetch("/docs/", &[]);
    assert_eq!((status, &body[..]), (200, &b"<h1>docs</h1>\n"[..]));
}

pub fn validators_make_conditional_requests_304(server: &Server) {
    let reply = server.exchange(&get("/16k.bin", ""));
    let etag = header(&reply, "etag").expect("ETag");
    let modified = header(&reply, "last-modified").expect("Last-Modified");
    let conditional = [
        (format!("If-None-Match: {etag}\r\n"), "304 Not Modified"),
        (
            format!("If-None-Match: \"x\", W/{etag}\r\n"),
            "304 Not Modified",
        ),
        ("If-None-Match: \"stale\"\r\n".into(), "200 OK"),
        (
            format!("If-Modified-Since: {modified}\r\n"),
            "304 Not Modified",
        ),
        (
            "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n".into(),
            "200 OK",
        ),
        (
            format!("Range: bytes=0-0\r\nIf-Range: {etag}\r\n"),
            "206 Partial Content",
        ),
        (
            "Range: bytes=0-0\r\nIf-Range: \"stale\"\r\n".into(),
            "200 OK",
        ),
    ];
    for (extra, status) in conditional {
        let reply = server.exchange(&get("/16k.bin", &extra));
        assert_eq!(statuses(&reply), [format!("HTTP/1.1 {status}")], "{extra}");
        if status.starts_with("304") {
            assert!(reply.ends_with(b"\r\n\r\n"), "a 304 has no body");
            assert_eq!(header(&reply, "etag").as_ref(), Some(&etag));
        }
    }
}

pub fn request_smuggling_and_bad_heads_get_400_and_nothing_else(server: &Server) {
    // The "body" of a request with two lengths would be a second request: it must not be
    // answered.
    let smuggled = b"GET /16k.bin HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nContent-Length: 38\r\n\r\nGET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n";
    let te_cl = b"GET /16k.bin HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    let no_host = b"GET /16k.bin HTTP/1.1\r\n\r\n";
    for request in [
        &smuggled[..],
        te_cl,
        no_host,
        b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
    ] {
        let reply = server.exchange(request);
        assert_eq!(
            statuses(&reply),
            ["HTTP/1.1 400 Bad Request"],
            "{}",
            String::from_utf8_lossy(request)
        );
        assert!(
            reply.ends_with(b"400 Bad Request\n"),
            "nothing after the 400"
        );
    }
}

pub fn absolute_form_and_bare_lf_are_answered(server: &Server) {
    let absolute = format!("GET http://{}/docs/ HTTP/1.1\r\n\r\n", server.addr);
    let bare_lf = b"GET /docs/ HTTP/1.1\nHost: t\nConnection: close\n\n";
    for request in [absolute.as_bytes(), bare_lf] {
        let reply = server.exchange(request);
        assert_eq!(statuses(&reply), ["HTTP/1.1 200 OK"]);
        assert!(reply.ends_with(b"<h1>docs</h1>\n"));
    }
}

pub fn oversized_head_gets_431_by_lingering_close(server: &Server) {
    // The client goes on sending after the server refused: without a lingering close the
    // server's close would reset the connection and the client would lose the 431.
    let mut stream = server.connect();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: t\r\nX: ")
        .unwrap();
    let filler = vec![b'a'; 8 << 10];
    let mut sent = 0;
    while sent < (64 << 10) {
        if stream.write_all(&filler).is_err() {
            break;
        }
        sent += filler.len();
    }
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut reply = Vec::new();
    stream
        .read_to_end(&mut reply)
        .expect("the 431, not a reset");
    assert_eq!(
        statuses(&reply),
        ["HTTP/1.1 431 Request Header Fields Too Large"]
    );
}

pub fn keep_alive_serves_several_requests_on_one_connection(server: &Server) {
    let (first, second) = (server.out.join("1"), server.out.join("2"));
    let (url1, url2) = (server.url("/big.bin"), server.url("/docs/index.html"));
    let output = curl(&[
        "--output",
        first.to_str().unwrap(),
        &url1,
        "--output",
        second.to_str().unwrap(),
        &url2,
    ]);
    assert!(output.status.success());
    assert!(fs::read(first).unwrap() == pattern(BIG));
    assert_eq!(fs::read(second).unwrap(), b"<h1>docs</h1>\n");
    let sent = server.next_responses();
    assert_eq!(sent.len(), 2, "both requests on one connection: {sent:?}");
    for response in &sent {
        assert_eq!(response.body.expect("a file body").path, CopyPath::Sendfile);
    }
}

/// Issue 11's stall: a head written alone, then the body, waits for the client's delayed ACK
/// on every keep-alive request after the first. Observed without a clock: the server sends
/// each head with `MSG_MORE` (reported), so the head never travels alone: the client's first
/// `read` of each response returns the head and body bytes with it.
pub fn ten_keep_alive_requests_each_arrive_head_and_body_together(server: &Server) {
    let mut stream = server.connect();
    let body = pattern(16 << 10);
    let mut buf = vec![0; 256 << 10];
    for i in 0..10 {
        stream.write_all(&get("/16k.bin", "")).unwrap();
        let n = stream.read(&mut buf).unwrap();
        let head_end = buf[..n]
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("request {i}: a read of {n} bytes has no whole head"))
            + 4;
        assert!(
            n > head_end,
            "request {i}: the head arrived alone, without body bytes"
        );
        let mut reply = buf[head_end..n].to_vec();
        while reply.len() < body.len() {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0, "request {i}: closed mid-body");
            reply.extend_from_slice(&buf[..n]);
        }
        assert!(reply == body, "request {i}: body bytes differ");
    }
    drop(stream);
    let sent = server.next_responses();
    assert_eq!(sent.len(), 10);
    for (i, response) in sent.iter().enumerate() {
        assert!(
            response.head_corked,
            "request {i}: head not sent with MSG_MORE"
        );
        assert_eq!(response.body.unwrap().path, CopyPath::Sendfile);
    }
}

/// Pipelined requests are answered in order, and what the connection keeps does not grow:
/// each response is observed as it is sent.
pub fn pipelined_requests_are_answered_in_order(server: &Server) {
    let mut pipeline = Vec::new();
    for path in ["/docs/", "/missing", "/docs/index.html", "/empty.txt"] {
        pipeline.extend_from_slice(&get(path, ""));
    }
    let reply = server.exchange(&pipeline);
    assert_eq!(
        statuses(&reply),
        [
            "HTTP/1.1 200 OK",
            "HTTP/1.1 404 Not Found",
            "HTTP/1.1 200 OK",
            "HTTP/1.1 200 OK"
        ]
    );
}

/// Expands to one `#[test]` per body above, each on a fresh server of runtime `$rt`.
macro_rules! file_server_tests {
    ($rt:ty, $name:literal) => {
        $crate::file_server::file_server_tests!(@each $rt;
            get_of_a_file_sends_exact_bytes_by_sendfile,
            range_is_answered_206_with_exactly_its_bytes_by_sendfile,
            multiple_ranges_are_multipart_with_each_part_exact_by_sendfile,
            head_sends_the_headers_of_get_and_no_body,
            errors_are_404_405_and_416,
            paths_outside_the_root_and_dotfiles_are_not_served,
            directory_without_slash_is_301,
            directory_without_an_index_is_403,
            validators_make_conditional_requests_304,
            request_smuggling_and_bad_heads_get_400_and_nothing_else,
            absolute_form_and_bare_lf_are_answered,
            oversized_head_gets_431_by_lingering_close,
            keep_alive_serves_several_requests_on_one_connection,
            ten_keep_alive_requests_each_arrive_head_and_body_together,
            pipelined_requests_are_answered_in_order,
        );

        #[test]
        fn ported_http_suites_pass_over_a_socket() {
            $crate::file_server::ported_http_suites_pass_over_a_socket::<$rt>();
        }

        #[test]
        fn file_server_keeps_serving_after_running_out_of_fds() {
            let dir = $crate::file_server::one_file_root();
            let args = $crate::file_server::example_args(&dir);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            $crate::file_server::survives_emfile(concat!($name, "_file_server"), &args, "/a.txt");
        }

        #[test]
        fn proxy_keeps_serving_after_running_out_of_fds() {
            let server = $crate::file_server::Server::start::<$rt>(|_| {});
            let upstream = server.addr().to_string();
            let args = ["--listen", "127.0.0.1:0", "--upstream", &upstream, "--threads", "1"];
            $crate::file_server::survives_emfile(concat!($name, "_proxy"), &args, "/docs/index.html");
        }

        #[test]
        fn help_exits_0_and_a_bad_flag_exits_2() {
            $crate::file_server::help_exits_0_and_a_bad_flag_exits_2(concat!($name, "_file_server"));
            $crate::file_server::help_exits_0_and_a_bad_flag_exits_2(concat!($name, "_proxy"));
        }

        #[test]
        fn a_slow_head_is_closed_at_its_deadline() {
            $crate::file_server::a_slow_head_is_closed_at_its_deadline::<$rt>();
        }

        #[test]
        fn a_client_that_does_not_read_is_closed_by_the_send_timeout() {
            $crate::file_server::a_client_that_does_not_read_is_closed_by_the_send_timeout::<$rt>();
        }

        #[test]
        fn an_idle_keep_alive_connection_is_closed() {
            $crate::file_server::an_idle_keep_alive_connection_is_closed::<$rt>();
        }

        #[test]
        fn an_idle_proxied_connection_is_closed_and_a_host_name_upstream_works() {
            $crate::file_server::an_idle_proxied_connection_is_closed_and_a_host_name_upstream_works::<$rt>();
        }
    };
    (@each $rt:ty; $($body:ident),* $(,)?) => {
        $(
            #[test]
            fn $body() {
                let server = $crate::file_server::Server::start::<$rt>(|_| {});
                $crate::file_server::$body(&server);
            }
        )*
    };
}
pub(crate) use file_server_tests;

/// zc-http's ported suites (Go's `TestServeContent`, `ServeFileRangeTests`,
/// `ParseRangeTests`; nginx-tests' `range.t`, `range_if_range.t`, `not_modified.t`; the
/// precompressed cases) asked of the example server over real sockets, one connection per
/// request, GET (and HEAD where the suite asks both); each file body must have gone out by
/// `sendfile`. The cases that need an entity a file cannot have run against the library only.
pub fn ported_http_suites_pass_over_a_socket<R: Runtime>() {
    let fixture = tempfile::tempdir().unwrap();
    ported::make_root(fixture.path());
    let cases: Vec<ported::Case> = ported::all()
        .into_iter()
        .filter(|case| case.entity.is_none())
        .collect();
    let mut settings: Vec<(usize, bool)> = cases
        .iter()
        .map(|case| (case.max_ranges, case.precompressed))
        .collect();
    settings.sort();
    settings.dedup();
    let mut asked = 0;
    for (max_ranges, precompressed) in settings {
        let server = Server::start::<R>(|config| {
            config.root = fixture.path().to_owned();
            config.max_ranges = max_ranges;
            config.precompressed = precompressed;
        });
        let mine = cases
            .iter()
            .filter(|c| (c.max_ranges, c.precompressed) == (max_ranges, precompressed));
        for case in mine {
            let methods: &[&str] = if case.head_too {
                &["GET", "HEAD"]
            } else {
                &["GET"]
            };
            for &method in methods {
                let mut request = format!(
                    "{method} {} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n",
                    case.target
                );
                for &(name, value) in case.headers {
                    request.push_str(&format!("{name}: {}\r\n", case.fill(value)));
                }
                request.push_str("\r\n");
                let reply =
                    ported::Reply::parse(&server.exchange(request.as_bytes()), method == "HEAD");
                ported::check(case, method, &reply);
                let sent = server.next_responses();
                assert_eq!(sent.len(), 1, "{}", case.name);
                if !reply.body.is_empty() && reply.status / 100 == 2 {
                    let body = sent[0].body.expect("a file body");
                    assert_eq!(body.path, CopyPath::Sendfile, "{}", case.name);
                }
                asked += 1;
            }
        }
    }
    assert!(asked > 100, "{asked} requests");
}

/// A head sent one byte at a time never completes; the whole-head deadline closes it, where
/// a per-read timeout would be restarted by each byte.
pub fn a_slow_head_is_closed_at_its_deadline<R: Runtime>() {
    let server = Server::start::<R>(|c| c.header_timeout = Duration::from_millis(600));
    let mut stream = server.connect();
    let start = Instant::now();
    let mut closed = false;
    for byte in b"GET /16k.bin HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
        if stream.write_all(&[*byte]).is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        if start.elapsed() > Duration::from_secs(10) {
            break;
        }
    }
    let ended = server.next_connection();
    assert_eq!(ended.error, Some(std::io::ErrorKind::TimedOut), "{ended:?}");
    assert!(ended.responses.is_empty());
    assert!(
        closed || start.elapsed() < Duration::from_secs(10),
        "closed before the head could finish"
    );
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    assert!(
        rest.is_empty(),
        "nothing answered to a head that never ended"
    );
}

/// A client that asks for a huge file and never reads: the send timeout frees the connection.
pub fn a_client_that_does_not_read_is_closed_by_the_send_timeout<R: Runtime>() {
    let server = Server::start::<R>(|c| c.send_timeout = Duration::from_millis(500));
    let stream = server.connect();
    rustix::net::sockopt::set_socket_recv_buffer_size(&stream, 4096).unwrap();
    (&stream).write_all(&get("/huge.bin", "")).unwrap();
    let ended = server.next_connection();
    assert_eq!(ended.error, Some(std::io::ErrorKind::TimedOut), "{ended:?}");
    drop(stream);
}

/// After a response, a keep-alive connection with no next request is closed at the timeout.
pub fn an_idle_keep_alive_connection_is_closed<R: Runtime>() {
    let server = Server::start::<R>(|c| c.keepalive_timeout = Duration::from_millis(300));
    let mut stream = server.connect();
    stream.write_all(&get("/docs/", "")).unwrap();
    let mut reply = Vec::new();
    stream
        .read_to_end(&mut reply)
        .expect("closed, not timed out");
    assert_eq!(statuses(&reply), ["HTTP/1.1 200 OK"]);
    let ended = server.next_connection();
    assert_eq!((ended.responses.len(), ended.error), (1, None));
}

/// The proxy relays to `localhost:PORT` (a host name), and closes a connection that moves no
/// byte either way for its idle timeout.
pub fn an_idle_proxied_connection_is_closed_and_a_host_name_upstream_works<R: Runtime>() {
    use crate::common::proxy;
    let server = Server::start::<R>(|_| {});
    let config = proxy::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: std::net::ToSocketAddrs::to_socket_addrs(&format!(
            "localhost:{}",
            server.addr.port()
        ))
        .unwrap()
        .filter(|a| a.is_ipv4())
        .collect(),
        threads: 1,
        connect_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_millis(400),
    };
    let front = TcpListener::bind("127.0.0.1:0").unwrap();
    front.set_nonblocking(true).unwrap();
    let addr = front.local_addr().unwrap();
    let (tx, ended) = mpsc::channel();
    std::thread::spawn(move || {
        R::block_on(async move {
            let front = R::listener(front).unwrap();
            for _ in 0..2 {
                let (mut client, _) = R::accept(&front).await.unwrap();
                let _ = tx.send(proxy::relay::<R>(&mut client, &config).await);
            }
        })
    });
    // Through the proxy: a whole response, and the connection stays open (keep-alive) until
    // the idle timeout.
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(&get("/16k.bin", "")).unwrap();
    let mut reply = Vec::new();
    stream
        .read_to_end(&mut reply)
        .expect("closed by the proxy's idle timeout");
    assert!(reply.ends_with(&pattern(16 << 10)));
    let relayed = ended.recv_timeout(Duration::from_secs(20)).unwrap();
    let err = relayed.expect_err("the idle timeout");
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);

    // A silent client: closed too.
    let mut silent = TcpStream::connect(addr).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut nothing = Vec::new();
    silent.read_to_end(&mut nothing).expect("closed, not hung");
    assert!(nothing.is_empty());
    let err = ended
        .recv_timeout(Duration::from_secs(20))
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
}

/// The path of example binary `name`, built by `cargo test` next to the test binaries.
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    let path = dir.join(name);
    assert!(path.exists(), "{} is built by cargo test", path.display());
    path
}

/// An example binary running as a child process, killed when dropped.
pub struct Example {
    pub child: Child,
    pub addr: SocketAddr,
    pub stderr: mpsc::Receiver<String>,
}

impl Example {
    /// Runs `sh -c "ulimit -n NOFILE; exec example args"` and waits for its first line
    /// (`serving ROOT on http://ADDR ...` or `relaying ADDR -> ...`) to learn its address.
    pub fn spawn(name: &str, nofile: Option<u32>, args: &[&str]) -> Example {
        let limit = nofile.map_or(String::new(), |n| format!("ulimit -n {n} && "));
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("{limit}exec \"$0\" \"$@\""))
            .arg(example(name))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the example");
        let (tx, stderr) = mpsc::channel();
        let pipe = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in pipe.lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let first = stderr
            .recv_timeout(Duration::from_secs(30))
            .expect("the example starts");
        let addr = first
            .split_whitespace()
            .find_map(|w| w.trim_start_matches("http://").parse().ok())
            .unwrap_or_else(|| panic!("an address in {first:?}"));
        Example {
            child,
            addr,
            stderr,
        }
    }

    /// Waits for a stderr line containing `text`.
    pub fn wait_for(&self, text: &str) -> String {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(_) => panic!("no line with {text:?} on the example's stderr"),
            }
        }
    }

    /// The child's resident set, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// GETs `path` from `addr` with curl until it answers 200 (or 20 s pass); returns the status.
pub fn status_soon(addr: SocketAddr, path: &str) -> u16 {
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let url = format!("http://{addr}{path}");
        let output = curl(&["--output", "/dev/null", "--write-out", "%{http_code}", &url]);
        let status = String::from_utf8_lossy(&output.stdout).parse().unwrap_or(0);
        if status == 200 || Instant::now() > until {
            return status;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs out of fds in `example` (its limit lowered to 64), then checks it serves again once
/// the connections that held them are gone.
pub fn survives_emfile(name: &str, extra: &[&str], path: &str) {
    let mut child = Example::spawn(name, Some(64), extra);
    let mut held = Vec::new();
    for _ in 0..120 {
        held.push(TcpStream::connect(child.addr).expect("the backlog takes them"));
    }
    child.wait_for("Too many open files");
    drop(held);
    assert_eq!(
        status_soon(child.addr, path),
        200,
        "served again after EMFILE"
    );
    child.wait_for("serving again after");
    assert!(child.running(), "the example is still running");
}

/// The proxy relays a real client (curl) to the file server: the small request on the buffered
/// path (the relay's splice-auto: a direction splices once it streams), the large response by
/// `splice(2)`.
pub fn proxy_relays_both_directions_by_splice<R: Runtime>() {
    use crate::common::proxy;
    let server = Server::start::<R>(|_| {});
    let config = proxy::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: vec![server.addr],
        threads: 1,
        connect_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(30),
    };
    let front = TcpListener::bind("127.0.0.1:0").unwrap();
    front.set_nonblocking(true).unwrap();
    let url = format!("http://{}/big.bin", front.local_addr().unwrap());
    let (tx, reports) = mpsc::channel();
    std::thread::spawn(move || {
        R::block_on(async move {
            let front = R::listener(front).unwrap();
            let (mut client, _) = R::accept(&front).await.unwrap();
            let _ = tx.send(proxy::relay::<R>(&mut client, &config).await);
        })
    });
    let out = server.out.join("proxied");
    let output = curl(&["--output", out.to_str().unwrap(), &url]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        fs::read(out).unwrap() == pattern(BIG),
        "proxied bytes differ"
    );
    let (up, down) = reports
        .recv_timeout(Duration::from_secs(30))
        .expect("the relay ends when curl closes")
        .expect("relay");
    // A request of a few hundred bytes never fills the buffer: no pipe, no splice.
    assert_eq!(up.path(), CopyPath::Buffered);
    assert!(up.bytes() > 0 && up.kernel_bytes() == 0);
    assert_eq!(down.path(), CopyPath::Splice);
    assert!(down.bytes() > BIG as u64, "the head and the body");
    // The reads before the direction streamed went through the buffer, the rest by splice.
    assert!(down.kernel_bytes() > 0 && down.kernel_bytes() + down.user_bytes() == down.bytes());
}

/// A root with one small file, `/a.txt`.
pub fn one_file_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.txt"), b"a\n").unwrap();
    dir
}

/// A file server example's arguments to serve `root` on a free port, one thread, quietly.
pub fn example_args(root: &tempfile::TempDir) -> Vec<String> {
    let root = root.path().to_str().unwrap();
    [
        "--root",
        root,
        "--addr",
        "127.0.0.1:0",
        "--threads",
        "1",
        "--access-log",
        "off",
    ]
    .map(String::from)
    .to_vec()
}

/// `--help` prints the usage on stdout and exits 0; an unknown flag exits 2.
pub fn help_exits_0_and_a_bad_flag_exits_2(name: &str) {
    let out = Command::new(example(name)).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{name} --help");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&format!("usage: {name}")));
    let out = Command::new(example(name)).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{name} --bogus");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown argument"));
}
