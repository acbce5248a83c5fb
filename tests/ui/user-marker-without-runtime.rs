// A runtime marker of one's own must implement `zc::Runtime`, through which every copy takes
// part in the runtime's cooperative budget.

struct MyRuntime;

async fn send(src: &mut std::fs::File, dst: &mut Vec<u8>) -> std::io::Result<u64> {
    zc::copy::<MyRuntime, _, _>(src, dst).await
}

fn main() {}
