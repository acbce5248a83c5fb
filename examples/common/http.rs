//! Just enough HTTP/1.1 for a static file server: request heads (parsed by `httparse`, the
//! parser hyper uses), `Range` (one or several), conditional requests, paths that cannot leave
//! the served root, response heads.
//!
//! Every function here is pure (no I/O); `file_server.rs` does the I/O.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The largest request head accepted (request line and headers): 431 beyond.
pub const MAX_HEAD: usize = 16 << 10;

/// The most header fields accepted in one request: 431 beyond.
pub const MAX_HEADERS: usize = 100;

/// A parsed request head; the strings borrow the connection's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// `GET`, `HEAD`, ... (case-sensitive, as HTTP says).
    pub method: &'a str,
    /// The path and query of the target as sent (an absolute-form target reduced to them).
    pub target: &'a str,
    /// The minor version: `0` for HTTP/1.0, `1` for HTTP/1.1.
    pub minor: u8,
    /// Whether the connection stays open after the response: HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    pub keep_alive: bool,
    /// Whether the request carries a body (which these servers do not read).
    pub has_body: bool,
    /// `Range`.
    pub range: Option<&'a str>,
    /// `If-None-Match`.
    pub if_none_match: Option<&'a str>,
    /// `If-Modified-Since`.
    pub if_modified_since: Option<&'a str>,
    /// `If-Range`.
    pub if_range: Option<&'a str>,
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

fn has_token(value: &str, token: &str) -> bool {
    value
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Parses the request head at the start of `buf`.
///
/// Returns `Ok(None)` while the head is incomplete, or `Ok(Some((request, head_len)))`; bytes
/// after `head_len` belong to the next request (pipelining). Lines may end in CRLF or a bare
/// LF; empty lines before the request line are skipped (RFC 9112 §2.2).
///
/// # Errors
///
/// A head that is too large (431), not HTTP/1.x (505), or malformed (400): a syntax error,
/// `Content-Length` values that disagree or do not parse, `Transfer-Encoding` together with
/// `Content-Length` (request smuggling), an HTTP/1.1 request without exactly one `Host`.
pub fn parse_request(buf: &[u8]) -> Result<Option<(Request<'_>, usize)>, HeadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    let head_len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(n)) if n <= MAX_HEAD => n,
        Ok(httparse::Status::Complete(_)) | Err(httparse::Error::TooManyHeaders) => {
            return Err(HeadError::TooLarge)
        }
        Ok(httparse::Status::Partial) if buf.len() >= MAX_HEAD => return Err(HeadError::TooLarge),
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::Version) => return Err(HeadError::Version),
        Err(_) => {
            return Err(HeadError::Malformed(
                "the request head is not HTTP/1.1 syntax",
            ))
        }
    };
    let (Some(method), Some(target), Some(minor)) = (parsed.method, parsed.path, parsed.version)
    else {
        return Err(HeadError::Malformed("the request line is incomplete"));
    };
    let mut request = Request {
        method,
        target,
        minor,
        keep_alive: minor >= 1,
        has_body: false,
        range: None,
        if_none_match: None,
        if_modified_since: None,
        if_range: None,
    };
    let (mut hosts, mut length, mut chunked) = (0, None::<u64>, false);
    let (mut close, mut keep) = (false, false);
    for header in parsed.headers.iter() {
        let name = header.name;
        let value = std::str::from_utf8(header.value).ok();
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        if is("host") {
            hosts += 1;
        } else if is("content-length") {
            let n = value
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or(HeadError::Malformed("Content-Length is not a number"))?;
            if length.is_some_and(|m| m != n) {
                return Err(HeadError::Malformed("two different Content-Length values"));
            }
            length = Some(n);
        } else if is("transfer-encoding") {
            chunked = true;
        } else if let Some(value) = value {
            if is("connection") {
                close |= has_token(value, "close");
                keep |= has_token(value, "keep-alive");
            } else if is("range") {
                request.range = Some(value);
            } else if is("if-none-match") {
                request.if_none_match = Some(value);
            } else if is("if-modified-since") {
                request.if_modified_since = Some(value);
            } else if is("if-range") {
                request.if_range = Some(value);
            }
        }
    }
    if chunked && length.is_some() {
        return Err(HeadError::Malformed(
            "Transfer-Encoding and Content-Length together",
        ));
    }
    // Absolute form (`GET http://host/path HTTP/1.1`): the authority stands for `Host`.
    let scheme = target.find("://").filter(|&i| {
        target[..i].eq_ignore_ascii_case("http") || target[..i].eq_ignore_ascii_case("https")
    });
    if let Some(i) = scheme {
        let rest = &target[i + 3..];
        request.target = rest.find('/').map_or("/", |slash| &rest[slash..]);
        hosts = hosts.max(1);
    }
    if hosts > 1 || (minor >= 1 && hosts == 0) {
        return Err(HeadError::Malformed("HTTP/1.1 needs exactly one Host"));
    }
    request.has_body = chunked || length.is_some_and(|n| n > 0);
    request.keep_alive = !close && (minor >= 1 || keep);
    Ok(Some((request, head_len)))
}

