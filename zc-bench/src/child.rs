//! The measured side: one variant of one scenario, in a process of its own.
//!
//! The parent re-executes this binary as `zc-bench __child <scenario> <variant> key=value..`.
//! The child sets everything up (runtime, connections, open files) before it starts its
//! [`Meter`], does only the sending (or relaying, or serving), and prints one `RESULT` line.
//! Its CPU clock therefore counts the sender and nothing else; the receivers live in the
//! parent.

use std::io::{self, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::scenario::Scenario;
use crate::sys::{self, Meter, Sample};

/// Arguments passed from the parent.
#[derive(Debug, Default)]
struct Args {
    file: PathBuf,
    dst: PathBuf,
    port: u16,
    port2: u16,
    count: u64,
    /// Scenario 6: round trips per connection, and the message size.
    messages: u64,
    message_size: usize,
    timeout_secs: u64,
    cpu: Option<usize>,
}

pub fn main(argv: &[String]) -> i32 {
    let (Some(scenario), Some(variant)) = (argv.first(), argv.get(1)) else {
        eprintln!("zc-bench __child: expected <scenario> <variant> key=value..");
        return 2;
    };
    let Some(scenario) = scenario.parse().ok().and_then(Scenario::from_number) else {
        eprintln!("zc-bench __child: bad scenario {scenario:?}");
        return 2;
    };
    let mut args = Args {
        timeout_secs: 600,
        ..Args::default()
    };
    for kv in &argv[2..] {
        let Some((k, v)) = kv.split_once('=') else {
            eprintln!("zc-bench __child: bad argument {kv:?}");
            return 2;
        };
        let ok = match k {
            "file" => {
                args.file = v.into();
                true
            }
            "dst" => {
                args.dst = v.into();
                true
            }
            "port" => v.parse().map(|p| args.port = p).is_ok(),
            "port2" => v.parse().map(|p| args.port2 = p).is_ok(),
            "count" => v.parse().map(|c| args.count = c).is_ok(),
            "messages" => v.parse().map(|c| args.messages = c).is_ok(),
            "message_size" => v.parse().map(|c| args.message_size = c).is_ok(),
            "mark" => {
                sys::enable_marks();
                true
            }
            "timeout" => v.parse().map(|t| args.timeout_secs = t).is_ok(),
            "cpu" => v.parse().map(|c| args.cpu = Some(c)).is_ok(),
            _ => false,
        };
        if !ok {
            eprintln!("zc-bench __child: bad argument {kv:?}");
            return 2;
        }
    }
    if let Some(cpu) = args.cpu {
        if let Err(e) = sys::pin_to_cpu(cpu) {
            eprintln!("zc-bench __child: cannot pin to CPU {cpu}: {e}");
            return 1;
        }
    }
    // A run that hangs must not hang the benchmark: the child ends itself.
    let timeout = Duration::from_secs(args.timeout_secs);
    let (started, watchdog_runs) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = started.send(());
        std::thread::sleep(timeout);
        eprintln!("zc-bench __child: timed out after {timeout:?}");
        std::process::exit(3);
    });
    // The watchdog's own start-up syscalls must not land in a traced run's measured part.
    let _ = watchdog_runs.recv();
    let result = match scenario {
        Scenario::FileToTcp => file_to_tcp(variant, &args),
        Scenario::Relay => relay(variant, &args),
        Scenario::FileToFile => file_to_file(variant, &args),
        Scenario::SmallFiles => small_files(variant, &args),
        Scenario::ManyClients => many_clients(variant, &args),
        Scenario::PingPong => ping_pong(variant, &args),
        Scenario::ColdCache => cold_cache(variant, &args),
    };
    match result {
        Ok(sample) => {
            println!("{}", sample.to_line());
            0
        }
        Err(e) => {
            eprintln!("zc-bench __child: scenario {scenario:?} variant {variant}: {e}");
            1
        }
    }
}

fn unknown(variant: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("unknown variant {variant:?}"),
    )
}

fn tokio_rt() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

fn connect(port: u16) -> io::Result<TcpStream> {
    TcpStream::connect(("127.0.0.1", port))
}

async fn tokio_connect(port: u16) -> io::Result<tokio::net::TcpStream> {
    tokio::net::TcpStream::connect(("127.0.0.1", port)).await
}

