//! zc adapter for tokio (skeleton; filled by its own issue).
#![forbid(unsafe_code)]
