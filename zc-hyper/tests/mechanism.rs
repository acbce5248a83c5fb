//! The mechanism under axum: a handler's ZcBody goes by sendfile once the connection is
//! verified (on a fresh connection, after a short probe prefix), and the client receives
//! the file's exact bytes.

mod support;

use support::{Client, Tree};

#[tokio::test]
async fn the_first_response_sends_a_probe_prefix_and_the_rest_by_sendfile() {
    let tree = Tree::new(&[("a.bin", 300_000)]);
    let (addr, log) = support::serve(support::handler_app(&tree)).await;
    let mut client = Client::connect(addr).await;
    for _ in 0..3 {
        let reply = client.get("/f/a.bin", &[]).await;
        assert_eq!(reply.status, 200);
        assert!(reply.body == tree.bytes("a.bin"));
    }
    let log = log.wait(3).await;
    let reports: Vec<_> = log.iter().map(|c| c.file.unwrap()).collect();
    // The probe: the first PROBE_PREFIX bytes in user space, the rest by sendfile.
    let prefix = zc_hyper::PROBE_PREFIX;
    assert_eq!(reports[0].user_bytes(), prefix, "{reports:?}");
    assert_eq!(reports[0].sendfile_bytes(), 300_000 - prefix, "{reports:?}");
    assert_eq!(
        reports[0].user_space_reason(),
        Some(zc_hyper::UserSpace::ConnectionUnproven)
    );
    for report in &reports[1..] {
        assert_eq!(report.sendfile_bytes(), 300_000, "{reports:?}");
        assert_eq!(report.user_space_reason(), None);
    }
}

#[tokio::test]
async fn a_body_no_longer_than_the_probe_goes_whole_through_user_space() {
    let small = zc_hyper::PROBE_PREFIX as usize;
    let tree = Tree::new(&[("s.bin", small), ("a.bin", 100_000)]);
    let (addr, log) = support::serve(support::handler_app(&tree)).await;
    let mut client = Client::connect(addr).await;
    for name in ["s.bin", "a.bin"] {
        let reply = client.get(&format!("/f/{name}"), &[]).await;
        assert_eq!(reply.status, 200);
        assert!(reply.body == tree.bytes(name));
    }
    let log = log.wait(2).await;
    let reports: Vec<_> = log.iter().map(|c| c.file.unwrap()).collect();
    // The whole small body was the probe, and it proved the connection.
    assert_eq!(reports[0].user_bytes(), small as u64, "{reports:?}");
    assert_eq!(reports[1].sendfile_bytes(), 100_000, "{reports:?}");
    assert_eq!(reports[1].user_space_reason(), None);
}
