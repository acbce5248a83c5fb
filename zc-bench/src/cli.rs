//! Command-line flags of the parent (orchestrating) process.

use std::path::PathBuf;
use std::time::Duration;

use crate::scenario::Scenario;

pub const USAGE: &str = "\
zc-bench: zc::copy side by side with its best peers (C-style loops through rustix, tokio)

USAGE:
    cargo run --release -p zc-bench -- [FLAGS]

FLAGS:
    --size BYTES           file -> TCP, relay and file -> file size        [default: 1GiB]
    --rounds N             times each variant runs, interleaved A B C A B C [default: 7]
                           (peers far slower than the reference run 3 times)
    --scenarios LIST       comma-separated scenario numbers (1-7)          [default: 1,2,3,4,5,6,7]
    --variants LIST        run only variants whose id contains one of these words (and the
                           reference); a diagnostic variant runs only when named in full
    --small-count N        scenario 4: copies of each small file           [default: 10000]
    --small-sizes LIST     scenario 4: small file sizes, a table each      [default: 16KiB,4KiB]
    --clients N            scenario 5: concurrent clients                  [default: 256]
    --client-size BYTES    scenario 5: bytes each client receives          [default: 4MiB]
    --conns N              scenario 6: proxied connections                 [default: 64]
    --messages N           scenario 6: round trips per connection          [default: 1000]
    --message-size BYTES   scenario 6: request and response size           [default: 1KiB]
    --cold-size BYTES      scenario 7: size of the file made cold          [default: 256MiB]
    --no-strace            skip the extra run of each variant under `strace -f` that counts
                           its syscalls (skipped anyway when strace is not installed)
    --strace               do that run (the default, but for --tiny)
    --dir PATH             where the data files go (scenario 7 needs a disk-backed file
                           system, not tmpfs)                              [default: a new dir in $TMPDIR]
    --timeout SECS         a run that takes longer fails                   [default: 600]
    --pin                  pin the measured child to the last CPU and the peers to CPU 0
    --receiver KIND        scenarios 1, 2, 4, 7: `read` reads the bytes into a buffer like
                           clients do; `splice` moves them into /dev/null without copying,
                           so the sender alone is the bottleneck           [default: read]
    --verify               the receivers check every byte (slower; meant for small sizes)
    --tiny                 CI smoke preset: 4MiB, 1 round, 64 small copies, 8 clients of 256KiB,
                           4 connections x 8 messages, --verify, no strace, 60 s timeout
                           (explicit flags after it still apply)
    --list                 print the scenarios and variants and exit
    -h, --help             print this help

BYTES accepts a plain number or a KiB/MiB/GiB suffix.";

#[derive(Debug, Clone)]
pub struct Config {
    pub size: u64,
    pub rounds: usize,
    pub scenarios: Vec<Scenario>,
    pub variant_filter: Vec<String>,
    pub small_count: u64,
    pub small_sizes: Vec<u64>,
    pub clients: u64,
    pub client_size: u64,
    pub conns: u64,
    pub messages: u64,
    pub message_size: u64,
    pub cold_size: u64,
    pub strace: bool,
    /// The `--tiny` preset: too small for the targets to mean anything.
    pub tiny: bool,
    pub dir: Option<PathBuf>,
    pub timeout: Duration,
    pub verify: bool,
    pub pin: bool,
    pub splice_receiver: bool,
    pub list: bool,
    /// The command line as typed, for the report.
    pub command: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            size: 1 << 30,
            rounds: 7,
            scenarios: Scenario::ALL.to_vec(),
            variant_filter: Vec::new(),
            small_count: 10_000,
            small_sizes: vec![16 << 10, 4 << 10],
            clients: 256,
            client_size: 4 << 20,
            conns: 64,
            messages: 1000,
            message_size: 1 << 10,
            cold_size: 256 << 20,
            strace: true,
            tiny: false,
            dir: None,
            timeout: Duration::from_secs(600),
            verify: false,
            pin: false,
            splice_receiver: false,
            list: false,
            command: String::new(),
        }
    }
}

/// What the command line asked for.
#[derive(Debug)]
pub enum Parsed {
    Run(Box<Config>),
    Help,
}

