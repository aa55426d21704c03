//! Errors of the client state machine.

use std::borrow::Cow;

use crate::types::Tag;

/// What went wrong in a client session.
///
/// Returned by a method, the call was refused and nothing changed. Inside
/// [`Event::Error`](super::Event::Error) the error is fatal: [`Event::Closed`](super::Event::Closed)
/// follows and the connection should be closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The method cannot be called now.
    #[error("{operation} is not possible now ({reason})")]
    InvalidState {
        /// The refused method.
        operation: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The client does not implement this command.
    #[error("the client does not support {0}")]
    Unsupported(&'static str),
    /// The server's first response was not `* OK`, `* PREAUTH` or `* BYE`.
    #[error("invalid greeting from server: {excerpt:?}")]
    InvalidGreeting {
        /// The start of what the server sent.
        excerpt: String,
    },
    /// The server sent bytes that are not a valid response.
    #[error("invalid response from server ({reason}): {excerpt:?}")]
    InvalidResponse {
        /// What is wrong.
        reason: Cow<'static, str>,
        /// The start of the offending response.
        excerpt: String,
    },
    /// A response exceeds the configured limits (line, literal or whole response).
    #[error("response from server exceeds the limits: {0}")]
    ResponseTooLarge(Cow<'static, str>),
    /// A `+` continuation arrived while no command waited for one.
    #[error("unexpected continuation request from server: {excerpt:?}")]
    UnexpectedContinuation {
        /// The continuation line.
        excerpt: String,
    },
    /// A tagged response names a tag that no command in flight has.
    #[error("tagged response for unknown tag {0}")]
    UnknownTag(Tag<'static>),
    /// An AUTHENTICATE challenge was not base64.
    #[error("AUTHENTICATE challenge is not base64: {excerpt:?}")]
    InvalidChallenge {
        /// The challenge line.
        excerpt: String,
    },
    /// The server sent bytes after accepting STARTTLS and before the TLS handshake (a
    /// plaintext injection attempt, cf. CVE-2011-0411 and CVE-2021-33515).
    #[error("server sent data after accepting STARTTLS, before the TLS handshake")]
    DataBeforeTls,
    /// Nothing came from the server in time.
    #[error("timed out waiting for {waiting_for}")]
    Timeout {
        /// The command that timed out; `None` for the greeting.
        tag: Option<Tag<'static>>,
        /// What the client was waiting for, e.g. `"the completion of FETCH"`.
        waiting_for: Cow<'static, str>,
    },
}

/// The first bytes of a response, for error messages.
pub(super) fn excerpt(bytes: &[u8]) -> String {
    const MAX: usize = 80;
    let end = bytes.len().min(MAX);
    let text = String::from_utf8_lossy(&bytes[..end]);
    let text = text.trim_end_matches(['\r', '\n']);
    if bytes.len() > MAX {
        format!("{text}...")
    } else {
        text.to_owned()
    }
}
