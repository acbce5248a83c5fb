//! The decision: from a [`Request`] and an [`Entity`] (an opened file's metadata), the
//! response's status, header fields and [`Body`] plan. Pure: no I/O, no clock.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use http::header::{self, HeaderName, HeaderValue};
use http::StatusCode;

use crate::conditional::{self, Outcome, Validators};
use crate::encoding::Encoding;
use crate::range::{self, Ranges};
use crate::request::Request;

/// What the decision needs of the representation served: an opened file's length, its
/// validators, the `Content-Type` of the name asked for, and the content coding of the file
/// actually opened (a precompressed sibling's).
///
/// [`Root::resolve`](crate::Root::resolve) makes it; make one yourself to answer for a file
/// you opened (Go's `ServeContent`), and change what you need: your own entity tag (strong
/// or weak), no modification time (`None`: no `Last-Modified`, and the date preconditions
/// are ignored, as Go does for a zero time), another `Content-Type`.
///
/// # Examples
///
/// ```
/// use zc_http::{content_type, Entity};
/// let mut entity = Entity::new(1000, 1_700_000_000, content_type("a.css".as_ref()));
/// assert_eq!(entity.etag.as_ref().unwrap(), "\"6553f100-3e8\"");
/// assert_eq!(entity.content_type, "text/css; charset=utf-8");
/// entity.etag = Some(http::HeaderValue::from_static("W/\"v2\""));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Entity {
    /// Length in bytes of the file sent.
    pub len: u64,
    /// Modification time of the file sent, in whole seconds since the Unix epoch (HTTP dates
    /// have one-second precision); `None` when unknown.
    pub mtime: Option<u64>,
    /// The entity tag (`"..."` or `W/"..."`), `None` for none. [`Entity::new`] makes
    /// nginx's: `"<mtime hex>-<length hex>"`, strong; a precompressed sibling has its own
    /// length and time, so its own tag.
    pub etag: Option<HeaderValue>,
    /// `Content-Type`: of the name asked for, also when a precompressed sibling is sent.
    pub content_type: HeaderValue,
    /// The content coding of the file sent: [`Encoding::Identity`] for the file itself.
    pub encoding: Encoding,
    /// Whether the response carries `Vary: Accept-Encoding` (the answer depends on it).
    pub vary: bool,
}

impl Entity {
    /// A file of `len` bytes modified at `mtime` (seconds since the epoch), with nginx's
    /// entity tag, sent as itself (no content coding, no `Vary`).
    pub fn new(len: u64, mtime: u64, content_type: HeaderValue) -> Entity {
        Entity {
            len,
            mtime: Some(mtime),
            etag: Some(value(format_args!("\"{mtime:x}-{len:x}\""))),
            content_type,
            encoding: Encoding::Identity,
            vary: false,
        }
    }

    /// An opened file's entity from its metadata: its length and modification time (a time
    /// before the epoch counts as the epoch).
    pub fn from_metadata(metadata: &std::fs::Metadata, content_type: HeaderValue) -> Entity {
        let mtime = metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        Entity::new(metadata.len(), mtime, content_type)
    }

    /// `Last-Modified`: the modification time as an HTTP date, if known.
    pub fn last_modified(&self) -> Option<String> {
        let mtime = self.mtime?;
        Some(httpdate::fmt_http_date(
            UNIX_EPOCH + Duration::from_secs(mtime),
        ))
    }
}

/// The decision's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The most ranges answered in one request (nginx's `max_ranges`): a set with more
    /// satisfiable ranges is answered 200 with the whole file. 0 turns ranges off (no
    /// `Accept-Ranges` either). Default 16.
    pub max_ranges: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options { max_ranges: 16 }
    }
}

impl Options {
    /// Sets [`max_ranges`](Options::max_ranges).
    pub fn max_ranges(mut self, max_ranges: usize) -> Options {
        self.max_ranges = max_ranges;
        self
    }
}

/// What follows a response's head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Nothing: `HEAD`, 304, an empty file.
    Empty,
    /// A short text (the body of an error or a redirect).
    Text(Cow<'static, str>),
    /// Bytes `offset..offset + len` of the file: the whole file (200) or one range (206).
    File {
        /// Where the bytes start in the file.
        offset: u64,
        /// How many bytes.
        len: u64,
    },
    /// A `multipart/byteranges` body (206 with several ranges).
    Multipart(Multipart),
}

impl Body {
    /// The body's length in bytes: its `Content-Length`.
    pub fn len(&self) -> u64 {
        match self {
            Body::Empty => 0,
            Body::Text(text) => text.len() as u64,
            Body::File { len, .. } => *len,
            Body::Multipart(multipart) => multipart.len(),
        }
    }

