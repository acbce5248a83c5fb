//! Connections hyper does not write by reference (writev(false), HTTP/2), clients that
//! vanish, bodies that end early: exact bytes or a closed connection, never a wrong byte;
//! no fd leaked, and the server keeps serving.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use support::{Client, Log, Tree};
use tokio::io::AsyncReadExt;
use zc_hyper::UserSpace;

fn app(tree: &Tree) -> axum::Router {
    axum::Router::new().fallback_service(zc_hyper::ServeDir::new(tree.root()))
}

/// Serves `app` with hyper's HTTP/1 builder as `configure` sets it, over ZcIo.
async fn serve_http1(
    app: axum::Router,
    configure: fn(&mut hyper::server::conn::http1::Builder),
) -> (SocketAddr, Log) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Log::default();
    let hook_log = log.clone();
    let hook: zc_hyper::ResponseHook = std::sync::Arc::new(move |c: &zc_hyper::Completed| {
        hook_log.0.lock().unwrap().push(c.clone())
    });
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let io = zc_hyper::ZcIo::new(stream);
            let service = io
                .service(TowerToHyperService::new(app.clone()))
                .on_response(hook.clone());
            let mut builder = hyper::server::conn::http1::Builder::new();
            configure(&mut builder);
            tokio::spawn(async move {
                let _ = builder.serve_connection(io, service).await;
            });
        }
    });
    (addr, log)
}

async fn fetch_three_times(addr: SocketAddr, tree: &Tree) {
    let mut client = Client::connect(addr).await;
    for name in ["mid.bin", "big.bin", "mid.bin"] {
        let reply = client.get(&format!("/{name}"), &[]).await;
        assert_eq!(reply.status, 200);
        assert!(reply.body == tree.bytes(name), "{name}: wrong bytes");
    }
}

const FILES: [(&str, usize); 2] = [("mid.bin", 200_000), ("big.bin", 5 << 20)];

#[tokio::test]
async fn flattened_writes_are_never_proven_and_get_exact_bytes() {
    let tree = Tree::new(&FILES);
    type Configure = fn(&mut hyper::server::conn::http1::Builder);
    let writev_off: Configure = |b| {
        b.writev(false);
    };
    let pipeline_flush: Configure = |b| {
        b.pipeline_flush(true);
    };
    for configure in [writev_off, pipeline_flush] {
        let (addr, log) = serve_http1(app(&tree), configure).await;
        fetch_three_times(addr, &tree).await;
        for completed in log.wait(3).await {
            let file = completed.file.unwrap();
            assert_eq!(file.sendfile_bytes(), 0, "{completed}");
            assert_eq!(
                file.user_space_reason(),
                Some(UserSpace::ConnectionUnproven)
            );
        }
    }
}

#[tokio::test]
async fn hyper_http1_with_its_defaults_goes_by_sendfile() {
    let tree = Tree::new(&FILES);
    let (addr, log) = serve_http1(app(&tree), |_| {}).await;
    fetch_three_times(addr, &tree).await;
    let log = log.wait(3).await;
    for completed in &log[1..] {
        let file = completed.file.unwrap();
        assert_eq!(file.sendfile_bytes(), file.file_bytes(), "{completed}");
    }
}

#[tokio::test]
async fn http2_prior_knowledge_gets_exact_bytes_in_user_space() {
    let tree = Tree::new(&FILES);
    let (addr, log) = support::serve(app(&tree)).await;
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    for name in ["mid.bin", "big.bin", "mid.bin"] {
        let request = http::Request::get(format!("http://test/{name}"))
            .body(Empty::<Bytes>::new())
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.version(), http::Version::HTTP_2);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert!(body == tree.bytes(name), "{name}: wrong bytes");
    }
    for completed in log.wait(3).await {
        let file = completed.file.unwrap();
        assert_eq!(file.sendfile_bytes(), 0, "{completed}");
        assert_eq!(file.user_space_reason(), Some(UserSpace::NotHttp1));
    }
}

pin_project_lite::pin_project! {
    /// A body that ends after `left` frames, dropping the rest (a layer that gives up).
    struct Cut<B> {
        #[pin]
        inner: Option<B>,
        left: usize,
    }
}

impl<B: http_body::Body> http_body::Body for Cut<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<B::Data>, B::Error>>> {
        let mut this = self.project();
        if *this.left == 0 {
            this.inner.set(None);
            return std::task::Poll::Ready(None);
        }
        let Some(inner) = this.inner.as_mut().as_pin_mut() else {
            return std::task::Poll::Ready(None);
        };
        let frame = std::task::ready!(inner.poll_frame(cx));
        *this.left -= 1;
        std::task::Poll::Ready(frame)
    }
}

#[tokio::test]
async fn a_body_that_ends_early_closes_the_connection_after_exact_bytes() {
    let tree = Tree::new(&[("big.bin", 3 << 20), ("small.bin", 100)]);
    let app = app(&tree).layer(axum::middleware::map_response(
        |res: axum::response::Response| async move {
            res.map(|body| {
                axum::body::Body::new(Cut {
                    inner: Some(body),
                    left: 2,
                })
            })
        },
    ));
    let (addr, _log) = support::serve(app).await;
    // A multipart reply cut after its first part head and one file frame: on a verified
    // connection the first range (a token), on a fresh one the probe prefix.
    for verified in [true, false] {
        let mut client = Client::connect(addr).await;
        if verified {
            client.get("/small.bin", &[]).await;
        }
        let range = "Range: bytes=0-99999,200000-299999";
        client.send("GET", "/big.bin", &[range]).await;
        let mut wire = Vec::new();
        tokio::time::timeout(
            Duration::from_secs(20),
            client.stream.read_to_end(&mut wire),
        )
        .await
        .expect("the server closes the connection")
        .unwrap();
        // hyper may drop what it queued when the body fails: what arrived, if anything,
        // is the head and a prefix of the body.
        let Some(head_end) = wire.windows(4).position(|w| w == b"\r\n\r\n") else {
            assert!(
                wire.is_empty() || wire.starts_with(b"HTTP/1.1 20"),
                "{wire:?}"
            );
            continue;
        };
        let mut body = &wire[head_end + 4..];
        if !body.is_empty() {
            let part_head = b"\r\n--";
            assert!(body.starts_with(part_head));
            let Some(part_head_end) = body.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            body = &body[part_head_end + 4..];
            assert!(body.len() <= 100_000, "no byte of the second part");
        }
        assert!(
            body == &tree.bytes("big.bin")[..body.len()],
            "a prefix of the file"
        );
    }
}
