//! [`ZcBody`], a response body made of file ranges and literal bytes, and its shared state
//! ([`Delivery`]), through which the observer arms it, checks its frames, and commits ranges
//! to the connection.
//!
//! # Two modes
//!
//! *Unarmed* (the default, and wherever zc's observer is absent or declines): the body yields
//! the file's bytes, read in user space. A read first tries `preadv2(RWF_NOWAIT)`, which
//! answers from the page cache without blocking; only a range that is not cached (`EAGAIN`)
//! is read on tokio's blocking pool. So a cached file costs one `preadv2` per 64 KiB frame
//! and no hop to another thread.
//!
//! *Probing* (armed by the observer on a connection not yet proven): the first file frame is
//! a real prefix of [`PROBE_PREFIX`] bytes, the connection's probe; the observer then arms
//! the body if hyper wrote that frame by reference, and switches it to user space if not.
//!
//! *Armed* (by the observer, for an HTTP/1.x response on a connection proven to pass frames
//! by reference): for each file range it yields an empty *identity token* and waits. If the
//! observer gets that very frame back from the layers, it commits the range: the body moves
//! past it and the connection sends it with `sendfile`. Anything else switches the body to
//! user space for good, from the exact position, since an empty frame consumed no data:
//! the observer receiving another frame, or `Pending`, while a token is out; or the body
//! being polled again while its token is out (a layer buffering). Literal bytes (multipart
//! boundaries) are yielded as they are, and a range is committed only after each of them
//! reached the observer unchanged and in order.
//!
//! See `docs/DESIGN.md`, "hyper and axum", for the whole argument.

use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::future::Future as _;
use std::io::{self, IoSliceMut};
use std::os::unix::fs::FileExt;
use std::pin::Pin;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{ready, Context, Poll};

use bytes::{Bytes, BytesMut};
use http::{header, HeaderValue, StatusCode};
use http_body::{Frame, SizeHint};
use rustix::io::{Errno, ReadWriteFlags};

use crate::stats;
use crate::token::{self, MAX_TOKEN};

/// The largest frame the body reads in user space (tower-http's `ServeDir` reads 64 KiB too).
const READ_CHUNK: u64 = 64 << 10;

/// The length of the probe prefix: on a connection not yet proven, the first file frame is
/// this many bytes of the file (or fewer, if the range is shorter), read in user space.
pub const PROBE_PREFIX: u64 = 512;

/// Why some or all of a file body went through user space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UserSpace {
    /// No zc observer armed the body: the response was not served through
    /// [`serve`](crate::serve) or [`ZcIo::service`](crate::ZcIo::service) (plain
    /// `axum::serve`, a test calling the service directly).
    NotObserved,
    /// The request was not HTTP/1.x (HTTP/2 writes DATA frames through its own buffers).
    NotHttp1,
    /// The connection has not shown that hyper hands it body frames by reference: the probe
    /// prefix of its first file body ([`PROBE_PREFIX`] bytes; the rest then goes by
    /// `sendfile`), or a connection on which hyper flattens writes (`writev(false)`,
    /// `pipeline_flush(true)`), or a TLS stream over it.
    ConnectionUnproven,
    /// A layer changed the response's status, `Content-Length` or `Content-Encoding`, or
    /// added `Transfer-Encoding`.
    ResponseChanged,
    /// The body was polled before the observer saw the response.
    BodyStarted,
    /// A layer returned another frame where the body's token was expected (a copy, a
    /// compressed frame, a frame of its own).
    FrameChanged,
    /// A layer returned `Pending` while it held the body's token.
    LayerPending,
    /// A layer polled the body again before returning its token (it buffers frames).
    PolledAgain,
    /// The connection copied the range through user space itself: zc's buffered fallback
    /// (for example, `sendfile` refused by a seccomp filter).
    KernelRefused,
}

impl fmt::Display for UserSpace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UserSpace::NotObserved => "not served through zc",
            UserSpace::NotHttp1 => "not HTTP/1.x",
            UserSpace::ConnectionUnproven => "connection not proven",
            UserSpace::ResponseChanged => "response changed by a layer",
            UserSpace::BodyStarted => "body polled before the observer",
            UserSpace::FrameChanged => "frame changed by a layer",
            UserSpace::LayerPending => "layer pending on a token",
            UserSpace::PolledAgain => "layer buffered the body",
            UserSpace::KernelRefused => "kernel path refused",
        })
    }
}