    /// Whether the body has no byte.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the body reads the file (a [`File`](Body::File) or a
    /// [`Multipart`](Body::Multipart) body).
    pub fn reads_file(&self) -> bool {
        matches!(self, Body::File { .. } | Body::Multipart(_))
    }
}

/// A `multipart/byteranges` body: each part's head and file range, then the closing
/// delimiter (RFC 9110 §14.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multipart {
    /// The boundary, as in the response's `Content-Type`.
    pub boundary: String,
    /// The parts, in the order the ranges were asked.
    pub parts: Vec<Part>,
    /// The closing delimiter, sent after the last part.
    pub end: String,
}

impl Multipart {
    /// The body's length: every part head, range and the closing delimiter.
    pub fn len(&self) -> u64 {
        let parts: u64 = self.parts.iter().map(|p| p.head.len() as u64 + p.len).sum();
        parts + self.end.len() as u64
    }

    /// Whether the body has no byte (never: the closing delimiter is one).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One part of a [`Multipart`] body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The part's delimiter and header fields (`Content-Type`, `Content-Range`), sent
    /// before its bytes.
    pub head: String,
    /// Where the part's bytes start in the file.
    pub offset: u64,
    /// How many bytes.
    pub len: u64,
}

/// A response: status, header fields, body plan.
///
/// The fields are the representation's; the connection's (`Date`, `Connection`, `Server`)
/// are the server's to add: [`write_head`](crate::write_head) adds `Date` for an HTTP/1.1
/// server of its own, hyper adds it itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status.
    pub status: StatusCode,
    /// The header fields, in the order they are sent.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// What follows the head.
    pub body: Body,
}

impl Response {
    /// The value of the first field named `name`.
    pub fn header(&self, name: &HeaderName) -> Option<&HeaderValue> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// An error (4xx, 5xx) answer: a short plain-text body saying the status (none for
    /// `HEAD`), and `Allow: GET, HEAD` with a 405.
    ///
    /// # Examples
    ///
    /// ```
    /// use http::StatusCode;
    /// let response = zc_http::Response::error(StatusCode::NOT_FOUND, false);
    /// assert_eq!(response.body, zc_http::Body::Text("404 Not Found\n".into()));
    /// assert_eq!(response.header(&http::header::CONTENT_LENGTH).unwrap(), "14");
    /// ```
    pub fn error(status: StatusCode, head: bool) -> Response {
        let mut response = text_response(status, head);
        if status == StatusCode::METHOD_NOT_ALLOWED {
            let allow = HeaderValue::from_static("GET, HEAD");
            response.headers.push((header::ALLOW, allow));
        }
        response
    }

    /// A 301 to `location` (a directory asked for without its slash), with a short text body
    /// (none for `HEAD`); a 400 if `location` cannot be a header value.
    pub fn redirect(location: &str, head: bool) -> Response {
        let Ok(location) = HeaderValue::try_from(location) else {
            return Response::error(StatusCode::BAD_REQUEST, head);
        };
        let mut response = text_response(StatusCode::MOVED_PERMANENTLY, head);
        response.headers.push((header::LOCATION, location));
        response
    }
}

/// The text body of a status: `"404 Not Found\n"`.
fn status_text(status: StatusCode) -> Cow<'static, str> {
    let text = match status.as_u16() {
        301 => "301 Moved Permanently\n",
        400 => "400 Bad Request\n",
        403 => "403 Forbidden\n",
        404 => "404 Not Found\n",
        405 => "405 Method Not Allowed\n",
        408 => "408 Request Timeout\n",
        412 => "412 Precondition Failed\n",
        416 => "416 Range Not Satisfiable\n",
        431 => "431 Request Header Fields Too Large\n",
        500 => "500 Internal Server Error\n",
        505 => "505 HTTP Version Not Supported\n",
        _ => {
            let reason = status.canonical_reason().unwrap_or("Unknown");
            return format!("{} {reason}\n", status.as_u16()).into();
        }
    };
    text.into()
}

fn text_response(status: StatusCode, head: bool) -> Response {
    let text = status_text(status);
    let headers = vec![
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        ),
        (header::CONTENT_LENGTH, HeaderValue::from(text.len())),
    ];
    let body = if head { Body::Empty } else { Body::Text(text) };
    Response {
        status,
        headers,
        body,
    }
}

