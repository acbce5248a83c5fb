// A `Vec<u8>` is a write-only end: it collects bytes, it is not copied from.

async fn send(body: &mut Vec<u8>, socket: &mut tokio::net::TcpStream) -> std::io::Result<u64> {
    zc::copy(body, socket).await
}

fn main() {}