/// How a file body left, as far as it has gone: see [`Delivery::report`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyReport {
    file_bytes: u64,
    sendfile_bytes: u64,
    user_bytes: u64,
    reason: Option<UserSpace>,
}

impl BodyReport {
    /// The file bytes the body carries (all its ranges).
    pub fn file_bytes(&self) -> u64 {
        self.file_bytes
    }

    /// File bytes the kernel has sent (`sendfile`) so far.
    pub fn sendfile_bytes(&self) -> u64 {
        self.sendfile_bytes
    }

    /// File bytes that went through user space so far (read by the body, or copied by zc's
    /// buffered fallback).
    pub fn user_bytes(&self) -> u64 {
        self.user_bytes
    }

    /// Whether every file byte has left (by either path).
    pub fn is_complete(&self) -> bool {
        self.sendfile_bytes + self.user_bytes == self.file_bytes
    }

    /// Why file bytes went through user space, if any did or will.
    pub fn user_space_reason(&self) -> Option<UserSpace> {
        self.reason
    }

    /// `"sendfile"`, `"user space"` or `"sendfile + user space"`, by the bytes sent so far.
    pub fn path(&self) -> &'static str {
        match (self.sendfile_bytes > 0, self.user_bytes > 0) {
            (true, false) => "sendfile",
            (false, true) => "user space",
            (true, true) => "sendfile + user space",
            (false, false) if self.reason.is_some() => "user space",
            (false, false) => "none",
        }
    }
}

impl fmt::Display for BodyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} file bytes by {}",
            self.sendfile_bytes + self.user_bytes,
            self.path()
        )?;
        if let Some(reason) = self.reason {
            write!(f, " ({reason})")?;
        }
        Ok(())
    }
}

/// An open file shared by a body and the connection that sends its ranges.
///
/// The body reads at explicit offsets (`preadv2`, `pread`) and never moves the file offset;
/// the connection's `sendfile` reads at the file offset, which only the connection moves, so
/// `pos` (the offset as the connection left it, `u64::MAX` when unknown) spares an `lseek`
/// for a range that starts where the previous one ended.
pub(crate) struct FileShared {
    pub(crate) file: File,
    pub(crate) pos: AtomicU64,
}

/// A piece of a body, in order.
#[derive(Debug)]
pub(crate) enum Segment {
    /// Literal bytes (a multipart boundary and part head).
    Bytes(Bytes),
    /// A range of the body's file.
    File { start: u64, len: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Unarmed,
    /// Armed on a connection not yet proven: the first file frame is a short real prefix
    /// (the connection's probe); the observer arms the body, or switches it to user space,
    /// once hyper has written (or not) that prefix by reference.
    Probing,
    Armed,
    /// User space for good (after arming, or refused at arming).
    Real,
}

/// What the response looked like when the body was attached to it: the observer arms the
/// body only if the final response still looks so.
#[derive(Debug)]
struct Expect {
    status: StatusCode,
    content_length: Option<HeaderValue>,
    content_encoding: Option<HeaderValue>,
}

#[derive(Debug)]
struct Pending {
    id: usize,
    len: u64,
}

#[derive(Debug)]
struct BodyState {
    segments: VecDeque<Segment>,
    remaining: u64,
    mode: Mode,
    started: bool,
    /// Whether a file frame was yielded (while probing: the probe).
    started_file: bool,
    pending: Option<Pending>,
    /// Literal frames yielded while armed that the observer has not seen yet: (address, len).
    unconfirmed: VecDeque<(usize, usize)>,
    /// The probe prefix yielded while probing, until the observer sees it: (address, len).
    probe: Option<(usize, usize)>,
    expect: Option<Expect>,
    sendfile_bytes: u64,
    user_bytes: u64,
    reason: Option<UserSpace>,
}

/// What the body does next (decided under the lock, done outside it).
enum Step {
    End,
    Frame(Bytes),
    Read { start: u64, len: u64 },
}

/// What the observer does with a frame it received.
pub(crate) enum Verdict {
    /// Forward the frame as it is.
    Forward,
    /// The frame is the body's token: send this file range instead.
    Commit { start: u64, len: u64 },
    /// The frame is the body's probe prefix, unchanged: forward it as the connection's
    /// probe (`more`: file bytes follow it), then settle the body with
    /// [`BodyShared::settle_probe`].
    Probe { more: bool },
}

pub(crate) struct BodyShared {
    file: Option<Arc<FileShared>>,
    file_bytes: u64,
    state: Mutex<BodyState>,
}

impl BodyShared {
    fn lock(&self) -> MutexGuard<'_, BodyState> {
        // A panic while the lock was held left counters, not invariants, half-updated.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn file(&self) -> Option<&Arc<FileShared>> {
        self.file.as_ref()
    }

