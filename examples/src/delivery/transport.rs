//! The outbound queue's way into local mailboxes: a [`Transport`] that resolves each
//! recipient and stores the message exactly like inbound mail. The queue uses it for
//! recipients in our domains: bounces and other DSNs to local senders, local copies
//! that could not be stored at once ([`dispatch`](super::dispatch)), and local
//! recipients that asked for a success DSN.
//!
//! The queued content already carries our `Received` header, so each copy only gets
//! `Return-Path` and `Delivered-To`. A recipient that is an alias forwarding outside
//! our domains has those destinations queued again as a new message (same envelope
//! sender, like the MX does).
//!
//! Outcomes per recipient: `2.0.0` delivered (no remote host, so a success DSN says
//! `delivered`), `5.1.1` unknown user or unusable local part, `5.1.2` a domain that is
//! not ours, `5.4.6` an alias expansion over its limits, `4.2.2` a full mailbox and
//! `4.3.0` any other temporary failure (directory, disk, queue), retried by the queue.
//! A recipient deferred after some of its copies were stored (an alias of two
//! mailboxes, one full) gets those copies again on the retry: a duplicate rather than
//! a lost copy.

use std::sync::Arc;

use tracing::{info, warn};

use super::{BoxFuture, Delivery, Destinations, Envelope, Refusal, Resolver, Spooled, Trace};
use crate::directory::{Directory, LocalUser};
use crate::outbound::{OutboundMessage, OutboundRecipient, Outcome, Progress, Status, Transport};
use crate::queue::{NewMessage, Queue};

/// Local delivery for the outbound queue.
pub(crate) struct LocalTransport<R = Directory> {
    delivery: Arc<Delivery<R>>,
    /// Where the remote destinations of local aliases go.
    queue: Arc<Queue>,
}

impl<R: Resolver> LocalTransport<R> {
    /// Stores through `delivery`; forwards of local aliases are queued in `queue`.
    pub(crate) fn new(delivery: Arc<Delivery<R>>, queue: Arc<Queue>) -> Self {
        Self { delivery, queue }
    }

    /// Delivers one message; one outcome per recipient.
    async fn deliver_message(&self, message: &OutboundMessage<'_>) -> Vec<Outcome> {
        let body = match Spooled::open(message.body).await {
            Ok(body) => body,
            Err(e) => {
                warn!(
                    "queue {}: cannot read {}: {e}",
                    message.id,
                    message.body.display()
                );
                let outcome = deferred("4.3.0", format!("cannot read the queued message: {e}"));
                return vec![outcome; message.recipients.len()];
            }
        };
        let envelope = Envelope {
            id: message.id.to_owned(),
            helo: None,
            client_ip: None,
            protocol: "LOCAL",
            tls: None,
            sender: (!message.sender.is_empty()).then(|| message.sender.to_owned()),
            recipients: message
                .recipients
                .iter()
                .map(|r| r.address.clone())
                .collect(),
            authenticated: None,
        };
        let mut resolved = Vec::with_capacity(message.recipients.len());
        for recipient in message.recipients {
            resolved.push(self.resolve(&recipient.address, message.size).await);
        }
        self.forward(message, &body, &mut resolved).await;
        self.store(&envelope, &body, resolved).await
    }

    /// Where `address` goes, or the outcome that ends its delivery now.
    async fn resolve(&self, address: &str, size: u64) -> Result<Destinations, Outcome> {
        let (local, domain) = address.rsplit_once('@').unwrap_or((address, ""));
        match self
            .delivery
            .check_recipient(local, domain, Some(size))
            .await
        {
            Ok(destinations) => Ok(destinations),
            Err(Refusal::BadLocalPart | Refusal::UnknownUser) => {
                Err(failed("5.1.1", format!("<{address}>: no such user here")))
            }
            Err(Refusal::NotLocalDomain) => Err(failed(
                "5.1.2",
                format!("<{address}>: the domain is not served here"),
            )),
            Err(Refusal::OverQuota) => Err(deferred("4.2.2", format!("<{address}>: mailbox full"))),
            Err(Refusal::Temporary) => Err(deferred(
                "4.3.0",
                format!("<{address}>: temporary directory failure"),
            )),
            Err(Refusal::TooManyAliases) => Err(failed(
                "5.4.6",
                format!("<{address}>: alias expansion exceeds its limits"),
            )),
        }
    }

