//! The spam check at the end of DATA (MX, LMTP, and submission when asked): rspamd's verdict on a received
//! message, over the milter protocol ([`milter`]) or HTTP `/checkv2` ([`http`]).
//!
//! [`SpamCheck::check`] gives one [`SpamDecision`] for the whole message:
//! - `Reject`: answer the 5xx reply (GTUBE, `reject`);
//! - `TempFail`: answer the 4xx reply (`soft reject`, `greylist`);
//! - `Discard`: answer 250 and deliver nothing (`discard`);
//! - `Accept`: deliver, after the [`HeaderChanges`] (rspamd's own changes, such as
//!   `X-Spam: Yes` for `add header` or a new `Subject` for `rewrite subject`, and our
//!   `X-Spam-Score` when the score is known, replacing any the sender wrote).
//!
//! Over HTTP the score is always known. Over the milter protocol rspamd sends only
//! header changes, so the score is taken from the headers rspamd adds when its
//! `milter_headers` module is configured to (`X-Spamd-Result`, `X-Rspamd-Score`,
//! `X-Spam-Status`); without them there is no `X-Spam-Score`.
//!
//! When rspamd cannot be reached, is slower than `timeout` (the whole check, connection
//! included), or answers something that makes no sense, the message is accepted
//! unchecked with a `warn!` line (`fail_open = true`, the default), or refused with
//! `451 4.7.1` so the sender retries later. A milter that shuts down (421) counts as
//! unavailable too. Mail from authenticated clients is not checked unless
//! `check_submission = true`.

pub(crate) mod changes;
mod config;
mod http;
mod milter;

use std::io;
use std::time::{Duration, Instant};

use milter_proto::client::ClientError;
use milter_proto::rspamd::{RspamdError, VerdictOptions};
use milter_proto::{Disposition, Verdict};
use smtp_proto::types::{EnhancedCode, Reply};
use tracing::{error, info, warn};

use crate::delivery::dispatch::Message;
use crate::delivery::{Delivery, Envelope, Resolver, SpoolWriter, Spooled};
use crate::logging::sanitize;

pub(crate) use changes::HeaderChanges;
pub(crate) use config::{SpamBackend, SpamConfig};

