//! Mocks that force states: short transfers, `Pending` and `Interrupted` on a script.

use std::io;
use std::task::{Context, Poll};

use zc_traits::{Sink, Source};

/// One step of a mock's script.
#[derive(Debug, Clone, Copy)]
pub enum Act {
    /// Move at most this many bytes (at least 1).
    Short(usize),
    /// Return `Pending`, waking at once.
    Pending,
    /// Return `Interrupted`.
    Interrupted,
    /// Move what fits, and report this many bytes more than that (an end that breaks the
    /// `poll_read` / `poll_write` contract).
    Overclaim(usize),
}

/// What one step of the script moves: at most `max` bytes, reported as `extra` more.
struct Move {
    max: usize,
    extra: usize,
}

/// A reader or writer that follows a script of short transfers, `Pending` and `Interrupted`.
#[derive(Debug)]
pub struct Scripted {
    data: Vec<u8>,
    pos: usize,
    script: Vec<Act>,
    step: usize,
    /// What the writer accepted, in order.
    pub accepted: Vec<u8>,
    fail_at: Option<usize>,
}

impl Scripted {
    /// A reader of `data` that follows `script`, then moves up to 64 KiB a read.
    pub fn reader(data: Vec<u8>, mut script: Vec<Act>) -> Scripted {
        script.push(Act::Short(1 << 16));
        Scripted {
            data,
            pos: 0,
            script,
            step: 0,
            accepted: Vec::new(),
            fail_at: None,
        }
    }

    /// A writer that follows `script`, then takes up to 64 KiB a write; with `fail_at`, it
    /// fails with `BrokenPipe` once it has accepted that many bytes.
    pub fn writer(mut script: Vec<Act>, fail_at: Option<usize>) -> Scripted {
        script.push(Act::Short(1 << 16));
        Scripted {
            data: Vec::new(),
            pos: 0,
            script,
            step: 0,
            accepted: Vec::new(),
            fail_at,
        }
    }

    fn next(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Move>> {
        let act = self.script[self.step % self.script.len()];
        self.step += 1;
        match act {
            Act::Short(max) => Poll::Ready(Ok(Move { max, extra: 0 })),
            Act::Overclaim(extra) => Poll::Ready(Ok(Move {
                max: usize::MAX,
                extra,
            })),
            Act::Pending => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Act::Interrupted => Poll::Ready(Err(io::ErrorKind::Interrupted.into())),
        }
    }
}

impl<Rt> Source<Rt> for Scripted {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() || self.pos == self.data.len() {
            return Poll::Ready(Ok(0));
        }
        let step = futures_lite::ready!(self.next(cx))?;
        let n = step.max.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Poll::Ready(Ok(n + step.extra))
    }
}

impl<Rt> Sink<Rt> for Scripted {
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let step = futures_lite::ready!(self.next(cx))?;
        let mut n = step.max.min(buf.len());
        if let Some(fail_at) = self.fail_at {
            if self.accepted.len() == fail_at {
                return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
            }
            n = n.min(fail_at - self.accepted.len());
        }
        self.accepted.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n + step.extra))
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Flushing also meets the script's `Pending` and `Interrupted`, but moves nothing.
        match self.script[self.step % self.script.len()] {
            Act::Pending => {
                self.step += 1;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            _ => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Sink::<Rt>::poll_flush(self, cx)
    }
}
