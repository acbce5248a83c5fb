//! async-std's I/O wrappers that keep the kernel path: `async_std::io::BufReader` and the `Take`
//! of `ReadExt::take`, through the core's shared impls.

use async_std::io::{BufReader, Take};

use crate::AsyncStd;

zc_traits::__io_wrappers!(futures_io, AsyncStd, BufReader, Take);