    /// Arms the body if the response the observer is about to hand to hyper is the one the
    /// body was attached to and the body has not started; otherwise records why not.
    /// With `probe`, the body is armed for a connection not yet proven (its first file
    /// frame is a real prefix, the connection's probe).
    pub(crate) fn try_arm(
        &self,
        parts: &http::response::Parts,
        refused: Option<UserSpace>,
        probe: bool,
    ) -> bool {
        let mut state = self.lock();
        if state.mode != Mode::Unarmed || self.file_bytes == 0 {
            return false;
        }
        let reason = refused.or_else(|| {
            if state.started {
                return Some(UserSpace::BodyStarted);
            }
            let same = state.expect.as_ref().is_some_and(|expect| {
                parts.status == expect.status
                    && parts.headers.get(header::CONTENT_LENGTH) == expect.content_length.as_ref()
                    && parts.headers.get(header::CONTENT_ENCODING)
                        == expect.content_encoding.as_ref()
                    && !parts.headers.contains_key(header::TRANSFER_ENCODING)
            });
            (!same).then_some(UserSpace::ResponseChanged)
        });
        match reason {
            None => {
                state.mode = if probe { Mode::Probing } else { Mode::Armed };
                true
            }
            Some(reason) => {
                state.mode = Mode::Real;
                state.reason = Some(reason);
                false
            }
        }
    }

    /// The observer received `data` from the layers.
    pub(crate) fn on_frame(&self, data: &Bytes) -> Verdict {
        let mut state = self.lock();
        match state.mode {
            Mode::Armed => {}
            Mode::Probing => {
                let frame = (data.as_ptr() as usize, data.len());
                if data.is_empty() {
                    // Not a frame the body yields while probing.
                } else if state.probe == Some(frame) && state.unconfirmed.is_empty() {
                    state.probe = None;
                    return Verdict::Probe {
                        more: state.remaining > 0,
                    };
                } else if state.probe.is_none() && state.unconfirmed.front() == Some(&frame) {
                    state.unconfirmed.pop_front();
                    return Verdict::Forward;
                }
                state.switch(UserSpace::FrameChanged);
                return Verdict::Forward;
            }
            Mode::Unarmed | Mode::Real => return Verdict::Forward,
        }
        let id = token::identity_of(data);
        if let Some(pending) = &state.pending {
            if id == Some(pending.id) && state.unconfirmed.is_empty() {
                let len = pending.len;
                state.pending = None;
                let start = state.advance_front(len);
                return Verdict::Commit { start, len };
            }
        } else if !data.is_empty()
            && state.unconfirmed.front() == Some(&(data.as_ptr() as usize, data.len()))
        {
            state.unconfirmed.pop_front();
            return Verdict::Forward;
        }
        state.switch(UserSpace::FrameChanged);
        Verdict::Forward
    }

    /// The observer forwarded the probe prefix, and hyper has written it by reference
    /// (`proven`) or not: the body is armed, or goes through user space for good.
    pub(crate) fn settle_probe(&self, proven: bool) {
        let mut state = self.lock();
        if state.mode == Mode::Probing && state.probe.is_none() {
            if proven {
                state.mode = Mode::Armed;
            } else {
                state.switch(UserSpace::ConnectionUnproven);
            }
        }
    }

    /// The layers answered `Pending` to the observer.
    pub(crate) fn on_layer_pending(&self) {
        let mut state = self.lock();
        if state.mode == Mode::Armed && state.pending.is_some() {
            state.switch(UserSpace::LayerPending);
        }
    }