/// Half-closes, then waits until the receiver has read everything and closed: the end of
/// the measured time is when the bytes arrived, not when they were queued.
async fn tokio_finish(sock: &mut tokio::net::TcpStream) -> io::Result<()> {
    sock.shutdown().await?;
    let mut byte = [0u8; 1];
    match sock.read(&mut byte).await? {
        0 => Ok(()),
        _ => Err(io::Error::other("the peer sent bytes instead of closing")),
    }
}

/// [`tokio_finish`] for futures-io streams (smol, async-std), after their own half-close.
async fn futures_wait_eof<S: futures_lite::AsyncRead + Unpin>(sock: &mut S) -> io::Result<()> {
    use futures_lite::AsyncReadExt;
    let mut byte = [0u8; 1];
    match sock.read(&mut byte).await? {
        0 => Ok(()),
        _ => Err(io::Error::other("the peer sent bytes instead of closing")),
    }
}

fn std_finish(sock: &mut TcpStream) -> io::Result<()> {
    sock.shutdown(Shutdown::Write)?;
    sys::wait_eof(sock)
}

// ---------------------------------------------------------------------------------------
// Scenario 1: file -> TCP

fn file_to_tcp(variant: &str, a: &Args) -> io::Result<Sample> {
    match variant {
        "blocking-sendfile" => {
            let file = std::fs::File::open(&a.file)?;
            let mut sock = connect(a.port)?;
            let m = Meter::start();
            let n = sys::sendfile_all(&file, &sock)?;
            std_finish(&mut sock)?;
            Ok(m.finish(n, ""))
        }
        "c-sendfile" => c_sendfile(a),
        "std-copy" => {
            let mut file = std::fs::File::open(&a.file)?;
            let mut sock = connect(a.port)?;
            let m = Meter::start();
            let n = io::copy(&mut file, &mut sock)?;
            std_finish(&mut sock)?;
            Ok(m.finish(n, ""))
        }
        "zc-smol" => smol::block_on(async {
            let mut file = smol::fs::File::open(&a.file).await?;
            let mut sock = smol::net::TcpStream::connect(("127.0.0.1", a.port)).await?;
            let m = Meter::start();
            let report = zc::copy_report(&mut file, &mut sock).await?;
            sock.shutdown(Shutdown::Write)?;
            futures_wait_eof(&mut sock).await?;
            Ok(m.finish(report.bytes(), &report.path().to_string()))
        }),
        "zc-async-std" => async_std::task::block_on(async {
            let mut file = async_std::fs::File::open(&a.file).await?;
            let mut sock = async_std::net::TcpStream::connect(("127.0.0.1", a.port)).await?;
            let m = Meter::start();
            let report = zc::copy_report(&mut file, &mut sock).await?;
            sock.shutdown(Shutdown::Write)?;
            futures_wait_eof(&mut sock).await?;
            Ok(m.finish(report.bytes(), &report.path().to_string()))
        }),
        "zc-tokio" | "zc-tokio-max-2m" => tokio_rt()?.block_on(async {
            let mut file = tokio::fs::File::open(&a.file).await?;
            let mut sock = tokio_connect(a.port).await?;
            // The default per-poll bound (512 KiB) against the one before it, 2 MiB.
            let mut options = zc::CopyOptions::new();
            if variant == "zc-tokio-max-2m" {
                options = options.max_per_poll(2 << 20);
            }
            let m = Meter::start();
            let report = options.copy(&mut file, &mut sock).await?;
            tokio_finish(&mut sock).await?;
            Ok(m.finish(report.bytes(), &report.path().to_string()))
        }),
        "tokio-copy" | "tokio-copy-buf" => tokio_rt()?.block_on(async {
            let mut file = tokio::fs::File::open(&a.file).await?;
            let mut sock = tokio_connect(a.port).await?;
            let m = Meter::start();
            let n = if variant == "tokio-copy" {
                tokio::io::copy(&mut file, &mut sock).await?
            } else {
                let mut file = tokio::io::BufReader::with_capacity(256 << 10, file);
                tokio::io::copy_buf(&mut file, &mut sock).await?
            };
            tokio_finish(&mut sock).await?;
            Ok(m.finish(n, ""))
        }),
        _ => Err(unknown(variant)),
    }
}

// ---------------------------------------------------------------------------------------
// Scenario 2: TCP -> TCP through this process

/// The source side (port) waits for this byte before it sends, so no byte moves before the
/// proxy's clock runs.
const GO: [u8; 1] = [1];

