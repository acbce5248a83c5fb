//! The orchestrating side: creates the data, runs the peers (receivers, the relay's two ends,
//! the clients of scenario 5) on its own threads, starts one child process per run, and
//! checks that every byte arrived.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::cli::Config;
use crate::data::{self, DataDir, Expect};
use crate::scenario::{Scenario, Variant};
use crate::sys::{self, Sample};

/// The receivers' read buffer.
const RECV_BUF: usize = 256 << 10;

/// What one table measures: a scenario, and for scenario 4 the small file's size.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub scenario: Scenario,
    /// Scenario 4: the size of the small file.
    pub small_size: u64,
}

/// One run of one variant: start the peers, start the child, check the bytes. With `trace`,
/// the child runs under `strace -f -o trace` and the sample carries its syscall counts.
pub fn run_once(
    cfg: &Config,
    data: &DataDir,
    table: Table,
    variant: &Variant,
    trace: Option<&Path>,
) -> io::Result<Sample> {
    let mut sample = run_peers(cfg, data, table, variant, trace)?;
    if let Some(path) = trace {
        let counts = crate::trace::parse(path);
        let _ = std::fs::remove_file(path);
        sample.syscalls = Some(counts?);
    }
    Ok(sample)
}

/// Starts the measured child with these arguments.
type Spawn<'a> = &'a dyn Fn(&[String]) -> io::Result<Running>;

fn run_peers(
    cfg: &Config,
    data: &DataDir,
    table: Table,
    variant: &Variant,
    trace: Option<&Path>,
) -> io::Result<Sample> {
    let scenario = table.scenario;
    let child = |args: &[String]| spawn_child(cfg, data, scenario, variant, args, trace);
    match scenario {
        Scenario::FileToTcp | Scenario::SmallFiles | Scenario::ColdCache => {
            file_peers(cfg, data, table, variant, &child)
        }
        Scenario::Relay => relay_peers(cfg, data, &child),
        Scenario::FileToFile => file_to_file_peers(cfg, data, &child),
        Scenario::ManyClients => many_clients_peers(cfg, data, &child),
        Scenario::PingPong => ping_pong_peers(cfg, &child),
    }
}

/// Scenarios 1, 4 and 7: a receiver for the file (made cold or warm first for scenario 7).
fn file_peers(
    cfg: &Config,
    data: &DataDir,
    table: Table,
    variant: &Variant,
    child: Spawn<'_>,
) -> io::Result<Sample> {
    let (timeout, scenario) = (cfg.timeout, table.scenario);
    let (file, repeats) = match scenario {
        Scenario::FileToTcp => (data.big.as_path(), 1),
        Scenario::ColdCache => (data.cold.as_path(), 1),
        _ => (data.small_file(table.small_size), cfg.small_count),
    };
    if scenario == Scenario::ColdCache {
        if variant.cold() {
            let resident = data::make_cold(file)?;
            if resident > 0.05 {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!(
                        "{:.0}% of {} stayed in the page cache after fadvise(DONTNEED): \
                     is it on tmpfs? (--dir picks a disk-backed directory)",
                        resident * 100.0,
                        file.display()
                    ),
                ));
            }
        } else {
            data::warm(file)?;
        }
    }
    let mut expect = Expect::new(file, repeats, cfg.verify)?;
    expect.splice = cfg.splice_receiver;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let receiver = spawn_receiver(listener, expect.clone(), timeout);
    let mut child = child(&[
        format!("file={}", file.display()),
        format!("port={port}"),
        format!("count={repeats}"),
    ])?;
    let mut sample = child_result(&mut child)?;
    let received = join(receiver)?;
    check_bytes("the receiver", received.bytes, expect.total)?;
    check_bytes("the sender", sample.bytes, expect.total)?;
    sample.peer_cpu_ns = received.cpu_ns;
    Ok(sample)
}

/// Scenario 2: a source and a sink on either side of the proxy.
fn relay_peers(cfg: &Config, data: &DataDir, child: Spawn<'_>) -> io::Result<Sample> {
    let timeout = cfg.timeout;
    let mut expect = Expect::new(&data.big, 1, cfg.verify)?;
    expect.splice = cfg.splice_receiver;
    let up = TcpListener::bind("127.0.0.1:0")?;
    let down = TcpListener::bind("127.0.0.1:0")?;
    let (up_port, down_port) = (up.local_addr()?.port(), down.local_addr()?.port());
    let source = spawn_source(up, data.big.clone(), timeout);
    let sink = spawn_sink(down, expect.clone(), timeout);
    let mut child = child(&[format!("port={up_port}"), format!("port2={down_port}")])?;
    let mut sample = child_result(&mut child)?;
    let sent = join(source)?;
    let received = join(sink)?;
    check_bytes("the source", sent.bytes, expect.total)?;
    check_bytes("the sink", received.bytes, expect.total)?;
    check_bytes("the proxy", sample.bytes, expect.total)?;
    sample.peer_cpu_ns = sent.cpu_ns + received.cpu_ns;
    Ok(sample)
}

