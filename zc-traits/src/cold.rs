//! A cold page cache never stalls the executor: a file range that is not resident is read on
//! the runtime's blocking pool before the kernel step that sends it.
//!
//! `sendfile` and `copy_file_range` run on the executor's thread. From the page cache they are
//! the fastest copy there is; from the disk they block the thread for the read (a 4 MiB step
//! at ~700 MB/s is ~6 ms, far more on a busy disk or network storage), and every other task on
//! that thread waits. So, before each kernel step whose source is a regular file:
//!
//! 1. **Probe** (on the executor, never blocks): one `preadv2(RWF_NOWAIT)` of the last byte of
//!    the step's range, or of the range's first 2 MiB when the step is shorter (within the
//!    file's size, when its `fstat` gave one), so a 512 KiB step probes once in four. It answers from the page cache or fails with `EAGAIN` instead of
//!    reading the disk. The last byte stands for the range: files are read (and evicted) in
//!    order, so a range whose end is resident is resident. It costs under 3 µs (measured
//!    from Python, interpreter included, on a busy 2-core VM), against ~1.5 ms for a 2 MiB
//!    `sendfile` from the cache there (1.3 GiB/s): the warm path costs one cheap syscall per
//!    2 MiB (none for a step inside a range already probed or just read; one `lseek` per
//!    copy for the offset, none when the step may take the file to the size its `fstat`
//!    gave, as a small file's one step does: the range then ends at the file's last byte),
//!    and no thread hop. A file whose last byte was found resident less than a millisecond
//!    ago is not probed again for such a step (the private `cold::recent`): a hot small file
//!    costs a server one probe a millisecond, not one per copy.
//! 2. **Cold**: the copy hands a job to the runtime's blocking facility
//!    ([`Runtime::spawn_blocking`](crate::Runtime::spawn_blocking)) and returns `Pending`.
//!    The job owns a duplicate of the fd (`try_clone_to_owned`), the offset and the length;
//!    it asks for the range at once (`posix_fadvise(WILLNEED)` submits the reads) and waits
//!    for it with a one-byte `pread` every 64 KiB and at the last byte, so that when it
//!    returns the pages are resident.
//!    `pread` leaves the file's offset alone; reading the whole range into a buffer instead
//!    would copy it through user space, CPU taken from the executor when they share a core
//!    (measured: the cold run's worst probe gap then grew by ~5 ms on 2 busy cores).
//!    Then it wakes the copy, which sends the range zero-copy from the cache (the step is
//!    capped at the range that was read), and asks for the next two ranges of the same
//!    length (`WILLNEED`, not waited for), so that the disk reads them while the copy sends
//!    (one range ahead: 0.85 GiB/s from a cold file in zc-bench's scenario 7; two: 1.06;
//!    four: 1.06).
//!
//! Other ways weighed: `cachestat(2)` (Linux 6.5) counts a range's resident pages exactly, but
//! many kernels lack it and it costs as much as the probe; `mincore` needs a mapping (and
//! `unsafe`); `readahead(2)` or `WILLNEED` alone returns before the read completes, so the
//! step would still wait on locked pages; running the `sendfile` itself on the pool (nginx's
//! `aio threads`) would need the destination's readiness there too.
//!
//! The job is advisory: it ignores errors (the kernel step that follows meets them and reports
//! them with the count), positions and counts are the kernel step's as before. A copy dropped
//! while its job runs forgets the job; the job finishes its read and closes its fd. A job the
//! runtime drops without running (a runtime shutting down) wakes the copy, which continues
//! inline. A runtime with no blocking facility ([`Neutral`](crate::Neutral), a marker of your
//! own that keeps the default) runs cold steps inline, as before, and the report counts them
//! ([`Report::cold_inline_bytes`](crate::Report::cold_inline_bytes)).

use std::os::fd::BorrowedFd;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::coop::BlockingJob;
use crate::sys::{self, Residency};

/// How many ranges past the one it waited for a job asks the disk for, without waiting.
const READ_AHEAD_RANGES: usize = 2;

/// The fewest bytes a probe covers and a job reads: 2 MiB, the per-poll bound before it went to
/// 512 KiB, so a copy probes and hands off as often as it did then (BENCHMARKS.md, scenario
/// 7).
const MIN_JOB: u64 = 2 << 20;

