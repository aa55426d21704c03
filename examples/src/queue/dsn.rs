//! Delivery status notifications (RFC 3464), sent to the envelope sender of a queued
//! message as a new queue message from the null sender.
//!
//! The DSN is a `multipart/report; report-type=delivery-status` with three parts:
//! 1. `text/plain`: what happened, in words, one line per recipient;
//! 2. `message/delivery-status`: `Reporting-MTA`, `Original-Envelope-Id`, `Arrival-Date`,
//!    then per recipient `Final-Recipient`, `Original-Recipient` (from `ORCPT=`),
//!    `Action`, `Status`, `Remote-MTA`, `Diagnostic-Code`, `Last-Attempt-Date` and, for
//!    a delay, `Will-Retry-Until`;
//! 3. the original: `message/rfc822` (the whole message) with `RET=FULL` when it is at
//!    most [`FULL_RETURN_LIMIT`] bytes, otherwise `text/rfc822-headers` (its header
//!    section). Without `RET=` only the headers come back: the sender has the message,
//!    and a bounce should not carry a large body back across the Internet.
//!
//! `Action` is `failed`, `delayed`, `delivered` (the transport reported success with no
//! remote host: a local mailbox) or `relayed` (accepted by a remote host, which may or
//! may not send DSNs of its own).
//!
//! For a message that was sent with `SMTPUTF8`, the DSN is a UTF-8 DSN (RFC 6533):
//! `report-type=global-delivery-status` with a `message/global-delivery-status` part,
//! whose `utf-8` addresses and remote replies may be raw UTF-8, and the original as
//! `message/global` or `message/global-headers`. In a plain `message/delivery-status`
//! every field stays US-ASCII: a UTF-8 address is written as `utf-8; ` with its
//! non-ASCII characters as `\x{HHHH}` (RFC 6533 section 3, `utf-8-addr-xtext`).

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::Path;
use std::time::SystemTime;

use smtp_proto::types::{Notify, Ret};

use crate::outbound::OutboundRecipient;

use super::NewMessage;
use super::state::{MessageState, RecipientState, RetParam, from_unix_secs};

/// The largest original returned whole with `RET=FULL`; larger ones return headers.
pub(crate) const FULL_RETURN_LIMIT: u64 = 10 * 1024 * 1024;

/// The most header bytes returned (or read to find the `Message-ID`).
const HEADER_LIMIT: usize = 256 * 1024;

/// The longest value of one report field.
const FIELD_LIMIT: usize = 900;

/// What a DSN says about one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Bounced.
    Failed,
    /// Still being retried.
    Delayed,
    /// Stored in its final mailbox.
    Delivered,
    /// Handed to a remote host.
    Relayed,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Self::Failed => "failed",
            Self::Delayed => "delayed",
            Self::Delivered => "delivered",
            Self::Relayed => "relayed",
        }
    }

    fn default_status(self) -> &'static str {
        match self {
            Self::Failed => "5.0.0",
            Self::Delayed => "4.0.0",
            Self::Delivered | Self::Relayed => "2.0.0",
        }
    }
}

/// A DSN ready for the queue.
pub(crate) struct Dsn {
    /// Its envelope: from `<>` to the original sender.
    pub(crate) message: NewMessage,
    /// The whole DSN message.
    pub(crate) content: Box<dyn Read + Send>,
    /// Its size in bytes.
    pub(crate) size: u64,
}

/// What the DSN is built from.
pub(crate) struct Report<'a> {
    /// The reporting host (`Reporting-MTA`, `From:`).
    pub(crate) hostname: &'a str,
    /// The original message's state.
    pub(crate) original: &'a MessageState,
    /// The original message's content file.
    pub(crate) content: &'a Path,
    /// The recipients to report, by index into `original.recipients`.
    pub(crate) recipients: &'a [(usize, Action)],
    /// Now.
    pub(crate) now: SystemTime,
    /// For delays: when the queue gives up.
    pub(crate) retry_until: SystemTime,
}

