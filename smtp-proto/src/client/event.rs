//! What the client hands to the application: bytes to write and events to act on.

use super::ClientError;
use crate::types::{EhloReply, Reply};
use bytes::Bytes;

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

/// Something that happened in the session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The server greeted with 220; the client is sending EHLO (or LHLO) by itself.
    Greeting(Reply<'static>),
    /// EHLO/LHLO (or the HELO fallback) succeeded: the client is ready for commands.
    Ready {
        /// The server's name and capabilities (none after HELO).
        hello: EhloReply<'static>,
        /// `false` when the server only accepted HELO (no ESMTP extensions).
        extended: bool,
    },
    /// The server answered STARTTLS with 220. Run the TLS handshake on the connection now
    /// and call [`Client::tls_established`](super::Client::tls_established) when done.
    StartTls,
    /// The server refused STARTTLS; the session continues without TLS.
    StartTlsRefused(Reply<'static>),
    /// A 334 challenge, base64-decoded. Answer with
    /// [`Client::auth_respond`](super::Client::auth_respond) or
    /// [`Client::auth_cancel`](super::Client::auth_cancel).
    AuthChallenge(Vec<u8>),
    /// Authentication succeeded (235).
    AuthSucceeded(Reply<'static>),
    /// Authentication failed or was cancelled (4xx/5xx).
    AuthFailed(Reply<'static>),
    /// The reply to `MAIL FROM`.
    MailReply(Reply<'static>),
    /// The reply to the `RCPT TO` of recipient `index` (position in the envelope).
    Recipient {
        /// Position of the recipient in [`Envelope::recipients`](super::Envelope::recipients).
        index: usize,
        /// The server's reply; 2xx means accepted.
        reply: Reply<'static>,
    },
    /// The server is ready for the body: call
    /// [`Client::send_body_chunk`](super::Client::send_body_chunk) and
    /// [`Client::end_body`](super::Client::end_body). With BDAT this comes again after
    /// each chunk is acknowledged; send the next chunk only then.
    SendBody,
    /// The transaction is over (delivered, partly delivered or failed) and the client is
    /// ready for the next command.
    TransactionComplete(TransactionResult),
    /// A message was refused by the client before anything was sent; still ready.
    MessageRefused(ClientError),
    /// The reply to an application's RSET.
    Reset(Reply<'static>),
    /// The reply to NOOP.
    Noop(Reply<'static>),
    /// A fatal error; [`Event::Closed`] follows.
    Error(ClientError),
    /// The session is over (after QUIT or a fatal error): close the connection.
    Closed,
}

/// The outcome of one mail transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionResult {
    /// The reply to `MAIL FROM`.
    pub mail: Reply<'static>,
    /// One entry per recipient, in envelope order.
    pub recipients: Vec<RecipientResult>,
    /// The reply that concluded the data phase for the whole message: the final reply
    /// after the body (SMTP), a refused `DATA`/`BDAT`, or, when no recipient was accepted
    /// and the pipelined DATA got 354, the reply to the empty message the client sent to
    /// close it. `None` when the data phase never started (MAIL refused, no recipient
    /// accepted without pipelining) and, in LMTP, when every recipient got its own reply.
    pub data: Option<Reply<'static>>,
}

impl TransactionResult {
    /// Number of recipients the message was delivered to (or accepted for relay).
    pub fn delivered_count(&self) -> usize {
        self.recipients.iter().filter(|r| r.is_delivered()).count()
    }
}

/// The outcome for one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RecipientResult {
    /// The reply to its `RCPT TO`; `None` when the command was not sent (MAIL refused).
    pub rcpt: Option<Reply<'static>>,
    /// For an accepted recipient whose message was sent: the final reply that applies to
    /// it (in LMTP its own reply, in SMTP the single reply to the data).
    pub delivery: Option<Reply<'static>>,
}

impl RecipientResult {
    /// Whether the recipient was accepted by `RCPT TO`.
    pub fn is_accepted(&self) -> bool {
        self.rcpt.as_ref().is_some_and(Reply::is_positive)
    }

    /// Whether the server took responsibility for the message for this recipient.
    pub fn is_delivered(&self) -> bool {
        self.delivery.as_ref().is_some_and(Reply::is_positive)
    }
}
