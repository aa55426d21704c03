//! IMAP (ports 143 with STARTTLS and 993 with implicit TLS) over each user's Maildir.
//!
//! The session ([`session`]) answers imap-proto's events and nothing else; the socket
//! belongs to the [listen](crate::listen) driver. The pieces:
//!
//! - [`session`]: one connection, every command (logins, mailboxes, SELECT, FETCH,
//!   STORE, SEARCH/SORT/THREAD, COPY/MOVE, APPEND, QUOTA, ID, IDLE updates).
//! - [`mailbox`]: the user's Maildir store, the selected mailbox's view (sequence
//!   numbers, UIDs, flags, mod-sequences) and change notifications between sessions
//!   and deliveries.
//! - [`mime`]: ENVELOPE, BODYSTRUCTURE, sections and BINARY of a message.
//! - [`search`]: SEARCH keys, SORT and THREAD.
//!
//! Logins work as for POP3 ([`crate::login`]): LOGIN and SASL `PLAIN`, `LOGIN` and
//! `SCRAM-SHA-256` against the directory's hashes, plaintext logins refused before TLS
//! (`LOGINDISABLED`, `NO [PRIVACYREQUIRED]`) except from loopback when
//! `auth.allow_plaintext_auth_on_loopback` is set, a failure delay and the fail2ban
//! line of [`logging::auth_failed`](crate::logging::auth_failed).

pub(crate) mod mailbox;
pub(crate) mod mime;
pub(crate) mod search;
pub(crate) mod session;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use imap_proto::server::{Config as ImapConfig, NonSyncLiterals, Server};
use imap_proto::types::{Atom, Capability};

use crate::config::Config;
use crate::directory::Directory;
use crate::listen::{self, Peer, Service};
use crate::login::Authenticator;

pub(crate) use self::session::ImapSession;

/// How long a failed login waits before its `NO` (Dovecot's `auth_failure_delay`).
pub(crate) const AUTH_FAILURE_DELAY: Duration = Duration::from_secs(2);

/// The SASL mechanisms offered (only where logins are allowed at all).
const MECHANISMS: [&str; 3] = ["PLAIN", "LOGIN", "SCRAM-SHA-256"];

/// The shortest autologout timer after login (RFC 9051 section 5.4).
const MIN_AUTHENTICATED_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The IMAP service: one [`ImapSession`] per connection.
pub(crate) struct ImapService {
    config: ImapConfig,
    plaintext_on_loopback: bool,
    shared: Arc<Shared>,
}

/// What every session of the service uses.
pub(crate) struct Shared {
    /// Password checks and SASL.
    pub(crate) auth: Authenticator,
    /// Users, their quotas and where their Maildirs are.
    pub(crate) directory: Directory,
    /// The server's host name (SASL).
    pub(crate) hostname: String,
}

impl ImapService {
    /// The service of `config`, with users from `directory`.
    pub(crate) fn new(config: &Config, directory: Directory) -> Self {
        Self::with_failure_delay(config, directory, AUTH_FAILURE_DELAY)
    }

    /// [`ImapService::new`] with another delay after failed logins (tests).
    pub(crate) fn with_failure_delay(
        config: &Config,
        directory: Directory,
        failure_delay: Duration,
    ) -> Self {
        let mut imap = ImapConfig::new();
        imap.greeting_text = format!("{} Postroom IMAP ready", config.hostname);
        imap.starttls = config.tls.is_some();
        imap.auth_mechanisms = MECHANISMS.iter().map(|m| (*m).to_owned()).collect();
        imap.non_sync_literals = NonSyncLiterals::Plus;
        imap.extensions = extensions();
        imap.limits.max_append_size = u32::try_from(config.limits.message_size).unwrap_or(u32::MAX);
        imap.timeouts.authenticated = config.limits.idle_timeout().max(MIN_AUTHENTICATED_TIMEOUT);
        imap.timeouts.idle = imap.timeouts.authenticated;
        // Before login the idle limit applies too, capped by the machine's own default.
        imap.timeouts.not_authenticated = config
            .limits
            .idle_timeout()
            .min(imap.timeouts.not_authenticated);
        let auth = Authenticator::new(
            "imap",
            directory.clone(),
            config.limits.auth_concurrency,
            config
                .auth
                .upgrade_hashes
                .then(|| config.auth.hash_policy()),
            failure_delay,
        );
        Self {
            config: imap,
            plaintext_on_loopback: config.auth.allow_plaintext_auth_on_loopback,
            shared: Arc::new(Shared {
                auth,
                directory,
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

/// The extensions the session implements, advertised as listed (the machine adds the
/// versions, STARTTLS, AUTH=, SASL-IR, LITERAL+, IDLE and ENABLE itself).
fn extensions() -> Vec<Capability<'static>> {
    let atom = |name: &'static str| Atom::new(name).ok();
    let mut caps = vec![
        Capability::Namespace,
        Capability::Id,
        Capability::Children,
        Capability::Unselect,
        Capability::UidPlus,
        Capability::Move,
        Capability::SpecialUse,
        Capability::CreateSpecialUse,
        Capability::ListExtended,
        Capability::ListStatus,
        Capability::ESearch,
        Capability::SearchRes,
        Capability::Within,
        Capability::CondStore,
        Capability::QResync,
        Capability::Quota,
    ];
    caps.extend(atom("STORAGE").map(Capability::QuotaRes));
    caps.extend(atom("MESSAGE").map(Capability::QuotaRes));
    caps.push(Capability::Sort);
    // SORT (DISPLAYFROM) and (DISPLAYTO), RFC 5957.
    caps.extend(atom("SORT=DISPLAY").map(Capability::Other));
    caps.extend(atom("REFERENCES").map(Capability::Thread));
    caps.extend(atom("ORDEREDSUBJECT").map(Capability::Thread));
    caps.extend([
        Capability::Binary,
        Capability::MultiAppend,
        Capability::Utf8Accept,
        Capability::StatusSize,
        Capability::CompressDeflate,
    ]);
    caps
}

impl Service for ImapService {
    type Machine = Server;
    type Session = ImapSession;

    fn open(&self, peer: &Peer) -> (Server, ImapSession) {
        let mut config = self.config.clone();
        config.implicit_tls = peer.implicit_tls;
        config.starttls &= !peer.implicit_tls;
        config.plaintext_auth = self.plaintext_allowed(peer.ip());
        let server = Server::new(config, Instant::now());
        (
            server,
            ImapSession::new(Arc::clone(&self.shared), peer.clone()),
        )
    }

    fn refusal(&self) -> Bytes {
        listen::imap::refusal()
    }
}

#[cfg(test)]
mod tests;
