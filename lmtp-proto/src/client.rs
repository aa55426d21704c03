//! The LMTP client: smtp-proto's [`Client`] in LMTP mode.
//!
//! Build it with [`new`] and [`config`]. It greets with `LHLO` (never falling back to
//! `HELO`), pipelines the envelope when the server offers `PIPELINING` (RFC 2033 requires
//! every LMTP server to), and after
//! [`Client::end_body`] waits for one reply per accepted recipient.
//! [`Event::TransactionComplete`] then holds one [`RecipientResult`] per envelope
//! recipient, in envelope order: `rcpt` is the reply to its `RCPT TO`, and `delivery`
//! the recipient's own reply after the data (`None` if it was not accepted).
//!
//! Everything else is smtp-proto's [`client`](smtp_proto::client) module, re-exported
//! here.

use std::time::Instant;

pub use smtp_proto::client::{
    Client, ClientError, Config, DotStuffer, Envelope, Event, Mode, Output, RecipientResult,
    Timeouts, TransactionResult, Transfer,
};

/// An LMTP client configuration greeting with `hello_domain`, with smtp-proto's default
/// timeouts and reply limits.
pub fn config(hello_domain: impl Into<String>) -> Config {
    Config::lmtp(hello_domain)
}

/// Starts an LMTP client session that waits for the server's greeting. The configuration
/// is forced into LMTP mode.
pub fn new(mut config: Config, now: Instant) -> Client {
    config.mode = Mode::Lmtp;
    Client::new(config, now)
}
