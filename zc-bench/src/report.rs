//! Medians, ranges, ratios, and the markdown tables.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::cli::{human, Config};
use crate::parent::Table;
use crate::scenario::{Scenario, Variant, FEW_ROUNDS};
use crate::sys::Sample;
use crate::trace::fmt_count;

const GIB: f64 = (1u64 << 30) as f64;

/// The runs of one variant.
#[derive(Debug)]
pub struct Runs<'a> {
    pub variant: &'a Variant,
    pub samples: Vec<Sample>,
    pub failures: Vec<String>,
    /// The extra run under `strace`, with its syscall counts.
    pub traced: Option<Sample>,
}

/// Median, min and max of a list of values.
#[derive(Debug, Clone, Copy)]
pub struct Stat {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Stat {
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Stat> {
        let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let mid = v.len() / 2;
        let median = if v.len() % 2 == 1 {
            v[mid]
        } else {
            (v[mid - 1] + v[mid]) / 2.0
        };
        Some(Stat {
            median,
            min: v[0],
            max: v[v.len() - 1],
        })
    }

    fn show(&self, digits: usize) -> String {
        format!(
            "{:.d$} ({:.d$}–{:.d$})",
            self.median,
            self.min,
            self.max,
            d = digits
        )
    }
}

impl Runs<'_> {
    fn throughput(&self) -> Option<Stat> {
        Stat::of(
            self.samples
                .iter()
                .map(|s| s.bytes as f64 / GIB / s.wall().as_secs_f64()),
        )
    }

    fn cpu_per_gib(&self) -> Option<Stat> {
        Stat::of(
            self.samples
                .iter()
                .map(|s| s.cpu_ns as f64 / 1e9 / (s.bytes as f64 / GIB)),
        )
    }

    /// CPU of both sides: the measured child and the parent's peers.
    fn both_cpu_per_gib(&self) -> Option<Stat> {
        Stat::of(
            self.samples
                .iter()
                .map(|s| (s.cpu_ns + s.peer_cpu_ns) as f64 / 1e9 / (s.bytes as f64 / GIB)),
        )
    }

    /// The share of the CPU time spent in the kernel, from the tick counters.
    fn sys_share(&self) -> Option<f64> {
        let (user, sys) = self
            .samples
            .iter()
            .fold((0, 0), |(u, s), x| (u + x.user_ticks, s + x.sys_ticks));
        (user + sys > 0).then(|| sys as f64 / (user + sys) as f64)
    }

    fn peak_rss_mib(&self) -> Option<f64> {
        self.samples
            .iter()
            .map(|s| s.peak_rss_kib)
            .max()
            .map(|k| k as f64 / 1024.0)
    }

    /// The paths the runs reported (zc variants), else the variant's description.
    fn path(&self) -> String {
        let seen: BTreeSet<&str> = self
            .samples
            .iter()
            .map(|s| s.path.as_str())
            .filter(|p| *p != "-")
            .collect();
        if seen.is_empty() {
            self.variant.path.to_owned()
        } else {
            let list: Vec<&str> = seen.into_iter().collect();
            format!("{} (reported)", list.join(", "))
        }
    }
}

fn opt(s: Option<Stat>, digits: usize) -> String {
    s.map_or_else(|| "–".into(), |s| s.show(digits))
}

/// Where a target stands: what it asks, what was measured, whether it is met.
#[derive(Debug)]
pub struct Verdict {
    pub target: String,
    pub measured: String,
    pub met: bool,
}

/// The heading of one table.
fn title(cfg: &Config, table: Table) -> String {
    match table.scenario {
        Scenario::FileToTcp => format!("1. File → TCP on 127.0.0.1 ({})", human(cfg.size)),
        Scenario::Relay => format!(
            "2. TCP → TCP relay through a proxy ({}); CPU is the proxy's",
            human(cfg.size)
        ),
        Scenario::FileToFile => format!("3. File → file, same file system ({})", human(cfg.size)),
        Scenario::SmallFiles => format!(
            "4. Small files: {} × open + copy + close of a {} file into one connection",
            cfg.small_count,
            human(table.small_size)
        ),
        Scenario::ManyClients => format!(
            "5. Many connections: {} concurrent clients × {} each; CPU is the server's",
            cfg.clients,
            human(cfg.client_size)
        ),
        Scenario::PingPong => format!(
            "6. Small messages through a proxy: {} connections × {} round trips of {} each way; CPU is the proxy's",
            cfg.conns,
            cfg.messages,
            human(cfg.message_size)
        ),
        Scenario::ColdCache => format!(
            "7. Cold page cache: a {} file → TCP on one current-thread runtime, with a task that sleeps 1 ms in a loop",
            human(cfg.cold_size)
        ),
    }
}

