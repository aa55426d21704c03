//! Postroom reference server (placeholder until the server issue lands).
fn main() {}
