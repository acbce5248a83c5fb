//! Medians, ranges, ratios, and the markdown tables.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::cli::{human, Config};
use crate::scenario::{Scenario, Variant};
use crate::sys::Sample;

const GIB: f64 = (1u64 << 30) as f64;

/// The runs of one variant.
#[derive(Debug)]
pub struct Runs<'a> {
    pub variant: &'a Variant,
    pub samples: Vec<Sample>,
    pub failures: Vec<String>,
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

    /// Wall time per copy, in µs (scenario 4).
    fn us_per_copy(&self, copies: u64) -> Option<Stat> {
        Stat::of(
            self.samples
                .iter()
                .map(|s| s.wall_ns as f64 / 1e3 / copies as f64),
        )
    }

    /// CPU time per copy, in µs (scenario 4).
    fn cpu_us_per_copy(&self, copies: u64) -> Option<Stat> {
        Stat::of(
            self.samples
                .iter()
                .map(|s| s.cpu_ns as f64 / 1e3 / copies as f64),
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

    /// Median context switches of the sender per GiB.
    fn switches_per_gib(&self) -> Option<Stat> {
        Stat::of(
            self.samples
                .iter()
                .map(|s| s.switches as f64 / (s.bytes as f64 / GIB)),
        )
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

fn ratio(a: Option<Stat>, b: Option<Stat>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b.median > 0.0 => format!("{:.2}×", a.median / b.median),
        _ => "–".into(),
    }
}

fn opt(s: Option<Stat>, digits: usize) -> String {
    s.map_or_else(|| "–".into(), |s| s.show(digits))
}

/// The heading and table of one scenario.
pub fn table(cfg: &Config, scenario: Scenario, runs: &[Runs<'_>]) -> String {
    let mut out = String::new();
    let reference = runs.iter().find(|r| r.variant.reference);
    let rounds = cfg.rounds;
    let title = match scenario {
        Scenario::FileToTcp => format!("1. File → TCP on 127.0.0.1 ({})", human(cfg.size)),
        Scenario::Relay => format!(
            "2. TCP → TCP relay through a proxy ({}); CPU is the proxy's",
            human(cfg.size)
        ),
        Scenario::FileToFile => format!("3. File → file, same file system ({})", human(cfg.size)),
        Scenario::SmallFiles => format!(
            "4. Small files: {} × open + copy of a {} file into one connection",
            cfg.small_count,
            human(cfg.small_size)
        ),
        Scenario::ManyClients => format!(
            "5. Many connections: {} concurrent clients × {} each; CPU is the server's",
            cfg.clients,
            human(cfg.client_size)
        ),
    };
    let _ = writeln!(out, "### {title}\n");
    let _ = writeln!(
        out,
        "median (min–max) of {rounds} interleaved run{}; ratios are medians against the `{}` row.\n",
        if rounds == 1 { "" } else { "s" },
        scenario.reference().id
    );
    if scenario == Scenario::SmallFiles {
        let copies = cfg.small_count;
        let _ = writeln!(
            out,
            "| variant | path | µs per copy | CPU µs per copy | time vs ref | CPU vs ref | GiB/s | sys % | peak RSS MiB |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
        for r in runs {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                label(r),
                r.path(),
                opt(r.us_per_copy(copies), 2),
                opt(r.cpu_us_per_copy(copies), 2),
                ratio(
                    r.us_per_copy(copies),
                    reference.and_then(|x| x.us_per_copy(copies))
                ),
                ratio(
                    r.cpu_us_per_copy(copies),
                    reference.and_then(|x| x.cpu_us_per_copy(copies))
                ),
                r.throughput()
                    .map_or("–".into(), |s| format!("{:.2}", s.median)),
                share(r.sys_share()),
                rss(r.peak_rss_mib()),
            );
        }
    } else {
        let _ = writeln!(
            out,
            "| variant | path | GiB/s | CPU-s per GiB | GiB/s vs ref | CPU/GiB vs ref | sys % | both sides CPU-s/GiB | ctx switches per GiB | peak RSS MiB |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|");
        for r in runs {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                label(r),
                r.path(),
                opt(r.throughput(), 2),
                opt(r.cpu_per_gib(), 3),
                ratio(r.throughput(), reference.and_then(Runs::throughput)),
                ratio(r.cpu_per_gib(), reference.and_then(Runs::cpu_per_gib)),
                share(r.sys_share()),
                r.both_cpu_per_gib()
                    .map_or("–".into(), |s| format!("{:.3}", s.median)),
                r.switches_per_gib()
                    .map_or("–".into(), |s| format!("{:.0}", s.median)),
                rss(r.peak_rss_mib()),
            );
        }
    }
    for r in runs.iter().filter(|r| !r.failures.is_empty()) {
        let _ = writeln!(
            out,
            "\n`{}` failed {} of {} runs: {}",
            r.variant.id,
            r.failures.len(),
            r.failures.len() + r.samples.len(),
            r.failures.join("; ")
        );
    }
    out
}

fn label(r: &Runs<'_>) -> String {
    if r.variant.reference {
        format!("**{}**", r.variant.label)
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
