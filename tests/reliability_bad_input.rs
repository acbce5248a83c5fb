//! Bad input on every runtime, with the runtime's own file and socket types: each gives a
//! clear `io::Error` (never a panic, a hang or wrong bytes) or a correct copy.
#![cfg(target_os = "linux")]

mod support;

use std::fs::{File, OpenOptions};
use std::future::poll_fn;
use std::io;
use std::os::unix::fs::FileExt;

use futures_lite::future::zip;
use rustix::io::Errno;
use support::Harness;
use zc::{BufReader, CopyError, CopyPath, Limited, Report, Source};
use zc_test_support::*;

support::per_runtime!(
    directory_as_source_is_eisdir,
    write_only_source_is_ebadf,
    read_only_destination_is_ebadf,
    socket_shut_down_for_writing_is_broken_pipe,
    append_destination_is_appended_by_the_buffered_path,
    strict_reason_names_the_end_without_a_kernel_path,
    proc_status_copies_its_content,
    partly_read_pipe_opened_as_a_file_copies_the_rest,
    empty_file_is_an_empty_copy_on_the_kernel_path,
    sparse_file_past_4_gib_copies_exact_ranges_across_the_marks,
    same_file_appended_to_itself_is_refused,
    same_file_with_the_destination_ahead_is_refused,
    same_open_file_description_on_both_ends_copies_as_tokio_io_copy,
    o_direct_source_hands_its_unaligned_tail_to_the_buffered_path,
);

/// Copies the runtime file over `std_file` into a TCP socket: the result and what arrived.
async fn file_to_tcp<H: Harness>(std_file: File) -> (Result<Report, CopyError>, Vec<u8>) {
    support::copy_into_tcp::<H, _>(&mut H::file(std_file).await).await
}

fn assert_refused(name: &str, result: Result<Report, CopyError>, errno: Errno) {
    let err = result.expect_err(name);
    let errno = Some(errno.raw_os_error());
    assert_eq!(err.error().raw_os_error(), errno, "{name}: {err}");
    assert_eq!(err.delivered(), 0, "{name}");
}

fn directory_as_source_is_eisdir<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let (result, got) = file_to_tcp::<H>(File::open(dir.path()).unwrap()).await;
        assert_refused(H::NAME, result, Errno::ISDIR);
        assert!(got.is_empty());
    });
}

fn write_only_source_is_ebadf<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, pattern(100_000)).unwrap();
        let (result, got) =
            file_to_tcp::<H>(OpenOptions::new().write(true).open(&path).unwrap()).await;
        assert_refused(H::NAME, result, Errno::BADF);
        assert!(got.is_empty());
    });
}

fn read_only_destination_is_ebadf<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"").unwrap();
        let data = pattern(100_000);
        // file → file, and socket → file.
        let mut src = H::file(file_with(&data)).await;
        let mut dst = H::file(File::open(&path).unwrap()).await;
        assert_refused(
            H::NAME,
            zc::copy_report(&mut src, &mut dst).await,
            Errno::BADF,
        );
        let (mut client, mut server) = H::tcp_pair();
        let mut dst = H::file(File::open(&path).unwrap()).await;
        let (_, result) = zip(
            write_and_close(&mut client, &data),
            zc::copy_report(&mut server, &mut dst),
        )
        .await;
        assert_refused(H::NAME, result, Errno::BADF);
        // slice → file (its `WriterTo`), and a `BufReader`'s buffered bytes → file: the
        // runtime's file would accept them into its write-behind buffer and fail later, but
        // nothing reached the fd, so the count is 0.
        let mut dst = H::file(File::open(&path).unwrap()).await;
        let result = zc::copy_report(&mut &data[..], &mut dst).await;
        assert_refused(&format!("{}: slice", H::NAME), result, Errno::BADF);
        let mut reader = BufReader::new(H::file(file_with(&data)).await);
        let mut first = [0u8; 1];
        poll_fn(|cx| Source::<H::Rt>::poll_read(&mut reader, cx, &mut first))
            .await
            .unwrap();
        // smol's file reads through a thread's pipe and may fill less than the buffer.
        assert!(
            !reader.buffer().is_empty(),
            "{}: the reader holds bytes",
            H::NAME
        );
        let mut dst = H::file(File::open(&path).unwrap()).await;
        let result = zc::copy_report(&mut reader, &mut dst).await;
        assert_refused(&format!("{}: BufReader", H::NAME), result, Errno::BADF);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    });
}

