//! Server configuration: identity, what to offer, policies, limits and timeouts.

use std::time::Duration;

use crate::types::Expire;

/// Resource limits. Every limit is enforced without buffering the data it limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Longest command line, CRLF included (default 255, RFC 2449 section 4; never below
    /// that). Longer lines are discarded as they arrive and answered `-ERR line too long`.
    pub max_line_length: usize,
    /// Longest SASL response line after a `+` challenge, CRLF included (default 12288;
    /// never below 255).
    pub max_auth_line_length: usize,
    /// Protocol errors (unknown or invalid commands, commands in the wrong state, failed
    /// logins) before the session is closed (default 10).
    pub max_bad_commands: u32,
    /// Input the machine holds while the application has not answered a decision
    /// (default 64 KiB, on top of one command line). Beyond it the session is closed.
    pub max_pending_input: usize,
    /// Most messages accepted in a maildrop listing (default 1,000,000).
    pub max_messages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_line_length: 255,
            max_auth_line_length: 12288,
            max_bad_commands: 10,
            max_pending_input: 64 * 1024,
            max_messages: 1_000_000,
        }
    }
}

/// Timeouts. On expiry the session is closed without entering UPDATE (RFC 1939 section
/// 3): deletions are not committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    /// The autologout timer: waiting for the client's next command (default and minimum
    /// 10 minutes, RFC 1939 section 3). `-ERR` is sent, then the session closes.
    pub idle: Duration,
    /// Waiting for the application's answer to a decision or its next message chunk
    /// (default 10 minutes).
    pub decision: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(600),
            decision: Duration::from_secs(600),
        }
    }
}

/// Everything the embedding application decides about a session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The server's host name, used in the greeting, the APOP timestamp and QUIT.
    pub hostname: String,
    /// Text of the `+OK` greeting, before the APOP timestamp.
    pub greeting: String,
    /// Unique per-connection text for the APOP timestamp (e.g. process id, a counter and
    /// a random number). When set, the greeting carries `<uniqueness@hostname>` and APOP
    /// is accepted; characters other than visible ASCII (and `<`, `>`, `@`) are dropped.
    pub apop_uniqueness: Option<String>,
    /// Offer STLS (RFC 2595); the driver must then be able to start TLS.
    pub stls: bool,
    /// The connection is already TLS (port 995).
    pub implicit_tls: bool,
    /// Allow USER/PASS and the plaintext SASL mechanisms (PLAIN, LOGIN) without TLS.
    /// Default false: before TLS, CAPA does not list USER (nor PLAIN/LOGIN) and USER is
    /// answered `-ERR [AUTH]`, as RFC 2595 section 4 suggests and Dovecot does.
    pub allow_plaintext_without_tls: bool,
    /// SASL mechanisms to offer with AUTH (upper case); empty disables AUTH.
    pub auth_mechanisms: Vec<String>,
    /// Accept UTF-8 user names and passwords and advertise `UTF8 USER` (RFC 6856).
    /// Without it, `UTF8` is still accepted and advertised (plain `UTF8`).
    pub utf8_user: bool,
    /// `LOGIN-DELAY` to advertise, in seconds (RFC 2449 section 6.5).
    pub login_delay: Option<u32>,
    /// `EXPIRE` policy to advertise (RFC 2449 section 6.7).
    pub expire: Option<Expire>,
    /// `IMPLEMENTATION` text to advertise, if any.
    pub implementation: Option<String>,
    /// Resource limits.
    pub limits: Limits,
    /// Timeouts.
    pub timeouts: Timeouts,
}

impl Config {
    /// A configuration with safe defaults: no APOP, no STLS, no AUTH, USER/PASS only over
    /// TLS.
    pub fn new(hostname: impl Into<String>) -> Self {
        Self {
            hostname: hostname.into(),
            greeting: "Postroom POP3 server ready".into(),
            apop_uniqueness: None,
            stls: false,
            implicit_tls: false,
            allow_plaintext_without_tls: false,
            auth_mechanisms: Vec::new(),
            utf8_user: false,
            login_delay: None,
            expire: None,
            implementation: None,
            limits: Limits::default(),
            timeouts: Timeouts::default(),
        }
    }

    /// Raises limits that are below the protocol minimums.
    pub(crate) fn sanitized(mut self) -> Self {
        let l = &mut self.limits;
        l.max_line_length = l.max_line_length.max(255);
        l.max_auth_line_length = l.max_auth_line_length.max(255);
        l.max_bad_commands = l.max_bad_commands.max(1);
        self.timeouts.idle = self.timeouts.idle.max(Duration::from_secs(600));
        for m in &mut self.auth_mechanisms {
            m.make_ascii_uppercase();
        }
        self
    }
}

/// Whether a SASL mechanism sends the password in the clear.
pub(crate) fn is_plaintext_mechanism(mechanism: &str) -> bool {
    matches!(mechanism, "PLAIN" | "LOGIN")
}
