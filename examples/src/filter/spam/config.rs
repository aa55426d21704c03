//! The `[spam]` section of the configuration.
//!
//! ```toml
//! [spam]
//! enabled = true
//! backend = "milter"          # or "http" (rspamd's /checkv2 on a normal worker)
//! address = "127.0.0.1:11332" # default: 11332 for milter (proxy), 11333 for http
//! timeout = "20s"             # for the whole check; "500ms", "20s", "1m" or seconds
//! fail_open = true            # rspamd slow or down: accept (true) or 451 4.7.1 (false)
//! check_submission = false    # also check mail from authenticated clients
//! ```

use std::time::Duration;

use serde::Deserialize;

/// How rspamd is asked.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SpamBackend {
    /// The milter protocol, to rspamd's proxy worker with `milter = yes`.
    #[default]
    Milter,
    /// HTTP `/checkv2`, to rspamd's normal worker (or a proxy without milter mode).
    Http,
}

impl SpamBackend {
    /// rspamd's default port for this backend.
    pub(crate) fn default_address(self) -> &'static str {
        match self {
            Self::Milter => "127.0.0.1:11332",
            Self::Http => "127.0.0.1:11333",
        }
    }

    /// The name used in the configuration and in logs.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Milter => "milter",
            Self::Http => "http",
        }
    }
}

/// Whether and how inbound mail is checked by rspamd.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct SpamConfig {
    /// Check mail at all (default false: the seed setup without rspamd).
    pub(crate) enabled: bool,
    /// The protocol (default milter).
    pub(crate) backend: SpamBackend,
    /// `host:port` of rspamd; unset: the backend's default port on 127.0.0.1.
    pub(crate) address: Option<String>,
    /// The most time one check may take, connection included (default 20 s).
    #[serde(deserialize_with = "deserialize_timeout")]
    pub(crate) timeout: Duration,
    /// When rspamd is slow, down or answers nonsense: accept the message (default),
    /// or answer `451 4.7.1` so the sender retries.
    pub(crate) fail_open: bool,
    /// Also check mail from authenticated clients (default false). Only where the check
    /// runs: the MX and LMTP (which never see authenticated clients); the submission
    /// service does not call it yet, and `check-config` warns about the key.
    pub(crate) check_submission: bool,
}

impl Default for SpamConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            backend: SpamBackend::default(),
            address: None,
            timeout: Duration::from_secs(20),
            fail_open: true,
            check_submission: false,
        }
    }
}

impl SpamConfig {
    /// The address to connect to.
    pub(crate) fn address(&self) -> &str {
        self.address
            .as_deref()
            .unwrap_or_else(|| self.backend.default_address())
    }

    /// Problems with the values, one sentence each (for `Config` validation).
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.timeout.is_zero() {
            problems.push("spam.timeout must be more than 0".to_owned());
        }
        let address = self.address();
        let port = address
            .rsplit_once(':')
            .filter(|(host, _)| !host.is_empty())
            .and_then(|(_, port)| port.parse::<u16>().ok());
        if port.is_none_or(|port| port == 0) {
            problems.push(format!(
                "spam.address {address:?} must be host:port (e.g. 127.0.0.1:11332)"
            ));
        }
        problems
    }
}

/// A duration: seconds as a number, or a number with `ms`, `s` or `m`.
#[derive(Deserialize)]
#[serde(untagged)]
enum DurationText {
    Seconds(u64),
    Text(String),
}

fn deserialize_timeout<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    match DurationText::deserialize(d)? {
        DurationText::Seconds(secs) => Ok(Duration::from_secs(secs)),
        DurationText::Text(text) => parse_timeout(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid duration {text:?}: expected seconds or a number with ms, s or m"
            ))
        }),
    }
}

/// Parses `"20"`, `"500ms"`, `"20s"`, `"1m"`.
pub(crate) fn parse_timeout(text: &str) -> Option<Duration> {
    let text = text.trim();
    let at = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(at);
    let number: u64 = number.parse().ok()?;
    match unit.trim() {
        "ms" => Some(Duration::from_millis(number)),
        "" | "s" => Some(Duration::from_secs(number)),
        "m" => number.checked_mul(60).map(Duration::from_secs),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_a_full_section() {
        let config: SpamConfig = toml::from_str("").unwrap();
        assert_eq!(config, SpamConfig::default());
        assert!(!config.enabled && config.fail_open && !config.check_submission);
        assert_eq!(config.address(), "127.0.0.1:11332");
        let config: SpamConfig = toml::from_str(
            "enabled = true\nbackend = \"http\"\ntimeout = \"500ms\"\nfail_open = false\n\
             check_submission = true\n",
        )
        .unwrap();
        assert_eq!(config.backend, SpamBackend::Http);
        assert_eq!(config.address(), "127.0.0.1:11333");
        assert_eq!(config.timeout, Duration::from_millis(500));
        assert!(config.enabled && !config.fail_open && config.check_submission);
        assert!(config.problems().is_empty());
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(toml::from_str::<SpamConfig>("backend = \"spamd\"\n").is_err());
        assert!(toml::from_str::<SpamConfig>("timeout = \"soon\"\n").is_err());
        assert!(toml::from_str::<SpamConfig>("fail_closed = true\n").is_err());
        let config: SpamConfig = toml::from_str("timeout = 0\naddress = \"rspamd\"\n").unwrap();
        assert_eq!(config.problems().len(), 2, "{:?}", config.problems());
        assert_eq!(parse_timeout("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_timeout("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_timeout("2h"), None);
        assert_eq!(parse_timeout("ms"), None);
    }
}
