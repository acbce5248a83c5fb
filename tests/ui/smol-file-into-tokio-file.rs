// The two ends of one copy belong to one runtime, files included: the runtime of the source
// decides, and the destination must be of the same one.

async fn duplicate(from: &mut smol::fs::File, to: &mut tokio::fs::File) -> std::io::Result<u64> {
    zc::copy(from, to).await
}

fn main() {}
