//! zc_http's ported suites (Go's `TestServeContent`, `ServeFileRangeTests`,
//! `ParseRangeTests`; nginx-tests' `range.t`, `range_if_range.t`, `not_modified.t`; the
//! precompressed cases), end to end against the axum bridge: `ServeDir` behind
//! `zc_hyper::serve`, over a real socket, each case checked by the suites' own `check`; and
//! every file body after a connection's probe went by sendfile.
//!
//! The cases that tweak an entity a file cannot be (an explicit ETag, no modification
//! time) test the decision alone and stay in zc_http's own run.

#[path = "../../zc-http/tests/ported/mod.rs"]
mod ported;
mod support;

use ported::Case;
use support::Client;

fn serve_dir(dir: &std::path::Path, case: &Case) -> zc_hyper::ServeDir {
    let serve_dir = zc_hyper::ServeDir::new(dir).max_ranges(case.max_ranges);
    if case.precompressed {
        serve_dir.precompressed_br().precompressed_gzip()
    } else {
        serve_dir
    }
}

/// Runs `cases` (those served from files) against the bridge: one server per setting of
/// the ServeDir, one connection for all its cases.
async fn run(cases: &[Case]) {
    let dir = tempfile::tempdir().unwrap();
    ported::make_root(dir.path());
    let mut checked = 0;
    let mut settings: Vec<(bool, usize)> = cases
        .iter()
        .map(|c| (c.precompressed, c.max_ranges))
        .collect();
    settings.sort_unstable();
    settings.dedup();
    for (precompressed, max_ranges) in settings {
        {
            let cases: Vec<&Case> = cases
                .iter()
                .filter(|c| c.entity.is_none())
                .filter(|c| c.precompressed == precompressed && c.max_ranges == max_ranges)
                .collect();
            let Some(first) = cases.first() else { continue };
            let app = axum::Router::new().fallback_service(serve_dir(dir.path(), first));
            let (addr, log) = support::serve(app).await;
            let mut client = Client::connect(addr).await;
            // The connection's probe: a body of data through user space.
            client.get("/go/index.html", &[]).await;
            let mut sent = 1;
            for case in &cases {
                let headers: Vec<String> = case
                    .headers
                    .iter()
                    .map(|&(name, value)| format!("{name}: {}", case.fill(value)))
                    .collect();
                let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
                let methods: &[&str] = if case.head_too {
                    &["GET", "HEAD"]
                } else {
                    &["GET"]
                };
                for method in methods {
                    client.send(method, case.target, &headers).await;
                    let reply = client
                        .read(*method == "HEAD")
                        .await
                        .expect("a whole response");
                    let reply = ported::Reply {
                        status: reply.status,
                        headers: reply.headers,
                        body: reply.body,
                    };
                    ported::check(case, method, &reply);
                    sent += 1;
                    checked += 1;
                }
            }
            for completed in &log.wait(sent).await[1..] {
                let Some(file) = completed.file else { continue };
                if file.file_bytes() > 0 {
                    assert_eq!(file.sendfile_bytes(), file.file_bytes(), "{completed}");
                }
            }
        }
    }
    assert!(checked > 0, "no case ran");
}

#[tokio::test]
async fn go_serve_file_range_tests() {
    run(ported::GO_SERVE_FILE_RANGE).await;
}

#[tokio::test]
async fn go_parse_range_tests() {
    run(ported::GO_PARSE_RANGE).await;
}

#[tokio::test]
async fn go_serve_content() {
    run(ported::GO_SERVE_CONTENT).await;
}

#[tokio::test]
async fn nginx_range_t() {
    run(ported::NGINX_RANGES).await;
}

#[tokio::test]
async fn nginx_range_if_range_t() {
    run(ported::NGINX_IF_RANGES).await;
}

#[tokio::test]
async fn nginx_not_modified_t() {
    run(ported::NGINX_NOT_MODIFIED_CASES).await;
}

#[tokio::test]
async fn precompressed_siblings() {
    run(ported::PRECOMPRESSED_CASES).await;
}
