//! Helpers of zc-hyper's tests: a file tree, a server (zc_hyper::serve) with a log of
//! completed responses, and a raw HTTP/1.1 client that reads exactly what the server sent.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Pseudo-random bytes (xorshift), so that a shifted or repeated range shows.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A temporary directory with files of the given names and sizes (pattern bytes).
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn new(files: &[(&str, usize)]) -> Tree {
        let dir = tempfile::tempdir().unwrap();
        for (i, (name, len)) in files.iter().enumerate() {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, pattern(*len, i as u64 + 7)).unwrap();
        }
        Tree { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn bytes(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }
}

/// The responses a server completed, as its `on_response` hook saw them.
#[derive(Clone, Default)]
pub struct Log(pub Arc<Mutex<Vec<zc_hyper::Completed>>>);

impl Log {
    /// Waits (bounded) until `n` responses completed, and returns them.
    pub async fn wait(&self, n: usize) -> Vec<zc_hyper::Completed> {
        for _ in 0..500 {
            {
                let log = self.0.lock().unwrap();
                if log.len() >= n {
                    return log.clone();
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let log = self.0.lock().unwrap();
        panic!("{} responses completed, expected {n}: {log:#?}", log.len());
    }

    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// Serves `app` with `zc_hyper::serve` on 127.0.0.1 (a task of the current runtime).
pub async fn serve(app: axum::Router) -> (SocketAddr, Log) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Log::default();
    let hook_log = log.clone();
    let serve = zc_hyper::serve(listener, app)
        .on_response(move |c| hook_log.0.lock().unwrap().push(c.clone()));
    tokio::spawn(async move { serve.await.unwrap() });
    (addr, log)
}

/// One response as the client read it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A raw HTTP/1.1 client connection.
pub struct Client {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        Client {
            stream: TcpStream::connect(addr).await.unwrap(),
            buf: Vec::new(),
        }
    }

    /// Sends a request for `path` with `headers` (raw lines).
    pub async fn send(&mut self, method: &str, path: &str, headers: &[&str]) {
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: test\r\n");
        for h in headers {
            request.push_str(h);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        self.stream.write_all(request.as_bytes()).await.unwrap();
    }

    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 64 << 10];
        let n = tokio::time::timeout(Duration::from_secs(20), self.stream.read(&mut chunk))
            .await
            .expect("the server answers within 20 s")
            .unwrap_or(0);
        self.buf.extend_from_slice(&chunk[..n]);
        n > 0
    }

    /// Reads one response (`head` = a reply to HEAD: no body whatever its length says).
    /// `None` when the connection ended before a whole response.
    pub async fn read(&mut self, head: bool) -> Option<Reply> {
        let (status, headers, used) = loop {
            let mut parsed = [httparse::EMPTY_HEADER; 64];
            let mut response = httparse::Response::new(&mut parsed);
            if let httparse::Status::Complete(used) = response.parse(&self.buf).unwrap() {
                let headers = response
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_string(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect::<Vec<_>>();
                break (response.code.unwrap(), headers, used);
            }
            if !self.fill().await {
                return None;
            }
        };
        self.buf.drain(..used);
        let mut reply = Reply {
            status,
            headers,
            body: Vec::new(),
        };
        if head || status == 304 || status == 204 {
            return Some(reply);
        }
        if let Some(len) = reply.header("content-length") {
            let len: usize = len.parse().unwrap();
            while self.buf.len() < len {
                if !self.fill().await {
                    return None;
                }
            }
            reply.body = self.buf.drain(..len).collect();
        } else if reply.header("transfer-encoding") == Some("chunked") {
            loop {
                let line_end = loop {
                    if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                        break i;
                    }
                    if !self.fill().await {
                        return None;
                    }
                };
                let line = String::from_utf8_lossy(&self.buf[..line_end]).into_owned();
                let size =
                    usize::from_str_radix(line.split(';').next().unwrap().trim(), 16).unwrap();
                while self.buf.len() < line_end + 2 + size + 2 {
                    if !self.fill().await {
                        return None;
                    }
                }
                reply
                    .body
                    .extend_from_slice(&self.buf[line_end + 2..line_end + 2 + size]);
                self.buf.drain(..line_end + 2 + size + 2);
                if size == 0 {
                    break;
                }
            }
        } else {
            while self.fill().await {}
            reply.body = std::mem::take(&mut self.buf);
        }
        Some(reply)
    }

    /// GET `path`, and its reply.
    pub async fn get(&mut self, path: &str, headers: &[&str]) -> Reply {
        self.send("GET", path, headers).await;
        self.read(false).await.expect("a whole response")
    }
}

/// An axum app whose `/f/{name}` handler answers the file `name` of `tree` whole, as a
/// `ZcBody` (no ServeDir).
pub fn handler_app(tree: &Tree) -> axum::Router {
    use axum::extract::{Path as UrlPath, State};
    use axum::response::IntoResponse;
    async fn file(
        State(root): State<PathBuf>,
        UrlPath(name): UrlPath<String>,
    ) -> axum::response::Response {
        let file = std::fs::File::open(root.join(name)).unwrap();
        let body = zc_hyper::ZcBody::file(file).unwrap();
        let (parts, ()) = http::Response::new(()).into_parts();
        body.into_response(parts).into_response()
    }
    axum::Router::new()
        .route("/f/{name}", axum::routing::get(file))
        .with_state(tree.root().to_path_buf())
}
