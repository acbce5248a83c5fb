// zc is built without its `tokio` feature: tokio's file and socket are not zc endpoints.

async fn send(
    file: &mut tokio::fs::File,
    socket: &mut tokio::net::TcpStream,
) -> std::io::Result<u64> {
    zc::copy(file, socket).await
}

fn main() {}
