// Limits keep a copy's runtime: `zc::Limited` around any source, and the runtimes' own
// `take(n)` and buffered readers.

use std::io::{Seek, SeekFrom, Write};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut std_file = tempfile::tempfile()?;
    std_file.write_all(b"0123456789")?;
    std_file.seek(SeekFrom::Start(2))?;
    let mut file = tokio::fs::File::from_std(std_file);

    // An HTTP `Range` reply: exactly 3 bytes from the file's position.
    let mut range = zc::Limited::exact(&mut file, 3);
    let mut out = Vec::new();
    zc::copy::<zc::Tokio, _, _>(&mut range, &mut out).await?;
    assert_eq!(out, b"234");
    assert_eq!(range.remaining(), 0);

    // tokio's own `take` and `BufReader` are sources too.
    let mut next = tokio::io::AsyncReadExt::take(&mut file, 2);
    out.clear();
    zc::copy::<zc::Tokio, _, _>(&mut next, &mut out).await?;
    assert_eq!(out, b"56");
    let mut rest = tokio::io::BufReader::new(file);
    out.clear();
    zc::copy::<zc::Tokio, _, _>(&mut rest, &mut out).await?;
    assert_eq!(out, b"789");

    // `Limited` and `BufReader` of zc work on every runtime.
    let mut smol_file = smol::fs::File::from(tempfile::tempfile()?);
    let mut bytes: &[u8] = b"abc";
    let _into_smol = zc::copy(&mut zc::Limited::new(&mut bytes, 2), &mut smol_file);
    let _buffered = zc::copy(&mut zc::BufReader::new(&mut smol_file), &mut Vec::new());
    Ok(())
}
