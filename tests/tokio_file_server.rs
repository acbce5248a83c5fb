//! The file server example on tokio: every check of tests/support/file_server.rs (curl,
//! raw HTTP/1.1, deadlines, the proxy's idle timeout) against the shared server run on tokio.
#![cfg(target_os = "linux")]

mod support;

#[path = "../examples/common/mod.rs"]
mod common;

#[path = "support/file_server.rs"]
mod file_server;

file_server::file_server_tests!(common::runtimes::Tokio);

// The accept loop, the connection loop and the proxy are one code for the three runtimes:
// what needs a process of its own (a lowered fd limit, RSS, the exit code of `--help`) runs
// once, on the tokio examples.

/// A root with one small file, `/a.txt`.
fn one_file_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), b"a\n").unwrap();
    dir
}

/// The tokio file server's arguments to serve `root` on a free port, one thread, quietly.
fn example_args(root: &tempfile::TempDir) -> Vec<String> {
    let root = root.path().to_str().unwrap();
    [
        "--root",
        root,
        "--addr",
        "127.0.0.1:0",
        "--threads",
        "1",
        "--access-log",
        "off",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn file_server_keeps_serving_after_running_out_of_fds() {
    let dir = one_file_root();
    let args = example_args(&dir);
    file_server::survives_emfile(
        "tokio_file_server",
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        "/a.txt",
    );
}

#[test]
fn proxy_keeps_serving_after_running_out_of_fds() {
    let server = file_server::Server::start::<common::runtimes::Tokio>(|_| {});
    let upstream = server.addr().to_string();
    file_server::survives_emfile(
        "tokio_proxy",
        &[
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &upstream,
            "--threads",
            "1",
        ],
        "/docs/index.html",
    );
}

#[test]
fn memory_stays_flat_over_a_long_pipelined_run() {
    use std::io::{Read, Write};
    let dir = one_file_root();
    let args = example_args(&dir);
    let server = file_server::Example::spawn(
        "tokio_file_server",
        None,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let stream = std::net::TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let batch = b"HEAD /a.txt HTTP/1.1\r\nHost: t\r\n\r\n".repeat(1000);
    let rounds = 60;
    let mut reader = stream.try_clone().unwrap();
    let counter = std::thread::spawn(move || {
        // Count the responses as they come, so neither side's buffers fill.
        let mut buf = vec![0; 64 << 10];
        let mut seen = 0usize;
        let mut tail = Vec::new();
        while seen < 1000 * rounds {
            let n = reader.read(&mut buf).expect("responses");
            assert!(n > 0, "closed after {seen} responses");
            tail.extend_from_slice(&buf[..n]);
            seen += tail.windows(12).filter(|w| w == b"HTTP/1.1 200").count();
            let keep = tail.len().min(11);
            tail.drain(..tail.len() - keep);
        }
        seen
    });
    let mut writer = stream;
    let mut rss = Vec::new();
    for round in 0..rounds {
        writer.write_all(&batch).unwrap();
        if round % 20 == 10 {
            rss.push(server.rss_kib());
        }
    }
    assert_eq!(counter.join().unwrap(), 1000 * rounds);
    rss.push(server.rss_kib());
    // 60,000 responses on one connection: what the connection keeps does not grow with them.
    let growth = rss.last().unwrap().saturating_sub(rss[0]);
    assert!(
        growth < 4 << 10,
        "RSS grew {growth} KiB over the run: {rss:?} KiB"
    );
}

#[test]
fn help_exits_0_and_a_bad_flag_exits_2() {
    for name in ["tokio_file_server", "tokio_proxy"] {
        let out = std::process::Command::new(file_server::example(name))
            .arg("--help")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{name} --help");
        assert!(String::from_utf8_lossy(&out.stdout).starts_with(&format!("usage: {name}")));
        let out = std::process::Command::new(file_server::example(name))
            .arg("--bogus")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name} --bogus");
    }
}
