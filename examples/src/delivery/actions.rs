//! Sieve's outgoing actions, sent through the outbound queue: `redirect` and the
//! vacation reply.
//!
//! A redirected message keeps the envelope sender of the message being processed (RFC
//! 5228 section 4.2 leaves the choice to the implementation and allows this; it is
//! Pigeonhole's default, and what our forwarding aliases and Postfix's do): bounces of
//! the redirect go to the original sender, who can act on them, and a null sender stays
//! null, so a bounce that is redirected cannot itself bounce. The price is SPF, as for
//! forwarding (see [dispatch](super::dispatch)). The message goes out unchanged but for
//! our `Received` header in front: every redirect is a hop, so a redirect loop (two
//! users redirecting to each other, through the queue's local delivery) ends when the
//! message carries more than [`MAX_HOPS`] of them; then the message is kept instead.
//!
//! A vacation reply (RFC 5230) is a new message from the null sender `<>` (section
//! 5.1), so it never causes an automatic reply or a bounce loop itself.

use std::io::Read;

use tracing::{error, info, warn};

use super::hops::{HopCounter, MAX_HOPS};
use super::{Addressee, Delivery, Envelope, Resolver, Spooled, received_header};
use crate::filter::sieve::VacationReply;
use crate::logging::sanitize;
use crate::outbound::OutboundRecipient;
use crate::queue::NewMessage;

/// Why a redirect was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RedirectFailure {
    /// It will not be sent (no queue, a mail loop, an unreadable body): keep instead.
    NotSent,
    /// The queue failed: the delivery fails temporarily and is retried.
    Queue,
}

/// What a pass over the message tells about it.
struct Scan {
    hops: usize,
    eight_bit: bool,
}

impl<R: Resolver> Delivery<R> {
    /// Queues the message to `addresses` for `addressee` (Sieve `redirect`).
    pub(super) async fn redirect(
        &self,
        envelope: &Envelope,
        addressee: &Addressee,
        body: &Spooled,
        addresses: &[String],
    ) -> Result<(), RedirectFailure> {
        let (id, user) = (&envelope.id, &addressee.mailbox.email);
        let Some(queue) = &self.outbox else {
            warn!("sieve redirect: session={id} to=<{user}> no outbound queue; keeping instead");
            return Err(RedirectFailure::NotSent);
        };
        let scan = match scan(body).await {
            Ok(scan) => scan,
            Err(e) => {
                error!("sieve redirect: session={id} to=<{user}> cannot read the message: {e}");
                return Err(RedirectFailure::NotSent);
            }
        };
        if scan.hops >= MAX_HOPS {
            warn!(
                "sieve redirect: session={id} to=<{user}> not redirected: {} Received headers \
                 (a mail loop); keeping instead",
                scan.hops
            );
            return Err(RedirectFailure::NotSent);
        }
        let sender = envelope.sender.clone().unwrap_or_default();
        let kind = if addressee.recipient.is_ascii() {
            "rfc822"
        } else {
            "utf-8"
        };
        let recipients: Vec<OutboundRecipient> = addresses
            .iter()
            .map(|address| OutboundRecipient {
                address: address.clone(),
                notify: None,
                orcpt: Some((kind.to_owned(), addressee.recipient.clone())),
            })
            .collect();
        let new = NewMessage {
            smtputf8: !sender.is_ascii() || addresses.iter().any(|a| !a.is_ascii()),
            sender,
            recipients,
            envid: None,
            ret: None,
            eight_bit: scan.eight_bit,
        };
        let prefix = received_header(envelope, &self.hostname);
        let shown: Vec<String> = addresses.iter().map(|a| sanitize(a)).collect();
        match queue.enqueue(new, &prefix, body).await {
            Ok(queue_id) => {
                info!(
                    "sieve redirect: session={id} to=<{user}> queue_id={queue_id} addresses={shown:?}"
                );
                Ok(())
            }
            Err(e) => {
                error!("sieve redirect: session={id} to=<{user}> not queued: {e}");
                Err(RedirectFailure::Queue)
            }
        }
    }

    /// Queues a vacation reply from the null sender. A failure is logged: the message
    /// itself is still delivered.
    pub(super) async fn send_vacation(
        &self,
        envelope: &Envelope,
        addressee: &Addressee,
        reply: VacationReply,
    ) {
        let (id, user) = (&envelope.id, &addressee.mailbox.email);
        let Some(queue) = &self.outbox else {
            warn!("vacation: session={id} to=<{user}> no outbound queue; reply dropped");
            return;
        };
        let mut writer = self.spool();
        let spooled = match writer.write(&reply.message).await {
            Ok(()) => writer.finish().await,
            Err(e) => Err(e),
        };
        let body = match spooled {
            Ok(body) => body,
            Err(e) => {
                error!("vacation: session={id} to=<{user}> cannot spool the reply: {e}");
                return;
            }
        };
        let new = NewMessage {
            sender: String::new(),
            recipients: vec![OutboundRecipient {
                address: reply.to.clone(),
                notify: None,
                orcpt: None,
            }],
            envid: None,
            ret: None,
            eight_bit: !reply.message.is_ascii(),
            smtputf8: !reply.to.is_ascii(),
        };
        let to = sanitize(&reply.to);
        match queue.enqueue(new, b"", &body).await {
            Ok(queue_id) => {
                info!("vacation: session={id} user=<{user}> reply to <{to}> queue_id={queue_id}");
            }
            Err(e) => {
                error!("vacation: session={id} user=<{user}> reply to <{to}> not queued: {e}")
            }
        }
    }
}

/// Counts the `Received` headers and looks for 8-bit bytes (reads the whole message,
/// on the blocking pool; redirects are rare).
async fn scan(body: &Spooled) -> std::io::Result<Scan> {
    let body = body.clone();
    tokio::task::spawn_blocking(move || {
        let mut reader = body.reader(Vec::new());
        let mut hops = HopCounter::default();
        let mut eight_bit = false;
        let mut buffer = vec![0; 64 * 1024];
        loop {
            let read = reader.read(&mut buffer)?;
            if read == 0 {
                break;
            }
            hops.feed(&buffer[..read]);
            eight_bit |= !buffer[..read].is_ascii();
        }
        Ok(Scan {
            hops: hops.hops(),
            eight_bit,
        })
    })
    .await
    .map_err(std::io::Error::other)?
}
