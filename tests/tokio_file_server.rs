//! The file server example on tokio: every check of tests/support/file_server.rs (curl,
//! raw HTTP/1.1, deadlines, the proxy's idle timeout) against the shared server run on tokio.
#![cfg(target_os = "linux")]

mod support;

#[path = "../examples/common/mod.rs"]
mod common;

#[path = "support/file_server.rs"]
mod file_server;

file_server::file_server_tests!(common::runtimes::Tokio, "tokio");

// The connection loop is one code for the three runtimes: the RSS of a long pipelined run is
// measured once, on the tokio example.

#[test]
fn memory_stays_flat_over_a_long_pipelined_run() {
    use std::io::{Read, Write};
    let dir = file_server::one_file_root();
    let args = file_server::example_args(&dir);
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