/// What a `Range` header asks of a representation of `len` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeReply {
    /// 200 with everything: no `Range`, or one this server ignores (another unit, a syntax
    /// error, more ranges than allowed), as RFC 9110 §14.2 allows.
    Full,
    /// 206 with these inclusive `(first, last)` byte ranges, in the order asked: one range is
    /// a plain 206, several are `multipart/byteranges`.
    Partial(Vec<(u64, u64)>),
    /// 416: no byte of any range exists.
    Unsatisfiable,
}

fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Too many digits for u64 means "beyond any file": saturate rather than refuse.
    Some(s.parse().unwrap_or(u64::MAX))
}

/// One range spec of `len` bytes: `Ok(Some(range))`, `Ok(None)` when unsatisfiable, `Err` when
/// invalid (which makes the whole header ignored).
fn parse_spec(spec: &str, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let (first, last) = spec.split_once('-').ok_or(())?;
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        let suffix = digits(last).ok_or(())?;
        return Ok(match (suffix, len) {
            (0, _) | (_, 0) => None,
            (n, len) => Some((len - n.min(len), len - 1)),
        });
    }
    let start = digits(first).ok_or(())?;
    let end = match last {
        "" => u64::MAX,
        last => digits(last).filter(|&end| end >= start).ok_or(())?,
    };
    Ok((start < len).then(|| (start, end.min(len - 1))))
}

/// Interprets a `Range` header (`bytes=a-b`, `bytes=a-`, `bytes=-n`, comma-separated) for
/// `len` bytes, answering at most `max_ranges` ranges (more: the whole representation).
pub fn parse_range(header: Option<&str>, len: u64, max_ranges: usize) -> RangeReply {
    let Some(header) = header else {
        return RangeReply::Full;
    };
    let header = header.trim();
    let Some(set) = header
        .get(..6)
        .filter(|unit| unit.eq_ignore_ascii_case("bytes="))
        .map(|_| &header[6..])
    else {
        return RangeReply::Full;
    };
    let specs = set.split(',').map(str::trim).filter(|s| !s.is_empty());
    if specs.clone().count() > max_ranges {
        return RangeReply::Full;
    }
    let mut ranges = Vec::new();
    let mut any = false;
    for spec in specs {
        any = true;
        match parse_spec(spec, len) {
            Ok(Some(range)) => ranges.push(range),
            Ok(None) => {}
            Err(()) => return RangeReply::Full,
        }
    }
    match (any, ranges.is_empty()) {
        (false, _) => RangeReply::Full,
        // RFC 9110 §14.1.1: on an empty representation a suffix range is answered whole.
        (true, true) if len == 0 && set.trim_start().starts_with('-') => RangeReply::Full,
        (true, true) => RangeReply::Unsatisfiable,
        (true, false) => RangeReply::Partial(ranges),
    }
}

/// Why a request target does not name a file under the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    /// Not an origin-form target, or a bad percent escape, or a NUL byte: 400.
    BadTarget,
    /// A `..` segment: refused outright (404, so nothing is learned about the outside).
    Traversal,
    /// A segment starting with `.` while dotfiles are not served: 404.
    Hidden,
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

