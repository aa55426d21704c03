//! Message submission (RFC 6409): mail clients send through their own server, on port
//! 587 with STARTTLS (`submission`) and on port 465 with implicit TLS (`submissions`,
//! RFC 8314).
//!
//! The session ([`session`]) answers smtp-proto's events and nothing else; the socket
//! belongs to the [listen](crate::listen) driver.
//!
//! - **Logins**: `AUTH PLAIN`, `LOGIN` and `SCRAM-SHA-256` against the directory, through
//!   the same [authenticator](crate::login) as IMAP and POP3 (failure delay, the
//!   fail2ban line of [`logging::auth_failed`](crate::logging::auth_failed), blocking
//!   pool). AUTH is offered only over TLS: before STARTTLS the EHLO reply does not list
//!   it, and `AUTH` and `MAIL` get `530 5.7.0 Must issue a STARTTLS command first` (RFC
//!   3207 section 4). The one exception is `auth.allow_plaintext_auth_on_loopback` for clients on
//!   127.0.0.1/::1. A wrong password gets `535 5.7.8`, a directory failure `454 4.7.0`.
//! - **MAIL before AUTH** gets `530 5.7.0 Authentication required`: an unauthenticated
//!   client can send nothing here, not even to local users (that is the MX's job).
//! - **Sender check** (ISPmail's `smtpd_sender_login_maps` with
//!   `reject_sender_login_mismatch`): the envelope sender must be owned by the logged-in
//!   user, i.e. be their address (with or without a `+tag`) or an alias that delivers
//!   to them ([`Directory::may_send_as`](crate::directory::Directory::may_send_as)),
//!   else `553 5.7.1 <addr>: Sender address rejected: not owned by user <login>`. The
//!   null sender `<>` is allowed, as Postfix allows it after AUTH: clients send
//!   read receipts and vacation replies with it, and it cannot be used to impersonate
//!   anyone.
//! - **Recipients**: in our domains, the MX's check ([`Delivery::check_recipient`]:
//!   `550 5.1.1` for an unknown user at once, `452 4.2.2` for a full mailbox); in any
//!   other domain, accepted for the outbound queue (authenticated submission is not
//!   subject to the relay rule). Remote local parts must be dot-atoms (no quoting) and
//!   remote domains host names (no address literals): `553 5.1.3` otherwise.
//! - **The message**: local copies are stored and remote recipients queued, all
//!   fsynced, before the `250` ([`dispatch`](crate::delivery::dispatch)); DSN
//!   parameters (`NOTIFY`, `ORCPT`, `RET`, `ENVID`) and `BODY=8BITMIME`/`SMTPUTF8` go
//!   with the queued message. The `Received` header says `with ESMTPSA` (or `ESMTPA`
//!   over plaintext loopback, RFC 3848) and names the login, never anything else of
//!   the credentials.
//!
//! [`Delivery::check_recipient`]: crate::delivery::Delivery::check_recipient

mod session;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use smtp_proto::server::{Config as SmtpConfig, LookupPolicy, Server};

use crate::config::Config;
use crate::delivery::Resolver;
use crate::delivery::dispatch::Dispatcher;
use crate::directory::Directory;
use crate::filter::SpamCheck;
use crate::listen::{self, Peer, Service};
use crate::login::Authenticator;

pub(crate) use self::session::SubmissionSession;

/// How long a failed login waits before its `535` (Dovecot's `auth_failure_delay`).
pub(crate) const AUTH_FAILURE_DELAY: Duration = Duration::from_secs(2);

/// The SASL mechanisms offered.
const MECHANISMS: [&str; 3] = ["PLAIN", "LOGIN", "SCRAM-SHA-256"];

/// The submission service: one [`SubmissionSession`] per connection.
pub(crate) struct SubmissionService<R = Directory> {
    config: SmtpConfig,
    plaintext_on_loopback: bool,
    shared: Arc<Shared<R>>,
}

