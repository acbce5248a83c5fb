//! The shared cross-runtime bodies (tests/support/matrix.rs) on compio, with its `TcpStream`,
//! `UnixStream`, `File` and pipes: on the io_uring driver (failing loudly where the kernel
//! refuses io_uring) and on the polling driver.
#![cfg(target_os = "linux")]

mod support;

mod io_uring {
    crate::support::matrix_tests!(local crate::support::compio::IoUring);
}

mod polling {
    crate::support::matrix_tests!(local crate::support::compio::Polling);
}