pub(crate) use crate::delivery::rfc5322_date as date;

/// Builds the DSN. The original sender must not be the null sender (never bounce a
/// bounce); that is the caller's check.
pub(crate) fn build(report: &Report<'_>) -> io::Result<Dsn> {
    let original = report.original;
    let headers = read_headers(report.content)?;
    let returns_full = original.ret == Some(RetParam::Full) && original.size <= FULL_RETURN_LIMIT;
    let boundary = boundary(&original.id, report.now);
    let mut human = String::with_capacity(1024);
    write_human_part(&mut human, report, returns_full);
    let global = original.smtputf8;
    let mut status = String::with_capacity(1024);
    write_status_part(&mut status, report, global);
    // 8-bit only when something in it is: then the DSN needs BODY=8BITMIME.
    let eight_bit = !human.is_ascii()
        || !status.is_ascii()
        || !headers.is_ascii()
        || (returns_full && original.eight_bit);
    let encoding = |eight: bool| if eight { "8bit" } else { "7bit" };
    let mut head = String::with_capacity(4096);
    let report_type = if global {
        "global-delivery-status"
    } else {
        "delivery-status"
    };
    write_top_headers(
        &mut head,
        report,
        &headers,
        (&boundary, report_type),
        encoding(eight_bit),
    );
    let _ = write!(
        head,
        "This is a MIME-encapsulated message.\r\n\r\n--{boundary}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Description: Notification\r\nContent-Transfer-Encoding: {}\r\n\r\n\
         {human}\r\n--{boundary}\r\nContent-Type: message/{report_type}\r\n\
         Content-Description: Delivery report\r\n\r\n{status}",
        encoding(!human.is_ascii())
    );
    let (kind, description) = match (returns_full, global) {
        (true, false) => ("message/rfc822", "Message"),
        (true, true) => ("message/global", "Message"),
        (false, false) => ("text/rfc822-headers", "Message headers"),
        (false, true) => ("message/global-headers", "Message headers"),
    };
    let _ = write!(
        head,
        "\r\n--{boundary}\r\nContent-Type: {kind}\r\nContent-Description: {description}\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n").into_bytes();
    let mut head = head.into_bytes();
    let (content, returned): (Box<dyn Read + Send>, u64) = if returns_full {
        let file = File::open(report.content)?;
        let len = file.metadata()?.len();
        (Box::new(file.take(len)), len)
    } else {
        head.extend_from_slice(&headers);
        (Box::new(io::empty()), 0)
    };
    let size = (head.len() as u64)
        .saturating_add(returned)
        .saturating_add(tail.len() as u64);
    let content = Box::new(Cursor::new(head).chain(content).chain(Cursor::new(tail)));
    let message = NewMessage {
        sender: String::new(),
        recipients: vec![OutboundRecipient {
            address: original.sender.clone(),
            notify: Some(Notify::Never),
            orcpt: None,
        }],
        envid: None,
        ret: None::<Ret>,
        eight_bit,
        smtputf8: original.smtputf8,
    };
    Ok(Dsn {
        message,
        content,
        size,
    })
}

/// The header section of the message in `path` (with its final CRLF, without the
/// blank line), at most [`HEADER_LIMIT`] bytes cut at a line end.
pub(crate) fn read_headers(path: &Path) -> io::Result<Vec<u8>> {
    let mut start = Vec::with_capacity(8192);
    File::open(path)?
        .take(HEADER_LIMIT as u64)
        .read_to_end(&mut start)?;
    if start.starts_with(b"\r\n") {
        return Ok(Vec::new());
    }
    let end = match memfind(&start, b"\r\n\r\n") {
        Some(at) => at + 2,
        None => start
            .windows(2)
            .rposition(|w| w == b"\r\n")
            .map_or(0, |at| at + 2),
    };
    start.truncate(end);
    Ok(start)
}

