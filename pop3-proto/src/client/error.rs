//! Errors of the client state machine.

use std::borrow::Cow;

use crate::types::Status;

/// What went wrong in a client session.
///
/// Errors returned by a method mean the call was refused and nothing changed. Errors in
/// [`Event::Error`](super::Event::Error) are fatal: [`Event::Closed`](super::Event::Closed)
/// follows and the connection should be closed.
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
    /// An argument cannot be sent (e.g. it contains CR or LF).
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    /// APOP was requested but the greeting carried no timestamp.
    #[error("the server's greeting has no APOP timestamp")]
    NoApopTimestamp,
    /// The server sent bytes that are not a valid response.
    #[error("invalid response from server: {reason}")]
    InvalidResponse {
        /// What is wrong.
        reason: Cow<'static, str>,
    },
    /// A response line exceeded [`Config::max_line_length`](super::Config::max_line_length).
    #[error("response line longer than {limit} octets")]
    LineTooLong {
        /// The limit in force.
        limit: usize,
    },
    /// The server sent bytes when no response was outstanding.
    #[error("server sent data when no response was expected")]
    UnexpectedData,
    /// The server sent bytes after its `+OK` to STLS, before the TLS handshake (a
    /// plaintext injection attempt, cf. CVE-2011-0411).
    #[error("server sent data after accepting STLS, before the TLS handshake")]
    DataBeforeTls,
    /// The greeting was `-ERR`.
    #[error("server refused the session: {}", .0.text)]
    GreetingRejected(Status<'static>),
    /// No response within the configured time.
    #[error("timed out waiting for {waiting_for}")]
    Timeout {
        /// What the client was waiting for, e.g. `"RETR response"`.
        waiting_for: &'static str,
    },
}
