//! splice(2): a socket into a socket, a file, through a pooled pipe.

mod support;

use std::io::{Seek, Write};

use futures_lite::{future, AsyncReadExt};
use support::*;
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
    let written = content(&mut file);
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
    assert_eq!((ab.path(), ba.path()), (CopyPath::Splice, CopyPath::Splice));
    assert_eq!(
        (ab.bytes(), ba.bytes()),
        (up.len() as u64, down.len() as u64)
    );
    assert!(
        from_client == up && from_server == down,
        "relayed bytes differ"
    );
}
