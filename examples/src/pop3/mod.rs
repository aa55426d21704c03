//! POP3 (ports 110 with STLS and 995 with implicit TLS) over each user's Maildir INBOX.
//!
//! The session answers pop3-proto's events and nothing else; the socket belongs to the
//! [listen](crate::listen) driver.
//!
//! - **Logins**: USER/PASS and SASL `PLAIN`, `LOGIN` and `SCRAM-SHA-256`, against the
//!   directory's `{SCHEME}` hashes ([`crate::login`]). Plaintext logins (USER/PASS, PLAIN,
//!   LOGIN) are refused before TLS, except from loopback when
//!   `auth.allow_plaintext_auth_on_loopback` is set. SCRAM is always offered, but it
//!   can only succeed for users whose stored password is `{SCRAM-SHA-256}` or
//!   cleartext (`{PLAIN}`); for any other scheme the exchange runs to its end and fails
//!   with `-ERR [AUTH]`, exactly like a wrong password, so it reveals nothing.
//!   Verification runs on the blocking pool, at most `limits.auth_concurrency` at once.
//!   A failed login is logged with [`logging::auth_failed`](crate::logging::auth_failed)
//!   and answered after [`AUTH_FAILURE_DELAY`], like Dovecot's `auth_failure_delay`.
//!   After a successful password login, a hash weaker than `auth.default_scheme` is
//!   replaced in the background when `auth.upgrade_hashes` is set.
//! - **Maildrop** ([`maildrop`]): the INBOX of `<vmail>/<domain>/<user>/Maildir`,
//!   messages in UID order, sizes with CRLF line endings (`W=` or counted), UIDLs in
//!   Dovecot 2.3's default format `%08Xu%08Xv` (UID and UIDVALIDITY in hex), so
//!   clients see the same UIDLs after a move from Dovecot, and back. One POP3 session
//!   per mailbox at a time in this process: a second gets `-ERR [IN-USE]`.
//! - **RETR/TOP** stream the file in chunks ([`Flow::Resume`]); no message is read
//!   into memory whole.
//! - **DELE** is committed only by QUIT (UPDATE state); a session that ends any other
//!   way deletes nothing.

mod maildrop;
mod session;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use pop3_proto::server::{Config as Pop3Config, Server};

use crate::config::Config;
use crate::directory::Directory;
use crate::listen::{self, Peer, Service};
use crate::login::Authenticator;

use self::maildrop::LockTable;
pub(crate) use self::session::Pop3Session;

/// How long a failed login waits before its `-ERR` (Dovecot's `auth_failure_delay`).
pub(crate) const AUTH_FAILURE_DELAY: Duration = Duration::from_secs(2);

/// The SASL mechanisms offered (PLAIN and LOGIN only where plaintext logins are allowed).
const MECHANISMS: [&str; 3] = ["PLAIN", "LOGIN", "SCRAM-SHA-256"];

/// The POP3 service: one [`Pop3Session`] per connection.
pub(crate) struct Pop3Service {
    config: Pop3Config,
    plaintext_on_loopback: bool,
    shared: Arc<Shared>,
}

/// What every session of the service uses.
pub(crate) struct Shared {
    /// Password checks and SASL.
    pub(crate) auth: Authenticator,
    /// Where the mailboxes are.
    pub(crate) directory: Directory,
    /// The mailboxes open in a POP3 session.
    pub(crate) locks: Arc<LockTable>,
    /// The server's host name (SASL).
    pub(crate) hostname: String,
}

impl Pop3Service {
    /// The service of `config`, with users from `directory`.
    pub(crate) fn new(config: &Config, directory: Directory) -> Self {
        Self::with_failure_delay(config, directory, AUTH_FAILURE_DELAY)
    }

    /// [`Pop3Service::new`] with another delay after failed logins (tests).
    pub(crate) fn with_failure_delay(
        config: &Config,
        directory: Directory,
        failure_delay: Duration,
    ) -> Self {
        let mut pop3 = Pop3Config::new(config.hostname.clone());
        pop3.stls = config.tls.is_some();
        pop3.auth_mechanisms = MECHANISMS.iter().map(|m| (*m).to_owned()).collect();
        pop3.timeouts.idle = config.limits.idle_timeout();
        let auth = Authenticator::new(
            "pop3",
            directory.clone(),
            config.limits.auth_concurrency,
            config
                .auth
                .upgrade_hashes
                .then(|| config.auth.hash_policy()),
            failure_delay,
        );
        Self {
            config: pop3,
            plaintext_on_loopback: config.auth.allow_plaintext_auth_on_loopback,
            shared: Arc::new(Shared {
                auth,
                directory,
                locks: Arc::new(LockTable::default()),
                hostname: config.hostname.clone(),
            }),
        }
    }

    /// Whether a connection from `ip` (`None`: a Unix socket) may log in with a
    /// plaintext password before TLS.
    fn plaintext_allowed(&self, ip: Option<IpAddr>) -> bool {
        self.plaintext_on_loopback && ip.is_none_or(|ip| ip.is_loopback())
    }
}

impl Service for Pop3Service {
    type Machine = Server;
    type Session = Pop3Session;

    fn open(&self, peer: &Peer) -> (Server, Pop3Session) {
        let mut config = self.config.clone();
        config.implicit_tls = peer.implicit_tls;
        config.stls &= !peer.implicit_tls;
        config.allow_plaintext_without_tls = self.plaintext_allowed(peer.ip());
        let server = Server::new(config, Instant::now());
        (
            server,
            Pop3Session::new(Arc::clone(&self.shared), peer.clone()),
        )
    }

    fn refusal(&self) -> Bytes {
        listen::pop3::refusal()
    }
}

#[cfg(test)]
mod tests;
