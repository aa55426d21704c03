//! Responses the milter sends to the MTA (`SMFIR_*`).

use std::borrow::Cow;

use super::flags::{Actions, ProtocolFlags};
use super::macros::MacroStage;
use super::reply::Reply;
use super::text::Text;

/// The milter's side of option negotiation: what it wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiationReply<'a> {
    /// The milter's protocol version (2..=6).
    pub version: u32,
    /// Actions the milter may take.
    pub actions: Actions,
    /// The protocol flags it asks for.
    pub protocol: ProtocolFlags,
    /// Macro lists it asks for, per stage (sent after the three numbers).
    pub macro_requests: Vec<MacroRequest<'a>>,
}

/// The macros a milter wants at one stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroRequest<'a> {
    /// The stage (one with a [`MacroStage::symbol_list_index`]).
    pub stage: MacroStage,
    /// Macro names separated by spaces, e.g. `i {auth_authen}`.
    pub names: Text<'a>,
}

impl MacroRequest<'_> {
    /// A copy that borrows nothing.
    pub fn into_owned(self) -> MacroRequest<'static> {
        MacroRequest {
            stage: self.stage,
            names: self.names.into_owned(),
        }
    }

    /// The names one by one.
    pub fn iter_names(&self) -> impl Iterator<Item = &[u8]> {
        self.names
            .as_bytes()
            .split(|b| *b == b' ')
            .filter(|name| !name.is_empty())
    }
}