fn socket_shut_down_for_writing_is_broken_pipe<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let data = pattern(100_000);
        let (mut tx, _rx) = H::tcp_pair();
        shutdown(&mut tx).await;
        let mut file = H::file(file_with(&data)).await;
        let err = zc::copy_report(&mut file, &mut tx).await.unwrap_err();
        assert_eq!(
            err.kind(),
            io::ErrorKind::BrokenPipe,
            "{}: sendfile",
            H::NAME
        );
        assert_eq!(err.delivered(), 0);
        assert_eq!(
            H::file_position(&mut file).await,
            0,
            "{}: nothing taken",
            H::NAME
        );
        let (mut client, mut relay_in) = H::tcp_pair();
        let (_, result) = zip(
            write_and_close(&mut client, &data),
            zc::copy_report(&mut relay_in, &mut tx),
        )
        .await;
        let err = result.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{}: splice", H::NAME);
        assert_eq!(err.delivered(), 0);
    });
}

fn append_destination_is_appended_by_the_buffered_path<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, b"head").unwrap();
        let data = pattern(300_000);
        let mut src = H::file(file_with(&data)).await;
        let mut dst = H::file(OpenOptions::new().append(true).open(&path).unwrap()).await;
        let report = zc::copy_report(&mut src, &mut dst).await.unwrap();
        assert_eq!(
            (report.bytes(), report.path()),
            (data.len() as u64, CopyPath::Buffered)
        );
        assert_eq!(H::file_position(&mut src).await, data.len() as u64);
        drop(dst);
        let out = std::fs::read(&path).unwrap();
        assert!(
            out[..4] == b"head"[..] && out[4..] == data[..],
            "{}: appended",
            H::NAME
        );
        let mut src = H::file(file_with(&data)).await;
        let mut dst = H::file(OpenOptions::new().append(true).open(&path).unwrap()).await;
        let err = zc::copy_strict(&mut src, &mut dst).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Unsupported);
        assert!(err.to_string().contains("O_APPEND"), "{err}");
    });
}

/// A pipe opened as the runtime's file (a FIFO's path opened with `File::open`, or a pipe fd
/// made a `File`), partly read through the runtime's own reads, then copied: the copy delivers
/// exactly the bytes after those read, the ones the runtime already read ahead first. The
/// kernel path refuses it (its kernel copy could block the executor), and bringing its
/// position in sync must not seek it (`ESPIPE`; on smol, async-fs's seek dropped its
/// read-ahead first).
fn partly_read_pipe_opened_as_a_file_copies_the_rest<H: Harness>() {
    const READ_FIRST: usize = 10;
    let _g = shared();
    let data = pattern(300_000);
    let (reader, writer) = rustix::pipe::pipe().unwrap();
    let feeder = {
        let data = data.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            File::from(writer).write_all(&data).unwrap();
        })
    };
    H::block_on(async move {
        let mut src = H::file(File::from(reader)).await;
        let head = H::file_read_exact(&mut src, READ_FIRST).await;
        assert!(head == data[..READ_FIRST]);
        let (report, got) = support::copy_into_tcp::<H, _>(&mut src).await;
        let report = report.unwrap_or_else(|e| panic!("{}: {e}", H::NAME));
        assert_eq!(
            report.bytes(),
            (data.len() - READ_FIRST) as u64,
            "{}",
            H::NAME
        );
        assert_eq!(report.path(), CopyPath::Buffered, "{}: {report:?}", H::NAME);
        assert!(got == data[READ_FIRST..], "{}: the bytes differ", H::NAME);
    });
    feeder.join().unwrap();
}