/// Maps a request target to a path relative to the served root, lexically: drops the query,
/// decodes percent escapes, and refuses `..` segments (also encoded ones, `%2e%2e`), NUL bytes
/// and, unless `dotfiles`, segments starting with `.` (`/.git/config`). The root itself is
/// `"."`.
///
/// A symlink under the root may still lead outside it: open the result with the kernel's
/// `RESOLVE_BENEATH` (as `file_server.rs` does), or canonicalize it and check the prefix.
///
/// # Errors
///
/// [`PathError`] says why the target names nothing servable.
pub fn target_path(target: &str, dotfiles: bool) -> Result<PathBuf, PathError> {
    let path = target.split(['?', '#']).next().unwrap_or_default();
    if !path.starts_with('/') {
        return Err(PathError::BadTarget);
    }
    let decoded = percent_decode(path).ok_or(PathError::BadTarget)?;
    if decoded.contains(&0) {
        return Err(PathError::BadTarget);
    }
    let mut out = PathBuf::from(".");
    for segment in decoded.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => return Err(PathError::Traversal),
            [b'.', ..] if !dotfiles => return Err(PathError::Hidden),
            segment => out.push(OsStr::from_bytes(segment)),
        }
    }
    Ok(out)
}

/// The reason phrase of the statuses these servers send.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        301 => "Moved Permanently",
        304 => "Not Modified",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        416 => "Range Not Satisfiable",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// The `Content-Type` for a file name's extension (`mime_guess`'s table), text as UTF-8.
pub fn content_type(path: &Path) -> String {
    let mime = mime_guess::from_path(path).first_raw();
    match mime {
        Some(m) if m.starts_with("text/") => format!("{m}; charset=utf-8"),
        Some(m) => m.to_owned(),
        None => "application/octet-stream".to_owned(),
    }
}

thread_local! {
    static DATE: std::cell::RefCell<(u64, String)> = const { std::cell::RefCell::new((0, String::new())) };
}

/// Appends the current time as an HTTP date (formatted once per second per thread).
pub fn push_date(out: &mut String) {
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    DATE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.0 != secs || cache.1.is_empty() {
            *cache = (secs, httpdate::fmt_http_date(now));
        }
        out.push_str(&cache.1);
    });
}

/// What a file's validators are made of: its modification time and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validators {
    /// Modification time, whole seconds since the epoch (HTTP dates have one-second precision).
    pub mtime: u64,
    /// Length in bytes.
    pub len: u64,
}

impl Validators {
    /// The entity tag, as nginx makes it: `"<mtime hex>-<length hex>"`.
    pub fn etag(&self) -> String {
        format!("\"{:x}-{:x}\"", self.mtime, self.len)
    }

    fn last_modified(&self) -> String {
        httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(self.mtime))
    }

    fn modified_since(&self, date: &str) -> bool {
        match httpdate::parse_http_date(date.trim()) {
            Ok(since) => UNIX_EPOCH + Duration::from_secs(self.mtime) > since,
            Err(_) => true, // An invalid date is ignored (RFC 9110 §13.1.3).
        }
    }

    /// `If-None-Match` matches (weak comparison, RFC 9110 §13.1.2).
    fn none_match_matches(&self, header: &str) -> bool {
        let etag = self.etag();
        header
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
    }

    /// `If-Range` holds: the strong entity tag, or exactly the `Last-Modified` date.
    fn if_range_holds(&self, header: &str) -> bool {
        let header = header.trim();
        if header.starts_with('"') {
            header == self.etag()
        } else {
            header == self.last_modified()
        }
    }
}

/// The start of a response head: status line, `Server`, `Date`, `Connection`.
pub fn head_start(out: &mut String, status: u16, keep_alive: bool) {
    out.clear();
    let _ = write!(
        out,
        "HTTP/1.1 {status} {}\r\nServer: zc\r\nDate: ",
        reason(status)
    );
    push_date(out);
    out.push_str(if keep_alive {
        "\r\nConnection: keep-alive\r\n"
    } else {
        "\r\nConnection: close\r\n"
    });
}

/// A complete error (or redirect) response, head and short plain-text body, into `out`.
/// `location` is for 301.
pub fn error_reply(out: &mut String, status: u16, keep_alive: bool, location: Option<&str>) {
    head_start(out, status, keep_alive);
    let body_len = 3 + 1 + reason(status).len() + 1;
    let _ = write!(
        out,
        "Content-Type: text/plain; charset=utf-8\r\nContent-Length: {body_len}\r\n"
    );
    if status == 405 {
        out.push_str("Allow: GET, HEAD\r\n");
    }
    if let Some(location) = location {
        let _ = write!(out, "Location: {location}\r\n");
    }
    let _ = write!(out, "\r\n{status} {}\n", reason(status));
}