/// A response from the milter.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response<'a> {
    /// `O`: the answer to option negotiation.
    OptionNegotiation(NegotiationReply<'a>),
    /// `a`: accept; no more filtering of this connection or message.
    Accept,
    /// `c`: continue.
    Continue,
    /// `d`: accept the message but drop it silently.
    Discard,
    /// `r`: reject with a 5xx reply of the MTA's choice.
    Reject,
    /// `t`: fail temporarily with a 4xx reply of the MTA's choice.
    TempFail,
    /// `y`: reject or fail temporarily with this reply.
    ReplyCode(Reply),
    /// `s`: send no more body chunks (only after SMFIP_SKIP was negotiated).
    Skip,
    /// `p`: still working; restart the timeout.
    Progress,
    /// `4`: the milter shuts down (421).
    Shutdown,
    /// `f`: fail the SMTP connection.
    ConnectionFailure,
    /// `h`: append a header.
    AddHeader {
        /// Field name.
        name: Text<'a>,
        /// Value.
        value: Text<'a>,
    },
    /// `i`: insert a header at a position (0 = before the first header).
    InsertHeader {
        /// Position among all headers.
        index: u32,
        /// Field name.
        name: Text<'a>,
        /// Value.
        value: Text<'a>,
    },
    /// `m`: change the `index`-th (1-based) header of that name; an empty value deletes it.
    ChangeHeader {
        /// Occurrence of the name, from 1.
        index: u32,
        /// Field name.
        name: Text<'a>,
        /// New value, empty to delete.
        value: Text<'a>,
    },
    /// `+`: add a recipient.
    AddRecipient(Text<'a>),
    /// `-`: remove a recipient.
    DeleteRecipient(Text<'a>),
    /// `2`: add a recipient with ESMTP parameters.
    AddRecipientWithArgs {
        /// The address.
        address: Text<'a>,
        /// The parameters, if any.
        args: Option<Text<'a>>,
    },
    /// `b`: a piece of the replacement body.
    ReplaceBody(Cow<'a, [u8]>),
    /// `e`: change the envelope sender.
    ChangeFrom {
        /// The new sender.
        address: Text<'a>,
        /// ESMTP parameters, if any.
        args: Option<Text<'a>>,
    },
    /// `q`: quarantine the message, with a reason.
    Quarantine(Text<'a>),
    /// `l`: a macro list for a stage (the standalone form; milters normally put these
    /// in the negotiation reply).
    SetSymbolList(MacroRequest<'a>),
}

impl Response<'_> {
    /// The response byte.
    pub fn code(&self) -> u8 {
        match self {
            Self::OptionNegotiation(_) => b'O',
            Self::Accept => b'a',
            Self::Continue => b'c',
            Self::Discard => b'd',
            Self::Reject => b'r',
            Self::TempFail => b't',
            Self::ReplyCode(_) => b'y',
            Self::Skip => b's',
            Self::Progress => b'p',
            Self::Shutdown => b'4',
            Self::ConnectionFailure => b'f',
            Self::AddHeader { .. } => b'h',
            Self::InsertHeader { .. } => b'i',
            Self::ChangeHeader { .. } => b'm',
            Self::AddRecipient(_) => b'+',
            Self::DeleteRecipient(_) => b'-',
            Self::AddRecipientWithArgs { .. } => b'2',
            Self::ReplaceBody(_) => b'b',
            Self::ChangeFrom { .. } => b'e',
            Self::Quarantine(_) => b'q',
            Self::SetSymbolList(_) => b'l',
        }
    }

    /// The action flag a modification needs, or `None` for other responses.
    pub fn required_action(&self) -> Option<Actions> {
        Some(match self {
            Self::AddHeader { .. } | Self::InsertHeader { .. } => Actions::ADD_HEADERS,
            Self::ChangeHeader { .. } => Actions::CHANGE_HEADERS,
            Self::AddRecipient(_) => Actions::ADD_RECIPIENT,
            Self::DeleteRecipient(_) => Actions::DELETE_RECIPIENT,
            Self::AddRecipientWithArgs { .. } => Actions::ADD_RECIPIENT_WITH_ARGS,
            Self::ReplaceBody(_) => Actions::CHANGE_BODY,
            Self::ChangeFrom { .. } => Actions::CHANGE_FROM,
            Self::Quarantine(_) => Actions::QUARANTINE,
            _ => return None,
        })
    }
}

impl Response<'_> {
    /// A copy that borrows nothing.
    pub fn into_owned(self) -> Response<'static> {
        match self {
            Self::OptionNegotiation(reply) => Response::OptionNegotiation(NegotiationReply {
                version: reply.version,
                actions: reply.actions,
                protocol: reply.protocol,
                macro_requests: reply
                    .macro_requests
                    .into_iter()
                    .map(MacroRequest::into_owned)
                    .collect(),
            }),
            Self::Accept => Response::Accept,
            Self::Continue => Response::Continue,
            Self::Discard => Response::Discard,
            Self::Reject => Response::Reject,
            Self::TempFail => Response::TempFail,
            Self::ReplyCode(reply) => Response::ReplyCode(reply),
            Self::Skip => Response::Skip,
            Self::Progress => Response::Progress,
            Self::Shutdown => Response::Shutdown,
            Self::ConnectionFailure => Response::ConnectionFailure,
            Self::AddHeader { name, value } => Response::AddHeader {
                name: name.into_owned(),
                value: value.into_owned(),
            },
            Self::InsertHeader { index, name, value } => Response::InsertHeader {
                index,
                name: name.into_owned(),
                value: value.into_owned(),
            },
            Self::ChangeHeader { index, name, value } => Response::ChangeHeader {
                index,
                name: name.into_owned(),
                value: value.into_owned(),
            },
            Self::AddRecipient(address) => Response::AddRecipient(address.into_owned()),
            Self::DeleteRecipient(address) => Response::DeleteRecipient(address.into_owned()),
            Self::AddRecipientWithArgs { address, args } => Response::AddRecipientWithArgs {
                address: address.into_owned(),
                args: args.map(Text::into_owned),
            },
            Self::ReplaceBody(bytes) => Response::ReplaceBody(Cow::Owned(bytes.into_owned())),
            Self::ChangeFrom { address, args } => Response::ChangeFrom {
                address: address.into_owned(),
                args: args.map(Text::into_owned),
            },
            Self::Quarantine(reason) => Response::Quarantine(reason.into_owned()),
            Self::SetSymbolList(request) => Response::SetSymbolList(request.into_owned()),
        }
    }
}
