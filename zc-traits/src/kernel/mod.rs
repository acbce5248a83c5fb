//! The kernel loops: sendfile, splice and copy_file_range, written once on top of [`RawEnd`].
//!
//! # Strategy
//!
//! The copy asks each side what kernel object it has ([`Source::raw_source`],
//! [`Sink::raw_sink`]) and what kind it is: a socket or pipe end whose type says it
//! ([`FdKind`]) costs no syscall; any other end is `fstat`ed once for the plan choice (a
//! regular file's size comes with it, and the kernel steps reuse both). Then it picks a list of
//! plans to try in order:
//!
//! | source            | destination               | plans                              |
//! |-------------------|---------------------------|------------------------------------|
//! | regular file      | regular file              | copy_file_range, then sendfile     |
//! | regular file      | socket, pipe, other fd    | sendfile                           |
//! | polled pipe       | regular file              | splice (direct)                    |
//! | polled pipe/socket| regular file, polled pipe/socket | splice through a pooled pipe |
//!
//! A plan that fails with a "does not fit" errno (`EINVAL`, `ENOSYS`, `EOPNOTSUPP`, `EXDEV`,
//! `EBADF`, `EPERM`, `ESPIPE`) before its first byte falls back: the next plan, or the
//! buffered path, continues. After the first byte an error is the copy's error, reported with
//! the count: resending from the start would duplicate bytes, and a silent switch would hide a
//! fault. One error after bytes is not a fault: `EINVAL` from `copy_file_range` when an end is
//! open with `O_DIRECT` is the alignment rule refusing the unaligned tail; the kernel paths
//! hand over to the buffered path at the exact offsets (std's `CopyResult::Fallback(n)`), and
//! the report names both paths. A first call that returns 0 from a regular file is checked with `pread`, because
//! `/proc` and `/sys` files report size 0 and answer 0 while they have content.
//!
//! # The syscalls a copy makes before its first step
//!
//! The plan choice costs one `fstat` per end whose type does not state its kind (plus a
//! `getsockopt` for a socket), and `fcntl(F_GETFL)` for a regular file destination
//! (`O_APPEND`). Some copies make more, each to keep a count or a position exact:
//!
//! * two regular files: the same-file check (`sys::same_file`) `fstat`s both ends again, for
//!   their device and inode, and, only when they are the same file, moves and reads their
//!   offsets (`lseek`) and reads the destination's flags;
//! * a copy that falls back to the buffered path (no plan fits, one end has no fd, the kernel
//!   plans fall back) `fstat`s the end it will read or write at its fd offset once more
//!   (`is_file_at_offset`, `is_file_sink` in `file_end.rs`), as does the `WriterTo` stage for a
//!   destination with an fd;
//! * a regular file source with the cold-cache check on reads its offset once (`lseek`),
//!   except for a step that may take the file to its end, and probes the page cache once per
//!   step (`preadv2`), except for such a step when the same file was found resident less
//!   than a millisecond ago (see [`cold`](crate::cold)).
//!
//! # The end of a regular file
//!
//! A regular file source of known size (its `fstat` says more than 0) is read until the copy
//! has taken that size, or until the kernel reports end of file (a call returns 0), whichever
//! comes first. So a file copied from its start is sent as it was when the copy started, with
//! no last call that returns 0: bytes appended during the copy are left for the next copy (Go's
//! `sendFile` on the BSDs bounds the copy by the size the same way). A file that shrinks ends
//! the copy at its new end, with the bytes taken until then (`Ok`, or `UnexpectedEof` for
//! [`Limited::exact`](crate::Limited::exact)). A copy from a later position ends at the
//! kernel's end of file, which then costs one call that returns 0. Size 0 (an empty file, a
//! `/proc` file, a block device) sets no bound.
//!
//! Splice through a pipe never mixes two copies' bytes: the pipe is emptied into the
//! destination before it is refilled, and only an empty pipe goes back to the pool. If the
//! destination refuses while the pipe holds bytes (say an `O_APPEND` file that the hint did
//! not catch), the bytes are read out of the pipe and written by the buffered path first.
//!
//! # Where things are
//!
//! * `kernel/plan.rs`: [`Plan`](plan::Plan), the plans for two ends ([`plans`](plan::plans))
//!   and what an end is ([`end_kind`](plan::end_kind)).
//! * `kernel/step.rs`: [`Kernel`](step::Kernel), the kernel stage of one copy direction, and
//!   its step, one syscall of the current plan ([`Step`](step::Step)).
//! * `kernel/pooled.rs`: the splice through a pooled pipe, in two legs.
//! * `kernel/legs.rs`: running a syscall on an end when it is ready (its [`Readiness`]).
//! * the syscalls themselves, the pipe pool and the errno rules: `sys/linux.rs`.
//!
//! # One enum for the kernel calls
//!
//! `sys::Call` (`Sendfile`, `Splice`, `CopyFileRange`, `Pipe`) is the one list of the kernel
//! calls zc makes: `sys` remembers the unavailable ones by it, and the test-only fault seam
//! (`zc_traits::fault::Call`) is the same enum, re-exported. The others are views of it:
//! a [`Plan`](plan::Plan) is a way to use a call ([`Plan::call`](plan::Plan::call); a splice
//! goes straight into a file or through a pooled pipe), and the public
//! [`CopyPath`](crate::CopyPath) names the call that moved the bytes
//! ([`Plan::path`](plan::Plan::path), `From<Call>`) beside the user-space paths.
//!
//! [`Readiness`]: crate::endpoint::Readiness
//! [`Source::raw_source`]: crate::Source::raw_source
//! [`Sink::raw_sink`]: crate::Sink::raw_sink

mod legs;
pub(crate) mod plan;
mod pooled;
pub(crate) mod step;
