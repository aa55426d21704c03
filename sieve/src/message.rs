//! The message a script looks at: header fields (unfolded, RFC 2047 decoded), size,
//! body, and the SMTP envelope.

use std::sync::OnceLock;

use mail_parser::decoders::charsets::map::charset_decoder;

use crate::mime::{self, BodyPart};

/// One header field: the name as written and the unfolded value.
#[derive(Debug, Clone)]
pub(crate) struct HeaderField {
    pub(crate) name: String,
    /// Unfolded, leading and trailing white space removed, not decoded.
    pub(crate) raw: String,
    /// `raw` with RFC 2047 encoded words decoded.
    pub(crate) decoded: String,
}

/// A message to filter: borrowed bytes, parsed once.
///
/// ```
/// let msg = sieve::MessageContext::new(b"Subject: =?utf-8?q?caf=C3=A9?=\r\n\r\nhi\r\n");
/// assert_eq!(msg.header_values("subject").collect::<Vec<_>>(), ["café"]);
/// assert_eq!(msg.size(), 38);
/// ```
#[derive(Debug)]
pub struct MessageContext<'a> {
    raw: &'a [u8],
    headers: Vec<HeaderField>,
    body_offset: usize,
    size: u64,
    parts: OnceLock<Vec<BodyPart>>,
}

impl<'a> MessageContext<'a> {
    /// Parses the header section of `raw` (an RFC 5322 message, CRLF or LF line ends).
    pub fn new(raw: &'a [u8]) -> Self {
        let (headers, body_offset) = parse_header_section(raw);
        Self {
            raw,
            headers,
            body_offset,
            size: u64::try_from(raw.len()).unwrap_or(u64::MAX),
            parts: OnceLock::new(),
        }
    }

    /// Uses `size` for the `size` test instead of the length of the bytes (for a server
    /// that counts the message differently, e.g. with CRLF line ends).
    pub fn with_size(mut self, size: u64) -> Self {
        self.size = size;
        self
    }

    /// The size the `size` test compares with.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The whole message as given.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The decoded values of the header fields named `name` (case-insensitive), in
    /// message order.
    pub fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.fields(name).map(|f| f.decoded.as_str())
    }

    pub(crate) fn fields<'s>(
        &'s self,
        name: &'s str,
    ) -> impl Iterator<Item = &'s HeaderField> + 's {
        self.headers
            .iter()
            .filter(move |f| f.name.eq_ignore_ascii_case(name))
    }

    pub(crate) fn has_header(&self, name: &str) -> bool {
        self.fields(name).next().is_some()
    }

    /// The body (everything after the blank line ending the header section).
    pub(crate) fn raw_body(&self) -> &'a [u8] {
        self.raw.get(self.body_offset..).unwrap_or_default()
    }

    /// The MIME parts, parsed on first use (with the depth limit of that first use).
    pub(crate) fn body_parts(&self, max_depth: usize) -> &[BodyPart] {
        self.parts
            .get_or_init(|| mime::parts(&self.headers, self.raw_body(), max_depth))
    }
}

/// The SMTP envelope of the delivery being filtered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Envelope {
    /// The MAIL FROM address without angle brackets; empty for the null reverse-path.
    pub from: String,
    /// The RCPT TO address that caused this delivery, without angle brackets.
    pub to: String,
}

impl Envelope {
    /// An envelope from a reverse-path (empty for `<>`) and the recipient.
    pub fn new(from: impl Into<String>, to: impl Into<String>) -> Self {
        Self {
            from: from.into(),
            to: to.into(),
        }
    }
}

/// Header fields and the offset where the body starts. Lines without a colon (such as
/// an mbox "From " line) are skipped; a message without a blank line has no body.
pub(crate) fn parse_header_section(raw: &[u8]) -> (Vec<HeaderField>, usize) {
    let mut fields: Vec<(String, Vec<u8>)> = Vec::new();
    let mut pos = 0;
    let body_offset = loop {
        if pos >= raw.len() {
            break raw.len();
        }
        let end = raw[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len(), |i| pos + i);
        let next = (end + 1).min(raw.len());
        let line = &raw[pos..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break next;
        }
        if matches!(line[0], b' ' | b'\t') {
            if let Some((_, value)) = fields.last_mut() {
                // Unfolding removes the line break only.
                value.extend_from_slice(line);
            }
        } else if let Some(colon) = line.iter().position(|&b| b == b':') {
            let name = trim_ascii(&line[..colon]);
            if !name.is_empty() && name.iter().all(|&b| b.is_ascii_graphic()) {
                fields.push((
                    String::from_utf8_lossy(name).into_owned(),
                    line[colon + 1..].to_vec(),
                ));
            }
        }
        pos = next;
    };
    let headers = fields
        .into_iter()
        .map(|(name, value)| {
            let raw = text_from_bytes(trim_ascii(&value));
            let decoded = decode_encoded_words(&raw);
            HeaderField { name, raw, decoded }
        })
        .collect();
    (headers, body_offset)
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// UTF-8 if it is, otherwise read as Windows-1252 (a superset of ISO-8859-1).
pub(crate) fn text_from_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => decode_charset("windows-1252", bytes),
    }
}