/// A runtime's [`Runtime::spawn_blocking`](crate::Runtime::spawn_blocking).
pub(crate) type Spawn = fn(BlockingJob) -> Result<(), BlockingJob>;

/// The cold-cache state of one copy's kernel stage (a regular file source).
#[derive(Debug)]
pub(crate) struct ColdCache {
    spawn: Spawn,
    /// The runtime handed a job back: cold ranges run inline for the rest of the copy.
    inline: bool,
    /// The residency query cannot answer for this file: no more probes.
    off: bool,
    /// The source's offset, read once and then moved by the bytes the steps took.
    pos: Option<u64>,
    /// `[pos, resident_to)` is known resident (probed, or read by a job).
    resident_to: u64,
    /// `resident_to` was read by a job: steps stay inside it, so the next probe is past it.
    read_to: Option<u64>,
    /// The file's last byte (at its size from the copy's `fstat`) was found resident.
    tail_resident: bool,
    /// The file's [`Meta::stamp`](crate::sys::Meta::stamp), under which [`recent`] keeps
    /// what its tail probe found (0: not kept).
    stamp: u64,
    /// The file's size from the copy's `fstat` (0: unknown), which bounds a probe's reach.
    size: u64,
    wait: Option<Arc<Signal>>,
    /// Steps whose range was read off the executor thread, and their bytes.
    pub(crate) steps: u64,
    pub(crate) bytes: u64,
    /// Bytes found cold and read inline (no blocking facility).
    pub(crate) inline_bytes: u64,
}

impl ColdCache {
    pub(crate) fn new(spawn: Spawn, src: crate::sys::Meta) -> ColdCache {
        ColdCache {
            stamp: src.stamp,
            size: src.size,
            spawn,
            inline: false,
            off: false,
            pos: None,
            resident_to: 0,
            read_to: None,
            tail_resident: false,
            wait: None,
            steps: 0,
            bytes: 0,
            inline_bytes: 0,
        }
    }

    /// Before a step of at most `want` bytes (> 0) from `fd`'s offset: `Ready(n)`, the bytes
    /// the step may take, once they are resident (or cannot be made so without blocking
    /// here); `Pending` while a job reads them.
    ///
    /// `to_end`: the step may take the file to its end (the size from the copy's `fstat`). The
    /// range then ends at the file's last byte wherever the offset is, so a small file, sent
    /// in one step, is probed without reading its offset first.
    pub(crate) fn poll_ready(
        &mut self,
        cx: &mut Context<'_>,
        fd: BorrowedFd<'_>,
        want: usize,
        to_end: bool,
    ) -> Poll<usize> {
        if let Some(wait) = &self.wait {
            if !wait.poll_done(cx) {
                return Poll::Pending;
            }
            self.wait = None;
        }
        if self.off || (to_end && self.tail_answers(fd)) {
            return Poll::Ready(want);
        }
        let Some(pos) = self.offset(fd) else {
            return Poll::Ready(want);
        };
        if let Some(read_to) = self.read_to {
            if pos < read_to {
                return Poll::Ready(want.min((read_to - pos).try_into().unwrap_or(usize::MAX)));
            }
            self.read_to = None;
        }
        let (end, reach) = probe_range(pos, want, self.size);
        if end <= self.resident_to || end <= pos {
            return Poll::Ready(want);
        }
        match sys::residency(fd, reach - 1) {
            Residency::Resident => {
                self.resident_to = reach;
                return Poll::Ready(want);
            }
            Residency::Unknown => {
                self.off = true;
                return Poll::Ready(want);
            }
            Residency::Cold => {}
        }
        let len = usize::try_from(reach - pos).unwrap_or(want);
        self.resident_to = reach;
        self.poll_read_cold(cx, fd, (pos, reach, len), want)
    }

    /// Before the offset is known, a step that may take the file to its end probes the file's
    /// last byte: `true` when the step may go now (that byte is resident, or the file cannot
    /// say, which turns the probes off); `false` when it is cold, and the range is probed as
    /// any other (the job needs the offset).
    fn tail_answers(&mut self, fd: BorrowedFd<'_>) -> bool {
        let (None, size @ 1..) = (self.pos, self.size) else {
            return false;
        };
        if self.tail_resident || recent::resident(self.stamp) {
            self.tail_resident = true;
            return true;
        }
        match sys::residency(fd, size - 1) {
            Residency::Resident => {
                recent::record(self.stamp);
                self.tail_resident = true;
                true
            }
            Residency::Unknown => {
                self.off = true;
                true
            }
            Residency::Cold => false,
        }
    }

