//! The decision's own rules, without a socket: each response's status, fields and body plan,
//! and the multipart body's bytes as send_body writes them.
#![cfg(unix)]

use http::header::{self, HeaderName};
use http::StatusCode;
use zc_http::{
    content_type, respond, send_body, Body, Encoding, Entity, Options, Request, Response,
};

const MTIME: u64 = 1_700_000_000; // Tue, 14 Nov 2023 22:13:20 GMT
const LM: &str = "Tue, 14 Nov 2023 22:13:20 GMT";

fn entity(len: u64) -> Entity {
    Entity::new(len, MTIME, content_type("f.txt".as_ref()))
}

fn get(headers: &[(&str, &'static str)]) -> Request<'static> {
    request("GET", headers)
}

fn request(method: &'static str, headers: &[(&str, &'static str)]) -> Request<'static> {
    let mut request = Request::new(method, "/f.txt");
    for &(name, value) in headers {
        assert!(request.set_header(name, value), "{name}");
    }
    request
}

fn field<'a>(response: &'a Response, name: &HeaderName) -> Option<&'a str> {
    response.header(name).map(|v| v.to_str().unwrap())
}

#[test]
fn a_plain_get_is_200_with_the_whole_file_and_its_validators() {
    let response = respond(&get(&[]), &entity(100), &Options::default());
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.body,
        Body::File {
            offset: 0,
            len: 100
        }
    );
    let names: Vec<&str> = response.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "content-type",
            "content-length",
            "last-modified",
            "etag",
            "accept-ranges"
        ]
    );
    assert_eq!(
        field(&response, &header::CONTENT_TYPE),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(field(&response, &header::CONTENT_LENGTH), Some("100"));
    assert_eq!(field(&response, &header::LAST_MODIFIED), Some(LM));
    assert_eq!(field(&response, &header::ETAG), Some("\"6553f100-64\""));
    assert_eq!(field(&response, &header::ACCEPT_RANGES), Some("bytes"));
}

#[test]
fn head_has_the_fields_of_get_and_no_body() {
    for headers in [
        &[][..],
        &[("Range", "bytes=0-1,5-9")],
        &[("Range", "bytes=500-")],
    ] {
        let get = respond(&request("GET", headers), &entity(100), &Options::default());
        let head = respond(&request("HEAD", headers), &entity(100), &Options::default());
        assert_eq!(head.status, get.status);
        assert_eq!(head.body, Body::Empty);
        let same = |r: &Response| {
            r.headers
                .iter()
                .filter(|(n, _)| n != header::CONTENT_TYPE || !r.status.is_success())
                .filter(|(_, v)| !v.to_str().unwrap().starts_with("multipart/"))
                .count()
        };
        assert_eq!(same(&head), same(&get), "{headers:?}");
        assert_eq!(
            field(&head, &header::CONTENT_LENGTH),
            field(&get, &header::CONTENT_LENGTH)
        );
    }
}

#[test]
fn an_empty_file_is_200_with_an_empty_body() {
    let response = respond(&get(&[]), &entity(0), &Options::default());
    assert_eq!(
        (response.status, response.body),
        (StatusCode::OK, Body::Empty)
    );
}

#[test]
fn methods_other_than_get_and_head_are_405_with_allow() {
    for method in ["POST", "PUT", "DELETE", "get"] {
        let response = respond(&request(method, &[]), &entity(10), &Options::default());
        assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(field(&response, &header::ALLOW), Some("GET, HEAD"));
    }
}

#[test]
fn a_precompressed_entity_says_its_coding_and_varies() {
    let mut gz = entity(40);
    gz.encoding = Encoding::Gzip;
    gz.vary = true;
    let response = respond(&get(&[("Range", "bytes=0-9")]), &gz, &Options::default());
    assert_eq!(response.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(field(&response, &header::CONTENT_ENCODING), Some("gzip"));
    assert_eq!(field(&response, &header::VARY), Some("Accept-Encoding"));
    assert_eq!(
        field(&response, &header::CONTENT_RANGE),
        Some("bytes 0-9/40")
    );
    assert_eq!(
        field(&response, &header::CONTENT_TYPE),
        Some("text/plain; charset=utf-8")
    );
    // The 304 and the 416 vary too.
    let etag = gz.etag.clone().unwrap();
    let mut not_modified = get(&[]);
    not_modified.if_none_match = Some(etag.to_str().unwrap());
    let response = respond(&not_modified, &gz, &Options::default());
    assert_eq!(response.status, StatusCode::NOT_MODIFIED);
    assert_eq!(field(&response, &header::VARY), Some("Accept-Encoding"));
    let response = respond(&get(&[("Range", "bytes=40-")]), &gz, &Options::default());
    assert_eq!(response.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(field(&response, &header::VARY), Some("Accept-Encoding"));
}

#[test]
fn max_ranges_zero_turns_ranges_off() {
    let options = Options::default().max_ranges(0);
    let response = respond(&get(&[("Range", "bytes=0-0")]), &entity(10), &options);
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header(&header::ACCEPT_RANGES), None);
}

#[test]
fn a_not_modified_answer_has_validators_and_no_content_fields() {
    let response = respond(
        &get(&[("If-Modified-Since", LM)]),
        &entity(10),
        &Options::default(),
    );
    assert_eq!(response.status, StatusCode::NOT_MODIFIED);
    assert_eq!(response.body, Body::Empty);
    let names: Vec<&str> = response.headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["last-modified", "etag"]);
}

