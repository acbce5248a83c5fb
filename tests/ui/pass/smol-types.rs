// smol's own types are zc endpoints with no wrapper and no annotation, and a copy between
// them can be `smol::spawn`ed.

use std::io::{Seek, Write};

use smol::io::AsyncReadExt;
use smol::net::{TcpListener, TcpStream};

fn main() -> std::io::Result<()> {
    smol::block_on(async {
        let mut std_file = tempfile::tempfile()?;
        std_file.write_all(b"hello from a smol file")?;
        std_file.rewind()?;
        let mut file = smol::fs::File::from(std_file);

        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut client = TcpStream::connect(listener.local_addr()?).await?;
        let (mut server, _) = listener.accept().await?;
        let sending = smol::spawn(async move {
            let report = zc::copy_report(&mut file, &mut server).await;
            drop(server);
            report
        });
        let mut received = Vec::new();
        client.read_to_end(&mut received).await?;
        let report = sending.await?;
        assert_eq!(received, b"hello from a smol file");
        assert_eq!(report.bytes(), received.len() as u64);

        // `Async<T>` over std's sockets and pipes, and async-net's Unix streams.
        let (rx, _tx) = std::io::pipe()?;
        let mut rx = smol::Async::new(rx)?;
        let (mut u1, mut u2) = smol::net::unix::UnixStream::pair()?;
        let _pipe_to_socket = zc::copy(&mut rx, &mut u1);
        let _relay = zc::copy_bidirectional(&mut u2, &mut client);
        Ok(())
    })
}