/// Scenario 3: no peer; the copy is checked against the source.
fn file_to_file_peers(cfg: &Config, data: &DataDir, child: Spawn<'_>) -> io::Result<Sample> {
    let dst = data.copy_target();
    let _ = std::fs::remove_file(&dst);
    let mut child = child(&[
        format!("file={}", data.big.display()),
        format!("dst={}", dst.display()),
    ])?;
    let sample = child_result(&mut child);
    let checked = sample.and_then(|sample| {
        let want = std::fs::metadata(&data.big)?.len();
        check_bytes("the copy", std::fs::metadata(&dst)?.len(), want)?;
        check_bytes("the copier", sample.bytes, want)?;
        if cfg.verify && !data::same_content(&data.big, &dst)? {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the copy differs from the source",
            ));
        }
        Ok(sample)
    });
    // Removing the copy right away drops its dirty pages before writeback starts, so
    // one run's copy does not become the next run's disk traffic.
    let _ = std::fs::remove_file(&dst);
    checked
}

/// Scenario 5: many clients, each reading the file.
fn many_clients_peers(cfg: &Config, data: &DataDir, child: Spawn<'_>) -> io::Result<Sample> {
    let timeout = cfg.timeout;
    let expect = Expect::new(&data.client, 1, cfg.verify)?;
    let mut child = child(&[
        format!("file={}", data.client.display()),
        format!("count={}", cfg.clients),
    ])?;
    let port = child_ready(&mut child)?;
    let clients = spawn_clients(port, cfg.clients, expect.clone(), timeout);
    let mut sample = child_result(&mut child)?;
    let received = join(clients)?;
    check_bytes("the clients", received.bytes, expect.total * cfg.clients)?;
    check_bytes("the server", sample.bytes, expect.total * cfg.clients)?;
    sample.peer_cpu_ns = received.cpu_ns;
    Ok(sample)
}

/// Scenario 6: ping-pong clients and an echo backend.
fn ping_pong_peers(cfg: &Config, child: Spawn<'_>) -> io::Result<Sample> {
    let timeout = cfg.timeout;
    let (conns, messages, size) = (cfg.conns, cfg.messages, cfg.message_size);
    let front = TcpListener::bind("127.0.0.1:0")?;
    let back = TcpListener::bind("127.0.0.1:0")?;
    let (front_port, back_port) = (front.local_addr()?.port(), back.local_addr()?.port());
    let (go, start) = std::sync::mpsc::channel();
    let clients = spawn_ping_clients(front, conns, messages, size, start, timeout);
    let backend = spawn_echo_backend(back, conns, timeout);
    let mut child = child(&[
        format!("port={front_port}"),
        format!("port2={back_port}"),
        format!("count={conns}"),
    ])?;
    let ready = child_ready(&mut child);
    let _ = go.send(());
    let sample = ready.and_then(|_| child_result(&mut child));
    let received = join(clients)?;
    let echoed = join(backend)?;
    let mut sample = sample?;
    let want = conns * messages * size;
    check_bytes("the clients", received.bytes, want)?;
    check_bytes("the backend", echoed.bytes, want)?;
    check_bytes("the proxy", sample.bytes, want)?;
    sample.peer_cpu_ns = received.cpu_ns + echoed.cpu_ns;
    Ok(sample)
}

fn check_bytes(who: &str, got: u64, want: u64) -> io::Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{who} counted {got} bytes, expected {want}"),
        ))
    }
}

/// What a peer thread did: bytes it sent or received, and its own CPU time meanwhile.
#[derive(Debug, Clone, Copy)]
struct Peer {
    bytes: u64,
    cpu_ns: u64,
}

impl Peer {
    /// Runs `work` and charges the calling thread's CPU time to the peer.
    fn measure(work: impl FnOnce() -> io::Result<u64>) -> io::Result<Peer> {
        let start = sys::thread_cpu_ns();
        let bytes = work()?;
        Ok(Peer {
            bytes,
            cpu_ns: sys::thread_cpu_ns() - start,
        })
    }
}

type PeerThread = JoinHandle<io::Result<Peer>>;

fn join(handle: PeerThread) -> io::Result<Peer> {
    handle
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("a peer thread panicked")))
}

// ---------------------------------------------------------------------------------------
// The child process

