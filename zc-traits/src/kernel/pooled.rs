//! Splice through a pooled pipe, for two ends that are not both files: one `splice(2)` from the
//! source into the pipe, then from the pipe into the destination, the pipe emptied before it
//! is refilled. The pool itself (pipes kept open for the next copy) is `sys::Pipe`.

use std::io;
use std::task::{ready, Context, Poll};

use super::legs::{may_raise_sigpipe, poll_read_leg, poll_write_leg};
use super::plan::Plan;
use super::step::{Kernel, Step};
use crate::endpoint::raw::RawEnd;
use crate::sys;

impl Kernel {
    /// Moves the bytes left in the pipe into `buf`, for the buffered path to deliver.
    pub(crate) fn drain_pipe(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        let Some(pipe) = &self.pipe else {
            return Ok(());
        };
        buf.clear();
        buf.resize(self.in_pipe, 0);
        let mut filled = 0;
        while filled < self.in_pipe {
            match pipe.drain_into(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) => {
                    buf.truncate(filled);
                    return Err(e);
                }
            }
        }
        buf.truncate(filled);
        self.in_pipe -= filled;
        if self.in_pipe != 0 {
            return Err(io::Error::other("zc: the splice pipe lost bytes"));
        }
        Ok(())
    }

    /// One leg of the pooled splice: into the destination while the pipe holds bytes, else
    /// from the source into the pipe.
    pub(super) fn poll_pooled<Rt>(
        &mut self,
        cx: &mut Context<'_>,
        src: RawEnd<'_, Rt>,
        dst: RawEnd<'_, Rt>,
        want: usize,
    ) -> Poll<io::Result<Step>> {
        let pipe = match &mut self.pipe {
            Some(pipe) => pipe,
            None => match sys::Pipe::new() {
                Ok(pipe) => self.pipe.insert(pipe),
                // No fd for the pipe (EMFILE, ENFILE) or no memory: nothing was taken yet,
                // so the buffered path, which needs no fd, does the copy.
                Err(e) if self.plan_delivered == 0 && self.in_pipe == 0 => {
                    return Poll::Ready(Ok(Step::Fallback(io::Error::new(
                        e.kind(),
                        format!("the splice pipe cannot be made: {e}"),
                    ))))
                }
                Err(e) => return Poll::Ready(self.fall_back_or_fail(Plan::SplicePooled, e)),
            },
        };
        if self.in_pipe > 0 {
            // Empty the pipe before refilling it, so its bytes leave in order and a pipe
            // that holds bytes is never shared.
            let (pipe_out, in_pipe) = (pipe.read_end(), self.in_pipe);
            let guard = may_raise_sigpipe(self.dst_kind);
            let result = ready!(poll_write_leg(cx, dst, &mut self.dst_watch, &mut |out| {
                sys::splice(pipe_out, out, in_pipe, guard)
            }));
            return Poll::Ready(match result {
                Ok(0) => Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.in_pipe -= n;
                    self.plan_delivered += n as u64;
                    Ok(Step::Moved {
                        taken: 0,
                        delivered: n as u64,
                    })
                }
                Err(e) => self.fall_back_or_fail(Plan::SplicePooled, e),
            });
        }
        let (pipe_in, len) = (pipe.write_end(), want.min(pipe.capacity()));
        // zc's own pipe has a reader (zc): filling it never raises SIGPIPE.
        let result = ready!(poll_read_leg(cx, src, &mut self.src_watch, &mut |input| {
            sys::splice(input, pipe_in, len, false)
        }));
        Poll::Ready(match result {
            Ok(0) => Ok(Step::Eof),
            Ok(n) => {
                self.in_pipe = n;
                Ok(Step::Moved {
                    taken: n as u64,
                    delivered: 0,
                })
            }
            Err(e) => self.fall_back_or_fail(Plan::SplicePooled, e),
        })
    }
}
