//! What the TCP proxy examples of every runtime share: their command line and their log line.

use std::io;
use std::net::SocketAddr;

/// `--listen HOST:PORT` (default `127.0.0.1:8081`) and `--upstream HOST:PORT` (default
/// `127.0.0.1:8080`), from the process's arguments; `name` is the example's, for `--help`.
///
/// # Errors
///
/// `InvalidInput` with a usage message for an unknown argument, a missing value, a bad
/// address, or `--help`.
pub fn args(name: &str) -> io::Result<(SocketAddr, SocketAddr)> {
    parse(name, std::env::args().skip(1))
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
}

fn parse(
    name: &str,
    mut args: impl Iterator<Item = String>,
) -> Result<(SocketAddr, SocketAddr), String> {
    let mut listen: SocketAddr = ([127, 0, 0, 1], 8081).into();
    let mut upstream: SocketAddr = ([127, 0, 0, 1], 8080).into();
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| -> Result<SocketAddr, String> {
            args.next()
                .ok_or(format!("{flag} needs a value"))?
                .parse()
                .map_err(|e| format!("{flag}: {e}"))
        };
        match arg.as_str() {
            "--listen" => listen = value("--listen")?,
            "--upstream" => upstream = value("--upstream")?,
            "-h" | "--help" => {
                return Err(format!(
                    "usage: {name} [--listen HOST:PORT] [--upstream HOST:PORT]"
                ))
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok((listen, upstream))
}

/// Logs how a relayed connection ended: each direction's bytes and path, or the error.
pub fn log_relay(peer: SocketAddr, result: &io::Result<(zc::Report, zc::Report)>) {
    match result {
        Ok((up, down)) => eprintln!(
            "{peer}: {} bytes up by {}, {} bytes down by {}",
            up.bytes(),
            up.path(),
            down.bytes(),
            down.path()
        ),
        Err(e) => eprintln!("{peer}: relay failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn argv(args: &[&str]) -> impl Iterator<Item = String> {
        args.iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn proxy_args_default_and_override() {
        let (listen, upstream) = parse("p", argv(&[])).unwrap();
        assert_eq!((listen.port(), upstream.port()), (8081, 8080));
        let (listen, upstream) = parse(
            "p",
            argv(&["--upstream", "127.0.0.1:9", "--listen", "[::1]:7"]),
        )
        .unwrap();
        assert_eq!((listen.to_string(), upstream.port()), ("[::1]:7".into(), 9));
    }

    #[test]
    fn proxy_args_refuse_bad_input_with_a_message() {
        assert!(parse("p", argv(&["--listen"]))
            .unwrap_err()
            .contains("needs a value"));
        assert!(parse("p", argv(&["--listen", "nope"]))
            .unwrap_err()
            .contains("--listen"));
        assert!(parse("p", argv(&["--bogus"]))
            .unwrap_err()
            .contains("unknown argument"));
        assert!(parse("p", argv(&["--help"]))
            .unwrap_err()
            .starts_with("usage: p"));
    }
}
