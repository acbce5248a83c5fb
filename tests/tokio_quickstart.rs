//! The README's tokio quick start, as written there: tokio's own types through the facade,
//! no wrapper, no runtime annotation.
#![cfg(target_os = "linux")]

use std::io::SeekFrom;

use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn send_file(path: &str, mut socket: TcpStream) -> std::io::Result<u64> {
    let mut file = tokio::fs::File::open(path).await?;
    zc::copy(&mut file, &mut socket).await // sendfile(2)
}

async fn proxy(mut client: TcpStream, upstream: &str) -> std::io::Result<(u64, u64)> {
    let mut server = TcpStream::connect(upstream).await?;
    zc::copy_bidirectional(&mut client, &mut server).await // splice(2), both ways, half-close
}

async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap());
    let (client, (server, _)) = tokio::try_join!(client, listener.accept()).unwrap();
    (client, server)
}

#[tokio::test]
async fn quick_start_send_file_and_range_compile_and_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &data).unwrap();

    let (mut client, server) = pair().await;
    let (sent, received) = tokio::join!(send_file(path.to_str().unwrap(), server), async {
        let mut out = Vec::new();
        client.read_to_end(&mut out).await.unwrap();
        out
    });
    assert_eq!(sent.unwrap(), data.len() as u64);
    assert!(received == data);

    // "A range of a file" and "Which path did my copy take?"
    let (mut client, mut socket) = pair().await;
    let mut file = tokio::fs::File::open(&path).await.unwrap();
    let (start, len) = (1_000u64, 5_000u64);
    file.seek(SeekFrom::Start(start)).await.unwrap();
    let report = zc::copy_report(&mut zc::Limited::exact(&mut file, len), &mut socket)
        .await
        .unwrap();
    assert_eq!(report.path(), zc::CopyPath::Sendfile);
    assert_eq!(report.kernel_bytes(), report.bytes());
    let report = zc::copy_report(&mut (&mut file).take(len), &mut socket)
        .await
        .unwrap();
    assert_eq!(report.path(), zc::CopyPath::Sendfile);
    drop(socket);
    let mut out = Vec::new();
    client.read_to_end(&mut out).await.unwrap();
    assert!(out[..] == data[1_000..11_000]);
}

#[tokio::test]
async fn quick_start_proxy_compiles_and_runs() {
    let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream_addr = upstream.local_addr().unwrap().to_string();
    let echo = tokio::spawn(async move {
        let (mut conn, _) = upstream.accept().await.unwrap();
        let mut request = Vec::new();
        conn.read_to_end(&mut request).await.unwrap();
        conn.write_all(&request).await.unwrap();
        conn.write_all(b" and back").await.unwrap();
    });
    let (mut client, proxied) = pair().await;
    let relay = tokio::spawn(async move { proxy(proxied, &upstream_addr).await });
    client.write_all(b"there").await.unwrap();
    client.shutdown().await.unwrap();
    let mut answer = Vec::new();
    client.read_to_end(&mut answer).await.unwrap();
    assert_eq!(answer, b"there and back");
    assert_eq!(relay.await.unwrap().unwrap(), (5, 14));
    echo.await.unwrap();
}
