//! The mechanism under axum: a handler's ZcBody goes by sendfile once the connection is
//! verified, and the client receives the file's exact bytes.

mod support;

use support::{Client, Tree};

#[tokio::test]
async fn the_second_response_of_a_connection_goes_by_sendfile() {
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
    assert_eq!(reports[0].user_bytes(), 300_000, "{reports:?}");
    assert_eq!(
        reports[0].user_space_reason(),
        Some(zc_hyper::UserSpace::ConnectionUnproven)
    );
    for report in &reports[1..] {
        assert_eq!(report.sendfile_bytes(), 300_000, "{reports:?}");
        assert_eq!(report.user_space_reason(), None);
    }
}
