// A copy between two runtime-neutral ends has no runtime type to infer `Rt` from: use
// `zc::neutral::copy` (rustc's E0283 cannot be given a custom message).

async fn save(file: &mut std::fs::File) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    zc::copy(file, &mut out).await?;
    Ok(out)
}

fn main() {}
