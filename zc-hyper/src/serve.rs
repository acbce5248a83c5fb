//! [`serve`]: `axum::serve`'s shape over [`ZcIo`] and the observer.

use std::convert::Infallible;
use std::error::Error as StdError;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::TokioExecutor;
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};

use crate::observe::{Completed, ResponseHook};
use crate::ZcIo;

/// Serves `app` on `listener` as `axum::serve` does (HTTP/1.1, and HTTP/2 with prior
/// knowledge, through hyper-util's auto builder; upgrades), with each connection a
/// [`ZcIo`] observed by a [`ZcService`](crate::ZcService): the file bodies
/// ([`ZcBody`](crate::ZcBody), which [`ServeDir`](crate::ServeDir) returns) of HTTP/1.x
/// responses leave by `sendfile`.
///
/// For an axum app the change is the serve call:
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let app = axum::Router::new().fallback_service(zc_hyper::ServeDir::new("assets"));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// zc_hyper::serve(listener, app).await // was: axum::serve(listener, app).await
/// # }
/// ```
///
/// `app` is any tower service of `Request<hyper::body::Incoming>` (an axum `Router`), cloned
/// per connection. Each accepted socket gets `TCP_NODELAY` (nginx's default for keep-alive
/// connections; the head and the body of a file response are coalesced with `MSG_MORE`
/// anyway). With the `axum` feature, each request carries axum's
/// `ConnectInfo<SocketAddr>`, so `ConnectInfo` extractors work without
/// `into_make_service_with_connect_info`.
///
/// # Errors
///
/// The future never ends by itself (as `axum::serve`'s): accept errors are not fatal (a
/// connection error is skipped; others, such as running out of fds, pause accepting for a
/// second), and a connection's errors end only that connection.
pub fn serve<S, B>(listener: TcpListener, app: S) -> Serve<S>
where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    Serve {
        listener,
        app,
        hook: None,
    }
}

/// The future of [`serve`] (through `IntoFuture`), and its options.
#[must_use = "futures do nothing unless awaited"]
pub struct Serve<S> {
    listener: TcpListener,
    app: S,
    hook: Option<ResponseHook>,
}

impl<S> fmt::Debug for Serve<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Serve")
            .field("listener", &self.listener)
            .finish_non_exhaustive()
    }
}

impl<S> Serve<S> {
    /// Calls `hook` once per response, after its last byte left: see
    /// [`ZcService::on_response`](crate::ZcService::on_response).
    pub fn on_response(mut self, hook: impl Fn(&Completed) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// Stops accepting when `signal` completes, and ends once every connection has finished
    /// its current response (hyper's graceful shutdown).
    pub fn with_graceful_shutdown<F>(self, signal: F) -> WithGracefulShutdown<S, F>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        WithGracefulShutdown {
            serve: self,
            signal,
        }
    }

    /// The listener's address.
    ///
    /// # Errors
    ///
    /// As `TcpListener::local_addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

/// [`Serve`] with a shutdown signal.
#[must_use = "futures do nothing unless awaited"]
pub struct WithGracefulShutdown<S, F> {
    serve: Serve<S>,
    signal: F,
}

impl<S, F> fmt::Debug for WithGracefulShutdown<S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithGracefulShutdown")
            .field("serve", &self.serve)
            .finish_non_exhaustive()
    }
}

/// The boxed future `serve(..).await` runs.
pub type ServeFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

impl<S, B> IntoFuture for Serve<S>
where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    type Output = io::Result<()>;
    type IntoFuture = ServeFuture;

    fn into_future(self) -> ServeFuture {
        Box::pin(run(self, std::future::pending()))
    }
}

impl<S, B, F> IntoFuture for WithGracefulShutdown<S, F>
where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
    F: Future<Output = ()> + Send + 'static,
{
    type Output = io::Result<()>;
    type IntoFuture = ServeFuture;

    fn into_future(self) -> ServeFuture {
        Box::pin(run(self.serve, self.signal))
    }
}

async fn run<S, B>(serve: Serve<S>, signal: impl Future<Output = ()>) -> io::Result<()>
where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    let mut builder = Builder::new(TokioExecutor::new());
    // As axum::serve: the CONNECT protocol, for WebSockets over HTTP/2.
    builder.http2().enable_connect_protocol();
    let graceful = GracefulShutdown::new();
    let mut signal = std::pin::pin!(signal);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = serve.listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) if is_connection_error(&e) => continue,
                // Out of fds or memory: give the running connections time to end.
                Err(_) => {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
            () = signal.as_mut() => break,
        };
        let conn = connection(
            &builder,
            stream,
            peer,
            serve.app.clone(),
            serve.hook.clone(),
        );
        tokio::spawn(graceful.watch(conn));
    }
    drop(serve.listener);
    graceful.shutdown().await;
    Ok(())
}

/// One connection: a [`ZcIo`] and its observed service, served by hyper-util's auto builder.
fn connection<S, B>(
    builder: &Builder<TokioExecutor>,
    stream: TcpStream,
    peer: SocketAddr,
    app: S,
    hook: Option<ResponseHook>,
) -> impl hyper_util::server::graceful::GracefulConnection<Error = Box<dyn StdError + Send + Sync>>
       + Send
       + 'static
where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    // Best effort: a socket that refuses it still serves.
    let _ = stream.set_nodelay(true);
    let io = ZcIo::new(stream);
    let mut service = io.service(TowerToHyperService::new(app)).peer(peer);
    if let Some(hook) = hook {
        service = service.on_response(hook);
    }
    builder
        .serve_connection_with_upgrades(io, service)
        .into_owned()
}

/// Errors of one connection, not of the listener (axum's and hyper's accept loops skip them).
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
