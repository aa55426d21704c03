//! The server's configuration: one TOML file, parsed with serde and then validated.
//!
//! Relative paths in the file (TLS files, the vmail root, a `sqlite://` database, an LMTP
//! unix socket) are relative to the directory holding the file, so a quickstart directory
//! can be moved as a whole. [`Config::load`] returns a fully resolved, validated value;
//! `postroom check-config` goes further and touches the outside world ([`check`]).
//!
//! ```toml
//! hostname = "mail.example.org"
//!
//! [listeners]
//! mx = ["0.0.0.0:25", "[::]:25"]
//! lmtp = ["unix:/var/spool/postfix/private/postroom-lmtp"]
//! pop3 = ["0.0.0.0:110"]
//! pop3s = ["0.0.0.0:995"]
//! imap = ["0.0.0.0:143"]
//! imaps = ["0.0.0.0:993"]
//! submission = ["0.0.0.0:587"]
//! submissions = ["0.0.0.0:465"]
//! managesieve = ["0.0.0.0:4190"]
//!
//! [tls]
//! certificate = "/etc/letsencrypt/live/mail.example.org/fullchain.pem"
//! key = "/etc/letsencrypt/live/mail.example.org/privkey.pem"
//!
//! [directory]
//! url = "mysql://mailadmin:secret@127.0.0.1/mailserver"
//!
//! [mail]
//! vmail = "/var/vmail"
//!
//! [limits]
//! message_size = 52428800
//!
//! [auth]
//! allow_plaintext_auth_on_loopback = true
//! default_scheme = "ARGON2ID"
//!
//! [queue]
//! dir = "/var/spool/postroom/queue"
//!
//! [outbound]
//! tls = "may"
//!
//! [spam]
//! enabled = true
//! backend = "milter"
//!
//! [sieve]
//! before = "/etc/postroom/before.sieve"
//! ```
//!
//! The `[queue]` keys are described in [`QueueConfig`], the `[outbound]` keys (TLS
//! policy, smarthost, static routes, nameservers, timeouts) in [`OutboundConfig`], the
//! `[spam]` keys (rspamd over milter or HTTP, timeout, fail-open) in [`SpamConfig`] and
//! the `[sieve]` keys (global before-script, users' scripts) in [`SieveConfig`].
//!
//! The spam check is off unless `[spam] enabled = true`: a fresh installation has no
//! rspamd, and although a refused connection to it would cost little (fail-open), an
//! address that drops packets would hold every message for the whole `timeout` and
//! log a warning for each. Sieve is on by default: the built-in global rule (mail with
//! `X-Spam: Yes` goes to Junk) does nothing without a spam check, and the users'
//! scripts are what ManageSieve uploads.

pub(crate) mod check;
mod listen_addr;
mod template;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use auth::SchemeSpec;
use serde::Deserialize;

pub(crate) use crate::filter::{SieveConfig, SpamConfig};
pub(crate) use crate::outbound::OutboundConfig;
pub(crate) use crate::queue::QueueConfig;
pub(crate) use listen_addr::ListenAddr;
pub(crate) use template::quickstart_toml;

/// The whole configuration of a `postroom serve` process.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Config {
    /// The file this was read from (not part of the TOML).
    #[serde(skip)]
    pub(crate) path: PathBuf,
    /// The server's host name: greeting banners, `Received:` lines, HELO for outbound mail.
    pub(crate) hostname: String,
    /// Which services listen where.
    #[serde(default)]
    pub(crate) listeners: Listeners,
    /// The certificate chain and key for STARTTLS/STLS and the implicit-TLS ports.
    #[serde(default)]
    pub(crate) tls: Option<TlsConfig>,
    /// Where domains, users and aliases live.
    pub(crate) directory: DirectoryConfig,
    /// Where mail is stored.
    pub(crate) mail: MailConfig,
    /// Resource limits.
    #[serde(default)]
    pub(crate) limits: Limits,
    /// Authentication policy.
    #[serde(default)]
    pub(crate) auth: AuthConfig,
    /// The outbound queue (submission, forwarding aliases, bounces).
    #[serde(default)]
    pub(crate) queue: QueueConfig,
    /// How queued mail leaves: TLS policy, smarthost, routes, DNS.
    #[serde(default)]
    pub(crate) outbound: OutboundConfig,
    /// The spam check of inbound mail (rspamd); off by default.
    #[serde(default)]
    pub(crate) spam: SpamConfig,
    /// Sieve filtering at local delivery; on by default.
    #[serde(default)]
    pub(crate) sieve: SieveConfig,
}

