//! Bad input: every end that cannot take part in a copy gives a clear `io::Error` (never a
//! panic, a hang or wrong bytes), and every odd but valid end gives a correct copy.
#![cfg(target_os = "linux")]

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;
use std::time::Duration;

use futures_lite::{future, AsyncWriteExt};
use rustix::io::Errno;
use zc_test_support::aio::*;
use zc_test_support::*;
use zc_traits::{
    copy_report, copy_strict, CopyError, CopyOptions, CopyPath, FuturesIo, Limited, Neutral,
    Report, Source, DEFAULT_BUFFER_SIZE,
};

/// Asserts a clear failure before any byte moved, with the errno named.
fn assert_refused(result: Result<Report, CopyError>, errno: Errno, what: &str) {
    let err = result.expect_err(what);
    assert_eq!(
        err.error().raw_os_error(),
        Some(errno.raw_os_error()),
        "{what}: {err}"
    );
    assert_eq!(err.delivered(), 0, "{what}");
}

/// Copies `src` into a TCP socket and returns the result and the bytes that arrived.
fn to_socket<S: Source<Aio>>(src: &mut S) -> (Result<Report, CopyError>, Vec<u8>) {
    let (mut tx, mut rx) = tcp_pair();
    run(future::zip(
        async {
            let r = copy_report(src, &mut tx).await;
            drop(tx);
            r
        },
        read_all(&mut rx),
    ))
}

/// A TCP source that delivers `data` and closes.
fn socket_with(data: &[u8]) -> AioStream<std::net::TcpStream> {
    let (mut client, server) = tcp_pair();
    run(write_and_close(&mut client, data));
    server
}

fn path_with(dir: &tempfile::TempDir, name: &str, data: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, data).unwrap();
    path
}

// ---------------------------------------------------------------------------------------------
// Ends opened the wrong way.

#[test]
fn directory_as_source_is_eisdir_into_every_destination() {
    let dir = tempfile::tempdir().unwrap();
    let mut dst = tempfile::tempfile().unwrap();
    let result = run(copy_report::<Aio, _, _>(
        &mut File::open(dir.path()).unwrap(),
        &mut dst,
    ));
    assert_refused(result, Errno::ISDIR, "directory -> file");
    assert_eq!(dst.metadata().unwrap().len(), 0);

    let (result, received) = to_socket(&mut File::open(dir.path()).unwrap());
    assert_refused(result, Errno::ISDIR, "directory -> socket");
    assert!(received.is_empty());

    let mut out = Vec::new();
    let result = run(copy_report::<Aio, _, _>(
        &mut File::open(dir.path()).unwrap(),
        &mut out,
    ));
    assert_refused(result, Errno::ISDIR, "directory -> Vec");
}

#[test]
fn directory_as_destination_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut dst = File::open(dir.path()).unwrap();
    let result = run(copy_report::<Aio, _, _>(&mut file_with(b"bytes"), &mut dst));
    assert_refused(result, Errno::BADF, "file -> directory");
}

#[test]
fn write_only_source_is_ebadf_and_moves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = path_with(&dir, "src", &pattern(100_000));
    let write_only = || OpenOptions::new().write(true).open(&path).unwrap();

    let mut dst = tempfile::tempfile().unwrap();
    let result = run(copy_report::<Aio, _, _>(&mut write_only(), &mut dst));
    assert_refused(result, Errno::BADF, "write-only file -> file");
    assert_eq!(dst.metadata().unwrap().len(), 0);

    let (result, received) = to_socket(&mut write_only());
    assert_refused(result, Errno::BADF, "write-only file -> socket");
    assert!(received.is_empty());
}

