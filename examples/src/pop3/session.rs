//! One POP3 connection: answers the machine's events.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;

use pop3_proto::server::{Event, Server};
use pop3_proto::types::{ResponseCode, Status};
use tokio::fs::File;
use tokio::io::AsyncReadExt;
use tracing::{info, warn};

use super::Shared;
use super::maildrop::Maildrop;
use crate::listen::{Flow, Peer, Session};
use crate::logging::sanitize;
use crate::login::{SaslExchange, SaslOutcome, Verdict};

/// How much of a message is read and sent per step of a RETR or TOP.
const CHUNK: usize = 64 * 1024;

/// One POP3 connection.
pub(crate) struct Pop3Session {
    shared: Arc<Shared>,
    peer: Peer,
    /// The directory address of the user who just logged in (until the maildrop opens).
    authenticated: Option<String>,
    /// The SASL exchange in progress.
    sasl: Option<SaslExchange>,
    /// The locked maildrop, in TRANSACTION.
    maildrop: Option<Maildrop>,
    /// The message being sent by RETR or TOP.
    transfer: Option<File>,
}

fn auth_failed() -> Status<'static> {
    Status::with_code(ResponseCode::Auth, "Authentication failed")
}

fn try_later(text: &'static str) -> Status<'static> {
    Status::with_code(ResponseCode::SysTemp, text)
}

impl Pop3Session {
    pub(crate) fn new(shared: Arc<Shared>, peer: Peer) -> Self {
        Self {
            shared,
            peer,
            authenticated: None,
            sasl: None,
            maildrop: None,
            transfer: None,
        }
    }

    async fn on_login(&mut self, machine: &mut Server, user: &str, password: &[u8]) {
        let password = auth::Password::new(password);
        match self
            .shared
            .auth
            .check_password(&self.peer, user, password)
            .await
        {
            Verdict::Accepted(email) => {
                info!(
                    "login: session={} user=<{}> method=USER",
                    self.peer.id,
                    sanitize(&email)
                );
                self.authenticated = Some(email);
                let _ = machine.accept_login();
            }
            Verdict::Rejected => {
                self.shared.auth.failed(Some(user), &self.peer).await;
                let _ = machine.reject_login(auth_failed());
            }
            Verdict::Unavailable => {
                let _ = machine.reject_login(try_later("temporary authentication failure"));
            }
        }
    }

    async fn on_auth(&mut self, machine: &mut Server, mechanism: &str, initial: Option<&[u8]>) {
        let Some(mut exchange) = SaslExchange::new(mechanism, &self.shared.hostname, &self.peer)
        else {
            let _ = machine.auth_failure(Status::new("unsupported mechanism"));
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
                self.authenticated = Some(email.clone());
                let _ = machine.auth_success(email);
            }
            SaslOutcome::Failure { user } => {
                self.shared.auth.failed(user.as_deref(), &self.peer).await;
                let _ = machine.auth_failure(auth_failed());
            }
            SaslOutcome::Unavailable => {
                let _ = machine.auth_failure(try_later("temporary authentication failure"));
            }
        }
    }

    async fn on_open_maildrop(&mut self, machine: &mut Server) {
        let Some(email) = self.authenticated.take() else {
            let _ = machine.maildrop_failed(try_later("not authenticated"));
            return;
        };
        let path = match self.shared.directory.maildir_path(&email) {
            Ok(path) => path,
            Err(e) => {
                warn!("pop3: no maildir for <{}>: {e}", sanitize(&email));
                let _ = machine.maildrop_failed(try_later("cannot open the maildrop"));
                return;
            }
        };
        let Some(lock) = self.shared.locks.try_lock(&path) else {
            info!(
                "maildrop in use: session={} user=<{}>",
                self.peer.id,
                sanitize(&email)
            );
            let _ = machine.maildrop_in_use();
            return;
        };
        match open_maildrop(path, lock).await {
            Ok((maildrop, listing)) => {
                let count = listing.len();
                match machine.maildrop_ready(listing) {
                    Ok(()) => self.maildrop = Some(maildrop),
                    Err(e) => {
                        warn!("pop3: maildrop of <{}> refused: {e}", sanitize(&email));
                        let _ = machine.maildrop_failed(try_later("cannot list the maildrop"));
                        return;
                    }
                }
                info!(
                    "maildrop open: session={} user=<{}> messages={count}",
                    self.peer.id,
                    sanitize(&email)
                );
            }
            Err(e) => {
                warn!(
                    "pop3: cannot open the maildrop of <{}>: {e}",
                    sanitize(&email)
                );
                let _ = machine.maildrop_failed(try_later("cannot open the maildrop"));
            }
        }
    }

    async fn on_retrieve(&mut self, machine: &mut Server, msg: NonZeroU32) -> Flow {
        let Some(maildrop) = &self.maildrop else {
            let _ = machine.message_unavailable(try_later("no maildrop"));
            return Flow::Done;
        };
        match tokio::task::spawn_blocking(maildrop.opener(msg)).await {
            Ok(Ok(file)) => {
                self.transfer = Some(File::from_std(file));
                self.send_chunk(machine).await
            }
            Ok(Err(maildir::Error::NoSuchMessage { .. })) => {
                let _ = machine
                    .message_unavailable(Status::new("message was removed by another client"));
                Flow::Done
            }
            Ok(Err(e)) => {
                warn!(
                    "pop3: session={} cannot open message {msg}: {e}",
                    self.peer.id
                );
                let _ = machine.message_unavailable(try_later("cannot read the message"));
                Flow::Done
            }
            Err(e) => {
                warn!(
                    "pop3: session={} cannot open message {msg}: {e}",
                    self.peer.id
                );
                let _ = machine.message_unavailable(try_later("cannot read the message"));
                Flow::Done
            }
        }
    }

    /// Sends the next chunk of the message being retrieved; `Resume` until its end.
    async fn send_chunk(&mut self, machine: &mut Server) -> Flow {
        let Some(file) = self.transfer.as_mut() else {
            let _ = machine.message_end();
            return Flow::Done;
        };
        let mut buf = vec![0; CHUNK];
        let more = match file.read(&mut buf).await {
            Ok(0) => false,
            Ok(n) => machine.message_chunk(&buf[..n]).unwrap_or(false),
            Err(e) => {
                // The +OK may be out already: the response cannot be completed.
                warn!(
                    "pop3: session={} reading a message failed: {e}",
                    self.peer.id
                );
                self.transfer = None;
                machine.close();
                return Flow::Done;
            }
        };
        if more {
            Flow::Resume
        } else {
            self.transfer = None;
            let _ = machine.message_end();
            Flow::Done
        }
    }

    async fn on_update(&mut self, machine: &mut Server, deleted: &[NonZeroU32]) {
        let Some(maildrop) = self.maildrop.take() else {
            let _ = machine.update_complete();
            return;
        };
        let removed = if deleted.is_empty() {
            true
        } else {
            tokio::task::spawn_blocking(maildrop.expunger(deleted))
                .await
                .unwrap_or(false)
        };
        info!(
            "update: session={} deleted={} ok={removed}",
            self.peer.id,
            deleted.len()
        );
        // Release the lock before the client hears the answer.
        drop(maildrop);
        let _ = if removed {
            machine.update_complete()
        } else {
            machine.update_failed()
        };
    }
}

