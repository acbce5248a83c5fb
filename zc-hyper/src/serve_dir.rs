//! [`ServeDir`]: tower-http's `ServeDir`, answering with `zc_http`'s decision and a
//! [`ZcBody`].

use std::borrow::Cow;
use std::convert::Infallible;
use std::fmt;
use std::future::{ready, Ready};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, StatusCode};

use crate::body::{Segment, ZcBody};

/// Serves the files beneath a directory: tower-http's `ServeDir`, with bodies that leave by
/// `sendfile` when served through [`serve`](crate::serve) (and through user space, without
/// a blocking-pool hop for a cached file, anywhere else).
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let app = axum::Router::new()
///     .nest_service("/assets", zc_hyper::ServeDir::new("assets").precompressed_gzip());
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// zc_hyper::serve(listener, app).await
/// # }
/// ```
///
/// The semantics are `zc_http`'s ([`zc_http::Root::serve`]): `GET` and `HEAD` (405
/// otherwise); ranges (206, `multipart/byteranges` for several, 416); `ETag`,
/// `Last-Modified` and the preconditions in RFC 9110's order (304, 412); `If-Range`;
/// `Content-Type` from the extension; a directory's `index.html`, and the 301 that adds its
/// slash; precompressed `.br`/`.gz` siblings by `Accept-Encoding`; no path outside the
/// directory (`openat2` with `RESOLVE_BENEATH`) and no dotfile. The file is opened and
/// `fstat`ed on the calling thread (microseconds for a cached directory entry, as nginx
/// does), not on the blocking pool.
///
/// Differences from tower-http's: no fallback service (a missing file is a 404), no
/// `precompressed_deflate`/`precompressed_zstd`; a directory without an index is 403
/// (nginx's answer) and names starting with `.` are 404 unless [`dotfiles`](Self::dotfiles).
/// The directory is opened on the first request; if it cannot be, every request is a 404,
/// as tower-http's answer for a missing directory.
#[derive(Clone)]
pub struct ServeDir {
    inner: Arc<Inner>,
}

#[derive(Clone, Debug)]
struct Config {
    path: PathBuf,
    index: bool,
    br: bool,
    gzip: bool,
    dotfiles: bool,
    max_ranges: Option<usize>,
}

struct Inner {
    config: Config,
    root: OnceLock<Option<zc_http::Root>>,
}

impl fmt::Debug for ServeDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ServeDir").field(&self.inner.config).finish()
    }
}

impl ServeDir {
    /// Serves the files beneath `path`.
    pub fn new(path: impl AsRef<Path>) -> ServeDir {
        ServeDir::with(Config {
            path: path.as_ref().to_path_buf(),
            index: true,
            br: false,
            gzip: false,
            dotfiles: false,
            max_ranges: None,
        })
    }

    fn with(config: Config) -> ServeDir {
        ServeDir {
            inner: Arc::new(Inner {
                config,
                root: OnceLock::new(),
            }),
        }
    }

    fn configure(&self, change: impl FnOnce(&mut Config)) -> ServeDir {
        let mut config = self.inner.config.clone();
        change(&mut config);
        ServeDir::with(config)
    }

    /// Serves a directory asked for with its slash by its `index.html` (the default).
    pub fn append_index_html_on_directories(self, append: bool) -> ServeDir {
        self.configure(|c| c.index = append)
    }

    /// Serves `<name>.br` to clients that accept Brotli, when it exists.
    pub fn precompressed_br(self) -> ServeDir {
        self.configure(|c| c.br = true)
    }

    /// Serves `<name>.gz` to clients that accept gzip, when it exists.
    pub fn precompressed_gzip(self) -> ServeDir {
        self.configure(|c| c.gzip = true)
    }

    /// Serves names starting with `.` (off by default: 404).
    pub fn dotfiles(self, dotfiles: bool) -> ServeDir {
        self.configure(|c| c.dotfiles = dotfiles)
    }

    /// Answers a request for more ranges than `max` with the whole file (200); 0 turns
    /// ranges off (nginx's `max_ranges`; `zc_http::Options`' default otherwise).
    pub fn max_ranges(self, max: usize) -> ServeDir {
        self.configure(|c| c.max_ranges = Some(max))
    }

    fn root(&self) -> Option<&zc_http::Root> {
        self.inner
            .root
            .get_or_init(|| {
                let config = &self.inner.config;
                let mut root = zc_http::Root::open(&config.path)
                    .ok()?
                    .append_index_html_on_directories(config.index)
                    .dotfiles(config.dotfiles);
                if config.br {
                    root = root.precompressed_br();
                }
                if config.gzip {
                    root = root.precompressed_gzip();
                }
                if let Some(max) = config.max_ranges {
                    let options = root.get_options().clone().max_ranges(max);
                    root = root.options(options);
                }
                Some(root)
            })
            .as_ref()
    }

    /// The response to `request` (what [`call`](tower_service::Service::call) answers).
    pub fn respond<B>(&self, request: &Request<B>) -> Response<ZcBody> {
        let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
        let method = request.method().as_str();
        let reply = match self.root() {
            Some(root) => root.serve(&zc_http::Request::from_headers(
                method,
                target,
                request.headers(),
            )),
            None => zc_http::Reply {
                response: zc_http::Response::error(StatusCode::NOT_FOUND, method == "HEAD"),
                file: None,
            },
        };
        let zc_http::Reply { response, file } = reply;
        let (mut parts, ()) = Response::new(()).into_parts();
        parts.status = response.status;
        parts.headers.reserve(response.headers.len());
        for (name, value) in response.headers {
            parts.headers.append(name, value);
        }
        let body = match (response.body, file) {
            (zc_http::Body::Empty, _) => ZcBody::empty(),
            (zc_http::Body::Text(Cow::Borrowed(text)), _) => ZcBody::bytes(text),
            (zc_http::Body::Text(Cow::Owned(text)), _) => ZcBody::bytes(text),
            // zc_http opens the file at offset 0.
            (zc_http::Body::File { offset, len }, Some(file)) => {
                ZcBody::from_segments(Some(file), 0, vec![Segment::File { start: offset, len }])
            }
            (zc_http::Body::Multipart(multipart), Some(file)) => {
                let mut segments = Vec::with_capacity(multipart.parts.len() * 2 + 1);
                for part in multipart.parts {
                    segments.push(Segment::Bytes(Bytes::from(part.head)));
                    segments.push(Segment::File {
                        start: part.offset,
                        len: part.len,
                    });
                }
                segments.push(Segment::Bytes(Bytes::from(multipart.end)));
                ZcBody::from_segments(Some(file), 0, segments)
            }
            // zc_http gives the file of every body that reads one.
            (_, None) => {
                parts.status = StatusCode::INTERNAL_SERVER_ERROR;
                parts.headers.clear();
                ZcBody::empty()
            }
        };
        body.into_response(parts)
    }
}

impl<B> tower_service::Service<Request<B>> for ServeDir {
    type Response = Response<ZcBody>;
    type Error = Infallible;
    type Future = Ready<Result<Response<ZcBody>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        ready(Ok(self.respond(&request)))
    }
}
