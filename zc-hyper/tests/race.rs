//! Clients that vanish at random points of a response: no fd leaked, and the server keeps
//! serving by sendfile. (Its own test binary: it counts the process's fds.)

mod support;

use std::time::Duration;

use support::{Client, Tree};
use tokio::io::AsyncReadExt;

fn app(tree: &Tree) -> axum::Router {
    axum::Router::new().fallback_service(zc_hyper::ServeDir::new(tree.root()))
}

/// The process's open fds.
fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Waits (bounded) until the process has at most `limit` fds open.
async fn settle(limit: usize) -> usize {
    for _ in 0..300 {
        if fds() <= limit {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    fds()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_vanishing_at_random_points_leak_nothing_and_the_server_serves_on() {
    let tree = Tree::new(&[("big.bin", 8 << 20), ("small.bin", 20_000)]);
    let (addr, log) = support::serve(app(&tree)).await;
    // Warm up: a connection verified, a full response.
    let mut client = Client::connect(addr).await;
    client.get("/small.bin", &[]).await;
    drop(client);
    let before = settle(usize::MAX).await;
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for i in 0..300 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut client = Client::connect(addr).await;
        // A verified connection, then a big body cut at a random point.
        client.get("/small.bin", &[]).await;
        client.send("GET", "/big.bin", &[]).await;
        // Up to the whole body, which leaves the connection idle before the close.
        let cut = (seed % (8 << 20)) as usize;
        let mut buf = vec![0u8; 256 << 10];
        let mut got = 0;
        while got < cut {
            let read = tokio::time::timeout(Duration::from_secs(20), client.stream.read(&mut buf));
            match read.await.expect("the server sends on") {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
        if i % 2 == 0 {
            // Reset rather than close: unread bytes make the kernel send RST.
            #[allow(deprecated)] // a zero linger does not block
            let _ = client.stream.set_linger(Some(Duration::ZERO));
        }
        drop(client);
    }
    let after = settle(before).await;
    assert!(after <= before, "fds: {before} before, {after} after");
    // The server still serves, by sendfile.
    let mut client = Client::connect(addr).await;
    let n = log.len();
    for _ in 0..2 {
        let reply = client.get("/big.bin", &[]).await;
        assert!(reply.body == tree.bytes("big.bin"));
    }
    let log = log.wait(n + 2).await;
    let last = log.iter().rev().find(|c| {
        c.peer
            .is_some_and(|p| p.port() == client.stream.local_addr().unwrap().port())
            && c.file.is_some_and(|f| f.sendfile_bytes() > 0)
    });
    assert!(
        last.is_some(),
        "no sendfile response on the last connection"
    );
}
