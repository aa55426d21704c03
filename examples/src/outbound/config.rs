//! The `[outbound]` settings: how the SMTP transport finds and talks to the next hop.
//!
//! ```toml
//! [outbound]
//! helo_name = "mail.example.org"   # default: the server's hostname
//! tls = "may"                      # may | verify | none
//! max_messages_per_connection = 100
//!
//! [outbound.smarthost]             # send everything through a relay
//! host = "smtp.provider.example"
//! port = 587
//! tls = "starttls"                 # starttls | implicit | none
//! username = "me@example.org"
//! password = "secret"
//!
//! [outbound.routes]                # a transport map: wins over the smarthost and MX
//! "example.net" = { host = "10.0.0.5", port = 2525, tls = "none" }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// Settings of the outbound SMTP transport.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct OutboundConfig {
    /// The name sent with EHLO; `None`: the server's hostname.
    pub(crate) helo_name: Option<String>,
    /// The port of MX hosts (25; tests use others).
    pub(crate) port: u16,
    /// TLS towards MX hosts and routes without their own `tls`.
    pub(crate) tls: TlsPolicy,
    /// PEM file of the certificate authorities that `verify` trusts; `None`: the
    /// Mozilla roots compiled in (webpki-roots).
    pub(crate) ca_file: Option<PathBuf>,
    /// Send all mail (except routed domains) through this relay instead of MX hosts.
    pub(crate) smarthost: Option<Smarthost>,
    /// Per-domain next hops (a transport map), looked up before anything else.
    pub(crate) routes: BTreeMap<String, Route>,
    /// DNS servers to ask instead of those in `/etc/resolv.conf`.
    pub(crate) nameservers: Vec<SocketAddr>,
    /// How long to wait for connections and replies.
    pub(crate) timeouts: OutboundTimeouts,
    /// Messages sent over one connection before it is closed and a new one opened.
    pub(crate) max_messages_per_connection: usize,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        Self {
            helo_name: None,
            port: 25,
            tls: TlsPolicy::May,
            ca_file: None,
            smarthost: None,
            routes: BTreeMap::new(),
            nameservers: Vec::new(),
            timeouts: OutboundTimeouts::default(),
            max_messages_per_connection: 100,
        }
    }
}

/// TLS towards MX hosts, named like Postfix's `smtp_tls_security_level`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TlsPolicy {
    /// STARTTLS when offered, any certificate accepted; plain text when not offered or
    /// when the handshake fails.
    #[default]
    May,
    /// STARTTLS required and the certificate verified (name and chain).
    Verify,
    /// Never TLS.
    None,
}

/// How to reach the smarthost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SmarthostTls {
    /// STARTTLS, required.
    #[default]
    Starttls,
    /// TLS from the first byte (RFC 8314, usually port 465).
    Implicit,
    /// Plain text (no AUTH possible).
    None,
}

/// A relay that takes all outbound mail.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Smarthost {
    /// Host name or IP address.
    pub(crate) host: String,
    /// Port; default 465 with implicit TLS, 25 otherwise.
    #[serde(default)]
    pub(crate) port: Option<u16>,
    /// TLS mode (default `starttls`).
    #[serde(default)]
    pub(crate) tls: SmarthostTls,
    /// Check the relay's certificate (default true); `ca_file` applies.
    #[serde(default = "yes")]
    pub(crate) verify_certificate: bool,
    /// User name for AUTH PLAIN/LOGIN (sent over TLS only).
    #[serde(default)]
    pub(crate) username: Option<String>,
    /// Password for AUTH.
    #[serde(default)]
    pub(crate) password: Option<Password>,
}

impl Smarthost {
    /// The port to connect to.
    pub(crate) fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            SmarthostTls::Implicit => 465,
            SmarthostTls::Starttls | SmarthostTls::None => 25,
        })
    }
}

/// A static next hop for one domain; no MX lookup is made (like Postfix's `[host]:port`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Route {
    /// Host name or IP address.
    pub(crate) host: String,
    /// Port; default: [`OutboundConfig::port`].
    #[serde(default)]
    pub(crate) port: Option<u16>,
    /// TLS policy; default: [`OutboundConfig::tls`].
    #[serde(default)]
    pub(crate) tls: Option<TlsPolicy>,
}