fn memfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A boundary that cannot occur in the parts we write, and is vanishingly unlikely in
/// the returned message (`=_` never occurs in quoted-printable or base64 text).
fn boundary(id: &str, now: SystemTime) -> String {
    let mut random = [0u8; 8];
    let _ = getrandom::fill(&mut random);
    let mut text = format!("=_postroom_{id}_{}_", super::state::unix_secs(now));
    for byte in random {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

/// The most serious action decides the subject.
fn worst(recipients: &[(usize, Action)]) -> Action {
    let has = |a: Action| recipients.iter().any(|(_, x)| *x == a);
    if has(Action::Failed) {
        Action::Failed
    } else if has(Action::Delayed) {
        Action::Delayed
    } else if has(Action::Delivered) {
        Action::Delivered
    } else {
        Action::Relayed
    }
}

fn write_top_headers(
    out: &mut String,
    report: &Report<'_>,
    headers: &[u8],
    (boundary, report_type): (&str, &str),
    encoding: &str,
) {
    let host = report.hostname;
    let subject = match worst(report.recipients) {
        Action::Failed => "Undelivered Mail Returned to Sender",
        Action::Delayed => "Delayed Mail (still being retried)",
        Action::Delivered | Action::Relayed => "Successful Mail Delivery Report",
    };
    let micros = report
        .now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros());
    let _ = write!(
        out,
        "From: Mail Delivery System <MAILER-DAEMON@{host}>\r\n\
         To: <{}>\r\nSubject: {subject}\r\nDate: {}\r\n\
         Message-ID: <{}.{micros:x}.dsn@{host}>\r\n",
        report.original.sender,
        date(report.now),
        report.original.id
    );
    if let Some(id) = original_message_id(headers) {
        let _ = write!(out, "In-Reply-To: <{id}>\r\nReferences: <{id}>\r\n");
    }
    let _ = write!(
        out,
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type={report_type};\r\n\
         \tboundary=\"{boundary}\"\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n"
    );
}

/// The original's `Message-ID`, if it has a usable one.
fn original_message_id(headers: &[u8]) -> Option<String> {
    let parsed = mail_parser::MessageParser::new().parse_headers(headers)?;
    let id = parsed.message_id()?;
    (!id.is_empty() && id.len() < 250 && id.chars().all(|c| c.is_ascii_graphic() && c != '>'))
        .then(|| id.to_owned())
}

fn write_human_part(out: &mut String, report: &Report<'_>, returns_full: bool) {
    let _ = write!(
        out,
        "This is the mail system at host {}.\r\n\r\n",
        report.hostname
    );
    let intro = match worst(report.recipients) {
        Action::Failed => {
            "Your message could not be delivered to one or more recipients. The reasons \
             are below, one line per recipient."
        }
        Action::Delayed => {
            "Your message has not been delivered yet to one or more recipients. Nothing \
             needs to be done: delivery will be retried, and you will hear again only if \
             it finally fails."
        }
        Action::Delivered | Action::Relayed => {
            "Your message was delivered to the recipients below (\"relayed\" means it was \
             handed to the next mail server, which may not confirm the final delivery)."
        }
    };
    out.push_str(&wrap(intro, 72));
    out.push_str("\r\n");
    for &(index, action) in report.recipients {
        let Some(rcpt) = report.original.recipients.get(index) else {
            continue;
        };
        let reason = rcpt.diagnostic.as_deref().unwrap_or("no details");
        let _ = write!(
            out,
            "<{}>: {}: {}\r\n",
            rcpt.address,
            action.name(),
            field_value(reason)
        );
        if action == Action::Delayed {
            let _ = write!(out, "  (retrying until {})\r\n", date(report.retry_until));
        }
    }
    out.push_str(if returns_full {
        "\r\nYour message is attached.\r\n"
    } else {
        "\r\nThe header of your message is attached.\r\n"
    });
}

/// The `message/delivery-status` fields; `global`: those of
/// `message/global-delivery-status`, where addresses and replies may be UTF-8.
fn write_status_part(out: &mut String, report: &Report<'_>, global: bool) {
    let original = report.original;
    let _ = write!(out, "Reporting-MTA: dns; {}\r\n", report.hostname);
    let _ = write!(out, "X-Postroom-Queue-ID: {}\r\n", original.id);
    if let Some(envid) = &original.envid {
        let _ = write!(out, "Original-Envelope-Id: {}\r\n", ascii_value(envid));
    }
    let _ = write!(
        out,
        "Arrival-Date: {}\r\n",
        date(from_unix_secs(original.arrival))
    );
    for &(index, action) in report.recipients {
        if let Some(rcpt) = original.recipients.get(index) {
            out.push_str("\r\n");
            write_recipient_fields(out, rcpt, action, report.retry_until, global);
        }
    }
}

fn write_recipient_fields(
    out: &mut String,
    rcpt: &RecipientState,
    action: Action,
    retry_until: SystemTime,
    global: bool,
) {
    let _ = write!(
        out,
        "Final-Recipient: {}; {}\r\n",
        address_type(&rcpt.address),
        address_value(&rcpt.address, global)
    );
    if let (Some(kind), Some(address)) = (&rcpt.orcpt_type, &rcpt.orcpt) {
        let _ = write!(
            out,
            "Original-Recipient: {}; {}\r\n",
            ascii_value(kind),
            address_value(address, global)
        );
    }
    let status = rcpt
        .code
        .as_deref()
        .filter(|code| is_status_code(code))
        .unwrap_or(action.default_status());
    let _ = write!(out, "Action: {}\r\nStatus: {status}\r\n", action.name());
    if let Some(remote) = &rcpt.remote {
        let host = remote.split(" [").next().unwrap_or(remote).trim();
        let _ = write!(out, "Remote-MTA: dns; {}\r\n", ascii_value(host));
    }
    if let Some(diagnostic) = &rcpt.diagnostic {
        let kind = if is_smtp_reply(diagnostic) {
            "smtp"
        } else {
            "x-postroom"
        };
        let text = if global {
            field_value(diagnostic)
        } else {
            ascii_value(diagnostic)
        };
        let _ = write!(out, "Diagnostic-Code: {kind}; {text}\r\n");
    }
    if let Some(last) = rcpt.last_attempt {
        let _ = write!(out, "Last-Attempt-Date: {}\r\n", date(from_unix_secs(last)));
    }
    if action == Action::Delayed {
        let _ = write!(out, "Will-Retry-Until: {}\r\n", date(retry_until));
    }
}

/// `rfc822` for ASCII addresses, `utf-8` (RFC 6533) otherwise.
fn address_type(address: &str) -> &'static str {
    if address.is_ascii() {
        "rfc822"
    } else {
        "utf-8"
    }
}

