//! One submission connection: answers the machine's events.

use std::sync::Arc;

use smtp_proto::server::{Event, Server};
use smtp_proto::types::{MailFrom, RcptTo, Reply};
use tracing::{debug, info, warn};

use super::Shared;
use crate::delivery::dispatch::{Failure, Recipient, Transaction};
use crate::delivery::{Destinations, Resolver, is_plain_local_part};
use crate::directory::address::check_domain;
use crate::filter::Screened;
use crate::listen::{Flow, Peer, Session};
use crate::logging::sanitize;
use crate::login::{SaslExchange, SaslOutcome};
use crate::mx::{envelope, failure_reply, log_message, refusal_reply, reply};
use crate::tls::TlsInfo;

/// One submission connection.
pub(crate) struct SubmissionSession<R> {
    shared: Arc<Shared<R>>,
    peer: Peer,
    tls: Option<TlsInfo>,
    /// The SASL exchange in progress.
    sasl: Option<SaslExchange>,
    transaction: Option<Transaction>,
}

fn auth_failed() -> Reply<'static> {
    reply(535, (5, 7, 8), "Authentication credentials invalid")
}

fn try_later() -> Reply<'static> {
    reply(
        454,
        (4, 7, 0),
        "Temporary authentication failure, try again later",
    )
}

impl<R: Resolver> SubmissionSession<R> {
    pub(crate) fn new(shared: Arc<Shared<R>>, peer: Peer) -> Self {
        Self {
            shared,
            peer,
            tls: None,
            sasl: None,
            transaction: None,
        }
    }

    async fn on_auth(&mut self, machine: &mut Server, mechanism: &str, initial: Option<&[u8]>) {
        // The machine only passes mechanisms it offered, all of which the exchange knows.
        let Some(mut exchange) = SaslExchange::new(mechanism, &self.shared.hostname, &self.peer)
        else {
            let _ = machine.auth_failure(reply(504, (5, 5, 4), "Unrecognized authentication type"));
            return;
        };
        let outcome = exchange.start(&self.shared.auth, initial).await;
        self.sasl_outcome(machine, exchange, outcome).await;
    }

    async fn on_auth_response(&mut self, machine: &mut Server, response: &[u8]) {
        let Some(mut exchange) = self.sasl.take() else {
            let _ = machine.auth_failure(auth_failed());
            return;
        };
        let outcome = exchange.respond(&self.shared.auth, response).await;
        self.sasl_outcome(machine, exchange, outcome).await;
    }

    async fn sasl_outcome(
        &mut self,
        machine: &mut Server,
        exchange: SaslExchange,
        outcome: SaslOutcome,
    ) {
        match outcome {
            SaslOutcome::Challenge(data) => {
                self.sasl = Some(exchange);
                let _ = machine.auth_challenge(&data);
            }
            SaslOutcome::Success(email) => {
                info!(
                    "login: session={} user=<{}> method=AUTH",
                    self.peer.id,
                    sanitize(&email)
                );
                // The machine keeps the login (and forgets it at STARTTLS).
                let _ = machine.auth_success(email);
            }
            SaslOutcome::Failure { user } => {
                self.shared.auth.failed(user.as_deref(), &self.peer).await;
                let _ = machine.auth_failure(auth_failed());
            }
            SaslOutcome::Unavailable => {
                let _ = machine.auth_failure(try_later());
            }
        }
    }

    /// The sender check: the login must own the envelope sender.
    async fn on_mail(&mut self, machine: &mut Server, mail: &MailFrom<'_>) {
        let Some(login) = machine.authenticated_identity().map(str::to_owned) else {
            // The machine refuses MAIL before AUTH itself (`require_auth`).
            let _ = machine.reject_mail(reply(530, (5, 7, 0), "Authentication required"));
            return;
        };
        if let Some(sender) = &mail.sender {
            let sender = sender.to_string();
            match self.shared.directory.may_send_as(&login, &sender).await {
                Ok(true) => {}
                Ok(false) => {
                    info!(
                        "sender refused: session={} from=<{}> user=<{}>",
                        self.peer.id,
                        sanitize(&sender),
                        sanitize(&login)
                    );
                    let text =
                        format!("<{sender}>: Sender address rejected: not owned by user {login}");
                    let _ = machine.reject_mail(reply(553, (5, 7, 1), text));
                    return;
                }
                Err(e) => {
                    warn!("submission: sender lookup failed: {e}");
                    let r = reply(451, (4, 3, 0), "Temporary lookup failure, try again later");
                    let _ = machine.reject_mail(r);
                    return;
                }
            }
        }
        self.transaction = Some(Transaction::new(mail));
        let _ = machine.accept_mail();
    }

    async fn on_rcpt(&mut self, machine: &mut Server, rcpt: &RcptTo<'_>) {
        let Some(txn) = self.transaction.as_ref() else {
            let _ = machine.reject_rcpt(reply(503, (5, 5, 1), "Error: need MAIL command"));
            return;
        };
        let checked = self.route(rcpt, txn.declared_size).await;
        let shown = sanitize(&rcpt.recipient.to_string());
        match checked {
            Ok(destinations) => {
                if let Some(txn) = self.transaction.as_mut() {
                    txn.recipients.push(Recipient::new(rcpt, destinations));
                }
                let _ = machine.accept_rcpt();
            }
            Err(r) => {
                info!(
                    "recipient refused: session={} to=<{shown}> reply={} {}",
                    self.peer.id,
                    r.code,
                    r.text()
                );
                let _ = machine.reject_rcpt(r);
            }
        }
    }

