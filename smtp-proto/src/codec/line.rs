//! Line framing shared by the command decoder and the server.
//!
//! A line ends at the first LF. Whether that LF is preceded by CR (as SMTP requires) is
//! checked by the parser, not here: framing on LF alone means a client that sends bare LF
//! still gets an answer instead of hanging until the line limit.

use memchr::memchr;

/// Where the first line in a buffer ends, given a maximum line length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFrame {
    /// A complete line of `len` bytes, its terminator included, within the limit.
    Complete {
        /// Length of the line including its LF.
        len: usize,
    },
    /// No line end yet, and the buffered bytes are still within the limit.
    Incomplete,
    /// The line is longer than the limit. Drop `discard` bytes now; when `complete` is
    /// false the line has not ended yet and the following bytes belong to it too.
    TooLong {
        /// Bytes that belong to the overlong line and can be dropped.
        discard: usize,
        /// Whether `discard` includes the line's LF.
        complete: bool,
    },
}

/// Frames the first line of `buf`; `max_len` counts the line terminator too.
///
/// A line of exactly `max_len` bytes (CRLF included) is complete; once `max_len` bytes
/// are buffered without an LF among them the line is reported as too long, so a caller
/// never needs to hold more than `max_len` bytes of one line.
pub fn frame_line(buf: &[u8], max_len: usize) -> LineFrame {
    let window = &buf[..buf.len().min(max_len)];
    if let Some(i) = memchr(b'\n', window) {
        return LineFrame::Complete { len: i + 1 };
    }
    if buf.len() < max_len {
        return LineFrame::Incomplete;
    }
    match memchr(b'\n', &buf[max_len..]) {
        Some(i) => LineFrame::TooLong {
            discard: max_len + i + 1,
            complete: true,
        },
        None => LineFrame::TooLong {
            discard: buf.len(),
            complete: false,
        },
    }
}

/// For a line that is being skipped: how many bytes of `buf` still belong to it, and
/// whether its end (LF) is among them.
pub fn skip_line(buf: &[u8]) -> (usize, bool) {
    match memchr(b'\n', buf) {
        Some(i) => (i + 1, true),
        None => (buf.len(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_within_limit() {
        assert_eq!(
            frame_line(b"NOOP\r\nQUIT", 512),
            LineFrame::Complete { len: 6 }
        );
        assert_eq!(frame_line(b"NOOP\r", 512), LineFrame::Incomplete);
        assert_eq!(frame_line(b"abc\r\n", 5), LineFrame::Complete { len: 5 });
        assert_eq!(
            frame_line(b"abcd\r\n", 5),
            LineFrame::TooLong {
                discard: 6,
                complete: true
            }
        );
        assert_eq!(
            frame_line(b"abcdefg", 5),
            LineFrame::TooLong {
                discard: 7,
                complete: false
            }
        );
        assert_eq!(frame_line(b"abcd", 5), LineFrame::Incomplete);
        assert_eq!(skip_line(b"xx\nyy"), (3, true));
        assert_eq!(skip_line(b"xxyy"), (4, false));
    }
}
