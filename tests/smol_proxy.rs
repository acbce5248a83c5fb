//! The smol proxy example relays a real client (curl) to the smol file server with `splice(2)`
//! in both directions.
#![cfg(target_os = "linux")]
// Both examples load their shared `examples/common` module; each keeps its own copy here.
#![allow(clippy::duplicate_mod)]

mod support;

#[path = "../examples/smol_proxy.rs"]
mod proxy;
#[path = "../examples/smol_file_server.rs"]
mod server;

use std::fs;
use std::time::Duration;

use smol::future::FutureExt;
use smol::net::TcpListener;
use support::{curl, pattern};
use zc::CopyPath;

#[test]
fn proxy_relays_both_directions_by_splice() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern((2 << 20) + 3);
    fs::write(dir.path().join("file.bin"), &data).unwrap();
    let upstream = smol::block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let upstream_addr = upstream.local_addr().unwrap();
    let upstream_task = smol::spawn(server::serve(upstream, dir.path().to_owned()));
    let front = smol::block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}/file.bin", front.local_addr().unwrap());
    let relay = smol::spawn(async move {
        let (client, _) = front.accept().await.expect("accept");
        proxy::relay(client, upstream_addr).await
    });

    let out = dir.path().join("out");
    let output = curl(&["--output", out.to_str().unwrap(), &url]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(fs::read(out).unwrap() == data, "proxied bytes differ");

    let (up, down) = smol::block_on(relay.or(async {
        smol::Timer::after(Duration::from_secs(30)).await;
        panic!("the relay did not end when curl closed")
    }))
    .expect("relay");
    assert_eq!(up.path(), CopyPath::Splice);
    assert!(up.bytes() > 0 && up.kernel_bytes() == up.bytes());
    assert_eq!(down.path(), CopyPath::Splice);
    assert!(down.bytes() > data.len() as u64, "the head and the body");
    assert_eq!(down.kernel_bytes(), down.bytes());
    smol::block_on(upstream_task.cancel());
}
