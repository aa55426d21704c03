//! Client configuration.

use std::time::Duration;

/// Limits and timeouts of a client session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Longest response line (status lines and listing lines), CRLF included (default
    /// 4096; RFC 2449 allows servers 512). Message content is streamed and not limited.
    pub max_line_length: usize,
    /// Most capabilities accepted from CAPA (default 256).
    pub max_capabilities: usize,
    /// How long to wait for the server's next bytes while a response is outstanding
    /// (default 10 minutes).
    pub reply_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_line_length: 4096,
            max_capabilities: 256,
            reply_timeout: Duration::from_secs(600),
        }
    }
}