pub fn parse(args: &[String]) -> Result<Parsed, String> {
    let mut cfg = Config {
        command: std::iter::once("cargo run --release -p zc-bench --")
            .chain(args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        ..Config::default()
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--size" => cfg.size = bytes(&value()?)?,
            "--rounds" => cfg.rounds = number(&value()?)? as usize,
            "--scenarios" => {
                cfg.scenarios = value()?
                    .split(',')
                    .map(|s| {
                        s.trim()
                            .parse::<u8>()
                            .ok()
                            .and_then(Scenario::from_number)
                            .ok_or_else(|| format!("unknown scenario {s:?} (1-7)"))
                    })
                    .collect::<Result<_, _>>()?
            }
            "--variants" => {
                cfg.variant_filter = value()?.split(',').map(|s| s.trim().to_owned()).collect()
            }
            "--small-count" => cfg.small_count = number(&value()?)?,
            "--small-sizes" | "--small-size" => {
                cfg.small_sizes = value()?.split(',').map(bytes).collect::<Result<_, _>>()?
            }
            "--clients" => cfg.clients = number(&value()?)?,
            "--client-size" => cfg.client_size = bytes(&value()?)?,
            "--conns" => cfg.conns = number(&value()?)?,
            "--messages" => cfg.messages = number(&value()?)?,
            "--message-size" => cfg.message_size = bytes(&value()?)?,
            "--cold-size" => cfg.cold_size = bytes(&value()?)?,
            "--no-strace" => cfg.strace = false,
            "--strace" => cfg.strace = true,
            "--dir" => cfg.dir = Some(PathBuf::from(value()?)),
            "--timeout" => cfg.timeout = Duration::from_secs(number(&value()?)?),
            "--verify" => cfg.verify = true,
            "--pin" => cfg.pin = true,
            "--receiver" => {
                cfg.splice_receiver = match value()?.as_str() {
                    "splice" => true,
                    "read" => false,
                    other => return Err(format!("--receiver is splice or read, not {other:?}")),
                }
            }
            "--list" => cfg.list = true,
            "--tiny" => tiny(&mut cfg),
            other => return Err(format!("unknown flag {other:?}\n\n{USAGE}")),
        }
    }
    check(&cfg)?;
    Ok(Parsed::Run(Box::new(cfg)))
}

/// `--tiny`: the CI smoke preset (flags after it still apply).
fn tiny(cfg: &mut Config) {
    cfg.size = 4 << 20;
    cfg.rounds = 1;
    cfg.small_count = 64;
    cfg.clients = 8;
    cfg.client_size = 256 << 10;
    cfg.conns = 4;
    cfg.messages = 8;
    cfg.cold_size = 4 << 20;
    cfg.strace = false;
    cfg.tiny = true;
    cfg.verify = true;
    cfg.timeout = Duration::from_secs(60);
}

/// Refuses sizes and counts of 0.
fn check(cfg: &Config) -> Result<(), String> {
    let sizes = [
        ("--rounds", cfg.rounds as u64),
        ("--size", cfg.size),
        ("--small-count", cfg.small_count),
        ("--clients", cfg.clients),
        ("--client-size", cfg.client_size),
        ("--conns", cfg.conns),
        ("--messages", cfg.messages),
        ("--message-size", cfg.message_size),
        ("--cold-size", cfg.cold_size),
    ];
    if let Some((flag, _)) = sizes.iter().find(|(_, v)| *v == 0) {
        return Err(format!("{flag} must be > 0"));
    }
    if cfg.small_sizes.is_empty() || cfg.small_sizes.contains(&0) {
        return Err("--small-sizes must be sizes > 0".into());
    }
    Ok(())
}

fn number(s: &str) -> Result<u64, String> {
    s.replace('_', "")
        .parse()
        .map_err(|_| format!("not a number: {s:?}"))
}

/// `123`, `16KiB`, `4MiB`, `1GiB` (also `k`, `M`, `G`, binary in every case).
pub fn bytes(s: &str) -> Result<u64, String> {
    let lower = s.trim().to_ascii_lowercase();
    let split = lower
        .find(|c: char| !c.is_ascii_digit() && c != '_')
        .unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(split);
    let shift = match unit.trim() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("unknown size unit in {s:?}")),
    };
    let n = number(digits)?;
    n.checked_shl(shift)
        .filter(|v| v >> shift == n)
        .ok_or_else(|| format!("size too large: {s:?}"))
}

/// `1073741824` -> `1 GiB`, for headings.
pub fn human(n: u64) -> String {
    const UNITS: [(&str, u32); 3] = [("GiB", 30), ("MiB", 20), ("KiB", 10)];
    for (name, shift) in UNITS {
        if n >= 1 << shift && n % (1 << shift) == 0 {
            return format!("{} {name}", n >> shift);
        }
    }
    format!("{n} B")
}
