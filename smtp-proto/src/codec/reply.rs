//! Reply decoding and encoding (RFC 5321 section 4.2, enhanced codes per RFC 2034).
//!
//! Wire form of one reply: zero or more continuation lines `code "-" [text] CRLF`
//! followed by a final line `code [SP text] CRLF`, all with the same code. When the
//! server uses enhanced status codes every line's text starts with `class.subject.detail`.
//!
//! The decoder is bounded: by default a reply longer than 65536 bytes, a line longer than
//! 4096 bytes (with its CRLF) or a reply with more than 256 lines is rejected (the client
//! state machine applies the limits of its `Config`). Such a reply cannot be skipped
//! reliably, so a client should treat it as fatal and close the connection.
use super::DecodeError;
use crate::types::{EnhancedCode, Reply};
use bytes::{BufMut, BytesMut};
use std::borrow::Cow;

/// Default longest accepted reply line, including its CRLF. RFC 5321 section 4.5.3.1.5
/// says 512 octets; real servers exceed that, so the default is more generous.
pub(crate) const MAX_REPLY_LINE_LEN: usize = 4096;
/// Default largest accepted number of lines in one reply (an EHLO reply has ~20).
pub(crate) const MAX_REPLY_LINES: usize = 256;
/// Default largest accepted size of one whole reply in bytes.
pub(crate) const MAX_REPLY_LEN: usize = 65536;

/// Size limits applied by [`decode_reply_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReplyLimits {
    /// Longest line, including its line ending.
    pub(crate) max_line_len: usize,
    /// Most lines in one reply.
    pub(crate) max_lines: usize,
    /// Most bytes in one reply.
    pub(crate) max_len: usize,
}

impl Default for ReplyLimits {
    fn default() -> Self {
        Self {
            max_line_len: MAX_REPLY_LINE_LEN,
            max_lines: MAX_REPLY_LINES,
            max_len: MAX_REPLY_LEN,
        }
    }
}

/// Decodes one complete (possibly multi-line) reply from the start of `buf`, with the
/// default limits: lines of at most 4096 bytes, at most 256 lines, at most 65536 bytes.
///
/// Returns the number of bytes the reply occupies and the reply. Lines end with CRLF
/// (a bare LF is tolerated, as many clients do). Text that is not UTF-8 is converted
/// lossily. A bad line yields [`DecodeError::Invalid`] whose `consumed` covers the lines
/// read up to and including the bad one.
pub fn decode_reply(buf: &[u8]) -> Result<(usize, Reply<'_>), DecodeError> {
    decode_reply_with(buf, &ReplyLimits::default())
}

/// Decodes one reply like [`decode_reply`], with explicit size limits.
pub(crate) fn decode_reply_with<'a>(
    buf: &'a [u8],
    limits: &ReplyLimits,
) -> Result<(usize, Reply<'a>), DecodeError> {
    let mut pos = 0;
    let mut code = None;
    let mut texts: Vec<&'a [u8]> = Vec::new();
    loop {
        let rest = &buf[pos..];
        let Some(lf) = memchr::memchr(b'\n', rest) else {
            return Err(incomplete_or_too_long(rest.len(), pos, limits));
        };
        let line_len = lf + 1;
        let end = pos + line_len;
        if line_len > limits.max_line_len {
            return Err(invalid(end, "reply line too long"));
        }
        if end > limits.max_len {
            return Err(invalid(end, "reply too long"));
        }
        let line = strip_line_ending(&rest[..lf]);
        let parsed = parse_line(line).map_err(|reason| invalid(end, reason))?;
        match code {
            None => code = Some(parsed.code),
            Some(first) if first != parsed.code => {
                return Err(invalid(end, "reply code differs between lines"));
            }
            Some(_) => {}
        }
        texts.push(parsed.text);
        pos = end;
        if parsed.last {
            break;
        }
        if texts.len() >= limits.max_lines {
            return Err(invalid(pos, "reply has too many lines"));
        }
    }
    let code = code.unwrap_or_default();
    Ok((pos, build_reply(code, &texts)))
}

/// Encodes a reply, every line with its CRLF, onto `out`.
///
/// The enhanced code, when present, is written at the start of every line. The last line
/// with no text and no enhanced code is written as a bare `code CRLF`. A reply with no
/// lines is written as one empty line. CR, LF and NUL inside a text line cannot be sent and
/// are replaced by spaces. `code` should be 200..=599 (see [`Reply::code`]).
pub fn encode_reply(reply: &Reply<'_>, out: &mut BytesMut) {
    let empty = [Cow::Borrowed("")];
    let lines: &[Cow<'_, str>] = if reply.lines.is_empty() {
        &empty
    } else {
        &reply.lines
    };
    let last = lines.len() - 1;
    for (i, text) in lines.iter().enumerate() {
        put_code(reply.code, out);
        let is_last = i == last;
        if is_last && text.is_empty() && reply.enhanced.is_none() {
            out.put_slice(b"\r\n");
            continue;
        }
        out.put_u8(if is_last { b' ' } else { b'-' });
        if let Some(enhanced) = reply.enhanced {
            out.put_slice(enhanced.to_string().as_bytes());
            if !text.is_empty() {
                out.put_u8(b' ');
            }
        }
        put_text(text, out);
        out.put_slice(b"\r\n");
    }
}

