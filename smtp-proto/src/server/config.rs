//! Server configuration: identity, extensions to offer, policies, limits and timeouts.

use std::time::Duration;

/// Whether the machine speaks SMTP (RFC 5321) or LMTP (RFC 2033).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// SMTP: EHLO/HELO, one reply after the end of the message.
    #[default]
    Smtp,
    /// LMTP: LHLO only, one reply per accepted recipient after the end of the message.
    Lmtp,
}

/// How to answer VRFY or EXPN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupPolicy {
    /// `502 5.5.1`: the command is not implemented.
    Disabled,
    /// `252 2.5.0`: cannot verify, but will accept the message and try (RFC 5321 3.5.3).
    CannotVerify,
    /// Emit [`Event::Vrfy`](super::Event::Vrfy) / [`Event::Expn`](super::Event::Expn) and
    /// let the application answer with [`Server::answer_lookup`](super::Server::answer_lookup).
    Ask,
}

/// What to do with a bare CR or bare LF in a DATA body (SMTP smuggling, CVE-2023-51764).
///
/// Either way, only `<CRLF>.<CRLF>` ends a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BareLineEndings {
    /// Read the message to its real end and reject it with `550 5.6.0`.
    #[default]
    Reject,
    /// Turn each bare LF into CRLF and accept the message (a line after a bare LF is not
    /// dot-unstuffed and can never end the message). A bare CR is still rejected.
    NormalizeLf,
}

/// What to do with MAIL/RCPT parameters the server does not know
/// ([`MailParams::other`](crate::types::MailParams::other),
/// [`RcptParams::other`](crate::types::RcptParams::other)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnknownParams {
    /// Answer `555 5.5.4` without asking the application (RFC 5321 section 4.1.1.11).
    #[default]
    Reject,
    /// Keep them as key/value pairs in the [`Event::Mail`](super::Event::Mail) /
    /// [`Event::Rcpt`](super::Event::Rcpt) decision, for the application to accept or
    /// reject (typically with `555 5.5.4`). Parameters of extensions the server knows but
    /// does not offer are still refused by the server.
    Ask,
}

/// ESMTP extensions to advertise and accept. ENHANCEDSTATUSCODES is always on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)]
pub struct Extensions {
    /// PIPELINING (RFC 2920).
    pub pipelining: bool,
    /// SIZE (RFC 1870), advertised with [`Limits::max_message_size`].
    pub size: bool,
    /// 8BITMIME (RFC 6152).
    pub eight_bit_mime: bool,
    /// BINARYMIME (RFC 3030); only offered together with `chunking`.
    pub binary_mime: bool,
    /// CHUNKING: the BDAT command (RFC 3030).
    pub chunking: bool,
    /// SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// DSN (RFC 3461): RET, ENVID, NOTIFY, ORCPT.
    pub dsn: bool,
    /// STARTTLS (RFC 3207), offered only before TLS is active.
    pub starttls: bool,
    /// REQUIRETLS (RFC 8689), offered only over TLS.
    pub requiretls: bool,
}

impl Default for Extensions {
    fn default() -> Self {
        Self {
            pipelining: true,
            size: true,
            eight_bit_mime: true,
            binary_mime: true,
            chunking: true,
            smtputf8: true,
            dsn: false,
            starttls: false,
            requiretls: false,
        }
    }
}

/// Resource limits. Every limit is enforced without buffering the data it limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Longest command line, CRLF included (default 4096; never below RFC 5321's 512).
    /// Longer lines are discarded as they arrive and answered `500 5.5.6`.
    pub max_line_length: usize,
    /// Longest SASL response line, CRLF included (default and minimum 12288, RFC 4954).
    pub max_auth_line_length: usize,
    /// Longest DATA body line, CRLF included (default 32768, minimum 1000). A message
    /// with a longer line is read to its end and rejected with `550 5.6.0`.
    pub max_data_line_length: usize,
    /// Largest message in octets after un-dot-stuffing (default 50 MiB): `552 5.3.4`.
    pub max_message_size: u64,
    /// Accepted recipients per message (default 100); more get `452 4.5.3`.
    pub max_recipients: usize,
    /// Protocol errors before the session is closed with `421 4.7.0` (default 20).
    pub max_bad_commands: u32,
    /// Input the machine holds while the application has not answered a decision
    /// (default 256 KiB, on top of one command line). Drivers that do not feed input
    /// while a decision is pending never reach it; beyond it the session is closed.
    pub max_pending_input: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_line_length: 4096,
            max_auth_line_length: 12288,
            max_data_line_length: 32768,
            max_message_size: 50 * 1024 * 1024,
            max_recipients: 100,
            max_bad_commands: 20,
            max_pending_input: 256 * 1024,
        }
    }
}

