//! The smol file server example answers a real client (curl): whole files, ranges and HEAD,
//! its errors, keep-alive, and no path outside its root; every body goes by `sendfile(2)`.
#![cfg(target_os = "linux")]

mod support;

#[path = "../examples/smol_file_server.rs"]
mod server;

#[path = "support/futures_io_file_server.rs"]
mod file_server;

use std::fs;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::mpsc;

use smol::future::FutureExt;
use support::{curl, pattern};

/// smol's accept loop around the example's `serve_connection`, until `stop` is dropped.
fn accept_loop(
    listener: TcpListener,
    root: PathBuf,
    sent: mpsc::Sender<Vec<server::Sent>>,
    stop: mpsc::Receiver<()>,
) {
    let listener = smol::net::TcpListener::try_from(listener).expect("register");
    let stopped = smol::unblock(move || {
        let _ = stop.recv();
    });
    smol::block_on(
        async {
            loop {
                let (mut stream, _) = listener.accept().await.expect("accept");
                let (sent, root) = (sent.clone(), root.clone());
                smol::spawn(async move {
                    let responses = server::serve_connection::<server::Smol, _>(&mut stream, &root)
                        .await
                        .expect("serve the connection");
                    let _ = sent.send(responses);
                })
                .detach();
            }
        }
        .or(stopped),
    );
}

file_server::file_server_tests!(accept_loop);

#[test]
fn serve_answers_curl() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.txt"), pattern(100_000)).unwrap();
    let listener = smol::block_on(smol::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}/a.txt", listener.local_addr().unwrap());
    let task = smol::spawn(server::serve(listener, dir.path().to_owned()));
    let out = dir.path().join("out");
    let output = curl(&["--output", out.to_str().unwrap(), &url]);
    assert!(output.status.success());
    assert!(fs::read(out).unwrap() == pattern(100_000));
    smol::block_on(task.cancel());
}
