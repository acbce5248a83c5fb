// The two ends of one copy belong to one runtime: a tokio socket is not saved into an
// async-std file.

async fn save_upload(
    socket: &mut tokio::net::TcpStream,
    file: &mut async_std::fs::File,
) -> std::io::Result<u64> {
    zc::copy(socket, file).await
}

fn main() {}
