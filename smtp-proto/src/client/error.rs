//! Errors of the client state machine.

use crate::types::Reply;
use std::borrow::Cow;

/// What went wrong in a client session.
///
/// Errors returned by a method mean the call was refused and nothing changed. Errors in
/// [`Event::Error`](super::Event::Error) are fatal: the session is closed after them.
/// Errors in [`Event::MessageRefused`](super::Event::MessageRefused) refuse one message;
/// the session stays usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The method cannot be called in the current state.
    #[error("{operation} is not possible now (client is {state})")]
    InvalidState {
        /// The refused method.
        operation: &'static str,
        /// The state the client is in.
        state: &'static str,
    },
    /// The server did not announce an extension the request needs.
    #[error("the server does not offer {0}")]
    NotOffered(Cow<'static, str>),
    /// The message is larger than the server's `SIZE` limit.
    #[error("message of {size} octets exceeds the server's limit of {limit}")]
    MessageTooLarge {
        /// Size given by the application.
        size: u64,
        /// The server's announced limit.
        limit: u64,
    },
    /// A message needs at least one recipient.
    #[error("a message needs at least one recipient")]
    NoRecipients,
    /// `BODY=BINARYMIME` can only be sent with BDAT (RFC 3030).
    #[error("BODY=BINARYMIME requires BDAT")]
    BinaryNeedsBdat,
    /// The server sent bytes that are not a valid reply.
    #[error("invalid reply from server: {reason}")]
    InvalidReply {
        /// What is wrong.
        reason: Cow<'static, str>,
    },
    /// The server sent a reply when none was expected.
    #[error("unexpected reply from server: {} {}", .0.code, .0.text())]
    UnexpectedReply(Reply<'static>),
    /// The server sent bytes after its 220 reply to STARTTLS, before the TLS handshake
    /// (a plaintext injection attempt, cf. CVE-2011-0411).
    #[error("server sent data after accepting STARTTLS, before the TLS handshake")]
    DataBeforeTls,
    /// An AUTH challenge was not valid base64.
    #[error("invalid base64 in AUTH challenge")]
    InvalidChallenge,
    /// No reply within the configured time.
    #[error("timed out waiting for {waiting_for}")]
    Timeout {
        /// What the client was waiting for, e.g. `"reply to DATA"`.
        waiting_for: &'static str,
    },
    /// The server's greeting was not 220 (typically 554).
    #[error("server refused the session: {} {}", .0.code, .0.text())]
    GreetingRejected(Reply<'static>),
    /// The server refused EHLO/HELO/LHLO.
    #[error("server refused the greeting command: {} {}", .0.code, .0.text())]
    HelloRejected(Reply<'static>),
    /// The server is closing the connection (421).
    #[error("server is closing the connection: {} {}", .0.code, .0.text())]
    ServiceClosing(Reply<'static>),
}
