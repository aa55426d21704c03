//! What the server machine hands to the application.

use bytes::Bytes;

use crate::types::{Address, MailFrom, RcptTo};

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

/// Which greeting command the client used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelloKind {
    /// `HELO`.
    Helo,
    /// `EHLO`.
    Ehlo,
    /// `LHLO` (LMTP).
    Lhlo,
}

/// How a message body is being transferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// `DATA`, dot-terminated.
    Data,
    /// `BDAT` chunks (RFC 3030).
    Bdat,
}

/// Why the server rejected a message body it had started to stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// A bare CR or bare LF was found (SMTP smuggling defence).
    #[error("message contains a bare CR or LF")]
    BareLineEnding,
    /// A line exceeded [`Limits::max_data_line_length`](super::Limits::max_data_line_length).
    #[error("message line too long")]
    LineTooLong,
    /// The message exceeded [`Limits::max_message_size`](super::Limits::max_message_size).
    #[error("message too big")]
    TooBig,
}

/// Why the session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client sent QUIT (`221` was sent).
    Quit,
    /// A timeout expired (`421 4.4.2` was sent).
    Timeout,
    /// Too many bad commands (`421 4.7.0` was sent).
    TooManyErrors,
    /// The client sent a BDAT line that could not be parsed, so its chunk cannot be
    /// skipped (`421 4.7.0` was sent).
    LostFraming,
    /// The client pipelined more input than allowed while a decision was pending.
    TooMuchInput,
    /// The application called [`Server::close`](super::Server::close).
    Application,
}

/// SASL data from the client, already base64-decoded. `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct SaslData(pub Vec<u8>);

impl std::fmt::Debug for SaslData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SaslData(***)")
    }
}

/// Events. "Decide" events block the machine until the named method is called.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The client greeted (the reply is already queued). Informational.
    Hello {
        /// HELO, EHLO or LHLO.
        kind: HelloKind,
        /// The argument the client gave.
        domain: String,
    },
    /// Decide: `MAIL FROM` passed the protocol checks. With
    /// [`UnknownParams::Ask`](super::UnknownParams::Ask), parameters the server does not
    /// know are in `params.other` for the application to judge. Answer with
    /// [`Server::accept_mail`](super::Server::accept_mail) or
    /// [`Server::reject_mail`](super::Server::reject_mail).
    Mail(MailFrom<'static>),
    /// Decide: `RCPT TO` passed the protocol checks (unknown parameters are in
    /// `params.other`, as for [`Event::Mail`]). Answer with
    /// [`Server::accept_rcpt`](super::Server::accept_rcpt) or
    /// [`Server::reject_rcpt`](super::Server::reject_rcpt).
    Rcpt(RcptTo<'static>),
    /// A message body starts (after `354`, or with the first BDAT chunk). Informational.
    DataStart {
        /// DATA or BDAT.
        kind: BodyKind,
    },
    /// Body bytes, un-dot-stuffed, CRLF line endings. Chunk boundaries carry no meaning.
    /// A long chunk shares memory with the input it came from (it is not copied), so
    /// holding it keeps up to one read's worth of input allocated.
    DataChunk(Bytes),
    /// Decide: the body is complete. SMTP: answer with
    /// [`Server::accept_message`](super::Server::accept_message) or
    /// [`Server::reject_message`](super::Server::reject_message). LMTP: call
    /// [`Server::recipient_reply`](super::Server::recipient_reply) once per recipient, in
    /// this order (or `accept_message`/`reject_message` to answer all remaining at once).
    MessageEnd {
        /// The accepted recipients, in RCPT order.
        recipients: Vec<Address<'static>>,
    },
    /// The server rejected the body that was being streamed and has replied; discard
    /// what was received. The transaction is over. Informational.
    MessageRejected(BodyError),
    /// The current transaction was dropped (RSET, HELO/EHLO, STARTTLS). Informational.
    Reset,
    /// Decide: the client starts `AUTH`. Answer with
    /// [`Server::auth_challenge`](super::Server::auth_challenge),
    /// [`Server::auth_success`](super::Server::auth_success) or
    /// [`Server::auth_failure`](super::Server::auth_failure).
    Auth {
        /// Mechanism name, upper case, one of the configured ones.
        mechanism: String,
        /// The initial response, if the client sent one (`=` is an empty one).
        initial_response: Option<SaslData>,
    },
    /// Decide: the client's answer to a challenge; answer as for [`Event::Auth`].
    AuthResponse(SaslData),
    /// The client cancelled the exchange (`*`) or sent invalid base64; `501` was sent.
    /// Informational.
    AuthCancelled,
    /// `220` was sent for STARTTLS: perform the TLS handshake, then call
    /// [`Server::tls_established`](super::Server::tls_established). Input is ignored
    /// until then; plaintext that came with or after STARTTLS was discarded.
    StartTls,
    /// Decide (with [`LookupPolicy::Ask`](super::LookupPolicy::Ask)): answer VRFY with
    /// [`Server::answer_lookup`](super::Server::answer_lookup).
    Vrfy(String),
    /// Decide (with [`LookupPolicy::Ask`](super::LookupPolicy::Ask)): answer EXPN with
    /// [`Server::answer_lookup`](super::Server::answer_lookup).
    Expn(String),
    /// The session is over: write out all transmits, then close the connection.
    Closed(CloseReason),
}

/// A decision method was called when the machine was not waiting for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecisionError {
    /// The machine is waiting for a different decision, or for none.
    #[error("not waiting for this decision (waiting for: {waiting_for})")]
    Unexpected {
        /// What the machine is waiting for (`"nothing"` if none).
        waiting_for: &'static str,
    },
}
