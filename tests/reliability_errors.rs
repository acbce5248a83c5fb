//! A failed zc copy returns the error std's `io::copy` (and tokio's) returns for the same case:
//! the same `kind()`, `raw_os_error()` and message, on every runtime, so code that matches an
//! errno or reads a log line sees no difference; `copy_report` adds the count
//! (`CopyError::delivered`), without touching the error.
#![cfg(target_os = "linux")]

mod support;

use std::fs::File;
use std::io;
use std::net::Shutdown;

use futures_lite::future::zip;
use rustix::io::Errno;
use support::Harness;
use zc::{CopyError, Report};
use zc_test_support::*;

support::per_runtime!(
    destination_shut_down_is_std_epipe,
    source_reset_by_its_peer_is_std_econnreset,
    directory_source_is_std_eisdir,
    read_only_destination_is_std_ebadf,
);

/// A connected pair of std TCP sockets on 127.0.0.1, blocking.
fn std_tcp_pair() -> (std::net::TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    (client, server)
}

/// Asserts that zc's error is the reference's: kind, errno and message.
fn assert_same_error(what: &str, zc: &io::Error, reference: &io::Error) {
    assert_eq!(
        (zc.kind(), zc.raw_os_error(), zc.to_string()),
        (
            reference.kind(),
            reference.raw_os_error(),
            reference.to_string()
        ),
        "{what}: zc's error differs from std's"
    );
}

/// `copy`'s error is the reference's; `copy_report`'s is the same error with a count of 0.
fn assert_matches(
    what: &str,
    copy: io::Result<u64>,
    report: Result<Report, CopyError>,
    reference: &io::Error,
) {
    let err = copy.expect_err(what);
    assert_same_error(what, &err, reference);
    let err = report.expect_err(what);
    assert_same_error(&format!("{what} (copy_report)"), err.error(), reference);
    assert_eq!(
        err.delivered(),
        0,
        "{what}: nothing reached the destination"
    );
    assert_same_error(&format!("{what} (into)"), &io::Error::from(err), reference);
}

/// EPIPE: the destination socket was shut down for writing (kernel and user-space paths).
fn destination_shut_down_is_std_epipe<H: Harness>() {
    let _g = shared();
    let data = pattern(100_000);
    let (mut tx, _rx) = std_tcp_pair();
    tx.shutdown(Shutdown::Write).unwrap();
    let reference = io::copy(&mut file_with(&data), &mut tx).unwrap_err();
    assert_eq!(reference.raw_os_error(), Some(Errno::PIPE.raw_os_error()));
    H::block_on(async move {
        let (mut tx, _rx) = H::tcp_pair();
        shutdown(&mut tx).await;
        // sendfile, then the slice's `WriterTo`.
        let copy = zc::copy(&mut H::file(file_with(&data)).await, &mut tx).await;
        let report = zc::copy_report(&mut H::file(file_with(&data)).await, &mut tx).await;
        assert_matches(&format!("{}: file", H::NAME), copy, report, &reference);
        let copy = zc::copy(&mut &data[..], &mut tx).await;
        let report = zc::copy_report(&mut &data[..], &mut tx).await;
        assert_matches(&format!("{}: slice", H::NAME), copy, report, &reference);
    });
}

/// ECONNRESET: the source socket's peer closed with a reset (splice and user-space paths).
fn source_reset_by_its_peer_is_std_econnreset<H: Harness>() {
    let _g = shared();
    let (mut rx, tx) = std_tcp_pair();
    reset_on_close(std::os::fd::AsFd::as_fd(&tx));
    drop(tx);
    let reference = io::copy(&mut rx, &mut Vec::new()).unwrap_err();
    assert_eq!(
        reference.raw_os_error(),
        Some(Errno::CONNRESET.raw_os_error())
    );
    H::block_on(async move {
        // Each copy consumes the reset, so each gets a fresh pair: into a `Vec`, into a file.
        let reset_source = || {
            let (mut tx, rx) = H::tcp_pair();
            with_dst_fd::<H::Rt, _, _>(&mut tx, reset_on_close);
            drop(tx);
            rx
        };
        let copy = zc::copy(&mut reset_source(), &mut Vec::new()).await;
        let report = zc::copy_report(&mut reset_source(), &mut Vec::new()).await;
        assert_matches(&format!("{}: into Vec", H::NAME), copy, report, &reference);
        let mut file = H::file(file_with(b"")).await;
        let copy = zc::copy(&mut reset_source(), &mut file).await;
        let report = zc::copy_report(&mut reset_source(), &mut file).await;
        assert_matches(
            &format!("{}: into a file", H::NAME),
            copy,
            report,
            &reference,
        );
    });
}

/// EISDIR: a directory opened as the source (into a socket, into a `Vec`).
fn directory_source_is_std_eisdir<H: Harness>() {
    let _g = shared();
    let dir = tempfile::tempdir().unwrap();
    let reference = io::copy(&mut File::open(dir.path()).unwrap(), &mut Vec::new()).unwrap_err();
    assert_eq!(reference.raw_os_error(), Some(Errno::ISDIR.raw_os_error()));
    H::block_on(async move {
        let open = || H::file(File::open(dir.path()).unwrap());
        let copy = zc::copy(&mut open().await, &mut Vec::new()).await;
        let report = zc::copy_report(&mut open().await, &mut Vec::new()).await;
        assert_matches(&format!("{}: into Vec", H::NAME), copy, report, &reference);
        let (mut tx, mut rx) = H::tcp_pair();
        let (copy, _) = zip(zc::copy(&mut open().await, &mut tx), async {
            shutdown(&mut rx).await;
        })
        .await;
        let report = zc::copy_report(&mut open().await, &mut tx).await;
        assert_matches(&format!("{}: into TCP", H::NAME), copy, report, &reference);
    });
}

/// EBADF: a file opened read-only as the destination (from a slice, a file, a socket).
fn read_only_destination_is_std_ebadf<H: Harness>() {
    let _g = shared();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("read-only");
    std::fs::write(&path, b"").unwrap();
    let data = pattern(100_000);
    let reference = io::copy(&mut &data[..], &mut File::open(&path).unwrap()).unwrap_err();
    assert_eq!(reference.raw_os_error(), Some(Errno::BADF.raw_os_error()));
    H::block_on(async move {
        let open = || H::file(File::open(&path).unwrap());
        let copy = zc::copy(&mut &data[..], &mut open().await).await;
        let report = zc::copy_report(&mut &data[..], &mut open().await).await;
        assert_matches(&format!("{}: slice", H::NAME), copy, report, &reference);
        let copy = zc::copy(&mut H::file(file_with(&data)).await, &mut open().await).await;
        let report = zc::copy_report(&mut H::file(file_with(&data)).await, &mut open().await).await;
        assert_matches(&format!("{}: file", H::NAME), copy, report, &reference);
        let (mut client, mut server) = H::tcp_pair();
        let (_, copy) = zip(
            zc_test_support::write_and_close(&mut client, &data),
            zc::copy(&mut server, &mut open().await),
        )
        .await;
        let (mut client, mut server) = H::tcp_pair();
        let (_, report) = zip(
            zc_test_support::write_and_close(&mut client, &data),
            zc::copy_report(&mut server, &mut open().await),
        )
        .await;
        assert_matches(&format!("{}: socket", H::NAME), copy, report, &reference);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    });
}
