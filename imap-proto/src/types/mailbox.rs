//! Mailbox names: the INBOX rule and modified UTF-7 (RFC 3501 section 5.1.3).
//!
//! A [`Mailbox`] holds the name as it travels on the wire. In a session without UTF-8
//! (IMAP4rev1 without `ENABLE UTF8=ACCEPT`) that is modified UTF-7, e.g. `Entw&APw-rfe`;
//! with UTF-8 enabled (RFC 6855, and always in IMAP4rev2) it is the raw UTF-8 name.
//! [`Mailbox::from_name`] builds the wire form from a Unicode name for either kind of
//! session and [`Mailbox::decode_name`] turns a modified UTF-7 wire name back into text.

use std::borrow::Cow;
use std::fmt;

use super::core::{ValidationError, owned};

/// A mailbox name in its wire form. `INBOX` in any case is stored as `INBOX`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mailbox<'a>(Cow<'a, str>);

impl<'a> Mailbox<'a> {
    /// The special mailbox `INBOX`.
    pub const INBOX: Mailbox<'static> = Mailbox(Cow::Borrowed("INBOX"));

    /// Builds a mailbox from its wire form (modified UTF-7 or UTF-8 text as sent).
    ///
    /// The name must be UTF-8 without NUL, CR or LF. `inbox` in any case becomes `INBOX`.
    pub fn new(wire: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        let wire = wire.into();
        if wire.bytes().any(|b| matches!(b, 0 | b'\r' | b'\n')) {
            return Err(ValidationError::new("mailbox", "contains NUL, CR or LF"));
        }
        if wire.eq_ignore_ascii_case("INBOX") {
            return Ok(Self(Cow::Borrowed("INBOX")));
        }
        Ok(Self(wire))
    }

    /// Builds the wire form of a Unicode mailbox name: modified UTF-7 unless `utf8`
    /// (UTF8=ACCEPT enabled or IMAP4rev2), in which case the name is sent as is.
    pub fn from_name(name: &str, utf8: bool) -> Result<Mailbox<'static>, ValidationError> {
        let wire = if utf8 {
            name.to_owned()
        } else {
            encode_modified_utf7(name)
        };
        Mailbox::new(wire)
    }

    /// The wire form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is `INBOX`.
    pub fn is_inbox(&self) -> bool {
        self.0 == "INBOX"
    }

    /// Decodes a modified UTF-7 wire name into Unicode text.
    ///
    /// Fails if the name is not valid modified UTF-7 (which includes any non-ASCII
    /// character, so only use this for sessions without UTF-8).
    pub fn decode_name(&self) -> Result<Cow<'_, str>, ValidationError> {
        decode_modified_utf7(&self.0)
    }

    /// Detaches the name from the buffer it was decoded from.
    pub fn into_owned(self) -> Mailbox<'static> {
        Mailbox(owned(self.0))
    }
}

impl fmt::Display for Mailbox<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

fn b64_value(b: u8) -> Option<u32> {
    B64.iter().position(|&c| c == b).map(|p| p as u32)
}

/// Encodes text as modified UTF-7 (RFC 3501 section 5.1.3).
pub fn encode_modified_utf7(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending: Vec<u16> = Vec::new();
    for c in text.chars() {
        if (' '..='~').contains(&c) {
            flush_utf16(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush_utf16(&mut pending, &mut out);
    out
}

fn flush_utf16(units: &mut Vec<u16>, out: &mut String) {
    if units.is_empty() {
        return;
    }
    out.push('&');
    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_be_bytes()).collect();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let idx = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(B64[idx as usize]));
        }
    }
    out.push('-');
    units.clear();
}

