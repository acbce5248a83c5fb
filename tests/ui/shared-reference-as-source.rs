// A copy advances its source (a file's position, a socket's bytes): it takes `&mut`, not `&`.

async fn send(file: &tokio::fs::File, socket: &mut tokio::net::TcpStream) -> std::io::Result<u64> {
    zc::copy(&file, socket).await
}

fn main() {}
