// Only a copy makes a `Progress`: it owns the count of delivered bytes and the per-poll budget.

fn main() {
    let _progress = zc::endpoint::Progress::new(u64::MAX);
}