/// The `Content-Type` for a file name's extension (`mime_guess`'s table), text as UTF-8;
/// `application/octet-stream` when the extension says nothing.
///
/// # Examples
///
/// ```
/// assert_eq!(zc_http::content_type("a/INDEX.HTML".as_ref()), "text/html; charset=utf-8");
/// assert_eq!(zc_http::content_type("noext".as_ref()), "application/octet-stream");
/// ```
pub fn content_type(path: &Path) -> HeaderValue {
    use std::os::unix::ffi::OsStrExt;
    thread_local! {
        /// The last extensions looked up (the table's binary search, case-insensitive, is
        /// the dearest step of a small file's answer in user space).
        static RECENT: std::cell::RefCell<Vec<(Vec<u8>, HeaderValue)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    const RECENT_MAX: usize = 16;
    let extension = path.extension().map_or(&b""[..], |e| e.as_bytes());
    let hit = RECENT.with(|recent| {
        let recent = recent.borrow();
        let found = recent.iter().find(|(e, _)| e == extension);
        found.map(|(_, value)| value.clone())
    });
    if let Some(value) = hit {
        return value;
    }
    let value = guess_content_type(path);
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        if recent.len() == RECENT_MAX {
            recent.remove(0);
        }
        recent.push((extension.to_vec(), value.clone()));
    });
    value
}

fn guess_content_type(path: &Path) -> HeaderValue {
    let Some(mime) = mime_guess::from_path(path).first_raw() else {
        return HeaderValue::from_static("application/octet-stream");
    };
    match mime {
        // The common text types without an allocation.
        "text/html" => HeaderValue::from_static("text/html; charset=utf-8"),
        "text/css" => HeaderValue::from_static("text/css; charset=utf-8"),
        "text/plain" => HeaderValue::from_static("text/plain; charset=utf-8"),
        "text/javascript" => HeaderValue::from_static("text/javascript; charset=utf-8"),
        text if text.starts_with("text/") => value(format_args!("{text}; charset=utf-8")),
        other => HeaderValue::from_static(other),
    }
}

/// A header value made of ASCII this crate formats (digits, hex, HTTP dates, MIME types):
/// never a control character, so never refused. Formatted on the stack and copied once: one
/// allocation per value, on the path of every request.
fn value(args: std::fmt::Arguments<'_>) -> HeaderValue {
    struct Stack {
        buf: [u8; 96],
        len: usize,
    }
    impl std::fmt::Write for Stack {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            let end = self.len + s.len();
            let slot = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
            slot.copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }
    let mut stack = Stack {
        buf: [0; 96],
        len: 0,
    };
    let bytes = match stack.write_fmt(args) {
        Ok(()) => HeaderValue::from_bytes(&stack.buf[..stack.len]),
        Err(_) => HeaderValue::try_from(args.to_string()),
    };
    bytes.expect("a header value of visible ASCII")
}

/// Makes every multipart boundary of the process different (nginx's counter).
static BOUNDARY: AtomicU64 = AtomicU64::new(0);

