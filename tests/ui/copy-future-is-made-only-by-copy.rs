// A `CopyFuture` comes only from `zc::copy` and friends, which check both ends: its fields
// (the copy's state and poll function) are private.

fn main() {
    let mut src: &[u8] = b"bytes";
    let mut dst = Vec::new();
    let _copy: zc::CopyFuture<'_, &[u8], Vec<u8>, u64> = zc::CopyFuture {
        src: &mut src,
        dst: &mut dst,
    };
}