/// Why a check gave no verdict.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum SpamError {
    /// rspamd could not be reached.
    #[error("cannot connect: {0}")]
    Connect(#[source] io::Error),
    /// The connection failed during the check.
    #[error("connection failed: {0}")]
    Io(#[source] io::Error),
    /// The spooled message could not be read.
    #[error("cannot read the spooled message: {0}")]
    Spool(#[source] io::Error),
    /// The milter session failed (invalid data, an action not negotiated, ...).
    #[error("milter: {0}")]
    Milter(#[from] ClientError),
    /// rspamd's HTTP answer was an error or unreadable.
    #[error("rspamd: {0}")]
    Rspamd(#[from] RspamdError),
    /// Something else that makes no sense.
    #[error("{0}")]
    Protocol(String),
    /// No verdict within the configured time.
    #[error("no verdict within {0:?}")]
    Timeout(Duration),
    /// The milter shut down or failed the connection (421).
    #[error("the filter is unavailable: {0}")]
    Unavailable(String),
}

/// What to do with a message after the spam check.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SpamDecision {
    /// Deliver it, after the header changes.
    Accept(Accepted),
    /// Answer 250 and deliver nothing.
    Discard,
    /// Refuse it with this 5xx reply.
    Reject(Reply<'static>),
    /// Refuse it for now with this 4xx reply.
    TempFail(Reply<'static>),
}

/// An accepted message.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Accepted {
    /// Header changes to make before delivery ([`Accepted::apply`]).
    pub(crate) changes: HeaderChanges,
    /// rspamd's score, when known.
    pub(crate) score: Option<f64>,
    /// Whether rspamd gave this verdict (false: not checked, or failed open).
    pub(crate) checked: bool,
}

impl Accepted {
    /// Accepted without a check.
    pub(crate) fn unchecked() -> Self {
        Self::default()
    }

    /// The message to deliver: `body` itself when nothing changes, otherwise a copy
    /// with the changes written to `spool()` (e.g. `|| delivery.spool()`).
    pub(crate) async fn apply(
        &self,
        body: &Spooled,
        spool: impl FnOnce() -> SpoolWriter,
    ) -> io::Result<Spooled> {
        if self.changes.is_empty() {
            return Ok(body.clone());
        }
        self.changes.rewrite(body, spool()).await
    }
}

impl SpamDecision {
    /// The refusal to answer the message with, if it is refused.
    pub(crate) fn reply(&self) -> Option<&Reply<'static>> {
        match self {
            Self::Reject(reply) | Self::TempFail(reply) => Some(reply),
            Self::Accept(_) | Self::Discard => None,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Accept(_) => "accept",
            Self::Discard => "discard",
            Self::Reject(_) => "reject",
            Self::TempFail(_) => "tempfail",
        }
    }
}

/// What [`SpamCheck::screen`] leaves to the session.
#[derive(Debug)]
pub(crate) enum Screened {
    /// Deliver the message (its body may have changed).
    Deliver,
    /// Answer 250 and deliver nothing.
    Discarded,
    /// Answer this reply, for every recipient.
    Refused(Reply<'static>),
    /// The changed body could not be written: a temporary failure.
    Failed,
}

/// The spam check of the MX and LMTP paths (and of submission with
/// `check_submission = true`).
#[derive(Debug, Clone)]
pub(crate) struct SpamCheck {
    config: SpamConfig,
    hostname: String,
}

impl SpamCheck {
    /// A check as configured; `hostname` is ours (macro `j`, `MTA-Name`).
    pub(crate) fn new(config: SpamConfig, hostname: impl Into<String>) -> Self {
        Self {
            config,
            hostname: hostname.into(),
        }
    }

    /// Checks `message` at the end of DATA and applies the outcome: an accepted body
    /// gets rspamd's header changes (a new spool file, written with `delivery`), a
    /// discard or refusal is logged. `session` names the connection in log lines.
    pub(crate) async fn screen<R: Resolver>(
        &self,
        envelope: &Envelope,
        message: &mut Message,
        delivery: &Delivery<R>,
        session: u64,
    ) -> Screened {
        // Only the discard and refuse lines name the sender: sanitise it there.
        let sender = |message: &Message| sanitize(message.sender.as_deref().unwrap_or(""));
        match self.check(envelope, &message.body).await {
            SpamDecision::Accept(accepted) => {
                match accepted.apply(&message.body, || delivery.spool()).await {
                    Ok(body) => {
                        message.body = body;
                        Screened::Deliver
                    }
                    Err(e) => {
                        error!(
                            "session={session}: cannot apply the spam check's header changes: {e}"
                        );
                        Screened::Failed
                    }
                }
            }
            SpamDecision::Discard => {
                let sender = sender(message);
                info!("message discarded by the spam check: session={session} from=<{sender}>");
                Screened::Discarded
            }
            SpamDecision::Reject(refusal) | SpamDecision::TempFail(refusal) => {
                let sender = sender(message);
                info!(
                    "message refused by the spam check: session={session} from=<{sender}> \
                     reply={} {}",
                    refusal.code,
                    sanitize(&refusal.text())
                );
                Screened::Refused(refusal)
            }
        }
    }

    /// Whether a message with `envelope` is checked at all.
    pub(crate) fn applies_to(&self, envelope: &Envelope) -> bool {
        self.config.enabled && (envelope.authenticated.is_none() || self.config.check_submission)
    }

    /// Checks a received message. Never fails: an unavailable rspamd gives the
    /// configured failure policy's decision.
    pub(crate) async fn check(&self, envelope: &Envelope, body: &Spooled) -> SpamDecision {
        if !self.applies_to(envelope) {
            return SpamDecision::Accept(Accepted::unchecked());
        }
        let started = Instant::now();
        let timeout = self.config.timeout;
        let asked = tokio::time::timeout(timeout, self.ask(envelope, body)).await;
        match asked.unwrap_or(Err(SpamError::Timeout(timeout))) {
            Ok(decision) => {
                self.log(envelope, &decision, started);
                decision
            }
            Err(error) => self.unavailable(envelope, &error),
        }
    }

    async fn ask(&self, envelope: &Envelope, body: &Spooled) -> Result<SpamDecision, SpamError> {
        let address = self.config.address();
        match self.config.backend {
            SpamBackend::Milter => {
                let verdict =
                    milter::check(address, &self.hostname, self.config.timeout, envelope, body)
                        .await?;
                let changes = HeaderChanges::from_verdict(&verdict);
                let score = score_from_headers(&changes);
                decide(&verdict, changes, score)
            }
            SpamBackend::Http => {
                let reply = http::check(address, &self.hostname, envelope, body).await?;
                let verdict = reply.to_verdict(&VerdictOptions::default());
                let changes = HeaderChanges::from_verdict(&verdict);
                decide(
                    &verdict,
                    changes,
                    Some(reply.score).filter(|s| s.is_finite()),
                )
            }
        }
    }

    /// The failure policy.
    fn unavailable(&self, envelope: &Envelope, error: &SpamError) -> SpamDecision {
        let (backend, address) = (self.config.backend.name(), self.config.address());
        if self.config.fail_open {
            warn!(
                "spam check failed: session={} backend={backend} address={address} error={error}; \
                 accepting the message unchecked (fail_open)",
                envelope.id
            );
            SpamDecision::Accept(Accepted::unchecked())
        } else {
            warn!(
                "spam check failed: session={} backend={backend} address={address} error={error}; \
                 answering 451 (fail_open = false)",
                envelope.id
            );
            SpamDecision::TempFail(Reply::new(
                451,
                Some(EnhancedCode::new(4, 7, 1)),
                "Spam check unavailable, try again later",
            ))
        }
    }

    fn log(&self, envelope: &Envelope, decision: &SpamDecision, started: Instant) {
        let score = match decision {
            SpamDecision::Accept(Accepted {
                score: Some(score), ..
            }) => format!("{score:.2}"),
            _ => "-".to_owned(),
        };
        let reply = decision
            .reply()
            .map(|r| format!(" reply=\"{} {}\"", r.code, sanitize(&r.text())))
            .unwrap_or_default();
        info!(
            "spam check: session={} backend={} result={} score={score}{reply} time={}ms",
            envelope.id,
            self.config.backend.name(),
            decision.name(),
            started.elapsed().as_millis()
        );
    }
}

/// The decision for a verdict with its header changes and score.
fn decide(
    verdict: &Verdict,
    mut changes: HeaderChanges,
    score: Option<f64>,
) -> Result<SpamDecision, SpamError> {
    Ok(match &verdict.disposition {
        Disposition::Reject(reply) => SpamDecision::Reject(smtp_reply(reply)),
        Disposition::TempFail(reply) if reply.code() == 421 => {
            return Err(SpamError::Unavailable(reply.to_milter()));
        }
        Disposition::TempFail(reply) => SpamDecision::TempFail(smtp_reply(reply)),
        Disposition::Discard => SpamDecision::Discard,
        Disposition::Accept => {
            if let Some(score) = score {
                changes.replace("X-Spam-Score", &format!("{score:.2}"));
            }
            SpamDecision::Accept(Accepted {
                changes,
                score,
                checked: true,
            })
        }
    })
}

/// A milter reply (4xx/5xx, text without CR, LF or NUL) as an SMTP reply.
fn smtp_reply(reply: &milter_proto::Reply) -> Reply<'static> {
    let enhanced = reply
        .enhanced()
        .map(|e| EnhancedCode::new(e.class, e.subject, e.detail));
    let lines = reply.lines().iter().map(|l| l.clone().into()).collect();
    Reply::multiline(reply.code(), enhanced, lines)
}

/// The score in the headers rspamd's `milter_headers` module adds, if any.
fn score_from_headers(changes: &HeaderChanges) -> Option<f64> {
    let parse = |text: &str| text.trim().parse::<f64>().ok().filter(|s| s.is_finite());
    if let Some(result) = changes.value_of("X-Spamd-Result") {
        // `default: False [1.20 / 15.00]; SYMBOL(0.5)...`
        let inside = result.split_once('[')?.1.split_once('/')?.0;
        return parse(inside);
    }
    if let Some(score) = changes.value_of("X-Rspamd-Score") {
        return parse(&score);
    }
    let status = changes.value_of("X-Spam-Status")?;
    // `Yes, score=15.00` (SpamAssassin style)
    let after = status.split_once("score=")?.1;
    parse(after.split([',', ' ', ';']).next().unwrap_or(after))
}

#[cfg(test)]
mod interop;
#[cfg(test)]
mod tests;
