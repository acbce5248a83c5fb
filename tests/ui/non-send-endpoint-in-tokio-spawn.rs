// `tokio::spawn` may move the copy to another worker thread: both ends must be `Send`.

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

/// Counts the bytes read in a counter the caller keeps: an `Rc`, so not `Send`.
struct Counting {
    inner: futures_lite::io::Cursor<Vec<u8>>,
    count: Rc<Cell<u64>>,
}

impl futures_lite::AsyncRead for Counting {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        let n = std::task::ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        this.count.set(this.count.get() + n as u64);
        Poll::Ready(Ok(n))
    }
}

fn serve(counting: Counting, mut socket: tokio::net::TcpStream) {
    let mut src = zc::FuturesIo::new(counting);
    tokio::spawn(async move { zc::copy(&mut src, &mut socket).await });
}

fn main() {}
