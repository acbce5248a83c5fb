//! ServeDir through zc_hyper::serve: every reply's body is byte for byte what zc_http's own
//! sender writes for the same request, and the file ranges go by sendfile.

mod support;

use support::{Client, Reply, Tree};

const FILES: [(&str, usize); 4] = [
    ("small.txt", 1000),
    ("mid.bin", 200_000),
    ("big.bin", 3 << 20),
    ("docs/index.html", 500),
];

/// What zc_http's own sender writes as the body for `request` (method, target, headers).
/// A multipart body's boundary differs per response: the oracle's is replaced by the
/// reply's (`boundary`, from its `Content-Type`).
async fn expected(
    tree: &Tree,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    boundary: Option<&str>,
) -> (u16, Vec<u8>) {
    let root = zc_http::Root::open(tree.root()).unwrap();
    let mut request = zc_http::Request::new(method, target);
    for (name, value) in headers {
        request.set_header(name, value);
    }
    let mut reply = root.serve(&request);
    let mut body = Vec::new();
    zc_http::send_body::<zc::Neutral, _>(&reply.response.body, reply.file.as_mut(), &mut body)
        .await
        .unwrap();
    if let (zc_http::Body::Multipart(multipart), Some(boundary)) = (&reply.response.body, boundary)
    {
        body = replace(&body, multipart.boundary.as_bytes(), boundary.as_bytes());
    }
    (reply.response.status.as_u16(), body)
}

fn replace(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

fn boundary(reply: &Reply) -> Option<&str> {
    reply
        .header("content-type")?
        .strip_prefix("multipart/byteranges; boundary=")
}

fn app(tree: &Tree) -> axum::Router {
    axum::Router::new().fallback_service(zc_hyper::ServeDir::new(tree.root()))
}

/// The header lines for the raw client.
fn lines(headers: &[(&str, &str)]) -> Vec<String> {
    headers.iter().map(|(n, v)| format!("{n}: {v}")).collect()
}

async fn check(
    client: &mut Client,
    tree: &Tree,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let lines = lines(headers);
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    client.send(method, target, &lines).await;
    let reply = client
        .read(method == "HEAD")
        .await
        .expect("a whole response");
    let (status, body) = expected(tree, method, target, headers, boundary(&reply)).await;
    assert_eq!(reply.status, status, "{method} {target} {headers:?}");
    assert!(
        reply.body == body,
        "{method} {target} {headers:?}: wrong bytes"
    );
    reply
}

#[tokio::test]
async fn ranges_and_multipart_go_by_sendfile_with_exact_bytes() {
    let tree = Tree::new(&FILES);
    let (addr, log) = support::serve(app(&tree)).await;
    let mut client = Client::connect(addr).await;
    // The connection's probe.
    check(&mut client, &tree, "GET", "/small.txt", &[]).await;
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("/big.bin", &[("Range", "bytes=1000-2999999")]),
        ("/mid.bin", &[("Range", "bytes=-5000")]),
        ("/mid.bin", &[("Range", "bytes=0-0,100-199,150000-")]),
        ("/big.bin", &[("Range", "bytes=5-4,1-2")]),
        ("/big.bin", &[("Range", "bytes=0-1,0-1")]),
        ("/small.txt", &[("Range", "bytes=2000-")]),
    ];
    for (target, headers) in cases {
        let reply = check(&mut client, &tree, "GET", target, headers).await;
        if reply.status == 206 {
            assert!(
                reply.header("content-range").is_some()
                    || reply
                        .header("content-type")
                        .unwrap()
                        .starts_with("multipart/byteranges"),
            );
        }
    }
    let log = log.wait(1 + cases.len()).await;
    for completed in &log[1..] {
        let Some(file) = completed.file else { continue };
        if file.file_bytes() > 0 {
            assert_eq!(file.sendfile_bytes(), file.file_bytes(), "{completed}");
        }
    }
}

#[tokio::test]
async fn head_has_the_get_head_and_no_body() {
    let tree = Tree::new(&FILES);
    let (addr, _log) = support::serve(app(&tree)).await;
    let mut client = Client::connect(addr).await;
    for _ in 0..2 {
        let reply = check(&mut client, &tree, "HEAD", "/mid.bin", &[]).await;
        assert_eq!(reply.header("content-length"), Some("200000"));
        assert!(reply.body.is_empty());
        // The connection carries on: no stray bytes after a HEAD reply.
        check(&mut client, &tree, "GET", "/small.txt", &[]).await;
    }
}

#[tokio::test]
async fn a_hundred_pipelined_requests_get_their_exact_replies() {
    let tree = Tree::new(&FILES);
    let (addr, log) = support::serve(app(&tree)).await;
    let mut client = Client::connect(addr).await;
    type Request = (
        &'static str,
        &'static str,
        Vec<(&'static str, &'static str)>,
    );
    let requests: Vec<Request> = (0..100)
        .map(|i| match i % 6 {
            0 => ("GET", "/small.txt", vec![]),
            1 => ("GET", "/big.bin", vec![]),
            2 => ("HEAD", "/mid.bin", vec![]),
            3 => ("GET", "/mid.bin", vec![("Range", "bytes=10-20,30000-")]),
            4 => ("GET", "/docs/", vec![]),
            _ => ("GET", "/big.bin", vec![("Range", "bytes=-100000")]),
        })
        .collect();
    // All requests in one write, then all replies.
    let mut wire = String::new();
    for (method, target, headers) in &requests {
        wire.push_str(&format!("{method} {target} HTTP/1.1\r\nHost: test\r\n"));
        for (n, v) in headers {
            wire.push_str(&format!("{n}: {v}\r\n"));
        }
        wire.push_str("\r\n");
    }
    tokio::io::AsyncWriteExt::write_all(&mut client.stream, wire.as_bytes())
        .await
        .unwrap();
    for (method, target, headers) in &requests {
        let reply = client
            .read(*method == "HEAD")
            .await
            .expect("a whole response");
        let (status, body) = expected(&tree, method, target, headers, boundary(&reply)).await;
        assert_eq!(reply.status, status, "{method} {target}");
        assert!(reply.body == body, "{method} {target}: wrong bytes");
    }
    let log = log.wait(100).await;
    let sendfile = log
        .iter()
        .filter_map(|c| c.file)
        .filter(|f| f.file_bytes() > 0 && f.sendfile_bytes() == f.file_bytes())
        .count();
    // Every file body but the connection's probe.
    let bodies = requests.iter().filter(|(m, ..)| *m == "GET").count();
    assert_eq!(sendfile, bodies - 1, "{log:#?}");
}

#[tokio::test]
async fn a_precompressed_sibling_goes_by_sendfile() {
    let tree = Tree::new(&[("app.js", 50_000), ("app.js.gz", 20_000)]);
    let dir = zc_hyper::ServeDir::new(tree.root()).precompressed_gzip();
    let (addr, log) = support::serve(axum::Router::new().fallback_service(dir)).await;
    let mut client = Client::connect(addr).await;
    for _ in 0..2 {
        let reply = client.get("/app.js", &["Accept-Encoding: gzip"]).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-encoding"), Some("gzip"));
        assert!(reply.body == tree.bytes("app.js.gz"));
    }
    let log = log.wait(2).await;
    assert_eq!(log[1].file.unwrap().sendfile_bytes(), 20_000, "{log:#?}");
}
