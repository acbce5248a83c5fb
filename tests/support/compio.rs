//! [`Harness`] for compio: its `TcpStream`, `UnixStream`, `File` and pipes, on the io_uring
//! driver ([`IoUring`]) and on the polling driver ([`Polling`]). compio's types are not
//! `Send`, so this is a [`Harness`] and not a [`SendHarness`](super::SendHarness).
//!
//! compio's `File` keeps no cursor: zc copies at its fd offset (zc-compio's `file` module), so
//! `file_position` and `file_seek` are that offset, and `file_read_exact` / `file_write_all`
//! are compio's own `read_exact_at` / `write_all_at` at the offset, which then moves past the
//! bytes, as a cursor over the file would.

use std::fs::File;
use std::future::Future;
use std::net::{TcpListener, TcpStream as StdTcpStream};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream as StdUnixStream;

use compio::driver::{DriverType, ProactorBuilder};
use compio::io::{AsyncReadAtExt, AsyncWriteAtExt};
use compio::net::{TcpStream, UnixStream};
use compio::runtime::RuntimeBuilder;
use futures_lite::FutureExt;
use rustix::fs::SeekFrom;

use super::{Harness, TIMEOUT};

/// compio on its io_uring driver. A machine whose kernel refuses `io_uring_setup` fails these
/// tests (compio would fall back to polling silently, and the tests would not be what they
/// say).
#[derive(Debug)]
pub struct IoUring;

/// compio on its polling (epoll) driver.
#[derive(Debug)]
pub struct Polling;

/// A compio runtime on `driver`; panics if compio gave another one.
fn runtime(driver: DriverType) -> compio::runtime::Runtime {
    let mut proactor = ProactorBuilder::new();
    proactor.driver_type(driver);
    let runtime = RuntimeBuilder::new()
        .with_proactor(proactor)
        .build()
        .expect("build the compio runtime");
    let got = runtime.driver_type();
    assert!(
        got == driver,
        "asked compio for its {driver:?} driver and got {got:?}: the kernel refused io_uring \
         (io_uring_setup failed: too old, or disabled by kernel.io_uring_disabled or a seccomp \
         filter), so these tests cannot run on io_uring here"
    );
    runtime
}

fn block_on<F: Future + 'static>(driver: DriverType, fut: F) -> F::Output {
    runtime(driver)
        .block_on(async { Some(fut.await) }.or(async {
            compio::runtime::time::sleep(TIMEOUT).await;
            None
        }))
        .unwrap_or_else(|| panic!("test timed out after {TIMEOUT:?}"))
}

fn std_tcp_pair() -> (StdTcpStream, StdTcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let client = StdTcpStream::connect(listener.local_addr().unwrap()).expect("connect");
    let (server, _) = listener.accept().expect("accept");
    (client, server)
}

fn offset(file: &compio::fs::File) -> u64 {
    rustix::fs::tell(file.as_fd()).expect("the fd offset")
}

fn seek(file: &compio::fs::File, pos: SeekFrom) {
    rustix::fs::seek(file.as_fd(), pos).expect("seek the fd offset");
}

macro_rules! compio_harness {
    ($ty:ty, $name:literal, $driver:expr) => {
        impl Harness for $ty {
            type Rt = zc::Compio;
            type Tcp = TcpStream;
            type Unix = UnixStream;
            type File = compio::fs::File;
            type PipeReader = compio::fs::pipe::Receiver;
            type PipeWriter = compio::fs::pipe::Sender;

            const NAME: &'static str = $name;

            fn block_on<F>(fut: F) -> F::Output
            where
                F: Future + 'static,
                F::Output: 'static,
            {
                block_on($driver, fut)
            }

            fn tcp_pair() -> (TcpStream, TcpStream) {
                let (client, server) = std_tcp_pair();
                let to_compio = |s| TcpStream::from_std(s).expect("a compio TcpStream");
                (to_compio(client), to_compio(server))
            }

            fn unix_pair() -> (UnixStream, UnixStream) {
                let (a, b) = StdUnixStream::pair().expect("unix pair");
                let to_compio = |s| UnixStream::from_std(s).expect("a compio UnixStream");
                (to_compio(a), to_compio(b))
            }

            async fn pipe() -> Option<(compio::fs::pipe::Sender, compio::fs::pipe::Receiver)> {
                let (reader, writer) = compio::fs::pipe::anonymous().await.expect("a compio pipe");
                // Non-blocking, as compio's pipes opened from a FIFO are (`anonymous` leaves
                // them blocking under io_uring; zc makes them non-blocking on first use).
                for fd in [reader.as_fd(), writer.as_fd()] {
                    rustix::io::ioctl_fionbio(fd, true).expect("a non-blocking pipe");
                }
                Some((writer, reader))
            }

            async fn file(file: File) -> compio::fs::File {
                compio_file(file).await
            }

            async fn file_position(file: &mut compio::fs::File) -> u64 {
                offset(file)
            }

            async fn file_seek(file: &mut compio::fs::File, pos: u64) {
                seek(file, SeekFrom::Start(pos));
            }

            async fn file_read_exact(file: &mut compio::fs::File, len: usize) -> Vec<u8> {
                let at = offset(file);
                let compio::BufResult(read, buf) =
                    file.read_exact_at(Vec::with_capacity(len), at).await;
                read.expect("compio read_exact_at");
                seek(file, SeekFrom::Current(len as i64));
                buf
            }

            async fn file_write_all(file: &mut compio::fs::File, data: &[u8]) {
                let at = offset(file);
                let compio::BufResult(written, _) = file.write_all_at(data.to_vec(), at).await;
                written.expect("compio write_all_at");
                seek(file, SeekFrom::Current(data.len() as i64));
            }
        }
    };
}

compio_harness!(IoUring, "compio (io_uring)", DriverType::IoUring);
compio_harness!(Polling, "compio (polling)", DriverType::Poll);

/// A compio `File` over `file`'s file at its offset (compio makes no `File` from a
/// `std::fs::File`): opened again through `/proc/self/fd`, with the same access mode and
/// status flags (`O_APPEND`, `O_DIRECT`, `O_NONBLOCK`), and moved to the same offset.
pub async fn compio_file(file: File) -> compio::fs::File {
    use rustix::fs::OFlags;
    let flags = rustix::fs::fcntl_getfl(&file).expect("the file's flags");
    let pos = rustix::fs::tell(&file).expect("the file's offset");
    let access = flags & OFlags::RWMODE;
    let path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&file));
    let reopened = compio::fs::OpenOptions::new()
        .read(access != OFlags::WRONLY)
        .write(access != OFlags::RDONLY)
        .custom_flags((flags & (OFlags::APPEND | OFlags::DIRECT | OFlags::NONBLOCK)).bits() as i32)
        .open(&path)
        .await
        .expect("reopen the file with compio");
    drop(file);
    seek(&reopened, SeekFrom::Start(pos));
    reopened
}