/// An address for a report field: as it is (control characters removed) in a global
/// report, else non-ASCII characters and the `\`, `+` and `=` of an address with any
/// as `\x{HHHH}` (RFC 6533 `utf-8-addr-xtext`), so the field stays US-ASCII.
fn address_value(address: &str, global: bool) -> String {
    if global || address.is_ascii() {
        return field_value(address);
    }
    let mut encoded = String::with_capacity(address.len() + 16);
    for c in address.chars() {
        if c.is_ascii_graphic() && !matches!(c, '\\' | '+' | '=') {
            encoded.push(c);
        } else if !c.is_control() && c != ' ' {
            let _ = write!(encoded, "\\x{{{:X}}}", u32::from(c));
        }
    }
    bounded(encoded)
}

/// `class.subject.detail` (RFC 3463).
fn is_status_code(code: &str) -> bool {
    let mut parts = code.split('.');
    let class_ok = matches!(parts.next(), Some("2" | "4" | "5"));
    let rest_ok = parts.clone().count() == 2
        && parts.all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    class_ok && rest_ok
}

/// Whether a diagnostic is a remote SMTP reply (`550 5.1.1 ...`).
fn is_smtp_reply(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 3
        && bytes[..3].iter().all(u8::is_ascii_digit)
        && matches!(bytes.get(3), None | Some(b' ' | b'-'))
}

