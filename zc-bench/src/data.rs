//! The data files: created once per run of the harness, warmed in the page cache, checked
//! byte for byte by the receivers when `--verify` is on.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Deterministic bytes that do not repeat with a short period, so a shifted, duplicated or
/// skipped range would show in `--verify`.
fn fill(seed: u64, buf: &mut [u8]) -> u64 {
    let mut x = seed;
    for chunk in buf.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    x
}

/// Creates `path` with `len` pattern bytes, then reads it back once so it sits in the page
/// cache (the benchmarks measure copies of cached files, as a busy file server sees them).
pub fn create(path: &Path, len: u64) -> io::Result<()> {
    let mut f = File::create(path)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut seed = 0x9e37_79b9_7f4a_7c15 ^ len;
    let mut left = len;
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        seed = fill(seed, &mut buf[..n]);
        f.write_all(&buf[..n])?;
        left -= n as u64;
    }
    f.sync_all()?;
    drop(f);
    warm(path)
}

/// Reads the whole file, so its pages are cached.
pub fn warm(path: &Path) -> io::Result<()> {
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    while f.read(&mut buf)? > 0 {}
    Ok(())
}

/// Pages sampled by [`resident_share`].
const RESIDENCY_SAMPLES: u64 = 64;

/// Evicts `path` from the page cache (`fsync`, then `posix_fadvise(DONTNEED)`) and checks that
/// it worked: returns the share of sampled pages still resident afterwards (0.0 = cold).
///
/// The check itself reads a page at each sample point that is not resident (a `RWF_NOWAIT`
/// read that misses still starts I/O for that page), so the file is evicted once more after
/// the check, once that I/O had time to finish.
pub fn make_cold(path: &Path) -> io::Result<f64> {
    use rustix::fs::{fadvise, Advice};
    let f = File::open(path)?;
    f.sync_all()?;
    fadvise(&f, 0, None, Advice::DontNeed)?;
    let resident = resident_share(&f)?;
    std::thread::sleep(std::time::Duration::from_millis(20));
    fadvise(&f, 0, None, Advice::DontNeed)?;
    Ok(resident)
}