/// Timeouts, named after RFC 5321 section 4.5.3.2. On expiry the server sends
/// `421 4.4.2` and closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    /// Waiting for the client's next command, including the first one (5 minutes).
    pub command: Duration,
    /// Waiting for the application's answer to MAIL (5 minutes).
    pub mail: Duration,
    /// Waiting for the application's answer to RCPT (5 minutes).
    pub rcpt: Duration,
    /// After 354, waiting for the first body bytes (2 minutes).
    pub data_initiation: Duration,
    /// Waiting for more body bytes, DATA or BDAT (3 minutes).
    pub data_block: Duration,
    /// Waiting for the application's answer after the end of the message (10 minutes).
    pub data_termination: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(60 * m);
        Self {
            command: minutes(5),
            mail: minutes(5),
            rcpt: minutes(5),
            data_initiation: minutes(2),
            data_block: minutes(3),
            data_termination: minutes(10),
        }
    }
}

/// Everything the embedding application decides about a session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// The name the server gives itself in the greeting and EHLO reply.
    pub hostname: String,
    /// Text after the hostname in the `220` greeting.
    pub greeting: String,
    /// SMTP or LMTP.
    pub mode: Mode,
    /// Extensions to offer.
    pub extensions: Extensions,
    /// SASL mechanisms to offer in `AUTH` (upper case); empty disables AUTH.
    pub auth_mechanisms: Vec<String>,
    /// Offer and accept AUTH only over TLS.
    pub auth_requires_tls: bool,
    /// Refuse MAIL and AUTH (`530 5.7.0`) until STARTTLS has completed.
    pub require_tls: bool,
    /// Refuse MAIL (`530 5.7.0`) until AUTH has succeeded (submission).
    pub require_auth: bool,
    /// The connection is already TLS (implicit TLS, e.g. port 465).
    pub implicit_tls: bool,
    /// How to answer VRFY (default [`LookupPolicy::CannotVerify`]).
    pub vrfy: LookupPolicy,
    /// How to answer EXPN (default [`LookupPolicy::Disabled`]).
    pub expn: LookupPolicy,
    /// Bare CR / LF handling in DATA.
    pub bare_line_endings: BareLineEndings,
    /// Unknown MAIL/RCPT parameters (default [`UnknownParams::Reject`]).
    pub unknown_params: UnknownParams,
    /// Text of the `214` reply to HELP.
    pub help_text: String,
    /// Resource limits.
    pub limits: Limits,
    /// Timeouts.
    pub timeouts: Timeouts,
}

impl Config {
    /// An SMTP configuration with safe defaults.
    pub fn new(hostname: impl Into<String>) -> Self {
        Self {
            hostname: hostname.into(),
            greeting: "ESMTP Postroom".into(),
            mode: Mode::Smtp,
            extensions: Extensions::default(),
            auth_mechanisms: Vec::new(),
            auth_requires_tls: true,
            require_tls: false,
            require_auth: false,
            implicit_tls: false,
            vrfy: LookupPolicy::CannotVerify,
            expn: LookupPolicy::Disabled,
            bare_line_endings: BareLineEndings::Reject,
            unknown_params: UnknownParams::Reject,
            help_text: "See RFC 5321".into(),
            limits: Limits::default(),
            timeouts: Timeouts::default(),
        }
    }

    /// An LMTP configuration with safe defaults.
    pub fn lmtp(hostname: impl Into<String>) -> Self {
        Self {
            mode: Mode::Lmtp,
            greeting: "LMTP Postroom".into(),
            ..Self::new(hostname)
        }
    }

    /// Raises limits that are below the protocol minimums.
    pub(crate) fn sanitized(mut self) -> Self {
        let l = &mut self.limits;
        l.max_line_length = l.max_line_length.max(512);
        l.max_auth_line_length = l.max_auth_line_length.max(12288);
        l.max_data_line_length = l.max_data_line_length.max(1000);
        l.max_bad_commands = l.max_bad_commands.max(1);
        self
    }
}
