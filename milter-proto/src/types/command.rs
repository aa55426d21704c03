//! Commands the MTA sends to the milter (`SMFIC_*`).

use std::borrow::Cow;
use std::net::IpAddr;

use super::flags::{Actions, ProtocolFlags};
use super::macros::{Macro, MacroStage};
use super::text::Text;

/// The protocol version this crate speaks (`SMFI_PROT_VERSION`).
pub const PROTOCOL_VERSION: u32 = 6;

/// The largest body chunk the protocol allows in one packet (`MILTER_CHUNK_SIZE`).
pub const MAX_BODY_CHUNK: usize = 65_535;

/// The MTA's side of option negotiation (SMFIC_OPTNEG): what it can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionNegotiation {
    /// Protocol version, [`PROTOCOL_VERSION`].
    pub version: u32,
    /// Actions the milter may take.
    pub actions: Actions,
    /// Protocol flags the MTA supports.
    pub protocol: ProtocolFlags,
}

/// Where the SMTP client connects from (the family byte of SMFIC_CONNECT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address<'a> {
    /// `U`: nothing known.
    Unknown,
    /// `4` or `6`: an IP address and port.
    Inet {
        /// The client's address.
        ip: IpAddr,
        /// The client's port.
        port: u16,
    },
    /// `L`: a local (Unix domain) socket path.
    Unix(Text<'a>),
}

impl Address<'_> {
    /// A copy that borrows nothing.
    pub fn into_owned(self) -> Address<'static> {
        match self {
            Self::Unknown => Address::Unknown,
            Self::Inet { ip, port } => Address::Inet { ip, port },
            Self::Unix(path) => Address::Unix(path.into_owned()),
        }
    }
}

/// SMFIC_CONNECT: the SMTP client's host name and address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect<'a> {
    /// The client's host name (reverse DNS), or its address in brackets when unknown.
    pub hostname: Text<'a>,
    /// Where it connects from.
    pub address: Address<'a>,
}

/// The arguments of SMFIC_MAIL and SMFIC_RCPT: the address, as in the SMTP command
/// (`<a@example.org>`), then its ESMTP parameters (`SIZE=1000`, `BODY=8BITMIME`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// The address, with angle brackets.
    pub address: Text<'a>,
    /// ESMTP parameters, one per element.
    pub args: Vec<Text<'a>>,
}

/// A command from the MTA.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command<'a> {
    /// `O`: option negotiation, always the first command.
    OptionNegotiation(OptionNegotiation),
    /// `D`: macros for the command that follows.
    Macro {
        /// The command they are for.
        stage: MacroStage,
        /// The definitions.
        macros: Vec<Macro<'a>>,
    },
    /// `C`: a new SMTP connection.
    Connect(Connect<'a>),
    /// `H`: the HELO/EHLO argument.
    Helo(Text<'a>),
    /// `M`: MAIL FROM.
    Mail(Envelope<'a>),
    /// `R`: RCPT TO.
    Rcpt(Envelope<'a>),
    /// `T`: DATA.
    Data,
    /// `L`: one header.
    Header {
        /// The field name.
        name: Text<'a>,
        /// The value after the colon (folded lines joined by `\n`).
        value: Text<'a>,
    },
    /// `N`: end of the headers.
    EndOfHeaders,
    /// `B`: a piece of the body, at most [`MAX_BODY_CHUNK`] bytes.
    Body(Cow<'a, [u8]>),
    /// `E`: end of the message; may carry a last body piece (usually empty).
    EndOfMessage(Cow<'a, [u8]>),
    /// `U`: an SMTP command the MTA does not know.
    Unknown(Text<'a>),
    /// `A`: the message (transaction) is aborted.
    Abort,
    /// `Q`: the session is over.
    Quit,
    /// `K`: the session is over and a new one follows on this connection.
    QuitNewConnection,
}

impl Command<'_> {
    /// The command byte.
    pub fn code(&self) -> u8 {
        match self {
            Self::OptionNegotiation(_) => b'O',
            Self::Macro { .. } => b'D',
            Self::Connect(_) => b'C',
            Self::Helo(_) => b'H',
            Self::Mail(_) => b'M',
            Self::Rcpt(_) => b'R',
            Self::Data => b'T',
            Self::Header { .. } => b'L',
            Self::EndOfHeaders => b'N',
            Self::Body(_) => b'B',
            Self::EndOfMessage(_) => b'E',
            Self::Unknown(_) => b'U',
            Self::Abort => b'A',
            Self::Quit => b'Q',
            Self::QuitNewConnection => b'K',
        }
    }
}

impl Connect<'_> {
    /// A copy that borrows nothing.
    pub fn into_owned(self) -> Connect<'static> {
        Connect {
            hostname: self.hostname.into_owned(),
            address: self.address.into_owned(),
        }
    }
}

impl Command<'_> {
    /// A copy that borrows nothing.
    pub fn into_owned(self) -> Command<'static> {
        match self {
            Self::OptionNegotiation(options) => Command::OptionNegotiation(options),
            Self::Macro { stage, macros } => Command::Macro {
                stage,
                macros: macros.into_iter().map(Macro::into_owned).collect(),
            },
            Self::Connect(connect) => Command::Connect(connect.into_owned()),
            Self::Helo(name) => Command::Helo(name.into_owned()),
            Self::Mail(envelope) => Command::Mail(envelope.into_owned()),
            Self::Rcpt(envelope) => Command::Rcpt(envelope.into_owned()),
            Self::Data => Command::Data,
            Self::Header { name, value } => Command::Header {
                name: name.into_owned(),
                value: value.into_owned(),
            },
            Self::EndOfHeaders => Command::EndOfHeaders,
            Self::Body(bytes) => Command::Body(Cow::Owned(bytes.into_owned())),
            Self::EndOfMessage(bytes) => Command::EndOfMessage(Cow::Owned(bytes.into_owned())),
            Self::Unknown(command) => Command::Unknown(command.into_owned()),
            Self::Abort => Command::Abort,
            Self::Quit => Command::Quit,
            Self::QuitNewConnection => Command::QuitNewConnection,
        }
    }
}
