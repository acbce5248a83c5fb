// `CopyPath` is non-exhaustive: a new kernel path may be added, so a match needs a `_` arm.

fn describe(path: zc::CopyPath) -> &'static str {
    match path {
        zc::CopyPath::Sendfile | zc::CopyPath::Splice | zc::CopyPath::CopyFileRange => "kernel",
        zc::CopyPath::WriterTo | zc::CopyPath::ReaderFrom | zc::CopyPath::Buffered => "user space",
    }
}

fn main() {
    let _ = describe(zc::CopyPath::Splice);
}
