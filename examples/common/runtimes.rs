//! The three runtimes, as the shared servers need them ([`super::rt::Runtime`]): each is a
//! dozen one-line answers (how to accept, connect, spawn, sleep, run a thread).

#[cfg(feature = "tokio")]
#[allow(unused_imports)] // Each example uses one runtime.
pub use self::tokio_rt::Tokio;

#[cfg(feature = "tokio")]
mod tokio_rt {
    use std::future::Future;
    use std::io;
    use std::net::SocketAddr;
    use std::pin::Pin;
    use std::time::Duration;

    use super::super::rt::Runtime;

    /// tokio: one current-thread runtime per server thread.
    #[derive(Debug)]
    pub struct Tokio;

    impl Runtime for Tokio {
        type Rt = zc::Tokio;
        type Listener = tokio::net::TcpListener;
        type Stream = tokio::net::TcpStream;
        type Timer = Pin<Box<tokio::time::Sleep>>;

        const NAME: &'static str = "tokio";

        fn listener(listener: std::net::TcpListener) -> io::Result<Self::Listener> {
            tokio::net::TcpListener::from_std(listener)
        }

        async fn accept(listener: &Self::Listener) -> io::Result<(Self::Stream, SocketAddr)> {
            listener.accept().await
        }

        async fn connect(addr: SocketAddr) -> io::Result<Self::Stream> {
            tokio::net::TcpStream::connect(addr).await
        }

        fn spawn(task: impl Future<Output = ()> + Send + 'static) {
            tokio::spawn(task);
        }

        fn timer(after: Duration) -> Self::Timer {
            Box::pin(tokio::time::sleep(after))
        }

        fn reset(timer: &mut Self::Timer, after: Duration) {
            timer.as_mut().reset(tokio::time::Instant::now() + after);
        }

        fn block_on<T>(main: impl Future<Output = T>) -> T {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime")
                .block_on(main)
        }
    }
}

#[cfg(any(feature = "smol", feature = "async-std"))]
mod async_io_timer {
    use std::time::Duration;

    /// smol's and async-std's timer (both run async-io's reactor).
    pub fn reset(timer: &mut async_io::Timer, after: Duration) {
        timer.set_after(after);
    }
}

#[cfg(feature = "smol")]
#[allow(unused_imports)] // Each example uses one runtime.
pub use self::smol_rt::Smol;

#[cfg(feature = "smol")]
mod smol_rt {
    use std::future::Future;
    use std::io;
    use std::net::SocketAddr;
    use std::time::Duration;

    use super::super::rt::Runtime;

    thread_local! {
        /// Each server thread's executor: tasks stay on the thread that accepted them.
        static EXECUTOR: smol::LocalExecutor<'static> = const { smol::LocalExecutor::new() };
    }

    /// smol: one local executor per server thread.
    #[derive(Debug)]
    pub struct Smol;

    impl Runtime for Smol {
        type Rt = zc::Smol;
        type Listener = smol::net::TcpListener;
        type Stream = smol::net::TcpStream;
        type Timer = smol::Timer;

        const NAME: &'static str = "smol";

        fn listener(listener: std::net::TcpListener) -> io::Result<Self::Listener> {
            smol::net::TcpListener::try_from(listener)
        }

        async fn accept(listener: &Self::Listener) -> io::Result<(Self::Stream, SocketAddr)> {
            listener.accept().await
        }

        async fn connect(addr: SocketAddr) -> io::Result<Self::Stream> {
            smol::net::TcpStream::connect(addr).await
        }

        fn spawn(task: impl Future<Output = ()> + Send + 'static) {
            EXECUTOR.with(|ex| ex.spawn(task).detach());
        }

        fn timer(after: Duration) -> Self::Timer {
            smol::Timer::after(after)
        }

        fn reset(timer: &mut Self::Timer, after: Duration) {
            super::async_io_timer::reset(timer, after);
        }

        fn block_on<T>(main: impl Future<Output = T>) -> T {
            EXECUTOR.with(|ex| smol::block_on(ex.run(main)))
        }
    }
}

#[cfg(feature = "async-std")]
#[allow(unused_imports)] // Each example uses one runtime.
pub use self::async_std_rt::AsyncStd;

#[cfg(feature = "async-std")]
mod async_std_rt {
    use std::future::Future;
    use std::io;
    use std::net::SocketAddr;
    use std::time::Duration;

    use super::super::rt::Runtime;

    /// async-std: its global executor, sized by `--threads`.
    #[derive(Debug)]
    pub struct AsyncStd;

    impl Runtime for AsyncStd {
        type Rt = zc::AsyncStd;
        type Listener = async_std::net::TcpListener;
        type Stream = async_std::net::TcpStream;
        type Timer = async_io::Timer;

        const NAME: &'static str = "async-std";

        fn listener(listener: std::net::TcpListener) -> io::Result<Self::Listener> {
            Ok(async_std::net::TcpListener::from(listener))
        }

        async fn accept(listener: &Self::Listener) -> io::Result<(Self::Stream, SocketAddr)> {
            listener.accept().await
        }

        async fn connect(addr: SocketAddr) -> io::Result<Self::Stream> {
            async_std::net::TcpStream::connect(addr).await
        }

        fn spawn(task: impl Future<Output = ()> + Send + 'static) {
            async_std::task::spawn(task);
        }

        fn timer(after: Duration) -> Self::Timer {
            async_io::Timer::after(after)
        }

        fn reset(timer: &mut Self::Timer, after: Duration) {
            super::async_io_timer::reset(timer, after);
        }

        fn block_on<T>(main: impl Future<Output = T>) -> T {
            async_std::task::block_on(main)
        }

        /// async-std's executor has its own pool, sized once per process by
        /// `ASYNC_STD_THREAD_COUNT` before its first use: one accept loop feeds it.
        fn threads(threads: usize) -> usize {
            if std::env::var_os("ASYNC_STD_THREAD_COUNT").is_none() {
                std::env::set_var("ASYNC_STD_THREAD_COUNT", threads.to_string());
            }
            1
        }
    }
}