#[test]
fn read_only_destination_is_ebadf_from_every_source() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(100_000);
    let path = path_with(&dir, "dst", b"");
    let read_only = || File::open(&path).unwrap();

    let result = run(copy_report::<Aio, _, _>(
        &mut file_with(&data),
        &mut read_only(),
    ));
    assert_refused(result, Errno::BADF, "file -> read-only file");

    let result = run(copy_report(&mut socket_with(&data), &mut read_only()));
    assert_refused(result, Errno::BADF, "socket -> read-only file");

    let (mut src, feed) = pipe();
    feed.0.get_ref().write_all(&data[..60_000]).unwrap();
    drop(feed);
    let result = run(copy_report(&mut src, &mut read_only()));
    assert_refused(result, Errno::BADF, "pipe -> read-only file");

    let mut slice: &[u8] = &data;
    let result = run(copy_report::<Aio, _, _>(&mut slice, &mut read_only()));
    assert_refused(result, Errno::BADF, "slice -> read-only file");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
}

// ---------------------------------------------------------------------------------------------
// Sockets that are shut down or closed.

#[test]
fn destination_shut_down_for_writing_is_broken_pipe_on_every_path() {
    let data = pattern(100_000);
    // sendfile, splice, and the buffered path (a slice's WriterTo).
    for source in 0..3 {
        let (tx, _rx) = tcp_pair();
        tx.0.get_ref().shutdown(Shutdown::Write).unwrap();
        let mut tx = tx;
        let result = match source {
            0 => run(copy_report(&mut file_with(&data), &mut tx)),
            1 => run(copy_report(&mut socket_with(&data), &mut tx)),
            _ => {
                let mut slice: &[u8] = &data;
                run(copy_report(&mut slice, &mut tx))
            }
        };
        let err = result.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "source {source}");
        assert_eq!(err.delivered(), 0);
    }
}

#[test]
fn destination_whose_peer_closed_is_a_peer_error_not_a_hang() {
    let data = pattern(4 << 20);
    for source in 0..2 {
        let (mut tx, rx) = tcp_pair();
        drop(rx);
        let result = match source {
            0 => run(copy_report(&mut file_with(&data), &mut tx)),
            _ => {
                let (client, mut relay_in) = tcp_pair();
                let (_, r) = run(future::zip(
                    async {
                        let mut client = client;
                        let _ = client.0.write_all(&data).await;
                    },
                    async {
                        let r = copy_report(&mut relay_in, &mut tx).await;
                        drop(relay_in);
                        r
                    },
                ));
                r
            }
        };
        let err = result.unwrap_err();
        assert!(is_peer_gone(err.kind()), "source {source}: {err:?}");
        // The first segment may be accepted by the kernel before the peer's reset comes back.
        assert!(err.delivered() < data.len() as u64);
    }
}

#[test]
#[cfg_attr(zc_portable, ignore = "asserts a kernel path")]
fn source_shut_down_for_reading_is_an_empty_copy() {
    let (_client, src) = tcp_pair();
    src.0.get_ref().shutdown(Shutdown::Read).unwrap();
    let mut src = src;
    let mut dst = tempfile::tempfile().unwrap();
    let report = run(copy_report(&mut src, &mut dst)).unwrap();
    assert_eq!((report.bytes(), report.path()), (0, CopyPath::Splice));
}

#[test]
fn source_whose_peer_reset_is_a_peer_error_or_empty() {
    let (client, src) = tcp_pair();
    rustix::net::sockopt::set_socket_linger(client.0.get_ref().as_fd(), Some(Duration::ZERO))
        .unwrap();
    drop(client);
    std::thread::sleep(Duration::from_millis(20));
    let mut src = src;
    let mut dst = tempfile::tempfile().unwrap();
    let err = run(copy_report(&mut src, &mut dst)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err:?}");
    assert_eq!(err.delivered(), 0);
}

// ---------------------------------------------------------------------------------------------
// Odd but valid ends: a correct copy.