    /// The connection finished sending a committed range.
    pub(crate) fn record_copy(&self, report: &zc::Report) {
        let mut state = self.lock();
        state.sendfile_bytes += report.kernel_bytes();
        state.user_bytes += report.user_bytes();
        if report.user_bytes() > 0 && state.reason.is_none() {
            state.reason = Some(UserSpace::KernelRefused);
        }
    }

    pub(crate) fn report(&self) -> BodyReport {
        let state = self.lock();
        let reason = state.reason.or(match state.mode {
            Mode::Unarmed if state.started => Some(UserSpace::NotObserved),
            _ => None,
        });
        BodyReport {
            file_bytes: self.file_bytes,
            sendfile_bytes: state.sendfile_bytes,
            user_bytes: state.user_bytes,
            reason,
        }
    }

    fn next_step(&self) -> Step {
        let mut state = self.lock();
        if state.pending.is_some() || state.probe.is_some() {
            // Polled again while the token (or the probe) is out: a layer holds it and
            // wants more.
            state.switch(UserSpace::PolledAgain);
        }
        if state.mode == Mode::Probing && state.started_file {
            // Polled after the probe went out, before the observer settled the body.
            state.switch(UserSpace::PolledAgain);
        }
        state.started = true;
        let armed = matches!(state.mode, Mode::Armed | Mode::Probing);
        match state.segments.front() {
            None => Step::End,
            Some(Segment::Bytes(_)) => {
                let Some(Segment::Bytes(bytes)) = state.segments.pop_front() else {
                    unreachable!("the front segment is literal bytes")
                };
                state.remaining -= bytes.len() as u64;
                if armed {
                    state
                        .unconfirmed
                        .push_back((bytes.as_ptr() as usize, bytes.len()));
                }
                Step::Frame(bytes)
            }
            Some(&Segment::File { start, len }) if state.mode == Mode::Probing => {
                state.started_file = true;
                Step::Read {
                    start,
                    len: len.min(PROBE_PREFIX),
                }
            }
            Some(&Segment::File { len, .. }) if armed => {
                let (frame, id) = token::identity_token();
                state.pending = Some(Pending {
                    id,
                    len: len.min(MAX_TOKEN as u64),
                });
                Step::Frame(frame)
            }
            Some(&Segment::File { start, len }) => Step::Read { start, len },
        }
    }

    /// `bytes` of the front (file) segment were read in user space.
    fn after_read(&self, bytes: &Bytes) {
        let n = bytes.len() as u64;
        let mut state = self.lock();
        state.advance_front(n);
        state.user_bytes += n;
        if state.mode == Mode::Probing {
            state.probe = Some((bytes.as_ptr() as usize, bytes.len()));
            // The probe's bytes go through user space because the connection is unproven.
            state.reason.get_or_insert(UserSpace::ConnectionUnproven);
        }
    }

    fn is_end_stream(&self) -> bool {
        let state = self.lock();
        state.segments.is_empty() && state.pending.is_none()
    }

    fn remaining(&self) -> u64 {
        self.lock().remaining
    }
}

impl BodyState {
    /// Moves past `n` bytes of the front segment (a file range); returns where they started.
    fn advance_front(&mut self, n: u64) -> u64 {
        let Some(Segment::File { start, len }) = self.segments.front_mut() else {
            unreachable!("only a file range is advanced")
        };
        let at = *start;
        *start += n;
        *len -= n;
        if *len == 0 {
            self.segments.pop_front();
        }
        self.remaining -= n;
        at
    }

    fn switch(&mut self, reason: UserSpace) {
        self.mode = Mode::Real;
        self.pending = None;
        self.probe = None;
        self.unconfirmed.clear();
        self.reason.get_or_insert(reason);
    }
}

impl Drop for BodyShared {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        stats::body_done(self.file_bytes, state.sendfile_bytes, state.user_bytes);
    }
}

