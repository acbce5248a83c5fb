//! Compile-fail cases for the facade crate `zc-copy` (library `zc`) built with none of its
//! runtime features: a runtime's type must not be a zc endpoint then, and the error must say
//! which feature to enable. The cases are in `tests/ui/`; see `tests/README.md` at the
//! workspace root.
#![forbid(unsafe_code)]
