//! Client settings: protocol mode, the name to greet with, timeouts and input limits.

use std::time::Duration;

/// Which protocol the client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mode {
    /// SMTP (RFC 5321): `EHLO`, falling back to `HELO`.
    #[default]
    Smtp,
    /// LMTP (RFC 2033): `LHLO`, and one reply per accepted recipient after the data.
    Lmtp,
}

/// How long the client waits for each reply; defaults are RFC 5321 section 4.5.3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timeouts {
    /// Waiting for the 220 greeting (5 minutes).
    pub greeting: Duration,
    /// Waiting for the reply to `MAIL` (5 minutes).
    pub mail: Duration,
    /// Waiting for the reply to each `RCPT` (5 minutes).
    pub rcpt: Duration,
    /// Waiting for the 354 reply to `DATA` (2 minutes).
    pub data_initiation: Duration,
    /// Progress while sending the body: between two body chunks, and waiting for the
    /// reply to a non-final `BDAT` chunk (3 minutes).
    pub data_block: Duration,
    /// Waiting for the reply(ies) to the final `.` or `BDAT ... LAST` (10 minutes).
    pub data_termination: Duration,
    /// Any other command: EHLO, STARTTLS, AUTH, RSET, QUIT (5 minutes).
    pub command: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        const MINUTE: Duration = Duration::from_secs(60);
        Self {
            greeting: 5 * MINUTE,
            mail: 5 * MINUTE,
            rcpt: 5 * MINUTE,
            data_initiation: 2 * MINUTE,
            data_block: 3 * MINUTE,
            data_termination: 10 * MINUTE,
            command: 5 * MINUTE,
        }
    }
}

/// Settings of a [`Client`](super::Client).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// SMTP or LMTP.
    pub mode: Mode,
    /// The domain or address literal sent with EHLO/HELO/LHLO.
    pub hello_domain: String,
    /// Reply timeouts.
    pub timeouts: Timeouts,
    /// Longest accepted reply line, with its CRLF (default and maximum 4096: the reply
    /// codec's own limits cannot be raised here, only lowered).
    pub max_reply_line_len: usize,
    /// Most lines in one reply (default and maximum 256).
    pub max_reply_lines: usize,
    /// Most bytes in one reply, which also bounds the input buffer (default and maximum
    /// 65536).
    pub max_reply_len: usize,
}

impl Config {
    /// SMTP settings with the given EHLO name and default timeouts and limits.
    pub fn smtp(hello_domain: impl Into<String>) -> Self {
        Self {
            mode: Mode::Smtp,
            hello_domain: hello_domain.into(),
            timeouts: Timeouts::default(),
            max_reply_line_len: 4096,
            max_reply_lines: 256,
            max_reply_len: 65536,
        }
    }

    /// LMTP settings with the given LHLO name and default timeouts and limits.
    pub fn lmtp(hello_domain: impl Into<String>) -> Self {
        Self {
            mode: Mode::Lmtp,
            ..Self::smtp(hello_domain)
        }
    }
}