    /// The source's offset: read once (one `lseek`), then moved by the steps. `None` (and no
    /// more probes) when it cannot be read.
    fn offset(&mut self, fd: BorrowedFd<'_>) -> Option<u64> {
        if let Some(pos) = self.pos {
            return Some(pos);
        }
        match rustix::fs::seek(fd, rustix::fs::SeekFrom::Current(0)) {
            Ok(pos) => Some(*self.pos.insert(pos)),
            Err(_) => {
                self.off = true;
                None
            }
        }
    }

    /// The cold range `[pos, end)` (`len` bytes): read by a job on the runtime's blocking
    /// pool, the copy waiting for it (`Pending`), or inline when the runtime has no pool.
    fn poll_read_cold(
        &mut self,
        cx: &mut Context<'_>,
        fd: BorrowedFd<'_>,
        (pos, end, len): (u64, u64, usize),
        want: usize,
    ) -> Poll<usize> {
        if self.inline {
            self.inline_bytes += len as u64;
            return Poll::Ready(want);
        }
        let Ok(job_fd) = fd.try_clone_to_owned() else {
            self.inline_bytes += len as u64;
            return Poll::Ready(want);
        };
        let signal = Arc::new(Signal::default());
        let done = Done(signal.clone());
        let job = BlockingJob::new(move || {
            let fd = std::os::fd::AsFd::as_fd(&job_fd);
            sys::make_resident(fd, pos, len);
            // The copy sends this range now; meanwhile the disk reads the next one.
            drop(done);
            sys::read_ahead(fd, end, len.saturating_mul(READ_AHEAD_RANGES));
        });
        match (self.spawn)(job) {
            Ok(()) => {
                self.steps += 1;
                self.bytes += len as u64;
                self.read_to = Some(end);
                if signal.poll_done(cx) {
                    return Poll::Ready(want);
                }
                self.wait = Some(signal);
                Poll::Pending
            }
            Err(job) => {
                drop(job);
                self.inline = true;
                self.inline_bytes += len as u64;
                Poll::Ready(want)
            }
        }
    }

    /// A step took `n` bytes from the source.
    pub(crate) fn moved(&mut self, n: u64) {
        if let Some(pos) = &mut self.pos {
            *pos += n;
        }
    }
}

/// What the tail probes of the last moment found: a file whose last byte was found resident
/// less than [`recent::WINDOW`] ago is not probed again.
///
/// A server sends its hot small files over and over, each copy from a fresh `open`; probing
/// each one's last byte was the one syscall a 16 KiB copy made beyond a C server's `open`,
/// `fstat`, `sendfile`, `close` (zc-bench's scenario 4: 5 syscalls per copy, ~1.13× the C
/// loop's CPU). Under load a hot file is copied far more often than once a millisecond, so it
/// is probed about once a millisecond instead. The knowledge is a millisecond old at most: a
/// file evicted within that millisecond (by memory pressure, or `POSIX_FADV_DONTNEED`) is read
/// inline by its next step, as a file evicted between a probe and its step always could be.
/// Only the tail probe of a step that may take a file to its end uses this: a small file's
/// one step, or a big file's last; the other steps of a big file probe as before.
///
/// The table is a fixed array of atomics, shared by all copies in the process, with no lock:
/// each slot holds the upper 32 bits of a [`Meta::stamp`](crate::sys::Meta::stamp) and the
/// time of the probe, in microseconds modulo 2³², in one `u64`. A slot that two files share
/// keeps the later one; a stamp that changed (the file was written: its times changed) finds
/// nothing.
pub(crate) mod recent {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    /// How long a probe's "resident" stands for the same file.
    pub(crate) const WINDOW: Duration = Duration::from_millis(1);

    const SLOTS: usize = 64;

    static TABLE: [AtomicU64; SLOTS] = [const { AtomicU64::new(0) }; SLOTS];

    /// Microseconds since the first use, modulo 2³² (wraps after ~71 minutes: an entry not
    /// overwritten since can pass for fresh again within a window of the wrap, and only for
    /// the same file).
    fn now() -> u32 {
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_micros() as u32
    }

