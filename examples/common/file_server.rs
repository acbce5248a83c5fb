//! The static file server of every runtime, written once: its command line, its accept loop
//! and its connection loop, generic over [`Runtime`]. Bodies go out with `zc::copy`
//! (`sendfile(2)` from the file into the socket), ranges and multipart ranges included.
//!
//! Per request it does what it must and no more: `read` the head, `openat2` the file beneath
//! the root (the kernel refuses `..` and symlinks that leave it: no `readlink` per component,
//! no blocking pool; an open of a cached file costs microseconds, as nginx's inline open),
//! `fstat` it once, `send` the head with `MSG_MORE`, `sendfile` the body, `close`.

use std::fmt;
use std::io::{self, Seek, SeekFrom};
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustix::fs::{FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

use super::http::{self, HeadError, PathError, Plan, Request, Validators};
use super::rt::{self, Cli, Clock, Limit, Runtime};

/// The read buffer a connection starts with; it grows to [`http::MAX_HEAD`] for a large head.
const READ: usize = 4096;

/// The command line of every file server (`{name}` is the example's).
pub const USAGE: &str = "usage: {name} [options]

  --root DIR               directory to serve (default .)
  --addr HOST:PORT         address to listen on (default 127.0.0.1:8080)
  --threads N              server threads (default: the machine's cores)
  --header-timeout SECS    whole request head must arrive within (default 60)
  --keepalive-timeout SECS idle keep-alive connection closed after (default 75)
  --send-timeout SECS      response making no progress closed after (default 60)
  --linger SECS            lingering close: drain unread input for at most (default 5)
  --max-ranges N           more ranges in one Range header: answered 200 (default 16)
  --dotfiles               serve files and directories whose name starts with '.'
  --access-log on|off      one line per response on stderr (default on)
  -h, --help               this text";

/// The file server's settings (defaults as nginx's where it has one).
#[derive(Debug, Clone)]
pub struct Config {
    /// The directory served.
    pub root: PathBuf,
    /// The address listened on.
    pub addr: SocketAddr,
    /// Server threads.
    pub threads: usize,
    /// A request head must arrive whole within this (nginx `client_header_timeout`).
    pub header_timeout: Duration,
    /// An idle keep-alive connection is closed after this (nginx `keepalive_timeout`).
    pub keepalive_timeout: Duration,
    /// A response that makes no progress for this long is abandoned (nginx `send_timeout`).
    pub send_timeout: Duration,
    /// Lingering close lasts at most this (nginx `lingering_timeout`).
    pub linger: Duration,
    /// The most ranges answered in one request (nginx `max_ranges`).
    pub max_ranges: usize,
    /// Serve names starting with `.`.
    pub dotfiles: bool,
    /// Log each response to stderr (nginx `access_log`).
    pub access_log: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            root: PathBuf::from("."),
            addr: ([127, 0, 0, 1], 8080).into(),
            threads: rt::cores(),
            header_timeout: Duration::from_secs(60),
            keepalive_timeout: Duration::from_secs(75),
            send_timeout: Duration::from_secs(60),
            linger: Duration::from_secs(5),
            max_ranges: 16,
            dotfiles: false,
            access_log: true,
        }
    }
}

