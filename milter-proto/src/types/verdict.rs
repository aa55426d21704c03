//! The outcome of a spam check, the same for the milter client and rspamd's HTTP
//! protocol: what to do with the message and how to change it.

use std::num::NonZeroU32;

use super::reply::Reply;
use super::text::Text;

/// What happens to the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Deliver it (after the modifications).
    Accept,
    /// Refuse it with this 5xx reply.
    Reject(Reply),
    /// Refuse it for now with this 4xx reply.
    TempFail(Reply),
    /// Answer as if accepted but drop it.
    Discard,
}

/// Which occurrences of a header to remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderOccurrence {
    /// All of them.
    All,
    /// The n-th, counting from 1 at the top.
    Nth(NonZeroU32),
    /// The n-th from the bottom, 1 being the last.
    NthFromEnd(NonZeroU32),
}

/// One change to the message, applied in order. Header names compare case-insensitively;
/// values are as the filter sent them, continuation lines joined by `\n` (write them
/// with CRLF).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Modification {
    /// Append a header after the existing ones.
    AddHeader {
        /// Field name.
        name: Text<'static>,
        /// Value.
        value: Text<'static>,
    },
    /// Insert a header at a position among all headers, 0 being the top; past the end
    /// it is appended.
    InsertHeader {
        /// Position.
        index: u32,
        /// Field name.
        name: Text<'static>,
        /// Value.
        value: Text<'static>,
    },
    /// Replace the value of the `index`-th header of that name (from 1); if there are
    /// fewer, append the header instead.
    ChangeHeader {
        /// Occurrence, from 1.
        index: NonZeroU32,
        /// Field name.
        name: Text<'static>,
        /// New value, never empty (a removal is [`Modification::RemoveHeader`]).
        value: Text<'static>,
    },
    /// Remove headers of that name; nothing happens if there is no such occurrence.
    RemoveHeader {
        /// Field name.
        name: Text<'static>,
        /// Which of them.
        which: HeaderOccurrence,
    },
    /// Add an envelope recipient.
    AddRecipient {
        /// The address, usually in angle brackets.
        address: Text<'static>,
        /// ESMTP parameters, if any.
        args: Option<Text<'static>>,
    },
    /// Remove an envelope recipient.
    DeleteRecipient {
        /// The address as given in RCPT TO.
        address: Text<'static>,
    },
    /// Replace the envelope sender.
    ChangeFrom {
        /// The new sender.
        address: Text<'static>,
        /// ESMTP parameters, if any.
        args: Option<Text<'static>>,
    },
    /// Hold the message in quarantine, for this reason.
    Quarantine {
        /// The reason.
        reason: Text<'static>,
    },
}

/// The filter's decision on a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Deliver, reject, fail temporarily or drop.
    pub disposition: Disposition,
    /// Changes to apply when the message is accepted (or discarded), in order.
    pub modifications: Vec<Modification>,
    /// Whether the filter replaced the body; the milter client streamed the new body as
    /// [`Event::ReplacementBody`](crate::client::Event::ReplacementBody) chunks before the
    /// verdict.
    pub body_replaced: bool,
}

impl Verdict {
    /// Accept without changes.
    pub fn accept() -> Self {
        Self::new(Disposition::Accept)
    }

    /// A verdict without modifications.
    pub fn new(disposition: Disposition) -> Self {
        Self {
            disposition,
            modifications: Vec::new(),
            body_replaced: false,
        }
    }

    /// Whether the message is to be delivered.
    pub fn is_accept(&self) -> bool {
        self.disposition == Disposition::Accept
    }

    /// The SMTP reply to refuse the message with, if it is refused.
    pub fn reply(&self) -> Option<&Reply> {
        match &self.disposition {
            Disposition::Reject(reply) | Disposition::TempFail(reply) => Some(reply),
            Disposition::Accept | Disposition::Discard => None,
        }
    }

    /// The quarantine reason, if the filter asked for quarantine.
    pub fn quarantine(&self) -> Option<&Text<'static>> {
        self.modifications.iter().find_map(|m| match m {
            Modification::Quarantine { reason } => Some(reason),
            _ => None,
        })
    }

    /// The value the modifications give the first header `name` (case-insensitive), if
    /// they add or change one: handy for tests and logs.
    pub fn header_value(&self, name: &str) -> Option<&Text<'static>> {
        self.modifications.iter().rev().find_map(|m| match m {
            Modification::AddHeader { name: n, value }
            | Modification::InsertHeader { name: n, value, .. }
            | Modification::ChangeHeader { name: n, value, .. }
                if n.as_bytes().eq_ignore_ascii_case(name.as_bytes()) =>
            {
                Some(value)
            }
            _ => None,
        })
    }
}