fn relay(variant: &str, a: &Args) -> io::Result<Sample> {
    let mut up = connect(a.port)?;
    let mut down = connect(a.port2)?;
    match variant {
        "zc-tokio" => tokio_rt()?.block_on(async {
            let (mut up, mut down) = tokio_pair(up, down)?;
            let m = Meter::start();
            up.write_all(&GO).await?;
            let (there, _) = zc::copy_bidirectional_report(&mut up, &mut down).await?;
            Ok(m.finish(there.bytes(), &there.path().to_string()))
        }),
        "zc-smol" => smol::block_on(async {
            let mut up = smol::net::TcpStream::try_from(up)?;
            let mut down = smol::net::TcpStream::try_from(down)?;
            let m = Meter::start();
            futures_lite::AsyncWriteExt::write_all(&mut up, &GO).await?;
            let (there, _) = zc::copy_bidirectional_report(&mut up, &mut down).await?;
            Ok(m.finish(there.bytes(), &there.path().to_string()))
        }),
        "zc-async-std" => async_std::task::block_on(async {
            let mut up = async_std::net::TcpStream::from(up);
            let mut down = async_std::net::TcpStream::from(down);
            let m = Meter::start();
            futures_lite::AsyncWriteExt::write_all(&mut up, &GO).await?;
            let (there, _) = zc::copy_bidirectional_report(&mut up, &mut down).await?;
            Ok(m.finish(there.bytes(), &there.path().to_string()))
        }),
        "blocking-splice" => {
            let m = Meter::start();
            up.write_all(&GO)?;
            let n = sys::splice_all(&up, &down, 1 << 20)?;
            std_finish(&mut down)?;
            up.shutdown(Shutdown::Write)?;
            Ok(m.finish(n, ""))
        }
        "c-splice" => {
            let m = Meter::start();
            up.write_all(&GO)?;
            let n = sys::splice_all_nonblocking(&up, &down, 1 << 20)?;
            std_finish(&mut down)?;
            up.shutdown(Shutdown::Write)?;
            Ok(m.finish(n, ""))
        }
        "tokio-bidi" => tokio_rt()?.block_on(async {
            let (mut up, mut down) = tokio_pair(up, down)?;
            let m = Meter::start();
            up.write_all(&GO).await?;
            let (n, _) = tokio::io::copy_bidirectional(&mut up, &mut down).await?;
            Ok(m.finish(n, ""))
        }),
        _ => Err(unknown(variant)),
    }
}

/// Hands two connected std streams to the current tokio runtime.
fn tokio_pair(
    up: TcpStream,
    down: TcpStream,
) -> io::Result<(tokio::net::TcpStream, tokio::net::TcpStream)> {
    up.set_nonblocking(true)?;
    down.set_nonblocking(true)?;
    Ok((
        tokio::net::TcpStream::from_std(up)?,
        tokio::net::TcpStream::from_std(down)?,
    ))
}

// ---------------------------------------------------------------------------------------
// Scenario 3: file -> file

fn file_to_file(variant: &str, a: &Args) -> io::Result<Sample> {
    let (src, dst) = (a.file.as_path(), a.dst.as_path());
    match variant {
        "c-cfr" => {
            let m = Meter::start();
            let from = std::fs::File::open(src)?;
            let to = std::fs::File::create(dst)?;
            let n = sys::copy_file_range_all(&from, &to)?;
            drop((from, to));
            Ok(m.finish(n, ""))
        }
        "std-fs-copy" => {
            let m = Meter::start();
            let n = std::fs::copy(src, dst)?;
            Ok(m.finish(n, ""))
        }
        "tokio-fs-copy" => tokio_rt()?.block_on(async {
            let m = Meter::start();
            let n = tokio::fs::copy(src, dst).await?;
            Ok(m.finish(n, ""))
        }),
        "zc-tokio" => tokio_rt()?.block_on(async {
            let m = Meter::start();
            let mut from = tokio::fs::File::open(src).await?;
            let mut to = tokio::fs::File::create(dst).await?;
            let report = zc::copy_report(&mut from, &mut to).await?;
            drop((from, to));
            Ok(m.finish(report.bytes(), &report.path().to_string()))
        }),
        "zc-smol" => smol::block_on(async {
            let m = Meter::start();
            let mut from = smol::fs::File::open(src).await?;
            let mut to = smol::fs::File::create(dst).await?;
            let report = zc::copy_report(&mut from, &mut to).await?;
            drop((from, to));
            Ok(m.finish(report.bytes(), &report.path().to_string()))
        }),
        "zc-async-std" => async_std::task::block_on(async {
            let m = Meter::start();
            let mut from = async_std::fs::File::open(src).await?;
            let mut to = async_std::fs::File::create(dst).await?;
            let report = zc::copy_report(&mut from, &mut to).await?;
            drop((from, to));
            Ok(m.finish(report.bytes(), &report.path().to_string()))
        }),
        "zc-neutral" => {
            let m = Meter::start();
            let mut from = std::fs::File::open(src)?;
            let mut to = std::fs::File::create(dst)?;
            let report = futures_lite::future::block_on(zc::copy_report::<zc::Neutral, _, _>(
                &mut from, &mut to,
            ))?;
            drop((from, to));
            Ok(m.finish(report.bytes(), &report.path().to_string()))
        }
        _ => Err(unknown(variant)),
    }
}

