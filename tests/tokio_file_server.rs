//! The tokio file server example answers a real client (curl): whole files, ranges and HEAD,
//! its errors, keep-alive, and no path outside its root; every body goes by `sendfile(2)`.
#![cfg(target_os = "linux")]

mod support;

#[path = "../examples/tokio_file_server.rs"]
mod server;

#[path = "support/futures_io_file_server.rs"]
mod file_server;

use std::fs;
use std::path::PathBuf;
use std::sync::mpsc;

use support::{curl, pattern};
use tokio::net::TcpListener;
use tokio::runtime::Runtime;

/// tokio's accept loop around the example's `serve_connection`, on a multi-threaded runtime,
/// until `stop` is dropped.
fn accept_loop(
    listener: std::net::TcpListener,
    root: PathBuf,
    sent: mpsc::Sender<Vec<server::Sent>>,
    stop: mpsc::Receiver<()>,
) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        listener.set_nonblocking(true).expect("non-blocking");
        let listener = TcpListener::from_std(listener).expect("register");
        let stopped = tokio::task::spawn_blocking(move || {
            let _ = stop.recv();
        });
        let accepting = async {
            loop {
                let (stream, _) = listener.accept().await.expect("accept");
                let (sent, root) = (sent.clone(), root.clone());
                tokio::spawn(async move {
                    let responses = server::serve_connection(stream, &root)
                        .await
                        .expect("serve the connection");
                    let _ = sent.send(responses);
                });
            }
        };
        tokio::select! {
            _ = stopped => {}
            () = accepting => {}
        }
    });
}

file_server::file_server_tests!(accept_loop);

#[test]
fn serve_answers_curl() {
    let rt = Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.txt"), pattern(100_000)).unwrap();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}/a.txt", listener.local_addr().unwrap());
    let task = rt.spawn(server::serve(listener, dir.path().to_owned()));
    let out = dir.path().join("out");
    let output = curl(&["--output", out.to_str().unwrap(), &url]);
    assert!(output.status.success());
    assert!(fs::read(out).unwrap() == pattern(100_000));
    task.abort();
}
