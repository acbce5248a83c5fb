//! The resolver on real files: confinement beneath the root, dotfiles, the directory index
//! and the slash redirect, and precompressed siblings chosen by Accept-Encoding.
#![cfg(unix)]

use std::fs;
use std::path::Path;

use http::header;
use http::StatusCode;
use zc_http::{Body, Encoding, Request, Resolved, Root};

/// A root with files, a directory with an index, one without, a dotfile, a secret outside
/// and symlinks to it, and precompressed siblings.
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("www");
    fs::create_dir_all(root.join("docs")).unwrap();
    fs::create_dir_all(root.join("empty")).unwrap();
    fs::create_dir_all(root.join(".git")).unwrap();
    fs::write(root.join("docs/index.html"), "<h1>docs</h1>\n").unwrap();
    fs::write(root.join(".git/config"), "[core]\n").unwrap();
    fs::write(root.join("a.css"), "body { color: red }\n".repeat(10)).unwrap();
    fs::write(root.join("a.css.gz"), "GZ-BYTES").unwrap();
    fs::write(root.join("a.css.br"), "BR").unwrap();
    fs::write(root.join("only-gz.js"), "let x = 1;\n").unwrap();
    fs::write(root.join("only-gz.js.gz"), "GZ").unwrap();
    fs::create_dir(root.join("dir-br.txt.br")).unwrap();
    fs::write(root.join("dir-br.txt"), "text").unwrap();
    fs::write(root.join("orphan.txt.gz"), "GZ").unwrap();
    fs::write(dir.path().join("secret.txt"), "SECRET\n").unwrap();
    std::os::unix::fs::symlink("../secret.txt", root.join("escape.txt")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("absolute.txt")).unwrap();
    std::os::unix::fs::symlink("docs/index.html", root.join("inside.html")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        root.join("fifo"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    dir
}

fn root(dir: &tempfile::TempDir) -> Root {
    Root::open(dir.path().join("www")).unwrap()
}

fn status(root: &Root, target: &str) -> StatusCode {
    match root.resolve(target, None) {
        Resolved::File(_) => StatusCode::OK,
        Resolved::Redirect(_) => StatusCode::MOVED_PERMANENTLY,
        Resolved::Error(status) => status,
    }
}

#[test]
fn open_refuses_what_is_not_a_directory() {
    let dir = site();
    let err = Root::open(dir.path().join("secret.txt")).unwrap_err();
    assert!(err.to_string().contains("secret.txt"), "{err}");
    assert!(Root::open(dir.path().join("missing")).is_err());
}

#[test]
fn nothing_outside_the_root_is_served() {
    let dir = site();
    let root = root(&dir);
    for target in [
        "/../secret.txt",
        "/docs/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/docs/%2E%2E%2F%2E%2E%2Fsecret.txt",
        "/escape.txt",
        "/absolute.txt",
    ] {
        assert_eq!(status(&root, target), StatusCode::NOT_FOUND, "{target}");
    }
    // A symlink that stays inside is followed.
    assert_eq!(status(&root, "/inside.html"), StatusCode::OK);
}

#[test]
fn dotfiles_are_404_unless_enabled() {
    let dir = site();
    assert_eq!(status(&root(&dir), "/.git/config"), StatusCode::NOT_FOUND);
    assert_eq!(status(&root(&dir), "/.git/"), StatusCode::NOT_FOUND);
    let with = root(&dir).dotfiles(true);
    assert_eq!(status(&with, "/.git/config"), StatusCode::OK);
}

#[test]
fn bad_targets_are_400_and_missing_names_404() {
    let dir = site();
    let root = root(&dir);
    for target in ["a.css", "*", "/a%zz", "/a%00b"] {
        assert_eq!(status(&root, target), StatusCode::BAD_REQUEST, "{target}");
    }
    assert_eq!(status(&root, "/missing"), StatusCode::NOT_FOUND);
    assert_eq!(status(&root, "/a.css/x"), StatusCode::NOT_FOUND);
    assert_eq!(status(&root, "/fifo"), StatusCode::NOT_FOUND);
}

#[test]
fn a_directory_redirects_to_its_slash_keeping_the_query_and_serves_its_index() {
    let dir = site();
    let root = root(&dir);
    match root.resolve("/docs?x=1&y", None) {
        Resolved::Redirect(location) => assert_eq!(location, "/docs/?x=1&y"),
        other => panic!("{other:?}"),
    }
    match root.resolve("/docs/?x=1", None) {
        Resolved::File(opened) => {
            assert_eq!(opened.path, Path::new("./docs/index.html"));
            assert_eq!(opened.entity.content_type, "text/html; charset=utf-8");
            assert_eq!(opened.entity.len, 14);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(status(&root, "/empty/"), StatusCode::FORBIDDEN);
    assert_eq!(status(&root, "/"), StatusCode::FORBIDDEN);
    let no_index = root.append_index_html_on_directories(false);
    assert_eq!(status(&no_index, "/docs/"), StatusCode::FORBIDDEN);
}

fn chosen(root: &Root, target: &str, accept: Option<&str>) -> (Encoding, u64, bool) {
    match root.resolve(target, accept) {
        Resolved::File(opened) => (
            opened.entity.encoding,
            opened.entity.len,
            opened.entity.vary,
        ),
        other => panic!("{target} {accept:?}: {other:?}"),
    }
}

#[test]
fn precompressed_siblings_follow_accept_encoding() {
    use Encoding::*;
    let dir = site();
    let both = root(&dir).precompressed_br().precompressed_gzip();
    let cases: [(&str, Option<&str>, Encoding); 10] = [
        ("/a.css", Some("gzip, deflate, br"), Br),
        ("/a.css", Some("gzip;q=1, br;q=0.9"), Gzip),
        ("/a.css", Some("br;q=0, gzip"), Gzip),
        ("/a.css", Some("br;q=0, gzip;q=0"), Identity),
        ("/a.css", Some("*"), Br),
        ("/a.css", Some("identity"), Identity),
        ("/a.css", Some("identity, gzip;q=0.5"), Identity),
        ("/a.css", None, Identity),
        ("/only-gz.js", Some("br, gzip"), Gzip),
        ("/dir-br.txt", Some("br"), Identity),
    ];
    for (target, accept, want) in cases {
        let (got, len, vary) = chosen(&both, target, accept);
        assert_eq!(got, want, "{target} {accept:?}");
        assert!(vary, "Vary whenever siblings are on");
        let want_len = match (target, got) {
            ("/a.css", Br) => 2,
            ("/a.css", Gzip) => 8,
            ("/a.css", Identity) => 200,
            ("/only-gz.js", Gzip) => 2,
            (_, _) => len,
        };
        assert_eq!(len, want_len, "{target} {accept:?}");
    }
    // The name asked for must exist itself.
    assert_eq!(status(&both, "/orphan.txt"), StatusCode::NOT_FOUND);
    // Off: neither the sibling nor Vary.
    assert_eq!(
        chosen(&root(&dir), "/a.css", Some("br")),
        (Identity, 200, false)
    );
    let gzip_only = root(&dir).precompressed_gzip();
    assert_eq!(chosen(&gzip_only, "/a.css", Some("br, gzip")).0, Gzip);
}

#[test]
fn a_served_sibling_has_its_own_validators_and_the_original_content_type() {
    let dir = site();
    let root = root(&dir).precompressed_gzip();
    let mut request = Request::new("GET", "/a.css");
    request.accept_encoding = Some("gzip");
    request.range = Some("bytes=2-");
    let reply = root.serve(&request);
    let response = &reply.response;
    assert_eq!(response.status, StatusCode::PARTIAL_CONTENT);
    let field = |name| {
        response
            .header(&name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(
        field(header::CONTENT_TYPE).as_deref(),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(field(header::CONTENT_ENCODING).as_deref(), Some("gzip"));
    assert_eq!(field(header::CONTENT_RANGE).as_deref(), Some("bytes 2-7/8"));
    assert_eq!(field(header::VARY).as_deref(), Some("Accept-Encoding"));
    assert!(field(header::ETAG).unwrap().ends_with("-8\""));
    assert_eq!(response.body, Body::File { offset: 2, len: 6 });
    assert!(reply.file.is_some());

    // Without gzip: the file itself, still varying.
    request.accept_encoding = None;
    request.range = None;
    let reply = root.serve(&request);
    assert_eq!(reply.response.header(&header::CONTENT_ENCODING), None);
    assert_eq!(
        reply.response.header(&header::VARY).unwrap(),
        "Accept-Encoding"
    );
    assert_eq!(
        reply.response.body,
        Body::File {
            offset: 0,
            len: 200
        }
    );
}

#[test]
fn serve_answers_methods_redirects_and_errors_and_keeps_no_file_for_them() {
    let dir = site();
    let root = root(&dir);
    let reply = root.serve(&Request::new("POST", "/a.css"));
    assert_eq!(reply.response.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(reply.file.is_none());
    let reply = root.serve(&Request::new("HEAD", "/docs"));
    assert_eq!(reply.response.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(reply.response.body, Body::Empty);
    let reply = root.serve(&Request::new("GET", "/missing"));
    assert_eq!(reply.response.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.response.body, Body::Text("404 Not Found\n".into()));
    let reply = root.serve(&Request::new("HEAD", "/a.css"));
    assert_eq!(reply.response.status, StatusCode::OK);
    assert!(reply.file.is_none(), "HEAD reads no file");
}
