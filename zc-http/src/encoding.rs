//! Content codings of precompressed siblings (`a.css.br`, `a.css.gz`) and their choice by
//! `Accept-Encoding` (RFC 9110 §12.5.3).

/// A content coding a file can be sent in: the file itself, or a precompressed sibling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// The file as it is (no `Content-Encoding`).
    Identity,
    /// Its gzip sibling, `<name>.gz`.
    Gzip,
    /// Its Brotli sibling, `<name>.br`.
    Br,
}

impl Encoding {
    /// The `Content-Encoding` value, `None` for [`Identity`](Encoding::Identity).
    pub fn content_coding(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Br => Some("br"),
        }
    }

    /// The suffix of the sibling's name (`.gz`, `.br`), `None` for
    /// [`Identity`](Encoding::Identity).
    pub fn extension(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some(".gz"),
            Encoding::Br => Some(".br"),
        }
    }

    fn names(self) -> &'static [&'static str] {
        match self {
            Encoding::Identity => &["identity"],
            Encoding::Gzip => &["gzip", "x-gzip"],
            Encoding::Br => &["br"],
        }
    }
}

/// A weight in thousandths (`q=0.5` is 500), as RFC 9110 §12.4.2 writes them: `0`, `1`, up
/// to three decimals. `None` when malformed.
fn qvalue(s: &str) -> Option<u16> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = frac.bytes().chain(std::iter::repeat(b'0')).take(3);
    let frac = thousandths.fold(0u16, |n, b| n * 10 + u16::from(b - b'0'));
    match int {
        "0" => Some(frac),
        "1" if frac == 0 => Some(1000),
        _ => None,
    }
}

/// The weight `header` gives `encoding`: its own element's, else `*`'s, else 0 for a
/// coding and the least weight above 0 for identity (acceptable unless refused, RFC 9110
/// §12.5.3, but after any coding the client named). No header: identity only.
fn weight(header: Option<&str>, encoding: Encoding) -> u16 {
    let default = if encoding == Encoding::Identity { 1 } else { 0 };
    let Some(header) = header else {
        return default;
    };
    let mut star = None;
    for element in header.split(',') {
        let mut params = element.split(';');
        let coding = params.next().unwrap_or_default().trim_matches([' ', '\t']);
        if coding.is_empty() {
            continue;
        }
        let mut q = Some(1000);
        for param in params {
            let param = param.trim_matches([' ', '\t']);
            if let Some((name, value)) = param.split_once('=') {
                if name.trim_end().eq_ignore_ascii_case("q") {
                    q = qvalue(value.trim_start());
                }
            }
        }
        // A malformed weight makes its element ignored.
        let Some(q) = q else { continue };
        if encoding
            .names()
            .iter()
            .any(|n| coding.eq_ignore_ascii_case(n))
        {
            return q;
        }
        if coding == "*" {
            star = Some(q);
        }
    }
    star.unwrap_or(default)
}

/// The order in which to try the codings `offered` for a request with `accept_encoding`:
/// the acceptable ones (weight above 0) by weight, Brotli before gzip before identity at
/// equal weight, and [`Identity`](Encoding::Identity) always last among equals and always
/// present (the file itself is served even when `identity;q=0`, as nginx and tower-http do,
/// rather than 406).
///
/// # Examples
///
/// ```
/// use zc_http::{negotiate, Encoding::*};
/// let both = [Br, Gzip];
/// assert_eq!(negotiate(Some("gzip, br"), &both), [Br, Gzip, Identity]);
/// assert_eq!(negotiate(Some("gzip;q=1, br;q=0.5"), &both), [Gzip, Br, Identity]);
/// assert_eq!(negotiate(Some("br;q=0, *"), &both), [Gzip, Identity]);
/// assert_eq!(negotiate(Some("identity, gzip;q=0.5"), &both), [Identity, Gzip]);
/// assert_eq!(negotiate(None, &both), [Identity]);
/// ```
pub fn negotiate(accept_encoding: Option<&str>, offered: &[Encoding]) -> Vec<Encoding> {
    let rank = |e: Encoding| match e {
        Encoding::Br => 0,
        Encoding::Gzip => 1,
        Encoding::Identity => 2,
    };
    let mut weighted: Vec<(u16, Encoding)> = offered
        .iter()
        .copied()
        .filter(|&e| e != Encoding::Identity)
        .map(|e| (weight(accept_encoding, e), e))
        .filter(|&(q, _)| q > 0)
        .collect();
    let identity = weight(accept_encoding, Encoding::Identity);
    weighted.push((identity, Encoding::Identity));
    weighted.sort_by_key(|&(q, e)| (std::cmp::Reverse(q), rank(e)));
    weighted.dedup_by_key(|&mut (_, e)| e);
    weighted.into_iter().map(|(_, e)| e).collect()
}

#[cfg(test)]
mod tests {
    use super::Encoding::*;
    use super::*;

    #[test]
    fn qvalues_are_parsed_in_thousandths_and_malformed_ones_refused() {
        for (s, q) in [
            ("1", 1000),
            ("1.000", 1000),
            ("0", 0),
            ("0.5", 500),
            ("0.001", 1),
        ] {
            assert_eq!(qvalue(s), Some(q), "{s}");
        }
        for s in ["", "2", "1.5", "0.0001", "-0", ".5", "0.a"] {
            assert_eq!(qvalue(s), None, "{s}");
        }
    }

    #[test]
    fn weights_come_from_the_element_then_star_then_the_default() {
        assert_eq!(weight(Some("gzip;q=0.3, *;q=0.7"), Gzip), 300);
        assert_eq!(weight(Some("gzip;q=0.3, *;q=0.7"), Br), 700);
        assert_eq!(weight(Some("X-GZIP"), Gzip), 1000);
        assert_eq!(weight(Some("gzip ; Q=0"), Gzip), 0);
        assert_eq!(weight(Some("deflate"), Gzip), 0);
        assert_eq!(weight(Some(""), Identity), 1);
        assert_eq!(weight(Some("gzip;q=0.5"), Identity), 1);
        assert_eq!(weight(Some("*;q=0"), Identity), 0);
        assert_eq!(weight(Some("gzip;q=bad"), Gzip), 0);
        assert_eq!(weight(None, Br), 0);
    }

    #[test]
    fn refusals_and_ties_order_the_candidates() {
        assert_eq!(negotiate(Some("br;q=0, gzip;q=0"), &[Br, Gzip]), [Identity]);
        assert_eq!(negotiate(Some("*"), &[Gzip]), [Gzip, Identity]);
        assert_eq!(negotiate(Some("br"), &[Gzip]), [Identity]);
        assert_eq!(
            negotiate(Some("identity;q=0, gzip"), &[Br, Gzip]),
            [Gzip, Identity]
        );
        assert_eq!(negotiate(Some("gzip, br"), &[]), [Identity]);
    }
}
