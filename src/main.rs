//! The `poller` command-line tool. Until the CLI issue lands it only prints its version.

fn main() {
    println!("poller {}", env!("CARGO_PKG_VERSION"));
}
