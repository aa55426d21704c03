//! The MX: inbound SMTP from other mail servers, for our domains only.
//!
//! The session answers smtp-proto's events and nothing else; the socket belongs to the
//! [listen](crate::listen) driver. The same session serves the LMTP listener
//! ([`Flavor::Lmtp`], see [lmtp](crate::lmtp)): both run the one delivery path of
//! [delivery](crate::delivery), and differ only in greeting, the reply to a domain that
//! is not ours, and one reply per recipient after the message.
//!
//! Replies: a domain we do not serve gets `554 5.7.1` (never an open relay, whatever the
//! local part: only authenticated submission relays), an unknown user `550 5.1.1`, a
//! full mailbox `452 4.2.2`. A recipient that is an alias forwarding outside our domains
//! is accepted: its local copies are stored and its remote destinations queued, with
//! the original envelope sender (see [dispatch](crate::delivery::dispatch) for the SPF
//! consequence). The `250` after DATA/BDAT is sent only once every local copy is
//! fsynced in its Maildir and every forward in the outbound queue; a message with more
//! than 50 `Received` headers (a mail loop) gets `554 5.4.6`.
//!
//! With `[spam] enabled = true`, rspamd checks every message at the end of DATA/BDAT,
//! before anything is stored ([`SpamCheck`]): a reject is answered with rspamd's 5xx
//! reply, a soft reject or greylisting with its 4xx reply (LMTP: the same reply for
//! every recipient), a discard with `250` and nothing stored; an accepted message is
//! delivered with rspamd's header changes (`X-Spam: Yes`, `X-Spam-Score`, a rewritten
//! subject), which the global Sieve script then acts on (spam goes to Junk). When
//! rspamd is down or slow the message is accepted unchecked with a log line, or
//! refused with `451 4.7.1` under `fail_open = false`. Authenticated submission
//! ([submission](crate::submission)) runs the same check only with
//! `check_submission = true`.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use smtp_proto::server::{Config as SmtpConfig, Event, HelloKind, Server};
use smtp_proto::types::{EnhancedCode, RcptTo, Reply};
use tracing::{debug, error, info};

use crate::config::Config;
use crate::delivery::dispatch::{Dispatcher, Failure, Message, Recipient, Transaction};
use crate::delivery::{Envelope, Refusal, Resolver};
use crate::directory::Directory;
use crate::filter::{Screened, SpamCheck};
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
    dispatcher: Arc<Dispatcher<R>>,
    spam: Option<Arc<SpamCheck>>,
}

/// The smtp-proto configuration of the MX: our limits, and the extensions an MX offers
/// (PIPELINING, SIZE, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES, CHUNKING, and STARTTLS
/// when a certificate is configured; the machine drops STARTTLS once in TLS).
/// BINARYMIME is not offered: such a message could not be forwarded to a server
/// without it.
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
    e.binary_mime = false;
    e.starttls = config.tls.is_some();
    smtp.limits.max_message_size = config.limits.message_size;
    smtp.limits.max_recipients = config.limits.recipients;
    smtp.timeouts.command = config.limits.idle_timeout();
    smtp
}

impl<R: Resolver> SmtpService<R> {
    /// A service that delivers and forwards through `dispatcher`.
    pub(crate) fn new(flavor: Flavor, config: SmtpConfig, dispatcher: Arc<Dispatcher<R>>) -> Self {
        Self {
            flavor,
            config,
            dispatcher,
            spam: None,
        }
    }

    /// Checks every message with `spam` at the end of DATA, before delivery.
    pub(crate) fn with_spam_check(mut self, spam: Arc<SpamCheck>) -> Self {
        self.spam = Some(spam);
        self
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
            dispatcher: Arc::clone(&self.dispatcher),
            spam: self.spam.clone(),
            peer: peer.clone(),
            tls: None,
            transaction: None,
        };
        (server, session)
    }

    fn refusal(&self) -> Bytes {
        listen::smtp::refusal(self.dispatcher.delivery().hostname())
    }
}

