//! Server configuration: what the embedder implements, limits and timeouts.

use std::time::Duration;

use crate::types::Capability;

/// The first response of the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GreetingKind {
    /// `* OK [CAPABILITY ...] text`: the client logs in next.
    #[default]
    Ok,
    /// `* PREAUTH [CAPABILITY ...] text`: the connection is already authenticated (e.g.
    /// a local pipe); the session starts in the authenticated state.
    PreAuth,
    /// `* BYE text`: the server refuses the connection and closes it.
    Bye,
}

/// Which non-synchronising literals (RFC 7888) the server offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NonSyncLiterals {
    /// `LITERAL-`: `{n+}` up to 4096 octets (the IMAP4rev2 baseline).
    #[default]
    Minus,
    /// `LITERAL+`: `{n+}` up to the literal limits.
    Plus,
}

/// How synchronising literals (`{n}`) within the limits are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LiteralPolicy {
    /// Emit [`Event::Literal`](super::Event::Literal) and let the application accept or
    /// refuse each one.
    #[default]
    Ask,
    /// Send `+` for every literal within the limits without asking.
    Accept,
}

/// Resource limits. Every limit is enforced without buffering the data it limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Longest line of a command (text between literals, CRLF included; 64 KiB).
    pub max_line_length: usize,
    /// Largest literal inside a command other than an APPEND message (64 KiB).
    pub max_literal: u32,
    /// Largest whole command, lines and literals together (APPEND messages excluded;
    /// 1 MiB).
    pub max_command_size: usize,
    /// Largest APPEND message (50 MiB); advertised as `APPENDLIMIT=` when
    /// [`Config::advertise_append_limit`] is set.
    pub max_append_size: u32,
    /// Longest AUTHENTICATE response line (CRLF included; 64 KiB).
    pub max_auth_line_length: usize,
    /// Protocol errors (tagged or untagged BAD) before `* BYE` (20).
    pub max_bad_commands: u32,
    /// Failed LOGIN/AUTHENTICATE attempts before `* BYE` (5).
    pub max_auth_failures: u32,
    /// Input held while a decision is pending, on top of one command (256 KiB). Drivers
    /// that stop reading while [`Server::awaiting_decision`](super::Server::awaiting_decision)
    /// never reach it; beyond it the session is closed.
    pub max_pending_input: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_line_length: 64 * 1024,
            max_literal: 64 * 1024,
            max_command_size: 1024 * 1024,
            max_append_size: 50 * 1024 * 1024,
            max_auth_line_length: 64 * 1024,
            max_bad_commands: 20,
            max_auth_failures: 5,
            max_pending_input: 256 * 1024,
        }
    }
}

/// Inactivity timeouts; on expiry the server sends `* BYE Autologout` and closes.
///
/// A timeout runs while the machine waits for the client, never while it waits for the
/// application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    /// Before authentication (60 s).
    pub not_authenticated: Duration,
    /// Authenticated or selected (30 min, the minimum of RFC 9051 section 5.4).
    pub authenticated: Duration,
    /// During IDLE (30 min).
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            not_authenticated: Duration::from_secs(60),
            authenticated: Duration::from_secs(30 * 60),
            idle: Duration::from_secs(30 * 60),
        }
    }
}

