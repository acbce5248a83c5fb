//! The public suites of file-serving semantics, ported case by case as one table that runs
//! twice: against the library (zc-http's `tests/ported.rs`: `Root::serve`, `write_head` and
//! `send_body` into a buffer) and against the example file servers over real sockets (the
//! repository's `tests/support/file_server.rs`, on each runtime).
//!
//! Sources: Go's `net/http` `fs_test.go` (`TestServeContent`, `ServeFileRangeTests`) and
//! `range_test.go` (`ParseRangeTests`, through the response it leads to), and nginx-tests'
//! `range.t`, `range_if_range.t` and `not_modified.t`. Where Go and nginx answer
//! differently, the case says which answer zc-http gives and why (`policy`). Cases that
//! need a representation a real file cannot have (an entity tag chosen by the caller, a
//! weak one, no modification time) set `entity` and run against the library only.
#![allow(dead_code)]

use std::fs;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

/// Go's `testdata/style.css` time in `TestServeContent`'s modtime cases:
/// Wed, 25 Jun 2014 17:12:18 GMT.
pub const GO_MTIME: u64 = 1_403_716_338;
/// Any time for the other files: Tue, 14 Nov 2023 22:13:20 GMT.
pub const MTIME: u64 = 1_700_000_000;
/// range_if_range.t's `add_header Last-Modified "Mon, 28 Sep 1970 06:00:00 GMT"`.
pub const NGINX_T3_MTIME: u64 = 23_349_600;

/// nginx-tests' t1.html: `X000XXXXXX` ... `X099XXXXXX`, 1000 bytes.
pub fn t1() -> Vec<u8> {
    (0..100)
        .flat_map(|i| format!("X{i:03}XXXXXX").into_bytes())
        .collect()
}

/// The served tree: `(path under the root, content, mtime)`.
pub fn files() -> Vec<(&'static str, Vec<u8>, u64)> {
    vec![
        // Go's testdata/file and testdata/style.css, testdata/index.html.
        ("go/file", b"0123456789\n".to_vec(), MTIME),
        ("go/style.css", b"body {}\n".to_vec(), GO_MTIME),
        ("go/index.html", b"index.html says hello\n".to_vec(), MTIME),
        ("go/empty", Vec::new(), MTIME),
        // nginx-tests' files.
        ("nginx/t1.html", t1(), MTIME),
        ("nginx/t3.html", t1(), NGINX_T3_MTIME),
        ("nginx/t", Vec::new(), MTIME),
        // Precompressed siblings (tower-http's and nginx's gzip_static cases).
        ("pre/a.css", b"body { color: red }\n".repeat(20), MTIME),
        ("pre/a.css.gz", b"GZIP-BYTES-OF-A.CSS".to_vec(), MTIME + 1),
        ("pre/a.css.br", b"BR-BYTES".to_vec(), MTIME + 2),
        ("pre/only-gz.js", b"let x = 1;\n".repeat(10), MTIME),
        ("pre/only-gz.js.gz", b"GZIP-JS".to_vec(), MTIME),
        ("pre/plain.txt", b"no siblings\n".to_vec(), MTIME),
    ]
}

/// Writes [`files`] under `root`, each with its modification time.
pub fn make_root(root: &Path) {
    for (path, content, mtime) in files() {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, &content).unwrap();
        let file = fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(UNIX_EPOCH + Duration::from_secs(mtime))
            .unwrap();
    }
}

/// The content and time of `target` (`/go/file`), from [`files`].
pub fn file(target: &str) -> (Vec<u8>, u64) {
    let path = target.trim_start_matches('/');
    let (_, content, mtime) = files().into_iter().find(|(p, _, _)| *p == path).unwrap();
    (content, mtime)
}

/// nginx's entity tag for a file: `"<mtime hex>-<len hex>"`.
pub fn etag(target: &str) -> String {
    let (content, mtime) = file(target);
    format!("\"{mtime:x}-{:x}\"", content.len())
}

/// An HTTP date.
pub fn date(secs: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs))
}

/// What the body must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// The whole file (200).
    Whole,
    /// These `[start, end)` ranges of the file (206): one as the body, several as
    /// `multipart/byteranges` parts.
    Ranges(&'static [(u64, u64)]),
    /// Not the file: an empty body, or an error's short text.
    NotFile,
}

