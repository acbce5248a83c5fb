// tokio's own types are zc endpoints with no wrapper and no annotation: a file into a socket,
// socket to socket, a pipe, a relay, and a copy `tokio::spawn`ed onto the worker threads.

use std::io::{Seek, Write};

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

async fn connected_pair() -> std::io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let client = TcpStream::connect(listener.local_addr()?).await?;
    let (server, _) = listener.accept().await?;
    Ok((client, server))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut std_file = tempfile::tempfile()?;
    std_file.write_all(b"hello from a tokio file")?;
    std_file.rewind()?;
    let mut file = tokio::fs::File::from_std(std_file);

    let (mut client, mut server) = connected_pair().await?;
    // A copy between tokio types is `Send`: it may run on any worker thread.
    let sending = tokio::spawn(async move {
        let report = zc::copy_report(&mut file, &mut server).await;
        drop(server);
        report
    });
    let mut received = Vec::new();
    client.read_to_end(&mut received).await?;
    let report = sending.await.expect("the copy task panicked")?;
    assert_eq!(received, b"hello from a tokio file");
    assert_eq!(report.bytes(), received.len() as u64);

    // Socket to socket, into a pipe, and a relay: all plain tokio types.
    let (mut a, mut b) = connected_pair().await?;
    let (mut c, mut d) = connected_pair().await?;
    let (mut tx, mut rx) = tokio::net::unix::pipe::pipe()?;
    let _socket_to_socket = zc::copy(&mut b, &mut c);
    let _socket_to_pipe = zc::copy(&mut d, &mut tx);
    let _pipe_to_socket = zc::copy(&mut rx, &mut a);
    let _relay = zc::copy_bidirectional(&mut a, &mut d);
    let _strict = zc::copy_strict(&mut b, &mut c);
    Ok(())
}
