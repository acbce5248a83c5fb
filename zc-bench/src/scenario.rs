//! The scenarios and their variants: what runs, under which name, against which reference.

/// One benchmark scenario of the issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// 1. A file to a TCP connection on 127.0.0.1.
    FileToTcp,
    /// 2. TCP to TCP through a proxy (the measured process is the proxy).
    Relay,
    /// 3. A file to a new file on the same file system.
    FileToFile,
    /// 4. Many small files, each opened and copied, into one connection.
    SmallFiles,
    /// 5. Many concurrent clients each receiving a file from one server.
    ManyClients,
    /// 6. Small request / response messages through a proxy, many connections at once.
    PingPong,
    /// 7. A file whose pages are not in the page cache, to TCP, with a latency probe task.
    ColdCache,
}

impl Scenario {
    pub const ALL: [Scenario; 7] = [
        Scenario::FileToTcp,
        Scenario::Relay,
        Scenario::FileToFile,
        Scenario::SmallFiles,
        Scenario::ManyClients,
        Scenario::PingPong,
        Scenario::ColdCache,
    ];

    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    pub fn from_number(n: u8) -> Option<Scenario> {
        Scenario::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }

    /// The variants of this scenario, in the order they run within a round.
    pub fn variants(self) -> &'static [Variant] {
        match self {
            Scenario::FileToTcp => FILE_TO_TCP,
            Scenario::Relay => RELAY,
            Scenario::FileToFile => FILE_TO_FILE,
            Scenario::SmallFiles => SMALL_FILES,
            Scenario::ManyClients => MANY_CLIENTS,
            Scenario::PingPong => PING_PONG,
            Scenario::ColdCache => COLD_CACHE,
        }
    }

    /// The variant the ratios are taken against: the best peer (a C-style loop where one
    /// exists).
    pub fn reference(self) -> &'static Variant {
        self.variants()
            .iter()
            .find(|v| v.reference)
            .expect("every scenario has a reference variant")
    }
}

/// One way to do a scenario's work.
#[derive(Debug)]
pub struct Variant {
    /// Stable id, passed to the child process and matched by `--variants`.
    pub id: &'static str,
    /// What the table shows.
    pub label: &'static str,
    /// How the bytes move, for variants that cannot report it (zc variants report their path).
    pub path: &'static str,
    /// The best peer, which the ratios of the scenario are taken against.
    pub reference: bool,
    /// A diagnostic variant, run only when `--variants` names its whole id.
    pub diagnostic: bool,
    /// A peer many times slower than the reference: it runs in the first [`FEW_ROUNDS`]
    /// rounds only (its ratio is far from 1, and it would take most of the run's time).
    pub few_rounds: bool,
}

/// The rounds a [`Variant::few_rounds`] variant runs.
pub const FEW_ROUNDS: usize = 3;

const fn v(id: &'static str, label: &'static str, path: &'static str) -> Variant {
    Variant {
        id,
        label,
        path,
        reference: false,
        diagnostic: false,
        few_rounds: false,
    }
}

/// A peer far slower than the reference; see [`Variant::few_rounds`].
const fn slow(id: &'static str, label: &'static str, path: &'static str) -> Variant {
    Variant {
        few_rounds: true,
        ..v(id, label, path)
    }
}

const fn reference(id: &'static str, label: &'static str, path: &'static str) -> Variant {
    Variant {
        id,
        label,
        path,
        reference: true,
        diagnostic: false,
        few_rounds: false,
    }
}

const fn diagnostic(id: &'static str, label: &'static str, path: &'static str) -> Variant {
    Variant {
        id,
        label,
        path,
        reference: false,
        diagnostic: true,
        few_rounds: false,
    }
}

const FILE_TO_TCP: &[Variant] = &[
    reference(
        "c-sendfile",
        "C reference: non-blocking `sendfile` ≤ 4 MiB per call + `poll(2)`",
        "sendfile",
    ),
    diagnostic(
        "blocking-sendfile",
        "one blocking `sendfile` loop (no event loop)",
        "sendfile",
    ),
    v(
        "zc-tokio",
        "`zc::copy` on tokio (`tokio::fs::File` → `TcpStream`)",
        "",
    ),
    diagnostic(
        "zc-tokio-max-2m",
        "`zc::copy` on tokio, `max_per_poll` 2 MiB (the default before 512 KiB)",
        "",
    ),
    v(
        "zc-smol",
        "`zc::copy` on smol (`smol::fs::File` → `smol::net::TcpStream`)",
        "",
    ),
    v(
        "zc-async-std",
        "`zc::copy` on async-std (`File` → `TcpStream`)",
        "",
    ),
    slow(
        "tokio-copy",
        "`tokio::io::copy` (tokio `File` → `TcpStream`)",
        "read/write, 8 KiB buffer; file reads on the blocking pool",
    ),
    slow(
        "tokio-copy-buf",
        "`tokio::io::copy_buf`, 256 KiB `BufReader`",
        "read/write, 256 KiB buffer; file reads on the blocking pool",
    ),
    slow(
        "std-copy",
        "`std::io::copy` on a thread (std `File` → `TcpStream`)",
        "read/write (std skips sendfile for file → socket)",
    ),
];

