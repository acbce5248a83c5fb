//! An axum app serving a directory, its file bodies by `sendfile(2)`: `zc_hyper::ServeDir`
//! behind `zc_hyper::serve`, the two lines that differ from the same app with tower-http.
//!
//! ```sh
//! cargo run --release -p zc-hyper --features axum --example axum_file_server -- --root . --addr 127.0.0.1:8080
//! curl -r 0-99 http://127.0.0.1:8080/README.md
//! ```
//!
//! Each response is logged on stderr with the path its file body took (`--access-log off`
//! to stop):
//!
//! ```text
//! 127.0.0.1:41200 "GET /big.bin HTTP/1.1" 200 1048576 file bytes by sendfile
//! 127.0.0.1:41214 "GET /big.bin HTTP/2.0" 200 1048576 file bytes by user space (not HTTP/1.x)
//! ```
//!
//! `--serve-dir tower-http` runs the same app with tower-http's `ServeDir` behind
//! `axum::serve` (with `TCP_NODELAY`), the reference of `scripts/http-bench.sh`.
//! `--threads N` runs N current-thread runtimes, each with its own accept loop on the one
//! listening socket (nginx's workers).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

const USAGE: &str = "usage: axum_file_server [options]

  --root DIR                 directory to serve (default .)
  --addr HOST:PORT           address to listen on (default 127.0.0.1:8080)
  --threads N                server threads, one current-thread runtime each (default 1)
  --access-log on|off        one line per response on stderr (default on)
  --serve-dir zc|tower-http  zc_hyper's ServeDir and serve (default), or tower-http's
                             ServeDir and axum::serve (the benchmark's reference)
  -h, --help                 this text";

#[derive(Debug, Clone)]
struct Config {
    root: PathBuf,
    addr: SocketAddr,
    threads: usize,
    access_log: bool,
    tower_http: bool,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Config>, String> {
    let mut config = Config {
        root: ".".into(),
        addr: ([127, 0, 0, 1], 8080).into(),
        threads: 1,
        access_log: true,
        tower_http: false,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--root" => config.root = value()?.into(),
            "--addr" => {
                let addr = value()?;
                config.addr = addr.parse().map_err(|e| format!("--addr {addr}: {e}"))?;
            }
            "--threads" => {
                let n = value()?;
                config.threads = n.parse().map_err(|e| format!("--threads {n}: {e}"))?;
                config.threads = config.threads.max(1);
            }
            "--access-log" => match value()?.as_str() {
                "on" => config.access_log = true,
                "off" => config.access_log = false,
                other => return Err(format!("--access-log: {other:?} is not on or off")),
            },
            "--serve-dir" => match value()?.as_str() {
                "zc" => config.tower_http = false,
                "tower-http" => config.tower_http = true,
                other => return Err(format!("--serve-dir: {other:?} is not zc or tower-http")),
            },
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(config))
}

/// One log line, written with a single `write(2)`.
fn log(line: std::fmt::Arguments<'_>) {
    let mut buf = Vec::with_capacity(128);
    let _ = buf.write_fmt(line);
    buf.push(b'\n');
    let _ = std::io::stderr().lock().write_all(&buf);
}

/// Serves on `listener` until the process ends: one thread's runtime.
async fn serve(config: Config, listener: std::net::TcpListener) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    if config.tower_http {
        use axum::serve::ListenerExt as _;
        let app =
            axum::Router::new().fallback_service(tower_http::services::ServeDir::new(&config.root));
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        return axum::serve(listener, app).await;
    }
    let app = axum::Router::new().fallback_service(zc_hyper::ServeDir::new(&config.root));
    let serve = zc_hyper::serve(listener, app);
    if config.access_log {
        serve.on_response(|done| log(format_args!("{done}"))).await
    } else {
        serve.await
    }
}

fn main() {
    let config = match parse(std::env::args().skip(1)) {
        Ok(Some(config)) => config,
        Ok(None) => {
            println!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("axum_file_server: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    let run = || -> std::io::Result<()> {
        let listener = std::net::TcpListener::bind(config.addr)?;
        listener.set_nonblocking(true)?;
        log(format_args!(
            "serving {} on http://{} ({}, {} threads)",
            config.root.display(),
            listener.local_addr()?,
            if config.tower_http {
                "tower-http ServeDir, axum::serve"
            } else {
                "zc_hyper"
            },
            config.threads
        ));
        let mut threads = Vec::new();
        for _ in 1..config.threads {
            let (config, listener) = (config.clone(), listener.try_clone()?);
            threads.push(std::thread::spawn(move || {
                runtime()?.block_on(serve(config, listener))
            }));
        }
        runtime()?.block_on(serve(config.clone(), listener))?;
        for thread in threads {
            thread
                .join()
                .map_err(|_| std::io::Error::other("a thread panicked"))??;
        }
        Ok(())
    };
    if let Err(e) = run() {
        eprintln!("axum_file_server: {e}");
        std::process::exit(1);
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}