/// Bytes one unit of the table's per-unit columns stands for: a copy, a round trip, a GiB.
fn unit_bytes(cfg: &Config, table: Table) -> f64 {
    match table.scenario {
        Scenario::SmallFiles => table.small_size as f64,
        Scenario::PingPong => cfg.message_size as f64,
        _ => GIB,
    }
}

impl Runs<'_> {
    /// CPU time in µs per unit (copy or round trip).
    fn cpu_us_per(&self, unit: f64) -> Option<Stat> {
        Stat::of(
            self.samples
                .iter()
                .map(|s| s.cpu_ns as f64 / 1e3 / (s.bytes as f64 / unit)),
        )
    }

    /// Both sides' CPU time in µs per unit.
    fn both_us_per(&self, unit: f64) -> Option<Stat> {
        Stat::of(
            self.samples
                .iter()
                .map(|s| (s.cpu_ns + s.peer_cpu_ns) as f64 / 1e3 / (s.bytes as f64 / unit)),
        )
    }

    /// Units per second.
    fn rate(&self, unit: f64) -> Option<Stat> {
        Stat::of(
            self.samples
                .iter()
                .map(|s| s.bytes as f64 / unit / s.wall().as_secs_f64()),
        )
    }

    fn switches_per(&self, unit: f64) -> Option<Stat> {
        Stat::of(
            self.samples
                .iter()
                .map(|s| s.switches as f64 / (s.bytes as f64 / unit)),
        )
    }

    /// Scenario 7: the worst probe gap, in ms.
    fn gap_ms(&self) -> Option<Stat> {
        Stat::of(
            self.samples
                .iter()
                .filter(|s| s.gap_us > 0)
                .map(|s| s.gap_us as f64 / 1e3),
        )
    }

    /// Syscalls per unit in the run under strace.
    fn syscalls_per(&self, unit: f64) -> Option<f64> {
        let t = self.traced.as_ref()?;
        Some(t.syscalls.as_ref()?.total as f64 / (t.bytes as f64 / unit))
    }

    fn syscalls_cell(&self, unit: f64) -> String {
        let Some(t) = self.traced.as_ref() else {
            return "–".into();
        };
        let Some(c) = t.syscalls.as_ref() else {
            return "–".into();
        };
        let units = t.bytes as f64 / unit;
        format!(
            "{} ({} EAGAIN)",
            fmt_count(c.total as f64 / units),
            fmt_count(c.eagain as f64 / units)
        )
    }
}

