//! What the server machine hands to the application.

use std::num::NonZeroU32;

use bytes::Bytes;

use crate::types::{ApopDigest, Password, SaslData};

/// One step of output; see the module docs for the drain order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Bytes to write to the client, in order.
    Transmit(Bytes),
    /// Something the application must see or decide.
    Event(Event),
    /// Nothing more until new input, a timeout, or the answer to a pending decision.
    NeedInput,
}

/// Why the session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client sent QUIT (after UPDATE, if it was in TRANSACTION).
    Quit,
    /// A timeout expired; deletions were not committed.
    Timeout,
    /// Too many bad commands.
    TooManyErrors,
    /// The client pipelined more input than allowed while a decision was pending.
    TooMuchInput,
    /// The application called [`Server::close`](super::Server::close).
    Application,
}

/// Events. "Decide" events block the machine until one of the named methods is called.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Decide: `USER` then `PASS`. Check the credentials, then call
    /// [`Server::accept_login`](super::Server::accept_login) or
    /// [`Server::reject_login`](super::Server::reject_login).
    Login {
        /// The name given with `USER`.
        user: String,
        /// The password given with `PASS`.
        password: Password<'static>,
    },
    /// Decide: `APOP`. Check with [`ApopDigest::verify`] against `timestamp` and the
    /// user's secret, then answer as for [`Event::Login`].
    Apop {
        /// The mailbox name.
        user: String,
        /// The timestamp of this session's greeting, brackets included.
        timestamp: String,
        /// The client's digest.
        digest: ApopDigest,
    },
    /// Decide: `AUTH` (RFC 5034). Answer with
    /// [`Server::auth_challenge`](super::Server::auth_challenge),
    /// [`Server::auth_success`](super::Server::auth_success) or
    /// [`Server::auth_failure`](super::Server::auth_failure).
    Auth {
        /// Mechanism name, upper case, one of those offered.
        mechanism: String,
        /// The initial response, if the client sent one (`=` is an empty one).
        initial_response: Option<SaslData>,
    },
    /// Decide: the client's answer to a challenge; answer as for [`Event::Auth`].
    AuthResponse(SaslData),
    /// The client cancelled the exchange (`*`) or sent invalid base64; `-ERR` was sent.
    /// Informational.
    AuthCancelled,
    /// Decide: the user is authenticated; lock and list the maildrop, then call
    /// [`Server::maildrop_ready`](super::Server::maildrop_ready),
    /// [`Server::maildrop_in_use`](super::Server::maildrop_in_use) or
    /// [`Server::maildrop_failed`](super::Server::maildrop_failed).
    OpenMaildrop {
        /// The authenticated user (the `USER`/`APOP` name, or the AUTH identity).
        user: String,
    },
    /// Decide: send message `msg` (1-based, as in the listing). Stream its content with
    /// [`Server::message_chunk`](super::Server::message_chunk) and end with
    /// [`Server::message_end`](super::Server::message_end), or refuse it with
    /// [`Server::message_unavailable`](super::Server::message_unavailable) before the
    /// first chunk. The machine dot-stuffs, and for `TOP` cuts the message itself.
    Retrieve {
        /// The message number.
        msg: NonZeroU32,
        /// `Some(n)` for `TOP msg n`.
        top: Option<u32>,
    },
    /// Decide: the client sent QUIT in TRANSACTION: remove these messages (possibly
    /// none), release the maildrop, then call
    /// [`Server::update_complete`](super::Server::update_complete) or
    /// [`Server::update_failed`](super::Server::update_failed).
    Update {
        /// Messages marked as deleted, in ascending order.
        deleted: Vec<NonZeroU32>,
    },
    /// `+OK` was sent for STLS: perform the TLS handshake, then call
    /// [`Server::tls_established`](super::Server::tls_established). Input is ignored
    /// until then; bytes that came with or after STLS were discarded.
    StartTls,
    /// The session is over: write out all transmits, then close the connection. If it
    /// ended in TRANSACTION without [`Event::Update`], release the maildrop lock and
    /// delete nothing.
    Closed(CloseReason),
}

/// A decision method was called when the machine was not waiting for it, or with an
/// answer it cannot use. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecisionError {
    /// The machine is waiting for a different decision, or for none.
    #[error("not waiting for this decision (waiting for: {waiting_for})")]
    Unexpected {
        /// What the machine is waiting for (`"nothing"` if none).
        waiting_for: &'static str,
    },
    /// The maildrop listing given to `maildrop_ready` is not usable.
    #[error("invalid maildrop listing: {reason}")]
    InvalidListing {
        /// What is wrong.
        reason: String,
    },
    /// The message has started streaming; it can only be ended or the session closed.
    #[error("the message has already started")]
    MessageStarted,
}

/// A message of the maildrop as the application lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    /// Exact size in octets as sent (CRLF line endings, before dot-stuffing).
    pub size: u64,
    /// Unique id: 1 to 70 characters in 0x21..=0x7E, stable across sessions (RFC 1939).
    pub uid: String,
}

impl MessageInfo {
    /// A listing entry.
    pub fn new(size: u64, uid: impl Into<String>) -> Self {
        Self {
            size,
            uid: uid.into(),
        }
    }
}