struct Running {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

fn spawn_child(
    cfg: &Config,
    data: &DataDir,
    scenario: Scenario,
    variant: &Variant,
    args: &[String],
    trace: Option<&Path>,
) -> io::Result<Running> {
    let mut cmd = match trace {
        Some(out) => {
            let mut cmd = Command::new("strace");
            cmd.args(["-f", "-qq", "-o"]).arg(out).arg(&data.exe);
            cmd
        }
        None => Command::new(&data.exe),
    };
    if trace.is_some() {
        cmd.arg("__child")
            .arg(scenario.number().to_string())
            .arg(variant.id)
            .arg("mark=1");
    } else {
        cmd.arg("__child")
            .arg(scenario.number().to_string())
            .arg(variant.id);
    }
    cmd.args(args)
        .arg(format!("timeout={}", cfg.timeout.as_secs()));
    if cfg.pin {
        cmd.arg(format!("cpu={}", measured_cpu()));
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = child.stdout.take().expect("stdout is piped");
    Ok(Running {
        child,
        stdout: BufReader::new(stdout),
    })
}

/// The CPU the measured child is pinned to with `--pin`: the last one (the peers get CPU 0).
pub fn measured_cpu() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().max(2) - 1)
}

/// Scenario 5's child prints `READY port=N` once it listens; scenario 6's once its clock runs.
fn child_ready(run: &mut Running) -> io::Result<u16> {
    let mut line = String::new();
    run.stdout.read_line(&mut line)?;
    line.trim()
        .strip_prefix("READY port=")
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| {
            let _ = run.child.wait();
            io::Error::other(format!("the child did not get ready (said {line:?})"))
        })
}

/// Reads the child's `RESULT` line and waits for it to exit (it ends itself on timeout).
fn child_result(run: &mut Running) -> io::Result<Sample> {
    let mut out = String::new();
    run.stdout.read_to_string(&mut out)?;
    let status = run.child.wait()?;
    if !status.success() {
        return Err(io::Error::other(format!("the child failed ({status})")));
    }
    out.lines()
        .find_map(Sample::from_line)
        .ok_or_else(|| io::Error::other(format!("no RESULT line from the child: {out:?}")))
}

// ---------------------------------------------------------------------------------------
// Peers

fn read_all(sock: &mut TcpStream, expect: &Expect) -> io::Result<u64> {
    if expect.splice && expect.unit.is_none() {
        return sys::splice_to_null(sock);
    }
    let mut checker = expect.checker();
    let mut buf = vec![0u8; RECV_BUF];
    loop {
        let n = match sock.read(&mut buf) {
            Ok(0) => return Ok(checker.received()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        checker.feed(&buf[..n])?;
    }
}

/// Scenarios 1 and 4: reads one connection to its end, then closes it.
fn spawn_receiver(listener: TcpListener, expect: Expect, timeout: Duration) -> PeerThread {
    std::thread::spawn(move || {
        let mut sock = sys::accept_timeout(&listener, timeout)?;
        sock.set_read_timeout(Some(timeout))?;
        Peer::measure(|| read_all(&mut sock, &expect))
    })
}

/// Scenario 2, upstream: waits for the proxy's go byte, sends the file with sendfile (the
/// cheapest sender, so it leaves the most CPU to the proxy), half-closes, waits for the
/// proxy's half-close.
fn spawn_source(listener: TcpListener, file: std::path::PathBuf, timeout: Duration) -> PeerThread {
    std::thread::spawn(move || {
        let mut sock = sys::accept_timeout(&listener, timeout)?;
        sock.set_read_timeout(Some(timeout))?;
        sock.set_write_timeout(Some(timeout))?;
        let file = std::fs::File::open(file)?;
        let mut go = [0u8; 1];
        sock.read_exact(&mut go)?;
        Peer::measure(|| {
            let n = sys::sendfile_all(&file, &sock)?;
            sock.shutdown(Shutdown::Write)?;
            sys::wait_eof(&mut sock)?;
            Ok(n)
        })
    })
}

/// Scenario 2, downstream: reads to the end, then half-closes so the proxy's other
/// direction ends too, and waits for the proxy to close.
fn spawn_sink(listener: TcpListener, expect: Expect, timeout: Duration) -> PeerThread {
    std::thread::spawn(move || {
        let mut sock = sys::accept_timeout(&listener, timeout)?;
        sock.set_read_timeout(Some(timeout))?;
        Peer::measure(|| {
            let n = read_all(&mut sock, &expect)?;
            sock.shutdown(Shutdown::Write)?;
            // The proxy may close with a reset once it is done; either way it is done.
            let mut rest = Vec::new();
            let _ = sock.read_to_end(&mut rest);
            Ok(n)
        })
    })
}

/// Scenario 5: `count` clients connect one after the other (the server accepts them before
/// its clock starts), then all read at once on a current-thread tokio runtime.
fn spawn_clients(port: u16, count: u64, expect: Expect, timeout: Duration) -> PeerThread {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(async move {
            use tokio::io::AsyncReadExt;
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..count {
                let mut sock = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
                let expect = expect.clone();
                tasks.spawn(async move {
                    let mut checker = expect.checker();
                    let mut buf = vec![0u8; 64 << 10];
                    loop {
                        let n = sock.read(&mut buf).await?;
                        if n == 0 {
                            break;
                        }
                        checker.feed(&buf[..n])?;
                    }
                    check_bytes("a client", checker.received(), expect.total)?;
                    io::Result::Ok(checker.received())
                });
            }
            // The clock starts once every client is connected, as the server's does.
            let start = sys::thread_cpu_ns();
            let mut total = 0;
            let all = async {
                while let Some(done) = tasks.join_next().await {
                    total += done.map_err(io::Error::other)??;
                }
                io::Result::Ok(())
            };
            tokio::time::timeout(timeout, all)
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the clients timed out"))??;
            Ok(Peer {
                bytes: total,
                cpu_ns: sys::thread_cpu_ns() - start,
            })
        })
    })
}