fn ratio_of(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

fn x(r: Option<f64>) -> String {
    r.map_or_else(|| "–".into(), |r| format!("{r:.2}×"))
}

fn med(s: Option<Stat>) -> Option<f64> {
    s.map(|s| s.median)
}

/// The heading and table of one scenario (one small-file size for scenario 4).
pub fn table(cfg: &Config, table: Table, runs: &[Runs<'_>]) -> String {
    let mut out = String::new();
    let scenario = table.scenario;
    let reference = runs.iter().find(|r| r.variant.reference);
    let rounds = cfg.rounds;
    let unit = unit_bytes(cfg, table);
    let _ = writeln!(out, "### {}\n", title(cfg, table));
    let _ = writeln!(
        out,
        "median (min–max) of {rounds} interleaved run{}; ratios are medians against the `{}` row{}.\n",
        if rounds == 1 { "" } else { "s" },
        scenario.reference().id,
        if runs.iter().any(|r| r.traced.is_some()) {
            "; syscalls from one more run of each row under `strace -f`"
        } else {
            ""
        }
    );
    if rounds > FEW_ROUNDS && runs.iter().any(|r| r.variant.few_rounds) {
        let _ = writeln!(
            out,
            "Rows marked † are far from the reference and ran in the first {FEW_ROUNDS} rounds only.\n"
        );
    }
    match scenario {
        Scenario::SmallFiles | Scenario::PingPong => {
            per_unit_rows(&mut out, runs, reference, unit, scenario)
        }
        Scenario::ColdCache => cold_cache_rows(&mut out, runs, reference),
        _ => per_gib_rows(&mut out, runs, reference, unit),
    }
    syscall_lines(&mut out, runs, scenario, unit);
    failure_lines(&mut out, runs);
    out
}

/// Scenarios 4 and 6: a row per variant, per copy or per round trip.
fn per_unit_rows(
    out: &mut String,
    runs: &[Runs<'_>],
    reference: Option<&Runs<'_>>,
    unit: f64,
    scenario: Scenario,
) {
    let refv = |f: &dyn Fn(&Runs<'_>) -> Option<f64>| reference.and_then(f);
    let (what, whats) = if scenario == Scenario::SmallFiles {
        ("copy", "copies")
    } else {
        ("round trip", "round trips")
    };
    let _ = writeln!(
        out,
        "| variant | path | {whats}/s | CPU µs per {what} | CPU vs ref | both sides CPU µs | syscalls per {what} | ctx switches per {what} | peak RSS MiB |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
    for r in runs {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            label(r),
            r.path(),
            r.rate(unit)
                .map_or("–".into(), |s| format!("{:.0}", s.median)),
            opt(r.cpu_us_per(unit), 2),
            x(ratio_of(
                med(r.cpu_us_per(unit)),
                refv(&|x| med(x.cpu_us_per(unit)))
            )),
            r.both_us_per(unit)
                .map_or("–".into(), |s| format!("{:.2}", s.median)),
            r.syscalls_cell(unit),
            r.switches_per(unit)
                .map_or("–".into(), |s| format!("{:.2}", s.median)),
            rss(r.peak_rss_mib()),
        );
    }
}

/// Scenario 7: a row per variant, with the probe's worst gap.
fn cold_cache_rows(out: &mut String, runs: &[Runs<'_>], reference: Option<&Runs<'_>>) {
    let refv = |f: &dyn Fn(&Runs<'_>) -> Option<f64>| reference.and_then(f);
    let _ = writeln!(
        out,
        "| variant | path | GiB/s | CPU-s per GiB | CPU/GiB vs ref | worst probe gap, ms | steps read off-thread | ctx switches per GiB |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for r in runs {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            label(r),
            r.path(),
            opt(r.throughput(), 2),
            opt(r.cpu_per_gib(), 3),
            x(ratio_of(
                med(r.cpu_per_gib()),
                refv(&|x| med(x.cpu_per_gib()))
            )),
            opt(r.gap_ms(), 1),
            Stat::of(r.samples.iter().map(|s| s.disk_steps as f64))
                .map_or("–".into(), |s| format!("{:.0}", s.median)),
            r.switches_per(GIB)
                .map_or("–".into(), |s| format!("{:.0}", s.median)),
        );
    }
}

/// Scenarios 1, 2, 3 and 5: a row per variant, per GiB.
fn per_gib_rows(out: &mut String, runs: &[Runs<'_>], reference: Option<&Runs<'_>>, unit: f64) {
    let refv = |f: &dyn Fn(&Runs<'_>) -> Option<f64>| reference.and_then(f);
    let _ = writeln!(
        out,
        "| variant | path | GiB/s | CPU-s per GiB | GiB/s vs ref | CPU/GiB vs ref | sys % | both sides CPU-s/GiB | ctx switches per GiB (vs ref) | syscalls per GiB | peak RSS MiB |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|");
    for r in runs {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            label(r),
            r.path(),
            opt(r.throughput(), 2),
            opt(r.cpu_per_gib(), 3),
            x(ratio_of(
                med(r.throughput()),
                refv(&|x| med(x.throughput()))
            )),
            x(ratio_of(
                med(r.cpu_per_gib()),
                refv(&|x| med(x.cpu_per_gib()))
            )),
            share(r.sys_share()),
            r.both_cpu_per_gib()
                .map_or("–".into(), |s| format!("{:.3}", s.median)),
            r.switches_per(GIB).map_or("–".into(), |s| format!(
                "{:.0} ({})",
                s.median,
                x(ratio_of(
                    Some(s.median),
                    refv(&|x| med(x.switches_per(GIB)))
                ))
            )),
            r.syscalls_cell(unit),
            rss(r.peak_rss_mib()),
        );
    }
}

/// The syscall counts of the rows run under strace, per unit.
fn syscall_lines(out: &mut String, runs: &[Runs<'_>], scenario: Scenario, unit: f64) {
    let traced: Vec<String> = runs
        .iter()
        .filter_map(|r| {
            let t = r.traced.as_ref()?;
            let c = t.syscalls.as_ref()?;
            let scale = unit / t.bytes as f64;
            Some(format!("`{}`: {}", r.variant.id, c.top(6, scale)))
        })
        .collect();
    if !traced.is_empty() {
        let per = match scenario {
            Scenario::SmallFiles => "copy",
            Scenario::PingPong => "round trip",
            _ => "GiB",
        };
        let _ = writeln!(
            out,
            "\nSyscalls per {per} under strace, most frequent first:\n"
        );
        for t in traced {
            let _ = writeln!(out, "- {t}");
        }
    }
}

/// The rows that were skipped or failed, and why.
fn failure_lines(out: &mut String, runs: &[Runs<'_>]) {
    for r in runs.iter().filter(|r| !r.failures.is_empty()) {
        if let Some(why) = r.failures.iter().find_map(|f| f.strip_prefix("skipped: ")) {
            if r.failures.iter().all(|f| f.starts_with("skipped: ")) {
                let _ = writeln!(out, "\n`{}` was skipped: {why}", r.variant.id);
                continue;
            }
        }
        let _ = writeln!(
            out,
            "\n`{}` failed {} of {} runs: {}",
            r.variant.id,
            r.failures.len(),
            r.failures.len() + r.samples.len(),
            r.failures.join("; ")
        );
    }
}

/// The targets for one table, against its measured medians.
pub fn verdicts(cfg: &Config, table: Table, runs: &[Runs<'_>]) -> Vec<Verdict> {
    let Some(reference) = runs.iter().find(|r| r.variant.reference) else {
        return Vec::new();
    };
    let unit = unit_bytes(cfg, table);
    let zc: Vec<&Runs<'_>> = runs
        .iter()
        .filter(|r| r.variant.id.starts_with("zc-"))
        .collect();
    match table.scenario {
        Scenario::FileToTcp => file_to_tcp_verdicts(&zc, reference),
        Scenario::Relay => relay_verdicts(&zc, reference, unit),
        Scenario::SmallFiles => small_file_verdicts(&zc, reference, unit, table.small_size),
        Scenario::PingPong => ping_pong_verdicts(runs, &zc, reference, unit),
        Scenario::ColdCache => cold_cache_verdicts(runs, reference),
        Scenario::FileToFile | Scenario::ManyClients => Vec::new(),
    }
}

/// A target on a ratio: met when `value` is at least (`at_least`) or at most `limit`.
fn ratio_verdict(
    target: String,
    value: Option<f64>,
    limit: f64,
    at_least: bool,
) -> Option<Verdict> {
    value.map(|v| Verdict {
        target,
        measured: format!("{v:.2}×"),
        met: if at_least { v >= limit } else { v <= limit },
    })
}

/// Scenario 1's targets (issue 10).
fn file_to_tcp_verdicts(zc: &[&Runs<'_>], reference: &Runs<'_>) -> Vec<Verdict> {
    let mut out = Vec::new();
    for r in zc {
        let id = r.variant.id;
        out.extend(ratio_verdict(
            format!("1. `{id}` throughput ≥ 0.97× the C `sendfile` loop"),
            ratio_of(med(r.throughput()), med(reference.throughput())),
            0.97,
            true,
        ));
        out.extend(ratio_verdict(
            format!("1. `{id}` CPU/GiB ≤ 1.03× the C `sendfile` loop"),
            ratio_of(med(r.cpu_per_gib()), med(reference.cpu_per_gib())),
            1.03,
            false,
        ));
    }
    out
}

/// Scenario 2's targets (issue 10).
fn relay_verdicts(zc: &[&Runs<'_>], reference: &Runs<'_>, unit: f64) -> Vec<Verdict> {
    let mut out = Vec::new();
    for r in zc {
        let id = r.variant.id;
        out.extend(ratio_verdict(
            format!("2. `{id}` proxy CPU/GiB ≤ 1.05× the C splice loop"),
            ratio_of(med(r.cpu_per_gib()), med(reference.cpu_per_gib())),
            1.05,
            false,
        ));
        out.extend(ratio_verdict(
            format!("2. `{id}` context switches/GiB ≤ 1.5× the C splice loop"),
            ratio_of(med(r.switches_per(GIB)), med(reference.switches_per(GIB))),
            1.5,
            false,
        ));
        out.extend(ratio_verdict(
            format!("2. `{id}` syscalls/GiB ≤ 1.5× the C splice loop (strace)"),
            ratio_of(r.syscalls_per(unit), reference.syscalls_per(unit)),
            1.5,
            false,
        ));
    }
    out
}

/// Scenario 4's targets for one file size (issue 10).
fn small_file_verdicts(
    zc: &[&Runs<'_>],
    reference: &Runs<'_>,
    unit: f64,
    small_size: u64,
) -> Vec<Verdict> {
    let mut out = Vec::new();
    let limit = match small_size {
        n if n == 16 << 10 => 1.10,
        n if n == 4 << 10 => 1.3,
        _ => return out,
    };
    let size = human(small_size);
    for r in zc.iter().filter(|r| !r.variant.id.ends_with("fs-open")) {
        out.extend(ratio_verdict(
            format!(
                "4. `{}` {size}: CPU per copy ≤ {limit:.2}× the C loop",
                r.variant.id
            ),
            ratio_of(med(r.cpu_us_per(unit)), med(reference.cpu_us_per(unit))),
            limit,
            false,
        ));
    }
    out
}

/// Scenario 6's targets (issue 10): each zc row against `tokio::io::copy_bidirectional`,
/// and the smol and async-std rows also against the relay their runtime's own `io::copy`
/// makes (the same runtime's best peer: what zc adds or saves on that runtime).
fn ping_pong_verdicts(
    runs: &[Runs<'_>],
    zc: &[&Runs<'_>],
    reference: &Runs<'_>,
    unit: f64,
) -> Vec<Verdict> {
    let cpu = |r: &Runs<'_>| med(r.cpu_us_per(unit));
    let mut out = Vec::new();
    for r in zc {
        out.extend(ratio_verdict(
            format!(
                "6. `{}` CPU per round trip ≤ 1.0× `tokio::io::copy_bidirectional`",
                r.variant.id
            ),
            ratio_of(cpu(r), cpu(reference)),
            1.0,
            false,
        ));
    }
    for (id, peer) in [("zc-smol", "smol-bidi"), ("zc-async-std", "async-std-bidi")] {
        let find = |id: &str| runs.iter().find(|r| r.variant.id == id);
        if let (Some(r), Some(p)) = (find(id), find(peer)) {
            out.extend(ratio_verdict(
                format!("6. `{id}` CPU per round trip ≤ 1.0× `{peer}` (its runtime's own relay)"),
                ratio_of(cpu(r), cpu(p)),
                1.0,
                false,
            ));
        }
    }
    out
}

/// Scenario 7's targets (issue 15).
fn cold_cache_verdicts(runs: &[Runs<'_>], reference: &Runs<'_>) -> Vec<Verdict> {
    let mut out = Vec::new();
    let find = |id: &str| runs.iter().find(|r| r.variant.id == id);
    let gap = |id: &str| find(id).and_then(|r| med(r.gap_ms()));
    if let (Some(cold), Some(warm)) = (gap("zc-tokio-cold"), gap("zc-tokio-warm")) {
        out.push(Verdict {
            target: "7. cold worst probe gap ≤ warm + 1 ms (zc default options)".into(),
            measured: format!("{cold:.1} ms cold vs {warm:.1} ms warm"),
            met: cold <= warm + 1.0,
        });
    }
    if let Some(warm) = gap("zc-tokio-warm") {
        out.push(Verdict {
            target: "7. warm worst probe gap ≤ 3 ms".into(),
            measured: format!("{warm:.1} ms"),
            met: warm <= 3.0,
        });
    }
    if let Some(r) = find("zc-tokio-warm") {
        out.extend(ratio_verdict(
            "7. warm CPU/GiB with default options ≤ 1.02× with the off-thread switch off".into(),
            ratio_of(med(r.cpu_per_gib()), med(reference.cpu_per_gib())),
            1.02,
            false,
        ));
    }
    out
}

/// The closing table of a run: every target, its measured value, met or not.
pub fn verdict_table(verdicts: &[Verdict]) -> String {
    let mut out =
        String::from("### Targets\n\n| target | measured (medians) | verdict |\n|---|---|---|\n");
    for v in verdicts {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            v.target,
            v.measured,
            if v.met { "met" } else { "**not met**" }
        );
    }
    out
}

fn label(r: &Runs<'_>) -> String {
    if r.variant.reference {
        format!("**{}**", r.variant.label)
    } else if r.variant.few_rounds {
        format!("{} †", r.variant.label)
    } else {
        r.variant.label.to_owned()
    }
}

fn share(s: Option<f64>) -> String {
    s.map_or_else(|| "–".into(), |s| format!("{:.0}", s * 100.0))
}

fn rss(m: Option<f64>) -> String {
    m.map_or_else(|| "–".into(), |m| format!("{m:.1}"))
}
