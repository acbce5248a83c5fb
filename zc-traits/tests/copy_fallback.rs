//! The buffered path: ends without a kernel object, kernel paths that decline, mocks that
//! force short writes and `Pending`, and strict mode refusing to fall back.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::future;
use zc_test_support::aio::*;
use zc_test_support::*;
use zc_traits::{copy_report, copy_strict, CopyPath, FuturesIo, Neutral};

#[test]
fn proc_file_falls_back_and_copies_its_content() {
    // /proc files report size 0 and refuse sendfile and copy_file_range.
    let mut expected = Vec::new();
    File::open("/proc/self/cmdline")
        .unwrap()
        .read_to_end(&mut expected)
        .unwrap();
    assert!(!expected.is_empty());

    let mut src = File::open("/proc/self/cmdline").unwrap();
    let mut dst = tempfile::tempfile().unwrap();
    let report = run(copy_report::<Neutral, _, _>(&mut src, &mut dst)).unwrap();
    assert_eq!(report.path(), CopyPath::Buffered);
    assert_eq!(content(&dst), expected);

    let mut src = File::open("/proc/self/status").unwrap();
    let (mut tx, mut rx) = tcp_pair();
    let (report, received) = run(future::zip(
        async {
            let r = copy_report(&mut src, &mut tx).await.unwrap();
            drop(tx);
            r
        },
        read_all(&mut rx),
    ));
    assert_eq!(report.path(), CopyPath::Buffered);
    assert!(received.starts_with(b"Name:"), "status content arrived");
    assert_eq!(report.bytes(), received.len() as u64);
}

#[test]
fn append_destination_falls_back_and_appends() {
    let data = pattern(100_000);
    let mut src = file_with(&data);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    std::fs::write(&path, b"head").unwrap();
    let mut dst = OpenOptions::new().append(true).open(&path).unwrap();
    let report = run(copy_report::<Neutral, _, _>(&mut src, &mut dst)).unwrap();
    assert_eq!(report.path(), CopyPath::Buffered);
    let out = std::fs::read(&path).unwrap();
    assert_eq!(&out[..4], b"head");
    assert!(out[4..] == data[..]);
}

#[test]
fn directory_source_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut src = File::open(dir.path()).unwrap();
    let mut dst = tempfile::tempfile().unwrap();
    let err = run(copy_report::<Neutral, _, _>(&mut src, &mut dst)).unwrap_err();
    assert_eq!(
        err.error().raw_os_error(),
        Some(rustix::io::Errno::ISDIR.raw_os_error())
    );
    assert_eq!(err.delivered(), 0);
}

#[test]
fn futures_io_stream_takes_part_through_the_buffered_path() {
    let data = pattern(200_000);
    let mut src = FuturesIo::new(futures_lite::io::Cursor::new(data.clone()));
    let (mut tx, mut rx) = tcp_pair();
    let (report, received) = run(future::zip(
        async {
            let r = copy_report(&mut src, &mut tx).await.unwrap();
            drop(tx);
            r
        },
        read_all(&mut rx),
    ));
    assert_eq!(report.path(), CopyPath::Buffered);
    assert!(received == data);

    let mut src = FuturesIo::new(futures_lite::io::Cursor::new(data.clone()));
    let mut out = Vec::new();
    let report = run(copy_report::<Neutral, _, _>(&mut src, &mut out)).unwrap();
    assert_eq!(report.path(), CopyPath::ReaderFrom);
    assert!(out == data);
}

/// A writer that accepts at most `max` bytes per call and answers `Pending` every other call.
struct ChoppyWriter {
    out: Vec<u8>,
    max: usize,
    calls: usize,
    pendings: usize,
}

impl futures_io::AsyncWrite for ChoppyWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.calls += 1;
        if self.calls % 2 == 0 {
            self.pendings += 1;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let n = buf.len().min(self.max);
        self.out.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[test]
fn short_writes_and_pending_lose_and_repeat_nothing() {
    let data = pattern(150_001);
    let mut src = file_with(&data);
    let mut dst = FuturesIo::new(ChoppyWriter {
        out: Vec::new(),
        max: 777,
        calls: 0,
        pendings: 0,
    });
    let report = run(copy_report::<Neutral, _, _>(&mut src, &mut dst)).unwrap();
    assert_eq!(report.path(), CopyPath::Buffered);
    assert_eq!(report.bytes(), data.len() as u64);
    assert!(dst.inner().pendings > 100, "the mock forced Pending");
    assert!(dst.inner().out == data);
    assert_eq!(src.stream_position().unwrap(), data.len() as u64);
}

/// A writer that fails after accepting `budget` bytes.
struct FailingWriter {
    budget: usize,
}

impl futures_io::AsyncWrite for FailingWriter {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.budget == 0 {
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        let n = buf.len().min(self.budget).min(1000);
        self.budget -= n;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[test]
fn failed_copy_reports_the_bytes_delivered_before_the_error() {
    let mut src = file_with(&pattern(100_000));
    let mut dst = FuturesIo::new(FailingWriter { budget: 12_345 });
    let err = run(copy_report::<Neutral, _, _>(&mut src, &mut dst)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    assert_eq!(err.delivered(), 12_345);
}

#[test]
#[cfg_attr(zc_portable, ignore = "asserts a kernel path")]
fn strict_mode_refuses_to_fall_back() {
    let mut src = file_with(b"data");
    let mut out = Vec::new();
    let err = run(copy_strict::<Neutral, _, _>(&mut src, &mut out)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Unsupported);
    assert!(out.is_empty());
    assert_eq!(
        src.stream_position().unwrap(),
        0,
        "nothing was taken from the source"
    );

    let mut src = File::open("/proc/self/cmdline").unwrap();
    let mut dst = tempfile::tempfile().unwrap();
    let err = run(copy_strict::<Neutral, _, _>(&mut src, &mut dst)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Unsupported);
    assert!(err.to_string().contains("declined"), "{err}");

    let mut src = file_with(b"data");
    let dir = tempfile::tempdir().unwrap();
    let mut dst = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.path().join("f"))
        .unwrap();
    let err = run(copy_strict::<Neutral, _, _>(&mut src, &mut dst)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Unsupported);
    assert!(err.to_string().contains("O_APPEND"), "{err}");
}

#[test]
#[cfg_attr(zc_portable, ignore = "asserts a kernel path")]
fn strict_mode_succeeds_where_the_kernel_path_exists() {
    let data = pattern(70_000);
    let mut src = file_with(&data);
    let mut dst = tempfile::tempfile().unwrap();
    let report = run(copy_strict::<Neutral, _, _>(&mut src, &mut dst)).unwrap();
    assert_eq!(report.path(), CopyPath::CopyFileRange);
    assert_eq!(report.user_bytes(), 0);
    assert!(content(&dst) == data);
}

#[test]
fn slice_source_writes_straight_to_the_destination() {
    let data = pattern(10_000);
    let mut src: &[u8] = &data;
    let mut dst = tempfile::tempfile().unwrap();
    let report = run(copy_report::<Neutral, _, _>(&mut src, &mut dst)).unwrap();
    assert_eq!(report.path(), CopyPath::WriterTo);
    assert!(src.is_empty());
    dst.flush().unwrap();
    assert!(content(&dst) == data);
}
