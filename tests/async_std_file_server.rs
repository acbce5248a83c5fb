//! The async-std file server example answers a real client (curl): whole files, ranges and
//! HEAD, its errors, keep-alive, and no path outside its root; every body goes by `sendfile(2)`.
#![cfg(target_os = "linux")]

mod support;

#[path = "../examples/async_std_file_server.rs"]
mod server;

#[path = "support/futures_io_file_server.rs"]
mod file_server;

use std::fs;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::mpsc;

use futures_lite::future::or;
use support::{curl, pattern};

/// async-std's accept loop around the example's `serve_connection`, until `stop` is dropped.
fn accept_loop(
    listener: TcpListener,
    root: PathBuf,
    sent: mpsc::Sender<Vec<server::Sent>>,
    stop: mpsc::Receiver<()>,
) {
    let listener = async_std::net::TcpListener::from(listener);
    let stopped = async_std::task::spawn_blocking(move || {
        let _ = stop.recv();
    });
    async_std::task::block_on(or(
        async {
            loop {
                let (mut stream, _) = listener.accept().await.expect("accept");
                let (sent, root) = (sent.clone(), root.clone());
                async_std::task::spawn(async move {
                    let responses =
                        server::serve_connection::<server::AsyncStd, _>(&mut stream, &root)
                            .await
                            .expect("serve the connection");
                    let _ = sent.send(responses);
                });
            }
        },
        stopped,
    ));
}

file_server::file_server_tests!(accept_loop);

#[test]
fn serve_answers_curl() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.txt"), pattern(100_000)).unwrap();
    let listener =
        async_std::task::block_on(async_std::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}/a.txt", listener.local_addr().unwrap());
    let task = async_std::task::spawn(server::serve(listener, dir.path().to_owned()));
    let out = dir.path().join("out");
    let output = curl(&["--output", out.to_str().unwrap(), &url]);
    assert!(output.status.success());
    assert!(fs::read(out).unwrap() == pattern(100_000));
    async_std::task::block_on(task.cancel());
}
