//! Just enough HTTP/1.1 for a static file server: request heads, `Range`, paths that cannot
//! leave the served root, response heads, content types.
//!
//! Every function here is pure (no I/O): the servers of each runtime read the request, call
//! [`parse_request`] and [`route`], look the path up with their runtime's filesystem API,
//! check it with [`is_within`], and answer with [`file_reply`] or [`error_reply`], sending the
//! body with `zc::copy` from the file position [`FileReply::body`] names.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The largest request head accepted (request line and headers).
pub const MAX_HEAD: usize = 16 << 10;

/// The most header fields accepted in one request.
pub const MAX_HEADERS: usize = 100;

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `HEAD`, ... (case-sensitive, as HTTP says).
    pub method: String,
    /// The request target as sent (`/a%20b?x=1`).
    pub target: String,
    /// The minor version: `0` for HTTP/1.0, `1` for HTTP/1.1.
    pub minor: u8,
    /// Header fields in order, names as sent.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the connection stays open after the response: HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    pub fn keep_alive(&self) -> bool {
        let has = |token: &str| {
            self.headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
                .flat_map(|(_, v)| v.split(','))
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        };
        if has("close") {
            false
        } else {
            self.minor >= 1 || has("keep-alive")
        }
    }

    /// Whether the request carries a body (which these servers do not read).
    pub fn has_body(&self) -> bool {
        if self.header("transfer-encoding").is_some() {
            return true;
        }
        match self.header("content-length") {
            None => false,
            Some(v) => v.trim().parse::<u64>().map_or(true, |n| n > 0),
        }
    }
}

/// Why a request head was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadError {
    /// Longer than [`MAX_HEAD`] or with more than [`MAX_HEADERS`] fields: 431.
    TooLarge,
    /// Not HTTP/1.x: 505.
    Version,
    /// Anything else: 400, with the reason.
    Malformed(&'static str),
}

impl HeadError {
    /// The status code to answer with.
    pub fn status(self) -> u16 {
        match self {
            HeadError::TooLarge => 431,
            HeadError::Version => 505,
            HeadError::Malformed(_) => 400,
        }
    }
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Parses the request head at the start of `buf`.
///
/// Returns `Ok(None)` while the head is incomplete, or `Ok(Some((request, head_len)))`; bytes
/// after `head_len` belong to the next request (pipelining).
pub fn parse_request(buf: &[u8]) -> Result<Option<(Request, usize)>, HeadError> {
    // RFC 9112 §2.2: ignore empty lines before a request line.
    let skip = buf
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    let rest = &buf[skip..];
    let Some(end) = rest.windows(4).position(|w| w == b"\r\n\r\n") else {
        return if rest.len() > MAX_HEAD {
            Err(HeadError::TooLarge)
        } else {
            Ok(None)
        };
    };
    if end > MAX_HEAD {
        return Err(HeadError::TooLarge);
    }
    let head = std::str::from_utf8(&rest[..end])
        .map_err(|_| HeadError::Malformed("the request head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::Malformed(
            "the request line is not `METHOD target HTTP/1.x`",
        ));
    };
    if !is_token(method) {
        return Err(HeadError::Malformed("the method is not a token"));
    }
    if target.is_empty() || target.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(HeadError::Malformed(
            "the request target is empty or has controls",
        ));
    }
    let minor = match version {
        "HTTP/1.1" => 1,
        "HTTP/1.0" => 0,
        v if v.starts_with("HTTP/") => return Err(HeadError::Version),
        _ => return Err(HeadError::Malformed("the version is not HTTP/1.x")),
    };
    let mut headers = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            return Err(HeadError::Malformed("obsolete header line folding"));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(HeadError::Malformed("a header line has no colon"));
        };
        if !is_token(name) {
            return Err(HeadError::Malformed("a header name is not a token"));
        }
        if headers.len() == MAX_HEADERS {
            return Err(HeadError::TooLarge);
        }
        headers.push((name.to_owned(), value.trim_matches([' ', '\t']).to_owned()));
    }
    let request = Request {
        method: method.to_owned(),
        target: target.to_owned(),
        minor,
        headers,
    };
    Ok(Some((request, skip + end + 4)))
}

