//! Socket options through an fd, and the errors of a peer that left.

use std::io;
use std::os::fd::BorrowedFd;
use std::time::Duration;

/// Sets a socket's kernel send and receive buffers to `bytes` (small buffers make a copy wait
/// often).
pub fn socket_buffers(fd: BorrowedFd<'_>, bytes: usize) {
    rustix::net::sockopt::set_socket_send_buffer_size(fd, bytes).unwrap();
    rustix::net::sockopt::set_socket_recv_buffer_size(fd, bytes).unwrap();
}

/// 32 KiB kernel buffers on a socket, so a copy is still running when something happens.
pub fn small_buffers(fd: BorrowedFd<'_>) {
    socket_buffers(fd, 32 << 10);
}

/// `SO_LINGER` 0: closing the socket then sends a reset.
pub fn reset_on_close(fd: BorrowedFd<'_>) {
    rustix::net::sockopt::set_socket_linger(fd, Some(Duration::ZERO)).unwrap();
}

/// `io::Error` kinds a peer that went away may produce.
pub fn is_peer_gone(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
}
