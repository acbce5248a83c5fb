//! What the decision reads of a request: its method, its target, and the few header fields
//! that change a file's answer, borrowed from wherever the request was parsed.

use http::header::{self, HeaderMap, HeaderName};

/// The parts of a request that decide a file's response, borrowed from the request.
///
/// Fill it from any parser: from an `http::request::Parts` with
/// [`from_parts`](Request::from_parts) (hyper, axum), from a method, target and
/// [`HeaderMap`] with [`from_headers`](Request::from_headers), or field by field from
/// `httparse` headers with [`set_header`](Request::set_header). A header field that appears
/// more than once counts by its first line (as `HeaderMap::get` and Go's `Header.Get`); a
/// value that is not UTF-8 counts as absent.
///
/// # Examples
///
/// ```
/// let mut request = zc_http::Request::new("GET", "/docs/a.txt?x=1");
/// for (name, value) in [("Host", "example.org"), ("range", "bytes=0-99")] {
///     request.set_header(name, value);
/// }
/// assert_eq!(request.range, Some("bytes=0-99"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request<'a> {
    /// `GET`, `HEAD`, ... (case-sensitive, as HTTP says).
    pub method: &'a str,
    /// The target's path and query in origin form (`/a/b.txt?x=1`), percent-encoded as sent.
    pub target: &'a str,
    /// `Range`.
    pub range: Option<&'a str>,
    /// `If-Match`.
    pub if_match: Option<&'a str>,
    /// `If-Unmodified-Since`.
    pub if_unmodified_since: Option<&'a str>,
    /// `If-None-Match`.
    pub if_none_match: Option<&'a str>,
    /// `If-Modified-Since`.
    pub if_modified_since: Option<&'a str>,
    /// `If-Range`.
    pub if_range: Option<&'a str>,
    /// `Accept-Encoding`.
    pub accept_encoding: Option<&'a str>,
}

/// The fields [`Request`] keeps, by name.
const FIELDS: [HeaderName; 7] = [
    header::RANGE,
    header::IF_MATCH,
    header::IF_UNMODIFIED_SINCE,
    header::IF_NONE_MATCH,
    header::IF_MODIFIED_SINCE,
    header::IF_RANGE,
    header::ACCEPT_ENCODING,
];

impl<'a> Request<'a> {
    /// A request for `target` by `method`, without any header field.
    pub fn new(method: &'a str, target: &'a str) -> Request<'a> {
        Request {
            method,
            target,
            range: None,
            if_match: None,
            if_unmodified_since: None,
            if_none_match: None,
            if_modified_since: None,
            if_range: None,
            accept_encoding: None,
        }
    }

    /// A request from its method, target and header map (the target as
    /// `uri.path_and_query()` gives it).
    pub fn from_headers(method: &'a str, target: &'a str, headers: &'a HeaderMap) -> Request<'a> {
        let mut request = Request::new(method, target);
        for name in &FIELDS {
            if let Some(value) = headers.get(name).and_then(|v| v.to_str().ok()) {
                *request.field(name.as_str()).expect("a kept field") = Some(value);
            }
        }
        request
    }

    /// A request from an `http::Request`'s parts (hyper's, axum's). An absolute-form target
    /// counts by its path and query.
    ///
    /// # Examples
    ///
    /// ```
    /// let (parts, ()) = http::Request::get("http://example.org/a.txt?v=2")
    ///     .header("If-None-Match", "\"abc\"")
    ///     .body(())
    ///     .unwrap()
    ///     .into_parts();
    /// let request = zc_http::Request::from_parts(&parts);
    /// assert_eq!((request.method, request.target), ("GET", "/a.txt?v=2"));
    /// assert_eq!(request.if_none_match, Some("\"abc\""));
    /// ```
    pub fn from_parts(parts: &'a http::request::Parts) -> Request<'a> {
        let target = parts
            .uri
            .path_and_query()
            .map_or("/", |path_and_query| path_and_query.as_str());
        Request::from_headers(parts.method.as_str(), target, &parts.headers)
    }

    /// Keeps `value` if `name` (any case) is one of the fields this type holds and the field
    /// is not set yet; returns whether it was kept.
    pub fn set_header(&mut self, name: &str, value: &'a str) -> bool {
        match self.field(name) {
            Some(slot @ None) => {
                *slot = Some(value);
                true
            }
            _ => false,
        }
    }

    fn field(&mut self, name: &str) -> Option<&mut Option<&'a str>> {
        let is = |field: &HeaderName| name.eq_ignore_ascii_case(field.as_str());
        let slot = match FIELDS.iter().position(is)? {
            0 => &mut self.range,
            1 => &mut self.if_match,
            2 => &mut self.if_unmodified_since,
            3 => &mut self.if_none_match,
            4 => &mut self.if_modified_since,
            5 => &mut self.if_range,
            _ => &mut self.accept_encoding,
        };
        Some(slot)
    }

    /// Whether the method is `HEAD`: the response has no body.
    pub fn is_head(&self) -> bool {
        self.method == "HEAD"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_header_keeps_the_first_line_of_a_known_field_in_any_case() {
        let mut request = Request::new("GET", "/");
        assert!(request.set_header("IF-NONE-MATCH", "\"a\""));
        assert!(!request.set_header("if-none-match", "\"b\""));
        assert!(!request.set_header("Host", "h"));
        assert!(request.set_header("accept-encoding", "br"));
        assert_eq!(request.if_none_match, Some("\"a\""));
        assert_eq!(request.accept_encoding, Some("br"));
    }

    #[test]
    fn from_headers_takes_every_field_and_skips_non_utf8_values() {
        let mut headers = HeaderMap::new();
        let values = [
            "bytes=0-1",
            "\"m\"",
            "Tue, 14 Nov 2023 22:13:20 GMT",
            "\"n\"",
            "Tue, 14 Nov 2023 22:13:21 GMT",
            "\"r\"",
            "gzip",
        ];
        for (name, value) in FIELDS.iter().zip(values) {
            headers.insert(name, value.parse().unwrap());
        }
        let request = Request::from_headers("HEAD", "/x", &headers);
        let got = [
            request.range,
            request.if_match,
            request.if_unmodified_since,
            request.if_none_match,
            request.if_modified_since,
            request.if_range,
            request.accept_encoding,
        ];
        assert_eq!(got, values.map(Some));
        assert!(request.is_head());

        headers.insert(
            header::RANGE,
            http::HeaderValue::from_bytes(b"bytes=\xff").unwrap(),
        );
        assert_eq!(Request::from_headers("GET", "/", &headers).range, None);
    }
}