#[test]
fn append_destination_gets_the_bytes_appended_by_the_buffered_path() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(300_000);
    let path = path_with(&dir, "log", b"head");
    let append = || OpenOptions::new().append(true).open(&path).unwrap();

    let report = run(copy_report::<Aio, _, _>(
        &mut file_with(&data),
        &mut append(),
    ))
    .unwrap();
    assert_eq!(
        (report.bytes(), report.path()),
        (data.len() as u64, CopyPath::Buffered)
    );
    let report = run(copy_report(&mut socket_with(&data), &mut append())).unwrap();
    assert_eq!(
        (report.bytes(), report.path()),
        (data.len() as u64, CopyPath::Buffered)
    );

    let out = std::fs::read(&path).unwrap();
    assert_eq!(out.len(), 4 + 2 * data.len());
    assert_eq!(&out[..4], b"head");
    assert!(out[4..4 + data.len()] == data[..] && out[4 + data.len()..] == data[..]);

    let err = run(copy_strict::<Aio, _, _>(
        &mut file_with(&data),
        &mut append(),
    ))
    .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Unsupported);
    assert!(err.to_string().contains("O_APPEND"), "{err}");
}

/// The parts of `/proc/self/status` that do not change between two reads.
fn assert_status_content(bytes: &[u8]) {
    let text = std::str::from_utf8(bytes).unwrap();
    assert!(text.starts_with("Name:\t"), "{text}");
    assert!(text.ends_with('\n'));
    assert!(text.contains(&format!("\nPid:\t{}\n", std::process::id())));
    assert_eq!(text.matches("\nPid:").count(), 1, "no line twice");
    assert!(text.contains("\nSigIgn:\t"), "the whole file, not a prefix");
}

#[test]
fn proc_status_copies_its_content_into_every_destination() {
    let status = || File::open("/proc/self/status").unwrap();

    let mut dst = tempfile::tempfile().unwrap();
    let report = run(copy_report::<Aio, _, _>(&mut status(), &mut dst)).unwrap();
    let out = content(&dst);
    assert_eq!(report.bytes(), out.len() as u64);
    assert_status_content(&out);

    let (result, received) = to_socket(&mut status());
    assert_eq!(result.unwrap().bytes(), received.len() as u64);
    assert_status_content(&received);

    let mut out = Vec::new();
    run(copy_report::<Aio, _, _>(&mut status(), &mut out)).unwrap();
    assert_status_content(&out);

    let (mut rx, mut tx) = pipe();
    let (result, received) = run(future::zip(
        async {
            let r = copy_report(&mut status(), &mut tx).await;
            drop(tx);
            r
        },
        read_all(&mut rx),
    ));
    assert_eq!(result.unwrap().bytes(), received.len() as u64);
    assert_status_content(&received);
}

#[test]
fn proc_file_with_a_position_and_a_limit_copies_exactly_that_range() {
    // /proc/self/cmdline does not change while the process runs.
    let mut whole = Vec::new();
    File::open("/proc/self/cmdline")
        .unwrap()
        .read_to_end(&mut whole)
        .unwrap();
    assert!(whole.len() > 10);
    let mut src = File::open("/proc/self/cmdline").unwrap();
    src.seek(SeekFrom::Start(3)).unwrap();
    let mut range = Limited::exact(&mut src, 5);
    let mut dst = tempfile::tempfile().unwrap();
    let report = run(copy_report::<Aio, _, _>(&mut range, &mut dst)).unwrap();
    assert_eq!(report.bytes(), 5);
    assert_eq!(content(&dst), &whole[3..8]);
    assert_eq!(src.stream_position().unwrap(), 8);
}

#[test]
#[cfg_attr(zc_portable, ignore = "asserts a kernel path")]
fn empty_file_is_an_empty_copy_on_the_kernel_path() {
    let mut dst = tempfile::tempfile().unwrap();
    let report = run(copy_strict::<Aio, _, _>(&mut file_with(b""), &mut dst)).unwrap();
    assert_eq!(
        (report.bytes(), report.path()),
        (0, CopyPath::CopyFileRange)
    );

    let (result, received) = to_socket(&mut file_with(b""));
    let report = result.unwrap();
    assert_eq!((report.bytes(), report.path()), (0, CopyPath::Sendfile));
    assert!(received.is_empty());

    let report = run(copy_report(&mut socket_with(b""), &mut dst)).unwrap();
    assert_eq!((report.bytes(), report.path()), (0, CopyPath::Splice));

    let mut out = Vec::new();
    let report = run(copy_report::<Aio, _, _>(&mut file_with(b""), &mut out)).unwrap();
    assert_eq!(report.bytes(), 0);

    let err = run(copy_report::<Aio, _, _>(
        &mut Limited::exact(file_with(b""), 1),
        &mut dst,
    ))
    .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
}

