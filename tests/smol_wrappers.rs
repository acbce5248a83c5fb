//! smol's `io::BufReader` and `take(n)` keep the kernel path: the buffer goes first, then
//! `sendfile(2)` from the file's position; a limit stops the kernel exactly at it.
#![cfg(target_os = "linux")]

mod support;

use futures_lite::future::zip;
use smol::io::{AsyncReadExt, AsyncSeekExt, BufReader};
use support::smol::Smol as Runtime;
use support::Harness;
use zc::CopyPath;
use zc_test_support::{file_with, pattern, read_to_end, shutdown};

include!("support/wrappers_body.rs");