/// Accepts `conns` connections on `listener`, waits for `start` (when given), then runs
/// `task` on each, all on one current-thread tokio runtime, charging this thread's CPU time
/// to the peer. Returns the sum of what the tasks return.
fn spawn_peer_tasks<F, Fut>(
    listener: TcpListener,
    conns: u64,
    start: Option<std::sync::mpsc::Receiver<()>>,
    timeout: Duration,
    task: F,
) -> PeerThread
where
    F: Fn(usize, tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = io::Result<u64>> + Send + 'static,
{
    std::thread::spawn(move || {
        let socks = (0..conns)
            .map(|_| sys::accept_timeout(&listener, timeout))
            .collect::<io::Result<Vec<_>>>()?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        if let Some(start) = start {
            start
                .recv_timeout(timeout)
                .map_err(|_| io::Error::other("the proxy did not get ready"))?;
        }
        let cpu = sys::thread_cpu_ns();
        let total = rt.block_on(async move {
            let mut tasks = tokio::task::JoinSet::new();
            for (i, sock) in socks.into_iter().enumerate() {
                sock.set_nonblocking(true)?;
                tasks.spawn(task(i, tokio::net::TcpStream::from_std(sock)?));
            }
            let all = async {
                let mut total = 0;
                while let Some(done) = tasks.join_next().await {
                    total += done.map_err(io::Error::other)??;
                }
                io::Result::Ok(total)
            };
            tokio::time::timeout(timeout, all)
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "a peer timed out"))?
        })?;
        Ok(Peer {
            bytes: total,
            cpu_ns: sys::thread_cpu_ns() - cpu,
        })
    })
}

/// Scenario 6, the clients' side: once `start` says the proxy's clock runs, each of the
/// `conns` connections sends a `size`-byte request and reads the `size`-byte answer,
/// `messages` times, then closes.
fn spawn_ping_clients(
    listener: TcpListener,
    conns: u64,
    messages: u64,
    size: u64,
    start: std::sync::mpsc::Receiver<()>,
    timeout: Duration,
) -> PeerThread {
    spawn_peer_tasks(
        listener,
        conns,
        Some(start),
        timeout,
        move |i, mut sock| async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            // Every reply is checked: each connection's request is a pattern of its own, so a
            // reply from another connection or a shifted byte shows.
            let request: Vec<u8> = (0..size as usize)
                .map(|k| ((i * 131 + k * 7) % 251) as u8)
                .collect();
            let mut reply = vec![0u8; size as usize];
            for _ in 0..messages {
                sock.write_all(&request).await?;
                sock.read_exact(&mut reply).await?;
                if reply != request {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "a reply differs from its request",
                    ));
                }
            }
            sock.shutdown().await?;
            let mut rest = Vec::new();
            sock.read_to_end(&mut rest).await?;
            Ok(messages * size + rest.len() as u64)
        },
    )
}

/// Scenario 6, the backend: echoes each of `conns` connections until its end, then closes it.
fn spawn_echo_backend(listener: TcpListener, conns: u64, timeout: Duration) -> PeerThread {
    spawn_peer_tasks(listener, conns, None, timeout, |_, mut sock| async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut buf = vec![0u8; 64 << 10];
        let mut echoed = 0;
        loop {
            let n = sock.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            sock.write_all(&buf[..n]).await?;
            echoed += n as u64;
        }
        sock.shutdown().await?;
        Ok(echoed)
    })
}

/// Flushes progress lines on stderr.
pub fn progress(msg: &str) {
    let mut err = io::stderr();
    let _ = writeln!(err, "{msg}");
    let _ = err.flush();
}
