//! Go's tests of `io.Copy` between files (`os/readfrom_unix_test.go`, `TestCopyFile`: its
//! "Basic" and "Limited" cases), run against `zc::copy` on tokio's files: Go's sizes (1, 42,
//! 1025, a page + 1, 32769), whole and through a limit one less than the size, half of it,
//! exactly it and one more (Go's `io.LimitedReader`; here `zc::Limited`). Each copy must take
//! `copy_file_range(2)`, write exactly the source's bytes after what the destination already
//! held, and leave both files' positions just past the bytes it moved, as Go checks.

#![cfg(all(target_os = "linux", feature = "tokio"))]

use std::io::SeekFrom;

use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use zc_test_support::pattern;

const SIZES: [u64; 5] = [1, 42, 1025, 4097, 32769];

/// What the destination holds before the copy: the copy writes after it.
const HEAD: &[u8] = b"already here\n";

/// The limits of Go's "Limited" subtests for `size` (none: the whole file).
fn limits(size: u64) -> Vec<Option<u64>> {
    let mut out = vec![None, Some(size), Some(size + 1)];
    if size > 1 {
        out.extend([Some(size - 1), Some(size / 2)]);
    }
    out
}

async fn copy_once(size: u64, limit: Option<u64>) {
    let dir = tempfile::tempdir().unwrap();
    let (src_path, dst_path) = (dir.path().join("src"), dir.path().join("dst"));
    let data = pattern(size as usize);
    tokio::fs::write(&src_path, &data).await.unwrap();
    let mut src = tokio::fs::File::open(&src_path).await.unwrap();
    let mut dst = tokio::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&dst_path)
        .await
        .unwrap();
    dst.write_all(HEAD).await.unwrap();
    let case = format!("size {size}, limit {limit:?}");
    let report = match limit {
        None => zc::copy_report(&mut src, &mut dst).await,
        Some(n) => zc::copy_report(&mut zc::Limited::new(&mut src, n), &mut dst).await,
    }
    .unwrap();
    let moved = limit.map_or(size, |n| n.min(size));
    assert_eq!(report.bytes(), moved, "{case}");
    assert_eq!(report.path(), zc::CopyPath::CopyFileRange, "{case}");
    assert_eq!(report.user_bytes(), 0, "{case}: {report:?}");
    // Both positions just past the bytes moved.
    assert_eq!(
        src.stream_position().await.unwrap(),
        moved,
        "{case}: source position"
    );
    assert_eq!(
        dst.stream_position().await.unwrap(),
        HEAD.len() as u64 + moved,
        "{case}: destination position"
    );
    // The destination: its head, then exactly the source's first `moved` bytes.
    dst.seek(SeekFrom::Start(0)).await.unwrap();
    let mut got = Vec::new();
    dst.read_to_end(&mut got).await.unwrap();
    let mut want = HEAD.to_vec();
    want.extend_from_slice(&data[..moved as usize]);
    assert!(got == want, "{case}: the destination's bytes differ");
}

#[tokio::test]
async fn basic_and_limited_copies_take_copy_file_range_with_exact_positions() {
    for size in SIZES {
        for limit in limits(size) {
            copy_once(size, limit).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_on_a_multi_thread_runtime() {
    for size in SIZES {
        for limit in limits(size) {
            copy_once(size, limit).await;
        }
    }
}