// ---------------------------------------------------------------------------------------------
// A sparse file larger than 4 GiB: offsets and limits past 2^31 and 2^32.

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

/// A sparse file of 5 GiB + 123 bytes with known bytes written around 2^31 and 2^32 and at its
/// end; returns the file and the marks (offset, bytes).
fn sparse_file(dir: &tempfile::TempDir) -> (File, Vec<(u64, Vec<u8>)>) {
    let path = dir.path().join("sparse");
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .unwrap();
    file.set_len(5 * GIB + 123).unwrap();
    let marks: Vec<(u64, Vec<u8>)> = [2 * GIB - 8, 4 * GIB - 8, 5 * GIB + 123 - 16]
        .into_iter()
        .enumerate()
        .map(|(i, at)| (at, pattern(16 + i)[i..].to_vec()))
        .collect();
    for (at, bytes) in &marks {
        file.write_all_at(bytes, *at).unwrap();
    }
    (file, marks)
}

/// The bytes of the sparse file in `start..start + len`: zeros and the marks.
fn expected_range(marks: &[(u64, Vec<u8>)], start: u64, len: u64) -> Vec<u8> {
    let mut out = vec![0u8; len as usize];
    for (at, bytes) in marks {
        for (i, b) in bytes.iter().enumerate() {
            let off = at + i as u64;
            if off >= start && off < start + len {
                out[(off - start) as usize] = *b;
            }
        }
    }
    out
}

#[test]
#[cfg_attr(zc_portable, ignore = "asserts a kernel path")]
fn sparse_file_past_4_gib_copies_exact_ranges_across_the_2_and_4_gib_marks() {
    let dir = tempfile::tempdir().unwrap();
    let (mut file, marks) = sparse_file(&dir);
    for mark in [2 * GIB, 4 * GIB] {
        // file → file (copy_file_range), a 2 MiB range centred on the mark.
        let start = mark - MIB;
        file.seek(SeekFrom::Start(start)).unwrap();
        let mut dst = tempfile::tempfile().unwrap();
        let report = run(copy_report::<Aio, _, _>(
            &mut Limited::exact(&mut file, 2 * MIB),
            &mut dst,
        ))
        .unwrap();
        assert_eq!(
            (report.bytes(), report.path()),
            (2 * MIB, CopyPath::CopyFileRange)
        );
        assert_eq!(file.stream_position().unwrap(), mark + MIB);
        assert!(
            content(&dst) == expected_range(&marks, start, 2 * MIB),
            "cfr at {mark}"
        );

        // file → socket (sendfile), the same range.
        file.seek(SeekFrom::Start(start)).unwrap();
        let (result, received) = to_socket(&mut Limited::exact(&mut file, 2 * MIB));
        let report = result.unwrap();
        assert_eq!(
            (report.bytes(), report.path()),
            (2 * MIB, CopyPath::Sendfile)
        );
        assert_eq!(file.stream_position().unwrap(), mark + MIB);
        assert!(
            received == expected_range(&marks, start, 2 * MIB),
            "sendfile at {mark}"
        );
    }
}

#[test]
#[cfg_attr(zc_portable, ignore = "asserts a kernel path")]
fn limits_past_2_and_4_gib_stop_at_the_end_of_a_sparse_file() {
    let dir = tempfile::tempdir().unwrap();
    let (mut file, marks) = sparse_file(&dir);
    let len = file.metadata().unwrap().len();
    for limit in [2 * GIB + 7, 4 * GIB + 5, u64::MAX] {
        let start = len - 3 * MIB;
        file.seek(SeekFrom::Start(start)).unwrap();
        let mut range = Limited::new(&mut file, limit);
        let (result, received) = to_socket(&mut range);
        let report = result.unwrap();
        assert_eq!(
            (report.bytes(), report.path()),
            (3 * MIB, CopyPath::Sendfile)
        );
        assert_eq!(range.remaining(), limit - 3 * MIB);
        assert!(received == expected_range(&marks, start, 3 * MIB));

        file.seek(SeekFrom::Start(start)).unwrap();
        let mut dst = tempfile::tempfile().unwrap();
        let err = run(copy_report::<Aio, _, _>(
            &mut Limited::exact(&mut file, limit),
            &mut dst,
        ))
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(err.delivered(), 3 * MIB);
        assert!(content(&dst) == expected_range(&marks, start, 3 * MIB));
    }
}

