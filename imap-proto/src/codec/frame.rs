//! Framing: where does the command or response at the start of a buffer end?
//!
//! An IMAP message is a line that may be interrupted by literals: a line that ends in
//! `{n}`, `{n+}`, `~{n}` or `~{n+}` before its CRLF is followed by exactly `n` octets of
//! literal data, after which the message continues with more text up to the next CRLF.
//! [`frame`] walks these pieces without interpreting anything else, so that
//! - a message is parsed only once all of it is buffered (parsers never see partial data);
//! - a garbage message still has a known length and (usually) a readable tag;
//! - a receiver learns about a synchronising literal as soon as its header arrives and can
//!   decide whether to send `+` ([`DecodeError::Literal`]).
//!
//! Lines end at LF; a LF without CR before it still ends the line (so the stream stays in
//! sync) but the parser rejects the message.

use memchr::memchr;

use super::DecodeError;
use crate::types::{LiteralHeader, Tag, is_tag_char};

/// Limits applied while framing. The defaults suit a server reading commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeOptions {
    /// Longest line (text between literals, CRLF included).
    pub max_line: usize,
    /// Largest literal accepted inside a message (the streamed APPEND message literal is
    /// not subject to this; the server checks its size itself).
    pub max_literal: u32,
    /// Largest non-synchronising literal (`Some(4096)` for a server announcing LITERAL-).
    pub max_non_sync_literal: Option<u32>,
    /// Largest whole message: lines and literals together.
    pub max_message: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            max_line: 64 * 1024,
            max_literal: 1024 * 1024,
            max_non_sync_literal: None,
            max_message: 2 * 1024 * 1024,
        }
    }
}

impl DecodeOptions {
    /// Options with the given line and literal limits; the message limit is set to
    /// leave room for a line around one literal of that size.
    pub fn new(max_line: usize, max_literal: u32) -> Self {
        let literal = usize::try_from(max_literal).unwrap_or(usize::MAX);
        Self {
            max_line,
            max_literal,
            max_non_sync_literal: None,
            max_message: literal.saturating_add(max_line.saturating_mul(2)),
        }
    }

    /// Sets the largest non-synchronising literal (LITERAL-: 4096).
    pub fn with_max_non_sync_literal(mut self, max: Option<u32>) -> Self {
        self.max_non_sync_literal = max;
        self
    }

    /// Sets the largest whole message.
    pub fn with_max_message(mut self, max: usize) -> Self {
        self.max_message = max;
        self
    }
}

/// Outcome of framing with a stop condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framed {
    /// The whole message is buffered and is this many bytes long (final CRLF included).
    Complete(usize),
    /// Framing stopped at a literal header the caller asked to stop at; `consumed` bytes
    /// reach up to and including the header's CRLF, and the literal data follows.
    Stopped {
        /// Bytes up to and including the literal header's CRLF.
        consumed: usize,
        /// The literal header.
        header: LiteralHeader,
    },
}

/// Finds the end of the message at the start of `buf`: returns its length, literals and
/// final CRLF included.
///
/// Errors: [`DecodeError::Incomplete`] (need more bytes), [`DecodeError::Literal`] (need
/// the data of a literal; for a synchronising one the peer waits for `+`),
/// [`DecodeError::LiteralTooLarge`] and [`DecodeError::TooLong`] (limits).
pub fn frame(buf: &[u8], opts: &DecodeOptions) -> Result<usize, DecodeError> {
    match frame_until(buf, opts, &mut |_, _| false)? {
        Framed::Complete(len) => Ok(len),
        Framed::Stopped { .. } => Err(DecodeError::Incomplete),
    }
}

