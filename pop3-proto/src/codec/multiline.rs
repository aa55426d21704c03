//! Multi-line bodies (RFC 1939 section 3): dot-stuffing on the way out, un-stuffing and
//! end detection on the way in. Both work on chunks of any size and keep a few bytes of
//! state, so a 50 MB message is never held in memory.

use bytes::{BufMut, BytesMut};
use memchr::memchr;

/// What one call of [`MultilineDecoder::feed`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Input bytes consumed.
    pub consumed: usize,
    /// Whether the terminating `.` line was among them (it is consumed, not emitted).
    pub finished: bool,
}

/// Cutting state for `TOP msg n`.
#[derive(Debug, Clone, Copy)]
struct Top {
    in_header: bool,
    remaining: u32,
}

/// Encodes a message (or any multi-line body) for the wire: a line starting with `.` gets
/// another `.`, a bare LF becomes CRLF, a last line without line ending gets CRLF, and
/// [`finish`](Self::finish) appends the terminating `.` line.
///
/// For `TOP`, [`MultilineEncoder::top`] passes the header, the blank line and the first
/// `n` body lines, then ignores the rest, so a caller can stream the whole message.
#[derive(Debug, Clone)]
pub struct MultilineEncoder {
    line_start: bool,
    last_cr: bool,
    line_len: usize,
    top: Option<Top>,
    done: bool,
}

impl Default for MultilineEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl MultilineEncoder {
    /// An encoder that passes the whole body.
    pub const fn new() -> Self {
        Self {
            line_start: true,
            last_cr: false,
            line_len: 0,
            top: None,
            done: false,
        }
    }

    /// An encoder for `TOP`: the header, the blank line after it and `lines` body lines.
    pub const fn top(lines: u32) -> Self {
        let mut encoder = Self::new();
        encoder.top = Some(Top {
            in_header: true,
            remaining: lines,
        });
        encoder
    }

    /// Whether the encoder still passes input on (false once `TOP` has its lines).
    pub const fn wants_more(&self) -> bool {
        !self.done
    }

    /// Encodes `input` into `out`; returns [`wants_more`](Self::wants_more).
    pub fn encode(&mut self, input: &[u8], out: &mut BytesMut) -> bool {
        let mut rest = input;
        out.reserve(input.len() + input.len() / 32 + 8);
        while !rest.is_empty() && !self.done {
            if self.line_start && rest[0] == b'.' {
                out.put_u8(b'.');
            }
            match memchr(b'\n', rest) {
                Some(i) => {
                    self.text(&rest[..i], out);
                    if !self.last_cr {
                        out.put_u8(b'\r');
                    }
                    out.put_u8(b'\n');
                    self.end_line();
                    rest = &rest[i + 1..];
                }
                None => {
                    self.text(rest, out);
                    rest = &[];
                }
            }
        }
        !self.done
    }

    fn text(&mut self, segment: &[u8], out: &mut BytesMut) {
        if let Some(&last) = segment.last() {
            out.extend_from_slice(segment);
            self.line_start = false;
            self.last_cr = last == b'\r';
            self.line_len = self.line_len.saturating_add(segment.len());
        }
    }

    fn end_line(&mut self) {
        let empty = self.line_len == 0 || (self.line_len == 1 && self.last_cr);
        self.line_start = true;
        self.last_cr = false;
        self.line_len = 0;
        if let Some(top) = &mut self.top {
            if top.in_header {
                top.in_header = !empty;
                self.done = !top.in_header && top.remaining == 0;
            } else {
                top.remaining = top.remaining.saturating_sub(1);
                self.done = top.remaining == 0;
            }
        }
    }

    /// Ends the body: completes a last line without line ending and appends `.` CRLF.
    pub fn finish(&mut self, out: &mut BytesMut) {
        if !self.line_start {
            out.extend_from_slice(if self.last_cr { b"\n" } else { b"\r\n" });
        }
        out.extend_from_slice(b".\r\n");
        self.line_start = true;
        self.last_cr = false;
        self.line_len = 0;
        self.done = true;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    LineStart,
    Dot,
    DotCr,
    Mid,
}

/// Decodes a multi-line body: removes the stuffed `.` at the start of lines and stops at
/// the terminating `.` line (`.` CRLF; a bare `.` LF is accepted too). Any LF starts a
/// new line. Feed it the bytes that follow the `+OK` line.
#[derive(Debug, Clone)]
pub struct MultilineDecoder {
    state: State,
}

impl Default for MultilineDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl MultilineDecoder {
    /// A decoder positioned at the start of the first body line.
    pub const fn new() -> Self {
        Self {
            state: State::LineStart,
        }
    }