/// What to send for a GET or HEAD of a regular file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Send the head, then nothing (HEAD, 304, an empty file) or the text after it (416).
    HeadOnly,
    /// Send the head, then bytes `offset..offset + len` of the file.
    Body {
        /// Where the body starts in the file.
        offset: u64,
        /// How many bytes.
        len: u64,
    },
    /// `multipart/byteranges`: the head, then for each range its part head and its bytes, then
    /// the closing delimiter ([`part_head`], [`multipart_end`]).
    Multipart {
        /// The inclusive ranges, in order.
        ranges: Vec<(u64, u64)>,
        /// The boundary.
        boundary: String,
        /// The parts' `Content-Type`.
        content_type: String,
    },
}

/// Plans the answer to `request` for the file at `path` whose validators are `file`: writes
/// the response head into `head` and returns its status and what follows the head.
pub fn file_reply(
    head: &mut String,
    request: &Request<'_>,
    path: &Path,
    file: Validators,
    max_ranges: usize,
) -> (u16, Plan) {
    let head_only = request.method == "HEAD";
    let keep_alive = request.keep_alive;
    let etag = file.etag();
    let last_modified = file.last_modified();
    let validators = |head: &mut String| {
        let _ = write!(head, "Last-Modified: {last_modified}\r\nETag: {etag}\r\n");
    };
    let not_modified = match (request.if_none_match, request.if_modified_since) {
        (Some(tags), _) => file.none_match_matches(tags),
        (None, Some(date)) => !file.modified_since(date),
        (None, None) => false,
    };
    if not_modified {
        head_start(head, 304, keep_alive);
        validators(head);
        head.push_str("\r\n");
        return (304, Plan::HeadOnly);
    }
    let range = match request.if_range {
        Some(cond) if !file.if_range_holds(cond) => None,
        _ => request.range,
    };
    let content_type = content_type(path);
    match parse_range(range, file.len, max_ranges) {
        RangeReply::Full => {
            head_start(head, 200, keep_alive);
            let _ = write!(
                head,
                "Content-Type: {content_type}\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\n",
                file.len
            );
            validators(head);
            head.push_str("\r\n");
            let plan = if head_only || file.len == 0 {
                Plan::HeadOnly
            } else {
                Plan::Body {
                    offset: 0,
                    len: file.len,
                }
            };
            (200, plan)
        }
        RangeReply::Partial(ranges) if ranges.len() == 1 => {
            let (start, end) = ranges[0];
            head_start(head, 206, keep_alive);
            let _ = write!(
                head,
                "Content-Type: {content_type}\r\nContent-Length: {}\r\nContent-Range: bytes {start}-{end}/{}\r\nAccept-Ranges: bytes\r\n",
                end - start + 1,
                file.len
            );
            validators(head);
            head.push_str("\r\n");
            let plan = if head_only {
                Plan::HeadOnly
            } else {
                Plan::Body {
                    offset: start,
                    len: end - start + 1,
                }
            };
            (206, plan)
        }
        RangeReply::Partial(ranges) => {
            head_start(head, 206, keep_alive);
            let plan = multipart_reply(head, file, content_type, ranges, head_only, validators);
            (206, plan)
        }
        RangeReply::Unsatisfiable => {
            unsatisfiable_reply(head, file.len, keep_alive, head_only);
            (416, Plan::HeadOnly)
        }
    }
}

/// The rest of a `multipart/byteranges` answer's head for `ranges` of `file` (after its status
/// line, with `validators` written in), and what follows the head.
fn multipart_reply(
    head: &mut String,
    file: Validators,
    content_type: String,
    ranges: Vec<(u64, u64)>,
    head_only: bool,
    validators: impl Fn(&mut String),
) -> Plan {
    let boundary = format!("zc{:016x}{:08x}", file.mtime ^ file.len, ranges.len());
    let mut scratch = String::new();
    let mut length = multipart_end(&mut scratch, &boundary).len() as u64;
    for &(start, end) in &ranges {
        length += part_head(&mut scratch, &boundary, &content_type, start, end, file.len).len()
            as u64
            + (end - start + 1);
    }
    let _ = write!(
        head,
        "Content-Type: multipart/byteranges; boundary={boundary}\r\nContent-Length: {length}\r\nAccept-Ranges: bytes\r\n"
    );
    validators(head);
    head.push_str("\r\n");
    if head_only {
        return Plan::HeadOnly;
    }
    Plan::Multipart {
        ranges,
        boundary,
        content_type,
    }
}