/// The share of [`RESIDENCY_SAMPLES`] pages spread over the file that are in the page cache:
/// a one-byte `preadv2(RWF_NOWAIT)` succeeds only on a resident page. The descriptor is
/// advised `RANDOM` first so a miss reads one page, not a readahead window.
pub fn resident_share(f: &File) -> io::Result<f64> {
    use rustix::fs::{fadvise, Advice};
    use rustix::io::{preadv2, Errno, ReadWriteFlags};
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(0.0);
    }
    fadvise(f, 0, None, Advice::Random)?;
    let mut resident = 0;
    for i in 0..RESIDENCY_SAMPLES {
        let at = len / RESIDENCY_SAMPLES * i;
        let mut byte = [0u8; 1];
        let mut bufs = [io::IoSliceMut::new(&mut byte)];
        match preadv2(f, &mut bufs, at, ReadWriteFlags::NOWAIT) {
            Ok(_) => resident += 1,
            Err(Errno::AGAIN) => {}
            // A kernel or file system without RWF_NOWAIT reads cannot say: the cold rows
            // are skipped, not failed.
            Err(e @ (Errno::OPNOTSUPP | Errno::INVAL | Errno::NOSYS)) => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!("preadv2(RWF_NOWAIT) cannot check the page cache here: {e}"),
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(resident as f64 / RESIDENCY_SAMPLES as f64)
}

/// The data files of one harness run; the directory is removed on drop if the harness made it.
#[derive(Debug)]
pub struct DataDir {
    pub dir: PathBuf,
    owned: bool,
    /// Scenarios 1, 2 and 3.
    pub big: PathBuf,
    /// Scenario 4: one file per size.
    pub small: Vec<(u64, PathBuf)>,
    /// Scenario 5.
    pub client: PathBuf,
    /// Scenario 7: evicted from the page cache before each cold run.
    pub cold: PathBuf,
    /// A private copy of this executable for the child processes: a `cargo build` that
    /// replaces `target/release/zc-bench` during a long run must not break the runs after it.
    pub exe: PathBuf,
}

impl DataDir {
    pub fn create(
        dir: Option<&Path>,
        big: Option<u64>,
        small: &[u64],
        client: Option<u64>,
        cold: Option<u64>,
    ) -> io::Result<DataDir> {
        let (dir, owned) = match dir {
            Some(d) => {
                std::fs::create_dir_all(d)?;
                (d.to_path_buf(), false)
            }
            None => {
                let d = std::env::temp_dir().join(format!("zc-bench-{}", std::process::id()));
                std::fs::create_dir_all(&d)?;
                (d, true)
            }
        };
        let data = DataDir {
            big: dir.join("big.bin"),
            small: small
                .iter()
                .map(|&n| (n, dir.join(format!("small-{n}.bin"))))
                .collect(),
            client: dir.join("client.bin"),
            cold: dir.join("cold.bin"),
            exe: dir.join("zc-bench-child"),
            dir,
            owned,
        };
        std::fs::copy(std::env::current_exe()?, &data.exe)?;
        for (path, len) in [(&data.big, big), (&data.client, client), (&data.cold, cold)] {
            if let Some(len) = len {
                create(path, len)?;
            }
        }
        for (len, path) in &data.small {
            create(path, *len)?;
        }
        Ok(data)
    }

    /// Scenario 4's file of `size` bytes.
    pub fn small_file(&self, size: u64) -> &Path {
        self.small
            .iter()
            .find(|(n, _)| *n == size)
            .map(|(_, p)| p.as_path())
            .expect("a small file is created for every --small-sizes entry")
    }

    /// A destination path for a file → file copy.
    pub fn copy_target(&self) -> PathBuf {
        self.dir.join("copy.bin")
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let small = self.small.iter().map(|(_, p)| p);
        for p in [
            &self.big,
            &self.client,
            &self.cold,
            &self.exe,
            &self.copy_target(),
        ]
        .into_iter()
        .chain(small)
        {
            let _ = std::fs::remove_file(p);
        }
        if self.owned {
            let _ = std::fs::remove_dir(&self.dir);
        }
    }
}

/// What a receiver expects: `total` bytes, which are `unit` repeated (when verifying).
#[derive(Debug, Clone)]
pub struct Expect {
    pub total: u64,
    /// The content of one copy of the file; `None` counts bytes without checking them.
    pub unit: Option<Arc<Vec<u8>>>,
    /// Receive by splicing into `/dev/null` instead of reading (when not verifying).
    pub splice: bool,
}

impl Expect {
    pub fn new(path: &Path, repeats: u64, verify: bool) -> io::Result<Expect> {
        let len = std::fs::metadata(path)?.len();
        let unit = if verify {
            Some(Arc::new(std::fs::read(path)?))
        } else {
            None
        };
        Ok(Expect {
            total: len * repeats,
            unit,
            splice: false,
        })
    }

    /// A checker that follows a stream of received bytes.
    pub fn checker(&self) -> Checker {
        Checker {
            unit: self.unit.clone(),
            pos: 0,
        }
    }
}

/// Compares received bytes with the expected content, chunk by chunk.
#[derive(Debug)]
pub struct Checker {
    unit: Option<Arc<Vec<u8>>>,
    pos: u64,
}

impl Checker {
    pub fn feed(&mut self, mut got: &[u8]) -> io::Result<()> {
        if let Some(unit) = &self.unit {
            while !got.is_empty() {
                let at = (self.pos % unit.len() as u64) as usize;
                let n = got.len().min(unit.len() - at);
                if got[..n] != unit[at..at + n] {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("wrong bytes received near offset {}", self.pos),
                    ));
                }
                self.pos += n as u64;
                got = &got[n..];
            }
        } else {
            self.pos += got.len() as u64;
        }
        Ok(())
    }

    pub fn received(&self) -> u64 {
        self.pos
    }
}

/// Checks a copied file against its source.
pub fn same_content(a: &Path, b: &Path) -> io::Result<bool> {
    let (mut fa, mut fb) = (File::open(a)?, File::open(b)?);
    if fa.metadata()?.len() != fb.metadata()?.len() {
        return Ok(false);
    }
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = fa.read(&mut ba)?;
        if n == 0 {
            return Ok(true);
        }
        fb.read_exact(&mut bb[..n])?;
        if ba[..n] != bb[..n] {
            return Ok(false);
        }
    }
}
