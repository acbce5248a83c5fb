//! The tokio file server example answers a real client (curl): whole files, ranges and HEAD,
//! its errors, keep-alive, and no path outside its root; every body goes by `sendfile(2)`.
#![cfg(target_os = "linux")]

mod support;

#[path = "../examples/tokio_file_server.rs"]
mod server;

use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use support::{curl, pattern};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use zc::CopyPath;

const BIG: usize = (3 << 20) + 7;

/// A server on its own runtime, serving a temporary root; each finished connection's
/// responses arrive on `sent`.
struct Server {
    _rt: Runtime,
    _dir: tempfile::TempDir,
    addr: SocketAddr,
    out: PathBuf,
    sent: mpsc::Receiver<Vec<server::Sent>>,
}

impl Server {
    fn start() -> Server {
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

        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).expect("bind");
        let addr = listener.local_addr().unwrap();
        let root = fs::canonicalize(root).unwrap();
        let (tx, sent) = mpsc::channel();
        rt.spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.expect("accept");
                let (tx, root) = (tx.clone(), root.clone());
                tokio::spawn(async move {
                    let sent = server::serve_connection(stream, &root)
                        .await
                        .expect("serve the connection");
                    let _ = tx.send(sent);
                });
            }
        });
        Server {
            _rt: rt,
            _dir: dir,
            addr,
            out,
            sent,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Runs curl on `path` with `args`; returns (status, body).
    fn fetch(&self, path: &str, args: &[&str]) -> (u16, Vec<u8>) {
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
    fn next_connection(&self) -> Vec<server::Sent> {
        self.sent
            .recv_timeout(Duration::from_secs(30))
            .expect("the server reports the connection")
    }
}

#[test]
fn get_of_a_file_sends_exact_bytes_by_sendfile() {
    let server = Server::start();
    let (status, body) = server.fetch("/big.bin", &[]);
    assert_eq!(status, 200);
    assert!(body == pattern(BIG), "body differs");
    let sent = server.next_connection();
    assert_eq!(sent.len(), 1);
    let report = sent[0].body.expect("a file body");
    assert_eq!(report.path(), CopyPath::Sendfile);
    assert_eq!(report.kernel_bytes(), BIG as u64);
}

#[test]
fn range_is_answered_206_with_exactly_its_bytes_by_sendfile() {
    let server = Server::start();
    let data = pattern(BIG);
    let (status, body) = server.fetch("/big.bin", &["--range", "1000-200999"]);
    assert_eq!(status, 206);
    assert!(body[..] == data[1000..201_000], "range bytes differ");
    let report = server.next_connection()[0].body.expect("a file body");
    assert_eq!(report.path(), CopyPath::Sendfile);
    assert_eq!(report.bytes(), 200_000);

    let (status, body) = server.fetch("/big.bin", &["--range", "-500"]);
    assert_eq!(status, 206);
    assert!(body[..] == data[BIG - 500..], "suffix range bytes differ");
    let (status, body) = server.fetch("/big.bin", &["--range", "3145000-"]);
    assert_eq!(status, 206);
    assert!(body[..] == data[3_145_000..], "open range bytes differ");
}

#[test]
fn head_sends_the_headers_of_get_and_no_body() {
    let server = Server::start();
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

#[test]
fn errors_are_404_and_416() {
    let server = Server::start();
    assert_eq!(server.fetch("/missing.txt", &[]).0, 404);
    assert_eq!(server.fetch("/big.bin", &["--range", "9999999-"]).0, 416);
    assert_eq!(server.fetch("/big.bin", &["--request", "POST"]).0, 405);
    let (status, body) = server.fetch("/docs/", &[]);
    assert_eq!((status, &body[..]), (200, &b"<h1>docs</h1>\n"[..]));
    let (status, body) = server.fetch("/empty.txt", &[]);
    assert_eq!((status, body.len()), (200, 0));
}

#[test]
fn paths_outside_the_root_are_not_served() {
    let server = Server::start();
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

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let server = Server::start();
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

#[test]
fn serve_answers_curl() {
    let rt = Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.txt"), pattern(100_000)).unwrap();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}/a.txt", listener.local_addr().unwrap());
    let task = rt.spawn(server::serve(listener, dir.path().to_owned()));
    let out = dir.path().join("out");
    let output = curl(&["--output", out.to_str().unwrap(), &url]);
    assert!(output.status.success());
    assert!(fs::read(out).unwrap() == pattern(100_000));
    task.abort();
}
