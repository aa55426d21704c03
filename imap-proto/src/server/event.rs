//! What the server machine hands to the application, and how it is answered.

use bytes::Bytes;

use crate::types::{Capability, Code, Command, DateTime, Flag, Mailbox, RespText, StatusKind, Tag};

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

/// SASL data from the client, already base64-decoded. `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct SaslData(pub Vec<u8>);

impl std::fmt::Debug for SaslData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SaslData(***)")
    }
}

/// The head of one APPEND message, before its data is streamed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendMessageInfo {
    /// The APPEND command's tag.
    pub tag: Tag<'static>,
    /// The target mailbox.
    pub mailbox: Mailbox<'static>,
    /// Position of the message in the command (0 for the first; MULTIAPPEND counts up).
    pub index: usize,
    /// Flags to set.
    pub flags: Vec<Flag<'static>>,
    /// Internal date to set.
    pub date: Option<DateTime>,
    /// Size of the message in octets.
    pub length: u32,
    /// Sent as literal8 (`~{n}`, BINARY) or `UTF8 (~{n})`.
    pub binary: bool,
    /// Sent as `UTF8 (~{n})` (RFC 6855).
    pub utf8: bool,
}

/// Why the session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client sent LOGOUT (`* BYE` and the tagged OK were sent).
    Logout,
    /// The greeting was `* BYE` ([`GreetingKind::Bye`](super::GreetingKind::Bye)).
    Refused,
    /// An inactivity timeout expired (`* BYE Autologout`).
    Timeout,
    /// Too many bad commands.
    TooManyErrors,
    /// Too many failed authentication attempts.
    TooManyAuthFailures,
    /// A line or command exceeded the limits, or a non-synchronising literal was too
    /// large: the end of the command could not be found.
    TooLong,
    /// The client sent more input than allowed while a decision was pending.
    TooMuchInput,
    /// The application called [`Server::close`](super::Server::close).
    Application,
}