/// Listening addresses per service; an empty list disables the service.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Listeners {
    /// Inbound SMTP from other MTAs (standard port 25), STARTTLS when TLS is configured.
    #[serde(default)]
    pub(crate) mx: Vec<ListenAddr>,
    /// LMTP for a front MTA such as Postfix (port 24 or a unix socket).
    #[serde(default)]
    pub(crate) lmtp: Vec<ListenAddr>,
    /// POP3 with STLS (standard port 110).
    #[serde(default)]
    pub(crate) pop3: Vec<ListenAddr>,
    /// POP3 over implicit TLS (standard port 995).
    #[serde(default)]
    pub(crate) pop3s: Vec<ListenAddr>,
    /// IMAP with STARTTLS (standard port 143).
    #[serde(default)]
    pub(crate) imap: Vec<ListenAddr>,
    /// IMAP over implicit TLS (standard port 993).
    #[serde(default)]
    pub(crate) imaps: Vec<ListenAddr>,
    /// Message submission from mail clients with STARTTLS and AUTH (standard port 587).
    #[serde(default)]
    pub(crate) submission: Vec<ListenAddr>,
    /// Message submission over implicit TLS, RFC 8314 (standard port 465).
    #[serde(default)]
    pub(crate) submissions: Vec<ListenAddr>,
    /// ManageSieve with STARTTLS, RFC 5804 (standard port 4190).
    #[serde(default)]
    pub(crate) managesieve: Vec<ListenAddr>,
}

/// One service's name and addresses, as iterated by [`Listeners::all`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Service<'a> {
    /// The configuration key (`mx`, `lmtp`, ...).
    pub(crate) name: &'static str,
    /// Whether the service speaks TLS from the first byte.
    pub(crate) implicit_tls: bool,
    /// Where it listens.
    pub(crate) addrs: &'a [ListenAddr],
}

impl Listeners {
    /// Every service with its addresses, in a fixed order.
    pub(crate) fn all(&self) -> [Service<'_>; 9] {
        fn service<'a>(
            name: &'static str,
            implicit_tls: bool,
            addrs: &'a [ListenAddr],
        ) -> Service<'a> {
            Service {
                name,
                implicit_tls,
                addrs,
            }
        }
        [
            service("mx", false, &self.mx),
            service("lmtp", false, &self.lmtp),
            service("pop3", false, &self.pop3),
            service("pop3s", true, &self.pop3s),
            service("imap", false, &self.imap),
            service("imaps", true, &self.imaps),
            service("submission", false, &self.submission),
            service("submissions", true, &self.submissions),
            service("managesieve", false, &self.managesieve),
        ]
    }

    fn all_mut(&mut self) -> [&mut Vec<ListenAddr>; 9] {
        [
            &mut self.mx,
            &mut self.lmtp,
            &mut self.pop3,
            &mut self.pop3s,
            &mut self.imap,
            &mut self.imaps,
            &mut self.submission,
            &mut self.submissions,
            &mut self.managesieve,
        ]
    }
}

/// PEM files for TLS (for Let's Encrypt: `fullchain.pem` and `privkey.pem`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TlsConfig {
    /// The certificate chain, leaf first.
    pub(crate) certificate: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub(crate) key: PathBuf,
}

