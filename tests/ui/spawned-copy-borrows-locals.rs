// A spawned task outlives the function that spawned it: it cannot borrow that function's
// streams. Move them into the task.

async fn serve(mut file: tokio::fs::File, mut socket: tokio::net::TcpStream) {
    tokio::spawn(zc::copy(&mut file, &mut socket));
}

fn main() {}
