//! The MX: inbound SMTP from other mail servers, for our domains only.
//!
//! The session answers smtp-proto's events and nothing else; the socket belongs to the
//! [listen](crate::listen) driver. The same session serves the LMTP listener
//! ([`Flavor::Lmtp`], see [lmtp](crate::lmtp)): both run the one delivery path of
//! [delivery](crate::delivery), and differ only in greeting, the reply to a domain that
//! is not ours, and one reply per recipient after the message.
//!
//! Replies: a domain we do not serve gets `554 5.7.1` (never an open relay, whatever the
//! local part), an unknown user `550 5.1.1`, a full mailbox `452 4.2.2`, a recipient that
//! forwards outside our domains `451 4.3.0` (there is no outbound queue yet). The `250`
//! after DATA/BDAT is sent only once every recipient's copy is fsynced in its Maildir.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use smtp_proto::server::{Config as SmtpConfig, Event, HelloKind, Server};
use smtp_proto::types::{Address, EnhancedCode, Reply};
use tracing::{debug, error, info};

use crate::config::Config;
use crate::delivery::{Delivery, Envelope, Refusal, Resolver, SpoolWriter, StoreFailure};
use crate::directory::{Directory, LocalUser};
use crate::listen::{self, Flow, Peer, Service, Session};
use crate::logging::sanitize;
use crate::tls::TlsInfo;

/// Which protocol a [`SmtpService`] speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// Inbound SMTP (the MX).
    Mx,
    /// LMTP from a front MTA.
    Lmtp,
}

/// The MX (or LMTP) service: one [`SmtpSession`] per connection.
pub(crate) struct SmtpService<R = Directory> {
    flavor: Flavor,
    config: SmtpConfig,
    delivery: Arc<Delivery<R>>,
}

/// The smtp-proto configuration of the MX: our limits, and the extensions an MX offers
/// (PIPELINING, SIZE, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES, CHUNKING, and STARTTLS
/// when a certificate is configured; the machine drops STARTTLS once in TLS).
pub(crate) fn smtp_config(config: &Config, flavor: Flavor) -> SmtpConfig {
    let mut smtp = match flavor {
        Flavor::Mx => SmtpConfig::new(config.hostname.clone()),
        Flavor::Lmtp => lmtp_proto::server::config(config.hostname.clone()),
    };
    let e = &mut smtp.extensions;
    e.pipelining = true;
    e.size = true;
    e.eight_bit_mime = true;
    e.smtputf8 = true;
    e.chunking = true;
    e.starttls = config.tls.is_some();
    smtp.limits.max_message_size = config.limits.message_size;
    smtp.limits.max_recipients = config.limits.recipients;
    smtp.timeouts.command = config.limits.idle_timeout();
    smtp
}

impl<R: Resolver> SmtpService<R> {
    /// A service that delivers through `delivery`.
    pub(crate) fn new(flavor: Flavor, config: SmtpConfig, delivery: Arc<Delivery<R>>) -> Self {
        Self {
            flavor,
            config,
            delivery,
        }
    }
}

impl<R: Resolver> Service for SmtpService<R> {
    type Machine = Server;
    type Session = SmtpSession<R>;

    fn open(&self, peer: &Peer) -> (Server, SmtpSession<R>) {
        let mut config = self.config.clone();
        config.implicit_tls = peer.implicit_tls;
        let server = match self.flavor {
            Flavor::Mx => Server::new(config, Instant::now()),
            Flavor::Lmtp => lmtp_proto::server::new(config, Instant::now()),
        };
        let session = SmtpSession {
            flavor: self.flavor,
            delivery: Arc::clone(&self.delivery),
            peer: peer.clone(),
            tls: None,
            transaction: None,
        };
        (server, session)
    }

    fn refusal(&self) -> Bytes {
        listen::smtp::refusal(self.delivery.hostname())
    }
}

/// One MX or LMTP connection.
pub(crate) struct SmtpSession<R = Directory> {
    flavor: Flavor,
    delivery: Arc<Delivery<R>>,
    peer: Peer,
    tls: Option<TlsInfo>,
    transaction: Option<Transaction>,
}

