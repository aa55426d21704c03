//! rspamd's JSON answer to `/checkv2`, and the [`Verdict`] it stands for.

use std::num::NonZeroU32;

use serde_json::{Map, Value};

use super::RspamdError;
use crate::types::{
    Disposition, EnhancedCode, HeaderOccurrence, Modification, Reply, Text, Verdict,
};

/// The action rspamd recommends.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpamAction {
    /// `no action`: deliver.
    NoAction,
    /// `greylist`: ask the sender to retry later.
    Greylist,
    /// `add header`: deliver, marked as spam.
    AddHeader,
    /// `rewrite subject`: deliver with the subject rspamd gives.
    RewriteSubject,
    /// `soft reject`: refuse temporarily.
    SoftReject,
    /// `reject`: refuse.
    Reject,
    /// `discard`: accept and drop.
    Discard,
    /// `quarantine`: accept and hold.
    Quarantine,
    /// An action configured locally.
    Other(String),
}

impl SpamAction {
    fn parse(name: &str) -> Self {
        match name {
            "no action" => Self::NoAction,
            "greylist" => Self::Greylist,
            "add header" => Self::AddHeader,
            "rewrite subject" => Self::RewriteSubject,
            "soft reject" => Self::SoftReject,
            "reject" => Self::Reject,
            "discard" => Self::Discard,
            "quarantine" => Self::Quarantine,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The name rspamd uses.
    pub fn as_str(&self) -> &str {
        match self {
            Self::NoAction => "no action",
            Self::Greylist => "greylist",
            Self::AddHeader => "add header",
            Self::RewriteSubject => "rewrite subject",
            Self::SoftReject => "soft reject",
            Self::Reject => "reject",
            Self::Discard => "discard",
            Self::Quarantine => "quarantine",
            Self::Other(name) => name,
        }
    }
}

/// A header rspamd asks to add (`milter.add_headers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderAddition {
    /// Field name.
    pub name: Text<'static>,
    /// Value.
    pub value: Text<'static>,
    /// Position among the headers (0 = top), if given; negative counts from the end.
    pub order: Option<i64>,
}

/// What rspamd asks the MTA to change (the `milter` object), whatever the action.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MilterChanges {
    /// Headers to remove first: name and occurrence (0 all, n the n-th, -n the n-th
    /// from the end).
    pub remove_headers: Vec<(Text<'static>, i64)>,
    /// Headers to add.
    pub add_headers: Vec<HeaderAddition>,
    /// A new envelope sender.
    pub change_from: Option<Text<'static>>,
    /// Envelope recipients to add.
    pub add_recipients: Vec<Text<'static>>,
    /// Envelope recipients to remove.
    pub delete_recipients: Vec<Text<'static>>,
    /// `reject`: `discard` or `quarantine` instead of rejecting.
    pub reject_instead: Option<String>,
    /// `no_action`: report the action in a header and deliver.
    pub no_action: bool,
    /// `spam_header`: for `add header`, the value of the spam header (name `None`) or
    /// headers to set instead.
    pub spam_headers: Vec<(Option<Text<'static>>, Text<'static>)>,
}

/// rspamd's answer to a scan.
///
/// ```
/// use milter_proto::rspamd::{CheckReply, SpamAction, VerdictOptions};
/// use milter_proto::Disposition;
///
/// let json = br#"{"is_skipped":true,"score":15.0,"required_score":15.0,"action":"reject",
///     "symbols":{"GTUBE":{"name":"GTUBE","score":0.0}},"messages":{"smtp_message":"Gtube pattern"}}"#;
/// let reply = CheckReply::from_json(json).unwrap();
/// assert_eq!(reply.action, SpamAction::Reject);
/// let verdict = reply.to_verdict(&VerdictOptions::default());
/// let Disposition::Reject(smtp) = &verdict.disposition else { panic!("rejected") };
/// assert_eq!(smtp.to_smtp(), "554 5.7.1 Gtube pattern\r\n");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CheckReply {
    /// The recommended action.
    pub action: SpamAction,
    /// The message's score.
    pub score: f64,
    /// The score of the reject action.
    pub required_score: f64,
    /// Whether the scan stopped early (a pre-result such as GTUBE or settings).
    pub is_skipped: bool,
    /// The rewritten subject, for `rewrite subject`.
    pub subject: Option<String>,
    /// The SMTP text rspamd suggests for a refusal.
    pub smtp_message: Option<String>,
    /// The symbols that matched, with their scores.
    pub symbols: Vec<(String, f64)>,
    /// The Message-ID rspamd saw.
    pub message_id: Option<String>,
    /// Changes rspamd asks for.
    pub milter: MilterChanges,
    /// DKIM signatures to add (when rspamd signs).
    pub dkim_signatures: Vec<Text<'static>>,
}