#[test]
fn unsatisfiable_is_416_with_the_length_and_a_text() {
    let response = respond(
        &get(&[("Range", "bytes=10-")]),
        &entity(10),
        &Options::default(),
    );
    assert_eq!(response.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(field(&response, &header::CONTENT_RANGE), Some("bytes */10"));
    let Body::Text(text) = &response.body else {
        panic!("{:?}", response.body)
    };
    assert_eq!(text, "416 Range Not Satisfiable\n");
    let length = field(&response, &header::CONTENT_LENGTH).unwrap();
    assert_eq!(length, text.len().to_string());
}

#[test]
fn multipart_bodies_are_exactly_their_content_length_and_their_ranges() {
    let data: Vec<u8> = (0..100u8).collect();
    let mut file = tempfile::tempfile().unwrap();
    std::io::Write::write_all(&mut file, &data).unwrap();
    let response = respond(
        &get(&[("Range", "bytes=90-,0-1, 5-9")]),
        &entity(100),
        &Options::default(),
    );
    assert_eq!(response.status, StatusCode::PARTIAL_CONTENT);
    let content_type = field(&response, &header::CONTENT_TYPE).unwrap();
    let boundary = content_type
        .strip_prefix("multipart/byteranges; boundary=")
        .unwrap();
    std::io::Seek::rewind(&mut file).unwrap();
    let mut body = Vec::new();
    let sent = futures_lite::future::block_on(send_body::<zc::Neutral, _>(
        &response.body,
        Some(&mut file),
        &mut body,
    ))
    .unwrap()
    .unwrap();
    assert_eq!((sent.parts, sent.bytes), (3, 17));
    let length: usize = field(&response, &header::CONTENT_LENGTH)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(body.len(), length);
    let mut expected = Vec::new();
    for (start, end) in [(90, 99), (0, 1), (5, 9)] {
        expected.extend_from_slice(
            format!(
                "\r\n--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes {start}-{end}/100\r\n\r\n"
            )
            .as_bytes(),
        );
        expected.extend_from_slice(&data[start..=end]);
    }
    expected.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    assert_eq!(body, expected);
}

#[test]
fn boundaries_differ_between_responses() {
    let one = respond(
        &get(&[("Range", "bytes=0-0,2-2")]),
        &entity(10),
        &Options::default(),
    );
    let two = respond(
        &get(&[("Range", "bytes=0-0,2-2")]),
        &entity(10),
        &Options::default(),
    );
    assert_ne!(
        one.header(&header::CONTENT_TYPE),
        two.header(&header::CONTENT_TYPE)
    );
}

#[test]
fn send_body_refuses_a_file_body_without_a_file_and_writes_text() {
    let body = Body::File { offset: 0, len: 1 };
    let mut out = Vec::new();
    let err = futures_lite::future::block_on(send_body::<zc::Neutral, _>(&body, None, &mut out))
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    let text = Response::error(StatusCode::NOT_FOUND, false).body;
    let sent =
        futures_lite::future::block_on(send_body::<zc::Neutral, _>(&text, None, &mut out)).unwrap();
    assert_eq!((sent, &out[..]), (None, &b"404 Not Found\n"[..]));
}

#[test]
fn a_file_that_shrank_is_an_error_not_a_short_body() {
    let mut file = tempfile::tempfile().unwrap();
    std::io::Write::write_all(&mut file, b"0123").unwrap();
    std::io::Seek::rewind(&mut file).unwrap();
    let body = Body::File { offset: 0, len: 10 };
    let mut out = Vec::new();
    let err = futures_lite::future::block_on(send_body::<zc::Neutral, _>(
        &body,
        Some(&mut file),
        &mut out,
    ))
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
}

#[test]
fn redirects_and_errors_have_text_bodies_but_not_for_head() {
    let redirect = Response::redirect("/docs/?x=1", false);
    assert_eq!(redirect.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(field(&redirect, &header::LOCATION), Some("/docs/?x=1"));
    assert_eq!(redirect.body, Body::Text("301 Moved Permanently\n".into()));
    assert_eq!(
        Response::redirect("/a\nb", false).status,
        StatusCode::BAD_REQUEST
    );
    let head = Response::error(StatusCode::FORBIDDEN, true);
    assert_eq!(head.body, Body::Empty);
    assert_eq!(field(&head, &header::CONTENT_LENGTH), Some("14"));
}
