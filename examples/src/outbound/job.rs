//! The contract between the outbound queue and whatever carries mail out of it: what
//! the queue hands over ([`OutboundMessage`]) and what it gets back ([`Outcome`]s, one
//! message at a time through [`Progress`]).
//! Plain data, so the queue can be tested with a fake [`Transport`] and the SMTP
//! transport with a fake queue.

use std::path::Path;

use smtp_proto::types::{Notify, Ret};
use tokio::sync::mpsc;

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

/// The outcomes of one message of a [`Transport::deliver`] call: `index` into its
/// `messages`, one [`Outcome`] per recipient in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settled {
    /// Which message of the call.
    pub(crate) index: usize,
    /// One outcome per recipient of that message, in order.
    pub(crate) outcomes: Vec<Outcome>,
}

/// Where a transport reports each message's outcomes the moment they are known (for
/// SMTP: the reply after the data), before it goes on with the next message.
///
/// Why per message: the queue records each report durably (fsynced state file) while
/// the transport carries on, so a crash in the middle of a call repeats only the
/// messages whose replies arrived during the last state write, not every message the
/// call had already sent. The queue reads the reports from the other end of a channel
/// ([`Progress::channel`]); the call ends when the transport's future completes and
/// drops its `Progress` (a transport must not keep it beyond that).
#[derive(Debug)]
pub(crate) struct Progress {
    sender: mpsc::UnboundedSender<Settled>,
}

impl Progress {
    /// A `Progress` for one call, and the receiver of its reports.
    pub(crate) fn channel() -> (Self, mpsc::UnboundedReceiver<Settled>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Self { sender }, receiver)
    }

    /// Reports message `index`. Report each message once: the queue ignores repeats
    /// and defers the messages never reported.
    pub(crate) fn settle(&self, index: usize, outcomes: Vec<Outcome>) {
        // The receiver only goes away when the queue stops caring (shutdown).
        let _ = self.sender.send(Settled { index, outcomes });
    }
}

/// Carries queued mail to its next hop.
pub(crate) trait Transport: Send + Sync + 'static {
    /// Tries to deliver `messages`, all addressed to recipients in `domain` (so one
    /// connection may carry them all), reporting each message's outcomes to `progress`
    /// as soon as they are known, in any order. Never fails as a whole: problems become
    /// `Deferred` or `Failed` outcomes. A message left unreported is deferred.
    fn deliver<'a>(
        &'a self,
        domain: &'a str,
        messages: &'a [OutboundMessage<'a>],
        progress: Progress,
    ) -> BoxFuture<'a, ()>;
}

/// Runs one [`Transport::deliver`] call and gathers its reports in message order (an
/// empty list for an unreported message; the last report wins; reports out of range
/// are dropped). For tests.
#[cfg(test)]
pub(crate) async fn deliver_all<T: Transport + ?Sized>(
    transport: &T,
    domain: &str,
    messages: &[OutboundMessage<'_>],
) -> Vec<Vec<Outcome>> {
    let (progress, mut settled) = Progress::channel();
    transport.deliver(domain, messages, progress).await;
    let mut all = vec![Vec::new(); messages.len()];
    while let Ok(Settled { index, outcomes }) = settled.try_recv() {
        if let Some(slot) = all.get_mut(index) {
            *slot = outcomes;
        }
    }
    all
}
