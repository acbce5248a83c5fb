//! Go's TestLinuxSendfile, for the bridge: a child process of this test binary serves files
//! through zc_hyper::serve under `strace`, and the trace shows the bodies leaving by
//! `sendfile` (the first after a short probe prefix) and each head by `sendmsg` with
//! `MSG_MORE`.

mod support;

use std::process::Command;

use support::{Client, Tree};

const CHILD: &str = "ZC_HYPER_STRACE_CHILD";
const LEN: usize = 1 << 20;

/// The traced child: three GETs of a 1 MiB file on one connection (the first proves the
/// connection with a short prefix in user space). Runs only as the child.
#[tokio::test(flavor = "current_thread")]
async fn child_serves_three_files() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let tree = Tree::new(&[("f.bin", LEN)]);
    let app = axum::Router::new().fallback_service(zc_hyper::ServeDir::new(tree.root()));
    let (addr, log) = support::serve(app).await;
    let mut client = Client::connect(addr).await;
    for _ in 0..3 {
        let reply = client.get("/f.bin", &[]).await;
        assert!(reply.body == tree.bytes("f.bin"));
    }
    let log = log.wait(3).await;
    assert_eq!(log[2].file.unwrap().sendfile_bytes(), LEN as u64);
    println!("ZC-HYPER-CHILD-OK");
}

#[test]
fn strace_sees_the_bodies_leave_by_sendfile() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("strace.out");
    let run = Command::new("strace")
        .args(["-f", "-e", "trace=sendfile,sendmsg", "-o"])
        .arg(&out)
        .arg("--")
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", "child_serves_three_files", "--nocapture"])
        .env(CHILD, "1")
        .output()
        .unwrap_or_else(|e| panic!("this test needs strace (apt-get install strace): {e}"));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success() && stdout.contains("ZC-HYPER-CHILD-OK"),
        "the traced child failed: {:?}\n{stdout}\n{}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    let trace = std::fs::read_to_string(&out).unwrap();
    // `sendfile(7, 12, NULL, 1048576) = 1048576` (split into several calls when the socket
    // fills); the returns add up to the three bodies less the first one's probe prefix.
    let sent: usize = trace
        .lines()
        .filter(|l| l.contains("sendfile("))
        .filter_map(|l| l.rsplit("= ").next()?.trim().parse::<usize>().ok())
        .sum();
    let prefix = zc_hyper::PROBE_PREFIX as usize;
    assert_eq!(
        sent,
        3 * LEN - prefix,
        "sendfile bytes in the trace:\n{trace}"
    );
    let corked = trace
        .lines()
        .filter(|l| l.contains("sendmsg(") && l.contains("MSG_MORE"))
        .count();
    // The first head goes with the probe prefix, both corked until the rest follows.
    assert!(corked >= 3, "each head with MSG_MORE:\n{trace}");
}