// ---------------------------------------------------------------------------------------
// Scenario 4: many small files into one connection

fn small_files(variant: &str, a: &Args) -> io::Result<Sample> {
    let path = a.file.as_path();
    match variant {
        "c-open-sendfile" => {
            let mut sock = connect(a.port)?;
            sock.set_nonblocking(true)?;
            let m = Meter::start();
            let mut n = 0;
            for _ in 0..a.count {
                let file = std::fs::File::open(path)?;
                n += sys::sendfile_sized_nonblocking(&file, &sock)?;
            }
            sock.set_nonblocking(false)?;
            std_finish(&mut sock)?;
            Ok(m.finish(n, ""))
        }
        "zc-smol" => smol::block_on(async {
            let mut sock = smol::net::TcpStream::connect(("127.0.0.1", a.port)).await?;
            let m = Meter::start();
            let (n, taken) = copy_small_files::<zc::Smol, _>(path, a.count, &mut sock).await?;
            sock.shutdown(Shutdown::Write)?;
            futures_wait_eof(&mut sock).await?;
            Ok(m.finish(n, &taken))
        }),
        "zc-async-std" => async_std::task::block_on(async {
            let mut sock = async_std::net::TcpStream::connect(("127.0.0.1", a.port)).await?;
            let m = Meter::start();
            let (n, taken) = copy_small_files::<zc::AsyncStd, _>(path, a.count, &mut sock).await?;
            sock.shutdown(Shutdown::Write)?;
            futures_wait_eof(&mut sock).await?;
            Ok(m.finish(n, &taken))
        }),
        "zc-tokio" => tokio_rt()?.block_on(async {
            let mut sock = tokio_connect(a.port).await?;
            let m = Meter::start();
            let (n, taken) = copy_small_files::<zc::Tokio, _>(path, a.count, &mut sock).await?;
            tokio_finish(&mut sock).await?;
            Ok(m.finish(n, &taken))
        }),
        "zc-tokio-fs-open" => tokio_rt()?.block_on(async {
            let mut sock = tokio_connect(a.port).await?;
            let m = Meter::start();
            let (mut n, mut taken) = (0, String::new());
            for _ in 0..a.count {
                let mut file = tokio::fs::File::open(path).await?;
                let report = zc::copy_report(&mut file, &mut sock).await?;
                n += report.bytes();
                taken = report.path().to_string();
            }
            tokio_finish(&mut sock).await?;
            Ok(m.finish(n, &taken))
        }),
        "tokio-copy" => tokio_rt()?.block_on(async {
            let mut sock = tokio_connect(a.port).await?;
            let m = Meter::start();
            let mut n = 0;
            for _ in 0..a.count {
                let mut file = tokio::fs::File::open(path).await?;
                n += tokio::io::copy(&mut file, &mut sock).await?;
            }
            tokio_finish(&mut sock).await?;
            Ok(m.finish(n, ""))
        }),
        _ => Err(unknown(variant)),
    }
}

