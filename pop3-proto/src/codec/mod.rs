//! Streaming decoders and encoders for POP3 commands, responses and multi-line bodies.
//!
//! Decoders frame first and parse second: they find the end of the line (LF) before they
//! look at its content, so an invalid line is reported together with the number of bytes
//! it occupies, and the caller skips exactly that line and stays in step with the peer.
//!
//! Multi-line responses (RFC 1939 section 3) are handled by [`MultilineEncoder`], which
//! dot-stuffs and terminates a body on the way out (and can cut it for `TOP`), and by
//! [`MultilineDecoder`], which un-stuffs a body and finds its `CRLF.CRLF` end; both
//! stream, keeping only a few bytes of state between calls.

use std::borrow::Cow;

mod command;
mod line;
mod multiline;
mod response;

pub use command::{decode_command, encode_command, parse_command_line};
pub use line::{LineFrame, frame_line, skip_line};
pub use multiline::{MultilineDecoder, MultilineEncoder, Progress};
pub use response::{decode_response, encode_response, parse_response_line};

/// Why a decoder did not produce a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// More bytes are needed; nothing was consumed.
    #[error("incomplete input")]
    Incomplete,
    /// The line is not valid. `consumed` bytes (the whole line with its line ending)
    /// should be skipped before decoding the next one.
    #[error("invalid input: {reason}")]
    Invalid {
        /// Bytes occupied by the invalid line, including its line ending.
        consumed: usize,
        /// What is wrong, suitable for a `-ERR` text.
        reason: Cow<'static, str>,
    },
}

/// Replaces CR, LF and NUL (which would break the line framing) with spaces.
pub(crate) fn sanitize(text: &[u8], out: &mut bytes::BytesMut) {
    if !text.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        out.extend_from_slice(text);
        return;
    }
    out.extend(text.iter().map(|&b| {
        if matches!(b, b'\r' | b'\n' | 0) {
            b' '
        } else {
            b
        }
    }));
}
