//! splice(2): a socket into a socket, a file, through a pooled pipe.
// Each test asserts a kernel path; tests/portable.rs covers the portable fallback (`zc_portable`).
#![cfg(not(zc_portable))]

use std::io::{Seek, Write};

use futures_lite::{future, AsyncReadExt};
use zc_test_support::aio::*;
use zc_test_support::*;
use zc_traits::{copy_report, BufReader, CopyPath, Limited};

#[test]
fn socket_to_socket_takes_splice_and_relays_exact_bytes() {
    let data = pattern(5 << 20);
    let (mut client, mut relay_in) = tcp_pair();
    let (mut relay_out, mut sink) = tcp_pair();
    let (_, (report, received)) = run(future::zip(
        write_and_close(&mut client, &data),
        future::zip(
            async {
                let r = copy_report(&mut relay_in, &mut relay_out).await.unwrap();
                drop(relay_out);
                r
            },
            read_all(&mut sink),
        ),
    ));
    assert_eq!(report.path(), CopyPath::Splice);
    assert_eq!(report.kernel_bytes(), data.len() as u64);
    assert!(received == data, "relayed bytes differ");
}

#[test]
fn socket_to_file_takes_splice() {
    let data = pattern(2 << 20);
    let (mut client, mut server) = tcp_pair();
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(b"keep").unwrap();
    let (_, report) = run(future::zip(write_and_close(&mut client, &data), async {
        copy_report(&mut server, &mut file).await.unwrap()
    }));
    assert_eq!(report.path(), CopyPath::Splice);
    assert_eq!(file.stream_position().unwrap(), 4 + data.len() as u64);
    let written = content(&file);
    assert_eq!(&written[..4], b"keep");
    assert!(written[4..] == data[..]);
}

#[test]
fn limit_on_a_socket_stops_splice_at_the_limit() {
    let data = pattern(1 << 20);
    let (mut client, mut relay_in) = tcp_pair();
    let (mut relay_out, mut sink) = tcp_pair();
    let (_, (report, received)) = run(future::zip(
        write_and_close(&mut client, &data),
        future::zip(
            async {
                let mut limited = Limited::new(&mut relay_in, 70_001);
                let r = copy_report(&mut limited, &mut relay_out).await.unwrap();
                assert_eq!(limited.remaining(), 0);
                drop(relay_out);
                r
            },
            read_all(&mut sink),
        ),
    ));
    assert_eq!(report.path(), CopyPath::Splice);
    assert_eq!(received, &data[..70_001]);
}

#[test]
fn buffered_reader_is_drained_before_splice() {
    let data = pattern(1 << 20);
    let (mut client, relay_in) = tcp_pair();
    let (mut relay_out, mut sink) = tcp_pair();
    let mut reader = BufReader::with_capacity(4096, relay_in);
    let (_, (report, received)) = run(future::zip(
        write_and_close(&mut client, &data),
        future::zip(
            async {
                let mut head = [0u8; 10];
                reader.read_exact(&mut head).await.unwrap();
                assert_eq!(head, data[..10]);
                assert!(!reader.buffer().is_empty(), "the reader holds bytes");
                let r = copy_report(&mut reader, &mut relay_out).await.unwrap();
                drop(relay_out);
                r
            },
            read_all(&mut sink),
        ),
    ));
    assert_eq!(report.path(), CopyPath::Splice);
    assert!(report.user_bytes() > 0 && report.kernel_bytes() > 0);
    assert!(received[..] == data[10..], "relayed bytes differ");
}

