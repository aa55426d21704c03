//! Client settings: timeouts, response limits, streaming threshold and pipelining.

use std::time::Duration;

use crate::codec::{DEFAULT_STREAM_THRESHOLD, DecodeOptions, ResponseOptions};

/// How long the client waits, and when it reminds the application to renew IDLE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Timeouts {
    /// Waiting for the server's greeting (default 1 minute).
    pub greeting: Duration,
    /// Default time a command may go without any byte from the server before it times
    /// out (default 5 minutes). Every byte received restarts the count, so a slow but
    /// steady 30 MB FETCH does not time out. Override per command with
    /// [`Client::command_with_timeout`](super::Client::command_with_timeout).
    pub command: Duration,
    /// How long after the server accepted IDLE the client reports
    /// [`Event::IdleRefresh`](super::Event::IdleRefresh) (default 28 minutes: RFC 2177
    /// servers may drop an idle client after 30 minutes, and clients should re-issue
    /// IDLE at least every 29).
    pub idle_refresh: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        const MINUTE: Duration = Duration::from_secs(60);
        Self {
            greeting: MINUTE,
            command: 5 * MINUTE,
            idle_refresh: 28 * MINUTE,
        }
    }
}

impl Timeouts {
    /// Timeouts with the given greeting and command limits and the default IDLE refresh.
    pub fn new(greeting: Duration, command: Duration) -> Self {
        Self {
            greeting,
            command,
            ..Self::default()
        }
    }

    /// Sets the IDLE refresh interval.
    pub fn with_idle_refresh(mut self, idle_refresh: Duration) -> Self {
        self.idle_refresh = idle_refresh;
        self
    }
}

/// Settings of a [`Client`](super::Client). Start from [`Config::default`] and change
/// the fields you need.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Timeouts.
    pub timeouts: Timeouts,
    /// Limits on what the server may send. They bound the input buffer: a response line
    /// longer than `framing.max_line`, a buffered literal longer than
    /// `framing.max_literal` or a buffered response longer than `framing.max_message`
    /// ends the session with an error. FETCH literals above `stream_threshold` are
    /// streamed and not subject to these limits.
    pub response: ResponseOptions,
    /// FETCH literals longer than this are handed out in chunks
    /// ([`Event::LiteralChunk`](super::Event::LiteralChunk)) instead of being buffered
    /// (default 256 KiB).
    pub stream_threshold: u32,
    /// Send commands without waiting for the previous ones to complete, where that is
    /// safe (default true). Commands that change the session state (LOGIN, SELECT,
    /// STARTTLS, IDLE, ...) always wait for the commands before them and hold back the
    /// ones after them.
    pub pipelining: bool,
    /// Send `CAPABILITY` by itself when the capabilities are unknown: after a greeting
    /// without a `[CAPABILITY]` code, after a login that did not announce them, and after
    /// STARTTLS (default true). Commands given meanwhile wait, so they are encoded with
    /// the server's literal extensions known.
    pub auto_capability: bool,
}

impl Default for Config {
    fn default() -> Self {
        let framing =
            DecodeOptions::new(4 * 1024 * 1024, 8 * 1024 * 1024).with_max_message(16 * 1024 * 1024);
        Self {
            timeouts: Timeouts::default(),
            response: ResponseOptions::new(framing, 64),
            stream_threshold: DEFAULT_STREAM_THRESHOLD,
            pipelining: true,
            auto_capability: true,
        }
    }
}
