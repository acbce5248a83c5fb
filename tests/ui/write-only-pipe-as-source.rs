// The writing end of a pipe is not a copy's source.

async fn forward(
    pipe: &mut tokio::net::unix::pipe::Sender,
    socket: &mut tokio::net::TcpStream,
) -> std::io::Result<u64> {
    zc::copy(pipe, socket).await
}

fn main() {}