/// Frames like [`frame`], but calls `stop(prefix, header)` at every literal header, with
/// `prefix` the message so far up to and including the header's CRLF; when it returns
/// true, framing stops there (before any limit check of that literal).
pub(crate) fn frame_until(
    buf: &[u8],
    opts: &DecodeOptions,
    stop: &mut dyn FnMut(&[u8], LiteralHeader) -> bool,
) -> Result<Framed, DecodeError> {
    let mut pos = 0usize;
    loop {
        let limit = opts.max_line.min(opts.max_message.saturating_sub(pos));
        let rest = &buf[pos..];
        let window = &rest[..rest.len().min(limit)];
        let Some(lf) = memchr(b'\n', window) else {
            if rest.len() >= limit {
                return Err(DecodeError::TooLong { tag: read_tag(buf) });
            }
            return Err(DecodeError::Incomplete);
        };
        let line_end = pos + lf + 1;
        let content = strip_line_end(&buf[pos..line_end]);
        let Some(header) = literal_header(content) else {
            return Ok(Framed::Complete(line_end));
        };
        let header = match header {
            Ok(h) => h,
            Err(HeaderTooLarge { non_sync }) => {
                return Err(DecodeError::LiteralTooLarge {
                    tag: read_tag(buf),
                    length: u64::MAX,
                    non_sync,
                    consumed: line_end,
                });
            }
        };
        if stop(&buf[..line_end], header) {
            return Ok(Framed::Stopped {
                consumed: line_end,
                header,
            });
        }
        let length = usize::try_from(header.length).unwrap_or(usize::MAX);
        let data_end = line_end.checked_add(length);
        let too_large = header.length > opts.max_literal
            || (header.non_sync && opts.max_non_sync_literal.is_some_and(|m| header.length > m))
            || data_end.is_none_or(|end| end > opts.max_message);
        if too_large {
            return Err(DecodeError::LiteralTooLarge {
                tag: read_tag(buf),
                length: u64::from(header.length),
                non_sync: header.non_sync,
                consumed: line_end,
            });
        }
        let data_end = data_end.unwrap_or(usize::MAX);
        if buf.len() < data_end {
            return Err(DecodeError::Literal {
                tag: read_tag(buf),
                length: header.length,
                non_sync: header.non_sync,
                binary: header.binary,
                offset: line_end,
            });
        }
        pos = data_end;
    }
}

/// Frames one plain line (no literals), e.g. `DONE` after IDLE or an AUTHENTICATE
/// response: returns its length including the LF.
pub fn frame_line(buf: &[u8], max_line: usize) -> Result<usize, DecodeError> {
    let window = &buf[..buf.len().min(max_line)];
    match memchr(b'\n', window) {
        Some(i) => Ok(i + 1),
        None if buf.len() >= max_line => Err(DecodeError::TooLong { tag: None }),
        None => Err(DecodeError::Incomplete),
    }
}

/// Whether a line (with its line end) ends in a literal header, so that literal data
/// follows it.
pub(crate) fn ends_in_literal_header(line: &[u8]) -> bool {
    literal_header(strip_line_end(line)).is_some()
}

fn strip_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

struct HeaderTooLarge {
    non_sync: bool,
}

/// Recognises a literal header at the end of a line's content.
fn literal_header(content: &[u8]) -> Option<Result<LiteralHeader, HeaderTooLarge>> {
    let inner = content.strip_suffix(b"}")?;
    let (inner, non_sync) = match inner.strip_suffix(b"+") {
        Some(i) => (i, true),
        None => (inner, false),
    };
    let open = inner.iter().rposition(|&b| !b.is_ascii_digit())?;
    if inner[open] != b'{' || open + 1 == inner.len() {
        return None;
    }
    let binary = open > 0 && inner[open - 1] == b'~';
    let digits = &inner[open + 1..];
    let length = digits.iter().try_fold(0u32, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    });
    Some(match length {
        Some(length) => Ok(LiteralHeader {
            length,
            binary,
            non_sync,
        }),
        None => Err(HeaderTooLarge { non_sync }),
    })
}

/// Reads the tag at the start of a message, if there is a valid one followed by a space
/// or the line end (`*` and `+` are not tags).
pub fn read_tag(buf: &[u8]) -> Option<Tag<'static>> {
    let len = buf.iter().position(|&b| !is_tag_char(b))?;
    if len == 0 || !matches!(buf[len], b' ' | b'\r' | b'\n') {
        return None;
    }
    let text = std::str::from_utf8(&buf[..len]).ok()?;
    Tag::new(text.to_owned()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let h = |s: &[u8]| literal_header(s).map(|r| r.ok());
        assert_eq!(
            h(b"A LOGIN {5}"),
            Some(Some(LiteralHeader {
                length: 5,
                binary: false,
                non_sync: false
            }))
        );
        assert_eq!(
            h(b"A APPEND x ~{12+}"),
            Some(Some(LiteralHeader {
                length: 12,
                binary: true,
                non_sync: true
            }))
        );
        assert_eq!(h(b"A {}"), None);
        assert_eq!(h(b"A {+}"), None);
        assert_eq!(h(b"A 5}"), None);
        assert_eq!(h(b"A {99999999999}"), Some(None));
        assert_eq!(read_tag(b"a1 NOOP"), Some(Tag::new("a1").unwrap()));
        assert_eq!(read_tag(b"* OK"), None);
        assert_eq!(read_tag(b"a\"b NOOP"), None);
        assert_eq!(read_tag(b"abc"), None);
    }
}
