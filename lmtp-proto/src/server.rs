//! The LMTP server: smtp-proto's [`Server`] in LMTP mode.
//!
//! Build it with [`new`] and [`config`]. The session differs from SMTP in two ways
//! (RFC 2033 section 4): the client must greet with `LHLO` (`HELO`/`EHLO` get `500`), and
//! [`Event::MessageEnd`] is answered with [`Server::recipient_reply`] once per recipient,
//! in the order of its `recipients` (the order of the accepted `RCPT` commands).
//! [`Server::accept_message`] / [`Server::reject_message`] answer all remaining
//! recipients at once. A body the server itself rejects (too big, bare line endings)
//! gets the same error once per recipient. If no recipient was accepted, `DATA` gets
//! `503 5.5.1` as RFC 2033 section 4.2 requires.
//!
//! Everything else (driving contract, events, limits) is smtp-proto's
//! [`server`](smtp_proto::server) module, re-exported here.

use std::time::Instant;

pub use smtp_proto::server::{
    BareLineEndings, BodyError, BodyKind, CloseReason, Config, DecisionError, Event, Extensions,
    HelloKind, Limits, LookupPolicy, Mode, Output, SaslData, Server, Timeouts, UnknownParams,
};

/// An LMTP server configuration with defaults for a local delivery hop: LMTP mode,
/// `PIPELINING` and `ENHANCEDSTATUSCODES` (both required by RFC 2033 section 5),
/// `8BITMIME`, `SMTPUTF8`, `CHUNKING`, `SIZE`; no STARTTLS, AUTH or DSN until enabled.
pub fn config(hostname: impl Into<String>) -> Config {
    let mut config = Config::lmtp(hostname);
    config.extensions = Extensions {
        pipelining: true,
        size: true,
        eight_bit_mime: true,
        binary_mime: true,
        chunking: true,
        smtputf8: true,
        dsn: false,
        starttls: false,
        requiretls: false,
    };
    config
}

/// Starts an LMTP session (the `220` greeting is the first output). The configuration is
/// forced into LMTP mode with `PIPELINING` on, whatever it said.
pub fn new(mut config: Config, now: Instant) -> Server {
    config.mode = Mode::Lmtp;
    config.extensions.pipelining = true;
    Server::new(config, now)
}