#[test]
#[cfg_attr(zc_portable, ignore = "asserts a kernel path")]
fn splice_writes_at_a_destination_position_past_4_gib() {
    let dir = tempfile::tempdir().unwrap();
    let (mut file, _) = sparse_file(&dir);
    let data = pattern(MIB as usize);
    let at = 4 * GIB - 100;
    file.seek(SeekFrom::Start(at)).unwrap();
    let report = run(copy_report(&mut socket_with(&data), &mut file)).unwrap();
    assert_eq!((report.bytes(), report.path()), (MIB, CopyPath::Splice));
    assert_eq!(file.stream_position().unwrap(), at + MIB);
    let mut back = vec![0u8; MIB as usize];
    file.read_exact_at(&mut back, at).unwrap();
    assert!(back == data);
}

// ---------------------------------------------------------------------------------------------
// Both ends are the same file.

#[test]
fn same_file_opened_twice_at_one_position_rewrites_it_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(200_000);
    let path = path_with(&dir, "f", &data);
    let mut src = File::open(&path).unwrap();
    src.seek(SeekFrom::Start(1000)).unwrap();
    let mut dst = OpenOptions::new().write(true).open(&path).unwrap();
    dst.seek(SeekFrom::Start(1000)).unwrap();
    let report = run(copy_report::<Neutral, _, _>(&mut src, &mut dst)).unwrap();
    assert_eq!(report.bytes(), data.len() as u64 - 1000);
    assert!(
        std::fs::read(&path).unwrap() == data,
        "the file is unchanged"
    );
}

/// The answer of a plain `read`/`write` loop through a buffer of `chunk` bytes (Go's
/// `io.Copy`, `tokio::io::copy`): the count, and the file's bytes after it.
fn read_write_loop(src: &mut File, dst: &mut File, chunk: usize) -> u64 {
    let mut buf = vec![0u8; chunk];
    let mut total = 0;
    loop {
        let n = src.read(&mut buf).unwrap();
        if n == 0 {
            return total;
        }
        dst.write_all(&buf[..n]).unwrap();
        total += n as u64;
    }
}