/// `count` times: `open` the file inline (a page-cache open is a few µs: servers of small
/// cached files do it on the executor's thread), `zc::copy` it into `sock`, close it. Returns
/// the bytes and the last path zc reported.
async fn copy_small_files<Rt, D>(path: &Path, count: u64, sock: &mut D) -> io::Result<(u64, String)>
where
    Rt: zc::Runtime,
    std::fs::File: zc::Source<Rt>,
    D: zc::Sink<Rt>,
{
    let (mut n, mut taken) = (0, String::new());
    for _ in 0..count {
        let mut file = std::fs::File::open(path)?;
        let report = zc::copy_report::<Rt, _, _>(&mut file, sock).await?;
        n += report.bytes();
        taken = report.path().to_string();
    }
    Ok((n, taken))
}

// ---------------------------------------------------------------------------------------
// Scenario 5: one server, many concurrent clients

/// Binds, tells the parent the port, and accepts `count` clients before any clock starts.
fn accept_clients(a: &Args) -> io::Result<Vec<TcpStream>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    println!("READY port={}", listener.local_addr()?.port());
    io::stdout().flush()?;
    let timeout = Duration::from_secs(a.timeout_secs);
    (0..a.count)
        .map(|_| sys::accept_timeout(&listener, timeout))
        .collect()
}

fn many_clients(variant: &str, a: &Args) -> io::Result<Sample> {
    let path = a.file.as_path();
    let clients = accept_clients(a)?;
    match variant {
        "c-sendfile" => {
            let m = Meter::start();
            let pairs = clients
                .iter()
                .map(|sock| Ok((std::fs::File::open(path)?, sock)))
                .collect::<io::Result<Vec<_>>>()?;
            let n = sys::sendfile_many_nonblocking(&pairs, 4 << 20)?;
            drop(pairs);
            let mut clients = clients;
            for sock in &mut clients {
                sys::wait_eof(sock)?;
            }
            Ok(m.finish(n, ""))
        }
        "zc-tokio" => serve_tokio(clients, path, |path, mut sock| async move {
            let mut file = tokio::fs::File::open(&path).await?;
            let report = zc::copy_report(&mut file, &mut sock).await?;
            tokio_finish(&mut sock).await?;
            Ok((report.bytes(), report.path().to_string()))
        }),
        "tokio-copy" => serve_tokio(clients, path, |path, mut sock| async move {
            let mut file = tokio::fs::File::open(&path).await?;
            let n = tokio::io::copy(&mut file, &mut sock).await?;
            tokio_finish(&mut sock).await?;
            Ok((n, String::new()))
        }),
        _ => Err(unknown(variant)),
    }
}

/// Serves every client from a task of its own on one current-thread runtime.
fn serve_tokio<F, Fut>(clients: Vec<TcpStream>, path: &Path, serve: F) -> io::Result<Sample>
where
    F: Fn(PathBuf, tokio::net::TcpStream) -> Fut,
    Fut: std::future::Future<Output = io::Result<(u64, String)>> + Send + 'static,
{
    tokio_rt()?.block_on(async {
        let mut socks = Vec::with_capacity(clients.len());
        for sock in clients {
            sock.set_nonblocking(true)?;
            socks.push(tokio::net::TcpStream::from_std(sock)?);
        }
        let m = Meter::start();
        let mut tasks = tokio::task::JoinSet::new();
        for sock in socks {
            tasks.spawn(serve(path.to_path_buf(), sock));
        }
        join_all(tasks, m).await
    })
}

/// Waits for every task of `tasks` and stops the meter: the bytes they moved, the last path.
async fn join_all(
    mut tasks: tokio::task::JoinSet<io::Result<(u64, String)>>,
    m: Meter,
) -> io::Result<Sample> {
    let (mut n, mut path) = (0, String::new());
    while let Some(done) = tasks.join_next().await {
        let (bytes, p) = done.map_err(io::Error::other)??;
        n += bytes;
        path = p;
    }
    Ok(m.finish(n, &path))
}

// ---------------------------------------------------------------------------------------
// Scenario 1's C reference, also scenario 7's disk-speed row

fn c_sendfile(a: &Args) -> io::Result<Sample> {
    let file = std::fs::File::open(&a.file)?;
    let mut sock = connect(a.port)?;
    let m = Meter::start();
    let n = sys::sendfile_all_nonblocking(&file, &sock, 4 << 20)?;
    std_finish(&mut sock)?;
    Ok(m.finish(n, ""))
}

// ---------------------------------------------------------------------------------------
// Scenario 6: small messages through a proxy, many connections

/// Tells the parent that the clock runs, so its clients may start.
fn say_ready() -> io::Result<()> {
    println!("READY port=0");
    io::stdout().flush()
}

