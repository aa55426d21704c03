//! The `vacation` action (RFC 5230): when a reply is due, response tracking through a
//! caller-provided store, and the reply message itself.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::address::{Address, parse_address_list, parse_envelope};
use crate::message::{Envelope, MessageContext};

/// Remembers which senders got which vacation response, and when.
///
/// `handle` identifies the response (RFC 5230 section 4.2) and `sender` is the
/// lower-cased envelope sender. Implementations with shared state use interior
/// mutability, so one store can serve concurrent deliveries.
pub trait VacationStore {
    /// Whether a response with `handle` was sent to `sender` in the last `days` days.
    fn seen_recently(&self, handle: &str, sender: &str, days: u32) -> bool;
    /// Notes that a response with `handle` is being sent to `sender` now; it needs to
    /// be remembered for at least `days` days.
    fn record(&self, handle: &str, sender: &str, days: u32);
}

/// A [`VacationStore`] in memory, for tests and single-process servers. It keeps at
/// most `capacity` entries (RFC 5230 asks for at least 1000), dropping the oldest.
#[derive(Debug)]
pub struct MemoryVacationStore {
    entries: Mutex<HashMap<(String, String), u64>>,
    offset: Mutex<Duration>,
    capacity: usize,
}

impl Default for MemoryVacationStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryVacationStore {
    /// An empty store holding up to 10,000 entries.
    pub fn new() -> Self {
        Self::with_capacity(10_000)
    }

    /// An empty store holding up to `capacity` entries (at least 1000).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            offset: Mutex::new(Duration::ZERO),
            capacity: capacity.max(1000),
        }
    }

    /// Moves this store's clock forward, to test expiry.
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        *offset = offset.saturating_add(by);
    }

    /// How many responses are remembered.
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn now(&self) -> u64 {
        let offset = *self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_add(offset)
            .as_secs()
    }
}

impl VacationStore for MemoryVacationStore {
    fn seen_recently(&self, handle: &str, sender: &str, days: u32) -> bool {
        let now = self.now();
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(&(handle.to_owned(), sender.to_owned()))
            .is_some_and(|&sent| now.saturating_sub(sent) < u64::from(days) * 86_400)
    }

    fn record(&self, handle: &str, sender: &str, _days: u32) {
        let now = self.now();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.insert((handle.to_owned(), sender.to_owned()), now);
        if entries.len() > self.capacity
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, sent)| **sent)
                .map(|(key, _)| key.clone())
        {
            entries.remove(&oldest);
        }
    }
}

/// Why a vacation action did not produce a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VacationSuppressed {
    /// The envelope sender is null (a bounce) or not a valid address.
    NoSender,
    /// The sender looks like a daemon or list software (MAILER-DAEMON, owner-*, *-request...).
    AutomatedSender,
    /// The sender is the user.
    OwnAddress,
    /// The message came through a mailing list (List-* fields, Precedence bulk/list/junk).
    MailingList,
    /// The message has an Auto-Submitted field other than "no".
    AutoSubmitted,
    /// None of the user's addresses is in To, Cc, Bcc, Resent-To, Resent-Cc or Resent-Bcc.
    NotPersonal,
    /// This response already went to this sender within the `:days` period.
    AlreadyAnswered,
}

/// A vacation reply to send (RFC 5230 section 5). Send it with a null reverse-path
/// (`MAIL FROM:<>`) to [`VacationResponse::to`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VacationResponse {
    /// The recipient: the envelope sender of the message being answered.
    pub to: String,
    /// The From field: `:from`, or the envelope recipient of the message.
    pub from: String,
    /// The Subject: `:subject`, or "Auto: " and the original subject.
    pub subject: String,
    /// The reason: plain text, or with `mime` a MIME entity (headers and body).
    pub reason: String,
    /// Whether `reason` is a MIME entity.
    pub mime: bool,
    /// The response handle used for tracking.
    pub handle: String,
    /// The tracking period in days, after the site minimum and maximum.
    pub days: u32,
    /// The original Message-ID, for In-Reply-To.
    pub in_reply_to: Option<String>,
    /// The References field for the reply.
    pub references: Option<String>,
}