/// One MX or LMTP connection.
pub(crate) struct SmtpSession<R = Directory> {
    flavor: Flavor,
    dispatcher: Arc<Dispatcher<R>>,
    spam: Option<Arc<SpamCheck>>,
    peer: Peer,
    tls: Option<TlsInfo>,
    transaction: Option<Transaction>,
}

/// How a received message ends.
enum Ending {
    /// It was delivered or not: one result per recipient.
    Delivered(Vec<Result<(), Failure>>),
    /// The spam check refused it with this reply (for every recipient).
    Refused(Reply<'static>),
}

/// A reply with an enhanced status code.
pub(crate) fn reply(
    code: u16,
    enhanced: (u8, u16, u16),
    text: impl Into<std::borrow::Cow<'static, str>>,
) -> Reply<'static> {
    let (class, subject, detail) = enhanced;
    Reply::new(code, Some(EnhancedCode::new(class, subject, detail)), text)
}

/// The reply to a recipient refused for `refusal`, on a service where a domain we do
/// not serve means relaying (`relay`: the MX) or a misrouted message (LMTP).
pub(crate) fn refusal_reply(refusal: Refusal, relay: bool) -> Reply<'static> {
    match refusal {
        Refusal::BadLocalPart => reply(
            550,
            (5, 1, 1),
            "Recipient address rejected: no such mailbox",
        ),
        Refusal::NotLocalDomain if relay => reply(554, (5, 7, 1), "Relay access denied"),
        Refusal::NotLocalDomain => reply(550, (5, 1, 2), "Recipient domain not served here"),
        Refusal::UnknownUser => reply(550, (5, 1, 1), "Recipient address rejected: user unknown"),
        Refusal::OverQuota => reply(452, (4, 2, 2), "Mailbox full, try again later"),
        Refusal::TooManyAliases => reply(
            550,
            (5, 4, 6),
            "Recipient address rejected: alias expansion exceeds its limits",
        ),
        Refusal::Temporary => reply(451, (4, 3, 0), "Temporary lookup failure, try again later"),
    }
}

/// The reply to a message (or, in LMTP, a recipient) not taken for `failure`.
pub(crate) fn failure_reply(failure: Failure) -> Reply<'static> {
    match failure {
        Failure::TooManyHops => reply(554, (5, 4, 6), "Too many hops: mail loop detected"),
        Failure::OverQuota => reply(452, (4, 2, 2), "Mailbox full, try again later"),
        Failure::Store => reply(451, (4, 3, 0), "Local delivery failed, try again later"),
        Failure::Queue => reply(451, (4, 3, 0), "Queueing failed, try again later"),
    }
}

