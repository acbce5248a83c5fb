//! [`Harness`] for async-std: its `TcpStream`, `UnixStream` and `File`. async-std has no pipe
//! type, so the pipe bodies are skipped ([`Harness::pipe`] is `None`).

use std::fs::File;
use std::future::Future;
use std::io::SeekFrom;
use std::net::{TcpListener, TcpStream as StdTcpStream};

use async_std::io::prelude::{ReadExt, SeekExt, WriteExt};
use async_std::net::TcpStream;
use async_std::os::unix::net::UnixStream;

use super::{Harness, SendHarness, TIMEOUT};

/// async-std; the body runs in `async_std::task::block_on`, the tasks it spawns on
/// async-std's global executor.
#[derive(Debug)]
pub struct AsyncStd;

impl Harness for AsyncStd {
    type Rt = zc::AsyncStd;
    type Tcp = TcpStream;
    type Unix = UnixStream;
    type File = async_std::fs::File;
    // Never made: `pipe()` is `None`. `std::fs::File` is an endpoint for every runtime.
    type PipeReader = File;
    type PipeWriter = File;

    const NAME: &'static str = "async-std";

    fn block_on<F>(fut: F) -> F::Output
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        async_std::task::block_on(async_std::future::timeout(TIMEOUT, fut))
            .unwrap_or_else(|_| panic!("test timed out after {TIMEOUT:?}"))
    }

    fn tcp_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let client = StdTcpStream::connect(listener.local_addr().unwrap()).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        // async-std's `From` registers the socket with async-io and makes it non-blocking.
        (TcpStream::from(client), TcpStream::from(server))
    }

    fn unix_pair() -> (UnixStream, UnixStream) {
        UnixStream::pair().expect("unix pair")
    }

    async fn pipe() -> Option<(File, File)> {
        None
    }

    async fn file(file: File) -> async_std::fs::File {
        async_std::fs::File::from(file)
    }

    async fn file_position(file: &mut async_std::fs::File) -> u64 {
        file.seek(SeekFrom::Current(0))
            .await
            .expect("async-std seek")
    }

    async fn file_seek(file: &mut async_std::fs::File, pos: u64) {
        file.seek(SeekFrom::Start(pos))
            .await
            .expect("async-std seek");
    }

    async fn file_read_exact(file: &mut async_std::fs::File, len: usize) -> Vec<u8> {
        let mut buf = vec![0u8; len];
        file.read_exact(&mut buf).await.expect("async-std read");
        buf
    }

    async fn file_write_all(file: &mut async_std::fs::File, data: &[u8]) {
        file.write_all(data).await.expect("async-std write")
    }
}

impl SendHarness for AsyncStd {
    fn spawn<T: Send + 'static>(
        fut: impl Future<Output = T> + Send + 'static,
    ) -> impl Future<Output = T> + Send + 'static {
        async_std::task::spawn(fut)
    }
}