/// One open file description on both ends (`try_clone`): one offset, moved by every read and
/// every write. A `read`/`write` loop writes each chunk after itself and reads on past it, so
/// Go's `io.Copy` and `tokio::io::copy` double a file that fits in their buffer (and
/// interleave a larger one chunk by chunk); the kernel paths would rewrite it in place. zc
/// gives the answer of a loop with the runtimes' copies' 8 KiB chunk (or a smaller
/// `buffer_size`): the same count and the same bytes, at every position, also for an
/// `O_APPEND` description (each write moves the offset to the end, and the next read finds
/// nothing).
#[test]
fn same_open_file_description_on_both_ends_is_a_read_write_loop() {
    let (medium, big) = (pattern(40_000), pattern(200_000));
    // (the file, the source's position, `buffer_size`, `O_APPEND`).
    let cases: [(&[u8], u64, usize, bool); 8] = [
        (b"hello world!", 0, DEFAULT_BUFFER_SIZE, false),
        (b"hello world!", 6, DEFAULT_BUFFER_SIZE, false),
        (b"hello world!", 12, DEFAULT_BUFFER_SIZE, false),
        (b"hello world!", 0, 5, false),
        (&medium, 0, DEFAULT_BUFFER_SIZE, false),
        (&big, 1000, DEFAULT_BUFFER_SIZE, false),
        (&big, 0, 3000, false),
        (b"hello world!", 3, DEFAULT_BUFFER_SIZE, true),
    ];
    for (data, at, buffer_size, append) in cases {
        let chunk = buffer_size.min(8 << 10);
        let what = format!(
            "{} bytes from {at}, buffer {buffer_size}, append {append}",
            data.len()
        );
        let open = || {
            let file = file_with(data);
            if append {
                rustix::fs::fcntl_setfl(&file, rustix::fs::OFlags::APPEND).unwrap();
            }
            let mut src = file.try_clone().unwrap();
            src.seek(SeekFrom::Start(at)).unwrap();
            (src, file)
        };
        let (mut src, mut dst) = open();
        let expected = read_write_loop(&mut src, &mut dst, chunk);
        let (expected_bytes, expected_at) = (content(&src), src.stream_position().unwrap());

        let (mut src, mut dst) = open();
        let opts = CopyOptions::new().buffer_size(buffer_size);
        let report = run(poll_at_most(
            opts.copy::<Neutral, _, _>(&mut src, &mut dst),
            10_000,
        ))
        .expect("the copy ends by itself")
        .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(report.bytes(), expected, "{what}");
        assert_eq!(report.path(), CopyPath::Buffered, "{what}");
        assert_eq!(report.kernel_bytes(), 0, "{what}");
        assert!(content(&src) == expected_bytes, "{what}: the file differs");
        assert_eq!(src.stream_position().unwrap(), expected_at, "{what}");
        if data.len() == 12 && at == 0 && buffer_size == DEFAULT_BUFFER_SIZE {
            assert_eq!(content(&src), b"hello world!hello world!", "{what}");
        }
        if data.len() == 40_000 {
            // Chunk by chunk: 8 KiB copied, 8 KiB overwritten, and so on.
            assert_eq!((report.bytes(), content(&src).len()), (23_616, 47_232));
        }
    }
}

/// A strict copy has no kernel path that gives a `read`/`write` loop's answer on one shared
/// offset: `Unsupported` with the reason, before any byte, the file and its offset untouched.
#[test]
fn same_open_file_description_in_strict_mode_is_unsupported() {
    let mut src = file_with(b"hello world!");
    let mut dst = src.try_clone().unwrap();
    let err = run(copy_strict::<Neutral, _, _>(&mut src, &mut dst)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Unsupported, "{err}");
    assert!(
        err.to_string().contains("one open file description"),
        "{err}"
    );
    assert_eq!(err.delivered(), 0);
    assert_eq!(src.stream_position().unwrap(), 0);
    assert_eq!(content(&src), b"hello world!");
}

#[test]
fn same_file_with_the_destination_behind_the_source_is_a_forward_move() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(300_000);
    let path = path_with(&dir, "f", &data);
    let mut src = File::open(&path).unwrap();
    src.seek(SeekFrom::Start(100_000)).unwrap();
    let mut dst = OpenOptions::new().write(true).open(&path).unwrap();
    dst.seek(SeekFrom::Start(10)).unwrap();
    let report = run(copy_report::<Neutral, _, _>(&mut src, &mut dst)).unwrap();
    assert_eq!(report.bytes(), 200_000);
    let mut expected = data.clone();
    expected.copy_within(100_000.., 10);
    assert!(std::fs::read(&path).unwrap() == expected);
}