impl VacationResponse {
    /// The complete reply message with CRLF line ends. `date` is an RFC 5322 date and
    /// `message_id` a `<...>` identifier, both chosen by the caller.
    pub fn to_message(&self, date: &str, message_id: &str) -> Vec<u8> {
        let mut out = String::new();
        header(&mut out, "From", &self.from);
        header(&mut out, "To", &format!("<{}>", self.to));
        header(&mut out, "Subject", &encode_header_text(&self.subject));
        header(&mut out, "Date", date);
        header(&mut out, "Message-ID", message_id);
        if let Some(id) = &self.in_reply_to {
            header(&mut out, "In-Reply-To", id);
        }
        if let Some(refs) = &self.references {
            header(&mut out, "References", refs);
        }
        header(&mut out, "Auto-Submitted", "auto-replied (vacation)");
        header(&mut out, "MIME-Version", "1.0");
        if self.mime {
            out.push_str(&crlf(&self.reason));
        } else {
            header(&mut out, "Content-Type", "text/plain; charset=utf-8");
            let encoding = if self.reason.is_ascii() {
                "7bit"
            } else {
                "8bit"
            };
            header(&mut out, "Content-Transfer-Encoding", encoding);
            out.push_str("\r\n");
            out.push_str(&crlf(&self.reason));
        }
        out.into_bytes()
    }
}

/// Appends a header field; line breaks in the value become spaces (no injection).
fn header(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push_str(": ");
    let clean: String = value
        .chars()
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect();
    out.push_str(&clean);
    out.push_str("\r\n");
}

/// RFC 2047 encoded words if `text` is not ASCII (RFC 5230 section 4.3), folded so
/// that each word stays within 75 characters.
fn encode_header_text(text: &str) -> String {
    let single_line: String = text
        .chars()
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect();
    if single_line.is_ascii() {
        return single_line;
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in single_line.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(&chunk)));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(&chunk)));
    }
    words.join("\r\n ")
}

/// Line ends as CRLF, ending with one.
fn crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.split_inclusive('\n') {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        out.push_str(line);
        out.push_str("\r\n");
    }
    out
}

/// Whether the header part of a `:mime` reason is ASCII (RFC 5230 section 5).
pub(crate) fn mime_headers_are_ascii(reason: &str) -> bool {
    let header_end = reason
        .find("\r\n\r\n")
        .or_else(|| reason.find("\n\n"))
        .unwrap_or(reason.len());
    reason[..header_end].is_ascii()
}

/// A handle from the unexpanded arguments that shape the response (RFC 5230 section
/// 4.2): each field is length-prefixed so that different splits hash differently.
pub(crate) fn derive_handle(
    subject: Option<&str>,
    from: Option<&str>,
    mime: bool,
    reason: &str,
) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for field in [
        subject,
        from,
        Some(if mime { "mime" } else { "text" }),
        Some(reason),
    ] {
        match field {
            Some(text) => {
                feed(b"+");
                feed(&(text.len() as u64).to_le_bytes());
                feed(text.as_bytes());
            }
            None => feed(b"-"),
        }
    }
    format!("auto-{hash:016x}")
}

/// Local parts vacation never answers (RFC 5230 section 4.6).
fn is_automated_sender(local: &str) -> bool {
    let local = local.to_ascii_lowercase();
    matches!(
        local.as_str(),
        "mailer-daemon"
            | "listserv"
            | "majordomo"
            | "listproc"
            | "noreply"
            | "no-reply"
            | "do-not-reply"
            | "donotreply"
    ) || local.starts_with("owner-")
        || local.ends_with("-request")
        || local.ends_with("-owner")
}

/// `local@domain`, lower-cased, without a `+detail`.
fn normalize(address: &str, separator: char) -> String {
    let lower = address.trim().to_lowercase();
    match lower.rsplit_once('@') {
        Some((local, domain)) => {
            let user = local.split_once(separator).map_or(local, |(user, _)| user);
            format!("{user}@{domain}")
        }
        None => lower,
    }
}