async fn open_maildrop(
    path: PathBuf,
    lock: super::maildrop::MaildropLock,
) -> Result<(Maildrop, Vec<pop3_proto::server::MessageInfo>), String> {
    match tokio::task::spawn_blocking(move || Maildrop::open(&path, lock)).await {
        Ok(Ok(opened)) => Ok(opened),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

impl Session<Server> for Pop3Session {
    async fn on_event(&mut self, machine: &mut Server, event: Event) -> Flow {
        match event {
            Event::Login { user, password } => {
                self.on_login(machine, &user, password.expose()).await;
            }
            Event::Apop { .. } => {
                // Not offered (no timestamp in the greeting); the machine never asks.
                let _ = machine.reject_login(auth_failed());
            }
            Event::Auth {
                mechanism,
                initial_response,
            } => {
                let initial = initial_response.as_ref().map(|d| d.expose());
                self.on_auth(machine, &mechanism, initial).await;
            }
            Event::AuthResponse(data) => self.on_auth_response(machine, data.expose()).await,
            Event::AuthCancelled => self.sasl = None,
            Event::OpenMaildrop { .. } => self.on_open_maildrop(machine).await,
            Event::Retrieve { msg, .. } => return self.on_retrieve(machine, msg).await,
            Event::Update { deleted } => self.on_update(machine, &deleted).await,
            // StartTls and Closed are handled by the driver.
            _ => {}
        }
        Flow::Done
    }

    async fn resume(&mut self, machine: &mut Server) -> Flow {
        self.send_chunk(machine).await
    }

    fn is_idle(&self) -> bool {
        self.transfer.is_none()
    }
}
