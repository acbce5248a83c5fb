//! Syscall counts of a child's measured part, from one extra run under `strace -f`.
//!
//! The child marks the start and the end of its measured part with a syscall the trace shows
//! ([`crate::sys::mark`]); everything between the two marks, in every thread, is counted.
//! Under `strace` the child runs several times slower, so counts of calls that depend on
//! timing (`EAGAIN`s, readiness waits) are indicative; the calls that move bytes are not
//! affected.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use crate::sys::marker;

/// Syscalls counted between the two marks.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Every syscall, the failed ones included.
    pub total: u64,
    /// Calls that failed with `EAGAIN` (tried before the fd was ready).
    pub eagain: u64,
    /// Calls per syscall name.
    pub by_name: BTreeMap<String, u64>,
}

impl Counts {
    /// The most frequent calls, e.g. `sendfile 512, epoll_wait 20`.
    pub fn top(&self, n: usize, scale: f64) -> String {
        let mut v: Vec<(&String, &u64)> = self.by_name.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        v.iter()
            .take(n)
            .map(|(name, count)| format!("{name} {}", fmt_count(**count as f64 * scale)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A count for a table: whole numbers, or one decimal below 10.
pub fn fmt_count(x: f64) -> String {
    if x < 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.0}")
    }
}

/// Whether `strace` can be run.
pub fn available() -> bool {
    std::process::Command::new("strace")
        .arg("-V")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Counts the calls between the marks in the output of `strace -f -o <path>`.
pub fn parse(path: &Path) -> io::Result<Counts> {
    let text = std::fs::read_to_string(path)?;
    let (start, stop) = (marker("start"), marker("stop"));
    let mut counts = Counts::default();
    let mut inside = false;
    for line in text.lines() {
        if line.contains(&start) {
            inside = true;
            continue;
        }
        if line.contains(&stop) {
            if !inside {
                break;
            }
            return Ok(counts);
        }
        if !inside {
            continue;
        }
        // `<pid> name(args) = result`, `<pid> name(args <unfinished ...>`, or
        // `<pid> <... name resumed>args) = result` (its call was counted where it started).
        let body = line
            .trim_start()
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim_start();
        if body.contains("= -1 EAGAIN") {
            counts.eagain += 1;
        }
        if body.starts_with("<...") || body.starts_with("+++") || body.starts_with("---") {
            continue;
        }
        let Some(name) = body
            .split('(')
            .next()
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        else {
            continue;
        };
        counts.total += 1;
        *counts.by_name.entry(name.to_owned()).or_default() += 1;
    }
    Err(io::Error::other(format!(
        "no start and stop marks in the trace {}",
        path.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_between_the_marks_and_each_call_once() {
        let dir = std::env::temp_dir().join(format!("zc-bench-trace-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t");
        let text = format!(
            "1 read(3, \"\", 8) = 0\n\
             1 faccessat2(AT_FDCWD, \"{}\", F_OK, 0) = -1 ENOENT\n\
             1 sendfile(5, 4, NULL, 4194304) = 4194304\n\
             2 epoll_wait(3,  <unfinished ...>\n\
             1 sendfile(5, 4, NULL, 4194304) = -1 EAGAIN (Resource temporarily unavailable)\n\
             2 <... epoll_wait resumed>[], 1024, 1) = 0\n\
             1 --- SIGCHLD {{si_signo=SIGCHLD}} ---\n\
             1 faccessat2(AT_FDCWD, \"{}\", F_OK, 0) = -1 ENOENT\n\
             1 close(5) = 0\n",
            marker("start"),
            marker("stop")
        );
        std::fs::write(&path, text).unwrap();
        let c = parse(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!((c.total, c.eagain), (3, 1));
        assert_eq!(c.by_name["sendfile"], 2);
        assert_eq!(c.by_name["epoll_wait"], 1);
        assert!(!c.by_name.contains_key("close"));
    }
}
