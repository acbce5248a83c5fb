//! smol's I/O wrappers that keep the kernel path: `smol::io::BufReader` and the `Take` of
//! `AsyncReadExt::take` (both futures-lite's), through the core's shared impls.

use futures_lite::io::{BufReader, Take};

use crate::Smol;

zc_traits::__impl_futures_io_wrappers!(Smol, BufReader, Take);