impl Config {
    /// Parses the command line (without the program name).
    ///
    /// # Errors
    ///
    /// A message for an unknown flag, a missing or bad value.
    pub fn parse(args: &mut dyn Iterator<Item = String>) -> Result<Cli<Config>, String> {
        let mut config = Config::default();
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or(format!("{flag} needs a value"));
            match flag.as_str() {
                "--root" => config.root = value()?.into(),
                "--addr" => {
                    let addr = value()?;
                    config.addr = addr
                        .to_socket_addrs()
                        .map_err(|e| format!("--addr {addr}: {e}"))?
                        .next()
                        .ok_or(format!("--addr {addr}: no address"))?;
                }
                "--threads" => config.threads = rt::count(&flag, &value()?)?.max(1),
                "--header-timeout" => config.header_timeout = rt::seconds(&flag, &value()?)?,
                "--keepalive-timeout" => config.keepalive_timeout = rt::seconds(&flag, &value()?)?,
                "--send-timeout" => config.send_timeout = rt::seconds(&flag, &value()?)?,
                "--linger" => config.linger = rt::seconds(&flag, &value()?)?,
                "--max-ranges" => config.max_ranges = rt::count(&flag, &value()?)?,
                "--dotfiles" => config.dotfiles = true,
                "--access-log" => {
                    config.access_log = match value()?.as_str() {
                        "on" => true,
                        "off" => false,
                        other => return Err(format!("--access-log: {other:?} is not on or off")),
                    }
                }
                "-h" | "--help" => return Ok(Cli::Help),
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(Cli::Run(config))
    }
}

/// The `main` of a file server on runtime `R`: parses the command line, binds, serves.
pub fn main<R: Runtime>(name: &str) {
    let usage = USAGE.replace("{name}", name);
    rt::main(&usage, Config::parse, |config| {
        let listener = std::net::TcpListener::bind(config.addr)?;
        rt::log(format_args!(
            "serving {} on http://{} ({}, {} threads)",
            config.root.display(),
            listener.local_addr()?,
            R::NAME,
            config.threads
        ));
        let threads = config.threads;
        let site = Arc::new(Site::new(config, None)?);
        rt::run_threads::<R, _, _>(threads, listener, move |listener| {
            serve::<R>(listener, site.clone())
        })
    });
}

/// What one body sent: its parts' bytes and how they went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Body {
    /// Parts (1, or the ranges of a `multipart/byteranges` body).
    pub parts: u32,
    /// File bytes sent, all parts together.
    pub bytes: u64,
    /// Of which by a kernel path.
    pub kernel_bytes: u64,
    /// The copy path of the first part (and of every part when `kernel_bytes == bytes`).
    pub path: zc::CopyPath,
}

impl Body {
    fn add(&mut self, report: zc::Report) {
        if self.parts == 0 {
            self.path = report.path();
        }
        self.parts += 1;
        self.bytes += report.bytes();
        self.kernel_bytes += report.kernel_bytes();
    }
}

/// What one response sent.
#[derive(Debug, Clone, Copy)]
pub struct Sent<'a> {
    /// The request's method (`-` when the head did not parse).
    pub method: &'a str,
    /// The request's target (`-` when the head did not parse).
    pub target: &'a str,
    /// The status code.
    pub status: u16,
    /// Whether the head went with `MSG_MORE`, to leave in one packet with the body.
    pub head_corked: bool,
    /// How the file body went out, if there was one.
    pub body: Option<Body>,
}

impl fmt::Display for Sent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{} {}\" {}", self.method, self.target, self.status)?;
        if let Some(body) = &self.body {
            write!(f, " {} bytes by {}", body.bytes, body.path)?;
        }
        Ok(())
    }
}

/// What a connection did, for an [`Observer`] and the access log.
#[derive(Debug)]
pub enum Event<'a> {
    /// A response was sent.
    Response(&'a Sent<'a>),
    /// The connection ended: cleanly, or with this error.
    Closed(Option<&'a io::Error>),
}

/// Sees every [`Event`] of every connection, as it happens (tests use it).
pub type Observer = Arc<dyn Fn(SocketAddr, &Event<'_>) + Send + Sync>;

/// A served root and its settings, shared by every connection.
pub struct Site {
    config: Config,
    root: OwnedFd,
    root_path: PathBuf,
    observer: Option<Observer>,
}

impl fmt::Debug for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Site")
            .field("config", &self.config)
            .finish()
    }
}