/// `copy_strict`'s reason names the end that has no kernel path, whichever argument it is:
/// a device, or a pipe or socket opened blocking (`std::fs::File` over its fd), on either
/// side of one of the runtime's sockets. (The destination's reasons once named the source:
/// "the source is polled by a reactor but its fd kind has no kernel path".)
fn strict_reason_names_the_end_without_a_kernel_path<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let name = H::NAME;
        let reason = |err: CopyError| {
            assert_eq!(err.kind(), io::ErrorKind::Unsupported, "{name}: {err}");
            err.to_string()
        };
        let dev_null = || OpenOptions::new().write(true).open("/dev/null").unwrap();
        let (read_end, write_end) = rustix::pipe::pipe().unwrap();
        let (mut pipe_in, mut pipe_out) = (File::from(read_end), File::from(write_end));
        let (_client, mut sock) = H::tcp_pair();

        let why = reason(
            zc::copy_strict(&mut sock, &mut dev_null())
                .await
                .unwrap_err(),
        );
        assert!(
            why.contains("the destination is not a regular file, pipe or stream socket"),
            "{name}: {why}"
        );
        let why = reason(zc::copy_strict(&mut sock, &mut pipe_out).await.unwrap_err());
        assert!(
            why.contains("the destination is a blocking pipe or socket"),
            "{name}: {why}"
        );
        let why = reason(zc::copy_strict(&mut pipe_in, &mut sock).await.unwrap_err());
        assert!(
            why.contains("the source is a blocking pipe or socket"),
            "{name}: {why}"
        );
        let mut zero = File::open("/dev/zero").unwrap();
        let why = reason(zc::copy_strict(&mut zero, &mut sock).await.unwrap_err());
        assert!(
            why.contains("the source is not a regular file, pipe or stream socket"),
            "{name}: {why}"
        );
    });
}

fn proc_status_copies_its_content<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let (result, got) = file_to_tcp::<H>(File::open("/proc/self/status").unwrap()).await;
        assert_eq!(result.unwrap().bytes(), got.len() as u64);
        let text = String::from_utf8(got).unwrap();
        assert!(
            text.starts_with("Name:\t") && text.ends_with('\n'),
            "{text}"
        );
        assert!(text.contains(&format!("\nPid:\t{}\n", std::process::id())));
        assert_eq!(
            text.matches("\nPid:").count(),
            1,
            "{}: no line twice",
            H::NAME
        );
        assert!(text.contains("\nSigIgn:\t"), "{}: the whole file", H::NAME);
    });
}

fn empty_file_is_an_empty_copy_on_the_kernel_path<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let (result, got) = file_to_tcp::<H>(file_with(b"")).await;
        let report = result.unwrap();
        assert_eq!(
            (report.bytes(), report.path()),
            (0, CopyPath::Sendfile),
            "{}",
            H::NAME
        );
        assert!(got.is_empty());
        let mut src = H::file(file_with(b"")).await;
        let mut dst = H::file(file_with(b"")).await;
        let report = zc::copy_strict(&mut src, &mut dst).await.unwrap();
        assert_eq!(
            (report.bytes(), report.path()),
            (0, CopyPath::CopyFileRange),
            "{}",
            H::NAME
        );
    });
}

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

fn sparse_file_past_4_gib_copies_exact_ranges_across_the_marks<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sparse");
        let std_file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        std_file.set_len(5 * GIB).unwrap();
        let marks = [
            (2 * GIB - 8, pattern(16)),
            (4 * GIB - 8, pattern(17)[1..].to_vec()),
        ];
        for (at, bytes) in &marks {
            std_file.write_all_at(bytes, *at).unwrap();
        }
        let expected = |start: u64, len: u64| {
            let mut out = vec![0u8; len as usize];
            for (at, bytes) in &marks {
                for (i, b) in bytes.iter().enumerate() {
                    let off = at + i as u64;
                    if (start..start + len).contains(&off) {
                        out[(off - start) as usize] = *b;
                    }
                }
            }
            out
        };
        let mut file = H::file(std_file).await;
        for mark in [2 * GIB, 4 * GIB] {
            // The runtime file → socket (sendfile), a 2 MiB range centred on the mark.
            H::file_seek(&mut file, mark - MIB).await;
            let (mut tx, mut rx) = H::tcp_pair();
            let (report, got) = zip(
                async {
                    let r = zc::copy_report(&mut Limited::exact(&mut file, 2 * MIB), &mut tx).await;
                    shutdown(&mut tx).await;
                    r.unwrap()
                },
                read_to_end::<H::Rt, _>(&mut rx),
            )
            .await;
            assert_eq!(
                (report.bytes(), report.path()),
                (2 * MIB, CopyPath::Sendfile),
                "{}",
                H::NAME
            );
            assert!(
                got == expected(mark - MIB, 2 * MIB),
                "{}: sendfile at {mark}",
                H::NAME
            );
            assert_eq!(H::file_position(&mut file).await, mark + MIB, "{}", H::NAME);
            // The runtime file → a runtime file (copy_file_range), the same range.
            H::file_seek(&mut file, mark - MIB).await;
            let out = file_with(b"");
            let check = out.try_clone().unwrap();
            let mut dst = H::file(out).await;
            let report = zc::copy_report(&mut Limited::exact(&mut file, 2 * MIB), &mut dst)
                .await
                .unwrap();
            assert_eq!(
                (report.bytes(), report.path()),
                (2 * MIB, CopyPath::CopyFileRange),
                "{}",
                H::NAME
            );
            assert!(
                content(&check) == expected(mark - MIB, 2 * MIB),
                "{}: cfr at {mark}",
                H::NAME
            );
            assert_eq!(H::file_position(&mut file).await, mark + MIB, "{}", H::NAME);
        }
        // A limit past 4 GiB from near the end: a short copy, or UnexpectedEof when exact.
        H::file_seek(&mut file, 5 * GIB - 3 * MIB).await;
        let mut dst = H::file(file_with(b"")).await;
        let err = zc::copy_report(&mut Limited::exact(&mut file, 4 * GIB + 5), &mut dst)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{}", H::NAME);
        assert_eq!(err.delivered(), 3 * MIB, "{}", H::NAME);
    });
}

