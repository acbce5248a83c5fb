//! An HTTP/1.1 response head, for servers that write their own (hyper writes its own).

use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use http::header::{HeaderName, HeaderValue};
use http::StatusCode;

/// `content-type` as `Content-Type`, `etag` as `ETag`: the spelling of RFC 9110 and nginx
/// (field names are case-insensitive; this is for people reading the head).
fn push_name(out: &mut Vec<u8>, name: &HeaderName) {
    let name = name.as_str();
    let known: &[u8] = match name {
        "content-type" => b"Content-Type",
        "content-length" => b"Content-Length",
        "last-modified" => b"Last-Modified",
        "etag" => b"ETag",
        "accept-ranges" => b"Accept-Ranges",
        "content-range" => b"Content-Range",
        "content-encoding" => b"Content-Encoding",
        "vary" => b"Vary",
        _ => b"",
    };
    if !known.is_empty() {
        out.extend_from_slice(known);
        return;
    }
    let mut upper = true;
    for &b in name.as_bytes() {
        out.push(if upper { b.to_ascii_uppercase() } else { b });
        upper = b == b'-';
    }
}

thread_local! {
    /// The current second's HTTP date, formatted once per second per thread.
    static DATE: std::cell::RefCell<(u64, String)> = const { std::cell::RefCell::new((0, String::new())) };
}

/// Appends the current time as an HTTP date (`Tue, 14 Nov 2023 22:13:20 GMT`).
fn push_date(out: &mut Vec<u8>) {
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    DATE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.0 != secs || cache.1.is_empty() {
            *cache = (secs, httpdate::fmt_http_date(now));
        }
        out.extend_from_slice(cache.1.as_bytes());
    });
}

/// Appends an HTTP/1.1 response head to `out`: the status line, `Date` (now), `headers` in
/// their order, the raw lines of `extra` (each ending in CRLF: `Connection: close\r\n`, ...),
/// and the empty line that ends the head.
///
/// # Examples
///
/// ```
/// use http::{header, HeaderValue, StatusCode};
/// let mut head = Vec::new();
/// let fields = [(header::CONTENT_LENGTH, HeaderValue::from(5u64))];
/// zc_http::write_head(&mut head, StatusCode::OK, &fields, "Connection: close\r\n");
/// let head = String::from_utf8(head).unwrap();
/// assert!(head.starts_with("HTTP/1.1 200 OK\r\nDate: "));
/// assert!(head.ends_with("\r\nContent-Length: 5\r\nConnection: close\r\n\r\n"));
/// ```
pub fn write_head(
    out: &mut Vec<u8>,
    status: StatusCode,
    headers: &[(HeaderName, HeaderValue)],
    extra: &str,
) {
    let reason = status.canonical_reason().unwrap_or("Unknown");
    let _ = write!(out, "HTTP/1.1 {} {reason}\r\nDate: ", status.as_u16());
    push_date(out);
    out.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        push_name(out, name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(extra.as_bytes());
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header;

    #[test]
    fn names_are_written_in_their_usual_case() {
        let mut out = Vec::new();
        for name in [
            header::CONTENT_TYPE,
            header::ETAG,
            header::VARY,
            header::ACCEPT_RANGES,
        ] {
            push_name(&mut out, &name);
            out.push(b' ');
        }
        assert_eq!(out, b"Content-Type ETag Vary Accept-Ranges ");
    }

    #[test]
    fn the_status_line_has_the_reason_and_the_head_ends_once() {
        let mut out = Vec::new();
        write_head(&mut out, StatusCode::RANGE_NOT_SATISFIABLE, &[], "");
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 416 Range Not Satisfiable\r\nDate: "));
        assert!(text.ends_with(" GMT\r\n\r\n"), "{text}");
    }
}