impl Site {
    /// Opens `config.root`.
    ///
    /// # Errors
    ///
    /// The root is not a directory that can be opened.
    pub fn new(config: Config, observer: Option<Observer>) -> io::Result<Site> {
        let root = rustix::fs::open(
            &config.root,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| io::Error::new(e.kind(), format!("--root {}: {e}", config.root.display())))?;
        let root_path = std::fs::canonicalize(&config.root)?;
        Ok(Site {
            config,
            root,
            root_path,
            observer,
        })
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    fn observe(&self, peer: SocketAddr, event: &Event<'_>) {
        if let Some(observer) = &self.observer {
            observer(peer, event);
        }
        if self.config.access_log {
            match event {
                Event::Response(sent) => rt::log(format_args!("{peer} {sent}")),
                Event::Closed(Some(err)) => rt::log(format_args!("{peer} closed: {err}")),
                Event::Closed(None) => {}
            }
        }
    }

    /// Opens `rel` (relative, from [`http::target_path`]) beneath the root: the kernel's
    /// `RESOLVE_BENEATH` refuses `..` and symlinks that lead outside it, in one syscall.
    fn open(&self, rel: &Path) -> Result<OwnedFd, Errno> {
        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
        match rustix::fs::openat2(
            &self.root,
            rel,
            flags,
            Mode::empty(),
            ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS,
        ) {
            Err(Errno::NOSYS) => self.open_canonical(rel, flags),
            other => other,
        }
    }

    /// [`open`](Site::open) on kernels before 5.6 (no `openat2`): canonicalize, then check
    /// the prefix.
    fn open_canonical(&self, rel: &Path, flags: OFlags) -> Result<OwnedFd, Errno> {
        let path = std::fs::canonicalize(self.root_path.join(rel))
            .map_err(|e| Errno::from_io_error(&e).unwrap_or(Errno::NOENT))?;
        if !path.starts_with(&self.root_path) {
            return Err(Errno::XDEV);
        }
        rustix::fs::open(&path, flags, Mode::empty())
    }
}

/// Serves the site to every connection `listener` accepts, each on its own task, forever
/// (accept errors included: see [`rt::accept_loop`]).
///
/// # Errors
///
/// None today: the signature leaves room for a shutdown.
pub async fn serve<R: Runtime>(listener: R::Listener, site: Arc<Site>) -> io::Result<()> {
    rt::accept_loop::<R>(&listener, |mut stream, peer| {
        // Head and body are coalesced with MSG_MORE; TCP_NODELAY keeps the last packet of one
        // response from waiting for the ACK of the previous one (pipelining), as nginx does
        // on keep-alive connections.
        let _ = rustix::net::sockopt::set_tcp_nodelay(&stream, true);
        let site = site.clone();
        R::spawn(async move {
            let result = serve_connection::<R>(&mut stream, peer, &site).await;
            site.observe(peer, &Event::Closed(result.as_ref().err()));
        });
    })
    .await;
    Ok(())
}

/// Answers the requests of one connection until the client closes it, asks to close it, or
/// a deadline passes; each response is observed (and logged) as it is sent, so the memory of
/// a connection stays bounded however many requests it carries.
///
/// # Errors
///
/// I/O errors of the connection or of a file; `TimedOut` when a head did not arrive within
/// `--header-timeout` or a response made no progress for `--send-timeout`.
pub async fn serve_connection<R: Runtime>(
    stream: &mut R::Stream,
    peer: SocketAddr,
    site: &Site,
) -> io::Result<()> {
    let config = &site.config;
    let mut clock = Clock::default();
    let mut buf = vec![0; READ];
    let mut filled = 0;
    let mut head = String::with_capacity(512);
    let mut first = true;
    loop {
        // The head: the first request's within --header-timeout of the accept; the next ones
        // within --keepalive-timeout for their first byte, then --header-timeout.
        let mut deadline = (first || filled > 0).then(|| Instant::now() + config.header_timeout);
        first = false;
        let head_len = loop {
            match http::parse_request(&buf[..filled]) {
                Ok(Some((_, n))) => break n,
                Ok(None) => {}
                Err(err) => {
                    refuse::<R>(stream, &mut clock, &mut head, site, peer, err).await?;
                    rt::lingering_close::<R>(stream, &mut clock, &mut buf, config.linger).await;
                    return Ok(());
                }
            }
            if filled == buf.len() {
                buf.resize((buf.len() * 2).min(http::MAX_HEAD + READ), 0);
            }
            let limit =
                Limit::At(deadline.unwrap_or_else(|| Instant::now() + config.keepalive_timeout));
            let read = rt::within::<R, _>(
                &mut clock,
                limit,
                "request head",
                rt::read::<R>(stream, &mut buf[filled..]),
            )
            .await;
            match read {
                Ok(0) => return Ok(()),
                Ok(n) => filled += n,
                // An idle keep-alive connection: close it quietly, as nginx does.
                Err(e) if e.kind() == io::ErrorKind::TimedOut && filled == 0 => return Ok(()),
                Err(e) => return Err(e),
            }
            deadline.get_or_insert_with(|| Instant::now() + config.header_timeout);
        };
        // The same bytes parse the same way: parsed again here because the borrow of the
        // first parse cannot outlive the reads of the loop.
        let Ok(Some((request, _))) = http::parse_request(&buf[..head_len]) else {
            return Err(io::Error::other("a request head parsed once but not twice"));
        };
        let (status, head_corked, body) =
            respond::<R>(stream, &mut clock, &mut head, site, &request).await?;
        let sent = Sent {
            method: request.method,
            target: request.target,
            status,
            head_corked,
            body,
        };
        site.observe(peer, &Event::Response(&sent));
        let keep_alive = request.keep_alive && !request.has_body;
        let has_body = request.has_body;
        buf.copy_within(head_len..filled, 0);
        filled -= head_len;
        if filled == 0 && buf.len() > READ {
            buf.truncate(READ);
            buf.shrink_to_fit();
        }
        if !keep_alive {
            if filled > 0 || has_body {
                rt::lingering_close::<R>(stream, &mut clock, &mut buf, config.linger).await;
            } else {
                rt::shutdown::<R>(stream).await?;
            }
            return Ok(());
        }
    }
}

/// Answers a head that did not parse, and observes it.
async fn refuse<R: Runtime>(
    stream: &mut R::Stream,
    clock: &mut Clock<R>,
    head: &mut String,
    site: &Site,
    peer: SocketAddr,
    err: HeadError,
) -> io::Result<()> {
    let status = err.status();
    http::error_reply(head, status, false, None);
    rt::send_head::<R>(
        stream,
        clock,
        site.config.send_timeout,
        head.as_bytes(),
        false,
    )
    .await?;
    let sent = Sent {
        method: "-",
        target: "-",
        status,
        head_corked: false,
        body: None,
    };
    site.observe(peer, &Event::Response(&sent));
    Ok(())
}

/// What a target names, once opened.
enum Found {
    /// The file, its validators, and its path under the root (for its `Content-Type`).
    File(std::fs::File, Validators, PathBuf),
    /// A directory asked for without its trailing slash: 301 to this location.
    Redirect(String),
    Error(u16),
}

fn status_of(errno: Errno) -> u16 {
    match errno {
        Errno::ACCESS | Errno::PERM => 403,
        Errno::NOENT | Errno::NOTDIR | Errno::XDEV | Errno::LOOP | Errno::NAMETOOLONG => 404,
        _ => 500,
    }
}

/// Opens what `target` names: a regular file, or a directory's `index.html` (403 when it
/// has none, as nginx answers without a listing).
fn find(site: &Site, target: &str) -> Found {
    let rel = match http::target_path(target, site.config.dotfiles) {
        Ok(rel) => rel,
        Err(PathError::BadTarget) => return Found::Error(400),
        Err(PathError::Traversal | PathError::Hidden) => return Found::Error(404),
    };
    let opened = |rel: &Path| -> Result<(OwnedFd, rustix::fs::Stat), Errno> {
        let fd = site.open(rel)?;
        let stat = rustix::fs::fstat(&fd)?;
        Ok((fd, stat))
    };
    let mut rel = rel;
    let (mut fd, mut stat) = match opened(&rel) {
        Ok(found) => found,
        Err(errno) => return Found::Error(status_of(errno)),
    };
    if FileType::from_raw_mode(stat.st_mode) == FileType::Directory {
        let (path, query) = target
            .split_once('?')
            .map_or((target, None), |(p, q)| (p, Some(q)));
        if !path.ends_with('/') {
            let query = query.map_or(String::new(), |q| format!("?{q}"));
            return Found::Redirect(format!("{path}/{query}"));
        }
        rel.push("index.html");
        (fd, stat) = match opened(&rel) {
            Ok(found) => found,
            // No index and no listing: nginx's answer (`autoindex off`) is 403.
            Err(Errno::NOENT) => return Found::Error(403),
            Err(errno) => return Found::Error(status_of(errno)),
        };
    }
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Found::Error(404);
    }
    let validators = Validators {
        mtime: u64::try_from(stat.st_mtime).unwrap_or(0),
        len: u64::try_from(stat.st_size).unwrap_or(0),
    };
    Found::File(std::fs::File::from(fd), validators, rel)
}

