//! The observer: [`ZcService`], the outermost service of a connection. It sees each final
//! response, after every layer of the user's service, arms the [`ZcBody`](crate::ZcBody)
//! it carries when the response and the connection allow it, and watches the frames the
//! layers return ([`ObservedBody`]): a body's identity token that comes back unchanged
//! becomes a file token for hyper, pushed onto the connection's FIFO first.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, Uri, Version};
use http_body::{Body, Frame, SizeHint};

use crate::body::{BodyReport, BodyShared, Delivery, UserSpace, Verdict};
use crate::io::{ConnShared, FileToken};
use crate::token;

/// The function that [`ZcService::on_response`] calls once per response.
pub type ResponseHook = Arc<dyn Fn(&Completed) + Send + Sync>;

/// A finished response, as [`ZcService::on_response`] sees it: after its last byte left, or
/// when its connection ended.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Completed {
    /// The peer, when the server knows it ([`serve`](crate::serve) does).
    pub peer: Option<SocketAddr>,
    /// The request's method.
    pub method: Method,
    /// The request's target.
    pub uri: Uri,
    /// The request's version.
    pub version: Version,
    /// The response's status; `None` when the service failed.
    pub status: Option<StatusCode>,
    /// How the file body left, when the response carried a [`ZcBody`](crate::ZcBody).
    pub file: Option<BodyReport>,
}

impl fmt::Display for Completed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(peer) = self.peer {
            write!(f, "{peer} ")?;
        }
        write!(f, "\"{} {} {:?}\" ", self.method, self.uri, self.version)?;
        match self.status {
            Some(status) => write!(f, "{}", status.as_u16())?,
            None => f.write_str("-")?,
        }
        if let Some(file) = &self.file {
            write!(f, " {file}")?;
        }
        Ok(())
    }
}

/// One response's record, shared by its body and its file tokens; the hook runs when the
/// last of them is dropped.
pub(crate) struct LogEntry {
    hook: ResponseHook,
    completed: Mutex<Completed>,
    body: Option<Arc<BodyShared>>,
}

impl Drop for LogEntry {
    fn drop(&mut self) {
        let completed = self.completed.get_mut().unwrap_or_else(|e| e.into_inner());
        completed.file = self.body.as_ref().map(|body| body.report());
        (self.hook)(completed);
    }
}

/// A service observed for one connection: made by [`ZcIo::service`](crate::ZcIo::service)
/// (or by [`serve`](crate::serve)), it is the service to give hyper with that connection.
///
/// It calls the inner service (a `hyper::service::Service`; for a tower service such as an
/// axum `Router`, wrap it in `hyper_util::service::TowerToHyperService`), then decides for
/// each response how its [`ZcBody`](crate::ZcBody), if it has one, leaves:
///
/// * by `sendfile` if the request is HTTP/1.x, the connection is verified (hyper has passed
///   it a body frame by reference; on a fresh connection, the body's first
///   [`PROBE_PREFIX`](crate::PROBE_PREFIX) bytes, sent in user space, are that frame), the
///   response still has the status, `Content-Length` and
///   `Content-Encoding` it had when the body was attached, and the body has not started;
///   then each file range goes by `sendfile` if the layers return the body's token for it
///   unchanged;
/// * through user space otherwise, with the reason in the body's [`Delivery`].
///
/// Responses without a `ZcBody` are passed through; on a connection not yet verified, their
/// first data frames serve as probes.
pub struct ZcService<S> {
    inner: S,
    conn: Arc<ConnShared>,
    peer: Option<SocketAddr>,
    hook: Option<ResponseHook>,
}

impl<S> ZcService<S> {
    pub(crate) fn new(inner: S, conn: Arc<ConnShared>) -> ZcService<S> {
        ZcService {
            inner,
            conn,
            peer: None,
            hook: None,
        }
    }

    /// Calls `hook` once per response, after its last byte left (or its connection ended):
    /// an access log with the path each file body took.
    pub fn on_response(mut self, hook: ResponseHook) -> ZcService<S> {
        self.hook = Some(hook);
        self
    }

