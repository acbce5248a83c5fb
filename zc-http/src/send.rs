//! Sending a [`Body`] plan with zc: each file range by `zc::copy_report` (`sendfile(2)` into
//! a socket), the multipart delimiters by plain writes.

use std::fs::File;
use std::future::poll_fn;
use std::io::{self, Seek, SeekFrom};

use crate::response::Body;

/// What [`send_body`] sent of the file: how many ranges, how many bytes, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// File ranges sent: 1, or the parts of a `multipart/byteranges` body.
    pub parts: u32,
    /// File bytes sent, all parts together (the multipart delimiters not counted).
    pub bytes: u64,
    /// Of which by a kernel path.
    pub kernel_bytes: u64,
    /// The copy path of the first part (and of every part when `kernel_bytes == bytes`).
    pub path: zc::CopyPath,
}

impl Sent {
    fn add(&mut self, report: &zc::Report) {
        if self.parts == 0 {
            self.path = report.path();
        }
        self.parts += 1;
        self.bytes += report.bytes();
        self.kernel_bytes += report.kernel_bytes();
    }
}

async fn write_all<Rt, W: zc::Sink<Rt> + ?Sized>(sink: &mut W, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        let n = poll_fn(|cx| sink.poll_write(cx, buf)).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
    }
    Ok(())
}

/// Sends bytes `offset..offset + len` of `file` into `sink` with `zc::copy_report` through
/// `zc::Limited::exact`, seeking first unless `offset` is 0 and `seek` is false.
async fn send_range<Rt, W>(
    file: &mut File,
    offset: u64,
    len: u64,
    seek: bool,
    sink: &mut W,
) -> io::Result<zc::Report>
where
    Rt: zc::Runtime,
    W: zc::Sink<Rt> + ?Sized,
{
    if seek || offset != 0 {
        file.seek(SeekFrom::Start(offset))?;
    }
    let mut range = zc::Limited::exact(file, len);
    Ok(zc::copy_report::<Rt, _, _>(&mut range, sink).await?)
}

/// Sends `body` (the head is the caller's, sent before) into `sink` on runtime `Rt`: a file
/// range by `zc::copy_report`, which takes `sendfile(2)` into a socket whenever it can; a
/// `multipart/byteranges` body part by part, each part head by plain writes and each range
/// by `zc::copy_report`; a text body by plain writes.
///
/// `file` is the file the body reads ([`Reply::file`](crate::Reply::file),
/// [`Opened::file`](crate::Opened::file)), at offset 0 as opened: a body that starts at 0 is
/// sent without a seek. Returns what was sent of the file, `None` for a body that reads
/// none ([`Body::Empty`], [`Body::Text`]).
///
/// # Errors
///
/// The I/O errors of the file or the sink; `UnexpectedEof` when the file is shorter than its
/// plan says (it shrank since it was opened: the response is cut short, and the connection
/// must close, since the client was promised more bytes); `InvalidInput` when the body reads
/// a file and `file` is `None`.
///
/// # Cancel safety
///
/// Not cancel safe: dropped midway, part of the body has been sent, and the connection can
/// only be closed.
///
/// # Examples
///
/// ```
/// # futures_lite::future::block_on(async {
/// use zc_http::{respond, send_body, Entity, Options, Request};
/// let mut file = tempfile::tempfile()?;
/// std::io::Write::write_all(&mut file, b"0123456789")?;
/// let entity = Entity::from_metadata(&file.metadata()?, zc_http::content_type("a.txt".as_ref()));
/// let mut request = Request::new("GET", "/a.txt");
/// request.range = Some("bytes=2-4");
/// let response = respond(&request, &entity, &Options::default());
///
/// std::io::Seek::rewind(&mut file)?;
/// let mut out = Vec::new(); // any zc sink: a TcpStream of tokio, smol, async-std
/// let sent = send_body::<zc::Neutral, _>(&response.body, Some(&mut file), &mut out).await?;
/// assert_eq!(out, b"234");
/// assert_eq!(sent.map(|s| (s.parts, s.bytes)), Some((1, 3)));
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub async fn send_body<Rt, W>(
    body: &Body,
    file: Option<&mut File>,
    sink: &mut W,
) -> io::Result<Option<Sent>>
where
    Rt: zc::Runtime,
    W: zc::Sink<Rt> + ?Sized,
{
    let mut sent = Sent {
        parts: 0,
        bytes: 0,
        kernel_bytes: 0,
        path: zc::CopyPath::Buffered,
    };
    let no_file = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the body reads a file: none given",
        )
    };
    match body {
        Body::Empty => return Ok(None),
        Body::Text(text) => {
            write_all::<Rt, W>(sink, text.as_bytes()).await?;
            return Ok(None);
        }
        Body::File { offset, len } => {
            let file = file.ok_or_else(no_file)?;
            let report = send_range::<Rt, W>(file, *offset, *len, false, sink).await?;
            sent.add(&report);
        }
        Body::Multipart(multipart) => {
            let file = file.ok_or_else(no_file)?;
            for part in &multipart.parts {
                write_all::<Rt, W>(sink, part.head.as_bytes()).await?;
                let report = send_range::<Rt, W>(file, part.offset, part.len, true, sink).await?;
                sent.add(&report);
            }
            write_all::<Rt, W>(sink, multipart.end.as_bytes()).await?;
        }
    }
    Ok(Some(sent))
}
