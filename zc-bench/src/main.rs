//! zc-bench: `zc::copy` side by side with what users would use instead, and with the kernel's
//! own loops, in one run.
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
//!   median and the min–max, and ratios against the scenario's kernel-limit variant.
#![forbid(unsafe_code)]

mod child;
mod cli;
mod data;
mod parent;
mod report;
mod scenario;
mod sys;

use std::process::ExitCode;

use cli::{human, Config, Parsed};
use report::Runs;
use scenario::Scenario;

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
    let data = data::DataDir::create(
        cfg.dir.as_deref(),
        big.then_some(cfg.size),
        wants(Scenario::SmallFiles).then_some(cfg.small_size),
        wants(Scenario::ManyClients).then_some(cfg.client_size),
    )?;
    let load_before = sys::loadavg();
    println!("## zc-bench results\n");
    println!("- command: `{}`", cfg.command);
    println!("- machine: {}", sys::machine());
    println!("- load average at start: {load_before}");
    println!(
        "- receivers: {}",
        if cfg.splice_receiver && !cfg.verify {
            "splice into /dev/null (scenarios 1, 2, 4), read (scenario 5)"
        } else {
            "read and count every byte, checking each one with --verify"
        }
    );
    if cfg.pin {
        println!(
            "- pinned: the measured child on CPU {}, the parent's peers on CPU 0",
            parent::measured_cpu()
        );
    }
    println!(
        "- data: {} in {} (page cache warm); {} rounds, variants interleaved\n",
        human(cfg.size),
        data.dir.display(),
        cfg.rounds
    );
    let mut all_ok = true;
    for &scenario in &cfg.scenarios {
        let variants = selected(cfg, scenario);
        let mut runs: Vec<Runs<'_>> = variants
            .iter()
            .map(|v| Runs {
                variant: v,
                samples: Vec::new(),
                failures: Vec::new(),
            })
            .collect();
        for round in 1..=cfg.rounds {
            for r in &mut runs {
                parent::progress(&format!(
                    "scenario {} round {round}/{}: {}",
                    scenario.number(),
                    cfg.rounds,
                    r.variant.id
                ));
                match parent::run_once(cfg, &data, scenario, r.variant) {
                    Ok(sample) => r.samples.push(sample),
                    Err(e) => {
                        parent::progress(&format!("  failed: {e}"));
                        r.failures.push(e.to_string());
                        all_ok = false;
                    }
                }
            }
        }
        println!("{}", report::table(cfg, scenario, &runs));
    }
    println!("- load average at end: {}", sys::loadavg());
    Ok(all_ok)
}
