//! Futures that stop, join or fault on demand.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// Polls `fut` at most `polls` times (each after a wake); `None` means it was still pending
/// after the last one and is now dropped: a cancellation at a chosen point.
pub async fn poll_at_most<F: Future>(fut: F, polls: usize) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let mut done = 0;
    poll_fn(|cx| {
        done += 1;
        match fut.as_mut().poll(cx) {
            Poll::Ready(out) => Poll::Ready(Some(out)),
            Poll::Pending if done >= polls => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// Runs `fut` with `call` failing with `errno` after `skip` calls, on whichever threads the
/// runtime polls it: the fault is re-armed on the polling thread before each poll and taken
/// back after it, so a work-stealing runtime cannot lose or duplicate it.
// Where zc_traits::fault exists: its kernel calls are Linux's (not under `--cfg zc_portable`).
#[cfg(all(
    feature = "fault-injection",
    any(target_os = "linux", target_os = "android"),
    not(zc_portable)
))]
pub async fn with_fault<F: Future>(
    call: zc_traits::fault::Call,
    errno: i32,
    skip: u32,
    fut: F,
) -> F::Output {
    use zc_traits::fault;
    let mut fut = std::pin::pin!(fut);
    let mut left = Some(skip);
    poll_fn(|cx| {
        if let Some(skip) = left {
            fault::inject(call, errno, skip);
        }
        let out = fut.as_mut().poll(cx);
        left = left.and_then(|_| fault::take());
        out
    })
    .await
}

/// Runs all `futs` concurrently on the current task and returns their outputs in order.
///
/// Each future gets its own waker, so a wake polls only the future it belongs to: 1,000 copies
/// do not cost 1,000 polls per event.
pub async fn join_all<F: Future>(futs: Vec<F>) -> Vec<F::Output> {
    JoinAll::new(futs).await
}

struct Shared {
    ready: Mutex<VecDeque<usize>>,
    parent: Mutex<Option<Waker>>,
}

struct TaskWaker {
    index: usize,
    queued: AtomicBool,
    shared: Arc<Shared>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            self.shared.ready.lock().unwrap().push_back(self.index);
        }
        if let Some(w) = self.shared.parent.lock().unwrap().as_ref() {
            w.wake_by_ref();
        }
    }
}

struct JoinAll<F: Future> {
    futs: Vec<Option<Pin<Box<F>>>>,
    outputs: Vec<Option<F::Output>>,
    wakers: Vec<Arc<TaskWaker>>,
    shared: Arc<Shared>,
    left: usize,
}

impl<F: Future> JoinAll<F> {
    fn new(futs: Vec<F>) -> Self {
        let shared = Arc::new(Shared {
            ready: Mutex::new((0..futs.len()).collect()),
            parent: Mutex::new(None),
        });
        let wakers = (0..futs.len())
            .map(|index| {
                Arc::new(TaskWaker {
                    index,
                    queued: AtomicBool::new(true),
                    shared: shared.clone(),
                })
            })
            .collect();
        let left = futs.len();
        JoinAll {
            outputs: futs.iter().map(|_| None).collect(),
            futs: futs.into_iter().map(|f| Some(Box::pin(f))).collect(),
            wakers,
            shared,
            left,
        }
    }
}

impl<F: Future> Unpin for JoinAll<F> {}

impl<F: Future> Future for JoinAll<F> {
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        *this.shared.parent.lock().unwrap() = Some(cx.waker().clone());
        // Bounded per poll, so one busy future cannot keep this loop from yielding.
        for _ in 0..4 * this.futs.len().max(1) {
            let Some(i) = this.shared.ready.lock().unwrap().pop_front() else {
                break;
            };
            this.wakers[i].queued.store(false, Ordering::Release);
            let Some(fut) = this.futs[i].as_mut() else {
                continue;
            };
            let waker = Waker::from(this.wakers[i].clone());
            if let Poll::Ready(out) = fut.as_mut().poll(&mut Context::from_waker(&waker)) {
                this.outputs[i] = Some(out);
                this.futs[i] = None;
                this.left -= 1;
            }
        }
        if this.left == 0 {
            return Poll::Ready(this.outputs.iter_mut().map(|o| o.take().unwrap()).collect());
        }
        if !this.shared.ready.lock().unwrap().is_empty() {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}
