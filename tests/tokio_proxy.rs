//! The tokio proxy example relays a real client (curl) to the tokio file server with
//! `splice(2)` in both directions.
#![cfg(target_os = "linux")]
// Both examples load their shared `examples/common` module; each keeps its own copy here.
#![allow(clippy::duplicate_mod)]

mod support;

#[path = "../examples/tokio_proxy.rs"]
mod proxy;
#[path = "../examples/tokio_file_server.rs"]
mod server;

use std::fs;
use std::sync::mpsc;
use std::time::Duration;

use support::{curl, pattern};
use tokio::net::TcpListener;
use zc::CopyPath;

#[test]
fn proxy_relays_both_directions_by_splice() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern((2 << 20) + 3);
    fs::write(dir.path().join("file.bin"), &data).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let upstream = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let upstream_addr = upstream.local_addr().unwrap();
    rt.spawn(server::serve(upstream, dir.path().to_owned()));
    let front = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}/file.bin", front.local_addr().unwrap());
    let (tx, reports) = mpsc::channel();
    rt.spawn(async move {
        let (client, _) = front.accept().await.expect("accept");
        let _ = tx.send(proxy::relay(client, upstream_addr).await);
    });

    let out = dir.path().join("out");
    let output = curl(&["--output", out.to_str().unwrap(), &url]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(fs::read(out).unwrap() == data, "proxied bytes differ");

    let (up, down) = reports
        .recv_timeout(Duration::from_secs(30))
        .expect("the relay ends when curl closes")
        .expect("relay");
    assert_eq!(up.path(), CopyPath::Splice);
    assert!(up.bytes() > 0 && up.kernel_bytes() == up.bytes());
    assert_eq!(down.path(), CopyPath::Splice);
    assert!(down.bytes() > data.len() as u64, "the head and the body");
    assert_eq!(down.kernel_bytes(), down.bytes());
}