/// Events. "Decide" events block the machine until the named method is called.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Decide: a command for the application, valid in the current state. Send its data
    /// with [`Server::send_untagged`](super::Server::send_untagged), then end it with
    /// [`Server::complete`](super::Server::complete). LOGIN, SELECT, EXAMINE, CLOSE and
    /// UNSELECT change the state when completed with OK (and SELECT/EXAMINE with NO).
    Command(Command<'static>),
    /// The client polls with NOOP (or CHECK in IMAP4rev1). Push pending updates with
    /// [`Server::push_unsolicited`](super::Server::push_unsolicited) before the next
    /// `poll_output`; the machine then answers `OK`. Informational.
    Noop {
        /// The command's tag.
        tag: Tag<'static>,
    },
    /// Decide: the client starts AUTHENTICATE with a configured mechanism. Answer with
    /// [`Server::auth_challenge`](super::Server::auth_challenge),
    /// [`Server::auth_success`](super::Server::auth_success) or
    /// [`Server::auth_failure`](super::Server::auth_failure).
    Authenticate {
        /// The command's tag.
        tag: Tag<'static>,
        /// Mechanism name, upper case, one of [`Config::auth_mechanisms`](super::Config).
        mechanism: String,
        /// The SASL-IR initial response (`=` is an empty one).
        initial_response: Option<SaslData>,
    },
    /// Decide: the client's answer to a challenge; answer as for [`Event::Authenticate`].
    AuthResponse(SaslData),
    /// The client cancelled the exchange (`*`) or sent invalid base64; `tag BAD` was
    /// sent. Informational.
    AuthCancelled,
    /// Decide (with [`LiteralPolicy::Ask`](super::LiteralPolicy::Ask)): the client
    /// announced a synchronising literal within the limits and waits. Answer with
    /// [`Server::accept_literal`](super::Server::accept_literal) (`+` is sent) or
    /// [`Server::reject_literal`](super::Server::reject_literal).
    Literal {
        /// The command's tag, if readable.
        tag: Option<Tag<'static>>,
        /// The command name (upper case), if readable.
        command: Option<String>,
        /// Announced size.
        length: u32,
        /// `~{n}` literal8.
        binary: bool,
    },
    /// Decide: an APPEND message follows (its size is within
    /// [`Limits::max_append_size`](super::Limits::max_append_size)). Answer with
    /// [`Server::accept_literal`](super::Server::accept_literal) to receive it as
    /// [`Event::AppendChunk`]s, or [`Server::reject_literal`](super::Server::reject_literal)
    /// (e.g. `NO [TRYCREATE]`), which ends the command with that status.
    AppendMessage(AppendMessageInfo),
    /// Message data of the current APPEND message. Chunk boundaries carry no meaning.
    AppendChunk(Bytes),
    /// Decide: all messages of the APPEND were received. Store them atomically and
    /// answer with [`Server::complete`](super::Server::complete) (`OK [APPENDUID ...]`).
    AppendEnd {
        /// The command's tag.
        tag: Tag<'static>,
    },
    /// The APPEND in progress ended without [`Event::AppendEnd`] (refused, bad syntax,
    /// or a limit); its status was sent. Discard what was received. Informational.
    AppendAborted,
    /// The client enabled these extensions with ENABLE (newly enabled only).
    /// Informational.
    Enabled(Vec<Capability<'static>>),
    /// IDLE started (`+ idling` was sent): push updates with
    /// [`Server::push_unsolicited`](super::Server::push_unsolicited). Informational.
    IdleStart,
    /// The client ended IDLE (the tagged OK is queued). Informational.
    IdleDone,
    /// The STARTTLS `OK` is queued before this event: write it, perform the TLS
    /// handshake, then call [`Server::tls_established`](super::Server::tls_established).
    /// Plaintext received after the STARTTLS line was discarded.
    StartTls,
    /// Decide: the client asks for `COMPRESS DEFLATE` (RFC 4978; offered in
    /// [`Config::extensions`](super::Config::extensions), authenticated or selected, not
    /// yet active). Answer with
    /// [`Server::accept_compression`](super::Server::accept_compression) or
    /// [`Server::reject_compression`](super::Server::reject_compression).
    Compress {
        /// The command's tag.
        tag: Tag<'static>,
    },
    /// The COMPRESS `OK` was queued before this event as the last uncompressed bytes:
    /// write it, then start the deflate layer (raw DEFLATE, RFC 1951, no zlib header).
    /// Deflate every later transmit (flushing at the end of each, e.g. a zlib sync
    /// flush) and inflate everything read from the client before passing it to
    /// [`Server::handle_input`](super::Server::handle_input).
    StartCompression {
        /// Client bytes received after the COMPRESS line: the start of the compressed
        /// stream. Inflate them first and feed the result back.
        pending: Bytes,
    },
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
    /// The session is not in a state where this response can be sent.
    #[error("cannot send this now: {reason}")]
    NotNow {
        /// Why.
        reason: &'static str,
    },
}

/// A command result chosen by the application; the machine adds the tag.
///
/// Text with CR, LF or NUL is cleaned (replaced by spaces), so building one cannot fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    kind: StatusKind,
    code: Option<Code<'static>>,
    text: String,
}

impl Status {
    /// `OK text`.
    pub fn ok(text: impl Into<String>) -> Self {
        Self::new(StatusKind::Ok, text)
    }

    /// `NO text`.
    pub fn no(text: impl Into<String>) -> Self {
        Self::new(StatusKind::No, text)
    }

    /// `BAD text`.
    pub fn bad(text: impl Into<String>) -> Self {
        Self::new(StatusKind::Bad, text)
    }

    /// A status of the given kind.
    pub fn new(kind: StatusKind, text: impl Into<String>) -> Self {
        Self {
            kind,
            code: None,
            text: text.into(),
        }
    }

    /// Adds a response code (`[TRYCREATE]`, `[APPENDUID ...]`, ...).
    #[must_use]
    pub fn with_code(mut self, code: Code<'static>) -> Self {
        self.code = Some(code);
        self
    }

    /// OK, NO or BAD.
    pub fn kind(&self) -> StatusKind {
        self.kind
    }

    /// The response code, if any.
    pub fn code(&self) -> Option<&Code<'static>> {
        self.code.as_ref()
    }

    /// Adds `code` unless a code is already set.
    pub(crate) fn or_code(mut self, code: impl FnOnce() -> Code<'static>) -> Self {
        if self.code.is_none() {
            self.code = Some(code());
        }
        self
    }

    /// The response text, cleaned so that it is always valid.
    pub(crate) fn resp_text(&self) -> RespText<'static> {
        let mut text: String = self
            .text
            .chars()
            .map(|c| {
                if matches!(c, '\r' | '\n' | '\0') {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        if self.code.is_none() && text.starts_with('[') {
            text.replace_range(0..1, "(");
        }
        RespText::new(self.code.clone(), text.clone())
            .or_else(|_| RespText::new(self.code.clone(), String::new()))
            .unwrap_or_default()
    }
}