/// Connects `a.count` pairs: one end to the parent's clients (`port`), one to its echo
/// backend (`port2`).
fn ping_pong(variant: &str, a: &Args) -> io::Result<Sample> {
    let pairs = (0..a.count)
        .map(|_| Ok((connect(a.port)?, connect(a.port2)?)))
        .collect::<io::Result<Vec<_>>>()?;
    match variant {
        "tokio-bidi" | "zc-tokio" => tokio_rt()?.block_on(async {
            let socks = pairs
                .into_iter()
                .map(|(c, b)| tokio_pair(c, b))
                .collect::<io::Result<Vec<_>>>()?;
            let zc = variant == "zc-tokio";
            let m = Meter::start();
            let mut tasks = tokio::task::JoinSet::new();
            for (mut client, mut backend) in socks {
                tasks.spawn(async move {
                    if zc {
                        let (there, _) =
                            zc::copy_bidirectional_report(&mut client, &mut backend).await?;
                        io::Result::Ok((there.bytes(), there.path().to_string()))
                    } else {
                        let (n, _) =
                            tokio::io::copy_bidirectional(&mut client, &mut backend).await?;
                        Ok((n, String::new()))
                    }
                });
            }
            say_ready()?;
            join_all(tasks, m).await
        }),
        "zc-smol" | "smol-bidi" => {
            let socks = pairs
                .into_iter()
                .map(|(c, b)| {
                    Ok((
                        smol::net::TcpStream::try_from(c)?,
                        smol::net::TcpStream::try_from(b)?,
                    ))
                })
                .collect::<io::Result<Vec<_>>>()?;
            if variant == "zc-smol" {
                smol::block_on(relay_local(socks, zc_relay::<zc::Smol, _>))
            } else {
                smol::block_on(relay_local(socks, |c, b| {
                    copy_both_ways(c, b, smol::io::copy)
                }))
            }
        }
        "zc-async-std" | "async-std-bidi" => {
            let socks = pairs
                .into_iter()
                .map(|(c, b)| {
                    (
                        async_std::net::TcpStream::from(c),
                        async_std::net::TcpStream::from(b),
                    )
                })
                .collect();
            if variant == "zc-async-std" {
                async_std::task::block_on(relay_local(socks, zc_relay::<zc::AsyncStd, _>))
            } else {
                async_std::task::block_on(relay_local(socks, |c, b| {
                    copy_both_ways(c, b, |mut r, mut w| async move {
                        async_std::io::copy(&mut r, &mut w).await
                    })
                }))
            }
        }
        _ => Err(unknown(variant)),
    }
}

/// One connection's relay through `zc::copy_bidirectional`: its bytes and reported path.
async fn zc_relay<Rt, S>(mut client: S, mut backend: S) -> io::Result<(u64, String)>
where
    S: zc::Source<Rt> + zc::Sink<Rt>,
    Rt: zc::Runtime,
{
    let (there, _) = zc::copy_bidirectional_report::<Rt, _, _>(&mut client, &mut backend).await?;
    Ok((there.bytes(), there.path().to_string()))
}

/// A socket that `smol-bidi` / `async-std-bidi` relay: cloned for its two halves, and shut
/// for writing when its direction ends.
trait PeerSocket: Clone {
    fn shutdown_write(&self) -> io::Result<()>;
}

impl PeerSocket for smol::net::TcpStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

impl PeerSocket for async_std::net::TcpStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

/// The relay a smol or async-std user writes without zc, the peer of
/// `tokio::io::copy_bidirectional`: the runtime's `io::copy` each way (an 8 KiB buffer),
/// joined in the connection's task, each direction half-closing its write side at its EOF.
async fn copy_both_ways<S, F, C>(client: S, backend: S, copy: C) -> io::Result<(u64, String)>
where
    S: PeerSocket,
    C: Fn(S, S) -> F,
    F: std::future::Future<Output = io::Result<u64>>,
{
    let one_way = |from: S, to: S| {
        let copied = copy(from, to.clone());
        async move {
            let n = copied.await?;
            to.shutdown_write()?;
            io::Result::Ok(n)
        }
    };
    let there = one_way(client.clone(), backend.clone());
    let back = one_way(backend, client);
    let (n, _) = smol::future::try_zip(there, back).await?;
    Ok((n, String::new()))
}

