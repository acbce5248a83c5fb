//! Library code written once, against the facade's traits only, gets the kernel path on every
//! runtime: [`serve`] names no runtime, and each test calls it with that runtime's own file
//! and TCP stream types, unwrapped, with `Rt` inferred.
#![cfg(target_os = "linux")]

mod support;

use std::future::poll_fn;
use std::io;

use futures_lite::future::zip;
use support::Harness;
use zc::CopyPath;
use zc_test_support::{file_with, pattern, read_to_end};

/// What a library would write: send a whole file to a connection, then half-close it.
async fn serve<Rt, F, C>(file: &mut F, conn: &mut C) -> io::Result<zc::Report>
where
    Rt: zc::Runtime,
    F: zc::Source<Rt> + ?Sized,
    C: zc::Sink<Rt> + ?Sized,
{
    let report = zc::copy_report(file, conn).await?;
    poll_fn(|cx| conn.poll_shutdown(cx)).await?;
    Ok(report)
}

const LEN: usize = (1 << 20) + 7;

fn check(runtime: &str, report: zc::Report, received: &[u8], data: &[u8]) {
    assert_eq!(report.path(), CopyPath::Sendfile, "{runtime}");
    assert_eq!(report.bytes(), LEN as u64, "{runtime}");
    assert_eq!(report.kernel_bytes(), LEN as u64, "{runtime}");
    assert!(received == data, "{runtime}: the bytes differ");
}

#[test]
fn generic_serve_takes_sendfile_on_tokio() {
    support::tokio::CurrentThread::block_on(async {
        let data = pattern(LEN);
        let mut file = tokio::fs::File::from_std(file_with(&data));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut conn, _) = listener.accept().await.unwrap();
        let (report, received) = zip(serve(&mut file, &mut conn), read_to_end(&mut client)).await;
        check("tokio", report.expect("serve"), &received, &data);
    });
}

#[test]
fn generic_serve_takes_sendfile_on_smol() {
    support::smol::Smol::block_on(async {
        let data = pattern(LEN);
        let mut file = smol::fs::File::from(file_with(&data));
        let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = smol::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut conn, _) = listener.accept().await.unwrap();
        let (report, received) = zip(serve(&mut file, &mut conn), read_to_end(&mut client)).await;
        check("smol", report.expect("serve"), &received, &data);
    });
}

#[test]
fn generic_serve_takes_sendfile_on_async_std() {
    support::async_std::AsyncStd::block_on(async {
        let data = pattern(LEN);
        let mut file = async_std::fs::File::from(file_with(&data));
        let listener = async_std::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap();
        let mut client = async_std::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut conn, _) = listener.accept().await.unwrap();
        let (report, received) = zip(serve(&mut file, &mut conn), read_to_end(&mut client)).await;
        check("async-std", report.expect("serve"), &received, &data);
    });
}