/// The mail transaction in progress.
struct Transaction {
    sender: Option<String>,
    /// `SIZE=` of MAIL FROM.
    declared_size: Option<u64>,
    /// Accepted recipients, in RCPT order, with their mailboxes.
    recipients: Vec<(String, Vec<LocalUser>)>,
    /// The body, while it arrives.
    spool: Option<SpoolWriter>,
    /// The spool failed: the message will be refused with a temporary error.
    spool_failed: bool,
}

fn reply(code: u16, enhanced: (u8, u16, u16), text: &'static str) -> Reply<'static> {
    let (class, subject, detail) = enhanced;
    Reply::new(code, Some(EnhancedCode::new(class, subject, detail)), text)
}

impl<R: Resolver> SmtpSession<R> {
    fn refusal_reply(&self, refusal: Refusal) -> Reply<'static> {
        match refusal {
            Refusal::BadLocalPart => reply(
                550,
                (5, 1, 1),
                "Recipient address rejected: no such mailbox",
            ),
            Refusal::NotLocalDomain if self.flavor == Flavor::Mx => {
                reply(554, (5, 7, 1), "Relay access denied")
            }
            Refusal::NotLocalDomain => reply(550, (5, 1, 2), "Recipient domain not served here"),
            Refusal::UnknownUser => {
                reply(550, (5, 1, 1), "Recipient address rejected: user unknown")
            }
            Refusal::OverQuota => reply(452, (4, 2, 2), "Mailbox full, try again later"),
            Refusal::RemoteForward => reply(
                451,
                (4, 3, 0),
                "Forwarding to other domains is not possible yet, try again later",
            ),
            Refusal::Temporary => {
                reply(451, (4, 3, 0), "Temporary lookup failure, try again later")
            }
        }
    }

    fn failure_reply(failure: StoreFailure) -> Reply<'static> {
        match failure {
            StoreFailure::OverQuota => reply(452, (4, 2, 2), "Mailbox full, try again later"),
            StoreFailure::Temporary => {
                reply(451, (4, 3, 0), "Local delivery failed, try again later")
            }
        }
    }

    async fn on_rcpt(&mut self, server: &mut Server, recipient: &Address<'_>) {
        let Some(txn) = self.transaction.as_mut() else {
            // The machine only asks inside a transaction.
            let _ = server.reject_rcpt(reply(503, (5, 5, 1), "Error: need MAIL command"));
            return;
        };
        let checked = self
            .delivery
            .check_recipient(&recipient.local_part, &recipient.domain, txn.declared_size)
            .await;
        let shown = sanitize(&recipient.to_string());
        match checked {
            Ok(mailboxes) => {
                txn.recipients.push((recipient.to_string(), mailboxes));
                let _ = server.accept_rcpt();
            }
            Err(refusal) => {
                let r = self.refusal_reply(refusal);
                info!(
                    "recipient refused: session={} to=<{shown}> reply={} {}",
                    self.peer.id,
                    r.code,
                    r.text()
                );
                let _ = server.reject_rcpt(r);
            }
        }
    }

    async fn on_data_start(&mut self) {
        let Some(txn) = self.transaction.as_mut() else {
            return;
        };
        match self.delivery.spool().await {
            Ok(spool) => txn.spool = Some(spool),
            Err(e) => {
                error!("spool file: {e}");
                txn.spool_failed = true;
            }
        }
    }

    async fn on_chunk(&mut self, bytes: &[u8]) {
        let Some(txn) = self.transaction.as_mut() else {
            return;
        };
        if let Some(spool) = txn.spool.as_mut()
            && let Err(e) = spool.write(bytes).await
        {
            error!("writing the spool file: {e}");
            txn.spool = None;
            txn.spool_failed = true;
        }
    }

    async fn on_message_end(&mut self, server: &mut Server, count: usize) {
        let results = self.deliver(server, count).await;
        match self.flavor {
            Flavor::Lmtp => {
                for result in results {
                    let r = result.map_or_else(Self::failure_reply, |()| {
                        reply(250, (2, 0, 0), "Ok: delivered")
                    });
                    let _ = server.recipient_reply(r);
                }
            }
            Flavor::Mx => match results.into_iter().find_map(Result::err) {
                None => {
                    let _ = server.accept_message(reply(250, (2, 0, 0), "Ok: delivered"));
                }
                Some(failure) => {
                    let _ = server.reject_message(Self::failure_reply(failure));
                }
            },
        }
    }

    /// Delivers the finished transaction; one result per machine recipient.
    async fn deliver(&mut self, server: &Server, count: usize) -> Vec<Result<(), StoreFailure>> {
        let temporary = vec![Err(StoreFailure::Temporary); count];
        let Some(mut txn) = self.transaction.take() else {
            return temporary;
        };
        let spooled = match txn.spool.take() {
            Some(spool) if !txn.spool_failed => spool.finish().await,
            _ => return temporary,
        };
        let body = match spooled {
            Ok(body) => body,
            Err(e) => {
                error!("finishing the spool file: {e}");
                return temporary;
            }
        };
        if txn.recipients.len() != count {
            error!(
                "internal error: {} recipients accepted, the machine reports {count}",
                txn.recipients.len()
            );
            return temporary;
        }
        let (addresses, mailboxes): (Vec<String>, Vec<Vec<LocalUser>>) =
            txn.recipients.into_iter().unzip();
        let envelope = Envelope {
            id: format!("S{}", self.peer.id),
            helo: server.hello_domain().map(str::to_owned),
            client_ip: self.peer.ip(),
            protocol: self.protocol(server),
            tls: self.tls.as_ref().map(ToString::to_string),
            sender: txn.sender,
            recipients: addresses,
        };
        let all_or_nothing = self.flavor == Flavor::Mx;
        let results = self
            .delivery
            .deliver(&envelope, &mailboxes, &body, all_or_nothing)
            .await;
        info!(
            "message: session={} from=<{}> recipients={} size={} delivered={}",
            self.peer.id,
            sanitize(envelope.sender.as_deref().unwrap_or("")),
            results.len(),
            body.len(),
            results.iter().filter(|r| r.is_ok()).count()
        );
        results
    }

    /// The `with` keyword of the `Received` header (RFC 3848).
    fn protocol(&self, server: &Server) -> &'static str {
        let tls = server.is_tls();
        match (self.flavor, server.hello_kind(), tls) {
            (Flavor::Lmtp, _, false) => "LMTP",
            (Flavor::Lmtp, _, true) => "LMTPS",
            (Flavor::Mx, Some(HelloKind::Helo), _) => "SMTP",
            (Flavor::Mx, _, false) => "ESMTP",
            (Flavor::Mx, _, true) => "ESMTPS",
        }
    }
}