/// What a `Range` header asks of a representation of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeReply {
    /// 200 with everything: no `Range`, or one this server ignores (another unit, a syntax
    /// error, several ranges), as RFC 9110 §14.2 allows.
    Full,
    /// 206 with bytes `start..=end`.
    Partial {
        /// The first byte.
        start: u64,
        /// The last byte (inclusive).
        end: u64,
    },
    /// 416: no byte of the range exists.
    Unsatisfiable,
}

fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Too many digits for u64 means "beyond any file": saturate rather than refuse.
    Some(s.parse().unwrap_or(u64::MAX))
}

/// Interprets a `Range` header (`bytes=a-b`, `bytes=a-`, `bytes=-n`) for `len` bytes.
pub fn parse_range(header: Option<&str>, len: u64) -> RangeReply {
    let Some(header) = header else {
        return RangeReply::Full;
    };
    let header = header.trim();
    let Some(spec) = header
        .get(..6)
        .filter(|unit| unit.eq_ignore_ascii_case("bytes="))
        .map(|_| header[6..].trim())
    else {
        return RangeReply::Full;
    };
    if spec.contains(',') {
        // multipart/byteranges is not worth it for an example: send it all.
        return RangeReply::Full;
    }
    let Some((first, last)) = spec.split_once('-') else {
        return RangeReply::Full;
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        let Some(suffix) = digits(last) else {
            return RangeReply::Full;
        };
        return match (suffix, len) {
            (0, _) => RangeReply::Unsatisfiable,
            // RFC 9110 §14.1.1: on an empty representation a non-zero suffix is satisfiable,
            // and the whole (empty) representation is the answer.
            (_, 0) => RangeReply::Full,
            (n, len) => RangeReply::Partial {
                start: len - n.min(len),
                end: len - 1,
            },
        };
    }
    let Some(start) = digits(first) else {
        return RangeReply::Full;
    };
    let end = match last {
        "" => None,
        last => match digits(last) {
            Some(end) if end >= start => Some(end),
            _ => return RangeReply::Full,
        },
    };
    if start >= len {
        return RangeReply::Unsatisfiable;
    }
    RangeReply::Partial {
        start,
        end: end.map_or(len - 1, |end| end.min(len - 1)),
    }
}

/// Why a request target does not name a file under the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    /// Not an origin-form target, or a bad percent escape, or a NUL byte: 400.
    BadTarget,
    /// A `..` segment: refused outright (404, so nothing is learned about the outside).
    Traversal,
}

fn percent_decode(path: &str) -> Option<Vec<u8>> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Maps a request target to a path under `root`, lexically: drops the query, decodes percent
/// escapes, and refuses `..` segments (also encoded ones, `%2e%2e`) and NUL bytes.
///
/// The result is inside `root` as a string. A symlink under the root may still lead outside
/// it: canonicalize the result and check it with [`is_within`] before opening it.
pub fn target_path(root: &Path, target: &str) -> Result<PathBuf, PathError> {
    let path = target.split(['?', '#']).next().unwrap_or_default();
    if !path.starts_with('/') {
        return Err(PathError::BadTarget);
    }
    let decoded = percent_decode(path).ok_or(PathError::BadTarget)?;
    if decoded.contains(&0) {
        return Err(PathError::BadTarget);
    }
    let mut out = root.to_path_buf();
    for segment in decoded.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => return Err(PathError::Traversal),
            segment => out.push(OsStr::from_bytes(segment)),
        }
    }
    Ok(out)
}

/// Whether `path` is `root` or below it; both must be canonical (symlinks resolved).
pub fn is_within(root: &Path, path: &Path) -> bool {
    path.starts_with(root)
}

/// What the server does with a request, before any filesystem lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Look this path up (canonicalize, check [`is_within`], open); then [`file_reply`].
    Lookup(PathBuf),
    /// Answer with this status (see [`error_reply`]).
    Error(u16),
}

/// Routes a request for a server of static files under `root`.
pub fn route(root: &Path, request: &Request) -> Route {
    if request.has_body() {
        // These servers do not read request bodies; a body would be taken for the next
        // request. 400, and the connection closes (see `error_reply`'s caller).
        return Route::Error(400);
    }
    if request.method != "GET" && request.method != "HEAD" {
        return Route::Error(405);
    }
    match target_path(root, &request.target) {
        Ok(path) => Route::Lookup(path),
        Err(PathError::BadTarget) => Route::Error(400),
        Err(PathError::Traversal) => Route::Error(404),
    }
}