impl<R: Resolver> SmtpSession<R> {
    async fn on_rcpt(&mut self, server: &mut Server, rcpt: &RcptTo<'_>) {
        let Some(txn) = self.transaction.as_mut() else {
            // The machine only asks inside a transaction.
            let _ = server.reject_rcpt(reply(503, (5, 5, 1), "Error: need MAIL command"));
            return;
        };
        let recipient = &rcpt.recipient;
        let checked = self
            .dispatcher
            .delivery()
            .check_recipient(&recipient.local_part, &recipient.domain, txn.declared_size)
            .await;
        let shown = sanitize(&recipient.to_string());
        match checked {
            Ok(destinations) => {
                txn.recipients.push(Recipient::new(rcpt, destinations));
                let _ = server.accept_rcpt();
            }
            Err(refusal) => {
                let r = refusal_reply(refusal, self.flavor == Flavor::Mx);
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

    async fn on_message_end(&mut self, server: &mut Server, count: usize) {
        let results = match self.deliver(server, count).await {
            Ending::Delivered(results) => results,
            Ending::Refused(refusal) => {
                match self.flavor {
                    Flavor::Lmtp => {
                        for _ in 0..count {
                            let _ = server.recipient_reply(refusal.clone());
                        }
                    }
                    Flavor::Mx => {
                        let _ = server.reject_message(refusal);
                    }
                }
                return;
            }
        };
        let ok = || reply(250, (2, 0, 0), "Ok: delivered");
        match self.flavor {
            Flavor::Lmtp => {
                for result in results {
                    let r = result.map_or_else(failure_reply, |()| ok());
                    let _ = server.recipient_reply(r);
                }
            }
            Flavor::Mx => match results.into_iter().find_map(Result::err) {
                None => {
                    let _ = server.accept_message(ok());
                }
                Some(failure) => {
                    let _ = server.reject_message(failure_reply(failure));
                }
            },
        }
    }

    /// Checks and delivers the finished transaction.
    async fn deliver(&mut self, server: &Server, count: usize) -> Ending {
        let temporary = Ending::Delivered(vec![Err(Failure::Store); count]);
        let Some(txn) = self.transaction.take() else {
            return temporary;
        };
        let Some(mut message) = txn.finish().await else {
            return temporary;
        };
        if message.recipients.len() != count {
            error!(
                "internal error: {} recipients accepted, the machine reports {count}",
                message.recipients.len()
            );
            return temporary;
        }
        let envelope = envelope(
            &self.peer,
            server,
            &message,
            self.protocol(server),
            self.tls.as_ref(),
            None,
        );
        if let Some(spam) = &self.spam {
            let delivery = self.dispatcher.delivery();
            match spam
                .screen(&envelope, &mut message, delivery, self.peer.id)
                .await
            {
                Screened::Deliver => {}
                Screened::Discarded => return Ending::Delivered(vec![Ok(()); count]),
                Screened::Refused(refusal) => return Ending::Refused(refusal),
                Screened::Failed => return temporary,
            }
        }
        let results = match self.flavor {
            Flavor::Mx => {
                let result = self.dispatcher.deliver_all(&envelope, &message).await;
                vec![result; count]
            }
            Flavor::Lmtp => self.dispatcher.deliver_each(&envelope, &message).await,
        };
        log_message(&self.peer, &message, &results);
        Ending::Delivered(results)
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
                self.transaction = Some(Transaction::new(&mail));
                let _ = server.accept_mail();
            }
            Event::Rcpt(rcpt) => self.on_rcpt(server, &rcpt).await,
            Event::DataStart { .. } => {
                if let Some(txn) = self.transaction.as_mut() {
                    txn.start_body(self.dispatcher.delivery());
                }
            }
            Event::DataChunk(bytes) => {
                if let Some(txn) = self.transaction.as_mut() {
                    txn.write(&bytes).await;
                }
            }
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
        self.transaction.as_ref().is_none_or(Transaction::is_idle)
    }
}

/// The envelope of a finished `message` for trace headers, logs and the filter.
pub(crate) fn envelope(
    peer: &Peer,
    server: &Server,
    message: &Message,
    protocol: &'static str,
    tls: Option<&TlsInfo>,
    authenticated: Option<String>,
) -> Envelope {
    Envelope {
        id: format!("S{}", peer.id),
        helo: server.hello_domain().map(str::to_owned),
        client_ip: peer.ip(),
        protocol,
        tls: tls.map(ToString::to_string),
        sender: message.sender.clone(),
        recipients: message
            .recipients
            .iter()
            .map(|r| r.address.clone())
            .collect(),
        authenticated,
    }
}

/// Logs a finished message.
pub(crate) fn log_message(peer: &Peer, message: &Message, results: &[Result<(), Failure>]) {
    info!(
        "message: session={} from=<{}> recipients={} size={} accepted={}",
        peer.id,
        sanitize(message.sender.as_deref().unwrap_or("")),
        results.len(),
        message.body.len(),
        results.iter().filter(|r| r.is_ok()).count()
    );
}

#[cfg(test)]
mod tests;
