//! The envelope and delivery state of one queued message, as stored in its `.state`
//! file (TOML), and the rules that move a recipient from pending to done.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use smtp_proto::types::{Notify, Ret};

use crate::outbound::{OutboundRecipient, Outcome, Status};

use super::QueueConfig;

/// The version written in every state file.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// Everything about a queued message except its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MessageState {
    /// [`FORMAT_VERSION`].
    pub(crate) version: u32,
    /// The queue id (also the file names).
    pub(crate) id: String,
    /// The envelope sender; empty for the null reverse path.
    pub(crate) sender: String,
    /// When the message was queued, in seconds since the Unix epoch.
    pub(crate) arrival: u64,
    /// The size of the message file in bytes.
    pub(crate) size: u64,
    /// `ENVID=`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) envid: Option<String>,
    /// `RET=`: `full` or `hdrs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) ret: Option<RetParam>,
    /// The content needs `BODY=8BITMIME`.
    pub(crate) eight_bit: bool,
    /// The envelope or header needs `SMTPUTF8`.
    pub(crate) smtputf8: bool,
    /// One entry per recipient, in submission order.
    pub(crate) recipients: Vec<RecipientState>,
}

/// `RET=` in the state file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RetParam {
    /// `RET=FULL`.
    Full,
    /// `RET=HDRS`.
    Hdrs,
}

impl From<Ret> for RetParam {
    fn from(ret: Ret) -> Self {
        match ret {
            Ret::Full => Self::Full,
            Ret::Headers => Self::Hdrs,
        }
    }
}

impl From<RetParam> for Ret {
    fn from(ret: RetParam) -> Self {
        match ret {
            RetParam::Full => Self::Full,
            RetParam::Hdrs => Self::Headers,
        }
    }
}

/// Where a recipient stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RecipientStatus {
    /// Still to be delivered.
    Pending,
    /// Accepted by the next hop.
    Delivered,
    /// Bounced (permanent failure, or gave up).
    Failed,
}

/// One recipient's parameters and progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecipientState {
    /// The forward path.
    pub(crate) address: String,
    /// `NOTIFY=` as `never` or a comma-separated subset of `success,failure,delay`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) notify: Option<String>,
    /// `ORCPT=` address type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) orcpt_type: Option<String>,
    /// `ORCPT=` address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) orcpt: Option<String>,
    /// Pending, delivered or failed.
    pub(crate) status: RecipientStatus,
    /// Delivery attempts made so far.
    pub(crate) attempts: u32,
    /// When the next attempt is due (Unix seconds); meaningful while pending.
    pub(crate) next_attempt: u64,
    /// When the last attempt ended (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last_attempt: Option<u64>,
    /// The RFC 3463 code of the last attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) code: Option<String>,
    /// The host that answered the last attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) remote: Option<String>,
    /// The reply or reason of the last attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) diagnostic: Option<String>,
    /// A `NOTIFY=DELAY` warning was sent.
    #[serde(default)]
    pub(crate) delay_warned: bool,
}

/// Which notifications a recipient asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wants {
    /// `SUCCESS`.
    pub(crate) success: bool,
    /// `FAILURE` (also the default without `NOTIFY=`).
    pub(crate) failure: bool,
    /// `DELAY`.
    pub(crate) delay: bool,
}

/// `NOTIFY=` as stored.
pub(crate) fn notify_to_text(notify: Notify) -> String {
    match notify {
        Notify::Never => "never".to_owned(),
        Notify::On {
            success,
            failure,
            delay,
        } => [(success, "success"), (failure, "failure"), (delay, "delay")]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, name)| *name)
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// `NOTIFY=` from the state file; `None` when absent or not understood.
pub(crate) fn notify_from_text(text: &str) -> Option<Notify> {
    if text == "never" {
        return Some(Notify::Never);
    }
    let (mut success, mut failure, mut delay) = (false, false, false);
    for word in text.split(',') {
        match word {
            "success" => success = true,
            "failure" => failure = true,
            "delay" => delay = true,
            _ => return None,
        }
    }
    Some(Notify::On {
        success,
        failure,
        delay,
    })
}

/// Seconds since the Unix epoch (0 before it).
pub(crate) fn unix_secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The instant of a Unix second count.
pub(crate) fn from_unix_secs(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

impl RecipientState {
    /// A new pending recipient, due at `now`.
    pub(crate) fn new(recipient: &OutboundRecipient, now: u64) -> Self {
        let (orcpt_type, orcpt) = match &recipient.orcpt {
            Some((kind, address)) => (Some(kind.clone()), Some(address.clone())),
            None => (None, None),
        };
        Self {
            address: recipient.address.clone(),
            notify: recipient.notify.map(notify_to_text),
            orcpt_type,
            orcpt,
            status: RecipientStatus::Pending,
            attempts: 0,
            next_attempt: now,
            last_attempt: None,
            code: None,
            remote: None,
            diagnostic: None,
            delay_warned: false,
        }
    }

    /// The recipient as handed to a transport.
    pub(crate) fn outbound(&self) -> OutboundRecipient {
        OutboundRecipient {
            address: self.address.clone(),
            notify: self.notify.as_deref().and_then(notify_from_text),
            orcpt: self.orcpt_type.clone().zip(self.orcpt.clone()),
        }
    }

    /// What the recipient wants to hear about (RFC 3461: `FAILURE` when unspecified).
    pub(crate) fn wants(&self) -> Wants {
        match self.notify.as_deref().and_then(notify_from_text) {
            Some(Notify::Never) => Wants {
                success: false,
                failure: false,
                delay: false,
            },
            Some(Notify::On {
                success,
                failure,
                delay,
            }) => Wants {
                success,
                failure,
                delay,
            },
            None => Wants {
                success: false,
                failure: true,
                delay: false,
            },
        }
    }

    /// The domain the recipient is delivered to (lower case; empty without `@`).
    pub(crate) fn domain(&self) -> String {
        self.address
            .rsplit_once('@')
            .map_or_else(String::new, |(_, domain)| domain.to_ascii_lowercase())
    }

    /// Whether an attempt is due at `now`.
    pub(crate) fn is_due(&self, now: u64) -> bool {
        self.status == RecipientStatus::Pending && self.next_attempt <= now
    }
}

/// What recording one outcome means for notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Report {
    /// Nothing to tell the sender.
    None,
    /// Delivered, and the recipient asked for `SUCCESS`.
    Success,
    /// Failed for good (including giving up), and the recipient wants to know.
    Failure,
    /// Still pending past `delay_warning`, warned for the first time.
    Delay,
}

