//! What the client hands to the application.

use std::num::NonZeroU32;

use bytes::Bytes;

use super::ClientError;
use crate::types::{Capabilities, CommandKind, SaslData, Status};

/// One step of output from [`Client::poll_output`](super::Client::poll_output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Write these bytes to the server.
    Transmit(Bytes),
    /// Something the application must see or act on.
    Event(Event),
    /// Nothing more until new input, a timeout or an application call.
    NeedInput,
}

/// Something that happened in the session. Every command ends with exactly one
/// [`Event::Completed`] or [`Event::Failed`] (or a fatal [`Event::Error`]); the data
/// events of a command come before it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The server greeted with `+OK`; the client is in AUTHORIZATION and ready.
    Greeting {
        /// The greeting.
        status: Status<'static>,
        /// The APOP timestamp found in it, brackets included.
        apop_timestamp: Option<String>,
    },
    /// The CAPA listing (before [`Event::Completed`]).
    Capabilities(Capabilities),
    /// The server accepted STLS. Run the TLS handshake now and call
    /// [`Client::tls_established`](super::Client::tls_established); forget the
    /// capabilities learned before (RFC 2595 section 4).
    StartTls,
    /// A `+` challenge of AUTH, decoded. Answer with
    /// [`Client::auth_respond`](super::Client::auth_respond) or
    /// [`Client::auth_cancel`](super::Client::auth_cancel).
    AuthChallenge(SaslData),
    /// The answer to STAT (before [`Event::Completed`]).
    Stat {
        /// Messages in the maildrop.
        count: u64,
        /// Their total size in octets.
        size: u64,
    },
    /// One entry of a LIST answer.
    ListEntry {
        /// Message number.
        msg: NonZeroU32,
        /// Size in octets.
        size: u64,
    },
    /// One entry of a UIDL answer.
    UidlEntry {
        /// Message number.
        msg: NonZeroU32,
        /// Unique id.
        uid: String,
    },
    /// One entry of a LANG listing.
    Language {
        /// Language tag.
        tag: String,
        /// Its description.
        description: String,
    },
    /// Content of a RETR or TOP answer, un-dot-stuffed. Chunk boundaries carry no meaning.
    MessageChunk(Bytes),
    /// The command succeeded (`+OK`, and its multi-line data is complete). After a
    /// successful PASS, APOP or AUTH the client is in TRANSACTION; after QUIT,
    /// [`Event::Closed`] follows.
    Completed {
        /// The command.
        command: CommandKind,
        /// The `+OK` status line.
        status: Status<'static>,
    },
    /// The server answered `-ERR`; the client is ready for the next command (after QUIT,
    /// [`Event::Closed`] follows).
    Failed {
        /// The command (for a login with USER/PASS, `User` or `Pass`).
        command: CommandKind,
        /// The `-ERR` status line.
        status: Status<'static>,
    },
    /// A fatal error; [`Event::Closed`] follows.
    Error(ClientError),
    /// The session is over: close the connection.
    Closed,
}