/// Decodes modified UTF-7 strictly: printable ASCII must not be base64-encoded, `&` must
/// be written `&-`, padding bits must be zero and the UTF-16 must be well-formed.
pub fn decode_modified_utf7(wire: &str) -> Result<Cow<'_, str>, ValidationError> {
    let invalid = |reason| ValidationError::new("modified UTF-7 name", reason);
    if !wire.contains('&') {
        if wire.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
            return Ok(Cow::Borrowed(wire));
        }
        return Err(invalid("non-ASCII or control character"));
    }
    let bytes = wire.as_bytes();
    let mut out = String::with_capacity(wire.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !(0x20..=0x7e).contains(&b) {
            return Err(invalid("non-ASCII or control character"));
        }
        if b != b'&' {
            out.push(char::from(b));
            i += 1;
            continue;
        }
        let end = bytes[i + 1..]
            .iter()
            .position(|&c| c == b'-')
            .ok_or_else(|| invalid("unterminated base64 run"))?
            + i
            + 1;
        let run = &bytes[i + 1..end];
        if run.is_empty() {
            out.push('&');
        } else {
            decode_utf16_run(run, &mut out)?;
        }
        i = end + 1;
    }
    Ok(Cow::Owned(out))
}

fn decode_utf16_run(run: &[u8], out: &mut String) -> Result<(), ValidationError> {
    let invalid = |reason| ValidationError::new("modified UTF-7 name", reason);
    let mut bits = 0u32;
    let mut nbits = 0u32;
    let mut units = Vec::with_capacity(run.len() * 6 / 16);
    for &c in run {
        let v = b64_value(c).ok_or_else(|| invalid("bad base64 character"))?;
        bits = (bits << 6) | v;
        nbits += 6;
        if nbits >= 16 {
            nbits -= 16;
            units.push((bits >> nbits) as u16);
            bits &= (1 << nbits) - 1;
        }
    }
    if nbits >= 6 || bits != 0 {
        return Err(invalid("bad base64 padding"));
    }
    let start = out.len();
    for c in char::decode_utf16(units) {
        let c = c.map_err(|_| invalid("bad UTF-16 surrogate"))?;
        out.push(c);
    }
    if out[start..].chars().any(|c| (' '..='~').contains(&c)) {
        return Err(invalid("printable ASCII encoded in base64"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        let table = [
            ("INBOX", "INBOX"),
            ("Entwürfe", "Entw&APw-rfe"),
            ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            ("A&B", "A&-B"),
            ("😀", "&2D3eAA-"),
            ("Ü&é", "&ANw-&-&AOk-"),
        ];
        for (name, wire) in table {
            assert_eq!(encode_modified_utf7(name), wire);
            assert_eq!(decode_modified_utf7(wire).unwrap(), name);
        }
    }

    #[test]
    fn rejects_invalid() {
        for bad in ["&", "&AGE-", "&Jjo", "&Jj-", "a\u{e9}", "&2D0-", "&ANx-"] {
            assert!(decode_modified_utf7(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn inbox_rule() {
        assert!(Mailbox::new("inBoX").unwrap().is_inbox());
        assert_eq!(Mailbox::new("inbox.x").unwrap().as_str(), "inbox.x");
        assert!(Mailbox::new("a\rb").is_err());
        assert_eq!(
            Mailbox::from_name("Entwürfe", true).unwrap().as_str(),
            "Entwürfe"
        );
        assert_eq!(
            Mailbox::from_name("Entwürfe", false).unwrap().as_str(),
            "Entw&APw-rfe"
        );
    }
}

/// A LIST/LSUB pattern (`list-mailbox`): a mailbox name that may contain the wildcards
/// `*` and `%`, in wire form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListPattern<'a>(Cow<'a, str>);

impl<'a> ListPattern<'a> {
    /// Builds a pattern; it must be UTF-8 without NUL, CR or LF.
    pub fn new(pattern: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        let pattern = pattern.into();
        if pattern.bytes().any(|b| matches!(b, 0 | b'\r' | b'\n')) {
            return Err(ValidationError::new(
                "list pattern",
                "contains NUL, CR or LF",
            ));
        }
        Ok(Self(pattern))
    }

    /// The pattern in wire form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Detaches the pattern from the buffer it was decoded from.
    pub fn into_owned(self) -> ListPattern<'static> {
        ListPattern(owned(self.0))
    }
}