const RELAY: &[Variant] = &[
    reference(
        "c-splice",
        "C reference: non-blocking `splice` through a 1 MiB pipe + `poll(2)`",
        "splice",
    ),
    diagnostic(
        "blocking-splice",
        "one blocking `splice` loop, 1 MiB pipe (no event loop)",
        "splice",
    ),
    v(
        "zc-tokio",
        "`zc::copy_bidirectional` on tokio (`TcpStream`s)",
        "",
    ),
    v(
        "zc-smol",
        "`zc::copy_bidirectional` on smol (`smol::net::TcpStream`s)",
        "",
    ),
    v(
        "zc-async-std",
        "`zc::copy_bidirectional` on async-std (`TcpStream`s)",
        "",
    ),
    slow(
        "tokio-bidi",
        "`tokio::io::copy_bidirectional`",
        "read/write, 8 KiB buffer per direction",
    ),
];

const FILE_TO_FILE: &[Variant] = &[
    reference(
        "c-cfr",
        "C reference: `copy_file_range` loop",
        "copy_file_range",
    ),
    v("zc-tokio", "`zc::copy` on tokio (`tokio::fs::File`s)", ""),
    v(
        "zc-neutral",
        "`zc::copy::<Neutral>` (std `File` → std `File`)",
        "",
    ),
    v("zc-smol", "`zc::copy` on smol (`smol::fs::File`s)", ""),
    v("zc-async-std", "`zc::copy` on async-std (`File`s)", ""),
    slow(
        "tokio-fs-copy",
        "`tokio::fs::copy`",
        "std::fs::copy on the blocking pool",
    ),
    slow(
        "std-fs-copy",
        "`std::fs::copy`",
        "copy_file_range (std's kernel_copy)",
    ),
];

const SMALL_FILES: &[Variant] = &[
    reference(
        "c-open-sendfile",
        "C reference: `open` + `fstat` + `sendfile(size)` (+ `poll` when full) + `close`",
        "sendfile",
    ),
    v(
        "zc-tokio",
        "`std::fs::File::open` + `zc::copy` on tokio",
        "",
    ),
    v("zc-smol", "`std::fs::File::open` + `zc::copy` on smol", ""),
    v(
        "zc-async-std",
        "`std::fs::File::open` + `zc::copy` on async-std",
        "",
    ),
    v(
        "zc-tokio-fs-open",
        "`tokio::fs::File::open` (blocking pool) + `zc::copy` on tokio",
        "",
    ),
    slow(
        "tokio-copy",
        "`tokio::fs::File::open` + `tokio::io::copy`",
        "read/write, 8 KiB buffer; open and reads on the blocking pool",
    ),
];

const MANY_CLIENTS: &[Variant] = &[
    reference(
        "c-sendfile",
        "C reference: one thread, non-blocking `sendfile` ≤ 4 MiB to whichever client `poll(2)` says is writable",
        "sendfile",
    ),
    v("zc-tokio", "`zc::copy` on tokio, a task per client", ""),
    slow(
        "tokio-copy",
        "`tokio::io::copy`, a task per client",
        "read/write, 8 KiB buffer; open and reads on the blocking pool",
    ),
];

const PING_PONG: &[Variant] = &[
    reference(
        "tokio-bidi",
        "`tokio::io::copy_bidirectional`, a task per connection",
        "read/write, 8 KiB buffer per direction",
    ),
    v(
        "zc-tokio",
        "`zc::copy_bidirectional` on tokio, a task per connection",
        "",
    ),
    v(
        "zc-smol",
        "`zc::copy_bidirectional` on smol, a task per connection (`LocalExecutor`)",
        "",
    ),
    v(
        "zc-async-std",
        "`zc::copy_bidirectional` on async-std, a task per connection (`LocalExecutor`)",
        "",
    ),
    v(
        "smol-bidi",
        "`smol::io::copy` each way, joined, on smol, a task per connection (`LocalExecutor`)",
        "read/write, 8 KiB buffer per direction",
    ),
    v(
        "async-std-bidi",
        "`async_std::io::copy` each way, joined, on async-std, a task per connection (`LocalExecutor`)",
        "read/write, 8 KiB buffer per direction",
    ),
];

const COLD_CACHE: &[Variant] = &[
    reference(
        "zc-tokio-warm-inline",
        "warm: `zc::copy` on tokio, `disk_off_thread(false)` (zc before issue 15)",
        "",
    ),
    v(
        "zc-tokio-warm",
        "warm: `zc::copy` on tokio, default options",
        "",
    ),
    v(
        "zc-tokio-cold-inline",
        "cold: `zc::copy` on tokio, `disk_off_thread(false)` (zc before issue 15)",
        "",
    ),
    v(
        "zc-tokio-cold",
        "cold: `zc::copy` on tokio, default options",
        "",
    ),
    diagnostic(
        "zc-tokio-warm-max-512k",
        "warm: `zc::copy` on tokio, `max_per_poll` 512 KiB",
        "",
    ),
    diagnostic(
        "zc-tokio-warm-max-1m",
        "warm: `zc::copy` on tokio, `max_per_poll` 1 MiB",
        "",
    ),
    diagnostic(
        "zc-tokio-warm-max-2m",
        "warm: `zc::copy` on tokio, `max_per_poll` 2 MiB",
        "",
    ),
    v(
        "c-sendfile-cold",
        "cold: C non-blocking `sendfile` loop (the disk's speed; no executor, no probe)",
        "sendfile",
    ),
    v(
        "probe-beside-c-sendfile",
        "warm: the probe alone on its runtime, the C `sendfile` loop on another thread (the gap's floor)",
        "sendfile",
    ),
];

impl Variant {
    /// Scenario 7: whether the run starts with the file evicted from the page cache.
    pub fn cold(&self) -> bool {
        self.id.contains("cold")
    }
}
