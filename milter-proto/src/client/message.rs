//! The message in progress: how far it got, what was decided, and the modifications the
//! milter asked for at its end.

use std::num::NonZeroU32;

use crate::types::{Disposition, HeaderOccurrence, Modification, Response, Text};

/// A decision that answers later stages without asking the milter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Decided {
    Accepted,
    Refused(Disposition),
}

/// How far the current message has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MessagePhase {
    Envelope,
    Headers,
    Body,
}

/// The message in progress.
#[derive(Debug)]
pub(super) struct Message {
    pub(super) phase: MessagePhase,
    pub(super) decided: Option<Decided>,
    pub(super) skip_body: bool,
    pub(super) modifications: Vec<Modification>,
    pub(super) modification_bytes: usize,
    pub(super) body_replaced: bool,
}

impl Message {
    pub(super) fn new() -> Self {
        Self {
            phase: MessagePhase::Envelope,
            decided: None,
            skip_body: false,
            modifications: Vec::new(),
            modification_bytes: 0,
            body_replaced: false,
        }
    }
}

/// The verdict's form of a modification response (REPLBODY excepted).
pub(super) fn to_modification(response: Response<'_>) -> Option<Modification> {
    Some(match response {
        Response::AddHeader { name, value } => Modification::AddHeader {
            name: name.into_owned(),
            value: value.into_owned(),
        },
        Response::InsertHeader { index, name, value } => Modification::InsertHeader {
            index,
            name: name.into_owned(),
            value: value.into_owned(),
        },
        Response::ChangeHeader { index, name, value } => {
            // Sendmail treats index 0 as 1.
            let index = NonZeroU32::new(index).unwrap_or(NonZeroU32::MIN);
            if value.is_empty() {
                Modification::RemoveHeader {
                    name: name.into_owned(),
                    which: HeaderOccurrence::Nth(index),
                }
            } else {
                Modification::ChangeHeader {
                    index,
                    name: name.into_owned(),
                    value: value.into_owned(),
                }
            }
        }
        Response::AddRecipient(address) => Modification::AddRecipient {
            address: address.into_owned(),
            args: None,
        },
        Response::AddRecipientWithArgs { address, args } => Modification::AddRecipient {
            address: address.into_owned(),
            args: args.map(Text::into_owned),
        },
        Response::DeleteRecipient(address) => Modification::DeleteRecipient {
            address: address.into_owned(),
        },
        Response::ChangeFrom { address, args } => Modification::ChangeFrom {
            address: address.into_owned(),
            args: args.map(Text::into_owned),
        },
        Response::Quarantine(reason) => Modification::Quarantine {
            reason: reason.into_owned(),
        },
        _ => return None,
    })
}

/// Bytes of text a modification holds.
pub(super) fn modification_size(modification: &Modification) -> usize {
    match modification {
        Modification::AddHeader { name, value }
        | Modification::InsertHeader { name, value, .. }
        | Modification::ChangeHeader { name, value, .. } => name.len() + value.len(),
        Modification::RemoveHeader { name, .. } => name.len(),
        Modification::AddRecipient { address, args }
        | Modification::ChangeFrom { address, args } => {
            address.len() + args.as_ref().map_or(0, Text::len)
        }
        Modification::DeleteRecipient { address } => address.len(),
        Modification::Quarantine { reason } => reason.len(),
    }
}