/// Everything the embedding application decides about a session.
///
/// The machine advertises exactly what is configured here: the protocol versions, the
/// extensions the machine implements itself (STARTTLS, LITERAL+/-, SASL-IR, AUTH=, IDLE,
/// ENABLE) as far as they are switched on and apply in the current state, and the
/// application's [`Config::extensions`] verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[allow(clippy::struct_excessive_bools)]
pub struct Config {
    /// Greeting kind.
    pub greeting: GreetingKind,
    /// Greeting text.
    pub greeting_text: String,
    /// Offer IMAP4rev1 (RFC 3501).
    pub imap4rev1: bool,
    /// Offer IMAP4rev2 (RFC 9051).
    pub imap4rev2: bool,
    /// Offer STARTTLS (only before TLS).
    pub starttls: bool,
    /// The connection is already TLS (implicit TLS, port 993).
    pub implicit_tls: bool,
    /// Allow LOGIN and AUTHENTICATE without TLS (default false: `LOGINDISABLED` is
    /// advertised, no `AUTH=`, and both get `NO [PRIVACYREQUIRED]`).
    pub plaintext_auth: bool,
    /// SASL mechanisms (upper case), advertised as `AUTH=` where authentication is allowed.
    pub auth_mechanisms: Vec<String>,
    /// Offer SASL-IR (RFC 4959).
    pub sasl_ir: bool,
    /// LITERAL+ or LITERAL-.
    pub non_sync_literals: NonSyncLiterals,
    /// How synchronising literals are answered.
    pub literal_policy: LiteralPolicy,
    /// Offer IDLE (RFC 2177), handled by the machine.
    pub idle: bool,
    /// Offer ENABLE (RFC 5161), handled by the machine. What can be enabled: IMAP4rev2,
    /// and UTF8=ACCEPT, CONDSTORE, QRESYNC when listed in [`Config::extensions`].
    pub enable: bool,
    /// Advertise `APPENDLIMIT=<max_append_size>` (RFC 7889).
    pub advertise_append_limit: bool,
    /// The extensions the application implements, advertised as given (UIDPLUS, MOVE,
    /// UNSELECT, NAMESPACE, ID, CONDSTORE, ...). Commands of well-known extensions
    /// that are neither listed here nor part of an offered base protocol get `BAD`.
    /// `COMPRESS=DEFLATE` makes the machine answer COMPRESS (see the module docs); the
    /// application then runs the deflate layer.
    pub extensions: Vec<Capability<'static>>,
    /// Text of the `* BYE` sent for LOGOUT.
    pub logout_text: String,
    /// Limits.
    pub limits: Limits,
    /// Timeouts.
    pub timeouts: Timeouts,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            greeting: GreetingKind::Ok,
            greeting_text: "Postroom IMAP ready".into(),
            imap4rev1: true,
            imap4rev2: true,
            starttls: false,
            implicit_tls: false,
            plaintext_auth: false,
            auth_mechanisms: vec!["PLAIN".into()],
            sasl_ir: true,
            non_sync_literals: NonSyncLiterals::Minus,
            literal_policy: LiteralPolicy::Ask,
            idle: true,
            enable: true,
            advertise_append_limit: false,
            extensions: Vec::new(),
            logout_text: "Logging out".into(),
            limits: Limits::default(),
            timeouts: Timeouts::default(),
        }
    }
}

impl Config {
    /// A configuration with safe defaults (IMAP4rev1 and IMAP4rev2, IDLE, ENABLE,
    /// LITERAL-, SASL-IR, AUTH=PLAIN, no plaintext authentication).
    pub fn new() -> Self {
        Self::default()
    }

    /// Raises limits that would make the protocol unusable.
    pub(crate) fn sanitized(mut self) -> Self {
        let l = &mut self.limits;
        l.max_line_length = l.max_line_length.max(1024);
        l.max_auth_line_length = l.max_auth_line_length.max(1024);
        l.max_command_size = l.max_command_size.max(l.max_line_length);
        l.max_bad_commands = l.max_bad_commands.max(1);
        l.max_auth_failures = l.max_auth_failures.max(1);
        if !self.imap4rev1 && !self.imap4rev2 {
            self.imap4rev2 = true;
        }
        for m in &mut self.auth_mechanisms {
            m.make_ascii_uppercase();
        }
        self
    }

    /// Whether the application lists `cap` in [`Config::extensions`].
    pub(crate) fn has_extension(&self, cap: &Capability<'_>) -> bool {
        self.extensions.iter().any(|c| c == cap)
    }
}