/// How a [`CheckReply`] becomes a [`Verdict`]; the defaults are those of rspamd's own
/// milter proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerdictOptions {
    /// The header set to `Yes` by `add header` (default `X-Spam`).
    pub spam_header: String,
    /// Text of a reject without an SMTP message (default `Spam message rejected`).
    pub reject_message: String,
    /// Text of a soft reject or greylist without one (default `Try again later`).
    pub tempfail_message: String,
    /// Reason given with a quarantine (default `Rejected by rspamd`).
    pub quarantine_reason: String,
    /// Discard instead of rejecting (default false).
    pub discard_on_reject: bool,
    /// Quarantine instead of rejecting (default false).
    pub quarantine_on_reject: bool,
}

impl Default for VerdictOptions {
    fn default() -> Self {
        Self {
            spam_header: "X-Spam".into(),
            reject_message: "Spam message rejected".into(),
            tempfail_message: "Try again later".into(),
            quarantine_reason: "Rejected by rspamd".into(),
            discard_on_reject: false,
            quarantine_on_reject: false,
        }
    }
}

impl CheckReply {
    /// Parses the JSON body of a `/checkv2` answer.
    pub fn from_json(body: &[u8]) -> Result<Self, RspamdError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| RspamdError::Json(format!("not JSON: {e}")))?;
        let Value::Object(root) = value else {
            return Err(RspamdError::Json("the reply is not an object".into()));
        };
        let Some(action) = root.get("action").and_then(Value::as_str) else {
            let error = root
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("no action");
            return Err(RspamdError::Json(format!(
                "no action in the reply: {error}"
            )));
        };
        let symbols = root
            .get("symbols")
            .and_then(Value::as_object)
            .map(|symbols| {
                symbols
                    .iter()
                    .map(|(name, symbol)| {
                        let score = symbol.get("score").and_then(Value::as_f64).unwrap_or(0.0);
                        (name.clone(), score)
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            action: SpamAction::parse(action),
            score: number(&root, "score"),
            required_score: number(&root, "required_score"),
            is_skipped: root
                .get("is_skipped")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            subject: string(&root, "subject"),
            smtp_message: root
                .get("messages")
                .and_then(|m| m.get("smtp_message"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            symbols,
            message_id: string(&root, "message-id"),
            milter: match root.get("milter") {
                Some(Value::Object(milter)) => parse_milter(milter)?,
                _ => MilterChanges::default(),
            },
            dkim_signatures: match root.get("dkim-signature") {
                Some(value) => text_list(value)?,
                None => Vec::new(),
            },
        })
    }

    /// The verdict, following what rspamd's milter proxy would tell the MTA: removals and
    /// additions of the `milter` object first, DKIM signatures, then the action.
    /// `greylist` fails temporarily, like `soft reject`; an action rspamd does not
    /// define fails temporarily too.
    pub fn to_verdict(&self, options: &VerdictOptions) -> Verdict {
        let mut modifications = self.milter_modifications();
        for (index, signature) in (1u32..).zip(&self.dkim_signatures) {
            modifications.push(Modification::InsertHeader {
                index,
                name: static_text("DKIM-Signature"),
                value: signature.clone(),
            });
        }
        let mut verdict = Verdict::new(Disposition::Accept);
        if self.milter.no_action {
            modifications.push(Modification::AddHeader {
                name: static_text("X-Rspamd-Action"),
                value: text_lossless(self.action.as_str()),
            });
        } else {
            verdict.disposition = self.apply_action(options, &mut modifications);
        }
        verdict.modifications = modifications;
        verdict
    }

    fn milter_modifications(&self) -> Vec<Modification> {
        let milter = &self.milter;
        let mut out = Vec::new();
        for (name, occurrence) in &milter.remove_headers {
            out.push(Modification::RemoveHeader {
                name: name.clone(),
                which: occurrence_of(*occurrence),
            });
        }
        for addition in &milter.add_headers {
            let (name, value) = (addition.name.clone(), addition.value.clone());
            out.push(match addition.order.and_then(|o| u32::try_from(o).ok()) {
                Some(index) => Modification::InsertHeader { index, name, value },
                None => Modification::AddHeader { name, value },
            });
        }
        if let Some(address) = &milter.change_from {
            out.push(Modification::ChangeFrom {
                address: address.clone(),
                args: None,
            });
        }
        for address in &milter.add_recipients {
            out.push(Modification::AddRecipient {
                address: address.clone(),
                args: None,
            });
        }
        for address in &milter.delete_recipients {
            out.push(Modification::DeleteRecipient {
                address: address.clone(),
            });
        }
        out
    }

    fn apply_action(
        &self,
        options: &VerdictOptions,
        modifications: &mut Vec<Modification>,
    ) -> Disposition {
        let quarantine = |modifications: &mut Vec<Modification>| {
            modifications.push(Modification::Quarantine {
                reason: text_lossless(&options.quarantine_reason),
            });
            Disposition::Accept
        };
        match &self.action {
            SpamAction::NoAction => Disposition::Accept,
            SpamAction::Reject => {
                let instead = self.milter.reject_instead.as_deref();
                if instead == Some("discard") || (instead.is_none() && options.discard_on_reject) {
                    Disposition::Discard
                } else if instead == Some("quarantine")
                    || (instead.is_none() && options.quarantine_on_reject)
                {
                    quarantine(modifications)
                } else {
                    let text = self
                        .smtp_message
                        .as_deref()
                        .unwrap_or(&options.reject_message);
                    Disposition::Reject(reply(554, text))
                }
            }
            SpamAction::SoftReject | SpamAction::Greylist | SpamAction::Other(_) => {
                let text = self
                    .smtp_message
                    .as_deref()
                    .unwrap_or(&options.tempfail_message);
                Disposition::TempFail(reply(451, text))
            }
            SpamAction::RewriteSubject => {
                if let Some(subject) = &self.subject {
                    let name = static_text("Subject");
                    modifications.push(match NonZeroU32::new(1) {
                        Some(index) if !subject.is_empty() => Modification::ChangeHeader {
                            index,
                            name,
                            value: text_lossless(subject),
                        },
                        _ => Modification::RemoveHeader {
                            name,
                            which: HeaderOccurrence::Nth(NonZeroU32::MIN),
                        },
                    });
                }
                Disposition::Accept
            }
            SpamAction::AddHeader => {
                let default_name = text_lossless(&options.spam_header);
                let headers: Vec<(Text<'static>, Text<'static>)> =
                    if self.milter.spam_headers.is_empty() {
                        vec![(default_name, static_text("Yes"))]
                    } else {
                        self.milter
                            .spam_headers
                            .iter()
                            .map(|(name, value)| {
                                (
                                    name.clone().unwrap_or_else(|| default_name.clone()),
                                    value.clone(),
                                )
                            })
                            .collect()
                    };
                for (name, value) in headers {
                    modifications.push(Modification::RemoveHeader {
                        name: name.clone(),
                        which: HeaderOccurrence::All,
                    });
                    modifications.push(Modification::AddHeader { name, value });
                }
                Disposition::Accept
            }
            SpamAction::Quarantine => quarantine(modifications),
            SpamAction::Discard => Disposition::Discard,
        }
    }
}

/// rspamd's occurrence numbers: 0 all, n the n-th, -n the n-th from the end.
fn occurrence_of(number: i64) -> HeaderOccurrence {
    let magnitude = NonZeroU32::new(u32::try_from(number.unsigned_abs()).unwrap_or(u32::MAX));
    match magnitude {
        None => HeaderOccurrence::All,
        Some(n) if number > 0 => HeaderOccurrence::Nth(n),
        Some(n) => HeaderOccurrence::NthFromEnd(n),
    }
}

/// A refusal with rspamd's enhanced code (`5.7.1` or `4.7.1`); CR, LF and NUL in the
/// text become spaces.
fn reply(code: u16, text: &str) -> Reply {
    let clean: String = text
        .chars()
        .map(|c| {
            if matches!(c, '\r' | '\n' | '\0') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let class = if code >= 500 { 5 } else { 4 };
    let enhanced = EnhancedCode {
        class,
        subject: 7,
        detail: 1,
    };
    Reply::new(code, Some(enhanced), &clean).unwrap_or_else(|_| {
        if class == 5 {
            Reply::default_reject()
        } else {
            Reply::default_tempfail()
        }
    })
}

/// Text from a string of our own (no NUL in it).
fn static_text(text: &'static str) -> Text<'static> {
    Text::new(text.as_bytes()).unwrap_or_default()
}

/// Text from a configured string; NUL bytes, which cannot be sent, are dropped.
fn text_lossless(text: &str) -> Text<'static> {
    let bytes: Vec<u8> = text.bytes().filter(|b| *b != 0).collect();
    Text::new(bytes).unwrap_or_default()
}

fn number(root: &Map<String, Value>, key: &str) -> f64 {
    root.get(key).and_then(Value::as_f64).unwrap_or(0.0)
}

fn string(root: &Map<String, Value>, key: &str) -> Option<String> {
    root.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// A JSON string as milter text: NUL is refused, as the MTA could not send it on.
fn json_text(value: &str) -> Result<Text<'static>, RspamdError> {
    Text::try_from(value.to_owned()).map_err(|_| RspamdError::Json("a string contains NUL".into()))
}

/// A string or an array of strings.
fn text_list(value: &Value) -> Result<Vec<Text<'static>>, RspamdError> {
    match value {
        Value::String(s) => Ok(vec![json_text(s)?]),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(json_text)
            .collect(),
        _ => Ok(Vec::new()),
    }
}

fn parse_milter(milter: &Map<String, Value>) -> Result<MilterChanges, RspamdError> {
    let mut changes = MilterChanges::default();
    if let Some(Value::Object(remove)) = milter.get("remove_headers") {
        for (name, occurrence) in remove {
            if let Some(occurrence) = occurrence.as_i64() {
                changes.remove_headers.push((json_text(name)?, occurrence));
            }
        }
    }
    if let Some(Value::Object(add)) = milter.get("add_headers") {
        for (name, spec) in add {
            parse_addition(&mut changes.add_headers, name, spec)?;
        }
    }
    if let Some(from) = milter.get("change_from").and_then(Value::as_str) {
        changes.change_from = Some(json_text(from)?);
    }
    if let Some(rcpts) = milter.get("add_rcpt") {
        changes.add_recipients = text_list(rcpts)?;
    }
    if let Some(rcpts) = milter.get("del_rcpt") {
        changes.delete_recipients = text_list(rcpts)?;
    }
    changes.reject_instead = milter
        .get("reject")
        .and_then(Value::as_str)
        .map(str::to_owned);
    changes.no_action = milter
        .get("no_action")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    match milter.get("spam_header") {
        Some(Value::String(value)) => changes.spam_headers.push((None, json_text(value)?)),
        Some(Value::Object(headers)) => {
            for (name, value) in headers {
                if let Some(value) = value.as_str() {
                    changes
                        .spam_headers
                        .push((Some(json_text(name)?), json_text(value)?));
                }
            }
        }
        _ => {}
    }
    Ok(changes)
}

/// One `add_headers` entry: `"value"`, `{"value": .., "order": n}`, or an array of them.
fn parse_addition(
    out: &mut Vec<HeaderAddition>,
    name: &str,
    spec: &Value,
) -> Result<(), RspamdError> {
    match spec {
        Value::String(value) => out.push(HeaderAddition {
            name: json_text(name)?,
            value: json_text(value)?,
            order: None,
        }),
        Value::Object(fields) => {
            if let Some(value) = fields.get("value").and_then(Value::as_str) {
                let order = fields
                    .get("order")
                    .or_else(|| fields.get("index"))
                    .and_then(Value::as_i64);
                out.push(HeaderAddition {
                    name: json_text(name)?,
                    value: json_text(value)?,
                    order,
                });
            }
        }
        Value::Array(items) => {
            for item in items {
                parse_addition(out, name, item)?;
            }
        }
        _ => {}
    }
    Ok(())
}
