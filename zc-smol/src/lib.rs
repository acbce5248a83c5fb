//! zc adapter for smol (skeleton; filled by its own issue).
#![forbid(unsafe_code)]
