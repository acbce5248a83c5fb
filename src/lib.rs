#![forbid(unsafe_code)]
//! zc
pub use zc_traits::*;