    /// The peer's address, for [`Completed::peer`] (and, with the `axum` feature, axum's
    /// `ConnectInfo<SocketAddr>` in each request's extensions).
    pub fn peer(mut self, peer: SocketAddr) -> ZcService<S> {
        self.peer = Some(peer);
        self
    }
}

impl<S: Clone> Clone for ZcService<S> {
    fn clone(&self) -> Self {
        ZcService {
            inner: self.inner.clone(),
            conn: self.conn.clone(),
            peer: self.peer,
            hook: self.hook.clone(),
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for ZcService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZcService")
            .field("inner", &self.inner)
            .field("verified", &self.conn.is_verified())
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> hyper::service::Service<Request<ReqBody>> for ZcService<S>
where
    S: hyper::service::Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Body<Data = Bytes>,
{
    type Response = Response<ObservedBody<ResBody>>;
    type Error = S::Error;
    type Future = ObserveFuture<S::Future>;

    #[cfg_attr(not(feature = "axum"), allow(unused_mut))]
    fn call(&self, mut req: Request<ReqBody>) -> Self::Future {
        #[cfg(feature = "axum")]
        if let Some(peer) = self.peer {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
        }
        let http1 = matches!(req.version(), Version::HTTP_10 | Version::HTTP_11);
        let log = self.hook.as_ref().map(|hook| {
            (
                hook.clone(),
                Completed {
                    peer: self.peer,
                    method: req.method().clone(),
                    uri: req.uri().clone(),
                    version: req.version(),
                    status: None,
                    file: None,
                },
            )
        });
        ObserveFuture {
            inner: self.inner.call(req),
            conn: Some(self.conn.clone()),
            http1,
            log,
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`ZcService`]: the inner service's, with the response observed.
    #[must_use = "futures do nothing unless polled"]
    pub struct ObserveFuture<F> {
        #[pin]
        inner: F,
        conn: Option<Arc<ConnShared>>,
        http1: bool,
        log: Option<(ResponseHook, Completed)>,
    }
}

impl<F> fmt::Debug for ObserveFuture<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObserveFuture").finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ObserveFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Body<Data = Bytes>,
{
    type Output = Result<Response<ObservedBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        let conn = this.conn.take().expect("polled after completion");
        let response = match result {
            Ok(response) => response,
            Err(e) => {
                if let Some((hook, completed)) = this.log.take() {
                    hook(&completed);
                }
                return Poll::Ready(Err(e));
            }
        };
        let (parts, body) = response.into_parts();
        let verified = conn.is_verified();
        let delivery = parts.extensions.get::<Delivery>().map(|d| d.0.clone());
        let mode = match &delivery {
            Some(shared) => {
                // On a connection not yet proven, the body is armed to probe it (its first
                // file frame a short real prefix), unless the connection has failed to prove
                // itself before (hyper flattens its writes).
                let probe = *this.http1 && !verified && conn.may_probe();
                let refused = if !*this.http1 {
                    Some(UserSpace::NotHttp1)
                } else if !verified && !probe {
                    Some(UserSpace::ConnectionUnproven)
                } else {
                    None
                };
                if shared.try_arm(&parts, refused, probe) {
                    Mode::Zc {
                        shared: shared.clone(),
                        proof: if probe { Proof::Probing } else { Proof::Proven },
                    }
                } else if *this.http1 && !verified {
                    Mode::Probe
                } else {
                    Mode::Plain
                }
            }
            None if *this.http1 && !verified => Mode::Probe,
            None => Mode::Plain,
        };
        let log = this.log.take().map(|(hook, mut completed)| {
            completed.status = Some(parts.status);
            Arc::new(LogEntry {
                hook,
                completed: Mutex::new(completed),
                body: delivery,
            })
        });
        let body = ObservedBody {
            inner: body,
            mode,
            conn,
            log,
        };
        Poll::Ready(Ok(Response::from_parts(parts, body)))
    }
}

enum Mode {
    /// Passed through.
    Plain,
    /// Passed through; data frames become the connection's probes until it is verified.
    Probe,
    /// The armed body's frames are checked, its unchanged tokens committed.
    Zc {
        shared: Arc<BodyShared>,
        proof: Proof,
    },
}

/// Where an armed body stands with its connection's proof.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Proof {
    /// The connection was proven when the body was armed.
    Proven,
    /// The body's probe prefix has not reached the observer yet.
    Probing,
    /// The probe prefix went to hyper; the next poll settles the body (`woken`: the
    /// observer has answered `Pending` once, so that hyper flushes the prefix).
    Sent { woken: bool },
}

pin_project_lite::pin_project! {
    /// The body [`ZcService`] hands hyper: the service's body, with an armed
    /// [`ZcBody`](crate::ZcBody)'s unchanged tokens turned into file tokens.
    pub struct ObservedBody<B> {
        #[pin]
        inner: B,
        mode: Mode,
        conn: Arc<ConnShared>,
        log: Option<Arc<LogEntry>>,
    }
}

impl<B> fmt::Debug for ObservedBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.mode {
            Mode::Plain => "plain",
            Mode::Probe => "probe",
            Mode::Zc { .. } => "zero-copy",
        };
        f.debug_struct("ObservedBody")
            .field("mode", &mode)
            .finish_non_exhaustive()
    }
}

