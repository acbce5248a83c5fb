//! The TCP proxy of every runtime, written once: its command line, its accept loop and its
//! relay (`zc::copy_bidirectional`: `splice(2)` both ways, with half-close), generic over
//! [`Runtime`].

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::rt::{self, Cli, Clock, Limit, Runtime};

/// The command line of every proxy (`{name}` is the example's).
pub const USAGE: &str = "usage: {name} [options]

  --listen HOST:PORT       address to listen on (default 127.0.0.1:8081)
  --upstream HOST:PORT     where to relay to; a host name is resolved at start and each of
                           its addresses tried in turn (default 127.0.0.1:8080)
  --threads N              proxy threads (default: the machine's cores)
  --connect-timeout SECS   connecting upstream may take (default 60)
  --idle-timeout SECS      a connection with no traffic either way is closed after
                           (default 600)
  -h, --help               this text";

/// The proxy's settings (defaults as nginx's `stream` proxy).
#[derive(Debug, Clone)]
pub struct Config {
    /// The address listened on.
    pub listen: SocketAddr,
    /// The upstream's addresses, tried in order.
    pub upstream: Vec<SocketAddr>,
    /// Proxy threads.
    pub threads: usize,
    /// Connecting upstream may take this long (nginx `proxy_connect_timeout`).
    pub connect_timeout: Duration,
    /// A connection without traffic either way for this long is closed (nginx
    /// `proxy_timeout`, haproxy `timeout client` / `timeout server`).
    pub idle_timeout: Duration,
}

fn resolve(flag: &str, addr: &str) -> Result<Vec<SocketAddr>, String> {
    let addrs: Vec<_> = addr
        .to_socket_addrs()
        .map_err(|e| format!("{flag} {addr}: {e}"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("{flag} {addr}: no address"));
    }
    Ok(addrs)
}

impl Config {
    /// Parses the command line (without the program name).
    ///
    /// # Errors
    ///
    /// A message for an unknown flag, a missing or bad value, a name that does not resolve.
    pub fn parse(args: &mut dyn Iterator<Item = String>) -> Result<Cli<Config>, String> {
        let mut listen = "127.0.0.1:8081".to_owned();
        let mut upstream = "127.0.0.1:8080".to_owned();
        let mut threads = rt::cores();
        let mut connect_timeout = Duration::from_secs(60);
        let mut idle_timeout = Duration::from_secs(600);
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or(format!("{flag} needs a value"));
            match flag.as_str() {
                "--listen" => listen = value()?,
                "--upstream" => upstream = value()?,
                "--threads" => threads = rt::count(&flag, &value()?)?.max(1),
                "--connect-timeout" => connect_timeout = rt::seconds(&flag, &value()?)?,
                "--idle-timeout" => idle_timeout = rt::seconds(&flag, &value()?)?,
                "-h" | "--help" => return Ok(Cli::Help),
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(Cli::Run(Config {
            listen: resolve("--listen", &listen)?[0],
            upstream: resolve("--upstream", &upstream)?,
            threads,
            connect_timeout,
            idle_timeout,
        }))
    }
}

/// The `main` of a proxy on runtime `R`: parses the command line, binds, relays.
pub fn main<R: Runtime>(name: &str) {
    let usage = USAGE.replace("{name}", name);
    rt::main(&usage, Config::parse, |config| {
        let listener = std::net::TcpListener::bind(config.listen)?;
        rt::log(format_args!(
            "relaying {} -> {:?} ({}, {} threads)",
            listener.local_addr()?,
            config.upstream,
            R::NAME,
            config.threads
        ));
        let threads = config.threads;
        let config = Arc::new(config);
        rt::run_threads::<R, _, _>(threads, listener, move |listener| {
            serve::<R>(listener, config.clone())
        })
    });
}

/// Relays every connection `listener` accepts, each on its own task, forever (accept errors
/// included: see [`rt::accept_loop`]); logs how each ended.
///
/// # Errors
///
/// None today: the signature leaves room for a shutdown.
pub async fn serve<R: Runtime>(listener: R::Listener, config: Arc<Config>) -> io::Result<()> {
    rt::accept_loop::<R>(&listener, |mut client, peer| {
        let config = config.clone();
        R::spawn(async move {
            log_relay(peer, &relay::<R>(&mut client, &config).await);
        });
    })
    .await;
    Ok(())
}

/// Connects to the upstream (each address in turn, within the connect timeout) and relays
/// `client` ⇄ upstream until both directions end or the connection idles out; returns each
/// direction's report (client → upstream, upstream → client).
///
/// # Errors
///
/// No upstream address accepts the connection; either direction fails (with that
/// direction's error, as the OS gave it); `TimedOut` when no byte moved either way for the
/// idle timeout.
pub async fn relay<R: Runtime>(
    client: &mut R::Stream,
    config: &Config,
) -> io::Result<(zc::Report, zc::Report)> {
    let mut clock = Clock::default();
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no upstream address");
    let deadline = Limit::At(Instant::now() + config.connect_timeout);
    let mut server = None;
    for &addr in &config.upstream {
        match rt::within::<R, _>(&mut clock, deadline, "connect", R::connect(addr)).await {
            Ok(stream) => {
                server = Some(stream);
                break;
            }
            Err(e) => last = io::Error::new(e.kind(), format!("upstream {addr}: {e}")),
        }
    }
    let mut server = server.ok_or(last)?;
    let _ = rustix::net::sockopt::set_tcp_nodelay(&*client, true);
    let _ = rustix::net::sockopt::set_tcp_nodelay(&server, true);
    // When one side ends its direction (EOF), the relay half-closes the other side's write
    // half and keeps the opposite direction going: a client may send its request, shut its
    // write side down, and still receive the whole answer.
    let both =
        async { Ok(zc::copy_bidirectional_report::<R::Rt, _, _>(client, &mut server).await?) };
    rt::within::<R, _>(&mut clock, Limit::Idle(config.idle_timeout), "idle", both).await
}

/// Logs how a relayed connection ended: each direction's bytes and path, or the error.
pub fn log_relay(peer: SocketAddr, result: &io::Result<(zc::Report, zc::Report)>) {
    match result {
        Ok((up, down)) => rt::log(format_args!(
            "{peer}: {} bytes up by {}, {} bytes down by {}",
            up.bytes(),
            up.path(),
            down.bytes(),
            down.path()
        )),
        Err(e) => rt::log(format_args!("{peer}: relay failed: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::{Cli, Config};

    fn parse(args: &[&str]) -> Result<Config, String> {
        let mut args = args.iter().map(|a| a.to_string());
        match Config::parse(&mut args)? {
            Cli::Run(config) => Ok(config),
            Cli::Help => Err("help".into()),
        }
    }

    #[test]
    fn proxy_args_default_and_override() {
        let config = parse(&[]).unwrap();
        assert_eq!(
            (config.listen.port(), config.upstream[0].port()),
            (8081, 8080)
        );
        let config = parse(&["--upstream", "localhost:9", "--listen", "[::1]:7"]).unwrap();
        assert_eq!(config.listen.to_string(), "[::1]:7");
        assert!(config
            .upstream
            .iter()
            .all(|a| a.port() == 9 && a.ip().is_loopback()));
        let config = parse(&["--idle-timeout", "0.5", "--threads", "3"]).unwrap();
        assert_eq!((config.idle_timeout.as_millis(), config.threads), (500, 3));
    }

    #[test]
    fn proxy_args_refuse_bad_input_with_a_message() {
        assert!(parse(&["--listen"]).unwrap_err().contains("needs a value"));
        assert!(parse(&["--listen", "nope"])
            .unwrap_err()
            .contains("--listen"));
        assert!(parse(&["--bogus"])
            .unwrap_err()
            .contains("unknown argument"));
        assert!(parse(&["--idle-timeout", "-1"])
            .unwrap_err()
            .contains("seconds"));
        assert_eq!(parse(&["--help"]).unwrap_err(), "help");
    }
}
