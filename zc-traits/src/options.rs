//! [`CopyOptions`]: how a copy runs (strictness, fairness, the buffered path's buffer, disk
//! reads off the executor), and the defaults it starts from. The options are plain data; the
//! copy that takes them, [`CopyOptions::copy`], is written with the other entry points in
//! `copy.rs`.

/// Bytes a copy may move in one poll before it yields to the executor, by default: 512 KiB.
///
/// One big transfer must not starve the other tasks of its thread (nginx caps one `sendfile`
/// at 2 MiB, `sendfile_max_chunk`, for the same reason). Chosen with zc-bench's scenario 7 (a
/// task that sleeps 1 ms beside a 256 MiB file → TCP copy on one current-thread runtime, 15
/// interleaved rounds on a quiet 2-core machine): the task's worst gap was 3.3 ms at 512 KiB,
/// 3.5 ms at 1 MiB and 4.4 ms at 2 MiB, against 3.1 ms with no copy on its executor at all
/// (the machine's floor: the timer, and the sender and receiver sharing the cores), and the
/// copy's CPU per GiB did not move measurably (0.31, 0.30, 0.34 CPU-s/GiB). A cold file's
/// reads off the executor still go 2 MiB at a time. A relay direction moves 4 MiB per poll
/// (see [`copy_bidirectional`](crate::copy_bidirectional)).
pub const DEFAULT_MAX_PER_POLL: u64 = 512 << 10;

/// The buffered path's buffer size, by default (allocated only when the buffered path runs).
pub const DEFAULT_BUFFER_SIZE: usize = 64 << 10;

/// How a copy runs: strictness, fairness and the buffered path's buffer.
///
/// # Examples
///
/// Demand zero-copy: the copy fails with `ErrorKind::Unsupported` instead of falling back.
///
/// ```
/// # futures_lite::future::block_on(async {
/// let mut src: &[u8] = b"bytes in memory have no kernel object";
/// let mut dst = Vec::new();
/// let err = zc_traits::CopyOptions::new()
///     .strict(true)
///     .copy::<zc_traits::Neutral, _, _>(&mut src, &mut dst)
///     .await
///     .unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::Unsupported);
/// assert!(dst.is_empty());
/// # });
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CopyOptions {
    pub(crate) strict: bool,
    pub(crate) max_per_poll: u64,
    pub(crate) buffer_size: usize,
    /// The relay's splice-auto: a socket/pipe → socket/pipe copy starts buffered and moves to
    /// splice once it streams.
    pub(crate) splice_auto: bool,
    pub(crate) disk_off_thread: bool,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions::new()
    }
}

impl CopyOptions {
    /// The defaults: not strict, [`DEFAULT_MAX_PER_POLL`], [`DEFAULT_BUFFER_SIZE`], disk
    /// reads off the executor thread.
    pub const fn new() -> Self {
        CopyOptions {
            strict: false,
            max_per_poll: DEFAULT_MAX_PER_POLL,
            buffer_size: DEFAULT_BUFFER_SIZE,
            splice_auto: false,
            disk_off_thread: true,
        }
    }

    /// With `true` (the default), a kernel step from a regular file first checks, without
    /// blocking, that its range is in the page cache (one `preadv2(RWF_NOWAIT)` of a byte);
    /// a range that is not is read on the runtime's blocking pool
    /// ([`Runtime::spawn_blocking`](crate::Runtime::spawn_blocking)) while the executor runs other tasks, and then sent
    /// zero-copy. [`Report::disk_wait_steps`](crate::Report::disk_wait_steps) counts those steps. See the
    /// [`cold`](crate::cold) module for the design and its costs.
    ///
    /// With `false`, no check: every step runs on the executor thread and waits there for the
    /// disk if it must (zc's behaviour before), for callers that know their files are
    /// resident.
    pub const fn disk_off_thread(mut self, enabled: bool) -> Self {
        self.disk_off_thread = enabled;
        self
    }

    /// HAProxy's `splice-auto`, for the relay: a copy whose kernel path is a splice through
    /// a pipe (socket or pipe → socket or pipe) starts on the buffered path, where a small
    /// message costs one `read` and one `write`, and moves to splice after
    /// [`SPLICE_AUTO_FULL_READS`] reads that filled its [`SPLICE_AUTO_BUFFER_SIZE`] buffer
    /// (the peer streams).
    /// The report's `kernel_bytes` / `user_bytes` tell which bytes went which way.
    pub(crate) const fn splice_auto(mut self, on: bool) -> Self {
        self.splice_auto = on;
        self
    }

    /// With `true`, the copy moves bytes only inside the kernel and fails with
    /// `ErrorKind::Unsupported` (saying why) where it would fall back to a user-space copy.
    /// This is the answer to Java's `transferTo`, which falls back silently.
    ///
    /// Bytes a buffered reader already holds in memory are still written first.
    pub const fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// The most bytes moved in one poll before the copy yields to the executor (at least 1).
    pub const fn max_per_poll(mut self, bytes: u64) -> Self {
        self.max_per_poll = if bytes == 0 { 1 } else { bytes };
        self
    }

    /// The buffered path's buffer size (at least 1). It is allocated when the buffered path
    /// first reads; a size the allocator refuses makes that copy fail with
    /// `ErrorKind::OutOfMemory`.
    pub const fn buffer_size(mut self, bytes: usize) -> Self {
        self.buffer_size = if bytes == 0 { 1 } else { bytes };
        self
    }
}

/// Reads that filled the buffer after which a splice-auto copy moves to splice.
pub(crate) const SPLICE_AUTO_FULL_READS: u32 = 2;

/// A splice-auto copy's buffer until it streams: 16 KiB, HAProxy's `tune.bufsize`. A
/// connection that only exchanges small messages then holds two 16 KiB buffers, not two of
/// [`DEFAULT_BUFFER_SIZE`]; a direction that streams moves to splice after two full reads of
/// it, and one that cannot splice goes on with the full-size buffer.
pub(crate) const SPLICE_AUTO_BUFFER_SIZE: usize = 16 << 10;

/// The chunk of a copy whose two ends are one open file description (one offset, see
/// `sys::SameFile::SharedOffset`), at most [`CopyOptions::buffer_size`]: 8 KiB, the buffer of
/// `tokio::io::copy` and of futures-lite's (smol's) and async-std's `io::copy`. There the
/// chunk decides the bytes the file ends with (each chunk is written after itself), so the
/// copy gives the answer those copies give.
pub(crate) const SHARED_OFFSET_CHUNK: usize = 8 << 10;