/// A tweak of the entity, for the cases a real file cannot be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tweak {
    /// The caller's own entity tag (Go's `w.Header().Set("ETag", ..)`).
    Etag(&'static str),
    /// The caller's own tag and no modification time (Go's zero `modtime`).
    EtagNoTime(Option<&'static str>),
    /// No modification time (nginx's `add_header Last-Modified ""`).
    NoTime,
    /// The caller's own `Content-Type`.
    ContentType(&'static str),
}

/// One ported case.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// Where it comes from.
    pub source: &'static str,
    /// Its name there.
    pub name: &'static str,
    /// The target.
    pub target: &'static str,
    /// Request header fields; `{etag}` and `{lm}` stand for the file's tag and date.
    pub headers: &'static [(&'static str, &'static str)],
    /// The status expected.
    pub status: u16,
    /// Response fields expected (`None`: absent), with the same placeholders.
    pub expect: &'static [(&'static str, Option<&'static str>)],
    /// The body expected.
    pub body: Want,
    /// `max_ranges` (nginx's location setting in range.t); 16 elsewhere.
    pub max_ranges: usize,
    /// Also asked with HEAD (Go's TestServeContent asks each case with GET and HEAD).
    pub head_too: bool,
    /// A library-only tweak of the entity.
    pub entity: Option<Tweak>,
    /// Accept-Encoding and siblings on: the root serves precompressed siblings.
    pub precompressed: bool,
    /// Where Go and nginx differ: which answer this is, and why.
    pub policy: &'static str,
}

const fn case(
    source: &'static str,
    name: &'static str,
    target: &'static str,
    headers: &'static [(&'static str, &'static str)],
    status: u16,
    body: Want,
) -> Case {
    Case {
        source,
        name,
        target,
        headers,
        status,
        expect: &[],
        body,
        max_ranges: 16,
        head_too: false,
        entity: None,
        precompressed: false,
        policy: "",
    }
}

impl Case {
    const fn expect(mut self, expect: &'static [(&'static str, Option<&'static str>)]) -> Case {
        self.expect = expect;
        self
    }
    const fn head_too(mut self) -> Case {
        self.head_too = true;
        self
    }
    const fn max_ranges(mut self, n: usize) -> Case {
        self.max_ranges = n;
        self
    }
    const fn entity(mut self, tweak: Tweak) -> Case {
        self.entity = Some(tweak);
        self
    }
    const fn precompressed(mut self) -> Case {
        self.precompressed = true;
        self
    }
    const fn policy(mut self, policy: &'static str) -> Case {
        self.policy = policy;
        self
    }

    /// `s` with the file's `{etag}` and `{lm}` put in.
    pub fn fill(&self, s: &str) -> String {
        if !s.contains('{') {
            return s.to_owned();
        }
        let (_, mtime) = file(self.target);
        s.replace("{etag}", &etag(self.target))
            .replace("{lm}", &date(mtime))
    }
}

const GO_RANGE: &str = "go fs_test.go ServeFileRangeTests";
const GO_PARSE: &str = "go range_test.go ParseRangeTests";
const GO_CONTENT: &str = "go fs_test.go TestServeContent";
const NGINX_RANGE: &str = "nginx-tests range.t";
const NGINX_IF_RANGE: &str = "nginx-tests range_if_range.t";
const NGINX_NOT_MODIFIED: &str = "nginx-tests not_modified.t";
const PRECOMPRESSED: &str = "tower-http ServeDir precompressed, nginx gzip_static";

use Want::*;

/// Go's ServeFileRangeTests: testdata/file, 11 bytes, [start, end) ranges.
pub const GO_SERVE_FILE_RANGE: &[Case] = &[
    case(GO_RANGE, "none", "/go/file", &[], 200, Whole),
    case(
        GO_RANGE,
        "bytes=0-4",
        "/go/file",
        &[("Range", "bytes=0-4")],
        206,
        Ranges(&[(0, 5)]),
    ),
    case(
        GO_RANGE,
        "bytes=2-",
        "/go/file",
        &[("Range", "bytes=2-")],
        206,
        Ranges(&[(2, 11)]),
    ),
    case(
        GO_RANGE,
        "bytes=-5",
        "/go/file",
        &[("Range", "bytes=-5")],
        206,
        Ranges(&[(6, 11)]),
    ),
    case(
        GO_RANGE,
        "bytes=3-7",
        "/go/file",
        &[("Range", "bytes=3-7")],
        206,
        Ranges(&[(3, 8)]),
    ),
    case(
        GO_RANGE,
        "bytes=0-0,-2",
        "/go/file",
        &[("Range", "bytes=0-0,-2")],
        206,
        Ranges(&[(0, 1), (9, 11)]),
    ),
    case(
        GO_RANGE,
        "bytes=0-1,5-8",
        "/go/file",
        &[("Range", "bytes=0-1,5-8")],
        206,
        Ranges(&[(0, 2), (5, 9)]),
    ),
    case(
        GO_RANGE,
        "bytes=0-1,5-",
        "/go/file",
        &[("Range", "bytes=0-1,5-")],
        206,
        Ranges(&[(0, 2), (5, 11)]),
    ),
    case(
        GO_RANGE,
        "bytes=5-1000",
        "/go/file",
        &[("Range", "bytes=5-1000")],
        206,
        Ranges(&[(5, 11)]),
    ),
    // "ignore wasteful range request": the ranges add up past the file.
    case(
        GO_RANGE,
        "bytes=0-,1-,2-,3-,4-",
        "/go/file",
        &[("Range", "bytes=0-,1-,2-,3-,4-")],
        200,
        Whole,
    ),
    case(
        GO_RANGE,
        "bytes=0-9",
        "/go/file",
        &[("Range", "bytes=0-9")],
        206,
        Ranges(&[(0, 10)]),
    ),
    case(
        GO_RANGE,
        "bytes=0-10",
        "/go/file",
        &[("Range", "bytes=0-10")],
        206,
        Ranges(&[(0, 11)]),
    ),
    case(
        GO_RANGE,
        "bytes=0-11",
        "/go/file",
        &[("Range", "bytes=0-11")],
        206,
        Ranges(&[(0, 11)]),
    ),
    case(
        GO_RANGE,
        "bytes=10-11",
        "/go/file",
        &[("Range", "bytes=10-11")],
        206,
        Ranges(&[(10, 11)]),
    ),
    case(
        GO_RANGE,
        "bytes=10-",
        "/go/file",
        &[("Range", "bytes=10-")],
        206,
        Ranges(&[(10, 11)]),
    ),
    case(
        GO_RANGE,
        "bytes=11-",
        "/go/file",
        &[("Range", "bytes=11-")],
        416,
        NotFile,
    ),
    case(
        GO_RANGE,
        "bytes=11-12",
        "/go/file",
        &[("Range", "bytes=11-12")],
        416,
        NotFile,
    ),
    case(
        GO_RANGE,
        "bytes=12-12",
        "/go/file",
        &[("Range", "bytes=12-12")],
        416,
        NotFile,
    ),
    case(
        GO_RANGE,
        "bytes=11-100",
        "/go/file",
        &[("Range", "bytes=11-100")],
        416,
        NotFile,
    ),
    case(
        GO_RANGE,
        "bytes=12-100",
        "/go/file",
        &[("Range", "bytes=12-100")],
        416,
        NotFile,
    ),
    case(
        GO_RANGE,
        "bytes=100-",
        "/go/file",
        &[("Range", "bytes=100-")],
        416,
        NotFile,
    ),
    case(
        GO_RANGE,
        "bytes=100-1000",
        "/go/file",
        &[("Range", "bytes=100-1000")],
        416,
        NotFile,
    ),
    // TestServeFile's HEAD: no body, the GET's Content-Length.
    case(GO_RANGE, "HEAD", "/go/file", &[], 200, Whole).head_too(),
    // TestServeContentWithEmptyContentIgnoreRanges (issue 54794).
    case(
        GO_RANGE,
        "empty bytes=0-128",
        "/go/empty",
        &[("Range", "bytes=0-128")],
        200,
        Whole,
    ),
    case(
        GO_RANGE,
        "empty bytes=1-",
        "/go/empty",
        &[("Range", "bytes=1-")],
        200,
        Whole,
    ),
];

/// Go's ParseRangeTests, through the response each header leads to. A `nil` there is an
/// error (416 here) or no range (200).
pub const GO_PARSE_RANGE: &[Case] = &[
    case(GO_PARSE, "foo", "/go/empty", &[("Range", "foo")], 200, Whole)
        .policy("another unit is ignored (RFC 9110 14.2, nginx); Go answers 416"),
    case(GO_PARSE, "bytes= (len 0)", "/go/empty", &[("Range", "bytes=")], 200, Whole),
    case(GO_PARSE, "bytes=7", "/go/file", &[("Range", "bytes=7")], 416, NotFile),
    case(GO_PARSE, "bytes= 7 ", "/go/file", &[("Range", "bytes= 7 ")], 416, NotFile),
    case(GO_PARSE, "bytes=1- (len 0)", "/go/empty", &[("Range", "bytes=1-")], 200, Whole),
    case(GO_PARSE, "bytes=5-4", "/go/file", &[("Range", "bytes=5-4")], 416, NotFile),
    case(GO_PARSE, "bytes=0-2,5-4", "/go/file", &[("Range", "bytes=0-2,5-4")], 416, NotFile)
        .policy("one invalid spec makes the set invalid (Go); nginx would serve 0-2"),
    case(GO_PARSE, "bytes=2-5,4-3", "/go/file", &[("Range", "bytes=2-5,4-3")], 416, NotFile),
    case(GO_PARSE, "bytes=--5,4--3", "/go/file", &[("Range", "bytes=--5,4--3")], 416, NotFile),
    case(GO_PARSE, "bytes=A-", "/go/file", &[("Range", "bytes=A-")], 416, NotFile),
    case(GO_PARSE, "bytes=A- ", "/go/file", &[("Range", "bytes=A- ")], 416, NotFile),
    case(GO_PARSE, "bytes=A-Z", "/go/file", &[("Range", "bytes=A-Z")], 416, NotFile),
    case(GO_PARSE, "bytes= -Z", "/go/file", &[("Range", "bytes= -Z")], 416, NotFile),
    case(GO_PARSE, "bytes=5-Z", "/go/file", &[("Range", "bytes=5-Z")], 416, NotFile),
    case(GO_PARSE, "bytes=Ran-dom, garbage", "/go/file", &[("Range", "bytes=Ran-dom, garbage")], 416, NotFile),
    case(GO_PARSE, "bytes=0x01-0x02", "/go/file", &[("Range", "bytes=0x01-0x02")], 416, NotFile),
    case(GO_PARSE, "bytes=         ", "/go/file", &[("Range", "bytes=         ")], 200, Whole)
        .policy("a set with no range in it is ignored (Go); nginx answers 416"),
    case(GO_PARSE, "bytes= , , ,   ", "/go/file", &[("Range", "bytes= , , ,   ")], 200, Whole),
    case(GO_PARSE, "bytes=0-9 (len 10)", "/go/file", &[("Range", "bytes=0-9")], 206, Ranges(&[(0, 10)])),
    case(GO_PARSE, "bytes=0- (len 11)", "/go/file", &[("Range", "bytes=0-")], 206, Ranges(&[(0, 11)])),
    case(GO_PARSE, "bytes=15-,0-5 (len 11)", "/go/file", &[("Range", "bytes=15-,0-5")], 206, Ranges(&[(0, 6)]))
        .policy("an unsatisfiable range is left out and the rest served (nginx, and fs.go's parseRange today); range_test.go's table expects no range"),
    case(GO_PARSE, "bytes=1-2,5- (len 11)", "/go/file", &[("Range", "bytes=1-2,5-")], 206, Ranges(&[(1, 3), (5, 11)])),
    case(GO_PARSE, "bytes=-2 , 7-", "/go/file", &[("Range", "bytes=-2 , 7-")], 206, Ranges(&[(9, 11), (7, 11)])),
    case(GO_PARSE, "bytes=0-0 ,2-2, 7-", "/go/file", &[("Range", "bytes=0-0 ,2-2, 7-")], 206, Ranges(&[(0, 1), (2, 3), (7, 11)])),
    case(GO_PARSE, "bytes=-5 (len 11)", "/go/file", &[("Range", "bytes=-5")], 206, Ranges(&[(6, 11)])),
    case(GO_PARSE, "bytes=-15 (len 11)", "/go/file", &[("Range", "bytes=-15")], 206, Ranges(&[(0, 11)])),
    case(GO_PARSE, "bytes=0-499 (len 1000)", "/nginx/t1.html", &[("Range", "bytes=0-499")], 206, Ranges(&[(0, 500)])),
    case(GO_PARSE, "bytes=500-999 (len 1000)", "/nginx/t1.html", &[("Range", "bytes=500-999")], 206, Ranges(&[(500, 1000)])),
    case(GO_PARSE, "bytes=-500 (len 1000)", "/nginx/t1.html", &[("Range", "bytes=-500")], 206, Ranges(&[(500, 1000)])),
    case(GO_PARSE, "bytes=500- (len 1000)", "/nginx/t1.html", &[("Range", "bytes=500-")], 206, Ranges(&[(500, 1000)])),
    case(GO_PARSE, "bytes=0-0,-1 (len 1000)", "/nginx/t1.html", &[("Range", "bytes=0-0,-1")], 206, Ranges(&[(0, 1), (999, 1000)])),
    case(GO_PARSE, "bytes=500-600,601-999", "/nginx/t1.html", &[("Range", "bytes=500-600,601-999")], 206, Ranges(&[(500, 601), (601, 1000)])),
    case(GO_PARSE, "bytes=500-700,601-999 (overlap)", "/nginx/t1.html", &[("Range", "bytes=500-700,601-999")], 206, Ranges(&[(500, 701), (601, 1000)]))
        .policy("overlapping ranges are served as asked, neither sorted nor coalesced (Go and nginx)"),
    case(GO_PARSE, "Apache laxity", "/go/file", &[("Range", "bytes=   1 -2   ,  4- 5, 7 - 8 , ,,")], 206, Ranges(&[(1, 3), (4, 6), (7, 9)])),
    case(GO_PARSE, "bytes=-0", "/go/file", &[("Range", "bytes=-0")], 416, NotFile)
        .policy("a zero suffix has no byte (RFC 9110 14.1.3, nginx); Go makes it an empty range"),
];

/// Go's TestServeContent, each case with GET and HEAD. Go's caller-set tags `"A"` and
/// `"foo"` are the file's own `{etag}` where a real file can carry them.
pub const GO_SERVE_CONTENT: &[Case] = &[
    case(GO_CONTENT, "no_last_modified", "/go/style.css", &[], 200, Whole)
        .expect(&[("Content-Type", Some("text/css; charset=utf-8")), ("Last-Modified", None)])
        .entity(Tweak::EtagNoTime(None))
        .head_too(),
    case(GO_CONTENT, "with_last_modified", "/go/index.html", &[], 200, Whole)
        .expect(&[("Content-Type", Some("text/html; charset=utf-8")), ("Last-Modified", Some("{lm}"))])
        .head_too(),
    case(GO_CONTENT, "not_modified_modtime", "/go/style.css", &[("If-Modified-Since", "{lm}")], 304, NotFile)
        .expect(&[("Content-Type", None), ("ETag", Some("{etag}")), ("Last-Modified", Some("{lm}"))])
        .head_too()
        .policy("a 304 keeps Last-Modified beside ETag (nginx); Go drops it when there is an ETag"),
    case(GO_CONTENT, "not_modified_modtime_with_contenttype", "/go/style.css", &[("If-Modified-Since", "{lm}")], 304, NotFile)
        .expect(&[("Content-Type", None)])
        .entity(Tweak::ContentType("text/css"))
        .head_too(),
    case(GO_CONTENT, "not_modified_etag", "/go/style.css", &[("If-None-Match", "{etag}")], 304, NotFile)
        .expect(&[("Content-Type", None)])
        .head_too(),
    case(GO_CONTENT, "not_modified_etag_no_seek", "/go/style.css", &[("If-None-Match", "\"baz\", W/\"foo\"")], 304, NotFile)
        .entity(Tweak::Etag("W/\"foo\""))
        .head_too(),
    case(GO_CONTENT, "if_none_match_mismatch", "/go/style.css", &[("If-None-Match", "\"Foo\"")], 200, Whole)
        .expect(&[("Content-Type", Some("text/css; charset=utf-8"))])
        .entity(Tweak::Etag("\"foo\""))
        .head_too(),
    case(GO_CONTENT, "if_none_match_malformed", "/go/style.css", &[("If-None-Match", ",")], 200, Whole)
        .expect(&[("Content-Type", Some("text/css; charset=utf-8"))])
        .head_too(),
    case(GO_CONTENT, "range_good", "/go/style.css", &[("Range", "bytes=0-4")], 206, Ranges(&[(0, 5)]))
        .expect(&[("Content-Type", Some("text/css; charset=utf-8")), ("Content-Range", Some("bytes 0-4/8"))])
        .head_too(),
    case(GO_CONTENT, "range_match", "/go/style.css", &[("Range", "bytes=0-4"), ("If-Range", "{etag}")], 206, Ranges(&[(0, 5)]))
        .expect(&[("Content-Range", Some("bytes 0-4/8"))])
        .head_too(),
    case(GO_CONTENT, "range_match_weak_etag", "/go/style.css", &[("Range", "bytes=0-4"), ("If-Range", "W/\"A\"")], 200, Whole)
        .expect(&[("Content-Type", Some("text/css; charset=utf-8")), ("Content-Range", None)])
        .entity(Tweak::Etag("W/\"A\""))
        .head_too(),
    case(GO_CONTENT, "range_no_overlap", "/go/style.css", &[("Range", "bytes=10-20")], 416, NotFile)
        .expect(&[("Content-Type", Some("text/plain; charset=utf-8")), ("Content-Range", Some("bytes */8"))])
        .head_too(),
    case(GO_CONTENT, "range_no_match", "/go/style.css", &[("Range", "bytes=0-4"), ("If-Range", "\"B\"")], 200, Whole)
        .expect(&[("Content-Range", None)])
        .head_too(),
    case(GO_CONTENT, "range_with_modtime", "/go/style.css", &[("Range", "bytes=0-4"), ("If-Range", "Wed, 25 Jun 2014 17:12:18 GMT")], 206, Ranges(&[(0, 5)]))
        .expect(&[("Content-Range", Some("bytes 0-4/8")), ("Last-Modified", Some("Wed, 25 Jun 2014 17:12:18 GMT"))])
        .head_too(),
    case(GO_CONTENT, "range_with_modtime_mismatch", "/go/style.css", &[("Range", "bytes=0-4"), ("If-Range", "Wed, 25 Jun 2014 17:12:19 GMT")], 200, Whole)
        .expect(&[("Last-Modified", Some("Wed, 25 Jun 2014 17:12:18 GMT"))])
        .head_too(),
    // Go's modtime has 123 ns past the second; a file's time here is whole seconds (the
    // file is written with that time and read back truncated): the If-Range date holds.
    case(GO_CONTENT, "range_with_modtime_nanos", "/go/style.css", &[("Range", "bytes=0-4"), ("If-Range", "Wed, 25 Jun 2014 17:12:18 GMT")], 206, Ranges(&[(0, 5)]))
        .head_too(),
    case(GO_CONTENT, "unix_zero_modtime", "/go/index.html", &[], 200, Whole)
        .expect(&[("Content-Type", Some("text/html; charset=utf-8"))])
        .head_too()
        .policy("a file's time is sent as Last-Modified even at the epoch (nginx); Go omits a modtime at the epoch"),
    case(GO_CONTENT, "ifmatch_matches", "/go/style.css", &[("If-Match", "\"Z\", {etag}")], 200, Whole)
        .expect(&[("Content-Type", Some("text/css; charset=utf-8"))])
        .head_too(),
    case(GO_CONTENT, "ifmatch_star", "/go/style.css", &[("If-Match", "*")], 200, Whole).head_too(),
    case(GO_CONTENT, "ifmatch_failed", "/go/style.css", &[("If-Match", "\"B\"")], 412, NotFile)
        .head_too()
        .policy("a 412 is an error answer with a short text (nginx); Go's has no body"),
    case(GO_CONTENT, "ifmatch_fails_on_weak_etag", "/go/style.css", &[("If-Match", "W/\"A\"")], 412, NotFile)
        .entity(Tweak::Etag("W/\"A\""))
        .head_too(),
    case(GO_CONTENT, "if_unmodified_since_true", "/go/style.css", &[("If-Unmodified-Since", "{lm}")], 200, Whole)
        .expect(&[("Last-Modified", Some("{lm}"))])
        .head_too(),
    case(GO_CONTENT, "if_unmodified_since_false", "/go/style.css", &[("If-Unmodified-Since", "Wed, 25 Jun 2014 17:12:16 GMT")], 412, NotFile)
        .head_too()
        .policy("the 412 carries no validators (nginx); Go's carries Last-Modified"),
];

/// nginx-tests' range.t (t1.html; t3.html stands for its `max_ranges 2` location and
/// `max_ranges 0` for t4.html's).
pub const NGINX_RANGES: &[Case] = &[
    case(
        NGINX_RANGE,
        "range request",
        "/nginx/t1.html",
        &[("Range", "bytes=0-8")],
        206,
        Ranges(&[(0, 9)]),
    )
    .expect(&[
        ("Content-Length", Some("9")),
        ("Content-Range", Some("bytes 0-8/1000")),
    ]),
    case(
        NGINX_RANGE,
        "final bytes",
        "/nginx/t1.html",
        &[("Range", "bytes=-10")],
        206,
        Ranges(&[(990, 1000)]),
    )
    .expect(&[
        ("Content-Length", Some("10")),
        ("Content-Range", Some("bytes 990-999/1000")),
    ]),
    case(
        NGINX_RANGE,
        "final bytes explicit",
        "/nginx/t1.html",
        &[("Range", "bytes=990-")],
        206,
        Ranges(&[(990, 1000)]),
    )
    .expect(&[("Content-Range", Some("bytes 990-999/1000"))]),
    case(
        NGINX_RANGE,
        "more than length",
        "/nginx/t1.html",
        &[("Range", "bytes=990-1990")],
        206,
        Ranges(&[(990, 1000)]),
    )
    .expect(&[("Content-Range", Some("bytes 990-999/1000"))]),
    // "recoded" (the charset filter) has no counterpart: zc-http sends files as they are.
    case(
        NGINX_RANGE,
        "multipart",
        "/nginx/t1.html",
        &[("Range", "bytes=0-9, -10, 10-19")],
        206,
        Ranges(&[(0, 10), (990, 1000), (10, 20)]),
    ),
    case(
        NGINX_RANGE,
        "multipart big",
        "/nginx/t1.html",
        &[("Range", "bytes=0-9, -10, 100000-, 10-19")],
        206,
        Ranges(&[(0, 10), (990, 1000), (10, 20)]),
    ),
    case(
        NGINX_RANGE,
        "not satisfiable - too big first byte pos",
        "/nginx/t1.html",
        &[("Range", "bytes=100000-")],
        416,
        NotFile,
    )
    .expect(&[("Content-Range", Some("bytes */1000"))]),
    case(
        NGINX_RANGE,
        "not satisfiable - alpha in first byte pos",
        "/nginx/t1.html",
        &[("Range", "bytes=alpha")],
        416,
        NotFile,
    ),
    case(
        NGINX_RANGE,
        "not satisfiable - alpha in last byte pos",
        "/nginx/t1.html",
        &[("Range", "bytes=10-alpha")],
        416,
        NotFile,
    ),
    case(
        NGINX_RANGE,
        "not satisfiable - no hyphen",
        "/nginx/t1.html",
        &[("Range", "bytes=10")],
        416,
        NotFile,
    ),
    case(
        NGINX_RANGE,
        "not satisfiable - no comma",
        "/nginx/t1.html",
        &[("Range", "bytes=10-11 12-")],
        416,
        NotFile,
    ),
    case(
        NGINX_RANGE,
        "satisfiable - last byte pos adjusted",
        "/nginx/t1.html",
        &[("Range", "bytes=0-10001")],
        206,
        Ranges(&[(0, 1000)]),
    ),
    case(
        NGINX_RANGE,
        "not satisfiable - malicious byte ranges",
        "/nginx/t1.html",
        &[("Range", "bytes=0-10001, 0-0")],
        200,
        Whole,
    ),
    case(
        NGINX_RANGE,
        "max_ranges not reached",
        "/nginx/t1.html",
        &[("Range", "bytes=0-9, -10")],
        206,
        Ranges(&[(0, 10), (990, 1000)]),
    )
    .max_ranges(2),
    case(
        NGINX_RANGE,
        "max_ranges not reached bad range",
        "/nginx/t1.html",
        &[("Range", "bytes=0-9, -10, 10000-")],
        206,
        Ranges(&[(0, 10), (990, 1000)]),
    )
    .max_ranges(2),
    case(
        NGINX_RANGE,
        "max_ranges reached",
        "/nginx/t1.html",
        &[("Range", "bytes=0-9, -10, 10-19")],
        200,
        Whole,
    )
    .max_ranges(2),
    case(
        NGINX_RANGE,
        "max_ranges zero",
        "/nginx/t1.html",
        &[("Range", "bytes=0-9")],
        200,
        Whole,
    )
    .expect(&[("Accept-Ranges", None)])
    .max_ranges(0),
];

/// nginx-tests' range_if_range.t (t2.html's `add_header Last-Modified ""` is an entity
/// without a time; t3.html's fixed Last-Modified is a file with that time).
pub const NGINX_IF_RANGES: &[Case] = &[
    case(
        NGINX_IF_RANGE,
        "if-range wrong",
        "/nginx/t1.html",
        &[("Range", "bytes=0-9"), ("If-Range", "wrong")],
        200,
        Whole,
    )
    .expect(&[("Last-Modified", Some("{lm}"))]),
    case(
        NGINX_IF_RANGE,
        "if-range",
        "/nginx/t1.html",
        &[("Range", "bytes=0-9"), ("If-Range", "{lm}")],
        206,
        Ranges(&[(0, 10)]),
    ),
    case(
        NGINX_IF_RANGE,
        "if-range notime",
        "/nginx/t1.html",
        &[("Range", "bytes=0-9"), ("If-Range", "wrong")],
        200,
        Whole,
    )
    .expect(&[("Last-Modified", None)])
    .entity(Tweak::NoTime),
    case(
        NGINX_IF_RANGE,
        "if-range time wrong",
        "/nginx/t3.html",
        &[("Range", "bytes=0-9"), ("If-Range", "wrong")],
        200,
        Whole,
    )
    .expect(&[("Last-Modified", Some("Mon, 28 Sep 1970 06:00:00 GMT"))]),
    case(
        NGINX_IF_RANGE,
        "if-range time",
        "/nginx/t3.html",
        &[
            ("Range", "bytes=0-9"),
            ("If-Range", "Mon, 28 Sep 1970 06:00:00 GMT"),
        ],
        206,
        Ranges(&[(0, 10)]),
    ),
];

/// nginx-tests' not_modified.t, whose location says `if_modified_since before` (Go's rule,
/// and zc-http's). The 32-bit `time_t` cases are the 64-bit answers here.
pub const NGINX_NOT_MODIFIED_CASES: &[Case] = &[
    case(
        NGINX_NOT_MODIFIED,
        "0x7F000000",
        "/nginx/t",
        &[("If-Modified-Since", "Wed, 08 Jul 2037 22:53:52 GMT")],
        304,
        NotFile,
    ),
    case(
        NGINX_NOT_MODIFIED,
        "0x7FFFFFFF",
        "/nginx/t",
        &[("If-Modified-Since", "Tue, 19 Jan 2038 03:14:07 GMT")],
        304,
        NotFile,
    ),
    case(
        NGINX_NOT_MODIFIED,
        "0x7FFFFFFF + 1",
        "/nginx/t",
        &[("If-Modified-Since", "Tue, 19 Jan 2038 03:14:08 GMT")],
        304,
        NotFile,
    )
    .policy(
        "64-bit time: a date after 2038 is still a date (nginx-tests skips these on 64-bit time_t)",
    ),
    case(
        NGINX_NOT_MODIFIED,
        "0x17FFFFFFF",
        "/nginx/t",
        &[("If-Modified-Since", "Fri, 25 Feb 2174 09:42:23 GMT")],
        304,
        NotFile,
    ),
    case(
        NGINX_NOT_MODIFIED,
        "if-none-match",
        "/nginx/t",
        &[("If-None-Match", "{etag}")],
        304,
        NotFile,
    ),
    case(
        NGINX_NOT_MODIFIED,
        "if-none-match fail",
        "/nginx/t",
        &[("If-None-Match", "\"foo\"")],
        200,
        Whole,
    ),
    case(
        NGINX_NOT_MODIFIED,
        "if-none-match with complex list",
        "/nginx/t",
        &[("If-None-Match", "\"foo\", \"bar\", {etag} , \"baz\"")],
        304,
        NotFile,
    ),
    case(
        NGINX_NOT_MODIFIED,
        "if-none-match all",
        "/nginx/t",
        &[("If-None-Match", "*")],
        304,
        NotFile,
    ),
    case(
        NGINX_NOT_MODIFIED,
        "if-none-match weak",
        "/nginx/t",
        &[("If-None-Match", "W/{etag}")],
        304,
        NotFile,
    ),
    case(
        NGINX_NOT_MODIFIED,
        "if-match",
        "/nginx/t",
        &[("If-Match", "{etag}")],
        200,
        Whole,
    ),
    case(
        NGINX_NOT_MODIFIED,
        "if-match fail",
        "/nginx/t",
        &[("If-Match", "\"foo\"")],
        412,
        NotFile,
    ),
    case(
        NGINX_NOT_MODIFIED,
        "if-match with complex list",
        "/nginx/t",
        &[("If-Match", "\"foo\", \"bar\", \t{etag} , \"baz\"")],
        200,
        Whole,
    ),
    case(
        NGINX_NOT_MODIFIED,
        "if-match all",
        "/nginx/t",
        &[("If-Match", "*")],
        200,
        Whole,
    ),
    case(
        NGINX_NOT_MODIFIED,
        "if-match weak fail",
        "/nginx/t",
        &[("If-Match", "W/{etag}")],
        412,
        NotFile,
    ),
    case(
        NGINX_NOT_MODIFIED,
        "if-match ignored with 404",
        "/nginx/nx",
        &[("If-Match", "\"foo\"")],
        404,
        NotFile,
    ),
];

/// Precompressed siblings: the coding by Accept-Encoding weights, and the validators and
/// ranges of the sibling sent. `Vary: Accept-Encoding` on every answer while siblings are on
/// (tower-http's choice).
pub const PRECOMPRESSED_CASES: &[Case] = &[
    case(
        PRECOMPRESSED,
        "br preferred at equal weight",
        "/pre/a.css",
        &[("Accept-Encoding", "gzip, deflate, br")],
        200,
        Whole,
    )
    .expect(&[
        ("Content-Encoding", Some("br")),
        ("Content-Length", Some("8")),
        ("Content-Type", Some("text/css; charset=utf-8")),
        ("Vary", Some("Accept-Encoding")),
    ])
    .precompressed(),
    case(
        PRECOMPRESSED,
        "gzip by weight",
        "/pre/a.css",
        &[("Accept-Encoding", "br;q=0.5, gzip;q=0.8")],
        200,
        Whole,
    )
    .expect(&[
        ("Content-Encoding", Some("gzip")),
        ("Content-Length", Some("19")),
    ])
    .precompressed(),
    case(
        PRECOMPRESSED,
        "q=0 refuses",
        "/pre/a.css",
        &[("Accept-Encoding", "br;q=0, gzip")],
        200,
        Whole,
    )
    .expect(&[("Content-Encoding", Some("gzip"))])
    .precompressed(),
    case(
        PRECOMPRESSED,
        "star",
        "/pre/a.css",
        &[("Accept-Encoding", "*")],
        200,
        Whole,
    )
    .expect(&[("Content-Encoding", Some("br"))])
    .precompressed(),
    case(
        PRECOMPRESSED,
        "identity preferred",
        "/pre/a.css",
        &[("Accept-Encoding", "identity, gzip;q=0.5")],
        200,
        Whole,
    )
    .expect(&[
        ("Content-Encoding", None),
        ("Content-Length", Some("400")),
        ("Vary", Some("Accept-Encoding")),
    ])
    .precompressed(),
    case(
        PRECOMPRESSED,
        "none accepted",
        "/pre/a.css",
        &[],
        200,
        Whole,
    )
    .expect(&[
        ("Content-Encoding", None),
        ("Vary", Some("Accept-Encoding")),
    ])
    .precompressed(),
    case(
        PRECOMPRESSED,
        "no sibling",
        "/pre/plain.txt",
        &[("Accept-Encoding", "gzip, br")],
        200,
        Whole,
    )
    .expect(&[
        ("Content-Encoding", None),
        ("Vary", Some("Accept-Encoding")),
    ])
    .precompressed(),
    case(
        PRECOMPRESSED,
        "only a gzip sibling",
        "/pre/only-gz.js",
        &[("Accept-Encoding", "br, gzip")],
        200,
        Whole,
    )
    .expect(&[
        ("Content-Encoding", Some("gzip")),
        ("Content-Length", Some("7")),
    ])
    .precompressed(),
    case(
        PRECOMPRESSED,
        "a range of the sibling",
        "/pre/a.css",
        &[("Accept-Encoding", "gzip"), ("Range", "bytes=5-9")],
        206,
        Ranges(&[(5, 10)]),
    )
    .expect(&[
        ("Content-Encoding", Some("gzip")),
        ("Content-Range", Some("bytes 5-9/19")),
    ])
    .precompressed(),
    case(
        PRECOMPRESSED,
        "the sibling's own tag",
        "/pre/a.css",
        &[
            ("Accept-Encoding", "gzip"),
            ("If-None-Match", "\"6553f101-13\""),
        ],
        304,
        NotFile,
    )
    .expect(&[
        ("ETag", Some("\"6553f101-13\"")),
        ("Vary", Some("Accept-Encoding")),
    ])
    .precompressed(),
    case(
        PRECOMPRESSED,
        "the original's tag does not match the sibling",
        "/pre/a.css",
        &[("Accept-Encoding", "gzip"), ("If-None-Match", "{etag}")],
        200,
        Whole,
    )
    .expect(&[("Content-Encoding", Some("gzip"))])
    .precompressed(),
    case(
        PRECOMPRESSED,
        "off: no sibling, no Vary",
        "/pre/a.css",
        &[("Accept-Encoding", "gzip, br")],
        200,
        Whole,
    )
    .expect(&[("Content-Encoding", None), ("Vary", None)]),
];

/// Every table.
pub fn all() -> Vec<Case> {
    [
        GO_SERVE_FILE_RANGE,
        GO_PARSE_RANGE,
        GO_SERVE_CONTENT,
        NGINX_RANGES,
        NGINX_IF_RANGES,
        NGINX_NOT_MODIFIED_CASES,
        PRECOMPRESSED_CASES,
    ]
    .concat()
}

/// One HTTP/1.1 response, as the client reads it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// Parses one response with its body (`Content-Length` bytes, none for a HEAD).
    pub fn parse(raw: &[u8], head_only: bool) -> Reply {
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a whole head")
            + 4;
        let head = std::str::from_utf8(&raw[..end]).expect("an ASCII head");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let status = status_line[9..12].parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (n, v) = l.split_once(':').expect("a field");
                (n.to_owned(), v.trim().to_owned())
            })
            .collect();
        let body = raw[end..].to_vec();
        let reply = Reply {
            status,
            headers,
            body,
        };
        if !head_only {
            // No Content-Length: a 304, which has no body.
            let length = reply
                .header("Content-Length")
                .map_or(0, |n| n.parse().unwrap());
            assert_eq!(reply.body.len(), length, "Content-Length is the body's");
        }
        reply
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Checks `reply` (to `method`) against `case`; the message names the case.
pub fn check(case: &Case, method: &str, reply: &Reply) {
    let what = format!("{} {:?} ({method})", case.source, case.name);
    assert_eq!(reply.status, case.status, "{what}: status; {reply:?}");
    for &(name, want) in case.expect {
        let want = want.map(|w| case.fill(w));
        assert_eq!(reply.header(name), want.as_deref(), "{what}: {name}");
    }
    let head = method == "HEAD";
    let (content, _) = if case.target == "/nginx/nx" {
        (Vec::new(), 0)
    } else {
        file(case.target)
    };
    // A sibling's bytes, when one was sent.
    let content = match reply.header("Content-Encoding") {
        Some("gzip") => file(&format!("{}.gz", case.target)).0,
        Some("br") => file(&format!("{}.br", case.target)).0,
        _ => content,
    };
    let content_type = reply.header("Content-Type").unwrap_or_default();
    match case.body {
        Want::NotFile => {
            // An error's short text (its length checked by `Reply::parse`), or nothing.
            if head || reply.status == 304 {
                assert!(reply.body.is_empty(), "{what}: no body");
            }
            assert!(
                content.len() < 2 || reply.body != content,
                "{what}: not the file"
            );
        }
        Want::Whole => {
            assert_eq!(reply.header("Content-Range"), None, "{what}");
            let length = content.len().to_string();
            assert_eq!(reply.header("Content-Length"), Some(&*length), "{what}");
            let want: &[u8] = if head { &[] } else { &content };
            assert!(reply.body == want, "{what}: body");
        }
        Want::Ranges(&[(start, end)]) => {
            let (start, end) = (start as usize, end as usize);
            let range = format!("bytes {start}-{}/{}", end - 1, content.len());
            assert_eq!(reply.header("Content-Range"), Some(&*range), "{what}");
            assert!(!content_type.starts_with("multipart/"), "{what}");
            let length = (end - start).to_string();
            assert_eq!(reply.header("Content-Length"), Some(&*length), "{what}");
            let want: &[u8] = if head { &[] } else { &content[start..end] };
            assert!(reply.body == want, "{what}: body");
        }
        Want::Ranges(ranges) => {
            let boundary = content_type
                .strip_prefix("multipart/byteranges; boundary=")
                .unwrap_or_else(|| panic!("{what}: multipart, not {content_type}"));
            assert_eq!(reply.header("Content-Range"), None, "{what}");
            if head {
                assert!(reply.body.is_empty(), "{what}: HEAD has no body");
                return;
            }
            let mut rest = &reply.body[..];
            for &(start, end) in ranges {
                let (start, end) = (start as usize, end as usize);
                let part = format!(
                    "\r\n--{boundary}\r\nContent-Type: {}\r\nContent-Range: bytes {start}-{}/{}\r\n\r\n",
                    part_type(case.target),
                    end - 1,
                    content.len()
                );
                assert!(
                    rest.starts_with(part.as_bytes()),
                    "{what}: part {start}-{end} head"
                );
                rest = &rest[part.len()..];
                assert!(
                    rest[..end - start] == content[start..end],
                    "{what}: part bytes"
                );
                rest = &rest[end - start..];
            }
            assert_eq!(
                rest,
                format!("\r\n--{boundary}--\r\n").as_bytes(),
                "{what}: end"
            );
        }
    }
}

/// The Content-Type of a file's parts.
fn part_type(target: &str) -> String {
    zc_http::content_type(target.as_ref())
        .to_str()
        .unwrap()
        .to_owned()
}
