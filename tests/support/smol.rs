//! [`Harness`] for smol: async-net's streams, async-fs's `File` and `Async`-wrapped pipes
//! ([`Smol`]), and async-io's `Async<std::net::TcpStream>` / `Async<UnixStream>` in place of
//! async-net's streams ([`SmolAsyncIo`]).

use std::fs::File;
use std::future::Future;
use std::io::SeekFrom;
use std::net::{TcpListener, TcpStream as StdTcpStream};
use std::os::unix::net::UnixStream as StdUnixStream;

use ::smol::future::FutureExt;
use ::smol::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use ::smol::net::unix::UnixStream;
use ::smol::net::TcpStream;
use ::smol::{Async, Timer};

use super::{Harness, SendHarness, TIMEOUT};

/// smol with async-net's `TcpStream` / `UnixStream`, async-fs's `File`, and pipes as
/// `Async<std::fs::File>`. The body runs in `smol::block_on`; the tasks it spawns run on
/// smol's global executor.
#[derive(Debug)]
pub struct Smol;

/// smol with async-io's `Async<std::net::TcpStream>` / `Async<std::os::unix::net::UnixStream>`
/// as the streams; everything else as [`Smol`].
#[derive(Debug)]
pub struct SmolAsyncIo;

fn block_on<F>(fut: F) -> F::Output
where
    F: Future + 'static,
    F::Output: 'static,
{
    ::smol::block_on(async { Some(fut.await) }.or(async {
        Timer::after(TIMEOUT).await;
        None
    }))
    .unwrap_or_else(|| panic!("test timed out after {TIMEOUT:?}"))
}

fn spawn<T: Send + 'static>(
    fut: impl Future<Output = T> + Send + 'static,
) -> impl Future<Output = T> + Send + 'static {
    // A panic in the task resumes in the test that awaits it.
    ::smol::spawn(fut)
}

/// A connected pair of std TCP sockets on 127.0.0.1: (client, server).
pub fn std_tcp_pair() -> (StdTcpStream, StdTcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let client = StdTcpStream::connect(listener.local_addr().unwrap()).expect("connect");
    let (server, _) = listener.accept().expect("accept");
    (client, server)
}

/// A pipe as (writer, reader), each an `Async<std::fs::File>` over one end.
fn pipe() -> (Async<File>, Async<File>) {
    let (reader, writer) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).expect("pipe");
    (
        Async::new(File::from(writer)).expect("register the pipe's writer"),
        Async::new(File::from(reader)).expect("register the pipe's reader"),
    )
}

macro_rules! smol_harness {
    ($ty:ty, $name:literal, $tcp:ty, $unix:ty, $tcp_pair:expr, $unix_pair:expr) => {
        impl Harness for $ty {
            type Rt = zc::Smol;
            type Tcp = $tcp;
            type Unix = $unix;
            type File = ::smol::fs::File;
            type PipeReader = Async<File>;
            type PipeWriter = Async<File>;

            const NAME: &'static str = $name;

            fn block_on<F>(fut: F) -> F::Output
            where
                F: Future + 'static,
                F::Output: 'static,
            {
                block_on(fut)
            }

            fn tcp_pair() -> ($tcp, $tcp) {
                let (client, server) = std_tcp_pair();
                ($tcp_pair(client), $tcp_pair(server))
            }

            fn unix_pair() -> ($unix, $unix) {
                let (a, b) = StdUnixStream::pair().expect("unix pair");
                ($unix_pair(a), $unix_pair(b))
            }

            async fn pipe() -> Option<(Async<File>, Async<File>)> {
                Some(pipe())
            }

            async fn file(file: File) -> ::smol::fs::File {
                ::smol::fs::File::from(file)
            }

            async fn file_position(file: &mut ::smol::fs::File) -> u64 {
                file.seek(SeekFrom::Current(0))
                    .await
                    .expect("async-fs seek")
            }

            async fn file_seek(file: &mut ::smol::fs::File, pos: u64) {
                file.seek(SeekFrom::Start(pos))
                    .await
                    .expect("async-fs seek");
            }

            async fn file_read_exact(file: &mut ::smol::fs::File, len: usize) -> Vec<u8> {
                let mut buf = vec![0u8; len];
                file.read_exact(&mut buf).await.expect("async-fs read");
                buf
            }

            async fn file_write_all(file: &mut ::smol::fs::File, data: &[u8]) {
                file.write_all(data).await.expect("async-fs write")
            }
        }

        impl SendHarness for $ty {
            fn spawn<T: Send + 'static>(
                fut: impl Future<Output = T> + Send + 'static,
            ) -> impl Future<Output = T> + Send + 'static {
                spawn(fut)
            }
        }
    };
}

smol_harness!(
    Smol,
    "smol (async-net)",
    TcpStream,
    UnixStream,
    |s: StdTcpStream| TcpStream::try_from(s).expect("register with async-io"),
    |s: StdUnixStream| UnixStream::try_from(s).expect("register with async-io")
);

smol_harness!(
    SmolAsyncIo,
    "smol (Async<std>)",
    Async<StdTcpStream>,
    Async<StdUnixStream>,
    |s: StdTcpStream| Async::new(s).expect("register with async-io"),
    |s: StdUnixStream| Async::new(s).expect("register with async-io")
);