/// A response body of file ranges and literal bytes, which leaves by `sendfile` when zc's
/// observer proves that no layer changes its frames, and through user space otherwise.
///
/// Make one with [`ZcBody::file`] or [`ZcBody::range`] (or let [`ServeDir`](crate::ServeDir)
/// make it), and turn it into a response with [`ZcBody::into_response`], which attaches the
/// [`Delivery`] the observer needs. Served through [`serve`](crate::serve) (or a
/// [`ZcIo`](crate::ZcIo) with its [`service`](crate::ZcIo::service)), an HTTP/1.x response's
/// file ranges are sent with `sendfile`; anywhere else the body yields the file's bytes, read
/// with `preadv2(RWF_NOWAIT)` from the page cache on the executor thread, and on tokio's
/// blocking pool only for a range that is not cached.
///
/// # Errors
///
/// A frame is an error when the file cannot be read, or ends before the body's length (it
/// was truncated): the response promised its length, so hyper ends the connection.
pub struct ZcBody {
    shared: Arc<BodyShared>,
    job: Option<tokio::task::JoinHandle<io::Result<Bytes>>>,
}

impl fmt::Debug for ZcBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZcBody")
            .field("file_bytes", &self.shared.file_bytes)
            .field("remaining", &self.shared.remaining())
            .field("reading", &self.job.is_some())
            .finish()
    }
}

impl ZcBody {
    /// A body from `segments` of `file` (`None` only if no segment is a file range), whose
    /// file offset is `pos` (`u64::MAX`: unknown).
    pub(crate) fn from_segments(
        file: Option<File>,
        pos: u64,
        mut segments: Vec<Segment>,
    ) -> ZcBody {
        let mut file_bytes = 0;
        let mut remaining = 0;
        segments.retain(|segment| match segment {
            Segment::Bytes(bytes) => !bytes.is_empty(),
            Segment::File { len, .. } => *len > 0,
        });
        for segment in &segments {
            match segment {
                Segment::Bytes(bytes) => remaining += bytes.len() as u64,
                Segment::File { len, .. } => {
                    remaining += len;
                    file_bytes += len;
                }
            }
        }
        // Takes the vector's allocation: no second one per body.
        let segments = VecDeque::from(segments);
        let file = file.map(|file| {
            Arc::new(FileShared {
                file,
                pos: AtomicU64::new(pos),
            })
        });
        debug_assert!(file.is_some() || file_bytes == 0);
        ZcBody {
            shared: Arc::new(BodyShared {
                file,
                file_bytes,
                state: Mutex::new(BodyState {
                    segments,
                    remaining,
                    mode: Mode::Unarmed,
                    started: false,
                    started_file: false,
                    pending: None,
                    unconfirmed: VecDeque::new(),
                    probe: None,
                    expect: None,
                    sendfile_bytes: 0,
                    user_bytes: 0,
                    reason: None,
                }),
            }),
            job: None,
        }
    }

    /// An empty body (a `HEAD` reply, a 304).
    pub fn empty() -> ZcBody {
        ZcBody::from_segments(None, u64::MAX, Vec::new())
    }

    /// A body of literal bytes.
    pub fn bytes(bytes: impl Into<Bytes>) -> ZcBody {
        ZcBody::from_segments(None, u64::MAX, vec![Segment::Bytes(bytes.into())])
    }

    /// The whole of `file`, as long as its `fstat` says now.
    ///
    /// # Errors
    ///
    /// The `fstat` failed.
    pub fn file(file: File) -> io::Result<ZcBody> {
        let len = file.metadata()?.len();
        Ok(ZcBody::range(file, 0, len))
    }

    /// `len` bytes of `file` from offset `start`. The file's offset is neither used nor
    /// needed; a file shorter than `start + len` makes the body fail when it gets there.
    pub fn range(file: File, start: u64, len: u64) -> ZcBody {
        ZcBody::from_segments(Some(file), u64::MAX, vec![Segment::File { start, len }])
    }

    /// The body's [`Delivery`]: a handle on how its file bytes leave.
    pub fn delivery(&self) -> Delivery {
        Delivery(self.shared.clone())
    }

    /// A response of this body with `parts` (status and headers; a missing `Content-Length`
    /// is set to the body's length), carrying the body's [`Delivery`] as an extension.
    ///
    /// The observer sends the body's ranges with `sendfile` only if the response it receives
    /// after every layer still has this status, `Content-Length` and `Content-Encoding`, and
    /// no `Transfer-Encoding`.
    pub fn into_response(self, mut parts: http::response::Parts) -> http::Response<ZcBody> {
        let len = self.shared.remaining();
        parts
            .headers
            .entry(header::CONTENT_LENGTH)
            .or_insert_with(|| HeaderValue::from(len));
        self.shared.lock().expect = Some(Expect {
            status: parts.status,
            content_length: parts.headers.get(header::CONTENT_LENGTH).cloned(),
            content_encoding: parts.headers.get(header::CONTENT_ENCODING).cloned(),
        });
        parts.extensions.insert(self.delivery());
        http::Response::from_parts(parts, self)
    }

