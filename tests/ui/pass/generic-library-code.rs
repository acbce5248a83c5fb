// Library code can be generic over the runtime and the ends, box them, spawn them, and name
// the copy's future; runtime-neutral ends name the runtime they run on.

use std::io;

use zc::{CopyError, CopyFuture, Report, Sink, Source};

/// Any runtime, any pair of ends.
async fn send_all<Rt, S, D>(src: &mut S, dst: &mut D) -> io::Result<u64>
where
    Rt: zc::Runtime,
    S: Source<Rt> + ?Sized,
    D: Sink<Rt> + ?Sized,
{
    let report = zc::copy_report(src, dst).await?;
    Ok(report.bytes())
}

/// Ends chosen at run time, as trait objects; `+ Send` keeps the copy spawnable.
type BoxedSource<Rt> = Box<dyn Source<Rt> + Send>;

fn pick_source<Rt>(in_memory: bool, file: std::fs::File) -> BoxedSource<Rt> {
    if in_memory {
        Box::new(&b"in memory"[..])
    } else {
        Box::new(file)
    }
}

/// A server spawns one copy per connection: ends that are `Send + 'static`, moved in.
fn spawn_copy<S, D>(mut src: S, mut dst: D) -> tokio::task::JoinHandle<io::Result<u64>>
where
    S: Source<zc::Tokio> + Send + 'static,
    D: Sink<zc::Tokio> + Send + 'static,
{
    tokio::spawn(async move { zc::copy(&mut src, &mut dst).await })
}

/// The copy's future is a named type, for a struct field or a manual `Future` impl; its
/// `CopyError` turns into the `io::Error` of `main` with `?`.
fn report_future<'a>(
    src: &'a mut &'static [u8],
    dst: &'a mut Vec<u8>,
) -> CopyFuture<'a, &'static [u8], Vec<u8>, Result<Report, CopyError>> {
    zc::copy_report::<zc::Neutral, _, _>(src, dst)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> io::Result<()> {
    // Two runtime-neutral ends: the runtime is named.
    let mut out = Vec::new();
    send_all::<zc::Neutral, _, _>(&mut &b"abc"[..], &mut out).await?;
    assert_eq!(out, b"abc");

    let src: BoxedSource<zc::Tokio> = pick_source(true, tempfile::tempfile()?);
    let copied = spawn_copy(src, Vec::new()).await;
    assert_eq!(copied.expect("the copy task panicked")?, 9);

    let mut bytes: &'static [u8] = b"report";
    let mut collected = Vec::new();
    assert_eq!(report_future(&mut bytes, &mut collected).await?.bytes(), 6);
    Ok(())
}
