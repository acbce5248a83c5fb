//! zc-bench: `zc::copy` side by side with its best peers, in one run: C-style loops (written
//! as a C programmer would, through rustix) and what users would use instead (tokio's copies).
//!
//! `cargo run --release -p zc-bench -- --help` lists the flags; BENCHMARKS.md at the root of
//! the workspace explains the method and holds a real run.
//!
//! # Method
//!
//! * The parent process creates the data files, warms them in the page cache, and runs every
//!   peer (receivers, the relay's source and sink, the clients of scenario 5) on its own
//!   threads.
//! * Each run of a variant is a child process (this binary, re-executed with a hidden
//!   `__child` subcommand) that does the setup, starts its clocks, does only the sending, and
//!   reports wall time, its whole-process CPU time (`CLOCK_PROCESS_CPUTIME_ID`: user + sys of
//!   every thread, runtime helpers included), and its peak RSS (`VmHWM`, reset through
//!   `/proc/self/clear_refs` just before the clock starts).
//! * Variants are interleaved (A B C A B C …) for `--rounds` rounds; the tables show the
//!   median and the min–max, and ratios against the scenario's reference (its best peer).
//! * One more run of each reference and zc variant under `strace -f` counts the syscalls of
//!   the measured part (the child marks its start and end with a syscall the trace shows).
//! * A closing table says where each of the issues' targets stands.
#![forbid(unsafe_code)]

mod child;
mod cli;
mod data;
mod parent;
mod report;
mod scenario;
mod sys;
mod trace;

use std::process::ExitCode;

use cli::{human, Config, Parsed};
use parent::Table;
use report::Runs;
use scenario::{Scenario, Variant};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("__child") {
        return ExitCode::from(child::main(&args[1..]) as u8);
    }
    let cfg = match cli::parse(&args) {
        Ok(Parsed::Run(cfg)) => cfg,
        Ok(Parsed::Help) => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("zc-bench: {e}");
            return ExitCode::from(2);
        }
    };
    if cfg.list {
        for s in Scenario::ALL {
            println!("scenario {}:", s.number());
            for v in s.variants() {
                let mark = match (v.reference, v.diagnostic) {
                    (true, _) => " (reference)",
                    (_, true) => " (diagnostic: only when named in --variants)",
                    _ => "",
                };
                println!("  {:<28} {}{mark}", v.id, v.label);
            }
        }
        return ExitCode::SUCCESS;
    }
    match run(&cfg) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("zc-bench: some runs failed (see the notes under the tables)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("zc-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn selected(cfg: &Config, s: Scenario) -> Vec<&'static scenario::Variant> {
    s.variants()
        .iter()
        .filter(|v| {
            if v.diagnostic {
                return cfg.variant_filter.iter().any(|w| v.id == w.as_str());
            }
            v.reference
                || cfg.variant_filter.is_empty()
                || cfg.variant_filter.iter().any(|w| v.id.contains(w.as_str()))
        })
        .collect()
}

/// Whether the extra run under `strace` counts this variant's syscalls: the references and
/// the zc rows of the scenarios whose targets are about syscalls (the read/write peers make
/// hundreds of thousands of calls per GiB, minutes under strace), and every row of scenario
/// 6, whose peers make as few calls as zc.
fn traced(scenario: Scenario, v: &Variant) -> bool {
    match scenario {
        Scenario::PingPong => true,
        Scenario::FileToTcp | Scenario::Relay | Scenario::SmallFiles => {
            v.reference || v.id.starts_with("zc-") || v.id.starts_with("c-")
        }
        Scenario::FileToFile | Scenario::ManyClients | Scenario::ColdCache => false,
    }
}

/// The configuration of the run under `strace`: fewer small copies and round trips (the
/// counts are per copy and per round trip), the same sizes otherwise.
fn trace_config(cfg: &Config) -> Config {
    Config {
        small_count: cfg.small_count.min(1_000),
        messages: cfg.messages.min(100),
        ..cfg.clone()
    }
}

