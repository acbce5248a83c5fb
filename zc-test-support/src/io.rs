//! Byte-level reads and writes through an endpoint's own `poll_read` / `poll_write` /
//! `poll_shutdown`, never through a copy, and the fd behind an endpoint.

use std::future::poll_fn;
use std::os::fd::BorrowedFd;

use zc_traits::endpoint::RawEnd;
use zc_traits::{Sink, Source};

/// Reads `src` to EOF through its byte-level `poll_read` (not through `copy`).
pub async fn read_to_end<Rt, S: Source<Rt> + ?Sized>(src: &mut S) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 256 << 10];
    loop {
        let n = poll_fn(|cx| src.poll_read(cx, &mut buf))
            .await
            .expect("read the test stream");
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Writes all of `data` through the sink's byte-level `poll_write`, then flushes.
pub async fn write_all<Rt, D: Sink<Rt> + ?Sized>(dst: &mut D, mut data: &[u8]) {
    while !data.is_empty() {
        let n = poll_fn(|cx| dst.poll_write(cx, data))
            .await
            .expect("write the test stream");
        assert!(n > 0, "the test stream took 0 bytes");
        data = &data[n..];
    }
    poll_fn(|cx| dst.poll_flush(cx))
        .await
        .expect("flush the test stream");
}

/// Shuts the sink's write side down (a socket's half-close).
pub async fn shutdown<Rt, D: Sink<Rt> + ?Sized>(dst: &mut D) {
    poll_fn(|cx| dst.poll_shutdown(cx))
        .await
        .expect("shut the test stream down");
}

/// [`write_all`], then [`shutdown`].
pub async fn write_and_close<Rt, D: Sink<Rt> + ?Sized>(dst: &mut D, data: &[u8]) {
    write_all(dst, data).await;
    shutdown(dst).await;
}

/// Reads through `src`'s byte-level path until at least `n` bytes (or EOF, or an error: a
/// test peer).
pub async fn read_at_least<Rt, S: Source<Rt> + ?Sized>(src: &mut S, n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    while out.len() < n {
        let got = poll_fn(|cx| src.poll_read(cx, &mut buf)).await.unwrap_or(0);
        if got == 0 {
            break;
        }
        out.extend_from_slice(&buf[..got]);
    }
    out
}

/// Reads to EOF through the byte-level path, treating an error as the end (a test peer).
pub async fn read_until_gone<Rt, S: Source<Rt> + ?Sized>(src: &mut S) -> Vec<u8> {
    read_at_least(src, usize::MAX).await
}

/// Writes `data` through the byte-level path until done or the peer fails, then shuts down.
pub async fn feed<Rt, D: Sink<Rt> + ?Sized>(dst: &mut D, data: &[u8]) {
    let mut at = 0;
    while at < data.len() {
        let end = (at + (64 << 10)).min(data.len());
        match poll_fn(|cx| dst.poll_write(cx, &data[at..end])).await {
            Ok(0) | Err(_) => return,
            Ok(n) => at += n,
        }
    }
    let _ = poll_fn(|cx| dst.poll_shutdown(cx)).await;
}

/// Runs `op` on the fd behind a source (a socket's options, say).
pub fn with_src_fd<Rt, S: Source<Rt> + ?Sized, T>(
    src: &mut S,
    op: impl FnOnce(BorrowedFd<'_>) -> T,
) -> T {
    let end: RawEnd<'_, Rt> = src.raw_source().expect("the endpoint has an fd");
    op(end.fd())
}

/// Runs `op` on the fd behind a sink.
pub fn with_dst_fd<Rt, D: Sink<Rt> + ?Sized, T>(
    dst: &mut D,
    op: impl FnOnce(BorrowedFd<'_>) -> T,
) -> T {
    let end: RawEnd<'_, Rt> = dst.raw_sink().expect("the endpoint has an fd");
    op(end.fd())
}
