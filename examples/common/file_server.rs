//! The static file server of every runtime, written once: its command line, its accept loop
//! and its connection loop, generic over [`Runtime`]. What each request is answered is
//! `zc_http`'s ([`zc_http::Root::serve`]); the bodies go out with `zc_http::send_body`
//! (`sendfile(2)` from the file into the socket), ranges and multipart ranges included.
//!
//! Per request it does what it must and no more: `read` the head, `openat2` the file beneath
//! the root (the kernel refuses `..` and symlinks that leave it: no `readlink` per component,
//! no blocking pool; an open of a cached file costs microseconds, as nginx's inline open),
//! `fstat` it once, `send` the head with `MSG_MORE`, `sendfile` the body, `close`.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use zc_http::{Response, Root};

use super::http::{self, HeadError, Request};
use super::rt::{self, Cli, Clock, Limit, Runtime};

/// What one body sent: its parts' bytes and how they went.
pub use zc_http::Sent as Body;

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
  --precompressed          serve NAME.br or NAME.gz for NAME to clients that accept them
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
    /// Serve precompressed siblings (`NAME.br`, `NAME.gz`; nginx `gzip_static`).
    pub precompressed: bool,
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
            precompressed: false,
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
                "--precompressed" => config.precompressed = true,
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
    root: Root,
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
        let root = Root::open(&config.root)
            .map_err(|e| io::Error::new(e.kind(), format!("--root {e}")))?;
        let options = zc_http::Options::default().max_ranges(config.max_ranges);
        let mut root = root.dotfiles(config.dotfiles).options(options);
        if config.precompressed {
            root = root.precompressed_br().precompressed_gzip();
        }
        Ok(Site {
            config,
            root,
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
    let mut head = Vec::with_capacity(512);
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
            method: request.http.method,
            target: request.http.target,
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
    head: &mut Vec<u8>,
    site: &Site,
    peer: SocketAddr,
    err: HeadError,
) -> io::Result<()> {
    let status = err.status();
    let response = Response::error(http_status(status), false);
    write_response_head(head, &response, false);
    rt::send_head::<R>(stream, clock, site.config.send_timeout, head, false).await?;
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

fn http_status(status: u16) -> zc_http::http::StatusCode {
    zc_http::http::StatusCode::from_u16(status).unwrap_or(zc_http::http::StatusCode::BAD_REQUEST)
}

/// The connection's fields of every response (the representation's are `zc_http`'s).
fn connection(keep_alive: bool) -> &'static str {
    if keep_alive {
        "Server: zc\r\nConnection: keep-alive\r\n"
    } else {
        "Server: zc\r\nConnection: close\r\n"
    }
}

/// `response`'s head into `head` (cleared), and its text body if it has one: an error or a
/// redirect goes out in one `send`.
fn write_response_head(head: &mut Vec<u8>, response: &Response, keep_alive: bool) {
    head.clear();
    zc_http::write_head(
        head,
        response.status,
        &response.headers,
        connection(keep_alive),
    );
    if let zc_http::Body::Text(text) = &response.body {
        head.extend_from_slice(text.as_bytes());
    }
}

/// Writes one response; returns its status, whether its head was corked, and its body.
async fn respond<R: Runtime>(
    stream: &mut R::Stream,
    clock: &mut Clock<R>,
    head: &mut Vec<u8>,
    site: &Site,
    request: &Request<'_>,
) -> io::Result<(u16, bool, Option<Body>)> {
    let config = &site.config;
    let keep_alive = request.keep_alive && !request.has_body;
    let mut reply = if request.has_body {
        // These servers do not read request bodies; a body would be taken for the next
        // request. 400, and the connection closes after a lingering close.
        zc_http::Reply {
            response: Response::error(
                zc_http::http::StatusCode::BAD_REQUEST,
                request.http.is_head(),
            ),
            file: None,
        }
    } else {
        site.root.serve(&request.http)
    };
    let response = &reply.response;
    let status = response.status.as_u16();
    write_response_head(head, response, keep_alive);
    let reads_file = response.body.reads_file();
    let corked = rt::send_head::<R>(stream, clock, config.send_timeout, head, reads_file).await?;
    if !reads_file {
        return Ok((status, false, None));
    }
    // The whole body within --send-timeout of no progress: every part's copy wakes the task
    // as it goes.
    let send = zc_http::send_body::<R::Rt, _>(&response.body, reply.file.as_mut(), stream);
    let body = rt::within::<R, _>(clock, Limit::Idle(config.send_timeout), "send", send).await?;
    Ok((status, corked, body))
}