#[test]
fn relay_splices_both_directions_and_half_closes() {
    use futures_lite::AsyncWriteExt;
    use zc_traits::copy_bidirectional_report;

    let up = pattern(3 << 20);
    let down = pattern(1 << 20);
    let (mut client, mut proxy_in) = tcp_pair();
    let (mut proxy_out, mut server) = tcp_pair();
    let ((ab, ba), (from_server, from_client)) = run(future::zip(
        async {
            copy_bidirectional_report(&mut proxy_in, &mut proxy_out)
                .await
                .unwrap()
        },
        future::zip(
            async {
                // The client sends, half-closes, and still reads the server's reply to EOF.
                client.0.write_all(&up).await.unwrap();
                client
                    .0
                    .get_ref()
                    .shutdown(std::net::Shutdown::Write)
                    .unwrap();
                read_all(&mut client).await
            },
            async {
                let got = read_all(&mut server).await;
                server.0.write_all(&down).await.unwrap();
                server
                    .0
                    .get_ref()
                    .shutdown(std::net::Shutdown::Write)
                    .unwrap();
                got
            },
        ),
    ));
    // Splice-auto: each direction starts buffered and splices once it streams (when, depends
    // on how its reads found the data); the report says which bytes went which way.
    for (report, len) in [(ab, up.len()), (ba, down.len())] {
        assert_eq!(report.bytes(), len as u64);
        assert_relay_path(&report, "relay");
    }
    assert!(
        from_client == up && from_server == down,
        "relayed bytes differ"
    );
}

/// Splice-auto in the relay: a direction starts on the buffered path and moves to splice after
/// two reads that filled its 16 KiB buffer. With 160 KiB queued before the relay
/// starts, the split is exact: 32 KiB buffered, the rest spliced.
#[test]
fn relay_starts_buffered_and_splices_once_the_direction_streams() {
    use std::os::unix::net::UnixStream;
    use zc_traits::copy_bidirectional_report;

    let data = pattern(160 << 10);
    let (mut client, a) = UnixStream::pair().unwrap();
    let (b, mut server) = UnixStream::pair().unwrap();
    rustix::net::sockopt::set_socket_send_buffer_size(&client, 1 << 20).unwrap();
    // All of it is queued on the relay's end before the relay reads.
    client.write_all(&data).unwrap();
    client.shutdown(std::net::Shutdown::Write).unwrap();
    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        std::io::Read::read_to_end(&mut server, &mut got).unwrap();
        got
    });
    let mut a = AioStream(async_io::Async::new(a).unwrap());
    let mut b = AioStream(async_io::Async::new(b).unwrap());
    let (ab, ba) = run(copy_bidirectional_report::<Aio, _, _>(&mut a, &mut b)).unwrap();
    drop(b);
    assert!(reader.join().unwrap() == data, "relayed bytes differ");
    assert_eq!(ab.bytes(), data.len() as u64);
    assert_eq!(
        ab.path(),
        CopyPath::Splice,
        "the direction streamed: splice"
    );
    assert_eq!(
        ab.user_bytes(),
        32 << 10,
        "two full 16 KiB buffers before the switch"
    );
    assert_eq!(ab.kernel_bytes(), 128 << 10);
    assert_eq!((ba.bytes(), ba.path()), (0, CopyPath::Buffered));
}

/// Splice-auto: a request/response exchange of 1 KiB messages never fills the buffer, so both
/// directions stay on the buffered path (one `read` and one `write` per message, no pipe).
#[test]
fn relay_ping_pong_of_small_messages_stays_buffered() {
    use futures_lite::AsyncWriteExt;
    use zc_traits::copy_bidirectional_report;

    const ROUNDS: usize = 50;
    let msg = pattern(1 << 10);
    let (mut client, mut proxy_in) = tcp_pair();
    let (mut proxy_out, mut server) = tcp_pair();
    let ((ab, ba), ()) = run(future::zip(
        async {
            copy_bidirectional_report::<Aio, _, _>(&mut proxy_in, &mut proxy_out)
                .await
                .unwrap()
        },
        async {
            let mut buf = vec![0u8; 1 << 10];
            for _ in 0..ROUNDS {
                client.0.write_all(&msg).await.unwrap();
                server.0.read_exact(&mut buf).await.unwrap();
                assert!(buf == msg, "request differs");
                server.0.write_all(&msg).await.unwrap();
                client.0.read_exact(&mut buf).await.unwrap();
                assert!(buf == msg, "response differs");
            }
            drop(client);
            drop(server);
        },
    ));
    for report in [ab, ba] {
        assert_eq!(report.bytes(), (ROUNDS << 10) as u64);
        assert_eq!(report.path(), CopyPath::Buffered);
        assert_eq!(report.kernel_bytes(), 0);
    }
}
