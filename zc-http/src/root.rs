//! The resolver: a served directory opened once, and request targets mapped to open regular
//! files beneath it.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use http::StatusCode;
use rustix::fs::{FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

use crate::encoding::{self, Encoding};
use crate::request::Request;
use crate::response::{self, content_type, Entity, Options, Response};

/// A directory served, opened once, and how its files are served: the directory index,
/// dotfiles, precompressed siblings, the range limit. The builder's names are tower-http's
/// `ServeDir`'s.
///
/// Every lookup resolves the target beneath the directory in one `openat2(2)` with
/// `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`: the kernel refuses `..` and any symlink whose
/// target leaves the directory, with no `readlink` per component and no blocking pool (an
/// open of a cached file costs microseconds, as nginx's inline open). Kernels without
/// `openat2` (before 5.6, or a sandbox that refuses it) get the same answer from a
/// canonicalized path and a prefix check.
///
/// # Examples
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// # let dir = tempfile::tempdir()?;
/// # std::fs::create_dir(dir.path().join("docs"))?;
/// std::fs::write(dir.path().join("docs/index.html"), "<h1>docs</h1>")?;
/// let root = zc_http::Root::open(dir.path())?.precompressed_gzip();
///
/// let reply = root.serve(&zc_http::Request::new("GET", "/docs"));
/// assert_eq!(reply.response.status, 301); // the slash redirect
///
/// let reply = root.serve(&zc_http::Request::new("GET", "/docs/"));
/// assert_eq!(reply.response.status, 200);
/// assert_eq!(reply.response.body.len(), 13); // index.html, to send from reply.file
/// assert!(reply.file.is_some());
/// # Ok(()) }
/// ```
pub struct Root {
    fd: OwnedFd,
    path: PathBuf,
    options: Options,
    dotfiles: bool,
    index: bool,
    precompressed: Vec<Encoding>,
}

impl fmt::Debug for Root {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Root")
            .field("path", &self.path)
            .field("options", &self.options)
            .field("dotfiles", &self.dotfiles)
            .field("index", &self.index)
            .field("precompressed", &self.precompressed)
            .finish()
    }
}

/// What a request target names beneath a [`Root`].
#[derive(Debug)]
pub enum Resolved {
    /// An open regular file (maybe a precompressed sibling) and what the decision needs of it.
    File(Opened),
    /// A directory asked for without its trailing slash: 301 to this location (the target's
    /// path with a slash, its query kept).
    Redirect(String),
    /// Nothing servable, and the status that says so (nginx's answers): 400 for a target
    /// that is not an origin-form path (or has a bad escape or a NUL), 404 for a missing
    /// name, a `..` segment, a dotfile, a symlink leading outside, or anything but a regular
    /// file, 403 for a directory without an index (no listing) or a file the server may not
    /// read, 500 for other errors.
    Error(StatusCode),
}

/// A file [`Root::resolve`] opened.
#[derive(Debug)]
pub struct Opened {
    /// The open file, at offset 0.
    pub file: File,
    /// Its length, time, `Content-Type` (of the name asked for) and content coding.
    pub entity: Entity,
    /// The path of the name asked for, relative to the root (`./docs/index.html`; without
    /// the sibling's suffix).
    pub path: PathBuf,
}

/// A complete answer of [`Root::serve`]: the response, and the file its body reads.
#[derive(Debug)]
pub struct Reply {
    /// The response.
    pub response: Response,
    /// The file the body reads, when it reads one ([`Body::reads_file`](crate::Body::reads_file)).
    pub file: Option<File>,
}

/// Why a request target does not name a path under the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PathError {
    /// Not an origin-form target, a bad percent escape, or a NUL byte: 400.
    BadTarget,
    /// A `..` segment, or a dotfile while they are not served: 404, so nothing is learned
    /// about what exists.
    Hidden,
}

