//! The end of a mail transaction, shared by the MX, LMTP and submission sessions: the
//! body is spooled as it arrives ([`Transaction`]), then every local copy is stored in
//! its Maildir and every remote recipient written to the outbound queue, all fsynced,
//! before the session answers ([`Dispatcher`]).
//!
//! Remote recipients are the submission's recipients outside our domains and the
//! forwarding destinations of aliases. A forwarded copy keeps the original envelope
//! sender, as Postfix's virtual aliases do. The price is SPF: the next hop sees our IP
//! sending for the original sender's domain, which our IP is not authorised for, so a
//! receiver that enforces SPF (`-all`) may refuse or junk forwarded mail; DKIM
//! signatures of the original survive unchanged. (Rewriting the sender, SRS, would fix
//! SPF at the cost of bounces going through us; Postfix does not do it by default.)
//!
//! # Order, so that no mail is ever lost
//!
//! With one reply for the whole message (SMTP):
//! 1. every local mailbox is checked for room (`452 4.2.2` for all if one is full);
//! 2. the remote recipients are queued (a failure: `451`, nothing stored anywhere, the
//!    client's retry duplicates nothing);
//! 3. the local copies are stored; a copy that fails now is queued for a later local
//!    delivery through the queue ([`transport`](super::transport)), so the reply is
//!    still `250`. Only if that fails too does the client get `451`, and its retry
//!    then duplicates what was already stored or queued: a duplicate, never a loss.
//!
//! A local recipient that asked for `NOTIFY=SUCCESS` is queued instead of stored at
//! once, so the queue's local delivery sends the success DSN RFC 3461 requires.
//!
//! With one reply per recipient (LMTP) each recipient succeeds or fails on its own;
//! the front MTA retries only the failed ones.

use std::sync::Arc;

use smtp_proto::types::{Body, MailFrom, Notify, RcptTo, Ret};
use tracing::{error, info, warn};

use super::hops::{HopCounter, MAX_HOPS};
use super::{
    Delivery, Destinations, Envelope, Resolver, SpoolWriter, Spooled, StoreFailure, Trace,
    distinct_addressees, received_header,
};
use crate::directory::{Directory, LocalUser};
use crate::outbound::OutboundRecipient;
use crate::queue::{NewMessage, Queue};

/// One accepted recipient: as the client gave it, its DSN parameters, and where its
/// copies go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recipient {
    /// The forward path as given (`local@domain`, or `Postmaster`).
    pub(crate) address: String,
    /// Local mailboxes and remote addresses.
    pub(crate) destinations: Destinations,
    /// `NOTIFY=` (RFC 3461).
    pub(crate) notify: Option<Notify>,
    /// `ORCPT=` as (addr-type, address), xtext-decoded.
    pub(crate) orcpt: Option<(String, String)>,
}

impl Recipient {
    /// A recipient of `rcpt` with its DSN parameters.
    pub(crate) fn new(rcpt: &RcptTo<'_>, destinations: Destinations) -> Self {
        Self {
            address: rcpt.recipient.to_string(),
            destinations,
            notify: rcpt.params.notify,
            orcpt: rcpt
                .params
                .orcpt
                .as_ref()
                .map(|o| (o.addr_type.to_string(), o.address.to_string())),
        }
    }

    /// Whether the sender asked for a DSN on successful delivery.
    fn wants_success_notice(&self) -> bool {
        matches!(self.notify, Some(Notify::On { success: true, .. }))
    }

    /// The queue recipient for `address`, one of this recipient's destinations (or the
    /// recipient itself). A forwarding destination reports the recipient the client
    /// named as its original recipient, unless the client gave one.
    fn outbound(&self, address: &str) -> OutboundRecipient {
        let orcpt = self.orcpt.clone().or_else(|| {
            (address != self.address).then(|| {
                let kind = if self.address.is_ascii() {
                    "rfc822"
                } else {
                    "utf-8"
                };
                (kind.to_owned(), self.address.clone())
            })
        });
        OutboundRecipient {
            address: address.to_owned(),
            notify: self.notify,
            orcpt,
        }
    }
}

/// A mail transaction while it is received: the envelope so far and the spooled body.
#[derive(Debug)]
pub(crate) struct Transaction {
    /// The reverse path; `None` for `<>`.
    pub(crate) sender: Option<String>,
    /// `SIZE=` of MAIL FROM.
    pub(crate) declared_size: Option<u64>,
    envid: Option<String>,
    ret: Option<Ret>,
    /// `BODY=8BITMIME` or `BINARYMIME` was declared.
    declared_8bit: bool,
    smtputf8: bool,
    /// Accepted recipients, in RCPT order.
    pub(crate) recipients: Vec<Recipient>,
    spool: Option<SpoolWriter>,
    /// The spool failed: the message will be refused with a temporary error.
    spool_failed: bool,
    hops: HopCounter,
    /// A byte above 127 went by (many clients send 8-bit text without `BODY=`).
    saw_8bit: bool,
}

