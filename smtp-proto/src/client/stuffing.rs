//! Streaming dot-stuffing for DATA bodies (RFC 5321 section 4.5.2).
//!
//! The stuffer works on chunks of any size and keeps just two flags between them, so a
//! `.` at the start of a line is doubled even when the line break that precedes it came
//! in the previous chunk. Line endings are made canonical on the way: a bare CR or a bare
//! LF is sent as CRLF (RFC 5321 section 2.3.8), so the body can never contain a sequence
//! a lenient server would read as the end of data (SMTP smuggling).

use bytes::{BufMut, BytesMut};

/// Dot-stuffs a message body chunk by chunk and writes the terminating `CRLF . CRLF`.
#[derive(Debug, Clone)]
pub struct DotStuffer {
    /// The last byte written ended a line (or nothing has been written yet).
    at_line_start: bool,
    /// The previous chunk ended with a CR whose LF may come next.
    pending_cr: bool,
    /// Body bytes accepted so far, after line-ending normalisation, before stuffing.
    body_len: u64,
}

impl Default for DotStuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl DotStuffer {
    /// A stuffer at the start of a body.
    pub const fn new() -> Self {
        Self {
            at_line_start: true,
            pending_cr: false,
            body_len: 0,
        }
    }

    /// Size of the body given so far in octets (CRLF line endings, before stuffing),
    /// which is what the `SIZE` parameter of RFC 1870 counts.
    pub const fn body_len(&self) -> u64 {
        self.body_len
    }

    /// Appends the stuffed form of `chunk` to `out`.
    pub fn stuff(&mut self, chunk: &[u8], out: &mut BytesMut) {
        out.reserve(chunk.len() + 2);
        let mut rest = chunk;
        if self.pending_cr && !rest.is_empty() {
            self.pending_cr = false;
            self.end_line(out);
            if rest[0] == b'\n' {
                rest = &rest[1..];
            }
        }
        while !rest.is_empty() {
            if self.at_line_start && rest[0] == b'.' {
                out.put_u8(b'.');
            }
            match memchr::memchr2(b'\r', b'\n', rest) {
                None => {
                    self.put_text(rest, out);
                    return;
                }
                Some(i) => {
                    self.put_text(&rest[..i], out);
                    if rest[i] == b'\n' {
                        self.end_line(out);
                        rest = &rest[i + 1..];
                    } else if let Some(&next) = rest.get(i + 1) {
                        self.end_line(out);
                        rest = &rest[i + 1 + usize::from(next == b'\n')..];
                    } else {
                        self.pending_cr = true;
                        return;
                    }
                }
            }
        }
    }

    /// Ends the body: completes the last line if needed and writes `.` CRLF. The stuffer
    /// is then ready for a new body.
    pub fn finish(&mut self, out: &mut BytesMut) {
        if self.pending_cr || !self.at_line_start {
            self.pending_cr = false;
            self.end_line(out);
        }
        out.put_slice(b".\r\n");
        *self = Self::new();
    }

    fn put_text(&mut self, text: &[u8], out: &mut BytesMut) {
        if !text.is_empty() {
            out.put_slice(text);
            self.body_len = self.body_len.saturating_add(text.len() as u64);
            self.at_line_start = false;
        }
    }

    fn end_line(&mut self, out: &mut BytesMut) {
        out.put_slice(b"\r\n");
        self.body_len = self.body_len.saturating_add(2);
        self.at_line_start = true;
    }
}