fn percent_decode(path: &str) -> Option<Vec<u8>> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Maps a target to a path relative to the root, lexically: drops the query, decodes
/// percent escapes, and refuses `..` segments (encoded ones too), NUL bytes and, unless
/// `dotfiles`, segments starting with `.`. The root itself is `"."`.
fn target_path(target: &str, dotfiles: bool) -> Result<PathBuf, PathError> {
    let path = target.split(['?', '#']).next().unwrap_or_default();
    if !path.starts_with('/') {
        return Err(PathError::BadTarget);
    }
    // Most targets have no escape: no decoded copy for them.
    let decoded = if path.contains('%') {
        std::borrow::Cow::Owned(percent_decode(path).ok_or(PathError::BadTarget)?)
    } else {
        std::borrow::Cow::Borrowed(path.as_bytes())
    };
    if decoded.contains(&0) {
        return Err(PathError::BadTarget);
    }
    let mut out = PathBuf::with_capacity(decoded.len() + 2);
    out.push(".");
    for segment in decoded.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => return Err(PathError::Hidden),
            [b'.', ..] if !dotfiles => return Err(PathError::Hidden),
            segment => out.push(OsStr::from_bytes(segment)),
        }
    }
    Ok(out)
}

fn status_of(errno: Errno) -> StatusCode {
    match errno {
        Errno::ACCESS | Errno::PERM => StatusCode::FORBIDDEN,
        Errno::NOENT | Errno::NOTDIR | Errno::XDEV | Errno::LOOP | Errno::NAMETOOLONG => {
            StatusCode::NOT_FOUND
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn is_regular(stat: &Stat) -> bool {
    FileType::from_raw_mode(stat.st_mode) == FileType::RegularFile
}

/// Set once `openat2` turned out to be missing (ENOSYS) or refused by a sandbox (EPERM):
/// later opens go to the fallback at once.
static NO_OPENAT2: AtomicBool = AtomicBool::new(false);

impl Root {
    /// Opens `path`, the directory to serve, with the defaults: `index.html` for a
    /// directory, no dotfiles, no precompressed siblings, [`Options::default`].
    ///
    /// # Errors
    ///
    /// `path` cannot be opened as a directory, or canonicalized (the error names the path).
    pub fn open(path: impl AsRef<Path>) -> io::Result<Root> {
        let path = path.as_ref();
        let named = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
        let fd = crate::sys::open_dir(path).map_err(|e| named(e.into()))?;
        let canonical = std::fs::canonicalize(path).map_err(named)?;
        Ok(Root {
            fd,
            path: canonical,
            options: Options::default(),
            dotfiles: false,
            index: true,
            precompressed: Vec::new(),
        })
    }

    /// Serves names whose segments start with `.` (`/.well-known/x`); off by default, where
    /// they are 404.
    pub fn dotfiles(mut self, dotfiles: bool) -> Root {
        self.dotfiles = dotfiles;
        self
    }

    /// Serves a directory asked for with its slash by its `index.html` (the default); off, or
    /// without one, such a directory is 403 (nginx's `autoindex off`).
    pub fn append_index_html_on_directories(mut self, index: bool) -> Root {
        self.index = index;
        self
    }

    /// Serves `<name>.br` instead of `<name>` to clients that accept Brotli, when it exists.
    pub fn precompressed_br(mut self) -> Root {
        self.offer(Encoding::Br);
        self
    }

    /// Serves `<name>.gz` instead of `<name>` to clients that accept gzip, when it exists
    /// (nginx's `gzip_static on`).
    pub fn precompressed_gzip(mut self) -> Root {
        self.offer(Encoding::Gzip);
        self
    }

    fn offer(&mut self, encoding: Encoding) {
        if !self.precompressed.contains(&encoding) {
            self.precompressed.push(encoding);
        }
    }

    /// Sets the decision's [`Options`].
    pub fn options(mut self, options: Options) -> Root {
        self.options = options;
        self
    }

    /// The decision's [`Options`].
    pub fn get_options(&self) -> &Options {
        &self.options
    }

    /// The served directory, canonicalized.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens `rel` beneath the root, read-only and non-blocking (a FIFO does not hang the
    /// open).
    fn open_beneath(&self, rel: &Path) -> Result<OwnedFd, Errno> {
        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
        if !NO_OPENAT2.load(Ordering::Relaxed) {
            match crate::sys::open_beneath(&self.fd, rel, flags) {
                Some(opened) => return opened,
                None => NO_OPENAT2.store(true, Ordering::Relaxed),
            }
        }
        self.open_canonical(rel, flags)
    }

    /// [`open_beneath`](Root::open_beneath) without `openat2`: canonicalize, then check the
    /// prefix (the symlinks resolved by the canonicalization may change before the open;
    /// `openat2` has no such window).
    fn open_canonical(&self, rel: &Path, flags: OFlags) -> Result<OwnedFd, Errno> {
        let path = std::fs::canonicalize(self.path.join(rel))
            .map_err(|e| Errno::from_io_error(&e).unwrap_or(Errno::NOENT))?;
        if !path.starts_with(&self.path) {
            return Err(Errno::XDEV);
        }
        rustix::fs::open(&path, flags, Mode::empty())
    }

    fn open_stat(&self, rel: &Path) -> Result<(OwnedFd, Stat), Errno> {
        let fd = self.open_beneath(rel)?;
        let stat = rustix::fs::fstat(&fd)?;
        Ok((fd, stat))
    }

    /// Maps `target` (a request's path and query, percent-encoded) to what it names: an open
    /// regular file, a redirect, or an error status ([`Resolved`]).
    ///
    /// A directory asked for with its slash is its `index.html`. With precompressed siblings
    /// on, the codings `accept_encoding` accepts are tried in [`negotiate`](crate::negotiate)'s
    /// order, and the first sibling that is a regular file is the one opened; the name asked
    /// for must exist itself (tower-http's rule). Its [`Entity`] then has the sibling's
    /// length and time (its own validators and ranges), the `Content-Type` of the name asked
    /// for, and `vary` set: whenever siblings are on, every answer carries `Vary:
    /// Accept-Encoding`, whether or not this name has a sibling (tower-http's choice; a cache
    /// cannot tell the two apart without asking).
    pub fn resolve(&self, target: &str, accept_encoding: Option<&str>) -> Resolved {
        let mut rel = match target_path(target, self.dotfiles) {
            Ok(rel) => rel,
            Err(PathError::BadTarget) => return Resolved::Error(StatusCode::BAD_REQUEST),
            Err(PathError::Hidden) => return Resolved::Error(StatusCode::NOT_FOUND),
        };
        let (mut fd, mut stat) = match self.open_stat(&rel) {
            Ok(found) => found,
            Err(errno) => return Resolved::Error(status_of(errno)),
        };
        if FileType::from_raw_mode(stat.st_mode) == FileType::Directory {
            let path = target.split('?').next().unwrap_or_default();
            if !path.ends_with('/') {
                // The query (from its `?`) is kept.
                let query = &target[path.len()..];
                return Resolved::Redirect(format!("{path}/{query}"));
            }
            if !self.index {
                return Resolved::Error(StatusCode::FORBIDDEN);
            }
            rel.push("index.html");
            (fd, stat) = match self.open_stat(&rel) {
                Ok(found) => found,
                // No index and no listing: nginx's answer (`autoindex off`) is 403.
                Err(Errno::NOENT) => return Resolved::Error(StatusCode::FORBIDDEN),
                Err(errno) => return Resolved::Error(status_of(errno)),
            };
        }
        if !is_regular(&stat) {
            return Resolved::Error(StatusCode::NOT_FOUND);
        }
        let mut encoding = Encoding::Identity;
        if !self.precompressed.is_empty() {
            for candidate in encoding::negotiate(accept_encoding, &self.precompressed) {
                let Some(extension) = candidate.extension() else {
                    break; // identity: the file itself is at least as welcome
                };
                let mut sibling = OsString::from(rel.as_os_str());
                sibling.push(extension);
                if let Ok((sibling_fd, sibling_stat)) = self.open_stat(Path::new(&sibling)) {
                    if is_regular(&sibling_stat) {
                        (fd, stat, encoding) = (sibling_fd, sibling_stat, candidate);
                        break;
                    }
                }
            }
        }
        let mut entity = Entity::new(
            u64::try_from(stat.st_size).unwrap_or(0),
            u64::try_from(stat.st_mtime).unwrap_or(0),
            content_type(&rel),
        );
        entity.encoding = encoding;
        entity.vary = !self.precompressed.is_empty();
        Resolved::File(Opened {
            file: File::from(fd),
            entity,
            path: rel,
        })
    }

    /// Answers `request` whole: 405 for a method other than `GET` or `HEAD`, then
    /// [`resolve`](Root::resolve) its target and [`respond`](crate::respond) for the file,
    /// or answer the redirect or error.
    pub fn serve(&self, request: &Request<'_>) -> Reply {
        let head = request.is_head();
        if !matches!(request.method, "GET" | "HEAD") {
            let response = Response::error(StatusCode::METHOD_NOT_ALLOWED, false);
            return Reply {
                response,
                file: None,
            };
        }
        let response = match self.resolve(request.target, request.accept_encoding) {
            Resolved::File(opened) => {
                let response = response::respond(request, &opened.entity, &self.options);
                let file = response.body.reads_file().then_some(opened.file);
                return Reply { response, file };
            }
            Resolved::Redirect(location) => Response::redirect(&location, head),
            Resolved::Error(status) => Response::error(status, head),
        };
        Reply {
            response,
            file: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fallback_without_openat2_refuses_symlinks_that_leave_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let www = dir.path().join("www");
        std::fs::create_dir_all(www.join("d")).unwrap();
        std::fs::write(www.join("d/in.txt"), "in").unwrap();
        std::fs::write(dir.path().join("secret"), "out").unwrap();
        std::os::unix::fs::symlink("../secret", www.join("out")).unwrap();
        std::os::unix::fs::symlink("d/in.txt", www.join("in")).unwrap();
        let root = Root::open(&www).unwrap();
        let flags = OFlags::RDONLY | OFlags::CLOEXEC;
        let open = |rel: &str| root.open_canonical(Path::new(rel), flags).map(drop);
        assert_eq!(open("./out"), Err(Errno::XDEV));
        assert_eq!(open("./missing"), Err(Errno::NOENT));
        assert_eq!(open("./in"), Ok(()));
        assert_eq!(open("./d/in.txt"), Ok(()));
        assert_eq!(status_of(Errno::XDEV), StatusCode::NOT_FOUND);
    }

    #[test]
    fn target_paths_stay_under_the_root_and_hide_dotfiles() {
        let ok = |t: &str| target_path(t, false).map(|p| p.into_os_string());
        assert_eq!(ok("/a/./b%20c.txt?q=/../x"), Ok("./a/b c.txt".into()));
        assert_eq!(ok("/"), Ok(".".into()));
        assert_eq!(ok("//etc/passwd"), Ok("./etc/passwd".into()));
        for evil in [
            "/../etc/passwd",
            "/a/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc%2Fpasswd",
            "/a/..",
        ] {
            assert_eq!(target_path(evil, true), Err(PathError::Hidden), "{evil}");
        }
        for bad in ["etc/passwd", "/a%00b", "/a%zz", "/a%2", "*"] {
            assert_eq!(target_path(bad, false), Err(PathError::BadTarget), "{bad}");
        }
        assert_eq!(target_path("/.git/config", false), Err(PathError::Hidden));
        assert_eq!(target_path("/a/%2eenv", false), Err(PathError::Hidden));
        assert_eq!(
            target_path("/.well-known/x", true),
            Ok(PathBuf::from("./.well-known/x"))
        );
    }
}