    /// Un-stuffs `input` into `out` up to the end of the body.
    pub fn feed(&mut self, input: &[u8], out: &mut BytesMut) -> Progress {
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            match self.state {
                State::LineStart => {
                    if b == b'.' {
                        self.state = State::Dot;
                    } else {
                        out.put_u8(b);
                        self.state = if b == b'\n' {
                            State::LineStart
                        } else {
                            State::Mid
                        };
                    }
                    i += 1;
                }
                State::Dot => match b {
                    b'\r' => {
                        self.state = State::DotCr;
                        i += 1;
                    }
                    b'\n' => return self.finished(i + 1),
                    _ => {
                        // The stuffed dot is dropped; this byte is line content.
                        self.state = State::Mid;
                    }
                },
                State::DotCr => {
                    if b == b'\n' {
                        return self.finished(i + 1);
                    }
                    out.put_u8(b'\r');
                    self.state = State::Mid;
                }
                State::Mid => match memchr(b'\n', &input[i..]) {
                    Some(n) => {
                        out.extend_from_slice(&input[i..=i + n]);
                        i += n + 1;
                        self.state = State::LineStart;
                    }
                    None => {
                        out.extend_from_slice(&input[i..]);
                        i = input.len();
                    }
                },
            }
        }
        Progress {
            consumed: input.len(),
            finished: false,
        }
    }

    fn finished(&mut self, consumed: usize) -> Progress {
        self.state = State::LineStart;
        Progress {
            consumed,
            finished: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode_all(mut e: MultilineEncoder, chunks: &[&[u8]]) -> Vec<u8> {
        let mut out = BytesMut::new();
        for c in chunks {
            e.encode(c, &mut out);
        }
        e.finish(&mut out);
        out.to_vec()
    }

    #[test]
    fn stuffs_and_terminates() {
        let table: &[(&[u8], &[u8])] = &[
            (b"", b".\r\n"),
            (b"a\r\n", b"a\r\n.\r\n"),
            (b".a\r\n..\r\n.\r\n", b"..a\r\n...\r\n..\r\n.\r\n"),
            (b"no newline", b"no newline\r\n.\r\n"),
            (b"lf\nonly\n.\n", b"lf\r\nonly\r\n..\r\n.\r\n"),
            (b"cr at end\r", b"cr at end\r\n.\r\n"),
            (b"a.b\r\n .\r\n", b"a.b\r\n .\r\n.\r\n"),
        ];
        for (input, expected) in table {
            assert_eq!(encode_all(MultilineEncoder::new(), &[input]), *expected);
            let bytes: Vec<&[u8]> = input.chunks(1).collect();
            assert_eq!(encode_all(MultilineEncoder::new(), &bytes), *expected);
        }
    }

    #[test]
    fn top_cuts_after_header_and_lines() {
        let msg: &[u8] = b"Subject: x\r\nFrom: y\r\n\r\nline1\r\n.line2\r\nline3\r\n";
        assert_eq!(
            encode_all(MultilineEncoder::top(0), &[msg]),
            b"Subject: x\r\nFrom: y\r\n\r\n.\r\n"
        );
        assert_eq!(
            encode_all(MultilineEncoder::top(2), &[msg]),
            b"Subject: x\r\nFrom: y\r\n\r\nline1\r\n..line2\r\n.\r\n"
        );
        assert_eq!(
            encode_all(MultilineEncoder::top(10), &[msg]),
            b"Subject: x\r\nFrom: y\r\n\r\nline1\r\n..line2\r\nline3\r\n.\r\n"
        );
        let mut e = MultilineEncoder::top(0);
        let mut out = BytesMut::new();
        assert!(e.encode(b"A: b\r\n", &mut out));
        assert!(!e.encode(b"\r\nbody\r\n", &mut out));
    }

    #[test]
    fn unstuffs_and_stops() {
        let mut d = MultilineDecoder::new();
        let mut out = BytesMut::new();
        let input = b"..a\r\nb\r\n.\r\n+OK next";
        let p = d.feed(input, &mut out);
        assert_eq!(
            p,
            Progress {
                consumed: 11,
                finished: true
            }
        );
        assert_eq!(&out[..], b".a\r\nb\r\n");
    }
}