/// A copy that would read the bytes it writes must be refused: it would never reach EOF.
fn assert_refused_as_same_file(mut src: File, mut dst: File, path: &std::path::Path) {
    let before = std::fs::read(path).unwrap();
    let positions = (
        src.stream_position().unwrap(),
        dst.stream_position().unwrap(),
    );
    // Bounded: if the copy were not refused, it would grow the file forever.
    let opts = CopyOptions::new().max_per_poll(64 << 10);
    let result = run(poll_at_most(
        opts.copy::<Neutral, _, _>(&mut src, &mut dst),
        200,
    ));
    let err = result
        .expect("the copy must end at once")
        .expect_err("a copy that feeds itself must be refused");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    assert!(err.to_string().contains("same file"), "{err}");
    assert!(err.to_string().contains("never end"), "{err}");
    assert_eq!(err.delivered(), 0);
    assert_eq!(err.report().path(), CopyPath::Buffered, "no path ran");
    assert_eq!(err.report().kernel_bytes(), 0);
    assert!(
        std::fs::read(path).unwrap() == before,
        "the file is byte for byte as it was"
    );
    let after = (
        src.stream_position().unwrap(),
        dst.stream_position().unwrap(),
    );
    assert_eq!(after, positions, "the offsets are where they were");
    // Strict or not, the same refusal.
    let err = run(copy_strict::<Neutral, _, _>(&mut src, &mut dst)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
}

#[test]
fn same_file_appended_to_itself_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = path_with(&dir, "f", &pattern(100_000));
    let src = File::open(&path).unwrap();
    let dst = OpenOptions::new().append(true).open(&path).unwrap();
    assert_refused_as_same_file(src, dst, &path);
}

#[test]
fn same_file_with_the_destination_ahead_of_the_source_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = path_with(&dir, "f", &pattern(100_000));
    let src = File::open(&path).unwrap();
    let mut dst = OpenOptions::new().write(true).open(&path).unwrap();
    dst.seek(SeekFrom::Start(10)).unwrap();
    assert_refused_as_same_file(src, dst, &path);
}

/// A source at the end of the file reads nothing, wherever the destination writes: an empty
/// copy, not a refusal.
#[test]
fn same_file_with_nothing_left_to_read_is_an_empty_copy() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(100_000);
    let path = path_with(&dir, "f", &data);
    for append in [false, true] {
        let mut src = File::open(&path).unwrap();
        src.seek(SeekFrom::End(0)).unwrap();
        let mut dst = OpenOptions::new()
            .write(true)
            .append(append)
            .open(&path)
            .unwrap();
        dst.seek(SeekFrom::End(10)).unwrap();
        let report = run(copy_report::<Neutral, _, _>(&mut src, &mut dst)).unwrap();
        assert_eq!(report.bytes(), 0, "append {append}");
        assert!(std::fs::read(&path).unwrap() == data, "append {append}");
    }
}

#[test]
fn same_file_with_a_limit_that_stops_before_the_destination_is_copied() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(100_000);
    let path = path_with(&dir, "f", &data);
    let mut src = File::open(&path).unwrap();
    let mut dst = OpenOptions::new().append(true).open(&path).unwrap();
    let report = run(copy_report::<Neutral, _, _>(
        &mut Limited::exact(&mut src, 100_000),
        &mut dst,
    ))
    .unwrap();
    assert_eq!(report.bytes(), 100_000);
    let out = std::fs::read(&path).unwrap();
    assert!(out[..100_000] == data[..] && out[100_000..] == data[..]);
}

/// Asserts the clear failure of an end that reported more bytes than its buffer held.
fn assert_overclaim(result: Result<Report, CopyError>, op: &str, what: &str) {
    let err = result.expect_err(what);
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{what}: {err}");
    assert!(
        err.to_string().contains(&format!("poll_{op} returned")),
        "{what}: {err}"
    );
    assert_eq!(err.delivered(), 0, "{what}");
}

/// A writer that reports more bytes than it was given (Go's `io.Copy` answers it with
/// `errInvalidWrite`): the copy fails with `InvalidData` from every path that writes through
/// it, where it used to panic on the slice (the buffered path, a slice's `WriterTo`, a
/// `BufReader`'s buffered bytes).
#[test]
fn writer_that_reports_more_than_it_was_given_is_invalid_data() {
    let data = pattern(100_000);
    let overclaim = || Scripted::writer(vec![Act::Overclaim(10)], None);
    let mut src = file_with(&data);
    let result = run(copy_report::<Neutral, _, _>(&mut src, &mut overclaim()));
    assert_overclaim(result, "write", "file → writer");
    let result = run(copy_report::<Neutral, _, _>(
        &mut &data[..],
        &mut overclaim(),
    ));
    assert_overclaim(result, "write", "slice → writer");
    let mut reader = zc_traits::BufReader::new(FuturesIo::new(&data[..]));
    run(future::poll_fn(|cx| {
        Source::<Neutral>::poll_read(&mut reader, cx, &mut [0u8; 1])
    }))
    .unwrap();
    let result = run(copy_report::<Neutral, _, _>(&mut reader, &mut overclaim()));
    assert_overclaim(result, "write", "BufReader's buffered bytes → writer");
}

