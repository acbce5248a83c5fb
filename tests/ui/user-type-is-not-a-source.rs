// A type of the user's own that implements none of zc's traits cannot be copied from.

struct MyStream;

async fn send(stream: &mut MyStream, socket: &mut tokio::net::TcpStream) -> std::io::Result<u64> {
    zc::copy(stream, socket).await
}

fn main() {}
