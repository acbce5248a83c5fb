#!/usr/bin/env bash
# What wakes the proxy of zc-bench's scenario 2 (the relay), per child process: every wait
# (`epoll_wait` in zc's runtimes, `ppoll` in the C loop) is "useful" when a `splice` follows
# it before the next wait, and "wasted" when the next call is another wait (the runtime was
# woken by an event no task waited for); "blocked" when the thread slept in the wait (a
# voluntary context switch), "preempted" when it was switched out elsewhere.
#
# Needs perf with tracepoints (root, or perf_event_paranoid <= -1 and a readable tracefs).
# Usage, from the workspace root: bash zc-bench/wakeups.sh [zc-bench flags]
#   e.g. bash zc-bench/wakeups.sh --rounds 3 --variants zc-tokio
set -euo pipefail

command -v perf >/dev/null || { echo "wakeups.sh: perf is not installed" >&2; exit 1; }
cargo build --release -q -p zc-bench
bench="${CARGO_TARGET_DIR:-target}/release/zc-bench"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

perf record -q -o "$work/perf.data" \
    -e syscalls:sys_enter_epoll_wait,syscalls:sys_exit_epoll_wait \
    -e syscalls:sys_enter_ppoll,syscalls:sys_exit_ppoll \
    -e syscalls:sys_enter_splice,sched:sched_switch \
    -- "$bench" --scenarios 2 --no-strace "$@" >"$work/bench.out"
sed -n '/^| variant/,/^$/p' "$work/bench.out"
perf script -i "$work/perf.data" -F comm,pid,tid,event,trace 2>/dev/null >"$work/trace"

# The relay children, in the order they ran; each is one thread (current-thread runtimes and
# `block_on`), so its pid is its tid.
pids=$(awk '$1 == "zc-bench-child" { split($2, t, "/"); if (t[1] == t[2]) n[t[1]]++ }
            END { for (p in n) if (n[p] > 1000) print p }' "$work/trace" | sort -n)
for pid in $pids; do
    awk -v PID="$pid" '
        $2 != PID "/" PID { next }
        /sys_enter_(epoll_wait|ppoll)/ {
            if (pending) wasted[slept]++
            kind = $3; sub(/.*sys_enter_/, "", kind); sub(/:$/, "", kind)
            waiting = 1; slept = 0; pending = 0; next
        }
        /sched_switch/ {
            if ($0 ~ ("prev_pid=" PID " ")) { if (waiting) slept = 1; else preempted++ }
            next
        }
        /sys_exit_(epoll_wait|ppoll)/ { waiting = 0; pending = 1; next }
        /sys_enter_splice/ { splices++; if (pending) useful[slept]++; pending = 0; next }
        END {
            if (kind == "") {
                printf "pid %s: %d splice, preempted %d; it waits on another thread " \
                    "(async-io'"'"'s), which this does not follow\n", PID, splices, preempted
                exit
            }
            printf "pid %s (%s): %d splice, waits blocked: %d useful + %d wasted, " \
                "not blocked: %d useful + %d wasted, preempted %d\n", PID, kind, splices,
                useful[1], wasted[1], useful[0], wasted[0], preempted
        }' "$work/trace"
done