    /// Queues the remote destinations of every resolved recipient as one new message;
    /// if that fails, those recipients are deferred (and none of their local copies
    /// stored, so the retry repeats nothing).
    async fn forward(
        &self,
        message: &OutboundMessage<'_>,
        body: &Spooled,
        resolved: &mut [Result<Destinations, Outcome>],
    ) {
        let forwards: Vec<OutboundRecipient> = message
            .recipients
            .iter()
            .zip(resolved.iter())
            .filter_map(|(r, d)| Some((r, d.as_ref().ok()?)))
            .flat_map(|(r, d)| d.remote.iter().map(|a| forward_recipient(r, a)))
            .collect();
        if forwards.is_empty() {
            return;
        }
        let count = forwards.len();
        let new = NewMessage {
            sender: message.sender.to_owned(),
            recipients: forwards,
            envid: message.envid.map(str::to_owned),
            ret: message.ret,
            eight_bit: message.eight_bit,
            smtputf8: message.smtputf8,
        };
        match self.queue.enqueue(new, b"", body).await {
            Ok(id) => info!(
                "queue {}: {count} forwarding destination(s) queued as {id}",
                message.id
            ),
            Err(e) => {
                warn!("queue {}: cannot queue the forwards: {e}", message.id);
                for entry in resolved.iter_mut() {
                    if entry.as_ref().is_ok_and(|d| !d.remote.is_empty()) {
                        *entry = Err(deferred("4.3.0", format!("cannot queue the forward: {e}")));
                    }
                }
            }
        }
    }

    /// Stores the local copies of the resolved recipients; the outcome of each.
    async fn store(
        &self,
        envelope: &Envelope,
        body: &Spooled,
        resolved: Vec<Result<Destinations, Outcome>>,
    ) -> Vec<Outcome> {
        let local: Vec<Vec<LocalUser>> = resolved
            .iter()
            .map(|r| r.as_ref().map(|d| d.local.clone()).unwrap_or_default())
            .collect();
        let mailboxes = super::distinct_mailboxes(&local);
        let stored = self
            .delivery
            .store_copies(envelope, &mailboxes, body, Trace::DeliveryOnly)
            .await;
        resolved
            .into_iter()
            .zip(&local)
            .map(|(result, targets)| {
                let destinations = match result {
                    Ok(destinations) => destinations,
                    Err(outcome) => return outcome,
                };
                let failure = targets.iter().find_map(|t| {
                    let at = mailboxes.iter().position(|m| m.maildir == t.maildir)?;
                    stored[at].err()
                });
                match failure {
                    Some(super::StoreFailure::OverQuota) => {
                        deferred("4.2.2", "mailbox full".to_owned())
                    }
                    Some(super::StoreFailure::Temporary) => {
                        deferred("4.3.0", "local delivery failed".to_owned())
                    }
                    None => delivered(&destinations),
                }
            })
            .collect()
    }
}

impl<R: Resolver> Transport for LocalTransport<R> {
    fn deliver<'a>(
        &'a self,
        _domain: &'a str,
        messages: &'a [OutboundMessage<'a>],
        progress: Progress,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            for (index, message) in messages.iter().enumerate() {
                progress.settle(index, self.deliver_message(message).await);
            }
        })
    }
}

/// The queue recipient for the forwarding destination `address` of `recipient`.
fn forward_recipient(recipient: &OutboundRecipient, address: &str) -> OutboundRecipient {
    OutboundRecipient {
        address: address.to_owned(),
        notify: recipient.notify,
        orcpt: recipient
            .orcpt
            .clone()
            .or_else(|| Some(("rfc822".to_owned(), recipient.address.clone()))),
    }
}

fn outcome(status: Status, code: &str, diagnostic: String) -> Outcome {
    Outcome {
        status,
        code: code.to_owned(),
        remote: None,
        diagnostic,
    }
}

fn deferred(code: &str, diagnostic: String) -> Outcome {
    outcome(Status::Deferred, code, diagnostic)
}

fn failed(code: &str, diagnostic: String) -> Outcome {
    outcome(Status::Failed, code, diagnostic)
}

fn delivered(destinations: &Destinations) -> Outcome {
    let mut places: Vec<&str> = destinations
        .local
        .iter()
        .map(|m| m.email.as_str())
        .collect();
    places.extend(destinations.remote.iter().map(String::as_str));
    outcome(
        Status::Delivered,
        "2.0.0",
        format!("delivered to {}", places.join(", ")),
    )
}

#[cfg(test)]
mod tests;
