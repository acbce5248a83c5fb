// async-std's own types are zc endpoints with no wrapper and no annotation, and a copy
// between them can be `async_std::task::spawn`ed.

use std::io::{Seek, Write};

use async_std::io::ReadExt;
use async_std::net::{TcpListener, TcpStream};

#[async_std::main]
async fn main() -> std::io::Result<()> {
    let mut std_file = tempfile::tempfile()?;
    std_file.write_all(b"hello from an async-std file")?;
    std_file.rewind()?;
    let mut file = async_std::fs::File::from(std_file);

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let mut client = TcpStream::connect(listener.local_addr()?).await?;
    let (mut server, _) = listener.accept().await?;
    let sending = async_std::task::spawn(async move {
        let report = zc::copy_report(&mut file, &mut server).await;
        drop(server);
        report
    });
    let mut received = Vec::new();
    client.read_to_end(&mut received).await?;
    let report = sending.await?;
    assert_eq!(received, b"hello from an async-std file");
    assert_eq!(report.bytes(), received.len() as u64);

    let (mut u1, mut u2) = async_std::os::unix::net::UnixStream::pair()?;
    let _socket_to_socket = zc::copy(&mut u1, &mut client);
    let _relay = zc::copy_bidirectional(&mut u2, &mut client);
    Ok(())
}
