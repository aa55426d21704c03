//! xtext (RFC 3461 section 4): `+XX` hex escapes for bytes outside `!`..`~`, `+` and `=`.

use std::borrow::Cow;

use bytes::{BufMut, BytesMut};

use super::scan::{XCHAR, span};

/// Decodes xtext into UTF-8 text without control characters.
///
/// Hex digits are accepted in either case (RFC 3461 asks senders for upper case; being
/// lenient here is harmless). Returns `None` for malformed escapes, characters outside
/// xchar, or a decoded value that is not UTF-8 or contains control characters.
pub fn decode_xtext(input: &str) -> Option<Cow<'_, str>> {
    let bytes = input.as_bytes();
    if bytes.is_empty() {
        return None;
    }
    if span(bytes, 0, XCHAR) == bytes.len() {
        return Some(Cow::Borrowed(input));
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'+' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hi = hex_value(hex[0])?;
            let lo = hex_value(hex[1])?;
            out.push(hi << 4 | lo);
            i += 3;
        } else if is_xchar(b) {
            out.push(b);
            i += 1;
        } else {
            return None;
        }
    }
    let text = String::from_utf8(out).ok()?;
    (!text.chars().any(char::is_control)).then_some(Cow::Owned(text))
}

/// Appends `text` xtext-encoded to `out`.
pub fn encode_xtext(text: &str, out: &mut BytesMut) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        if is_xchar(b) {
            out.put_u8(b);
        } else {
            out.extend_from_slice(&[b'+', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }
}

fn is_xchar(b: u8) -> bool {
    (b'!'..=b'~').contains(&b) && b != b'+' && b != b'='
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        assert_eq!(decode_xtext("abc").as_deref(), Some("abc"));
        assert!(matches!(decode_xtext("abc"), Some(Cow::Borrowed(_))));
        assert_eq!(decode_xtext("a+2Bb+3Dc").as_deref(), Some("a+b=c"));
        assert_eq!(decode_xtext("+C3+A9").as_deref(), Some("\u{e9}"));
        assert_eq!(decode_xtext("a+2b").as_deref(), Some("a+"));
        assert_eq!(decode_xtext(""), None);
        assert_eq!(decode_xtext("a+2"), None);
        assert_eq!(decode_xtext("a+ZZ"), None);
        assert_eq!(decode_xtext("a=b"), None);
        assert_eq!(decode_xtext("+0D+0A"), None);
        assert_eq!(decode_xtext("+FF"), None);
        let mut out = BytesMut::new();
        encode_xtext("a+b=c \u{e9}", &mut out);
        assert_eq!(&out[..], b"a+2Bb+3Dc+20+C3+A9");
    }
}