impl<B: Body<Data = Bytes>> Body for ObservedBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let mut this = self.project();
        let shared = match this.mode {
            Mode::Plain => return this.inner.poll_frame(cx),
            Mode::Probe => {
                let frame = ready!(this.inner.poll_frame(cx));
                if let Some(Ok(data)) = &frame {
                    if let Some(data) = data.data_ref().filter(|d| !d.is_empty()) {
                        if !this.conn.is_verified() {
                            this.conn.add_probe(data, false);
                        }
                    }
                }
                return Poll::Ready(frame);
            }
            Mode::Zc { shared, proof } => (shared, proof),
        };
        let (shared, proof) = shared;
        loop {
            if let Proof::Sent { woken } = *proof {
                if this.conn.is_verified() {
                    shared.settle_probe(true);
                    *proof = Proof::Proven;
                } else if !woken {
                    // hyper flushes what it queued when the body answers `Pending`: the
                    // prefix then reaches the connection, which checks its address. One
                    // self-wake per response, and only on a connection not yet proven.
                    *proof = Proof::Sent { woken: true };
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                } else {
                    this.conn.probe_failed();
                    shared.settle_probe(false);
                    *proof = Proof::Proven;
                }
            }
            let frame = match this.inner.as_mut().poll_frame(cx) {
                Poll::Pending => {
                    shared.on_layer_pending();
                    return Poll::Pending;
                }
                Poll::Ready(Some(Ok(frame))) => frame,
                other => return other,
            };
            let data = match frame.into_data() {
                Ok(data) => data,
                Err(frame) => return Poll::Ready(Some(Ok(frame))),
            };
            match shared.on_frame(&data) {
                Verdict::Forward if data.is_empty() => continue,
                Verdict::Forward => {
                    // Whatever the layers did to it, the frame hyper gets can still prove
                    // the connection for the responses after this one.
                    if !this.conn.is_verified() {
                        this.conn.add_probe(&data, false);
                    }
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Verdict::Probe { more } => {
                    if !this.conn.is_verified() {
                        this.conn.add_probe(&data, more);
                    }
                    *proof = Proof::Sent { woken: false };
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Verdict::Commit { start, len } => {
                    let len = len as usize;
                    let (frame, offset) = token::file_token(len);
                    this.conn.push_token(FileToken {
                        offset,
                        len,
                        start,
                        body: shared.clone(),
                        _log: this.log.clone(),
                    });
                    return Poll::Ready(Some(Ok(Frame::data(frame))));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