/// The two copies of one file that would never end (they read back their own output) are
/// refused before any byte: `InvalidInput` with the reason, the file byte for byte as it was,
/// both offsets where they were, nothing reported as moved (no path ran).
async fn assert_refused_as_same_file<H: Harness>(
    path: &std::path::Path,
    mut src: H::File,
    mut dst: H::File,
) {
    let before = std::fs::read(path).unwrap();
    let positions = (
        H::file_position(&mut src).await,
        H::file_position(&mut dst).await,
    );
    let result = poll_at_most(zc::copy_report(&mut src, &mut dst), 1000).await;
    let err = result
        .expect("the copy must end at once")
        .expect_err("a copy that feeds itself must be refused");
    assert_eq!(
        err.kind(),
        io::ErrorKind::InvalidInput,
        "{}: {err}",
        H::NAME
    );
    assert!(err.to_string().contains("same file"), "{}: {err}", H::NAME);
    assert!(err.to_string().contains("never end"), "{}: {err}", H::NAME);
    assert_eq!(err.delivered(), 0, "{}", H::NAME);
    assert_eq!(
        err.report().path(),
        CopyPath::Buffered,
        "{}: no path ran",
        H::NAME
    );
    assert_eq!(err.report().kernel_bytes(), 0, "{}", H::NAME);
    assert!(
        std::fs::read(path).unwrap() == before,
        "{}: the file changed",
        H::NAME
    );
    let after = (
        H::file_position(&mut src).await,
        H::file_position(&mut dst).await,
    );
    assert_eq!(after, positions, "{}", H::NAME);
}

/// A second open of the source's file with `O_APPEND`: every write lands past what the
/// source still has to read.
fn same_file_appended_to_itself_is_refused<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, pattern(100_000)).unwrap();
        let src = H::file(File::open(&path).unwrap()).await;
        let dst = H::file(OpenOptions::new().append(true).open(&path).unwrap()).await;
        assert_refused_as_same_file::<H>(&path, src, dst).await;
    });
}

/// A second open of the source's file, seeked ahead of the source's position.
fn same_file_with_the_destination_ahead_is_refused<H: Harness>() {
    let _g = shared();
    H::block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, pattern(100_000)).unwrap();
        let src = H::file(File::open(&path).unwrap()).await;
        let mut dst = H::file(OpenOptions::new().write(true).open(&path).unwrap()).await;
        H::file_seek(&mut dst, 10).await;
        assert_refused_as_same_file::<H>(&path, src, dst).await;
    });
}

/// `tokio::io::copy` on tokio's `File`, its two ends one open file description over `data`
/// (the source at `at`, `O_APPEND` if `append`): the count and the file after it.
fn tokio_io_copy_onto_itself(data: &[u8], at: u64, append: bool) -> (u64, Vec<u8>) {
    let file = file_with(data);
    if append {
        rustix::fs::fcntl_setfl(&file, rustix::fs::OFlags::APPEND).unwrap();
    }
    let check = file.try_clone().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let n = rt.block_on(async {
        use tokio::io::AsyncSeekExt;
        let mut src = tokio::fs::File::from_std(file.try_clone().unwrap());
        src.seek(std::io::SeekFrom::Start(at)).await.unwrap();
        let mut dst = tokio::fs::File::from_std(file);
        tokio::io::copy(&mut src, &mut dst).await.unwrap()
    });
    (n, content(&check))
}

