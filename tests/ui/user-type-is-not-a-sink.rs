// A type of the user's own that implements none of zc's traits cannot be copied into.

struct MyStream;

async fn receive(
    socket: &mut tokio::net::TcpStream,
    stream: &mut MyStream,
) -> std::io::Result<u64> {
    zc::copy(socket, stream).await
}

fn main() {}
