//! The HTTP/1.1 request head of the example servers: parsed by `httparse` (the parser hyper
//! uses), with the checks a server of its own owes its connections (sizes, smuggling,
//! `Host`, keep-alive). What a file's answer is, is `zc_http`'s: the fields it reads are
//! handed to a [`zc_http::Request`].
//!
//! Pure (no I/O); `file_server.rs` does the I/O.

/// The largest request head accepted (request line and headers): 431 beyond.
pub const MAX_HEAD: usize = 16 << 10;

/// The most header fields accepted in one request: 431 beyond.
pub const MAX_HEADERS: usize = 100;

/// A parsed request head; the strings borrow the connection's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// The method, the target (an absolute-form target reduced to its path and query) and
    /// the fields a file's answer depends on.
    pub http: zc_http::Request<'a>,
    /// The minor version: `0` for HTTP/1.0, `1` for HTTP/1.1.
    pub minor: u8,
    /// Whether the connection stays open after the response: HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    pub keep_alive: bool,
    /// Whether the request carries a body (which these servers do not read).
    pub has_body: bool,
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
        http: zc_http::Request::new(method, target),
        minor,
        keep_alive: minor >= 1,
        has_body: false,
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
            } else {
                request.http.set_header(name, value);
            }
        }
    }
    if chunked && length.is_some() {
        return Err(HeadError::Malformed(
            "Transfer-Encoding and Content-Length together",
        ));
    }
    // Absolute form (`GET http://host/path HTTP/1.1`): the authority stands for `Host`.
    let absolute = !target.starts_with('/');
    let scheme = absolute.then(|| target.find("://")).flatten().filter(|&i| {
        target[..i].eq_ignore_ascii_case("http") || target[..i].eq_ignore_ascii_case("https")
    });
    if let Some(i) = scheme {
        let rest = &target[i + 3..];
        request.http.target = rest.find('/').map_or("/", |slash| &rest[slash..]);
        hosts = hosts.max(1);
    }
    if hosts > 1 || (minor >= 1 && hosts == 0) {
        return Err(HeadError::Malformed("HTTP/1.1 needs exactly one Host"));
    }
    request.has_body = chunked || length.is_some_and(|n| n > 0);
    request.keep_alive = !close && (minor >= 1 || keep);
    Ok(Some((request, head_len)))
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
            (req.http.method, req.http.target, req.minor),
            ("GET", "/a/b.txt?x=1", 1)
        );
        assert_eq!(req.http.range, Some("bytes=0-9"));
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
        assert_eq!(req.http.target, "/x");
    }

    #[test]
    fn absolute_form_targets_are_reduced_to_their_path() {
        let req = request("GET http://example.org/a?b HTTP/1.1\r\n\r\n");
        assert_eq!(req.http.target, "/a?b");
        assert_eq!(
            request("GET HTTP://h HTTP/1.1\r\nHost: h\r\n\r\n")
                .http
                .target,
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
        assert!(request("GET / HTTP/1.0\r\n\r\n").http.method == "GET");
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
}
