//! The two kinds of token, both slices of one process-wide region of zeros that is never
//! written (nor, on the zero-copy path, read):
//!
//! * a **file token** is a non-empty slice `region[k..k + len]` that stands for `len` bytes
//!   of a file range: the observer hands it to hyper as a data frame, hyper queues it
//!   uncopied, and the connection recognises it by its address (`k` turns over 4096 values,
//!   so consecutive tokens differ even with equal lengths) and sends the range with
//!   `sendfile`;
//! * an **identity token** is an empty slice `region[k..k]`, which a [`ZcBody`] yields to ask
//!   "may this range go zero-copy?": an empty frame carries no byte, so whatever a layer does
//!   with it, it has consumed nothing; and its address (`bytes` keeps the pointer of an empty
//!   slice) tells the observer whether the frame it receives is the very frame the body
//!   yielded. `k` comes from a process-wide counter, so two identity tokens alive at once
//!   differ unless [`REGION`] tokens were made in between.
//!
//! The region is allocated zeroed (`calloc`, which maps fresh zero pages for a block this
//! size) and leaked, so a token needs no reference count and the region costs address space,
//! not memory: its pages are never touched.
//!
//! [`ZcBody`]: crate::ZcBody

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use bytes::Bytes;

/// The region's size.
pub(crate) const REGION: usize = 64 << 20;

/// File tokens start at one of this many offsets, in turn, so two tokens outstanding on a
/// connection differ by their address even when their lengths are equal.
const STARTS: usize = 4096;

/// The largest file token: file ranges are sent in tokens of at most this many bytes.
pub(crate) const MAX_TOKEN: usize = REGION - STARTS;

static ZEROS: OnceLock<&'static [u8]> = OnceLock::new();
static NEXT_IDENTITY: AtomicUsize = AtomicUsize::new(0);
static NEXT_START: AtomicUsize = AtomicUsize::new(0);

fn region() -> &'static [u8] {
    ZEROS.get_or_init(|| Box::leak(vec![0u8; REGION].into_boxed_slice()))
}

/// A file token of `len` bytes (`0 < len <= MAX_TOKEN`), and its offset in the region.
pub(crate) fn file_token(len: usize) -> (Bytes, usize) {
    debug_assert!(len > 0 && len <= MAX_TOKEN);
    let offset = NEXT_START.fetch_add(1, Ordering::Relaxed) % STARTS;
    (Bytes::from_static(&region()[offset..offset + len]), offset)
}

/// Where a slice lies relative to the region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// Not in the region: ordinary bytes.
    Outside,
    /// `region[offset..offset + len]`.
    Inside { offset: usize },
}

/// Classifies `slice` (a slice that overlaps the region without lying in it cannot come from
/// a token: such a slice is ordinary bytes that happen to sit next to the region).
pub(crate) fn place(slice: &[u8]) -> Place {
    let base = region().as_ptr() as usize;
    let start = slice.as_ptr() as usize;
    match start.checked_sub(base) {
        Some(offset) if offset + slice.len() <= REGION && !slice.is_empty() => {
            Place::Inside { offset }
        }
        _ => Place::Outside,
    }
}

/// A fresh identity token, and the address that identifies it.
pub(crate) fn identity_token() -> (Bytes, usize) {
    let k = NEXT_IDENTITY.fetch_add(1, Ordering::Relaxed) % REGION;
    let token = Bytes::from_static(&region()[k..k]);
    let id = token.as_ptr() as usize;
    (token, id)
}

/// The identity of a frame the observer received: its address, if it is empty.
pub(crate) fn identity_of(frame: &Bytes) -> Option<usize> {
    frame.is_empty().then(|| frame.as_ptr() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_slice_keeps_its_address_through_clone_and_slice() {
        let (token, id) = identity_token();
        assert_eq!(identity_of(&token.clone()), Some(id));
        assert_eq!(identity_of(&token.slice(..)), Some(id));
        // A copy is another frame, whatever its length.
        assert_ne!(identity_of(&Bytes::copy_from_slice(&token)), Some(id));
        let (other, other_id) = identity_token();
        assert_ne!(id, other_id);
        assert_eq!(identity_of(&other), Some(other_id));
    }

    #[test]
    fn file_tokens_lie_in_the_region_and_nothing_else_does() {
        let (token, offset) = file_token(4096);
        assert_eq!(place(&token), Place::Inside { offset });
        assert_eq!(
            place(&token[100..]),
            Place::Inside {
                offset: offset + 100
            }
        );
        let (next, next_offset) = file_token(4096);
        assert_ne!(offset, next_offset);
        assert_eq!(
            place(&next),
            Place::Inside {
                offset: next_offset
            }
        );
        assert_eq!(place(&[0u8; 16]), Place::Outside);
        assert_eq!(place(&token[..0]), Place::Outside);
    }
}