/// A completely received message, ready for [`Dispatcher`].
#[derive(Debug)]
pub(crate) struct Message {
    /// The reverse path; `None` for `<>`.
    pub(crate) sender: Option<String>,
    /// Accepted recipients, in RCPT order.
    pub(crate) recipients: Vec<Recipient>,
    /// The body as received (no trace headers of ours yet).
    pub(crate) body: Spooled,
    envid: Option<String>,
    ret: Option<Ret>,
    eight_bit: bool,
    smtputf8: bool,
    hops: usize,
}

impl Transaction {
    /// A transaction for an accepted `MAIL FROM`.
    pub(crate) fn new(mail: &MailFrom<'_>) -> Self {
        let p = &mail.params;
        Self {
            sender: mail.sender.as_ref().map(ToString::to_string),
            declared_size: p.size,
            envid: p.envid.as_ref().map(ToString::to_string),
            ret: p.ret,
            declared_8bit: matches!(p.body, Some(Body::EightBitMime | Body::BinaryMime)),
            smtputf8: p.smtputf8,
            recipients: Vec::new(),
            spool: None,
            spool_failed: false,
            hops: HopCounter::default(),
            saw_8bit: false,
        }
    }

    /// The body starts: opens the spool (memory first, a file for a large body).
    pub(crate) fn start_body<R: Resolver>(&mut self, delivery: &Delivery<R>) {
        self.spool = Some(delivery.spool());
    }

    /// Appends body bytes.
    pub(crate) async fn write(&mut self, bytes: &[u8]) {
        self.hops.feed(bytes);
        self.saw_8bit |= !bytes.is_ascii();
        if let Some(spool) = self.spool.as_mut()
            && let Err(e) = spool.write(bytes).await
        {
            error!("writing the spool file: {e}");
            self.spool = None;
            self.spool_failed = true;
        }
    }

    /// Whether no body is being received (a shutdown may close the session now).
    pub(crate) fn is_idle(&self) -> bool {
        self.spool.is_none() && !self.spool_failed
    }

    /// The complete message; `None` if the body could not be spooled.
    pub(crate) async fn finish(self) -> Option<Message> {
        let spool = match self.spool {
            Some(spool) if !self.spool_failed => spool,
            _ => return None,
        };
        let body = match spool.finish().await {
            Ok(body) => body,
            Err(e) => {
                error!("finishing the spool file: {e}");
                return None;
            }
        };
        Some(Message {
            sender: self.sender,
            recipients: self.recipients,
            body,
            envid: self.envid,
            ret: self.ret,
            eight_bit: self.declared_8bit || self.saw_8bit,
            smtputf8: self.smtputf8,
            hops: self.hops.hops(),
        })
    }
}

/// Why a message (or one recipient's part of it) was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// More than [`MAX_HOPS`] `Received` headers: a mail loop (`554 5.4.6`).
    TooManyHops,
    /// A mailbox is over its quota (`452 4.2.2`).
    OverQuota,
    /// Storing failed, and so did queueing the copy for later (`451 4.3.0`).
    Store,
    /// The outbound queue could not store the message (`451 4.3.0`).
    Queue,
}

impl From<StoreFailure> for Failure {
    fn from(failure: StoreFailure) -> Self {
        match failure {
            StoreFailure::OverQuota => Self::OverQuota,
            StoreFailure::Temporary => Self::Store,
        }
    }
}

/// Stores local copies and queues remote recipients (see the [module docs](self)).
pub(crate) struct Dispatcher<R = Directory> {
    delivery: Arc<Delivery<R>>,
    queue: Arc<Queue>,
}

impl<R: Resolver> Dispatcher<R> {
    /// A dispatcher storing through `delivery` and queueing into `queue`.
    pub(crate) fn new(delivery: Arc<Delivery<R>>, queue: Arc<Queue>) -> Self {
        Self { delivery, queue }
    }

    /// The local delivery path.
    pub(crate) fn delivery(&self) -> &Arc<Delivery<R>> {
        &self.delivery
    }