/// Where the ISPmail tables are.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DirectoryConfig {
    /// `sqlite:///abs/path.db`, `sqlite://relative.db`, `mysql://user:pass@host/db`
    /// or `postgres://user:pass@host/db`.
    pub(crate) url: String,
    /// Most database connections held open at once.
    #[serde(default = "default_max_db_connections")]
    pub(crate) max_connections: u32,
}

impl fmt::Debug for DirectoryConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirectoryConfig")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// The URL with any password replaced by `***`, for logs and messages.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => match authority[..at].split_once(':') {
            Some((user, _password)) => {
                format!("{scheme}://{user}:***{}", &rest[at..])
            }
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

fn default_max_db_connections() -> u32 {
    10
}

/// Mail storage.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MailConfig {
    /// The vmail root: mail for `user@domain` lives in `<vmail>/<domain>/<user>/Maildir`.
    pub(crate) vmail: PathBuf,
}

/// Resource limits, with safe defaults.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Limits {
    /// Largest accepted message in bytes (SMTP SIZE).
    pub(crate) message_size: u64,
    /// Most recipients per message.
    pub(crate) recipients: usize,
    /// Most simultaneous connections from one IP address.
    pub(crate) connections_per_ip: usize,
    /// Most simultaneous connections in total.
    pub(crate) connections: usize,
    /// Most password verifications running at once (each is CPU-heavy).
    pub(crate) auth_concurrency: usize,
    /// Seconds a client may stay idle before it is disconnected.
    pub(crate) idle_timeout_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            message_size: 50 * 1024 * 1024,
            recipients: 100,
            connections_per_ip: 20,
            connections: 1000,
            auth_concurrency: 4,
            idle_timeout_secs: 300,
        }
    }
}

impl Limits {
    /// [`Limits::idle_timeout_secs`] as a duration.
    pub(crate) fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }
}

/// Authentication policy.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct AuthConfig {
    /// Accept plaintext passwords (USER/PASS, LOGIN, AUTH PLAIN) without TLS from
    /// 127.0.0.1/::1 (POP3, IMAP and submission).
    pub(crate) allow_plaintext_auth_on_loopback: bool,
    /// The scheme for new hashes (`postroom user add`, upgrades after login).
    #[serde(deserialize_with = "deserialize_scheme")]
    pub(crate) default_scheme: SchemeSpec,
    /// Re-hash a user's password with `default_scheme` after a login that shows it is weaker.
    pub(crate) upgrade_hashes: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            allow_plaintext_auth_on_loopback: true,
            default_scheme: auth::HashPolicy::default().spec,
            upgrade_hashes: true,
        }
    }
}

impl AuthConfig {
    /// The policy that makes new hashes.
    pub(crate) fn hash_policy(&self) -> auth::HashPolicy {
        auth::HashPolicy {
            spec: self.default_scheme,
            ..auth::HashPolicy::default()
        }
    }
}

fn deserialize_scheme<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SchemeSpec, D::Error> {
    let name = String::deserialize(d)?;
    let spec: SchemeSpec = name.parse().map_err(serde::de::Error::custom)?;
    // Refuse verify-only schemes here rather than at the first `user add`.
    auth::HashPolicy::default()
        .hash_with(spec, b"probe".as_slice())
        .map(|_| spec)
        .map_err(serde::de::Error::custom)
}

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown or mistyped keys.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// The values parse but do not make a usable configuration.
    #[error("{path}: invalid configuration:\n  - {}", problems.join("\n  - "))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// One sentence per problem.
        problems: Vec<String>,
    },
}