/// A password whose `Debug` prints `***`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub(crate) struct Password(String);

impl Password {
    /// Wraps a password.
    #[cfg(test)]
    pub(crate) fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }

    /// The password itself, to send it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Timeouts in seconds; the defaults are RFC 5321 section 4.5.3.2's (and Postfix's 30 s
/// for connecting, which the RFC leaves open).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct OutboundTimeouts {
    /// Establishing the TCP connection (30).
    pub(crate) connect: u64,
    /// The 220 greeting (300).
    pub(crate) greeting: u64,
    /// The reply to MAIL (300).
    pub(crate) mail: u64,
    /// Each RCPT reply (300).
    pub(crate) rcpt: u64,
    /// The 354 reply to DATA (120).
    pub(crate) data_init: u64,
    /// Progress while sending the body (180).
    pub(crate) data_block: u64,
    /// The reply after the final dot (600).
    pub(crate) data_done: u64,
    /// EHLO, STARTTLS and the TLS handshake, AUTH, RSET, QUIT (300).
    pub(crate) command: u64,
}

impl Default for OutboundTimeouts {
    fn default() -> Self {
        Self {
            connect: 30,
            greeting: 300,
            mail: 300,
            rcpt: 300,
            data_init: 120,
            data_block: 180,
            data_done: 600,
            command: 300,
        }
    }
}

impl OutboundTimeouts {
    /// The connect timeout.
    pub(crate) fn connect(&self) -> Duration {
        Duration::from_secs(self.connect)
    }

    /// The command timeout (also used for the TLS handshake).
    pub(crate) fn command(&self) -> Duration {
        Duration::from_secs(self.command)
    }

    /// The reply timeouts of the SMTP client machine.
    pub(crate) fn client(&self) -> smtp_proto::client::Timeouts {
        let secs = Duration::from_secs;
        smtp_proto::client::Timeouts {
            greeting: secs(self.greeting),
            mail: secs(self.mail),
            rcpt: secs(self.rcpt),
            data_initiation: secs(self.data_init),
            data_block: secs(self.data_block),
            data_termination: secs(self.data_done),
            command: secs(self.command),
        }
    }

    fn all(&self) -> [(&'static str, u64); 8] {
        [
            ("connect", self.connect),
            ("greeting", self.greeting),
            ("mail", self.mail),
            ("rcpt", self.rcpt),
            ("data_init", self.data_init),
            ("data_block", self.data_block),
            ("data_done", self.data_done),
            ("command", self.command),
        ]
    }
}

impl OutboundConfig {
    /// Problems found without touching the network or files, one sentence each.
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.port == 0 {
            problems.push("outbound.port must not be 0".to_owned());
        }
        if self.max_messages_per_connection == 0 {
            problems.push("outbound.max_messages_per_connection must be at least 1".to_owned());
        }
        for (name, secs) in self.timeouts.all() {
            if secs == 0 {
                problems.push(format!(
                    "outbound.timeouts.{name} must be at least 1 second"
                ));
            }
        }
        if let Some(relay) = &self.smarthost {
            smarthost_problems(relay, &mut problems);
        }
        for (domain, route) in &self.routes {
            if domain.is_empty() || route.host.trim().is_empty() {
                problems.push(format!(
                    "outbound.routes: {domain:?} needs a domain and a host"
                ));
            }
            if route.port == Some(0) {
                problems.push(format!("outbound.routes.{domain:?}: port must not be 0"));
            }
        }
        problems
    }
}

fn smarthost_problems(relay: &Smarthost, problems: &mut Vec<String>) {
    if relay.host.trim().is_empty() {
        problems.push("outbound.smarthost.host must not be empty".to_owned());
    }
    if relay.port == Some(0) {
        problems.push("outbound.smarthost.port must not be 0".to_owned());
    }
    match (&relay.username, &relay.password) {
        (Some(_), None) | (None, Some(_)) => {
            problems.push("outbound.smarthost: username and password go together".to_owned())
        }
        (Some(_), Some(_)) if relay.tls == SmarthostTls::None => problems.push(
            "outbound.smarthost: AUTH is only sent over TLS; set tls to starttls or implicit"
                .to_owned(),
        ),
        _ => {}
    }
}

const fn yes() -> bool {
    true
}
