// A `WriterTo` reports delivered bytes through `Progress::record`, which also charges the
// per-poll budget; it cannot write the count itself.

use std::io;
use std::task::{Context, Poll};

struct Zeros(u64);

impl<Rt> zc::endpoint::WriterTo<Rt> for Zeros {
    fn poll_write_to(
        &mut self,
        cx: &mut Context<'_>,
        dst: &mut dyn zc::Sink<Rt>,
        progress: &mut zc::endpoint::Progress,
    ) -> Poll<io::Result<zc::endpoint::Handoff>> {
        while self.0 > 0 {
            let n = match dst.poll_write(cx, &[0; 512]) {
                Poll::Ready(Ok(n)) => n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            self.0 -= n as u64;
            progress.delivered += n as u64;
        }
        Poll::Ready(Ok(zc::endpoint::Handoff::Finished))
    }
}

fn main() {}
