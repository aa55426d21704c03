//! ManageSieve (RFC 5804, port 4190) with STARTTLS and SASL: users upload, check,
//! activate, download, rename and delete their Sieve scripts (Roundcube's managesieve
//! plugin, sieve-connect, Thunderbird's sieve add-on).
//!
//! The session answers the events of the Sans-IO machine in [`proto`] and nothing
//! else; the socket belongs to the [listen](crate::listen) driver.
//!
//! - **Logins**: SASL `PLAIN`, `LOGIN` and `SCRAM-SHA-256` through the shared
//!   [`Authenticator`] (failure delay, fail2ban line, blocking pool). PLAIN and LOGIN
//!   are refused before TLS (`NO (ENCRYPT-NEEDED)`) and not advertised, except from
//!   loopback when `auth.allow_plaintext_auth_on_loopback` is set. SCRAM's final server
//!   message goes out as a last challenge, answered with an empty string (RFC 5804
//!   section 2.1 allows this as well as `OK (SASL ...)`).
//! - **Scripts** ([`store`]): in the user's home next to the Maildir, as Dovecot's
//!   Pigeonhole keeps them: `sieve/NAME.sieve`, and the active one as the symlink
//!   `.dovecot.sieve -> sieve/NAME.sieve`. Writes are durable and activation atomic.
//! - **Validation**: PUTSCRIPT and CHECKSCRIPT compile the script with the Sieve
//!   interpreter; errors come back as `NO "line L, column C: ..."`. The `SIEVE`
//!   capability lists the interpreter's extensions, `MAXREDIRECTS` its redirect limit.
//! - **Quotas** ([`Quota`]): scripts per user, script size (`NO (QUOTA/MAXSIZE)`),
//!   total size; HAVESPACE answers from the same checks.

mod machine;
pub(crate) mod proto;
mod session;
pub(crate) mod store;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::config::Config;
use crate::directory::Directory;
use crate::listen::{Peer, Service};
use crate::login::Authenticator;

pub(crate) use self::session::ManagesieveSession;
pub(crate) use self::store::Quota;
use self::store::StoreLocks;

/// How long a failed login waits before its `NO` (Dovecot's `auth_failure_delay`).
pub(crate) const AUTH_FAILURE_DELAY: Duration = Duration::from_secs(2);

/// The SASL mechanisms offered (PLAIN and LOGIN only where plaintext logins are allowed).
const MECHANISMS: [&str; 3] = ["PLAIN", "LOGIN", "SCRAM-SHA-256"];

/// Room for the script name and separators next to the largest script in a PUTSCRIPT.
const LITERAL_SLACK: u64 = 1024;

/// What can be tuned besides the configuration file (tests use short delays).
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// The wait after a failed login.
    pub(crate) failure_delay: Duration,
    /// The Sieve interpreter's configuration scripts are validated with.
    pub(crate) sieve: sieve::Config,
    /// Limits per user.
    pub(crate) quota: Quota,
}

impl Default for Options {
    fn default() -> Self {
        let sieve = sieve::Config::default();
        let quota = Quota {
            max_script_size: sieve.max_script_size as u64,
            ..Quota::default()
        };
        Self {
            failure_delay: AUTH_FAILURE_DELAY,
            sieve,
            quota,
        }
    }
}

/// The ManageSieve service: one [`ManagesieveSession`] per connection.
pub(crate) struct ManagesieveService {
    config: proto::Config,
    plaintext_on_loopback: bool,
    shared: Arc<Shared>,
}

/// What every session of the service uses.
pub(crate) struct Shared {
    /// Password checks and SASL.
    pub(crate) auth: Authenticator,
    /// Where the homes are.
    pub(crate) directory: Directory,
    /// The server's host name (SASL).
    pub(crate) hostname: String,
    /// The configuration scripts are compiled with.
    pub(crate) sieve: Arc<sieve::Config>,
    /// Limits per user.
    pub(crate) quota: Quota,
    /// One writer per user at a time.
    pub(crate) locks: StoreLocks,
}

impl ManagesieveService {
    /// The service of `config`, with users from `directory`.
    pub(crate) fn new(config: &Config, directory: Directory) -> Self {
        Self::with_options(config, directory, Options::default())
    }

    /// [`ManagesieveService::new`] with other [`Options`].
    pub(crate) fn with_options(config: &Config, directory: Directory, options: Options) -> Self {
        let mut sieve_config = proto::Config::new(options.sieve.capability_string());
        sieve_config.max_redirects = Some(options.sieve.max_redirects);
        sieve_config.sasl_mechanisms = MECHANISMS.map(str::to_owned).to_vec();
        sieve_config.starttls = config.tls.is_some();
        sieve_config.timeouts.idle = config.limits.idle_timeout();
        sieve_config.limits.max_literal =
            options.quota.max_script_size.saturating_add(LITERAL_SLACK);
        let auth = Authenticator::new(
            "managesieve",
            directory.clone(),
            config.limits.auth_concurrency,
            config
                .auth
                .upgrade_hashes
                .then(|| config.auth.hash_policy()),
            options.failure_delay,
        );
        Self {
            config: sieve_config,
            plaintext_on_loopback: config.auth.allow_plaintext_auth_on_loopback,
            shared: Arc::new(Shared {
                auth,
                directory,
                hostname: config.hostname.clone(),
                sieve: Arc::new(options.sieve),
                quota: options.quota,
                locks: StoreLocks::default(),
            }),
        }
    }

    /// Whether a connection from `ip` (`None`: a Unix socket) may log in with a
    /// plaintext password before TLS.
    fn plaintext_allowed(&self, ip: Option<IpAddr>) -> bool {
        self.plaintext_on_loopback && ip.is_none_or(|ip| ip.is_loopback())
    }
}

impl Service for ManagesieveService {
    type Machine = proto::Server;
    type Session = ManagesieveSession;

    fn open(&self, peer: &Peer) -> (proto::Server, ManagesieveSession) {
        let mut config = self.config.clone();
        config.implicit_tls = peer.implicit_tls;
        config.starttls &= !peer.implicit_tls;
        config.allow_plaintext_without_tls = self.plaintext_allowed(peer.ip());
        let server = proto::Server::new(config, Instant::now());
        (
            server,
            ManagesieveSession::new(Arc::clone(&self.shared), peer.clone()),
        )
    }

    fn refusal(&self) -> Bytes {
        machine::refusal()
    }
}

#[cfg(test)]
mod tests;
