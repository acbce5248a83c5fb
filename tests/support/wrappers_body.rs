// The bodies of tests/smol_wrappers.rs and tests/async_std_wrappers.rs, included by both:
// each file brings `Runtime`, its runtime's `BufReader` and the extension traits for
// `read_exact` and `seek` into scope first.

#[test]
fn buffered_reader_sends_its_buffer_then_the_rest_by_sendfile() {
    Runtime::block_on(async {
        let data = pattern((1 << 20) + 3);
        let file = Runtime::file(file_with(&data)).await;
        let mut reader = BufReader::with_capacity(64 << 10, file);
        let mut head = [0u8; 1000];
        reader.read_exact(&mut head).await.expect("read");
        assert_eq!(head[..], data[..1000]);
        let held = reader.buffer().len();
        assert!(held > 0);
        let (mut tx, mut rx) = Runtime::tcp_pair();
        let (report, received) = zip(
            async {
                let report = zc::copy_report(&mut reader, &mut tx).await.expect("copy");
                shutdown(&mut tx).await;
                report
            },
            read_to_end(&mut rx),
        )
        .await;
        assert_eq!(report.path(), CopyPath::Sendfile);
        assert_eq!(report.bytes(), (data.len() - 1000) as u64);
        assert_eq!(
            report.user_bytes(),
            held as u64,
            "only the buffer left user space"
        );
        assert!(received[..] == data[1000..], "bytes differ");
        assert!(reader.buffer().is_empty());
        let position = Runtime::file_position(reader.get_mut()).await;
        assert_eq!(position, data.len() as u64);
    });
}

#[test]
fn take_sends_exactly_its_limit_by_sendfile_and_leaves_the_position_after_it() {
    Runtime::block_on(async {
        let data = pattern(1 << 20);
        let mut file = Runtime::file(file_with(&data)).await;
        file.seek(std::io::SeekFrom::Start(4_097))
            .await
            .expect("seek");
        let (mut tx, mut rx) = Runtime::tcp_pair();
        let (report, received) = zip(
            async {
                let mut range = (&mut file).take(300_001);
                let report = zc::copy_report(&mut range, &mut tx).await.expect("copy");
                assert_eq!(range.limit(), 0);
                shutdown(&mut tx).await;
                report
            },
            read_to_end(&mut rx),
        )
        .await;
        assert_eq!(report.path(), CopyPath::Sendfile);
        assert_eq!(report.kernel_bytes(), 300_001);
        assert!(received[..] == data[4_097..304_098], "bytes differ");
        let position = Runtime::file_position(&mut file).await;
        assert_eq!(position, 304_098);
    });
}

#[test]
fn take_past_the_end_of_the_file_stops_at_the_end() {
    Runtime::block_on(async {
        let data = pattern(10_000);
        let mut file = Runtime::file(file_with(&data)).await;
        let (mut tx, mut rx) = Runtime::tcp_pair();
        let (report, received) = zip(
            async {
                let mut range = (&mut file).take(1 << 30);
                let report = zc::copy_report(&mut range, &mut tx).await.expect("copy");
                shutdown(&mut tx).await;
                report
            },
            read_to_end(&mut rx),
        )
        .await;
        assert_eq!(report.path(), CopyPath::Sendfile);
        assert_eq!(report.bytes(), 10_000);
        assert_eq!(received, data);
    });
}

#[test]
fn take_of_a_buffered_reader_sends_the_buffer_then_the_kernel_up_to_the_limit() {
    Runtime::block_on(async {
        let data = pattern(1 << 20);
        let file = Runtime::file(file_with(&data)).await;
        let mut reader = BufReader::with_capacity(8 << 10, file);
        let mut head = [0u8; 100];
        reader.read_exact(&mut head).await.expect("read");
        // What the first fill read: 8 KiB, or less when the runtime's file returns a short
        // read (async-fs sometimes gives 4 KiB).
        let held = reader.buffer().len() as u64;
        assert!(held > 0);
        let (mut tx, mut rx) = Runtime::tcp_pair();
        let (report, received) = zip(
            async {
                let mut range = (&mut reader).take(200_000);
                let report = zc::copy_report(&mut range, &mut tx).await.expect("copy");
                shutdown(&mut tx).await;
                report
            },
            read_to_end(&mut rx),
        )
        .await;
        assert_eq!(report.path(), CopyPath::Sendfile);
        assert_eq!(report.bytes(), 200_000);
        assert_eq!(report.user_bytes(), held);
        assert!(received[..] == data[100..200_100], "bytes differ");
    });
}
