//! zc adapter for async-std (skeleton; filled by its own issue).
#![forbid(unsafe_code)]
