//! The `[queue]` section of the configuration.
//!
//! ```toml
//! [queue]
//! dir = "queue"            # relative to the configuration file
//! retry_initial = "5m"     # first retry after a temporary failure
//! retry_max = "4h"         # the delay doubles up to this
//! give_up = "5d"           # then the message bounces
//! delay_warning = "4h"     # NOTIFY=DELAY warning after this long
//! concurrency = 8          # destination domains served at once
//! ```
//!
//! Durations are a number of seconds or a number with a unit `s`, `m`, `h` or `d`.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// How the outbound queue stores and retries mail.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct QueueConfig {
    /// The queue directory (created when missing).
    pub(crate) dir: PathBuf,
    /// The delay before the first retry after a temporary failure.
    #[serde(deserialize_with = "deserialize_duration")]
    pub(crate) retry_initial: Duration,
    /// The longest delay between retries; the delay doubles from `retry_initial` up to this.
    #[serde(deserialize_with = "deserialize_duration")]
    pub(crate) retry_max: Duration,
    /// How long after arrival a message that still cannot be delivered bounces.
    #[serde(deserialize_with = "deserialize_duration")]
    pub(crate) give_up: Duration,
    /// How long after arrival a recipient that asked for `NOTIFY=DELAY` is warned.
    #[serde(deserialize_with = "deserialize_duration")]
    pub(crate) delay_warning: Duration,
    /// Most destination domains delivered to at once.
    pub(crate) concurrency: usize,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("queue"),
            retry_initial: Duration::from_secs(5 * 60),
            retry_max: Duration::from_secs(4 * 3600),
            give_up: Duration::from_secs(5 * 86_400),
            delay_warning: Duration::from_secs(4 * 3600),
            concurrency: 8,
        }
    }
}

impl QueueConfig {
    /// Problems with the values, one sentence each (for `Config` validation).
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.retry_initial.is_zero() {
            problems.push("queue.retry_initial must be more than 0".to_owned());
        }
        if self.retry_max < self.retry_initial {
            problems.push("queue.retry_max must not be less than queue.retry_initial".to_owned());
        }
        if self.give_up.is_zero() {
            problems.push("queue.give_up must be more than 0".to_owned());
        }
        if self.concurrency == 0 {
            problems.push("queue.concurrency must be at least 1".to_owned());
        }
        problems
    }
}

/// A duration written as seconds (`300`) or with a unit (`"300s"`, `"5m"`, `"4h"`, `"5d"`).
#[derive(Deserialize)]
#[serde(untagged)]
enum DurationText {
    Seconds(u64),
    Text(String),
}

fn deserialize_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    match DurationText::deserialize(d)? {
        DurationText::Seconds(secs) => Ok(Duration::from_secs(secs)),
        DurationText::Text(text) => parse_duration(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid duration {text:?}: expected seconds or a number with s, m, h or d"
            ))
        }),
    }
}

/// Parses `"90"`, `"90s"`, `"5m"`, `"4h"`, `"5d"`.
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let number: u64 = number.parse().ok()?;
    let scale = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    number.checked_mul(scale).map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_and_without_units() {
        assert_eq!(parse_duration("90"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("4h"), Some(Duration::from_secs(14_400)));
        assert_eq!(parse_duration("5d"), Some(Duration::from_secs(432_000)));
        assert_eq!(parse_duration("5w"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("99999999999999999999d"), None);
    }

    #[test]
    fn toml_section_with_defaults_and_unknown_keys() {
        let config: QueueConfig =
            toml::from_str("dir = \"/var/spool/q\"\nretry_initial = 60\ngive_up = \"2d\"\n")
                .unwrap();
        assert_eq!(config.dir, PathBuf::from("/var/spool/q"));
        assert_eq!(config.retry_initial, Duration::from_secs(60));
        assert_eq!(config.give_up, Duration::from_secs(172_800));
        assert_eq!(config.retry_max, QueueConfig::default().retry_max);
        assert!(config.problems().is_empty());
        assert!(toml::from_str::<QueueConfig>("retries = 3\n").is_err());
        assert!(toml::from_str::<QueueConfig>("give_up = \"soon\"\n").is_err());
        let bad: QueueConfig = toml::from_str("concurrency = 0\nretry_max = 1\n").unwrap();
        assert_eq!(bad.problems().len(), 2);
    }
}