/// Decides whether a vacation reply is due (before response tracking). Returns the
/// sender to answer.
pub(crate) fn check_reply_due(
    message: &MessageContext<'_>,
    envelope: &Envelope,
    own_addresses: &[String],
    separator: char,
) -> Result<String, VacationSuppressed> {
    let Some(Address::Valid { local, domain }) = parse_envelope(&envelope.from) else {
        return Err(VacationSuppressed::NoSender);
    };
    if is_automated_sender(&local) {
        return Err(VacationSuppressed::AutomatedSender);
    }
    let sender = format!("{local}@{domain}");
    let own: Vec<String> = own_addresses
        .iter()
        .filter(|a| !a.trim().is_empty())
        .map(|a| normalize(a, separator))
        .collect();
    if own.contains(&normalize(&sender, separator)) {
        return Err(VacationSuppressed::OwnAddress);
    }
    const LIST_FIELDS: [&str; 7] = [
        "list-id",
        "list-help",
        "list-subscribe",
        "list-unsubscribe",
        "list-post",
        "list-owner",
        "list-archive",
    ];
    if LIST_FIELDS.iter().any(|f| message.has_header(f))
        || message.fields("precedence").any(|f| {
            let value = f.raw.trim().to_ascii_lowercase();
            matches!(value.as_str(), "bulk" | "list" | "junk")
        })
    {
        return Err(VacationSuppressed::MailingList);
    }
    if message.fields("auto-submitted").any(|f| {
        let token = f.raw.split([';', '(']).next().unwrap_or_default();
        !token.trim().eq_ignore_ascii_case("no")
    }) {
        return Err(VacationSuppressed::AutoSubmitted);
    }
    const PERSONAL_FIELDS: [&str; 6] = ["to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc"];
    let personal = PERSONAL_FIELDS.iter().any(|name| {
        message.fields(name).any(|f| {
            parse_address_list(&f.raw)
                .iter()
                .any(|a| own.contains(&normalize(&a.full(), separator)))
        })
    });
    if !personal {
        return Err(VacationSuppressed::NotPersonal);
    }
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_differ_by_field() {
        let a = derive_handle(Some("x"), None, false, "y");
        let b = derive_handle(None, Some("x"), false, "y");
        let c = derive_handle(Some("x"), None, true, "y");
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, derive_handle(Some("x"), None, false, "y"));
    }

    #[test]
    fn memory_store_expires() {
        let store = MemoryVacationStore::new();
        assert!(!store.seen_recently("h", "a@b", 7));
        store.record("h", "a@b", 7);
        assert!(store.seen_recently("h", "a@b", 7));
        assert!(!store.seen_recently("other", "a@b", 7));
        store.advance(Duration::from_secs(6 * 86_400));
        assert!(store.seen_recently("h", "a@b", 7));
        store.advance(Duration::from_secs(86_400));
        assert!(!store.seen_recently("h", "a@b", 7));
    }

    #[test]
    fn memory_store_is_bounded() {
        let store = MemoryVacationStore::with_capacity(1000);
        for i in 0..1100 {
            store.record("h", &format!("s{i}@x"), 7);
        }
        assert_eq!(store.len(), 1000);
    }

    #[test]
    fn reply_message() {
        let response = VacationResponse {
            to: "coyote@desert.example.org".into(),
            from: "roadrunner@acme.example.com".into(),
            subject: "Auto: été\r\nBcc: evil@x".into(),
            reason: "Away.\nBack soon.".into(),
            mime: false,
            handle: "h".into(),
            days: 7,
            in_reply_to: Some("<1@x>".into()),
            references: Some("<0@x> <1@x>".into()),
        };
        let text =
            String::from_utf8(response.to_message("Tue, 1 Apr 1997 09:06:31 -0800", "<r@acme>"))
                .unwrap();
        assert!(text.starts_with("From: roadrunner@acme.example.com\r\nTo: <coyote@desert.example.org>\r\nSubject: =?UTF-8?B?"), "{text}");
        assert!(!text.contains("\r\nBcc:"), "{text}");
        assert!(text.contains("In-Reply-To: <1@x>\r\nReferences: <0@x> <1@x>\r\n"));
        assert!(text.contains("Auto-Submitted: auto-replied"));
        assert!(
            text.ends_with("7bit\r\n\r\nAway.\r\nBack soon.\r\n"),
            "{text}"
        );
        let subject_word = text
            .split("Subject: ")
            .nth(1)
            .unwrap()
            .split("\r\n")
            .next()
            .unwrap();
        let b64 = subject_word
            .trim_start_matches("=?UTF-8?B?")
            .trim_end_matches("?=");
        assert_eq!(
            STANDARD.decode(b64).unwrap(),
            "Auto: été  Bcc: evil@x".as_bytes()
        );
    }

    #[test]
    fn long_subjects_fold() {
        let encoded = encode_header_text(&"é".repeat(100));
        assert!(encoded.split("\r\n ").all(|w| w.len() <= 75));
        assert_eq!(encoded.split("\r\n ").count(), 5);
    }

    #[test]
    fn mime_header_check() {
        assert!(mime_headers_are_ascii(
            "Content-Type: text/plain\r\n\r\nété"
        ));
        assert!(!mime_headers_are_ascii("Subject: été\r\n\r\nx"));
    }
}