/// Decides the response to `request` for the file described by `entity`: Go's
/// `ServeContent` and nginx's static module, with the choices of [the crate
/// docs](crate#semantics).
///
/// In order: a method other than `GET` or `HEAD` is 405; the preconditions (RFC 9110
/// §13.2.2) may answer 412 or 304; `Range` (unless `If-Range` fails) may answer 206 with one
/// range or a `multipart/byteranges` body, or 416; anything else is 200 with the whole file.
/// `HEAD` gets the head of the `GET` and an [empty](Body::Empty) body.
///
/// # Examples
///
/// ```
/// use zc_http::{content_type, respond, Body, Entity, Options, Request};
/// let entity = Entity::new(1000, 1_700_000_000, content_type("a.txt".as_ref()));
/// let mut request = Request::new("GET", "/a.txt");
/// request.range = Some("bytes=-10");
/// let response = respond(&request, &entity, &Options::default());
/// assert_eq!(response.status, 206);
/// assert_eq!(response.body, Body::File { offset: 990, len: 10 });
/// let range = response.header(&http::header::CONTENT_RANGE).unwrap();
/// assert_eq!(range, "bytes 990-999/1000");
///
/// request.if_none_match = Some("\"6553f100-3e8\"");
/// assert_eq!(respond(&request, &entity, &Options::default()).status, 304);
/// ```
pub fn respond(request: &Request<'_>, entity: &Entity, options: &Options) -> Response {
    let head = request.is_head();
    if !matches!(request.method, "GET" | "HEAD") {
        return Response::error(StatusCode::METHOD_NOT_ALLOWED, false);
    }
    let validators = Validators {
        etag: entity.etag.as_ref().and_then(|tag| tag.to_str().ok()),
        mtime: entity.mtime,
    };
    let range = match conditional::evaluate(request, &validators) {
        Outcome::Failed => {
            let mut response = Response::error(StatusCode::PRECONDITION_FAILED, head);
            push_vary(&mut response.headers, entity);
            return response;
        }
        Outcome::NotModified => {
            // RFC 9110 §15.4.5: the validators and Vary a 200 would carry, no content fields.
            let mut headers = Vec::with_capacity(3);
            push_validators(&mut headers, entity);
            push_vary(&mut headers, entity);
            return Response {
                status: StatusCode::NOT_MODIFIED,
                headers,
                body: Body::Empty,
            };
        }
        Outcome::Proceed { range: true } => request.range,
        Outcome::Proceed { range: false } => None,
    };
    let ranges = range.map_or(Ranges::Whole, |h| {
        range::parse(h, entity.len, options.max_ranges)
    });
    let mut headers = Vec::with_capacity(9);
    let (status, body) = match ranges {
        Ranges::Unsatisfiable => {
            let mut response = Response::error(StatusCode::RANGE_NOT_SATISFIABLE, head);
            let all = value(format_args!("bytes */{}", entity.len));
            response.headers.push((header::CONTENT_RANGE, all));
            push_vary(&mut response.headers, entity);
            return response;
        }
        Ranges::Whole => {
            headers.push((header::CONTENT_TYPE, entity.content_type.clone()));
            headers.push((header::CONTENT_LENGTH, HeaderValue::from(entity.len)));
            let body = Body::File {
                offset: 0,
                len: entity.len,
            };
            (StatusCode::OK, body)
        }
        Ranges::Partial(ranges) if ranges.len() == 1 => {
            let (offset, len) = ranges[0];
            headers.push((header::CONTENT_TYPE, entity.content_type.clone()));
            headers.push((header::CONTENT_LENGTH, HeaderValue::from(len)));
            let range = value(format_args!("{}", ContentRange(offset, len, entity.len)));
            headers.push((header::CONTENT_RANGE, range));
            (StatusCode::PARTIAL_CONTENT, Body::File { offset, len })
        }
        Ranges::Partial(ranges) => {
            let multipart = multipart(&ranges, entity);
            let boundary = &multipart.boundary;
            let content_type = value(format_args!("multipart/byteranges; boundary={boundary}"));
            headers.push((header::CONTENT_TYPE, content_type));
            headers.push((header::CONTENT_LENGTH, HeaderValue::from(multipart.len())));
            (StatusCode::PARTIAL_CONTENT, Body::Multipart(multipart))
        }
    };
    push_validators(&mut headers, entity);
    if options.max_ranges > 0 {
        headers.push((header::ACCEPT_RANGES, HeaderValue::from_static("bytes")));
    }
    if let Some(coding) = entity.encoding.content_coding() {
        headers.push((header::CONTENT_ENCODING, HeaderValue::from_static(coding)));
    }
    push_vary(&mut headers, entity);
    let body = if head || body.is_empty() {
        Body::Empty
    } else {
        body
    };
    Response {
        status,
        headers,
        body,
    }
}

fn push_validators(headers: &mut Vec<(HeaderName, HeaderValue)>, entity: &Entity) {
    if let Some(mtime) = entity.mtime {
        let date = httpdate::HttpDate::from(UNIX_EPOCH + Duration::from_secs(mtime));
        headers.push((header::LAST_MODIFIED, value(format_args!("{date}"))));
    }
    if let Some(etag) = &entity.etag {
        headers.push((header::ETAG, etag.clone()));
    }
}

fn push_vary(headers: &mut Vec<(HeaderName, HeaderValue)>, entity: &Entity) {
    if entity.vary {
        let value = HeaderValue::from_static("Accept-Encoding");
        headers.push((header::VARY, value));
    }
}

/// `Content-Range` of `len` bytes at `offset` of `total`: `bytes 0-4/8`.
struct ContentRange(u64, u64, u64);

impl std::fmt::Display for ContentRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ContentRange(offset, len, total) = *self;
        write!(f, "bytes {offset}-{}/{total}", offset + len - 1)
    }
}

/// The parts of a `multipart/byteranges` body of `ranges` (nginx's layout: each part head
/// starts with CRLF, the closing delimiter ends with one).
fn multipart(ranges: &[(u64, u64)], entity: &Entity) -> Multipart {
    let n = BOUNDARY.fetch_add(1, Ordering::Relaxed);
    let seed = entity.mtime.unwrap_or(0) ^ entity.len.rotate_left(32);
    let boundary = format!("{seed:016x}{n:08x}");
    let content_type = entity
        .content_type
        .to_str()
        .unwrap_or("application/octet-stream");
    let parts = ranges
        .iter()
        .map(|&(offset, len)| {
            let mut head = String::with_capacity(96 + content_type.len());
            let _ = write!(
                head,
                "\r\n--{boundary}\r\nContent-Type: {content_type}\r\nContent-Range: {}\r\n\r\n",
                ContentRange(offset, len, entity.len)
            );
            Part { head, offset, len }
        })
        .collect();
    let end = format!("\r\n--{boundary}--\r\n");
    Multipart {
        boundary,
        parts,
        end,
    }
}