/// A relay task per pair on one thread (smol's `LocalExecutor`, which async-std's streams
/// run on as well); `relay` is one connection's relay.
async fn relay_local<S, R, F>(pairs: Vec<(S, S)>, relay: R) -> io::Result<Sample>
where
    S: 'static,
    R: Fn(S, S) -> F,
    F: std::future::Future<Output = io::Result<(u64, String)>> + 'static,
{
    let ex = smol::LocalExecutor::new();
    ex.run(async {
        let m = Meter::start();
        let tasks: Vec<_> = pairs
            .into_iter()
            .map(|(client, backend)| ex.spawn(relay(client, backend)))
            .collect();
        say_ready()?;
        let (mut n, mut path) = (0, String::new());
        for task in tasks {
            let (bytes, p) = task.await?;
            n += bytes;
            path = p;
        }
        Ok(m.finish(n, &path))
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Scenario 7: a cold file to TCP, with a probe task on the same executor

/// The probe task's period.
const PROBE_PERIOD: Duration = Duration::from_millis(1);

/// The options of scenario 7's zc rows.
///
/// `off_thread`: issue 15's switch, `CopyOptions::disk_off_thread` (on by default); the
/// "inline" rows turn it off, which is what zc did before.
fn cold_cache_options(off_thread: bool) -> zc::CopyOptions {
    zc::CopyOptions::new().disk_off_thread(off_thread)
}

/// The probe task: sleeps [`PROBE_PERIOD`] in a loop until `done`, and returns the longest
/// time between two of its wake-ups.
async fn probe(done: std::sync::Arc<std::sync::atomic::AtomicBool>) -> Duration {
    let mut last = std::time::Instant::now();
    let mut worst = Duration::ZERO;
    while !done.load(std::sync::atomic::Ordering::Relaxed) {
        tokio::time::sleep(PROBE_PERIOD).await;
        let now = std::time::Instant::now();
        worst = worst.max(now - last);
        last = now;
    }
    worst
}

fn cold_cache(variant: &str, a: &Args) -> io::Result<Sample> {
    let options = match variant {
        "c-sendfile-cold" => return c_sendfile(a),
        "probe-beside-c-sendfile" => return probe_beside_c_sendfile(a),
        "zc-tokio-warm" | "zc-tokio-cold" => cold_cache_options(true),
        "zc-tokio-warm-inline" | "zc-tokio-cold-inline" => cold_cache_options(false),
        _ => match variant.strip_prefix("zc-tokio-warm-max-") {
            // The per-poll bound's trade-off (issue 15): the worst probe gap against the
            // CPU per GiB, in one interleaved run with the default rows.
            Some(bound) => cold_cache_options(true).max_per_poll(
                crate::cli::bytes(bound)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?,
            ),
            None => return Err(unknown(variant)),
        },
    };
    tokio_rt()?.block_on(async {
        let mut file = tokio::fs::File::open(&a.file).await?;
        let mut sock = tokio_connect(a.port).await?;
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let probe = tokio::spawn(probe(done.clone()));
        // Let the probe start its first sleep before the clock does.
        tokio::task::yield_now().await;
        let m = Meter::start();
        let report = options.copy(&mut file, &mut sock).await?;
        tokio_finish(&mut sock).await?;
        let mut sample = m.finish(report.bytes(), &report.path().to_string());
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        let worst = probe.await.map_err(io::Error::other)?;
        sample.gap_us = worst.as_micros() as u64;
        sample.disk_steps = report.disk_wait_steps();
        Ok(sample)
    })
}

/// The probe's floor: the same probe task alone on the same kind of runtime, while the C
/// `sendfile` loop sends the same file to the same receiver from another thread. Its worst
/// gap is what the machine (the timer's granularity, the sender and the receiver sharing the
/// cores) costs the probe with no copy on its executor at all.
fn probe_beside_c_sendfile(a: &Args) -> io::Result<Sample> {
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let rt = tokio_rt()?;
    std::thread::scope(|s| {
        let sender = s.spawn(|| {
            let sample = c_sendfile(a);
            done.store(true, std::sync::atomic::Ordering::Relaxed);
            sample
        });
        let worst = rt.block_on(probe(done.clone()));
        let mut sample = sender
            .join()
            .map_err(|_| io::Error::other("the sender thread panicked"))??;
        sample.gap_us = worst.as_micros() as u64;
        Ok(sample)
    })
}
