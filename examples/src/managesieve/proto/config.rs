//! What a ManageSieve session offers, and its limits.

use std::time::Duration;

use super::codec::FrameLimits;

/// SASL mechanisms that send the password in the clear: refused and not advertised
/// before TLS unless [`Config::allow_plaintext_without_tls`] is set.
pub(crate) const PLAINTEXT_MECHANISMS: [&str; 2] = ["PLAIN", "LOGIN"];

/// Limits with safe defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Longest command line, literal octets not counted. Default 8 KiB.
    pub(crate) max_line: usize,
    /// Most literal octets in one command: the largest script a client can send.
    /// Default 1 MiB (the Sieve interpreter's default script size limit).
    pub(crate) max_literal: u64,
    /// Most literals in one command. Default 4 (no command has more than two strings).
    pub(crate) max_literals: usize,
    /// Bad commands (and failed logins) before the session is closed. Default 10.
    pub(crate) max_bad_commands: u32,
    /// Input held while a decision is pending, beyond one command. Default 64 KiB.
    pub(crate) max_pending_input: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_line: 8 * 1024,
            max_literal: 1 << 20,
            max_literals: 4,
            max_bad_commands: 10,
            max_pending_input: 64 * 1024,
        }
    }
}

impl Limits {
    pub(super) fn frame_limits(&self) -> FrameLimits {
        FrameLimits {
            max_line: self.max_line,
            max_literal: self.max_literal,
            max_literals: self.max_literals,
        }
    }
}

/// How long the machine waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timeouts {
    /// For the next command (or the rest of one). Default 30 minutes.
    pub(crate) idle: Duration,
    /// For the application to answer a decision. Default 5 minutes.
    pub(crate) decision: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(30 * 60),
            decision: Duration::from_secs(5 * 60),
        }
    }
}

/// The configuration of one session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    /// The `IMPLEMENTATION` capability.
    pub(crate) implementation: String,
    /// The text of the `OK` after the greeting's capabilities.
    pub(crate) greeting: String,
    /// The `SIEVE` capability: the extensions scripts may require, space-separated.
    pub(crate) sieve_extensions: String,
    /// The `MAXREDIRECTS` capability, if redirect is limited.
    pub(crate) max_redirects: Option<usize>,
    /// The `NOTIFY` capability (notification methods), if `enotify` is supported.
    pub(crate) notify: Option<String>,
    /// The SASL mechanisms offered, upper-case.
    pub(crate) sasl_mechanisms: Vec<String>,
    /// Whether STARTTLS is offered (a certificate is configured).
    pub(crate) starttls: bool,
    /// Whether the connection is TLS from its first octet.
    pub(crate) implicit_tls: bool,
    /// Whether PLAIN and LOGIN work without TLS.
    pub(crate) allow_plaintext_without_tls: bool,
    /// Limits.
    pub(crate) limits: Limits,
    /// Timeouts.
    pub(crate) timeouts: Timeouts,
}

impl Config {
    /// A configuration offering `sieve_extensions`, PLAIN, LOGIN and SCRAM-SHA-256,
    /// without TLS.
    pub(crate) fn new(sieve_extensions: impl Into<String>) -> Self {
        Self {
            implementation: "Postroom".to_owned(),
            greeting: "Postroom ManageSieve ready.".to_owned(),
            sieve_extensions: sieve_extensions.into(),
            max_redirects: None,
            notify: None,
            sasl_mechanisms: ["PLAIN", "LOGIN", "SCRAM-SHA-256"]
                .map(str::to_owned)
                .to_vec(),
            starttls: false,
            implicit_tls: false,
            allow_plaintext_without_tls: false,
            limits: Limits::default(),
            timeouts: Timeouts::default(),
        }
    }
}
