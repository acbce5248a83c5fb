//! Wrappers that change how a source is read, and keep the kernel path, each in its file: a
//! limit ([`Limited`]), a buffered reader ([`BufReader`]), and a bridge for any `futures_io`
//! stream ([`FuturesIo`]).
//!
//! [`Limited`] and [`BufReader`] are [`SourceWrapper`](crate::adapter::SourceWrapper)s: their
//! [`Source`](crate::Source) impls are the ones the runtimes' `BufReader` and `Take` share.

/// The [`SourceWrapper`](crate::adapter::SourceWrapper) accessors of a wrapper whose field
/// `inner` is the wrapped source of type `$inner`.
macro_rules! inner_field {
    ($inner:ident) => {
        type Inner = $inner;

        fn inner(&self) -> &$inner {
            &self.inner
        }

        fn inner_mut(&mut self) -> &mut $inner {
            &mut self.inner
        }
    };
}

mod buf_reader;
mod futures_io;
mod limited;

pub use buf_reader::BufReader;
pub use futures_io::FuturesIo;
pub use limited::Limited;