impl<R: Resolver> Session<Server> for SmtpSession<R> {
    async fn on_event(&mut self, server: &mut Server, event: Event) -> Flow {
        match event {
            Event::Hello { kind, domain } => {
                debug!(
                    "hello: session={} {kind:?} {}",
                    self.peer.id,
                    sanitize(&domain)
                );
            }
            Event::Mail(mail) => {
                self.transaction = Some(Transaction {
                    sender: mail.sender.as_ref().map(ToString::to_string),
                    declared_size: mail.params.size,
                    recipients: Vec::new(),
                    spool: None,
                    spool_failed: false,
                });
                let _ = server.accept_mail();
            }
            Event::Rcpt(rcpt) => self.on_rcpt(server, &rcpt.recipient).await,
            Event::DataStart { .. } => self.on_data_start().await,
            Event::DataChunk(bytes) => self.on_chunk(&bytes).await,
            Event::MessageEnd { recipients } => {
                self.on_message_end(server, recipients.len()).await;
            }
            Event::MessageRejected(reason) => {
                info!("message refused: session={} reason={reason}", self.peer.id);
                self.transaction = None;
            }
            Event::Reset => self.transaction = None,
            Event::Auth { .. } | Event::AuthResponse(_) => {
                // Not offered by the MX or LMTP; answer in case a client tries anyway.
                let _ = server.auth_failure(reply(504, (5, 5, 4), "AUTH not available"));
            }
            Event::Vrfy(_) | Event::Expn(_) => {
                let _ = server.answer_lookup(reply(252, (2, 5, 0), "Cannot verify"));
            }
            _ => {}
        }
        Flow::Done
    }

    fn tls_started(&mut self, info: &TlsInfo) {
        info!("starttls: session={} {info}", self.peer.id);
        self.tls = Some(info.clone());
    }

    fn is_idle(&self) -> bool {
        self.transaction
            .as_ref()
            .is_none_or(|txn| txn.spool.is_none() && !txn.spool_failed)
    }
}

#[cfg(test)]
mod tests;