    fn poll_read(&mut self, cx: &mut Context<'_>, start: u64, len: u64) -> Poll<io::Result<Bytes>> {
        let Some(file) = self.shared.file.clone() else {
            unreachable!("a body with a file range has a file")
        };
        let want = len.min(READ_CHUNK) as usize;
        match read_cached(&file.file, start, want) {
            Ok(bytes) => return Poll::Ready(Ok(bytes)),
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => return Poll::Ready(Err(e)),
            Err(_) => {}
        }
        // Not in the page cache (or `RWF_NOWAIT` unsupported): read on the blocking pool,
        // so the executor thread never waits for the disk.
        let read = move || read_exact_at(&file.file, start, want);
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                self.job = Some(handle.spawn_blocking(read));
                self.poll_job(cx)
            }
            Err(_) => Poll::Ready(read()),
        }
    }

    fn poll_job(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Bytes>> {
        let Some(job) = &mut self.job else {
            unreachable!("polled without a job")
        };
        let result = ready!(Pin::new(job).poll(cx));
        self.job = None;
        Poll::Ready(result.unwrap_or_else(|e| Err(io::Error::other(e))))
    }
}

/// Reads up to `want` bytes at `start` if the page cache has them (`preadv2(RWF_NOWAIT)`);
/// `WouldBlock` if it has none of them, or if the kernel or file system cannot say.
fn read_cached(file: &File, start: u64, want: usize) -> io::Result<Bytes> {
    let mut buf = BytesMut::zeroed(want);
    let n = loop {
        match rustix::io::preadv2(
            file,
            &mut [IoSliceMut::new(&mut buf)],
            start,
            ReadWriteFlags::NOWAIT,
        ) {
            Ok(0) => return Err(truncated(start)),
            Ok(n) => break n,
            Err(Errno::INTR) => continue,
            Err(Errno::AGAIN | Errno::OPNOTSUPP | Errno::NOSYS | Errno::INVAL) => {
                return Err(io::ErrorKind::WouldBlock.into())
            }
            Err(e) => return Err(e.into()),
        }
    };
    buf.truncate(n);
    Ok(buf.freeze())
}

/// Reads exactly `want` bytes at `start` (blocking).
fn read_exact_at(file: &File, start: u64, want: usize) -> io::Result<Bytes> {
    let mut buf = vec![0; want];
    file.read_exact_at(&mut buf, start).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            truncated(start)
        } else {
            e
        }
    })?;
    Ok(buf.into())
}

fn truncated(at: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("zc-hyper: the file ends at {at}, before the body's length (it was truncated)"),
    )
}

impl http_body::Body for ZcBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        let read = if this.job.is_some() {
            ready!(this.poll_job(cx))
        } else {
            match this.shared.next_step() {
                Step::End => return Poll::Ready(None),
                Step::Frame(bytes) => return Poll::Ready(Some(Ok(Frame::data(bytes)))),
                Step::Read { start, len } => ready!(this.poll_read(cx, start, len)),
            }
        };
        Poll::Ready(Some(read.map(|bytes| {
            this.shared.after_read(&bytes);
            Frame::data(bytes)
        })))
    }

    fn is_end_stream(&self) -> bool {
        self.job.is_none() && self.shared.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.shared.remaining())
    }
}

/// How a [`ZcBody`]'s file bytes leave: a handle on the body's shared state, carried by the
/// response as an extension (so a layer, a test or a log can keep it).
#[derive(Clone)]
pub struct Delivery(pub(crate) Arc<BodyShared>);

impl Delivery {
    /// How the body's file bytes have left so far. The last bytes are counted when the
    /// kernel accepted them, which can be a moment after the client received them.
    pub fn report(&self) -> BodyReport {
        self.0.report()
    }
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Delivery").field(&self.report()).finish()
    }
}
