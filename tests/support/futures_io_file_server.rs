//! curl checks of the file server examples (tokio's, and smol's and async-std's, which share
//! their connection loop in examples/common/futures_io_server.rs); written once, run on each
//! runtime.
//!
//! A test file includes its example as `mod server` (so `crate::server::Sent` is the report
//! type), this file as `mod file_server`, and starts the server with [`Server::start`], giving
//! it a function that runs the runtime's accept loop on the listener until `stop` resolves and
//! sends each finished connection's responses on the channel.
#![allow(dead_code)]

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use zc::CopyPath;

use crate::server::Sent;
use crate::support::{curl, pattern};

/// The size of the big test file: a few MiB and not a multiple of a page.
pub const BIG: usize = (3 << 20) + 7;

/// The accept loop of one runtime: serves `root` (canonical) on `listener` until `stop`
/// receives, sending each finished connection's responses on `sent`.
pub type AcceptLoop = fn(TcpListener, PathBuf, mpsc::Sender<Vec<Sent>>, mpsc::Receiver<()>);

/// A server on its own thread, serving a temporary root.
pub struct Server {
    _dir: tempfile::TempDir,
    addr: SocketAddr,
    out: PathBuf,
    sent: mpsc::Receiver<Vec<Sent>>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Makes the root (a big file, a directory with an index, an empty file, a secret outside
    /// the root and a symlink to it) and runs `accept_loop` on a thread.
    pub fn start(accept_loop: AcceptLoop) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("www");
        fs::create_dir_all(root.join("docs")).unwrap();
        fs::write(root.join("big.bin"), pattern(BIG)).unwrap();
        fs::write(root.join("docs/index.html"), b"<h1>docs</h1>\n").unwrap();
        fs::write(root.join("empty.txt"), b"").unwrap();
        fs::write(dir.path().join("secret.txt"), b"SECRET outside the root\n").unwrap();
        std::os::unix::fs::symlink("../secret.txt", root.join("escape.txt")).unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();

        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let root = fs::canonicalize(root).unwrap();
        let (tx, sent) = mpsc::channel();
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::spawn(move || accept_loop(listener, root, tx, stopped));
        Server {
            _dir: dir,
            addr,
            out,
            sent,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn out(&self) -> &Path {
        &self.out
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

    /// The responses of the next connection that ends.
    pub fn next_connection(&self) -> Vec<Sent> {
        self.sent
            .recv_timeout(Duration::from_secs(30))
            .expect("the server reports the connection")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // The accept loop ends when `stop` is dropped; a panic in it fails the test.
            if thread.join().is_err() && !std::thread::panicking() {
                panic!("the server thread panicked");
            }
        }
    }
}

pub fn get_of_a_file_sends_exact_bytes_by_sendfile(server: &Server) {
    let (status, body) = server.fetch("/big.bin", &[]);
    assert_eq!(status, 200);
    assert!(body == pattern(BIG), "body differs");
    let sent = server.next_connection();
    assert_eq!(sent.len(), 1);
    let report = sent[0].body.expect("a file body");
    assert_eq!(report.path(), CopyPath::Sendfile);
    assert_eq!(report.kernel_bytes(), BIG as u64);
}

pub fn range_is_answered_206_with_exactly_its_bytes_by_sendfile(server: &Server) {
    let data = pattern(BIG);
    let (status, body) = server.fetch("/big.bin", &["--range", "1000-200999"]);
    assert_eq!(status, 206);
    assert!(body[..] == data[1000..201_000], "range bytes differ");
    let report = server.next_connection()[0].body.expect("a file body");
    assert_eq!(report.path(), CopyPath::Sendfile);
    assert_eq!(report.bytes(), 200_000);
    assert_eq!(report.kernel_bytes(), 200_000);

    let (status, body) = server.fetch("/big.bin", &["--range", "-500"]);
    assert_eq!(status, 206);
    assert!(body[..] == data[BIG - 500..], "suffix range bytes differ");
    let (status, body) = server.fetch("/big.bin", &["--range", "3145000-"]);
    assert_eq!(status, 206);
    assert!(body[..] == data[3_145_000..], "open range bytes differ");
}

pub fn head_sends_the_headers_of_get_and_no_body(server: &Server) {
    let headers = server.out.join("headers");
    let url = server.url("/big.bin");
    let output = curl(&["--head", "--dump-header", headers.to_str().unwrap(), &url]);
    assert!(output.status.success());
    let headers = fs::read_to_string(headers).unwrap().to_ascii_lowercase();
    assert!(headers.starts_with("http/1.1 200 ok\r\n"), "{headers}");
    assert!(
        headers.contains(&format!("content-length: {BIG}\r\n")),
        "{headers}"
    );
    assert!(headers.contains("accept-ranges: bytes\r\n"), "{headers}");
    let sent = server.next_connection();
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

pub fn paths_outside_the_root_are_not_served(server: &Server) {
    for path in [
        "/../secret.txt",
        "/docs/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/docs/%2E%2E%2F%2E%2E%2Fsecret.txt",
        "/escape.txt",
    ] {
        let (status, body) = server.fetch(path, &[]);
        assert_eq!(status, 404, "{path}");
        assert!(!String::from_utf8_lossy(&body).contains("SECRET"), "{path}");
    }
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
    let sent = server.next_connection();
    assert_eq!(sent.len(), 2, "both requests on one connection: {sent:?}");
    for response in &sent {
        assert_eq!(
            response.body.expect("a file body").path(),
            CopyPath::Sendfile
        );
    }
}

/// Expands to one `#[test]` per body above, each on a fresh server run by `$accept_loop`.
macro_rules! file_server_tests {
    ($accept_loop:path) => {
        $crate::file_server::file_server_tests!(@each $accept_loop;
            get_of_a_file_sends_exact_bytes_by_sendfile,
            range_is_answered_206_with_exactly_its_bytes_by_sendfile,
            head_sends_the_headers_of_get_and_no_body,
            errors_are_404_405_and_416,
            paths_outside_the_root_are_not_served,
            keep_alive_serves_several_requests_on_one_connection,
        );
    };
    (@each $accept_loop:path; $($body:ident),* $(,)?) => {
        $(
            #[test]
            fn $body() {
                let server = $crate::file_server::Server::start($accept_loop);
                $crate::file_server::$body(&server);
            }
        )*
    };
}
pub(crate) use file_server_tests;