/// The reason phrase of the statuses these servers send.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        416 => "Range Not Satisfiable",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// The `Content-Type` for a file name's extension.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(OsStr::to_str)
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("txt" | "md" | "rs" | "toml" | "lock" | "sh" | "yml" | "yaml") => {
            "text/plain; charset=utf-8"
        }
        Some("xml") => "application/xml",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("wasm") => "application/wasm",
        Some("pdf") => "application/pdf",
        Some("zip") => "application/zip",
        Some("gz") => "application/gzip",
        Some("mp4") => "video/mp4",
        Some("webm") => "video/webm",
        Some("mp3") => "audio/mpeg",
        _ => "application/octet-stream",
    }
}

/// A response head: status line, `Content-Length`, `Connection`, then `extra` fields.
pub fn response_head(
    status: u16,
    content_length: u64,
    keep_alive: bool,
    extra: &[(&str, &str)],
) -> String {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nServer: zc-example\r\nContent-Length: {content_length}\r\nConnection: {}\r\n",
        reason(status),
        if keep_alive { "keep-alive" } else { "close" },
    );
    for (name, value) in extra {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    head
}

/// An error response: its head and its (short, plain-text) body.
pub fn error_reply(status: u16, keep_alive: bool) -> (String, String) {
    let body = format!("{status} {}\n", reason(status));
    let mut extra = vec![("Content-Type", "text/plain; charset=utf-8")];
    if status == 405 {
        extra.push(("Allow", "GET, HEAD"));
    }
    (
        response_head(status, body.len() as u64, keep_alive, &extra),
        body,
    )
}

/// The answer to a GET or HEAD of a regular file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReply {
    /// The status: 200, 206 or 416.
    pub status: u16,
    /// The response head, ready to write.
    pub head: String,
    /// The body to send from the file, as (offset, length), or `None` (HEAD, 416, empty).
    pub body: Option<(u64, u64)>,
    /// A short body to send instead of file bytes (the 416 explanation).
    pub text: Option<String>,
}

