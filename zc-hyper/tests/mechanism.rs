//! The mechanism under axum: a handler's ZcBody goes by sendfile once the connection is
//! verified, and the client receives the file's exact bytes.

mod support;

use std::path::PathBuf;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use support::{Client, Tree};

async fn file(State(root): State<PathBuf>, Path(name): Path<String>) -> Response {
    let file = std::fs::File::open(root.join(name)).unwrap();
    let body = zc_hyper::ZcBody::file(file).unwrap();
    let (parts, ()) = http::Response::new(()).into_parts();
    body.into_response(parts).into_response()
}

fn app(tree: &Tree) -> axum::Router {
    axum::Router::new()
        .route("/f/{name}", axum::routing::get(file))
        .with_state(tree.root().to_path_buf())
}

#[tokio::test]
async fn the_second_response_of_a_connection_goes_by_sendfile() {
    let tree = Tree::new(&[("a.bin", 300_000)]);
    let (addr, log) = support::serve(app(&tree)).await;
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
