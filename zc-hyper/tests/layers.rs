//! Layers between the file body and hyper: whatever they do to the frames, the client
//! receives the file's exact bytes, and the body goes by sendfile only where the layer
//! passed its frames through.

mod support;

use std::io::Read as _;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use http_body::Frame;
use support::{Client, Tree};
use zc_hyper::UserSpace;

/// What a meddling layer does to the body's frames.
#[derive(Clone, Copy, Debug)]
enum Meddle {
    /// Copies every data frame into new `Bytes`.
    CopyAll,
    /// Copies every third data frame, passes the others.
    CopyEveryThird,
    /// Holds one frame back: returns frame n when it has frame n + 1.
    HoldOne,
    /// Answers `Pending` once (waking itself) before returning each frame.
    PendingOnce,
}

pin_project_lite::pin_project! {
    struct Meddled {
        #[pin]
        inner: Body,
        how: Meddle,
        seen: usize,
        held: Option<Frame<Bytes>>,
        ended: bool,
        yielded: bool,
    }
}

impl http_body::Body for Meddled {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let mut this = self.project();
        match this.how {
            Meddle::CopyAll | Meddle::CopyEveryThird => {
                let frame = match std::task::ready!(this.inner.poll_frame(cx)) {
                    Some(Ok(frame)) => frame,
                    other => return Poll::Ready(other),
                };
                *this.seen += 1;
                let copy = matches!(this.how, Meddle::CopyAll) || *this.seen % 3 == 0;
                Poll::Ready(Some(Ok(if copy {
                    frame.map_data(|d| Bytes::copy_from_slice(&d))
                } else {
                    frame
                })))
            }
            Meddle::HoldOne => loop {
                if *this.ended {
                    return Poll::Ready(this.held.take().map(Ok));
                }
                match std::task::ready!(this.inner.as_mut().poll_frame(cx)) {
                    Some(Ok(frame)) => {
                        if let Some(held) = this.held.replace(frame) {
                            return Poll::Ready(Some(Ok(held)));
                        }
                    }
                    Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                    None => *this.ended = true,
                }
            },
            Meddle::PendingOnce => {
                if this.held.is_none() {
                    match std::task::ready!(this.inner.poll_frame(cx)) {
                        Some(Ok(frame)) => *this.held = Some(frame),
                        other => return Poll::Ready(other),
                    }
                }
                if !*this.yielded {
                    *this.yielded = true;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                *this.yielded = false;
                Poll::Ready(this.held.take().map(Ok))
            }
        }
    }
}

fn meddling(tree: &Tree, how: Meddle) -> axum::Router {
    support::handler_app(tree).layer(axum::middleware::map_response(
        move |res: axum::response::Response| async move {
            res.map(|inner| {
                Body::new(Meddled {
                    inner,
                    how,
                    seen: 0,
                    held: None,
                    ended: false,
                    yielded: false,
                })
            })
        },
    ))
}

/// Requests each file three times on one connection; checks every byte; returns the
/// reports of the responses after the first (the first of a connection is its probe).
async fn fetch_all(
    app: axum::Router,
    tree: &Tree,
    names: &[&str],
    headers: &[&str],
) -> Vec<zc_hyper::BodyReport> {
    let (addr, log) = support::serve(app).await;
    let mut client = Client::connect(addr).await;
    let mut n = 0;
    for name in names {
        for _ in 0..3 {
            let reply = client.get(&format!("/f/{name}"), headers).await;
            assert_eq!(reply.status, 200);
            let body = match reply.header("content-encoding") {
                Some("gzip") => {
                    let mut out = Vec::new();
                    flate2::read::GzDecoder::new(&reply.body[..])
                        .read_to_end(&mut out)
                        .unwrap();
                    out
                }
                None => reply.body,
                Some(other) => panic!("content-encoding {other}"),
            };
            assert!(body == tree.bytes(name), "{name}: wrong bytes");
            n += 1;
        }
    }
    let log = log.wait(n).await;
    log[1..].iter().map(|c| c.file.unwrap()).collect()
}

const FILES: [(&str, usize); 3] = [
    ("small.bin", 1000),
    ("mid.bin", 200_000),
    ("big.bin", 3 << 20),
];
const NAMES: [&str; 3] = ["small.bin", "mid.bin", "big.bin"];

#[tokio::test]
async fn a_layer_that_copies_every_frame_gets_the_bytes_in_user_space() {
    let tree = Tree::new(&FILES);
    let reports = fetch_all(meddling(&tree, Meddle::CopyAll), &tree, &NAMES, &[]).await;
    for report in reports {
        assert_eq!(report.sendfile_bytes(), 0, "{report:?}");
        assert_eq!(report.user_space_reason(), Some(UserSpace::FrameChanged));
    }
}

#[tokio::test]
async fn a_layer_that_copies_some_frames_gets_exact_bytes() {
    let tree = Tree::new(&FILES);
    let reports = fetch_all(meddling(&tree, Meddle::CopyEveryThird), &tree, &NAMES, &[]).await;
    // A whole-file body is one token: the layer passes it (its first frame) unchanged.
    for report in reports {
        assert!(report.is_complete(), "{report:?}");
    }
}

#[tokio::test]
async fn a_layer_that_holds_a_frame_back_gets_the_bytes_in_user_space() {
    let tree = Tree::new(&FILES);
    let reports = fetch_all(meddling(&tree, Meddle::HoldOne), &tree, &NAMES, &[]).await;
    for report in reports {
        assert_eq!(report.sendfile_bytes(), 0, "{report:?}");
        assert_eq!(report.user_space_reason(), Some(UserSpace::PolledAgain));
    }
}

#[tokio::test]
async fn a_layer_pending_on_a_token_gets_the_bytes_in_user_space() {
    let tree = Tree::new(&FILES);
    let reports = fetch_all(meddling(&tree, Meddle::PendingOnce), &tree, &NAMES, &[]).await;
    for report in reports {
        assert_eq!(report.sendfile_bytes(), 0, "{report:?}");
        assert_eq!(report.user_space_reason(), Some(UserSpace::LayerPending));
    }
}

#[tokio::test]
async fn compression_gets_the_bytes_and_identity_keeps_sendfile() {
    let tree = Tree::new(&FILES);
    let compressed = |tree: &Tree| {
        support::handler_app(tree).layer(tower_http::compression::CompressionLayer::new())
    };
    let gzip = ["Accept-Encoding: gzip"];
    let reports = fetch_all(compressed(&tree), &tree, &NAMES, &gzip).await;
    for report in reports {
        assert_eq!(report.sendfile_bytes(), 0, "{report:?}");
        assert!(report.user_space_reason().is_some(), "{report:?}");
    }
    // Not compressed (no Accept-Encoding): the layer passes the frames through.
    let reports = fetch_all(compressed(&tree), &tree, &NAMES, &[]).await;
    for report in reports {
        assert_eq!(report.sendfile_bytes(), report.file_bytes(), "{report:?}");
    }
}

#[tokio::test]
async fn an_unlayered_app_sends_every_file_by_sendfile() {
    let tree = Tree::new(&FILES);
    let reports = fetch_all(support::handler_app(&tree), &tree, &NAMES, &[]).await;
    for report in reports {
        assert_eq!(report.sendfile_bytes(), report.file_bytes(), "{report:?}");
        assert_eq!(report.user_space_reason(), None);
    }
}
