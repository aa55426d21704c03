//! Turning what happened (a remote reply, a refused connection, a DNS answer) into the
//! per-recipient [`Outcome`] the queue acts on.

use smtp_proto::client::{ClientError, RecipientResult, TransactionResult};
use smtp_proto::types::Reply;

use super::job::{Outcome, Status};

/// Longest diagnostic kept (a DSN line, a log line); a hostile peer may send 64 KiB.
const MAX_DIAGNOSTIC: usize = 1000;

/// A result that applies to several recipients at once: a DNS failure, a connection
/// failure, a refused message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Failure {
    /// Deferred or failed.
    pub(super) status: Status,
    /// RFC 3463 code.
    pub(super) code: String,
    /// `host [ip]` when a host answered.
    pub(super) remote: Option<String>,
    /// The remote reply or a local reason.
    pub(super) diagnostic: String,
}

impl Failure {
    /// A failure decided here, without a remote reply.
    pub(super) fn local(status: Status, code: &str, diagnostic: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            remote: None,
            diagnostic: bounded(diagnostic.into()),
        }
    }

    /// A failure caused by a reply of `remote`.
    pub(super) fn reply(remote: &str, reply: &Reply<'_>) -> Self {
        let outcome = reply_outcome(remote, reply);
        Self {
            status: outcome.status,
            code: outcome.code,
            remote: outcome.remote,
            diagnostic: outcome.diagnostic,
        }
    }

    /// The same failure with the host that caused it.
    pub(super) fn at(mut self, remote: &str) -> Self {
        self.remote = Some(remote.to_owned());
        self
    }

    /// The outcome for one recipient.
    pub(super) fn outcome(&self) -> Outcome {
        Outcome {
            status: self.status,
            code: self.code.clone(),
            remote: self.remote.clone(),
            diagnostic: self.diagnostic.clone(),
        }
    }

    /// The same reason, made temporary (a host failure when another host may work).
    pub(super) fn deferred(mut self) -> Self {
        if self.status == Status::Failed {
            self.status = Status::Deferred;
            if let Some(rest) = self.code.strip_prefix('5') {
                self.code = format!("4{rest}");
            }
        }
        self
    }
}

/// The reply as one line: `550 5.1.1 text`, lines joined with a space.
pub(super) fn reply_line(reply: &Reply<'_>) -> String {
    let mut line = reply.code.to_string();
    if let Some(enhanced) = reply.enhanced {
        line.push(' ');
        line.push_str(&enhanced.to_string());
    }
    for text in &reply.lines {
        if !text.is_empty() {
            line.push(' ');
            line.push_str(text);
        }
    }
    bounded(line)
}

/// The outcome a reply gives: 2xx delivered, 4xx deferred, anything else failed.
pub(super) fn reply_outcome(remote: &str, reply: &Reply<'_>) -> Outcome {
    let status = match reply.class() {
        2 => Status::Delivered,
        4 => Status::Deferred,
        _ => Status::Failed,
    };
    let class = match status {
        Status::Delivered => 2,
        Status::Deferred => 4,
        Status::Failed => 5,
    };
    // A server may send an enhanced code whose class contradicts the reply code; the
    // reply code decides, as RFC 3463 section 2 asks.
    let code = match reply.enhanced {
        Some(e) if e.class == class => e.to_string(),
        _ => format!("{class}.0.0"),
    };
    Outcome {
        status,
        code,
        remote: Some(remote.to_owned()),
        diagnostic: reply_line(reply),
    }
}

/// Per-recipient outcomes of one SMTP transaction, in envelope order.
pub(super) fn transaction_outcomes(remote: &str, result: &TransactionResult) -> Vec<Outcome> {
    result
        .recipients
        .iter()
        .map(|recipient| recipient_outcome(remote, result, recipient))
        .collect()
}

fn recipient_outcome(
    remote: &str,
    result: &TransactionResult,
    recipient: &RecipientResult,
) -> Outcome {
    let reply = match (&recipient.rcpt, &recipient.delivery) {
        // RCPT never sent: MAIL was refused.
        (None, _) => Some(&result.mail),
        (Some(rcpt), _) if !rcpt.is_positive() => Some(rcpt),
        (Some(_), Some(delivery)) => Some(delivery),
        // Accepted, but DATA was refused or never answered.
        (Some(_), None) => result.data.as_ref(),
    };
    match reply {
        Some(reply) if reply.code != 0 => reply_outcome(remote, reply),
        _ => Failure::local(
            Status::Deferred,
            "4.4.2",
            "the transaction ended without a reply for this recipient",
        )
        .at(remote)
        .outcome(),
    }
}

/// The failure for a message the client refused to send because the peer lacks
/// something it needs (RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 6531 SMTPUTF8).
pub(super) fn refusal(remote: &str, error: &ClientError) -> Failure {
    let (code, reason) = match error {
        ClientError::MessageTooLarge { size, limit } => (
            "5.3.4",
            format!("message size {size} exceeds size limit {limit} of server {remote}"),
        ),
        ClientError::NotOffered(what) if what == "8BITMIME" => (
            "5.6.3",
            format!(
                "the message has 8-bit content but {remote} does not support 8BITMIME \
                 (no conversion to 7 bit is done)"
            ),
        ),
        ClientError::NotOffered(what) if what == "SMTPUTF8" => (
            "5.6.7",
            format!(
                "the message needs SMTPUTF8 (internationalised addresses) but {remote} \
                 does not support it"
            ),
        ),
        other => (
            "5.5.0",
            format!("cannot send the message to {remote}: {other}"),
        ),
    };
    Failure::local(Status::Failed, code, reason).at(remote)
}

fn bounded(mut text: String) -> String {
    if text.len() > MAX_DIAGNOSTIC {
        let mut end = MAX_DIAGNOSTIC;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("...");
    }
    text
}