    fn slot(stamp: u64) -> &'static AtomicU64 {
        &TABLE[stamp as usize % SLOTS]
    }

    /// The file of this stamp was found resident less than [`WINDOW`] ago. Never for stamp 0.
    pub(crate) fn resident(stamp: u64) -> bool {
        if stamp == 0 {
            return false;
        }
        let entry = slot(stamp).load(Ordering::Relaxed);
        let (key, at) = ((entry >> 32) as u32, entry as u32);
        key == (stamp >> 32) as u32 && u128::from(now().wrapping_sub(at)) < WINDOW.as_micros()
    }

    /// The file of this stamp was just found resident.
    pub(crate) fn record(stamp: u64) {
        if stamp != 0 {
            slot(stamp).store((stamp >> 32) << 32 | u64::from(now()), Ordering::Relaxed);
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_stamp_is_resident_for_a_window_after_its_record() {
            let stamp = 0xdead_beef_0000_0007;
            assert!(!resident(stamp));
            // Read back within the window (a preempted thread may need another try).
            assert!((0..100).any(|_| {
                record(stamp);
                resident(stamp)
            }));
            // Another file in the same slot, or the same file after a write: nothing.
            assert!(!resident(0x1234_5678_0000_0007));
            assert!(!resident(0xdead_beef_0000_0008));
            record(0);
            assert!(!resident(0));
            std::thread::sleep(WINDOW * 2);
            assert!(!resident(stamp));
        }
    }
}

/// The range a probe before a step of `want` bytes from `pos` answers for, in a file of `size`
/// bytes by the copy's `fstat` (0: unknown): `end`, where the step stops, and `reach`, where
/// the probed (and, when cold, read) range stops.
///
/// Both stop at the file's size: a probe past the end reads nothing and would answer
/// "resident" for a range that is not. `reach` covers at least [`MIN_JOB`] bytes: a small
/// per-poll bound must not make a copy probe, or hand off to the pool, more often, and the
/// steps inside the range go unprobed. With the size unknown, or a position already past it
/// (the file grew), the range is the step's.
fn probe_range(pos: u64, want: usize, size: u64) -> (u64, u64) {
    let end = pos.saturating_add(want as u64);
    if size == 0 || pos >= size {
        return (end, end);
    }
    let end = end.min(size);
    (end, pos.saturating_add(MIN_JOB).min(size).max(end))
}

/// The job's end, seen by the copy: set once, with the copy's waker woken.
#[derive(Debug, Default)]
struct Signal(Mutex<(bool, Option<Waker>)>);

impl Signal {
    fn poll_done(&self, cx: &mut Context<'_>) -> bool {
        let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !state.0 {
            match &state.1 {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                _ => state.1 = Some(cx.waker().clone()),
            }
        }
        state.0
    }
}

/// Held by the job: when it drops (the job ran, or the runtime dropped it unrun), the copy
/// wakes.
struct Done(Arc<Signal>);

impl Drop for Done {
    fn drop(&mut self) {
        let waker = {
            let mut state = self.0 .0.lock().unwrap_or_else(|e| e.into_inner());
            state.0 = true;
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{probe_range, MIN_JOB};

    #[test]
    fn a_probe_never_reaches_past_the_files_size() {
        const MIB: u64 = 1 << 20;
        let size = 8 * MIB + MIB / 2;
        // The last step of a copy that started 1 MiB into the file, with a 4 MiB bound: the
        // bound left (what the copy may still take) is larger than the bytes left in the file.
        assert_eq!(probe_range(5 * MIB, 4 << 20, size), (size, size));
        // A small step probes 2 MiB ahead, within the size.
        assert_eq!(probe_range(0, 512 << 10, size), (MIB / 2, MIN_JOB));
        assert_eq!(probe_range(8 * MIB, 512 << 10, size), (size, size));
        // A step longer than 2 MiB probes its own end.
        assert_eq!(probe_range(0, 3 << 20, size), (3 * MIB, 3 * MIB));
        // Size unknown (0), or a position past it (the file grew): the step's own range.
        assert_eq!(
            probe_range(MIB, 512 << 10, 0),
            (MIB + MIB / 2, MIB + MIB / 2)
        );
        assert_eq!(
            probe_range(size, 512 << 10, size),
            (size + MIB / 2, size + MIB / 2)
        );
    }
}