/// Writes one response; returns its status, whether its head was corked, and its body.
async fn respond<R: Runtime>(
    stream: &mut R::Stream,
    clock: &mut Clock<R>,
    head: &mut String,
    site: &Site,
    request: &Request<'_>,
) -> io::Result<(u16, bool, Option<Body>)> {
    let config = &site.config;
    let keep_alive = request.keep_alive && !request.has_body;
    let found = if request.has_body {
        // These servers do not read request bodies; a body would be taken for the next
        // request. 400, and the connection closes after a lingering close.
        Found::Error(400)
    } else if request.method != "GET" && request.method != "HEAD" {
        Found::Error(405)
    } else {
        find(site, request.target)
    };
    let (mut file, validators, path) = match found {
        Found::File(file, validators, path) => (file, validators, path),
        Found::Redirect(location) => {
            http::error_reply(head, 301, keep_alive, Some(&location));
            rt::send_head::<R>(stream, clock, config.send_timeout, head.as_bytes(), false).await?;
            return Ok((301, false, None));
        }
        Found::Error(status) => {
            http::error_reply(head, status, keep_alive, None);
            rt::send_head::<R>(stream, clock, config.send_timeout, head.as_bytes(), false).await?;
            return Ok((status, false, None));
        }
    };
    let (status, plan) = http::file_reply(head, request, &path, validators, config.max_ranges);
    let has_body = !matches!(plan, Plan::HeadOnly);
    let corked = rt::send_head::<R>(
        stream,
        clock,
        config.send_timeout,
        head.as_bytes(),
        has_body,
    )
    .await?;
    let mut body = Body {
        parts: 0,
        bytes: 0,
        kernel_bytes: 0,
        path: zc::CopyPath::Buffered,
    };
    match plan {
        Plan::HeadOnly => return Ok((status, false, None)),
        Plan::Body { offset, len } => {
            let range = send_range::<R>(stream, clock, config, &mut file, offset, len, false);
            body.add(range.await?);
        }
        Plan::Multipart {
            ranges,
            boundary,
            content_type,
        } => {
            let mut part = String::new();
            for (start, end) in ranges {
                let part_head = http::part_head(
                    &mut part,
                    &boundary,
                    &content_type,
                    start,
                    end,
                    validators.len,
                );
                rt::send_head::<R>(
                    stream,
                    clock,
                    config.send_timeout,
                    part_head.as_bytes(),
                    true,
                )
                .await?;
                let len = end - start + 1;
                let range = send_range::<R>(stream, clock, config, &mut file, start, len, true);
                body.add(range.await?);
            }
            let end = http::multipart_end(&mut part, &boundary);
            rt::send_head::<R>(stream, clock, config.send_timeout, end.as_bytes(), false).await?;
        }
    }
    Ok((status, corked, Some(body)))
}

/// Sends bytes `offset..offset + len` of `file` by `zc::copy` (`sendfile(2)`), within the send
/// timeout, from a fresh file (at offset 0) unless `seek`. `exact` turns a file that shrank under us into an error instead of a short body
/// that would desync the connection.
async fn send_range<R: Runtime>(
    stream: &mut R::Stream,
    clock: &mut Clock<R>,
    config: &Config,
    file: &mut std::fs::File,
    offset: u64,
    len: u64,
    seek: bool,
) -> io::Result<zc::Report> {
    if seek || offset != 0 {
        file.seek(SeekFrom::Start(offset))?;
    }
    let mut range = zc::Limited::exact(file, len);
    let copy = async { Ok(zc::copy_report::<R::Rt, _, _>(&mut range, stream).await?) };
    rt::within::<R, _>(clock, Limit::Idle(config.send_timeout), "send", copy).await
}
