//! Test bytes and files.

use std::fs::File;
use std::io::{Seek, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;
use std::sync::OnceLock;

use tempfile::TempDir;

/// How much of [`pattern`] is generated once and kept: the largest copies of the matrix (64
/// MiB) and a margin.
const CACHED: usize = (64 << 20) + (1 << 20);

/// Deterministic bytes that do not repeat for a long stretch, so a shifted, duplicated or
/// skipped range shows. `pattern(n)` is a prefix of `pattern(m)` for n < m.
pub fn pattern(len: usize) -> Vec<u8> {
    if len <= CACHED {
        return shared_pattern(len).to_vec();
    }
    generate(len)
}

/// [`pattern`]`(len)` without a copy, from one buffer kept for the process (at most 65 MiB):
/// generating the bytes per copy dominates a debug build's time when a suite runs thousands
/// of copies.
pub fn shared_pattern(len: usize) -> &'static [u8] {
    static BIG: OnceLock<Vec<u8>> = OnceLock::new();
    &BIG.get_or_init(|| generate(CACHED))[..len]
}

fn generate(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let take = (len - out.len()).min(8);
        out.extend_from_slice(&x.to_le_bytes()[..take]);
    }
    out
}

/// A temporary file holding `data`, positioned at 0.
pub fn file_with(data: &[u8]) -> File {
    let mut f = tempfile::tempfile().expect("tempfile");
    f.write_all(data).expect("write the test file");
    f.rewind().expect("rewind");
    f
}

/// All of a file's content, read with `pread`, so the file's offset does not move. For a file
/// handed to a runtime, pass a `try_clone` kept before.
pub fn content(file: &File) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read_at(&mut buf, out.len() as u64)
            .expect("pread the test file");
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Opens `path` with `O_DIRECT` (read-only, or write-only with `write`), or says on stderr why
/// it cannot.
pub fn open_direct(path: &Path, write: bool) -> Option<File> {
    let direct = rustix::fs::OFlags::DIRECT.bits() as i32;
    match std::fs::OpenOptions::new()
        .read(!write)
        .write(write)
        .custom_flags(direct)
        .open(path)
    {
        Ok(file) => Some(file),
        Err(e) => {
            eprintln!("skipped: this filesystem refuses O_DIRECT ({e})");
            None
        }
    }
}

/// 8 MiB and a 1000-byte tail: `O_DIRECT` moves whole blocks only.
pub const DIRECT_LEN: usize = (8 << 20) + 1000;

/// A file holding `data`, opened read-only with `O_DIRECT`, in a new directory under `tmp`
/// (pass cargo's `env!("CARGO_TARGET_TMPDIR")`: `/tmp` may be a tmpfs, which has no alignment
/// rule to refuse with); `None`, said on stderr, where the filesystem refuses `O_DIRECT`.
pub fn direct_source(tmp: impl AsRef<Path>, data: &[u8]) -> Option<(TempDir, File)> {
    let dir = tempfile::tempdir_in(tmp).unwrap();
    let path = dir.path().join("direct");
    std::fs::write(&path, data).unwrap();
    let file = open_direct(&path, false)?;
    Some((dir, file))
}