/// What every session of the service uses.
pub(crate) struct Shared<R = Directory> {
    /// Password checks and SASL.
    pub(crate) auth: Authenticator,
    /// Sender ownership.
    pub(crate) directory: Directory,
    /// Local delivery and the outbound queue.
    pub(crate) dispatcher: Arc<Dispatcher<R>>,
    /// The server's host name (SASL).
    pub(crate) hostname: String,
    /// The spam check, when `spam.check_submission` asks for it.
    pub(crate) spam: Option<Arc<SpamCheck>>,
}

impl<R: Resolver> SubmissionService<R> {
    /// The service of `config`: logins and sender checks against `directory`, messages
    /// through `dispatcher`.
    pub(crate) fn new(
        config: &Config,
        directory: Directory,
        dispatcher: Arc<Dispatcher<R>>,
    ) -> Self {
        Self::with_failure_delay(config, directory, dispatcher, AUTH_FAILURE_DELAY)
    }

    /// [`SubmissionService::new`] with another delay after failed logins (tests).
    pub(crate) fn with_failure_delay(
        config: &Config,
        directory: Directory,
        dispatcher: Arc<Dispatcher<R>>,
        failure_delay: Duration,
    ) -> Self {
        let auth = Authenticator::new(
            "submission",
            directory.clone(),
            config.limits.auth_concurrency,
            config
                .auth
                .upgrade_hashes
                .then(|| config.auth.hash_policy()),
            failure_delay,
        );
        Self {
            config: smtp_config(config),
            plaintext_on_loopback: config.auth.allow_plaintext_auth_on_loopback,
            shared: Arc::new(Shared {
                auth,
                directory,
                dispatcher,
                hostname: config.hostname.clone(),
                spam: None,
            }),
        }
    }

    /// Checks every message with `spam` at the end of DATA, before delivery
    /// (`spam.check_submission = true`).
    pub(crate) fn with_spam_check(mut self, spam: Arc<SpamCheck>) -> Self {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.spam = Some(spam);
        }
        self
    }

    /// Whether a connection from `ip` (`None`: a Unix socket) may log in with a
    /// plaintext password before TLS.
    fn plaintext_allowed(&self, ip: Option<IpAddr>) -> bool {
        self.plaintext_on_loopback && ip.is_none_or(|ip| ip.is_loopback())
    }
}

/// The smtp-proto configuration of submission: AUTH required before MAIL, the
/// extensions of the MX plus DSN (RFC 3461), no BINARYMIME (it could not be relayed).
fn smtp_config(config: &Config) -> SmtpConfig {
    let mut smtp = SmtpConfig::new(config.hostname.clone());
    let e = &mut smtp.extensions;
    e.pipelining = true;
    e.size = true;
    e.eight_bit_mime = true;
    e.smtputf8 = true;
    e.chunking = true;
    e.binary_mime = false;
    e.dsn = true;
    e.starttls = config.tls.is_some();
    smtp.auth_mechanisms = MECHANISMS.iter().map(|m| (*m).to_owned()).collect();
    smtp.require_auth = true;
    smtp.expn = LookupPolicy::Disabled;
    smtp.limits.max_message_size = config.limits.message_size;
    smtp.limits.max_recipients = config.limits.recipients;
    smtp.timeouts.command = config.limits.idle_timeout();
    smtp
}

impl<R: Resolver> Service for SubmissionService<R> {
    type Machine = Server;
    type Session = SubmissionSession<R>;

    fn open(&self, peer: &Peer) -> (Server, SubmissionSession<R>) {
        let mut config = self.config.clone();
        config.implicit_tls = peer.implicit_tls;
        let plaintext = self.plaintext_allowed(peer.ip());
        config.auth_requires_tls = !plaintext;
        config.require_tls = !plaintext;
        let server = Server::new(config, Instant::now());
        let session = SubmissionSession::new(Arc::clone(&self.shared), peer.clone());
        (server, session)
    }

    fn refusal(&self) -> Bytes {
        listen::smtp::refusal(&self.shared.hostname)
    }
}

#[cfg(test)]
mod tests;
