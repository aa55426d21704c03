//! An LMTP sink: accepts mail for anyone and writes each message to a directory.
//!
//! ```text
//! cargo run -p lmtp-proto --features tokio --example lmtp-sink -- --listen 127.0.0.1:2424 --out DIR
//! ```
//!
//! One file `DIR/<n>.eml` per message (not per recipient), with a `Received: ... with
//! LMTP` header prepended, fsync'd and renamed into place before the replies; then one
//! `250` per recipient, in RCPT order. It takes the same options as smtp-proto's `sink`
//! example (`--stdio`, `--tls-cert`, `--tls-key`, `--hostname`), whose serving code it
//! reuses with [`lmtp_proto::server::config`].

#[path = "../../smtp-proto/examples/sink.rs"]
#[allow(dead_code, unreachable_pub)]
mod sink;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    sink::main_with(lmtp_proto::server::config)
}