/// Both ends one open file description (`try_clone`), so one offset: zc gives
/// `tokio::io::copy`'s answer, run beside it on the same bytes (tokio doubles `hello world!`,
/// as Go's `io.Copy` does): the same count, the same file. The rest of a file that fits in
/// tokio's 8 KiB buffer is written once after itself; from the end of the file, nothing; with
/// `O_APPEND` on the description, one chunk appended. zc's path is the buffered one. (A rest
/// longer than 8 KiB has no one answer from tokio: its `File` runs each write and the next
/// read on the blocking pool at once, and under load either may go first, which changes the
/// count and the bytes; the core's test checks zc's against a sequential loop there.)
fn same_open_file_description_on_both_ends_copies_as_tokio_io_copy<H: Harness>() {
    let _g = shared();
    let small = pattern(5000);
    let cases: [(&[u8], u64, bool); 5] = [
        (b"hello world!", 0, false),
        (b"hello world!", 6, false),
        (b"hello world!", 12, false),
        (&small, 100, false),
        (b"hello world!", 3, true),
    ];
    for (data, at, append) in cases {
        let what = format!(
            "{}: {} bytes from {at}, append {append}",
            H::NAME,
            data.len()
        );
        let (tokio_n, tokio_file) = tokio_io_copy_onto_itself(data, at, append);
        if data == b"hello world!" && at == 0 {
            assert_eq!(
                (tokio_n, &tokio_file[..]),
                (12, &b"hello world!hello world!"[..])
            );
        }
        let std_file = file_with(data);
        if append {
            rustix::fs::fcntl_setfl(&std_file, rustix::fs::OFlags::APPEND).unwrap();
        }
        let check = std_file.try_clone().unwrap();
        let report = H::block_on(async move {
            let mut src = H::file(std_file.try_clone().unwrap()).await;
            H::file_seek(&mut src, at).await;
            let mut dst = H::file(std_file).await;
            poll_at_most(zc::copy_report(&mut src, &mut dst), 1000).await
        });
        let report = report
            .expect("the copy ends by itself")
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(report.bytes(), tokio_n, "{what}");
        assert!(
            content(&check) == tokio_file,
            "{what}: the file differs from tokio's"
        );
        assert_eq!(report.path(), CopyPath::Buffered, "{what}");
        assert_eq!(report.kernel_bytes(), 0, "{what}");
    }
}

/// An `O_DIRECT` runtime file of 8 MiB and 1000 bytes into a runtime file: `copy_file_range`
/// moves the aligned part and refuses the tail (`EINVAL`), which the buffered path takes with
/// the exact count; the report names both paths. In cargo's target directory, as `/tmp` may
/// be a tmpfs, which has no alignment rule.
fn o_direct_source_hands_its_unaligned_tail_to_the_buffered_path<H: Harness>() {
    use std::os::unix::fs::OpenOptionsExt;
    let _g = shared();
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let data = pattern((8 << 20) + 1000);
    let path = dir.path().join("direct");
    std::fs::write(&path, &data).unwrap();
    let direct = rustix::fs::OFlags::DIRECT.bits() as i32;
    let std_src = match OpenOptions::new()
        .read(true)
        .custom_flags(direct)
        .open(&path)
    {
        Ok(file) => file,
        Err(e) => return eprintln!("{}: skipped: no O_DIRECT here ({e})", H::NAME),
    };
    H::block_on(async move {
        let mut src = H::file(std_src).await;
        let out = tempfile::tempfile_in(dir.path()).unwrap();
        let mut dst = H::file(out.try_clone().unwrap()).await;
        let report = zc::copy_report(&mut src, &mut dst).await.unwrap();
        assert_eq!(report.bytes(), data.len() as u64, "{}", H::NAME);
        assert!(content(&out) == data, "{}: the bytes differ", H::NAME);
        assert_eq!(H::file_position(&mut src).await, data.len() as u64);
        assert_eq!(report.path(), CopyPath::CopyFileRange, "{}", H::NAME);
        if report.fallback().is_none() {
            return eprintln!("{}: skipped: copy_file_range took the tail here", H::NAME);
        }
        assert_eq!(report.fallback(), Some(CopyPath::Buffered), "{}", H::NAME);
        assert_eq!(report.user_bytes(), 1000, "{}", H::NAME);
    });
}