/// Runs every selected scenario; `Ok(false)` if some run failed.
fn run(cfg: &Config) -> std::io::Result<bool> {
    let wants = |s: Scenario| cfg.scenarios.contains(&s);
    let big = [Scenario::FileToTcp, Scenario::Relay, Scenario::FileToFile]
        .into_iter()
        .any(wants);
    if cfg.pin {
        // Threads and processes started from here on inherit the mask; each child re-pins
        // itself to the measured CPU.
        sys::pin_to_cpu(0)?;
    }
    parent::progress("zc-bench: creating and warming the data files");
    let small: &[u64] = if wants(Scenario::SmallFiles) {
        &cfg.small_sizes
    } else {
        &[]
    };
    let data = data::DataDir::create(
        cfg.dir.as_deref(),
        big.then_some(cfg.size),
        small,
        wants(Scenario::ManyClients).then_some(cfg.client_size),
        wants(Scenario::ColdCache).then_some(cfg.cold_size),
    )?;
    let strace = cfg.strace && trace::available();
    print_header(cfg, &data, strace);
    let mut all_ok = true;
    let mut verdicts = Vec::new();
    for &scenario in &cfg.scenarios {
        let tables: Vec<Table> = match scenario {
            Scenario::SmallFiles => cfg
                .small_sizes
                .iter()
                .map(|&small_size| Table {
                    scenario,
                    small_size,
                })
                .collect(),
            _ => vec![Table {
                scenario,
                small_size: 0,
            }],
        };
        for table in tables {
            let (runs, ok) = run_table(cfg, &data, table, strace);
            all_ok &= ok;
            println!("{}", report::table(cfg, table, &runs));
            verdicts.extend(report::verdicts(cfg, table, &runs));
        }
    }
    if cfg.tiny {
        println!(
            "(a --tiny run checks that every variant works; its sizes are too small for targets)\n"
        );
    } else if !verdicts.is_empty() {
        println!("{}", report::verdict_table(&verdicts));
    }
    println!("- load average at end: {}", sys::loadavg());
    Ok(all_ok)
}

/// Prints the run's heading: the command, the machine, the receivers, the data.
fn print_header(cfg: &Config, data: &data::DataDir, strace: bool) {
    println!("## zc-bench results\n");
    println!("- command: `{}`", cfg.command);
    println!("- machine: {}", sys::machine());
    println!("- load average at start: {}", sys::loadavg());
    println!(
        "- receivers: {}",
        if cfg.splice_receiver && !cfg.verify {
            "splice into /dev/null (scenarios 1, 2, 4, 7), read (scenarios 5, 6)"
        } else if cfg.verify {
            "read and check every byte"
        } else {
            "read every byte into a 256 KiB buffer (the same receiver for every row)"
        }
    );
    if cfg.pin {
        println!(
            "- pinned: the measured child on CPU {}, the parent's peers on CPU 0",
            parent::measured_cpu()
        );
    }
    println!(
        "- data: {} in {} (page cache warm, but for scenario 7's cold rows); {} rounds, variants interleaved",
        human(cfg.size),
        data.dir.display(),
        cfg.rounds
    );
    println!(
        "- syscall counts: {}\n",
        match (cfg.strace, strace) {
            (true, true) => "one more run of each reference and zc row under `strace -f`",
            (true, false) => "skipped (strace is not installed)",
            (false, _) => "skipped (--no-strace or --tiny)",
        }
    );
}

/// Runs one table's variants, interleaved round by round, then each traced row once under
/// strace; returns the rows and whether every timed run succeeded.
fn run_table<'a>(
    cfg: &'a Config,
    data: &data::DataDir,
    table: Table,
    strace: bool,
) -> (Vec<Runs<'a>>, bool) {
    let scenario = table.scenario;
    let mut all_ok = true;
    let (trace_cfg, trace_out) = (trace_config(cfg), data.dir.join("strace.out"));
    let mut runs: Vec<Runs<'_>> = selected(cfg, scenario)
        .into_iter()
        .map(|variant| Runs {
            variant,
            samples: Vec::new(),
            failures: Vec::new(),
            traced: None,
        })
        .collect();
    for round in 1..=cfg.rounds {
        for r in runs
            .iter_mut()
            .filter(|r| !r.variant.few_rounds || round <= scenario::FEW_ROUNDS)
        {
            parent::progress(&format!(
                "scenario {} round {round}/{}: {}",
                scenario.number(),
                cfg.rounds,
                r.variant.id
            ));
            match parent::run_once(cfg, data, table, r.variant, None) {
                Ok(sample) => r.samples.push(sample),
                // The file system cannot do what the row needs (a cold cache on
                // tmpfs): the row is skipped, the run is not a failure.
                Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {
                    parent::progress(&format!("  skipped: {e}"));
                    r.failures.push(format!("skipped: {e}"));
                }
                Err(e) => {
                    parent::progress(&format!("  failed: {e}"));
                    r.failures.push(e.to_string());
                    all_ok = false;
                }
            }
        }
    }
    for r in runs
        .iter_mut()
        .filter(|r| strace && traced(scenario, r.variant))
    {
        parent::progress(&format!(
            "scenario {} under strace: {}",
            scenario.number(),
            r.variant.id
        ));
        match parent::run_once(&trace_cfg, data, table, r.variant, Some(&trace_out)) {
            Ok(sample) => r.traced = Some(sample),
            // The timed runs decide whether the variant works; a run under strace
            // can fail for strace's own reasons (no ptrace permission).
            Err(e) => {
                parent::progress(&format!("  failed under strace: {e}"));
                r.failures
                    .push(format!("no syscall count (under strace: {e})"));
            }
        }
    }
    (runs, all_ok)
}
