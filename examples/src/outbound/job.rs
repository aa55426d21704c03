//! The contract between the outbound queue and whatever carries mail out of it: what
//! the queue hands over ([`OutboundMessage`]) and what it gets back ([`Outcome`]).
//! Plain data, so the queue can be tested with a fake [`Transport`] and the SMTP
//! transport with a fake queue.

use std::path::Path;

use smtp_proto::types::{Notify, Ret};

use crate::delivery::BoxFuture;

/// One queued message, offered for the recipients of one destination domain.
#[derive(Debug, Clone)]
pub(crate) struct OutboundMessage<'a> {
    /// The queue id, for logs and the `Received` trail.
    pub(crate) id: &'a str,
    /// The envelope sender; empty for the null reverse path (a bounce).
    pub(crate) sender: &'a str,
    /// The recipients still to be tried, all in `domain` of [`Transport::deliver`].
    pub(crate) recipients: &'a [OutboundRecipient],
    /// `ENVID=` (RFC 3461), passed on when the next hop offers DSN.
    pub(crate) envid: Option<&'a str>,
    /// `RET=` (RFC 3461), passed on when the next hop offers DSN.
    pub(crate) ret: Option<Ret>,
    /// The whole message as it is to be sent: header and body, CRLF line ends, not
    /// dot-stuffed.
    pub(crate) body: &'a Path,
    /// The size of `body` in bytes (for `SIZE=`).
    pub(crate) size: u64,
    /// The body holds 8-bit bytes: the next hop must take `BODY=8BITMIME`.
    pub(crate) eight_bit: bool,
    /// The envelope or header holds UTF-8 addresses: the next hop must take `SMTPUTF8`.
    pub(crate) smtputf8: bool,
}

/// One recipient of an [`OutboundMessage`], with its RFC 3461 parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutboundRecipient {
    /// The forward path, `local@domain`.
    pub(crate) address: String,
    /// `NOTIFY=` as given at submission, passed on when the next hop offers DSN.
    pub(crate) notify: Option<Notify>,
    /// `ORCPT=` as `(addr-type, address)`, xtext-decoded.
    pub(crate) orcpt: Option<(String, String)>,
}

/// What became of one recipient after one delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// The next hop accepted it (2xx after the body).
    Delivered,
    /// Try again later (4xx, no route yet, connection failures, timeouts).
    Deferred,
    /// Give up and bounce (5xx, null MX, a requirement the next hop cannot meet).
    Failed,
}

/// The result for one recipient, with what a DSN (RFC 3464) needs to report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Delivered, deferred or failed.
    pub(crate) status: Status,
    /// The RFC 3463 status code, such as `2.0.0`, `4.4.1` or `5.1.1`.
    pub(crate) code: String,
    /// The host that answered, as `mx.example.org [192.0.2.1]`; `None` when no host
    /// was reached (DNS failure, null MX, every connection refused).
    pub(crate) remote: Option<String>,
    /// The remote reply (`550 5.1.1 <u@example.org>: no such user`) or a local reason
    /// (`connection refused by all MX hosts of example.org`), one line, for the DSN's
    /// Diagnostic-Code and the logs.
    pub(crate) diagnostic: String,
}

/// Carries queued mail to its next hop.
pub(crate) trait Transport: Send + Sync + 'static {
    /// Tries to deliver `messages`, all addressed to recipients in `domain` (so one
    /// connection may carry them all). Returns, for each message in order, one
    /// [`Outcome`] per recipient in order. Never fails as a whole: problems become
    /// `Deferred` or `Failed` outcomes.
    fn deliver<'a>(
        &'a self,
        domain: &'a str,
        messages: &'a [OutboundMessage<'a>],
    ) -> BoxFuture<'a, Vec<Vec<Outcome>>>;
}
