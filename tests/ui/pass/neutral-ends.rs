// A copy between two runtime-neutral ends needs no annotation through `zc::neutral`.

use std::io::{Seek, Write};

fn main() -> std::io::Result<()> {
    futures_lite::future::block_on(async {
        let mut file = tempfile::tempfile()?;
        file.write_all(b"from a std file")?;
        file.rewind()?;

        // std::fs::File → Vec<u8>: the case where `zc::copy` cannot infer the runtime.
        let mut out = Vec::new();
        let n = zc::neutral::copy(&mut file, &mut out).await?;
        assert_eq!((n, &out[..]), (15, &b"from a std file"[..]));

        // std::fs::File → std::fs::File, with the report: copy_file_range on Linux.
        file.rewind()?;
        let mut copy = tempfile::tempfile()?;
        let report = zc::neutral::copy_report(&mut file, &mut copy).await?;
        assert_eq!(report.bytes(), 15);
        #[cfg(target_os = "linux")]
        assert_eq!(report.path(), zc::CopyPath::CopyFileRange);

        // &[u8] → Vec<u8>, strict: no kernel object, so Unsupported instead of a fallback.
        let err = zc::neutral::copy_strict(&mut &b"bytes"[..], &mut Vec::new())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::Unsupported);
        Ok(())
    })
}
