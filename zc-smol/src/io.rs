//! smol's I/O wrappers that keep the kernel path: `smol::io::BufReader` and the `Take` of
//! `AsyncReadExt::take` (both futures-lite's), through the core's shared impls.

use futures_lite::io::{BufReader, Take};

use crate::Smol;

zc_traits::__io_wrappers!(futures_io, Smol, BufReader, Take);
