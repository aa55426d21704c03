//! What the client hands to the application.

use bytes::Bytes;

use super::error::ClientError;
use crate::types::{Actions, MacroRequest, MacroStage, ProtocolFlags, Reply, Verdict, bare_name};

/// The next thing the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Write these bytes to the milter.
    Transmit(Bytes),
    /// Something the application must see.
    Event(Event),
    /// Nothing to do until more input, a method call or a timeout.
    NeedInput,
}

/// Something that happened in the session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Option negotiation is done; stages may be sent.
    Negotiated(Negotiated),
    /// The milter's answer for one stage method (or the answer implied when the stage is
    /// not sent: see [`Client`](super::Client)).
    Reply {
        /// The stage.
        stage: Stage,
        /// What the milter decided.
        action: Action,
    },
    /// A piece of the body that replaces the original, in order, before the verdict.
    ReplacementBody(Bytes),
    /// The decision on the message, after [`Client::end_of_message`](super::Client::end_of_message).
    Verdict(Verdict),
    /// The milter says it is still working (its timeout restarted).
    Progress,
    /// A fatal error; [`Event::Closed`] follows.
    Error(ClientError),
    /// The session is over; close the connection.
    Closed,
}

/// A stage of the SMTP session the milter is told about (end-of-message excepted: it
/// ends with a [`Verdict`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// The SMTP client connected.
    Connect,
    /// HELO/EHLO.
    Helo,
    /// MAIL FROM.
    Mail,
    /// RCPT TO.
    Rcpt,
    /// DATA.
    Data,
    /// One header.
    Header,
    /// The end of the headers.
    EndOfHeaders,
    /// Body bytes.
    Body,
    /// An unknown SMTP command.
    Unknown,
}

impl Stage {
    /// The flag with which the milter declines to see this stage.
    pub(crate) const fn not_sent_flag(self) -> ProtocolFlags {
        match self {
            Self::Connect => ProtocolFlags::NO_CONNECT,
            Self::Helo => ProtocolFlags::NO_HELO,
            Self::Mail => ProtocolFlags::NO_MAIL,
            Self::Rcpt => ProtocolFlags::NO_RCPT,
            Self::Data => ProtocolFlags::NO_DATA,
            Self::Header => ProtocolFlags::NO_HEADERS,
            Self::EndOfHeaders => ProtocolFlags::NO_EOH,
            Self::Body => ProtocolFlags::NO_BODY,
            Self::Unknown => ProtocolFlags::NO_UNKNOWN,
        }
    }

    /// The flag with which the milter declines to answer this stage.
    pub(crate) const fn no_reply_flag(self) -> ProtocolFlags {
        match self {
            Self::Connect => ProtocolFlags::NR_CONNECT,
            Self::Helo => ProtocolFlags::NR_HELO,
            Self::Mail => ProtocolFlags::NR_MAIL,
            Self::Rcpt => ProtocolFlags::NR_RCPT,
            Self::Data => ProtocolFlags::NR_DATA,
            Self::Header => ProtocolFlags::NR_HEADER,
            Self::EndOfHeaders => ProtocolFlags::NR_EOH,
            Self::Body => ProtocolFlags::NR_BODY,
            Self::Unknown => ProtocolFlags::NR_UNKNOWN,
        }
    }

    /// The macro stage of the command.
    pub(crate) const fn macro_stage(self) -> MacroStage {
        match self {
            Self::Connect => MacroStage::Connect,
            Self::Helo => MacroStage::Helo,
            Self::Mail => MacroStage::Mail,
            Self::Rcpt => MacroStage::Rcpt,
            Self::Data => MacroStage::Data,
            Self::Header => MacroStage::Header,
            Self::EndOfHeaders => MacroStage::EndOfHeaders,
            Self::Body => MacroStage::Body,
            Self::Unknown => MacroStage::Unknown,
        }
    }

    /// What the client waits for after sending this stage.
    pub(crate) const fn reply_name(self) -> &'static str {
        match self {
            Self::Connect => "the CONNECT reply",
            Self::Helo => "the HELO reply",
            Self::Mail => "the MAIL reply",
            Self::Rcpt => "the RCPT reply",
            Self::Data => "the DATA reply",
            Self::Header => "the HEADER reply",
            Self::EndOfHeaders => "the EOH reply",
            Self::Body => "the BODY reply",
            Self::Unknown => "the UNKNOWN reply",
        }
    }

    /// Whether a decision here concerns the whole connection.
    pub(crate) const fn is_connection_stage(self) -> bool {
        matches!(self, Self::Connect | Self::Helo)
    }
}

/// The milter's answer to a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Go on.
    Continue,
    /// Accept without further filtering: the rest of the connection (CONNECT, HELO) or
    /// of the message (later stages; the verdict will be Accept).
    Accept,
    /// Refuse with this 5xx reply: the connection (CONNECT, HELO), the recipient (RCPT),
    /// the command (UNKNOWN) or the message (other stages).
    Reject(Reply),
    /// As [`Action::Reject`], temporarily (4xx). A 421 reply means the milter shut down
    /// or failed the connection: refuse the rest of the SMTP session.
    TempFail(Reply),
    /// Accept the message but drop it (the verdict will be Discard).
    Discard,
    /// Send no more body (only in answer to [`Client::body`](super::Client::body)).
    Skip,
}

/// The outcome of option negotiation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The milter's protocol version.
    pub version: u32,
    /// The actions it may take (within those offered).
    pub actions: Actions,
    /// The protocol flags in force.
    pub protocol: ProtocolFlags,
    /// The macros it asked for, per stage; macros of other names are not sent at a
    /// stage listed here.
    pub macro_requests: Vec<MacroRequest<'static>>,
}

impl Negotiated {
    /// The names requested for `stage`, if the milter asked for a list there.
    pub(crate) fn requested(&self, stage: MacroStage) -> Option<&MacroRequest<'static>> {
        self.macro_requests.iter().find(|r| r.stage == stage)
    }

    /// Whether the milter wants macro `name` at `stage` (yes, if it named no list).
    pub fn wants_macro(&self, stage: MacroStage, name: &[u8]) -> bool {
        self.requested(stage).is_none_or(|request| {
            request
                .iter_names()
                .any(|wanted| bare_name(wanted) == bare_name(name))
        })
    }
}