impl Config {
    /// Reads, parses, resolves and validates the file at `path`.
    pub(crate) fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text, path)
    }

    /// Parses `text` as if read from `path` (relative paths resolve against its directory).
    pub(crate) fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let mut config: Self = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        config.path = path.to_owned();
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        config.resolve_paths(base);
        let problems = config.problems();
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid {
                path: path.to_owned(),
                problems,
            })
        }
    }

    fn resolve_paths(&mut self, base: &Path) {
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        if let Some(tls) = &mut self.tls {
            resolve(&mut tls.certificate);
            resolve(&mut tls.key);
        }
        resolve(&mut self.mail.vmail);
        resolve(&mut self.queue.dir);
        if let Some(ca_file) = &mut self.outbound.ca_file {
            resolve(ca_file);
        }
        self.sieve.resolve_paths(base);
        for addrs in self.listeners.all_mut() {
            for addr in addrs.iter_mut() {
                if let ListenAddr::Unix(path) = addr {
                    resolve(path);
                }
            }
        }
        self.directory.url = resolve_sqlite_url(&self.directory.url, base);
    }

    /// Problems found without touching files, databases or sockets.
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Err(e) = crate::directory::address::check_domain(&self.hostname) {
            problems.push(format!(
                "hostname {:?} is not a valid domain name: {e}",
                self.hostname
            ));
        }
        self.listener_problems(&mut problems);
        if !["sqlite:", "mysql:", "mariadb:", "postgres:", "postgresql:"]
            .iter()
            .any(|scheme| self.directory.url.starts_with(scheme))
        {
            problems.push(format!(
                "directory.url {:?} must start with sqlite://, mysql:// or postgres://",
                redact_url(&self.directory.url)
            ));
        }
        if self.directory.max_connections == 0 {
            problems.push("directory.max_connections must be at least 1".to_owned());
        }
        let l = &self.limits;
        for (name, value) in [
            ("message_size", l.message_size),
            ("recipients", l.recipients as u64),
            ("connections_per_ip", l.connections_per_ip as u64),
            ("connections", l.connections as u64),
            ("auth_concurrency", l.auth_concurrency as u64),
            ("idle_timeout_secs", l.idle_timeout_secs),
        ] {
            if value == 0 {
                problems.push(format!("limits.{name} must be at least 1"));
            }
        }
        if l.connections_per_ip > l.connections {
            problems.push(format!(
                "limits.connections_per_ip ({}) exceeds limits.connections ({})",
                l.connections_per_ip, l.connections
            ));
        }
        problems.extend(self.queue.problems());
        problems.extend(self.outbound.problems());
        problems.extend(self.spam.problems());
        problems
    }

    fn listener_problems(&self, problems: &mut Vec<String>) {
        let mut seen: Vec<&ListenAddr> = Vec::new();
        for service in self.listeners.all() {
            for addr in service.addrs {
                if let ListenAddr::Tcp(sock) = addr
                    && sock.port() == 0
                {
                    problems.push(format!("listeners.{}: port 0 is not valid", service.name));
                }
                if matches!(addr, ListenAddr::Unix(_)) && service.name != "lmtp" {
                    problems.push(format!(
                        "listeners.{}: unix sockets are only supported for lmtp",
                        service.name
                    ));
                }
                if seen.contains(&addr) {
                    problems.push(format!(
                        "listeners.{}: {addr} is used by more than one listener",
                        service.name
                    ));
                }
                seen.push(addr);
            }
        }
        for service in self.listeners.all() {
            if service.implicit_tls && self.tls.is_none() && !service.addrs.is_empty() {
                problems.push(format!("listeners.{} needs a [tls] section", service.name));
            }
        }
        if seen.is_empty() {
            problems.push("no listeners are configured".to_owned());
        }
    }
}

/// Makes the path of a `sqlite:` URL absolute against `base`; other URLs are returned as is.
fn resolve_sqlite_url(url: &str, base: &Path) -> String {
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return url.to_owned();
    };
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    if rest.starts_with('/') || rest.starts_with(":memory:") || rest.is_empty() {
        return url.to_owned();
    }
    let (file, query) = match rest.split_once('?') {
        Some((file, query)) => (file, Some(query)),
        None => (rest, None),
    };
    let absolute = base.join(file);
    let absolute = std::path::absolute(&absolute).unwrap_or(absolute);
    match query {
        Some(q) => format!("sqlite://{}?{q}", absolute.display()),
        None => format!("sqlite://{}", absolute.display()),
    }
}

#[cfg(test)]
mod tests;
