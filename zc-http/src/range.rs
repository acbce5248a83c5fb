//! `Range: bytes=...` (RFC 9110 §14.1–14.2) against a representation's length, with the
//! policy choices of [the crate docs](crate#ranges).

/// What a `Range` header asks of a representation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ranges {
    /// 200 with everything: no range, another unit, a set with no range in it, an empty
    /// representation, more ranges than allowed, or ranges that add up past the length.
    Whole,
    /// 206 with these `(offset, len)` ranges, in the order asked (neither sorted nor
    /// coalesced): one is a plain 206, several are `multipart/byteranges`.
    Partial(Vec<(u64, u64)>),
    /// 416: a syntax error in the set, or no range with a byte in the representation.
    Unsatisfiable,
}

/// Optional whitespace (RFC 9110 §5.6.3), and the laxity Go and Apache allow around numbers.
fn trim(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

/// A byte position: ASCII digits only; too many for a `u64` is a syntax error.
fn position(s: &str) -> Result<u64, ()> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    s.parse().map_err(|_| ())
}

/// One `byte-range-spec` or `suffix-range` over `len > 0` bytes: `Ok(Some((offset, len)))`,
/// `Ok(None)` when it has no byte in the representation, `Err` on a syntax error.
fn spec(spec: &str, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let (first, last) = spec.split_once('-').ok_or(())?;
    let (first, last) = (trim(first), trim(last));
    if first.is_empty() {
        // `-N`: the last N bytes; `-0` has none (RFC 9110 §14.1.3).
        let suffix = position(last)?;
        return Ok((suffix > 0).then(|| {
            let n = suffix.min(len);
            (len - n, n)
        }));
    }
    let start = position(first)?;
    let end = match last {
        "" => None,
        last => Some(position(last).and_then(|end| if end < start { Err(()) } else { Ok(end) })?),
    };
    if start >= len {
        return Ok(None);
    }
    let end = end.map_or(len - 1, |end| end.min(len - 1));
    Ok(Some((start, end - start + 1)))
}

/// Interprets `header` for a representation of `len` bytes, answering at most `max_ranges`
/// ranges (0: ranges are not served at all).
pub(crate) fn parse(header: &str, len: u64, max_ranges: usize) -> Ranges {
    let header = trim(header);
    let set = match header.get(..6) {
        Some(unit) if unit.eq_ignore_ascii_case("bytes=") => &header[6..],
        // Another unit, or none: ignored (RFC 9110 §14.2).
        _ => return Ranges::Whole,
    };
    if max_ranges == 0 {
        return Ranges::Whole;
    }
    let mut ranges = Vec::new();
    let mut asked = false;
    let mut total = 0u64;
    for item in set.split(',').map(trim).filter(|item| !item.is_empty()) {
        asked = true;
        match spec(item, len.max(1)) {
            Err(()) => return Ranges::Unsatisfiable,
            Ok(None) => {}
            Ok(Some(range)) => {
                total = total.saturating_add(range.1);
                ranges.push(range);
            }
        }
    }
    if !asked || len == 0 {
        // Go's choice: an empty file answers any well-formed range with itself, whole (some
        // clients send a Range with every request).
        return Ranges::Whole;
    }
    if ranges.is_empty() {
        return Ranges::Unsatisfiable;
    }
    if ranges.len() > max_ranges || total > len {
        return Ranges::Whole;
    }
    Ranges::Partial(ranges)
}
