//! async-std's `io::BufReader` and `take(n)` keep the kernel path: the buffer goes first, then
//! `sendfile(2)` from the file's position; a limit stops the kernel exactly at it.
#![cfg(target_os = "linux")]

mod support;

use async_std::io::prelude::{ReadExt, SeekExt};
use async_std::io::BufReader;
use futures_lite::future::zip;
use support::async_std::AsyncStd as Runtime;
use support::Harness;
use zc::CopyPath;
use zc_test_support::{file_with, pattern, read_to_end, shutdown};

include!("support/wrappers_body.rs");