/// Converts `bytes` in `charset` to UTF-8; unknown charsets are read as UTF-8 with
/// replacement characters.
pub(crate) fn decode_charset(charset: &str, bytes: &[u8]) -> String {
    let lower = charset.trim().to_ascii_lowercase();
    if matches!(lower.as_str(), "utf-8" | "utf8" | "us-ascii" | "ascii" | "") {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    match charset_decoder(lower.as_bytes()) {
        Some(decode) => decode(bytes),
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Decodes RFC 2047 encoded words. White space between two encoded words is dropped;
/// malformed words stay as written.
pub(crate) fn decode_encoded_words(value: &str) -> String {
    if !value.contains("=?") {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    let mut pending_space = String::new();
    let mut after_word = false;
    while !rest.is_empty() {
        if rest.starts_with("=?")
            && let Some((text, used)) = encoded_word(rest)
        {
            if !after_word {
                out.push_str(&pending_space);
            }
            pending_space.clear();
            out.push_str(&text);
            rest = &rest[used..];
            after_word = true;
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        if c == ' ' || c == '\t' {
            pending_space.push(c);
        } else {
            out.push_str(&pending_space);
            pending_space.clear();
            out.push(c);
            after_word = false;
        }
        rest = &rest[c.len_utf8()..];
    }
    out.push_str(&pending_space);
    out
}

/// One `=?charset?enc?text?=` at the start of `input`: the text and the bytes used.
fn encoded_word(input: &str) -> Option<(String, usize)> {
    let body = &input[2..];
    let (charset_full, rest) = body.split_once('?')?;
    let (encoding, rest) = rest.split_once('?')?;
    let end = rest.find("?=")?;
    let encoded = &rest[..end];
    if charset_full.is_empty() || encoded.contains(' ') || encoding.len() != 1 {
        return None;
    }
    // RFC 2231 allows "charset*language".
    let charset = charset_full.split('*').next().unwrap_or(charset_full);
    let bytes = match encoding {
        "B" | "b" => decode_base64(encoded.as_bytes()),
        "Q" | "q" => decode_q(encoded.as_bytes()),
        _ => return None,
    };
    let used = 2 + charset_full.len() + 1 + encoding.len() + 1 + end + 2;
    Some((decode_charset(charset, &bytes), used))
}

fn decode_q(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'_' => out.push(b' '),
            b'=' if hex_pair(input.get(i + 1..i + 3)).is_some() => {
                out.extend(hex_pair(input.get(i + 1..i + 3)));
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    out
}

pub(crate) fn hex_pair(pair: Option<&[u8]>) -> Option<u8> {
    let pair = pair?;
    let high = char::from(*pair.first()?).to_digit(16)?;
    let low = char::from(*pair.get(1)?).to_digit(16)?;
    u8::try_from(high * 16 + low).ok()
}

/// Lenient base64: characters outside the alphabet are skipped, decoding stops at "=".
pub(crate) fn decode_base64(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &byte in input {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => continue,
        };
        // Only the last 24 bits are ever needed.
        acc = ((acc << 6) | u32::from(value)) & 0x00FF_FFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xFF) as u8);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_section() {
        let raw = b"From nobody Mon Jan  1 00:00:00 2024\nSubject: a\n  folded\r\nX-Empty:\r\nTo : x@y\r\nbad line\r\n\r\nbody\r\n";
        let (headers, body) = parse_header_section(raw);
        let names: Vec<_> = headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["Subject", "X-Empty", "To"]);
        assert_eq!(headers[0].raw, "a  folded");
        assert_eq!(headers[1].raw, "");
        assert_eq!(headers[2].raw, "x@y");
        assert_eq!(&raw[body..], b"body\r\n");
        let (headers, body) = parse_header_section(b"Subject: only");
        assert_eq!(headers.len(), 1);
        assert_eq!(body, 13);
    }

    #[test]
    fn encoded_words() {
        assert_eq!(decode_encoded_words("=?utf-8?q?caf=C3=A9?="), "café");
        assert_eq!(
            decode_encoded_words("=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?="),
            "ab"
        );
        assert_eq!(decode_encoded_words("x =?utf-8?B?w6k=?= y"), "x é y");
        assert_eq!(decode_encoded_words("=?iso-8859-1?q?=E9t=E9?="), "été");
        assert_eq!(decode_encoded_words("=?utf-8*en?q?hi_there?="), "hi there");
        assert_eq!(decode_encoded_words("=?bad"), "=?bad");
        assert_eq!(decode_encoded_words("=?utf-8?x?abc?="), "=?utf-8?x?abc?=");
        assert_eq!(decode_encoded_words("a  b"), "a  b");
        assert_eq!(text_from_bytes(b"caf\xe9"), "café");
    }

    #[test]
    fn base64_is_lenient() {
        assert_eq!(decode_base64(b"aGVs\r\nbG8=\r\n"), b"hello");
        assert_eq!(decode_base64(b"aGVsbG8"), b"hello");
        assert_eq!(decode_base64(b"!!"), b"");
    }
}