    /// Where the copy for `rcpt` goes: local mailboxes for our domains, the queue for
    /// any other.
    async fn route(
        &self,
        rcpt: &RcptTo<'_>,
        size: Option<u64>,
    ) -> Result<Destinations, Reply<'static>> {
        let address = &rcpt.recipient;
        let delivery = self.shared.dispatcher.delivery();
        // `<Postmaster>` (no domain) is our own postmaster.
        let local = address.domain.is_empty()
            || delivery
                .is_local_domain(&address.domain)
                .await
                .map_err(|refusal| refusal_reply(refusal, false))?;
        if local {
            return delivery
                .check_recipient(&address.local_part, &address.domain, size)
                .await
                .map_err(|refusal| refusal_reply(refusal, false));
        }
        if check_domain(&address.domain).is_err() {
            return Err(reply(
                553,
                (5, 1, 3),
                "Recipient address rejected: a domain name is required",
            ));
        }
        if !is_plain_local_part(&address.local_part) {
            return Err(reply(
                553,
                (5, 1, 3),
                "Recipient address rejected: unsupported local part",
            ));
        }
        Ok(Destinations {
            local: Vec::new(),
            remote: vec![address.to_string()],
        })
    }

    async fn on_message_end(&mut self, machine: &mut Server, count: usize) {
        let result = self.deliver(machine, count).await;
        let _ = match result {
            Ok(()) => machine.accept_message(reply(250, (2, 0, 0), "Ok: queued")),
            Err(Refusal::Failed(failure)) => machine.reject_message(failure_reply(failure)),
            Err(Refusal::Spam(refusal)) => machine.reject_message(refusal),
        };
    }

    async fn deliver(&mut self, machine: &Server, count: usize) -> Result<(), Refusal> {
        let txn = self.transaction.take().ok_or(Failure::Store)?;
        let mut message = txn.finish().await.ok_or(Failure::Store)?;
        if message.recipients.len() != count {
            warn!(
                "internal error: {} recipients accepted, the machine reports {count}",
                message.recipients.len()
            );
            return Err(Failure::Store.into());
        }
        // RFC 3848: A for AUTH, S for STARTTLS or implicit TLS.
        let protocol = if machine.is_tls() {
            "ESMTPSA"
        } else {
            "ESMTPA"
        };
        let envelope = envelope(
            &self.peer,
            machine,
            &message,
            protocol,
            self.tls.as_ref(),
            machine.authenticated_identity().map(str::to_owned),
        );
        if let Some(spam) = &self.shared.spam {
            let delivery = self.shared.dispatcher.delivery();
            match spam
                .screen(&envelope, &mut message, delivery, self.peer.id)
                .await
            {
                Screened::Deliver => {}
                Screened::Discarded => return Ok(()),
                Screened::Refused(refusal) => return Err(Refusal::Spam(refusal)),
                Screened::Failed => return Err(Failure::Store.into()),
            }
        }
        let result = self
            .shared
            .dispatcher
            .deliver_all(&envelope, &message)
            .await;
        log_message(&self.peer, &message, &[result]);
        Ok(result?)
    }
}

/// Why a message is not accepted.
enum Refusal {
    /// Delivery failed.
    Failed(Failure),
    /// The spam check refused it with this reply.
    Spam(Reply<'static>),
}

impl From<Failure> for Refusal {
    fn from(failure: Failure) -> Self {
        Self::Failed(failure)
    }
}

impl<R: Resolver> Session<Server> for SubmissionSession<R> {
    async fn on_event(&mut self, machine: &mut Server, event: Event) -> Flow {
        match event {
            Event::Hello { kind, domain } => {
                debug!(
                    "hello: session={} {kind:?} {}",
                    self.peer.id,
                    sanitize(&domain)
                );
            }
            Event::Auth {
                mechanism,
                initial_response,
            } => {
                let initial = initial_response.as_ref().map(|d| d.0.as_slice());
                self.on_auth(machine, &mechanism, initial).await;
            }
            Event::AuthResponse(data) => self.on_auth_response(machine, &data.0).await,
            Event::AuthCancelled => self.sasl = None,
            Event::Mail(mail) => self.on_mail(machine, &mail).await,
            Event::Rcpt(rcpt) => self.on_rcpt(machine, &rcpt).await,
            Event::DataStart { .. } => {
                if let Some(txn) = self.transaction.as_mut() {
                    txn.start_body(self.shared.dispatcher.delivery());
                }
            }
            Event::DataChunk(bytes) => {
                if let Some(txn) = self.transaction.as_mut() {
                    txn.write(&bytes).await;
                }
            }
            Event::MessageEnd { recipients } => {
                self.on_message_end(machine, recipients.len()).await;
            }
            Event::MessageRejected(reason) => {
                info!("message refused: session={} reason={reason}", self.peer.id);
                self.transaction = None;
            }
            Event::Reset => self.transaction = None,
            Event::Vrfy(_) | Event::Expn(_) => {
                let _ = machine.answer_lookup(reply(252, (2, 5, 0), "Cannot verify"));
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
