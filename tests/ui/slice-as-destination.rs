// A byte slice is read-only: it can be copied from, never into.

async fn fill(socket: &mut tokio::net::TcpStream) -> std::io::Result<u64> {
    let mut buf: &[u8] = &[0; 16];
    zc::copy(socket, &mut buf).await
}

fn main() {}
