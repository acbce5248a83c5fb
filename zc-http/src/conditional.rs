//! Conditional requests (RFC 9110 §13): each precondition is a small function with a
//! three-way answer, and [`evaluate`] checks them in the RFC's order (§13.2.2), as Go's
//! `checkPreconditions` does.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::request::Request;

/// A precondition's answer: absent (or ignored), true, or false.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cond {
    None,
    True,
    False,
}

/// What the preconditions decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Go on: answer the request (with its `Range` if `range` holds).
    Proceed {
        /// Whether `Range` still applies (`If-Range` absent or holding).
        range: bool,
    },
    /// 304 Not Modified.
    NotModified,
    /// 412 Precondition Failed.
    Failed,
}

/// The validators of one representation: its entity tag (`"..."` or `W/"..."`) and its
/// modification time in whole seconds, each maybe unknown.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Validators<'a> {
    pub(crate) etag: Option<&'a str>,
    pub(crate) mtime: Option<u64>,
}

impl Validators<'_> {
    fn modified(&self) -> Option<SystemTime> {
        Some(UNIX_EPOCH + Duration::from_secs(self.mtime?))
    }

    /// Whether `tag` matches the current tag by `compare` (never without a current tag).
    fn tag_matches(&self, tag: &str, compare: fn(&str, &str) -> bool) -> bool {
        self.etag.is_some_and(|etag| compare(tag, etag))
    }
}

/// The first entity tag of `s` (after optional whitespace), `W/"..."` or `"..."`, and the
/// text after it; `None` if `s` does not start with one (RFC 9110 §8.8.3).
fn scan_etag(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start_matches([' ', '\t']);
    let start = if s.starts_with("W/") { 2 } else { 0 };
    let bytes = s.as_bytes();
    if bytes.get(start) != Some(&b'"') {
        return None;
    }
    for (i, &c) in bytes.iter().enumerate().skip(start + 1) {
        match c {
            b'"' => return Some((&s[..=i], &s[i + 1..])),
            0x21 | 0x23..=0x7e | 0x80..=0xff => {}
            _ => return None,
        }
    }
    None
}

/// Walks an `If-Match`/`If-None-Match` list: `Some(true)` at `*` or at a tag that `matches`,
/// `Some(false)` when none does; a malformed element ends the walk.
fn list_matches(list: &str, matches: impl Fn(&str) -> bool) -> bool {
    let mut rest = list;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return false;
        }
        if rest.starts_with('*') {
            return true;
        }
        let Some((tag, after)) = scan_etag(rest) else {
            return false;
        };
        if matches(tag) {
            return true;
        }
        rest = after;
    }
}

/// Strong comparison: both strong, same opaque tag (RFC 9110 §8.8.3.2).
fn strong_match(a: &str, b: &str) -> bool {
    a == b && a.starts_with('"')
}

/// Weak comparison: same opaque tag, either or both weak.
fn weak_match(a: &str, b: &str) -> bool {
    a.strip_prefix("W/").unwrap_or(a) == b.strip_prefix("W/").unwrap_or(b)
}

fn date(value: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(value.trim_matches([' ', '\t'])).ok()
}

fn if_match(header: Option<&str>, v: &Validators<'_>) -> Cond {
    match header {
        None => Cond::None,
        Some(list) if list_matches(list, |tag| v.tag_matches(tag, strong_match)) => Cond::True,
        Some(_) => Cond::False,
    }
}

fn if_unmodified_since(header: Option<&str>, v: &Validators<'_>) -> Cond {
    // Absent, not a date, or no time to compare: ignored (RFC 9110 §13.1.4).
    match (header.and_then(date), v.modified()) {
        (Some(since), Some(modified)) if modified <= since => Cond::True,
        (Some(_), Some(_)) => Cond::False,
        _ => Cond::None,
    }
}

/// `False` when a tag matches (weakly): the representation is one the client has.
fn if_none_match(header: Option<&str>, v: &Validators<'_>) -> Cond {
    match header {
        None => Cond::None,
        Some(list) if list_matches(list, |tag| v.tag_matches(tag, weak_match)) => Cond::False,
        Some(_) => Cond::True,
    }
}

/// `False` when not modified since the date (the date is at or after the modification time:
/// Go's rule, nginx's `if_modified_since before`).
fn if_modified_since(header: Option<&str>, v: &Validators<'_>) -> Cond {
    match (header.and_then(date), v.modified()) {
        (Some(since), Some(modified)) if modified <= since => Cond::False,
        (Some(_), Some(_)) => Cond::True,
        _ => Cond::None,
    }
}

/// `If-Range` holds: a strong tag equal to the current one, or a date equal to the
/// modification time (RFC 9110 §13.1.5). A weak tag, another tag, another date or a value
/// that is neither: the range is not served.
fn if_range(header: &str, v: &Validators<'_>) -> bool {
    if let Some((tag, _)) = scan_etag(header) {
        return v.tag_matches(tag, strong_match);
    }
    date(header).is_some_and(|date| Some(date) == v.modified())
}

/// The preconditions of `request` for a representation with validators `v`, in the order of
/// RFC 9110 §13.2.2: `If-Match` (or else `If-Unmodified-Since`), `If-None-Match` (or else
/// `If-Modified-Since`), then `If-Range`.
pub(crate) fn evaluate(request: &Request<'_>, v: &Validators<'_>) -> Outcome {
    let get_or_head = matches!(request.method, "GET" | "HEAD");
    let mut cond = if_match(request.if_match, v);
    if cond == Cond::None {
        cond = if_unmodified_since(request.if_unmodified_since, v);
    }
    if cond == Cond::False {
        return Outcome::Failed;
    }
    match if_none_match(request.if_none_match, v) {
        Cond::False if get_or_head => return Outcome::NotModified,
        Cond::False => return Outcome::Failed,
        Cond::None if get_or_head => {
            if if_modified_since(request.if_modified_since, v) == Cond::False {
                return Outcome::NotModified;
            }
        }
        Cond::None | Cond::True => {}
    }
    let range = match (request.range, request.if_range) {
        (Some(_), Some(cond)) if get_or_head => if_range(cond, v),
        _ => true,
    };
    Outcome::Proceed { range }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_tags_are_scanned_as_rfc_9110_writes_them() {
        assert_eq!(scan_etag(" \"a\", \"b\""), Some(("\"a\"", ", \"b\"")));
        assert_eq!(scan_etag("W/\"a\"x"), Some(("W/\"a\"", "x")));
        assert_eq!(scan_etag("\"a b\""), None);
        assert_eq!(scan_etag("\"open"), None);
        assert_eq!(scan_etag("a"), None);
        assert_eq!(scan_etag("w/\"a\""), None);
    }

    #[test]
    fn lists_match_by_the_comparison_given_and_stop_at_garbage() {
        let strong = |list| list_matches(list, |t| strong_match(t, "\"x\""));
        assert!(strong("\"a\", \t\"x\" , \"b\""));
        assert!(strong("*"));
        assert!(!strong("W/\"x\""));
        assert!(!strong(","));
        assert!(!strong("garbage, \"x\""));
        let weak = |list| list_matches(list, |t| weak_match(t, "\"x\""));
        assert!(weak("W/\"x\""));
        assert!(weak(",,\"x\""));
        assert!(!weak("\"X\""));
    }
}