/// A 416 answer for a file of `len` bytes, into `head`: its head, and its short text body
/// unless the request was a `HEAD`.
fn unsatisfiable_reply(head: &mut String, len: u64, keep_alive: bool, head_only: bool) {
    let text = "416 Range Not Satisfiable\n";
    head_start(head, 416, keep_alive);
    let _ = write!(
        head,
        "Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nContent-Range: bytes */{}\r\n\r\n",
        text.len(),
        len
    );
    if !head_only {
        head.push_str(text);
    }
}

/// The head of one part of a `multipart/byteranges` body, into `out` (cleared); returns it.
pub fn part_head<'a>(
    out: &'a mut String,
    boundary: &str,
    content_type: &str,
    start: u64,
    end: u64,
    len: u64,
) -> &'a str {
    out.clear();
    let _ = write!(
        out,
        "\r\n--{boundary}\r\nContent-Type: {content_type}\r\nContent-Range: bytes {start}-{end}/{len}\r\n\r\n"
    );
    out
}

/// The closing delimiter of a `multipart/byteranges` body, into `out` (cleared); returns it.
pub fn multipart_end<'a>(out: &'a mut String, boundary: &str) -> &'a str {
    out.clear();
    let _ = write!(out, "\r\n--{boundary}--\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(head: &str) -> Request<'_> {
        parse_request(head.as_bytes()).unwrap().unwrap().0
    }

    #[test]
    fn request_head_is_parsed_with_its_length() {
        let raw = b"GET /a/b.txt?x=1 HTTP/1.1\r\nHost: h\r\nRange:  bytes=0-9 \r\n\r\nNEXT";
        let (req, len) = parse_request(raw).unwrap().unwrap();
        assert_eq!(
            (req.method, req.target, req.minor),
            ("GET", "/a/b.txt?x=1", 1)
        );
        assert_eq!(req.range, Some("bytes=0-9"));
        assert_eq!(&raw[len..], b"NEXT");
    }

    #[test]
    fn incomplete_head_asks_for_more() {
        assert_eq!(parse_request(b"GET / HTTP/1.1\r\nHost: h\r\n"), Ok(None));
        assert_eq!(parse_request(b""), Ok(None));
    }

    #[test]
    fn bare_lf_and_leading_empty_lines_are_accepted() {
        let (req, len) = parse_request(b"\r\nGET / HTTP/1.0\n\n").unwrap().unwrap();
        assert_eq!((req.minor, len), (0, 18));
        let (req, _) = parse_request(b"GET /x HTTP/1.1\nHost: h\n\n")
            .unwrap()
            .unwrap();
        assert_eq!(req.target, "/x");
    }

    #[test]
    fn absolute_form_targets_are_reduced_to_their_path() {
        let req = request("GET http://example.org/a?b HTTP/1.1\r\n\r\n");
        assert_eq!(req.target, "/a?b");
        assert_eq!(
            request("GET HTTP://h HTTP/1.1\r\nHost: h\r\n\r\n").target,
            "/"
        );
    }

    /// Each head is refused with 400.
    fn assert_bad_requests(heads: &[&[u8]]) {
        for raw in heads {
            let err = parse_request(raw).unwrap_err();
            assert_eq!(err.status(), 400, "{:?}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn smuggling_and_missing_host_are_refused() {
        assert_bad_requests(&[
            &b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 2\r\n\r\n",
            b"GET / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        ]);
        // Equal duplicates are one length (RFC 9110 §8.6); HTTP/1.0 needs no Host.
        let req =
            request("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n");
        assert!(!req.has_body);
        assert!(request("GET / HTTP/1.0\r\n\r\n").method == "GET");
    }

    #[test]
    fn malformed_heads_are_refused() {
        assert_bad_requests(&[
            &b"GET /\r\n\r\n"[..],
            b"GET / HTTP/1.1 x\r\n\r\n",
            b"G(T / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nNoColon\r\n\r\n",
            b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
            b"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
        ]);
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
        let mut many = String::from("GET / HTTP/1.1\r\nHost: h\r\n");
        for i in 0..MAX_HEADERS {
            many.push_str(&format!("X{i}: y\r\n"));
        }
        many.push_str("\r\n");
        assert_eq!(parse_request(many.as_bytes()), Err(HeadError::TooLarge));
    }

    #[test]
    fn keep_alive_follows_the_version_and_connection_header() {
        assert!(request("GET / HTTP/1.1\r\nHost: h\r\n\r\n").keep_alive);
        assert!(!request("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").keep_alive);
        assert!(!request("GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(request("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
        assert!(
            !request("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade, close\r\n\r\n").keep_alive
        );
    }

    #[test]
    fn ranges_are_interpreted_per_rfc_9110() {
        use RangeReply::*;
        let r = |h: &str, len| parse_range(Some(h), len, 4);
        let p = |start, end| Partial(vec![(start, end)]);
        assert_eq!(parse_range(None, 100, 4), Full);
        assert_eq!(r("bytes=0-9", 100), p(0, 9));
        assert_eq!(r("bytes=10-", 100), p(10, 99));
        assert_eq!(r("bytes=90-500", 100), p(90, 99));
        assert_eq!(r("bytes=-30", 100), p(70, 99));
        assert_eq!(r("bytes=-300", 100), p(0, 99));
        assert_eq!(r("BYTES=5-5", 100), p(5, 5));
        assert_eq!(r("bytes=100-", 100), Unsatisfiable);
        assert_eq!(r("bytes=-0", 100), Unsatisfiable);
        assert_eq!(r("bytes=0-0", 0), Unsatisfiable);
        assert_eq!(r("bytes=-5", 0), Full);
        assert_eq!(r("bytes=99999999999999999999999-", 100), Unsatisfiable);
        assert_eq!(
            r("bytes=0-1, 5-9,200-300", 100),
            Partial(vec![(0, 1), (5, 9)])
        );
        // Ignored: invalid, other units, more ranges than allowed.
        assert_eq!(r("Bytes = 5 - 5", 100), Full);
        assert_eq!(r("bytes=9-1", 100), Full);
        assert_eq!(r("bytes=0-1,a-b", 100), Full);
        assert_eq!(r("bytes=1", 100), Full);
        assert_eq!(r("items=0-1", 100), Full);
        assert_eq!(r("bytes=0-0,1-1,2-2,3-3,4-4", 100), Full);
    }

    #[test]
    fn target_paths_stay_under_the_root_and_hide_dotfiles() {
        assert_eq!(
            target_path("/a/./b%20c.txt?q=/../x", false),
            Ok(PathBuf::from("./a/b c.txt"))
        );
        assert_eq!(target_path("/", false), Ok(PathBuf::from(".")));
        assert_eq!(
            target_path("//etc/passwd", false),
            Ok(PathBuf::from("./etc/passwd"))
        );
        for evil in [
            "/../etc/passwd",
            "/a/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc%2Fpasswd",
            "/a/..",
        ] {
            assert_eq!(target_path(evil, true), Err(PathError::Traversal), "{evil}");
        }
        for bad in ["etc/passwd", "/a%00b", "/a%zz", "/a%2", "*"] {
            assert_eq!(target_path(bad, false), Err(PathError::BadTarget), "{bad}");
        }
        assert_eq!(target_path("/.git/config", false), Err(PathError::Hidden));
        assert_eq!(target_path("/a/%2eenv", false), Err(PathError::Hidden));
        assert_eq!(
            target_path("/.well-known/x", true),
            Ok(PathBuf::from("./.well-known/x"))
        );
    }

    fn reply(raw: &str, file: Validators) -> (u16, Plan, String) {
        let mut head = String::new();
        let (status, plan) = file_reply(&mut head, &request(raw), Path::new("f.txt"), file, 4);
        (status, plan, head)
    }

    #[test]
    fn file_replies_carry_validators_and_ranges() {
        let file = Validators {
            mtime: 1_700_000_000,
            len: 100,
        };
        let (status, plan, head) = reply("GET /f HTTP/1.1\r\nHost: h\r\n\r\n", file);
        assert_eq!(
            (status, plan),
            (
                200,
                Plan::Body {
                    offset: 0,
                    len: 100
                }
            )
        );
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"));
        for field in [
            "\r\nContent-Length: 100\r\n",
            "\r\nContent-Type: text/plain; charset=utf-8\r\n",
            "\r\nLast-Modified: Tue, 14 Nov 2023 22:13:20 GMT\r\n",
            "\r\nETag: \"6553f100-64\"\r\n",
            "\r\nDate: ",
        ] {
            assert!(head.contains(field), "{field} in {head}");
        }
        assert!(head.ends_with("\r\n\r\n"));

        let (status, plan, head) = reply(
            "GET /f HTTP/1.1\r\nHost: h\r\nRange: bytes=10-19\r\n\r\n",
            file,
        );
        assert_eq!(
            (status, plan),
            (
                206,
                Plan::Body {
                    offset: 10,
                    len: 10
                }
            )
        );
        assert!(head.contains("\r\nContent-Range: bytes 10-19/100\r\n"));

        let (status, plan, head) = reply(
            "HEAD /f HTTP/1.1\r\nHost: h\r\nRange: bytes=100-\r\n\r\n",
            file,
        );
        assert_eq!((status, plan), (416, Plan::HeadOnly));
        assert!(head.contains("\r\nContent-Range: bytes */100\r\n"));
    }

    #[test]
    fn conditional_requests_get_304_or_the_range() {
        let file = Validators {
            mtime: 1_700_000_000,
            len: 100,
        };
        let etag = file.etag();
        let lm = "Tue, 14 Nov 2023 22:13:20 GMT";
        let get =
            |extra: &str| reply(&format!("GET /f HTTP/1.1\r\nHost: h\r\n{extra}\r\n"), file).0;
        assert_eq!(get(&format!("If-None-Match: \"x\", {etag}\r\n")), 304);
        assert_eq!(get(&format!("If-None-Match: W/{etag}\r\n")), 304);
        assert_eq!(get("If-None-Match: *\r\n"), 304);
        assert_eq!(get("If-None-Match: \"other\"\r\n"), 200);
        assert_eq!(get(&format!("If-Modified-Since: {lm}\r\n")), 304);
        assert_eq!(
            get("If-Modified-Since: Tue, 14 Nov 2023 22:13:19 GMT\r\n"),
            200
        );
        // If-None-Match wins over If-Modified-Since.
        assert_eq!(
            get(&format!(
                "If-None-Match: \"other\"\r\nIf-Modified-Since: {lm}\r\n"
            )),
            200
        );
        let range = "Range: bytes=0-0\r\n";
        assert_eq!(get(&format!("{range}If-Range: {etag}\r\n")), 206);
        assert_eq!(get(&format!("{range}If-Range: {lm}\r\n")), 206);
        assert_eq!(get(&format!("{range}If-Range: \"stale\"\r\n")), 200);
        assert_eq!(get(&format!("{range}If-Range: W/{etag}\r\n")), 200);
    }

    #[test]
    fn multipart_length_is_the_sum_of_its_parts() {
        let file = Validators { mtime: 1, len: 100 };
        let (status, plan, head) = reply(
            "GET /f HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1,5-9\r\n\r\n",
            file,
        );
        assert_eq!(status, 206);
        let Plan::Multipart {
            ranges,
            boundary,
            content_type,
        } = plan
        else {
            panic!("{plan:?}");
        };
        let mut body = String::new();
        let mut scratch = String::new();
        for (start, end) in ranges {
            body.push_str(part_head(
                &mut scratch,
                &boundary,
                &content_type,
                start,
                end,
                100,
            ));
            body.push_str(&"x".repeat((end - start + 1) as usize));
        }
        body.push_str(multipart_end(&mut scratch, &boundary));
        assert!(head.contains(&format!("\r\nContent-Length: {}\r\n", body.len())));
        assert!(head.contains(&format!("multipart/byteranges; boundary={boundary}\r\n")));
    }

    #[test]
    fn error_replies_have_matching_lengths() {
        let mut out = String::new();
        error_reply(&mut out, 405, true, None);
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
        assert!(head.contains("\r\nAllow: GET, HEAD"));
        assert!(head.contains(&format!("\r\nContent-Length: {}", body.len())));
        error_reply(&mut out, 301, true, Some("/d/"));
        assert!(out.contains("\r\nLocation: /d/\r\n"));
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