/// One header-safe line: control characters become spaces, the length is bounded.
fn field_value(text: &str) -> String {
    bounded(
        text.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect(),
    )
}

/// [`field_value`], also replacing non-ASCII characters (`?`): remote replies and
/// parameters in `message/delivery-status` must be US-ASCII.
fn ascii_value(text: &str) -> String {
    bounded(
        text.chars()
            .map(|c| {
                if c.is_ascii_graphic() {
                    c
                } else if c.is_ascii() {
                    ' '
                } else {
                    '?'
                }
            })
            .collect(),
    )
}

fn bounded(mut value: String) -> String {
    if value.len() > FIELD_LIMIT {
        let mut end = FIELD_LIMIT;
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        value.truncate(end);
    }
    value
}

/// Wraps words into CRLF-terminated lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            out.push_str(&line);
            out.push_str("\r\n");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(&line);
        out.push_str("\r\n");
    }
    out
}

/// Whether a DSN for `original` may be sent at all (never bounce a bounce).
pub(crate) fn may_notify(original: &MessageState) -> bool {
    !original.sender.is_empty()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::queue::state::{FORMAT_VERSION, RecipientStatus};

    fn original(size: u64, ret: Option<RetParam>) -> MessageState {
        let mut rcpt = RecipientState::new(
            &OutboundRecipient {
                address: "bob@a.test".into(),
                notify: None,
                orcpt: None,
            },
            0,
        );
        rcpt.status = RecipientStatus::Failed;
        rcpt.code = Some("5.7.1 evil".into());
        rcpt.diagnostic = Some("550 no\r\nAction: delivered\r\n\r\nFinal-Recipient: x".into());
        MessageState {
            version: FORMAT_VERSION,
            id: "ID1".into(),
            sender: "ann@origin.test".into(),
            arrival: 0,
            size,
            envid: None,
            ret,
            eight_bit: false,
            smtputf8: false,
            recipients: vec![rcpt],
        }
    }

    fn render(state: &MessageState, content: &[u8]) -> (Dsn, String) {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(tmp.path(), content).unwrap();
        let mut dsn = build(&Report {
            hostname: "mx.test",
            original: state,
            content: tmp.path(),
            recipients: &[(0, Action::Failed)],
            now: UNIX_EPOCH + Duration::from_secs(86_400),
            retry_until: UNIX_EPOCH,
        })
        .unwrap();
        let mut text = Vec::new();
        dsn.content.read_to_end(&mut text).unwrap();
        assert_eq!(text.len() as u64, dsn.size);
        (dsn, String::from_utf8(text).unwrap())
    }

    #[test]
    fn a_hostile_diagnostic_cannot_add_report_fields() {
        let (_, text) = render(&original(20, None), b"Subject: s\r\n\r\nbody\r\n");
        assert!(
            text.contains(
                "Diagnostic-Code: smtp; 550 no  Action: delivered    Final-Recipient: x\r\n"
            ),
            "{text}"
        );
        assert_eq!(text.matches("\r\nAction: ").count(), 1, "{text}");
        // A malformed code from the transport falls back to the action's default.
        assert!(text.contains("Status: 5.0.0\r\n"), "{text}");
        assert!(
            text.contains(
                "Content-Type: text/rfc822-headers\r\n\
             Content-Description: Message headers\r\n\r\nSubject: s\r\n\r\n--"
            ),
            "{text}"
        );
    }

    #[test]
    fn ret_full_beyond_the_limit_returns_headers() {
        let content = b"Subject: big\r\n\r\nthe body\r\n";
        let (_, text) = render(
            &original(FULL_RETURN_LIMIT + 1, Some(RetParam::Full)),
            content,
        );
        assert!(
            text.contains("Content-Type: text/rfc822-headers\r\n"),
            "{text}"
        );
        assert!(!text.contains("the body"));
        let (_, text) = render(
            &original(content.len() as u64, Some(RetParam::Full)),
            content,
        );
        assert!(text.contains("Content-Type: message/rfc822\r\n"), "{text}");
        assert!(
            text.contains("\r\n\r\nthe body\r\n\r\n--=_postroom_ID1_86400_"),
            "{text}"
        );
        assert!(text.ends_with("--\r\n"));
    }

    #[test]
    fn a_smtputf8_message_gets_a_utf8_dsn_and_others_stay_ascii() {
        let mut state = original(40, None);
        state.recipients[0].address = "bøb+x@exämple.test".into();
        state.recipients[0].diagnostic = Some("550 5.1.1 <bøb+x@exämple.test> unknown".into());
        let content = "Subject: grüße\r\n\r\nbody\r\n".as_bytes();

        let (plain, text) = render(&state, content);
        assert!(!plain.message.smtputf8);
        let status = text.split("message/delivery-status\r\n").nth(1).unwrap();
        let status = status.split("\r\n--").next().unwrap();
        assert!(status.is_ascii(), "{status}");
        assert!(
            status.contains("Final-Recipient: utf-8; b\\x{F8}b\\x{2B}x@ex\\x{E4}mple.test\r\n"),
            "{status}"
        );
        assert!(status.contains("Diagnostic-Code: smtp; 550 5.1.1 <b?b+x@ex?mple.test> unknown"));

        state.smtputf8 = true;
        let (global, text) = render(&state, content);
        assert!(global.message.smtputf8 && global.message.eight_bit);
        assert!(
            text.contains("report-type=global-delivery-status;"),
            "{text}"
        );
        assert!(text.contains("Content-Type: message/global-delivery-status\r\n"));
        assert!(text.contains("Final-Recipient: utf-8; bøb+x@exämple.test\r\n"));
        assert!(text.contains("Diagnostic-Code: smtp; 550 5.1.1 <bøb+x@exämple.test> unknown"));
        assert!(
            text.contains("Content-Type: message/global-headers\r\n"),
            "{text}"
        );
        assert!(!text.contains("message/delivery-status") && !text.contains("rfc822-headers"));
        state.ret = Some(RetParam::Full);
        let (_, text) = render(&state, content);
        assert!(text.contains("Content-Type: message/global\r\n"), "{text}");
    }

    #[test]
    fn header_section_extraction() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m");
        for (content, expected) in [
            (
                &b"A: 1\r\nB: 2\r\n\r\nbody\r\n"[..],
                &b"A: 1\r\nB: 2\r\n"[..],
            ),
            (b"\r\nbody only\r\n", b""),
            (b"A: 1\r\nno blank line", b"A: 1\r\n"),
            (b"", b""),
        ] {
            std::fs::write(&path, content).unwrap();
            assert_eq!(read_headers(&path).unwrap(), expected);
        }
        // A huge header is cut at a line end within the limit.
        let big = "X-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".repeat(10_000);
        std::fs::write(&path, &big).unwrap();
        let cut = read_headers(&path).unwrap();
        assert!(cut.len() <= HEADER_LIMIT && cut.ends_with(b"\r\n"));
    }

    #[test]
    fn field_helpers() {
        assert!(is_status_code("5.1.1") && is_status_code("4.4.7") && is_status_code("2.0.0"));
        for bad in ["5.1", "6.1.1", "5.1.1.1", "5.a.1", "", "5.1234.1"] {
            assert!(!is_status_code(bad), "{bad}");
        }
        assert!(is_smtp_reply("550 5.1.1 no") && is_smtp_reply("421"));
        assert!(!is_smtp_reply("gave up") && !is_smtp_reply("5505"));
        assert_eq!(ascii_value("héllo\tthere"), "h?llo there");
        assert_eq!(field_value(&"é".repeat(1000)).len(), FIELD_LIMIT);
        assert_eq!(address_type("bob@a.test"), "rfc822");
        assert_eq!(address_type("bøb@a.test"), "utf-8");
        assert_eq!(wrap("aa bb cc", 5), "aa bb\r\ncc\r\n");
    }
}