/// The delay before retry number `attempts` (1 for the first retry): `retry_initial`
/// doubling up to `retry_max`.
pub(crate) fn backoff(config: &QueueConfig, attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(32);
    config
        .retry_initial
        .checked_mul(1u32 << doublings.min(31))
        .unwrap_or(config.retry_max)
        .min(config.retry_max)
}

impl MessageState {
    /// Records `outcome` for recipient `index` at `now`; returns what to report.
    pub(crate) fn record(
        &mut self,
        config: &QueueConfig,
        index: usize,
        outcome: &Outcome,
        now: u64,
    ) -> Report {
        let arrival = self.arrival;
        let Some(rcpt) = self.recipients.get_mut(index) else {
            return Report::None;
        };
        if rcpt.status != RecipientStatus::Pending {
            return Report::None;
        }
        rcpt.attempts = rcpt.attempts.saturating_add(1);
        rcpt.last_attempt = Some(now);
        rcpt.code = Some(outcome.code.clone());
        rcpt.remote.clone_from(&outcome.remote);
        rcpt.diagnostic = Some(outcome.diagnostic.clone());
        let wants = rcpt.wants();
        match outcome.status {
            Status::Delivered => {
                rcpt.status = RecipientStatus::Delivered;
                if wants.success {
                    Report::Success
                } else {
                    Report::None
                }
            }
            Status::Failed => {
                rcpt.status = RecipientStatus::Failed;
                if wants.failure {
                    Report::Failure
                } else {
                    Report::None
                }
            }
            Status::Deferred => {
                let give_up_at = arrival.saturating_add(config.give_up.as_secs());
                if now >= give_up_at {
                    rcpt.status = RecipientStatus::Failed;
                    rcpt.diagnostic = Some(format!(
                        "gave up after {}: {}",
                        human_duration(config.give_up),
                        outcome.diagnostic
                    ));
                    return if wants.failure {
                        Report::Failure
                    } else {
                        Report::None
                    };
                }
                let delay = backoff(config, rcpt.attempts).as_secs();
                rcpt.next_attempt = now.saturating_add(delay).min(give_up_at);
                let late = now >= arrival.saturating_add(config.delay_warning.as_secs());
                if wants.delay && late && !rcpt.delay_warned {
                    rcpt.delay_warned = true;
                    Report::Delay
                } else {
                    Report::None
                }
            }
        }
    }

    /// Whether every recipient is delivered or failed.
    pub(crate) fn is_done(&self) -> bool {
        self.recipients
            .iter()
            .all(|r| r.status != RecipientStatus::Pending)
    }

    /// The earliest next attempt of a pending recipient.
    #[cfg(test)]
    pub(crate) fn next_due(&self) -> Option<u64> {
        self.recipients
            .iter()
            .filter(|r| r.status == RecipientStatus::Pending)
            .map(|r| r.next_attempt)
            .min()
    }

    /// Makes every pending recipient due at `now`; returns how many.
    pub(crate) fn make_due(&mut self, now: u64) -> usize {
        let mut count = 0;
        for rcpt in &mut self.recipients {
            if rcpt.status == RecipientStatus::Pending {
                rcpt.next_attempt = rcpt.next_attempt.min(now);
                count += 1;
            }
        }
        count
    }

    /// Checks what serde cannot: the version, the id and at least one recipient.
    pub(crate) fn validate(&self, id: &str) -> Result<(), String> {
        if self.version != FORMAT_VERSION {
            return Err(format!("unknown format version {}", self.version));
        }
        if self.id != id {
            return Err(format!("id {:?} does not match the file name", self.id));
        }
        if self.recipients.is_empty() {
            return Err("no recipients".to_owned());
        }
        Ok(())
    }
}

/// `5 days`, `4 hours`, `90 minutes`, `30 seconds`: the largest whole unit.
pub(crate) fn human_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    let (n, unit) = if secs >= 86_400 && secs.is_multiple_of(86_400) {
        (secs / 86_400, "day")
    } else if secs >= 3600 && secs.is_multiple_of(3600) {
        (secs / 3600, "hour")
    } else if secs >= 60 && secs.is_multiple_of(60) {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}
