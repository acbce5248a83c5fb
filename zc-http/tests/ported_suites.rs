//! The ported suites (`tests/ported/mod.rs`: Go's `TestServeContent`, `ServeFileRangeTests`,
//! `ParseRangeTests`; nginx-tests' `range.t`, `range_if_range.t`, `not_modified.t`; the
//! precompressed cases) against the library: `Root::serve` (or `respond` for an entity a
//! file cannot be), its head by `write_head`, its body by `send_body`, read back as a client
//! reads them.
#![cfg(unix)]

mod ported;

use http::HeaderValue;
use ported::{Case, Reply, Tweak};
use zc_http::{respond, send_body, write_head, Options, Request, Resolved, Root};

fn root(dir: &std::path::Path, case: &Case) -> Root {
    let root = Root::open(dir)
        .unwrap()
        .options(Options::default().max_ranges(case.max_ranges));
    if case.precompressed {
        root.precompressed_br().precompressed_gzip()
    } else {
        root
    }
}

/// Asks `case` of the library with `method`, and reads the answer back from the bytes a
/// server would send.
fn ask(dir: &std::path::Path, case: &Case, method: &str) -> Reply {
    let root = root(dir, case);
    let headers: Vec<(&str, String)> = case
        .headers
        .iter()
        .map(|&(name, value)| (name, case.fill(value)))
        .collect();
    let mut request = Request::new(method, case.target);
    for (name, value) in &headers {
        assert!(request.set_header(name, value), "{name}");
    }
    let (response, mut file) = match case.entity {
        None => {
            let reply = root.serve(&request);
            (reply.response, reply.file)
        }
        Some(tweak) => {
            let Resolved::File(mut opened) = root.resolve(case.target, request.accept_encoding)
            else {
                panic!("{}: a file", case.name)
            };
            match tweak {
                Tweak::Etag(tag) => opened.entity.etag = Some(HeaderValue::from_static(tag)),
                Tweak::EtagNoTime(tag) => {
                    opened.entity.etag = tag.map(HeaderValue::from_static);
                    opened.entity.mtime = None;
                }
                Tweak::NoTime => opened.entity.mtime = None,
                Tweak::ContentType(t) => opened.entity.content_type = HeaderValue::from_static(t),
            }
            let options = Options::default().max_ranges(case.max_ranges);
            (
                respond(&request, &opened.entity, &options),
                Some(opened.file),
            )
        }
    };
    let mut wire = Vec::new();
    write_head(&mut wire, response.status, &response.headers, "");
    futures_lite::future::block_on(send_body::<zc::Neutral, _>(
        &response.body,
        file.as_mut(),
        &mut wire,
    ))
    .unwrap();
    Reply::parse(&wire, method == "HEAD")
}

fn run(cases: &[Case]) {
    let dir = tempfile::tempdir().unwrap();
    ported::make_root(dir.path());
    for case in cases {
        ported::check(case, "GET", &ask(dir.path(), case, "GET"));
        if case.head_too {
            ported::check(case, "HEAD", &ask(dir.path(), case, "HEAD"));
        }
    }
}

#[test]
fn go_serve_file_range_tests() {
    run(ported::GO_SERVE_FILE_RANGE);
}

#[test]
fn go_parse_range_tests() {
    run(ported::GO_PARSE_RANGE);
}

#[test]
fn go_serve_content() {
    run(ported::GO_SERVE_CONTENT);
}

#[test]
fn nginx_range_t() {
    run(ported::NGINX_RANGES);
}

#[test]
fn nginx_range_if_range_t() {
    run(ported::NGINX_IF_RANGES);
}

#[test]
fn nginx_not_modified_t() {
    run(ported::NGINX_NOT_MODIFIED_CASES);
}

#[test]
fn precompressed_siblings() {
    run(ported::PRECOMPRESSED_CASES);
}
