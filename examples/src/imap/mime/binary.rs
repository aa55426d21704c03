//! Content-Transfer-Encoding decoding for `BINARY` (RFC 3516, RFC 2045 section 6).
//!
//! The decoders are lenient as RFC 2045 asks: base64 ignores characters outside its
//! alphabet, quoted-printable keeps an `=` that does not start an escape. Only the
//! encoding of the addressed part is undone (a multipart's encoding is an identity).

use super::header;
use super::params;

/// A Content-Transfer-Encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Encoding {
    /// `7bit`, `8bit`, `binary` or none: the body is the content.
    Identity,
    /// `base64`.
    Base64,
    /// `quoted-printable`.
    QuotedPrintable,
    /// Anything else (`x-uuencode`...): the server cannot decode it.
    Unknown,
}

/// The encoding declared in a header block.
pub(super) fn encoding(block: &[u8]) -> Encoding {
    let Some(value) = header::first_value(block, b"content-transfer-encoding") else {
        return Encoding::Identity;
    };
    let Some(token) = params::token(value) else {
        return Encoding::Identity;
    };
    match token.to_ascii_lowercase().as_slice() {
        b"7bit" | b"8bit" | b"binary" => Encoding::Identity,
        b"base64" => Encoding::Base64,
        b"quoted-printable" => Encoding::QuotedPrintable,
        _ => Encoding::Unknown,
    }
}

/// Decodes base64, skipping anything outside the alphabet; `=` ends a group.
pub(super) fn decode_base64(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let mut group = 0u32;
    let mut count = 0u8;
    for &b in input {
        let value = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                flush_base64(group, count, &mut out);
                (group, count) = (0, 0);
                continue;
            }
            _ => continue,
        };
        group = (group << 6) | u32::from(value);
        count += 1;
        if count == 4 {
            out.extend_from_slice(&group.to_be_bytes()[1..]);
            (group, count) = (0, 0);
        }
    }
    flush_base64(group, count, &mut out);
    out
}

/// Writes the bytes of an incomplete group of `count` sextets.
fn flush_base64(group: u32, count: u8, out: &mut Vec<u8>) {
    match count {
        2 => out.push((group >> 4) as u8),
        3 => out.extend_from_slice(&[(group >> 10) as u8, (group >> 2) as u8]),
        _ => {}
    }
}

/// Decodes quoted-printable: `=XX` escapes, soft line breaks (`=` at a line end),
/// trailing whitespace of each line dropped (RFC 2045 section 6.7 rule 3).
pub(super) fn decode_quoted_printable(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    for line in input.split_inclusive(|&b| b == b'\n') {
        let (content, line_end) = split_line_end(line);
        let content = trim_end(content);
        match content.strip_suffix(b"=") {
            Some(soft) => decode_qp_text(soft, &mut out),
            None => {
                decode_qp_text(content, &mut out);
                out.extend_from_slice(line_end);
            }
        }
    }
    out
}

/// `bytes` without trailing spaces and tabs.
fn trim_end(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(0, |last| last + 1);
    &bytes[..end]
}

fn split_line_end(line: &[u8]) -> (&[u8], &[u8]) {
    let end = if line.ends_with(b"\r\n") {
        line.len() - 2
    } else if line.ends_with(b"\n") {
        line.len() - 1
    } else {
        line.len()
    };
    line.split_at(end)
}

fn decode_qp_text(text: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        if b == b'='
            && let Some(byte) = text.get(i + 1..i + 3).and_then(hex_byte)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
}

fn hex_byte(digits: &[u8]) -> Option<u8> {
    let text = std::str::from_utf8(digits).ok()?;
    if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u8::from_str_radix(text, 16).ok()
}