fn put_code(code: u16, out: &mut BytesMut) {
    // Three digits whatever the value, so a bogus code cannot shift the line layout.
    let code = code % 1000;
    out.put_u8(b'0' + (code / 100) as u8);
    out.put_u8(b'0' + (code / 10 % 10) as u8);
    out.put_u8(b'0' + (code % 10) as u8);
}

fn put_text(text: &str, out: &mut BytesMut) {
    for &b in text.as_bytes() {
        out.put_u8(if matches!(b, b'\r' | b'\n' | 0) {
            b' '
        } else {
            b
        });
    }
}

fn invalid(consumed: usize, reason: &'static str) -> DecodeError {
    DecodeError::Invalid {
        consumed,
        reason: Cow::Borrowed(reason),
    }
}

/// No line ending yet: wait for more, unless the limits are already exceeded.
fn incomplete_or_too_long(partial: usize, pos: usize, limits: &ReplyLimits) -> DecodeError {
    let total = pos.saturating_add(partial);
    if partial >= limits.max_line_len {
        invalid(total, "reply line too long")
    } else if total >= limits.max_len {
        invalid(total, "reply too long")
    } else {
        DecodeError::Incomplete
    }
}

fn strip_line_ending(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

struct Line<'a> {
    code: u16,
    last: bool,
    text: &'a [u8],
}

fn parse_line(line: &[u8]) -> Result<Line<'_>, &'static str> {
    let code = match line {
        [a @ b'2'..=b'5', b @ b'0'..=b'5', c @ b'0'..=b'9', ..] => {
            u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
        }
        _ => return Err("reply line does not start with a reply code"),
    };
    let (last, text): (bool, &[u8]) = match &line[3..] {
        [] => (true, &[]),
        [b' ', text @ ..] => (true, text),
        [b'-', text @ ..] => (false, text),
        _ => return Err("reply code not followed by space or hyphen"),
    };
    if text.iter().any(|&b| b == b'\r' || b == 0) {
        return Err("reply text contains CR or NUL");
    }
    Ok(Line { code, last, text })
}

/// Builds the reply, splitting off the enhanced code when every line carries the same
/// valid one with the class matching the reply code.
fn build_reply<'a>(code: u16, texts: &[&'a [u8]]) -> Reply<'a> {
    let class = (code / 100) as u8;
    let enhanced = common_enhanced(class, texts);
    let lines = texts
        .iter()
        .map(|text| {
            let text = if enhanced.is_some() {
                strip_enhanced(text)
            } else {
                text
            };
            String::from_utf8_lossy(text)
        })
        .collect();
    Reply {
        code,
        enhanced,
        lines,
    }
}

fn common_enhanced(class: u8, texts: &[&[u8]]) -> Option<EnhancedCode> {
    let mut common = None;
    for text in texts {
        let (found, _) = split_enhanced(text)?;
        if found.class != class || common.is_some_and(|c| c != found) {
            return None;
        }
        common = Some(found);
    }
    common
}

fn strip_enhanced(text: &[u8]) -> &[u8] {
    split_enhanced(text).map_or(text, |(_, rest)| rest)
}

/// Splits `x.y.z` followed by SP or end of text off the start of `text`.
fn split_enhanced(text: &[u8]) -> Option<(EnhancedCode, &[u8])> {
    let (class, rest) = number(text, 1)?;
    let rest = rest.strip_prefix(b".")?;
    let (subject, rest) = number(rest, 3)?;
    let rest = rest.strip_prefix(b".")?;
    let (detail, rest) = number(rest, 3)?;
    let rest = match rest {
        [] => rest,
        [b' ', tail @ ..] => tail,
        _ => return None,
    };
    let class = u8::try_from(class).ok()?;
    if !matches!(class, 2 | 4 | 5) {
        return None;
    }
    Some((
        EnhancedCode {
            class,
            subject,
            detail,
        },
        rest,
    ))
}

/// One to `max_digits` digits without a leading zero (except `0` itself).
fn number(text: &[u8], max_digits: usize) -> Option<(u16, &[u8])> {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > max_digits || (digits > 1 && text[0] == b'0') {
        return None;
    }
    let value = text[..digits]
        .iter()
        .fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0'));
    Some((value, &text[digits..]))
}
