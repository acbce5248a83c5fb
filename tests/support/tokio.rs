//! [`Harness`] for tokio: the `current_thread` and the `multi_thread` runtime.

use std::fs::File;
use std::future::Future;
use std::io::SeekFrom;

use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio::net::unix::pipe;
use tokio::net::{TcpStream, UnixStream};
use tokio::runtime::{Builder, Runtime};

use super::{Harness, SendHarness, TIMEOUT};

/// tokio's `current_thread` runtime: the test body is the runtime's only task.
#[derive(Debug)]
pub struct CurrentThread;

/// tokio's `multi_thread` runtime with 4 workers: the body runs on the test's thread, the
/// tasks it spawns on the workers.
#[derive(Debug)]
pub struct MultiThread;

fn run<F>(rt: Runtime, fut: F) -> F::Output
where
    F: Future + 'static,
    F::Output: 'static,
{
    let out = rt.block_on(async move { tokio::time::timeout(TIMEOUT, fut).await });
    // Blocking-pool threads of a timed-out test must not keep the process alive.
    rt.shutdown_background();
    out.unwrap_or_else(|_| panic!("test timed out after {TIMEOUT:?}"))
}

fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).expect("connect");
    let (server, _) = listener.accept().expect("accept");
    let to_tokio = |s: std::net::TcpStream| {
        s.set_nonblocking(true).expect("non-blocking");
        TcpStream::from_std(s).expect("register with tokio")
    };
    (to_tokio(client), to_tokio(server))
}

macro_rules! tokio_harness {
    ($ty:ty, $name:literal, $builder:expr) => {
        impl Harness for $ty {
            type Rt = zc::Tokio;
            type Tcp = TcpStream;
            type Unix = UnixStream;
            type File = tokio::fs::File;
            type PipeReader = pipe::Receiver;
            type PipeWriter = pipe::Sender;

            const NAME: &'static str = $name;

            fn block_on<F>(fut: F) -> F::Output
            where
                F: Future + 'static,
                F::Output: 'static,
            {
                let rt = $builder.enable_all().build().expect("build the runtime");
                run(rt, fut)
            }

            fn tcp_pair() -> (TcpStream, TcpStream) {
                tcp_pair()
            }

            fn unix_pair() -> (UnixStream, UnixStream) {
                UnixStream::pair().expect("unix pair")
            }

            async fn pipe() -> Option<(pipe::Sender, pipe::Receiver)> {
                Some(pipe::pipe().expect("pipe"))
            }

            async fn file(file: File) -> tokio::fs::File {
                tokio::fs::File::from_std(file)
            }

            fn file_position(file: &mut tokio::fs::File) -> impl Future<Output = u64> + '_ {
                async move { file.stream_position().await.expect("tokio seek") }
            }

            fn file_seek(file: &mut tokio::fs::File, pos: u64) -> impl Future<Output = ()> + '_ {
                async move {
                    file.seek(SeekFrom::Start(pos)).await.expect("tokio seek");
                }
            }

            fn file_read_exact(
                file: &mut tokio::fs::File,
                len: usize,
            ) -> impl Future<Output = Vec<u8>> + '_ {
                async move {
                    let mut buf = vec![0u8; len];
                    file.read_exact(&mut buf).await.expect("tokio read");
                    buf
                }
            }

            fn file_write_all<'a>(
                file: &'a mut tokio::fs::File,
                data: &'a [u8],
            ) -> impl Future<Output = ()> + 'a {
                async move { file.write_all(data).await.expect("tokio write") }
            }
        }

        impl SendHarness for $ty {
            fn spawn<T: Send + 'static>(
                fut: impl Future<Output = T> + Send + 'static,
            ) -> impl Future<Output = T> + Send + 'static {
                let handle = tokio::spawn(fut);
                async move {
                    match handle.await {
                        Ok(out) => out,
                        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                        Err(e) => panic!("a test task was cancelled: {e}"),
                    }
                }
            }
        }
    };
}

tokio_harness!(
    CurrentThread,
    "tokio current_thread",
    Builder::new_current_thread()
);
tokio_harness!(
    MultiThread,
    "tokio multi_thread",
    Builder::new_multi_thread().worker_threads(4)
);
