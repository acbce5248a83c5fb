// The fd a stream lends to the kernel loops (`RawEnd`) is borrowed from it: it cannot be kept
// after the stream is dropped.

use zc::endpoint::{RawEnd, Source};

fn keep_fd(mut socket: tokio::net::TcpStream) {
    let raw: Option<RawEnd<'_, zc::Tokio>> = socket.raw_source();
    drop(socket);
    drop(raw);
}

fn main() {}
