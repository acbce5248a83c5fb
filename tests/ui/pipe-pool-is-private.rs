// The splice pipe pool is zc's own: it is observed through `zc::diagnostics`, never borrowed.

fn main() {
    let _pipe = zc::sys::Pipe::take();
}