/// A reader that reports more bytes than the buffer it was given: `InvalidData` from every
/// path that reads through it, and no byte of the buffer's unread tail delivered (the
/// buffered path used to send it, a `Vec` to keep it).
#[test]
fn reader_that_reports_more_than_its_buffer_is_invalid_data() {
    let data = pattern(100_000);
    let overclaim = || Scripted::reader(data.clone(), vec![Act::Overclaim(10)]);
    let mut out = Vec::new();
    let result = run(copy_report::<Neutral, _, _>(&mut overclaim(), &mut out));
    assert_overclaim(result, "read", "reader → Vec");
    assert!(out.is_empty(), "the Vec kept {} bytes", out.len());
    let dst = file_with(b"");
    let result = run(copy_report::<Neutral, _, _>(
        &mut overclaim(),
        &mut dst.try_clone().unwrap(),
    ));
    assert_overclaim(result, "read", "reader → file");
    assert!(content(&dst).is_empty(), "the file got bytes");
    let result = run(copy_report::<Neutral, _, _>(
        &mut Limited::new(overclaim(), 1 << 20),
        &mut Vec::new(),
    ));
    assert_overclaim(result, "read", "Limited → Vec");
    let result = run(copy_report::<Neutral, _, _>(
        &mut zc_traits::BufReader::new(overclaim()),
        &mut file_with(b""),
    ));
    assert_overclaim(result, "read", "BufReader → file");
}

/// A buffer size the allocator refuses (`CopyOptions::buffer_size(usize::MAX)`, or 4 EiB) is
/// `OutOfMemory` from the copy, with nothing taken from the source, not an abort of the
/// process (`std::io::BufReader::with_capacity` would abort).
#[test]
fn buffer_size_the_allocator_refuses_is_out_of_memory() {
    for size in [usize::MAX, 1 << 62] {
        let mut src = Scripted::reader(pattern(1000), vec![Act::Short(100)]);
        let mut dst = Scripted::writer(vec![Act::Short(100)], None);
        let options = CopyOptions::new().buffer_size(size);
        let err = run(options.copy::<Neutral, _, _>(&mut src, &mut dst)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::OutOfMemory, "{size}: {err}");
        assert_eq!(err.delivered(), 0, "{size}");
        assert!(dst.accepted.is_empty(), "{size}");
    }
}

/// A source whose `writer_to` answers `Some`, then `None`, one call after the other.
struct FickleWriterTo {
    data: &'static [u8],
    calls: usize,
}

impl Source<Neutral> for FickleWriterTo {
    fn poll_read(
        &mut self,
        cx: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<io::Result<usize>> {
        Source::<Neutral>::poll_read(&mut self.data, cx, buf)
    }

    fn writer_to(&mut self) -> Option<&mut dyn zc_traits::endpoint::WriterTo<Neutral>> {
        self.calls += 1;
        if self.calls % 2 == 1 {
            Some(&mut self.data)
        } else {
            None
        }
    }
}

/// A source whose `writer_to` changes its answer within one poll broke its contract: the copy
/// fails with a clear error where it used to panic (`unreachable!`).
#[test]
fn writer_to_that_changes_its_answer_is_an_error_not_a_panic() {
    let mut src = FickleWriterTo {
        data: b"hello",
        calls: 0,
    };
    let mut dst = Scripted::writer(vec![Act::Short(100)], None);
    let err = run(copy_report::<Neutral, _, _>(&mut src, &mut dst)).unwrap_err();
    assert!(err.to_string().contains("writer_to"), "{err}");
    assert_eq!(err.delivered(), 0);
}