    /// Takes `message` for all its recipients or none (SMTP's one reply).
    pub(crate) async fn deliver_all(
        &self,
        envelope: &Envelope,
        message: &Message,
    ) -> Result<(), Failure> {
        if message.hops > MAX_HOPS {
            return Err(self.loop_detected(envelope, message));
        }
        let mut queued = Vec::new();
        let mut local = Vec::with_capacity(message.recipients.len());
        for r in &message.recipients {
            if r.wants_success_notice() && !r.destinations.local.is_empty() {
                // The queue's local delivery resolves it again and reports success.
                queued.push(r.outbound(&r.address));
                local.push(Vec::new());
            } else {
                queued.extend(r.destinations.remote.iter().map(|a| r.outbound(a)));
                local.push(r.destinations.local.clone());
            }
        }
        self.delivery
            .check_quota(&local, message.body.len())
            .await
            .map_err(Failure::from)?;
        if !queued.is_empty() {
            self.enqueue(envelope, message, queued).await?;
        }
        let addressees = distinct_addressees(&envelope.recipients, &local);
        let stored = self
            .delivery
            .store_for(envelope, &addressees, &message.body, Trace::Received)
            .await;
        let failed: Vec<&LocalUser> = addressees
            .iter()
            .zip(&stored)
            .filter(|(_, result)| result.is_err())
            .map(|(addressee, _)| &addressee.mailbox)
            .collect();
        if failed.is_empty() {
            return Ok(());
        }
        self.queue_failed_copies(envelope, message, &local, &failed)
            .await
    }

    /// Takes `message` recipient by recipient (LMTP's reply per recipient).
    pub(crate) async fn deliver_each(
        &self,
        envelope: &Envelope,
        message: &Message,
    ) -> Vec<Result<(), Failure>> {
        let count = message.recipients.len();
        if message.hops > MAX_HOPS {
            return vec![Err(self.loop_detected(envelope, message)); count];
        }
        let queued: Vec<OutboundRecipient> = message
            .recipients
            .iter()
            .flat_map(|r| r.destinations.remote.iter().map(|a| r.outbound(a)))
            .collect();
        let queue_failed =
            !queued.is_empty() && self.enqueue(envelope, message, queued).await.is_err();
        let forwards = |r: &Recipient| !r.destinations.remote.is_empty();
        // A recipient whose forward could not be queued fails as a whole: the front
        // MTA's retry then repeats its local copies too, so none is stored now.
        let local: Vec<Vec<LocalUser>> = message
            .recipients
            .iter()
            .map(|r| {
                if queue_failed && forwards(r) {
                    Vec::new()
                } else {
                    r.destinations.local.clone()
                }
            })
            .collect();
        let stored = self
            .delivery
            .deliver(envelope, &local, &message.body, false)
            .await;
        message
            .recipients
            .iter()
            .zip(stored)
            .map(|(r, result)| {
                if queue_failed && forwards(r) {
                    Err(Failure::Queue)
                } else {
                    result.map_err(Failure::from)
                }
            })
            .collect()
    }

    /// Queues `recipients` with the message and our `Received` header.
    async fn enqueue(
        &self,
        envelope: &Envelope,
        message: &Message,
        recipients: Vec<OutboundRecipient>,
    ) -> Result<(), Failure> {
        let count = recipients.len();
        let new = NewMessage {
            sender: message.sender.clone().unwrap_or_default(),
            recipients,
            envid: message.envid.clone(),
            ret: message.ret,
            eight_bit: message.eight_bit,
            smtputf8: message.smtputf8,
        };
        let prefix = received_header(envelope, self.delivery.hostname());
        match self.queue.enqueue(new, &prefix, &message.body).await {
            Ok(id) => {
                info!(
                    "queued: session={} queue_id={id} recipients={count}",
                    envelope.id
                );
                Ok(())
            }
            Err(e) => {
                error!("not queued: session={} reason={e}", envelope.id);
                Err(Failure::Queue)
            }
        }
    }

    /// Queues the local copies that could not be stored, for the queue to deliver
    /// later; `Err` when that fails too (the client retries; see the module docs).
    async fn queue_failed_copies(
        &self,
        envelope: &Envelope,
        message: &Message,
        local: &[Vec<LocalUser>],
        failed: &[&LocalUser],
    ) -> Result<(), Failure> {
        let retry: Vec<OutboundRecipient> = failed
            .iter()
            .filter_map(|mailbox| {
                let owner = message
                    .recipients
                    .iter()
                    .zip(local)
                    .find(|(_, boxes)| boxes.iter().any(|b| b.maildir == mailbox.maildir))?;
                Some(owner.0.outbound(&mailbox.email))
            })
            .collect();
        warn!(
            "session={}: {} local copies failed; queueing them for a later delivery",
            envelope.id,
            retry.len()
        );
        self.enqueue(envelope, message, retry).await.map_err(|_| {
            // The client will send the message again: what was stored or queued above
            // arrives twice. Better than losing the copies that failed.
            error!(
                "session={}: local copies neither stored nor queued; answering 451, \
                 the client's retry will duplicate the copies already delivered",
                envelope.id
            );
            Failure::Store
        })
    }

    fn loop_detected(&self, envelope: &Envelope, message: &Message) -> Failure {
        warn!(
            "mail loop: session={} hops={} (more than {MAX_HOPS} Received headers)",
            envelope.id, message.hops
        );
        Failure::TooManyHops
    }
}

#[cfg(test)]
mod tests;
