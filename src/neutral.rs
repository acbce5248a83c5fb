//! [`copy`], [`copy_report`] and [`copy_strict`] for a copy between two runtime-neutral ends
//! (`std::fs::File`, `&[u8]`, `Vec<u8>`, [`FuturesIo`](crate::FuturesIo),
//! [`Limited`](crate::Limited) or [`BufReader`](crate::BufReader) around them).
//!
//! [`zc::copy`](crate::copy) infers the runtime marker from whichever end belongs to a
//! runtime. When neither does, there is nothing to infer it from, and the compiler stops with
//! `E0283` ("type annotations needed"), a list of the types that implement
//! [`Runtime`](crate::Runtime) (`Neutral` among them) and a suggestion, `zc::copy::<Rt, ..>`,
//! that does not say which one fits. The functions here are the same copies with the marker fixed to
//! [`Neutral`]: `zc::neutral::copy(&mut a, &mut b)` is `zc::copy::<zc::Neutral, _, _>(&mut a,
//! &mut b)`.
//!
//! # Examples
//!
//! ```
//! # futures_lite::future::block_on(async {
//! let mut file = tempfile::tempfile()?;
//! std::io::Write::write_all(&mut file, b"hello")?;
//! std::io::Seek::rewind(&mut file)?;
//! let mut out = Vec::new();
//! let n = zc::neutral::copy(&mut file, &mut out).await?; // no turbofish
//! assert_eq!((n, &out[..]), (5, &b"hello"[..]));
//! # std::io::Result::Ok(()) }).unwrap();
//! ```

use std::io;

use crate::{CopyError, CopyFuture, Neutral, Report, Sink, Source};

/// Each function here is zc's function of the same name with `Rt = Neutral`.
macro_rules! neutral {
    ($($(#[$doc:meta])* fn $name:ident -> $output:ty;)*) => {$(
        $(#[$doc])*
        pub fn $name<'a, S, D>(src: &'a mut S, dst: &'a mut D) -> CopyFuture<'a, S, D, $output>
        where
            S: Source<Neutral> + ?Sized,
            D: Sink<Neutral> + ?Sized,
        {
            crate::$name::<Neutral, S, D>(src, dst)
        }
    )*};
}

neutral! {
    /// [`zc::copy`](crate::copy) between two runtime-neutral ends: the bytes delivered.
    ///
    /// # Errors
    ///
    /// As [`zc::copy`](crate::copy): the first error of either end, untouched.
    ///
    /// # Cancel safety
    ///
    /// As [`zc::copy`](crate::copy).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let mut out = Vec::new();
    /// assert_eq!(zc::neutral::copy(&mut &b"bytes"[..], &mut out).await?, 5);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    fn copy -> io::Result<u64>;

    /// [`zc::copy_report`](crate::copy_report) between two runtime-neutral ends: which path
    /// moved the bytes.
    ///
    /// # Errors
    ///
    /// As [`zc::copy_report`](crate::copy_report): a [`CopyError`] with the cause and the
    /// bytes delivered before it.
    ///
    /// # Cancel safety
    ///
    /// As [`zc::copy`](crate::copy).
    ///
    /// # Examples
    ///
    /// ```
    /// # futures_lite::future::block_on(async {
    /// let mut src = tempfile::tempfile()?;
    /// std::io::Write::write_all(&mut src, b"hello, kernel")?;
    /// std::io::Seek::rewind(&mut src)?;
    /// let mut dst = tempfile::tempfile()?;
    /// let report = zc::neutral::copy_report(&mut src, &mut dst).await?;
    /// assert_eq!(report.bytes(), 13);
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
    /// ```
    fn copy_report -> Result<Report, CopyError>;

    /// [`zc::copy_strict`](crate::copy_strict) between two runtime-neutral ends: only kernel
    /// paths, else `ErrorKind::Unsupported`.
    ///
    /// # Errors
    ///
    /// As [`zc::copy_strict`](crate::copy_strict).
    ///
    /// # Cancel safety
    ///
    /// As [`zc::copy`](crate::copy).
    fn copy_strict -> Result<Report, CopyError>;
}
