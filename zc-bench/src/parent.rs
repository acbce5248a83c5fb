//! The orchestrating side: creates the data, runs the peers (receivers, the relay's two ends,
//! the clients of scenario 5) on its own threads, starts one child process per run, and
//! checks that every byte arrived.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::cli::Config;
use crate::data::{self, DataDir, Expect};
use crate::scenario::{Scenario, Variant};
use crate::sys::{self, Sample};

/// The receivers' read buffer.
const RECV_BUF: usize = 256 << 10;

/// One run of one variant: start the peers, start the child, check the bytes.
pub fn run_once(
    cfg: &Config,
    data: &DataDir,
    scenario: Scenario,
    variant: &Variant,
) -> io::Result<Sample> {
    let timeout = cfg.timeout;
    match scenario {
        Scenario::FileToTcp | Scenario::SmallFiles => {
            let (file, repeats) = match scenario {
                Scenario::FileToTcp => (&data.big, 1),
                _ => (&data.small, cfg.small_count),
            };
            let mut expect = Expect::new(file, repeats, cfg.verify)?;
            expect.splice = cfg.splice_receiver;
            let listener = TcpListener::bind("127.0.0.1:0")?;
            let port = listener.local_addr()?.port();
            let receiver = spawn_receiver(listener, expect.clone(), timeout);
            let mut child = spawn_child(
                cfg,
                data,
                scenario,
                variant,
                &[
                    format!("file={}", file.display()),
                    format!("port={port}"),
                    format!("count={repeats}"),
                ],
            )?;
            let mut sample = child_result(&mut child)?;
            let received = join(receiver)?;
            check_bytes("the receiver", received.bytes, expect.total)?;
            check_bytes("the sender", sample.bytes, expect.total)?;
            sample.peer_cpu_ns = received.cpu_ns;
            Ok(sample)
        }
        Scenario::Relay => {
            let mut expect = Expect::new(&data.big, 1, cfg.verify)?;
            expect.splice = cfg.splice_receiver;
            let up = TcpListener::bind("127.0.0.1:0")?;
            let down = TcpListener::bind("127.0.0.1:0")?;
            let (up_port, down_port) = (up.local_addr()?.port(), down.local_addr()?.port());
            let source = spawn_source(up, data.big.clone(), timeout);
            let sink = spawn_sink(down, expect.clone(), timeout);
            let mut child = spawn_child(
                cfg,
                data,
                scenario,
                variant,
                &[format!("port={up_port}"), format!("port2={down_port}")],
            )?;
            let mut sample = child_result(&mut child)?;
            let sent = join(source)?;
            let received = join(sink)?;
            check_bytes("the source", sent.bytes, expect.total)?;
            check_bytes("the sink", received.bytes, expect.total)?;
            check_bytes("the proxy", sample.bytes, expect.total)?;
            sample.peer_cpu_ns = sent.cpu_ns + received.cpu_ns;
            Ok(sample)
        }
        Scenario::FileToFile => {
            let dst = data.copy_target();
            let _ = std::fs::remove_file(&dst);
            let mut child = spawn_child(
                cfg,
                data,
                scenario,
                variant,
                &[
                    format!("file={}", data.big.display()),
                    format!("dst={}", dst.display()),
                ],
            )?;
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
        Scenario::ManyClients => {
            let expect = Expect::new(&data.client, 1, cfg.verify)?;
            let mut child = spawn_child(
                cfg,
                data,
                scenario,
                variant,
                &[
                    format!("file={}", data.client.display()),
                    format!("count={}", cfg.clients),
                ],
            )?;
            let port = child_ready(&mut child)?;
            let clients = spawn_clients(port, cfg.clients, expect.clone(), timeout);
            let mut sample = child_result(&mut child)?;
            let received = join(clients)?;
            check_bytes("the clients", received.bytes, expect.total * cfg.clients)?;
            check_bytes("the server", sample.bytes, expect.total * cfg.clients)?;
            sample.peer_cpu_ns = received.cpu_ns;
            Ok(sample)
        }
    }
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
) -> io::Result<Running> {
    let mut cmd = Command::new(&data.exe);
    cmd.arg("__child")
        .arg(scenario.number().to_string())
        .arg(variant.id)
        .args(args)
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

/// Scenario 5's child prints `READY port=N` once it listens.
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

/// Flushes progress lines on stderr.
pub fn progress(msg: &str) {
    let mut err = io::stderr();
    let _ = writeln!(err, "{msg}");
    let _ = err.flush();
}