/// Plans the answer to `request` for the file at `path` of `len` bytes.
pub fn file_reply(request: &Request, path: &Path, len: u64, keep_alive: bool) -> FileReply {
    let head_only = request.method == "HEAD";
    let content_type = content_type(path);
    match parse_range(request.header("range"), len) {
        RangeReply::Full => FileReply {
            status: 200,
            head: response_head(
                200,
                len,
                keep_alive,
                &[("Content-Type", content_type), ("Accept-Ranges", "bytes")],
            ),
            body: (!head_only && len > 0).then_some((0, len)),
            text: None,
        },
        RangeReply::Partial { start, end } => {
            let content_range = format!("bytes {start}-{end}/{len}");
            FileReply {
                status: 206,
                head: response_head(
                    206,
                    end - start + 1,
                    keep_alive,
                    &[
                        ("Content-Type", content_type),
                        ("Accept-Ranges", "bytes"),
                        ("Content-Range", &content_range),
                    ],
                ),
                body: (!head_only).then_some((start, end - start + 1)),
                text: None,
            }
        }
        RangeReply::Unsatisfiable => {
            let content_range = format!("bytes */{len}");
            let text = format!("416 {}\n", reason(416));
            FileReply {
                status: 416,
                head: response_head(
                    416,
                    text.len() as u64,
                    keep_alive,
                    &[
                        ("Content-Type", "text/plain; charset=utf-8"),
                        ("Content-Range", &content_range),
                    ],
                ),
                body: None,
                text: (!head_only).then_some(text),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(head: &str) -> Request {
        parse_request(head.as_bytes()).unwrap().unwrap().0
    }

    #[test]
    fn request_head_is_parsed_with_its_length() {
        let raw = b"GET /a/b.txt?x=1 HTTP/1.1\r\nHost: h\r\nRange:  bytes=0-9 \r\n\r\nNEXT";
        let (req, len) = parse_request(raw).unwrap().unwrap();
        assert_eq!(req.method, "GET");
        assert_eq!(req.target, "/a/b.txt?x=1");
        assert_eq!(req.minor, 1);
        assert_eq!(req.header("range"), Some("bytes=0-9"));
        assert_eq!(&raw[len..], b"NEXT");
    }

    #[test]
    fn incomplete_head_asks_for_more() {
        assert_eq!(parse_request(b"GET / HTTP/1.1\r\nHost: h\r\n"), Ok(None));
        assert_eq!(parse_request(b""), Ok(None));
    }

    #[test]
    fn empty_lines_before_a_request_are_skipped() {
        let (req, len) = parse_request(b"\r\nGET / HTTP/1.0\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!((req.minor, len), (0, 20));
    }

    #[test]
    fn malformed_heads_are_refused() {
        for raw in [
            &b"GET /\r\n\r\n"[..],
            b"GET  / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1 x\r\n\r\n",
            b"G(T / HTTP/1.1\r\n\r\n",
            b"GET / FTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nNoColon\r\n\r\n",
            b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
            b"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
            b"GET /\xff HTTP/1.1\r\n\r\n",
        ] {
            let err = parse_request(raw).unwrap_err();
            assert_eq!(err.status(), 400, "{:?}", String::from_utf8_lossy(raw));
        }
        assert_eq!(
            parse_request(b"GET / HTTP/2.0\r\n\r\n"),
            Err(HeadError::Version)
        );
    }

    #[test]
    fn oversized_heads_are_refused() {
        let mut raw = b"GET / HTTP/1.1\r\nX: ".to_vec();
        raw.resize(MAX_HEAD + 10, b'a');
        assert_eq!(parse_request(&raw), Err(HeadError::TooLarge));
        let mut many = String::from("GET / HTTP/1.1\r\n");
        for i in 0..=MAX_HEADERS {
            many.push_str(&format!("X{i}: y\r\n"));
        }
        many.push_str("\r\n");
        assert_eq!(parse_request(many.as_bytes()), Err(HeadError::TooLarge));
    }

    #[test]
    fn keep_alive_follows_the_version_and_connection_header() {
        assert!(request("GET / HTTP/1.1\r\n\r\n").keep_alive());
        assert!(!request("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").keep_alive());
        assert!(!request("GET / HTTP/1.0\r\n\r\n").keep_alive());
        assert!(request("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive());
        assert!(!request("GET / HTTP/1.1\r\nConnection: upgrade, close\r\n\r\n").keep_alive());
    }

    #[test]
    fn ranges_are_interpreted_per_rfc_9110() {
        use RangeReply::*;
        let p = |start, end| Partial { start, end };
        assert_eq!(parse_range(None, 100), Full);
        assert_eq!(parse_range(Some("bytes=0-9"), 100), p(0, 9));
        assert_eq!(parse_range(Some("bytes=10-"), 100), p(10, 99));
        assert_eq!(parse_range(Some("bytes=90-500"), 100), p(90, 99));
        assert_eq!(parse_range(Some("bytes=-30"), 100), p(70, 99));
        assert_eq!(parse_range(Some("bytes=-300"), 100), p(0, 99));
        assert_eq!(parse_range(Some("Bytes = 5 - 5"), 100), Full); // "bytes=" must be exact
        assert_eq!(parse_range(Some("BYTES=5-5"), 100), p(5, 5));
        assert_eq!(parse_range(Some("bytes=100-"), 100), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=100-200"), 100), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-0"), 100), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=0-0"), 0), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-5"), 0), Full);
        assert_eq!(
            parse_range(Some("bytes=99999999999999999999999-"), 100),
            Unsatisfiable
        );
        // Ignored: invalid, other units, several ranges.
        assert_eq!(parse_range(Some("bytes=9-1"), 100), Full);
        assert_eq!(parse_range(Some("bytes=a-b"), 100), Full);
        assert_eq!(parse_range(Some("bytes=+1-2"), 100), Full);
        assert_eq!(parse_range(Some("bytes=1"), 100), Full);
        assert_eq!(parse_range(Some("items=0-1"), 100), Full);
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), Full);
    }

    #[test]
    fn target_paths_stay_under_the_root() {
        let root = Path::new("/srv/www");
        assert_eq!(
            target_path(root, "/a/./b%20c.txt?q=/../x"),
            Ok(PathBuf::from("/srv/www/a/b c.txt"))
        );
        assert_eq!(target_path(root, "/"), Ok(PathBuf::from("/srv/www")));
        assert_eq!(
            target_path(root, "//etc/passwd"),
            Ok(PathBuf::from("/srv/www/etc/passwd"))
        );
        for evil in [
            "/../etc/passwd",
            "/a/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc%2Fpasswd",
            "/a/..",
        ] {
            assert_eq!(target_path(root, evil), Err(PathError::Traversal), "{evil}");
        }
        for bad in ["etc/passwd", "http://h/x", "/a%00b", "/a%zz", "/a%2", "*"] {
            assert_eq!(target_path(root, bad), Err(PathError::BadTarget), "{bad}");
        }
        assert!(is_within(root, Path::new("/srv/www/a")));
        assert!(!is_within(root, Path::new("/srv/www2/a")));
    }

    #[test]
    fn routes_refuse_bodies_and_other_methods() {
        let root = Path::new("/r");
        assert_eq!(
            route(root, &request("GET /x HTTP/1.1\r\n\r\n")),
            Route::Lookup(PathBuf::from("/r/x"))
        );
        assert_eq!(
            route(root, &request("POST /x HTTP/1.1\r\n\r\n")),
            Route::Error(405)
        );
        assert_eq!(
            route(
                root,
                &request("GET /x HTTP/1.1\r\nContent-Length: 3\r\n\r\n")
            ),
            Route::Error(400)
        );
        assert_eq!(
            route(
                root,
                &request("GET /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
            ),
            Route::Lookup(PathBuf::from("/r/x"))
        );
        assert_eq!(
            route(root, &request("GET /../x HTTP/1.1\r\n\r\n")),
            Route::Error(404)
        );
    }

    #[test]
    fn file_replies_carry_the_range_and_its_headers() {
        let path = Path::new("/r/f.txt");
        let get = request("GET /f.txt HTTP/1.1\r\nRange: bytes=10-19\r\n\r\n");
        let reply = file_reply(&get, path, 100, true);
        assert_eq!((reply.status, reply.body), (206, Some((10, 10))));
        assert!(reply.head.starts_with("HTTP/1.1 206 Partial Content\r\n"));
        assert!(reply.head.contains("\r\nContent-Length: 10\r\n"));
        assert!(reply
            .head
            .contains("\r\nContent-Range: bytes 10-19/100\r\n"));
        assert!(reply
            .head
            .contains("\r\nContent-Type: text/plain; charset=utf-8\r\n"));
        assert!(reply.head.ends_with("\r\n\r\n"));

        let head = request("HEAD /f.txt HTTP/1.1\r\n\r\n");
        let reply = file_reply(&head, path, 100, false);
        assert_eq!((reply.status, reply.body), (200, None));
        assert!(reply.head.contains("\r\nContent-Length: 100\r\n"));
        assert!(reply.head.contains("\r\nConnection: close\r\n"));

        let beyond = request("GET /f.txt HTTP/1.1\r\nRange: bytes=100-\r\n\r\n");
        let reply = file_reply(&beyond, path, 100, true);
        assert_eq!((reply.status, reply.body), (416, None));
        assert!(reply.head.contains("\r\nContent-Range: bytes */100\r\n"));
        let text = reply.text.unwrap();
        assert!(reply
            .head
            .contains(&format!("\r\nContent-Length: {}\r\n", text.len())));

        let empty = file_reply(
            &request("GET /e HTTP/1.1\r\n\r\n"),
            Path::new("/r/e"),
            0,
            true,
        );
        assert_eq!((empty.status, empty.body), (200, None));
    }

    #[test]
    fn error_replies_have_matching_lengths() {
        let (head, body) = error_reply(405, true);
        assert!(head.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
        assert!(head.contains("\r\nAllow: GET, HEAD\r\n"));
        assert!(head.contains(&format!("\r\nContent-Length: {}\r\n", body.len())));
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(
            content_type(Path::new("a/INDEX.HTML")),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("a.png")), "image/png");
        assert_eq!(content_type(Path::new("noext")), "application/octet-stream");
    }
}
