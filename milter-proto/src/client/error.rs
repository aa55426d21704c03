//! Errors of the client state machine.

use crate::codec::DecodeError;
use crate::types::ProtocolFlags;

/// What went wrong in a milter session.
///
/// Errors returned by a method mean the call was refused and nothing changed. Errors in
/// [`Event::Error`](super::Event::Error) are fatal: [`Event::Closed`](super::Event::Closed)
/// follows, the connection to the milter should be closed, and the application applies
/// its policy for an unavailable filter (accept, or fail temporarily).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The method cannot be called in the current state.
    #[error("{operation} is not possible now (the client is {state})")]
    InvalidState {
        /// The refused method.
        operation: &'static str,
        /// The state the client is in.
        state: &'static str,
    },
    /// An argument cannot be sent (it contains NUL, or is too large for a packet).
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    /// The milter sent bytes that are not a valid packet, or a packet over the limit.
    #[error("invalid data from the milter: {0}")]
    Decode(#[from] DecodeError),
    /// The milter sent a valid response that makes no sense at this point.
    #[error("unexpected response {response:?} while waiting for {waiting_for}")]
    UnexpectedResponse {
        /// The response byte.
        response: char,
        /// What the client was waiting for.
        waiting_for: &'static str,
    },
    /// The milter speaks a protocol version outside 2..=6.
    #[error("unsupported milter protocol version {0}")]
    UnsupportedVersion(u32),
    /// The milter asked for protocol flags the client did not offer.
    #[error("milter asked for protocol flags {requested:?} beyond the offered {offered:?}")]
    UnsupportedProtocolFlags {
        /// The flags it asked for.
        requested: ProtocolFlags,
        /// The flags offered.
        offered: ProtocolFlags,
    },
    /// The milter sent a modification it did not negotiate.
    #[error("milter sent modification {response:?} without negotiating it")]
    ActionNotNegotiated {
        /// The response byte.
        response: char,
    },
    /// The modifications of one message exceed the configured count or size.
    #[error("milter sent more modifications than allowed ({limit})")]
    TooManyModifications {
        /// The limit that was exceeded, as configured.
        limit: usize,
    },
    /// The milter sent bytes when no response was outstanding.
    #[error("milter sent data when no response was expected")]
    UnexpectedData,
    /// No response within the configured time.
    #[error("timed out waiting for {waiting_for}")]
    Timeout {
        /// What the client was waiting for.
        waiting_for: &'static str,
    },
}
