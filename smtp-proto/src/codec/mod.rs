//! Streaming decoders and encoders for SMTP commands and replies.
//!
//! Decoders frame first and parse second: they find the end of the line before they look
//! at its content, so an invalid line is reported together with the number of bytes it
//! occupies and the caller can skip exactly that line and stay in sync with the peer.
//! The command parser then makes a single pass over the line's bytes (`scan`).

use std::borrow::Cow;

pub(crate) mod b64;
mod command;
mod line;
mod params;
mod path;
mod reply;
mod scan;
mod xtext;

#[cfg(test)]
mod differential;
#[cfg(test)]
mod reference;

pub use command::{
    CommandError, CommandErrorKind, decode_command, encode_command, parse_command_line,
};
pub use line::{LineFrame, frame_line, skip_line};
pub use reply::{decode_reply, encode_reply};
pub use xtext::{decode_xtext, encode_xtext};

/// Why a decoder did not produce a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// More bytes are needed; nothing was consumed.
    #[error("incomplete input")]
    Incomplete,
    /// The line is not valid. `consumed` bytes (the whole line with its CRLF) should be
    /// skipped before decoding the next one.
    #[error("invalid input: {reason}")]
    Invalid {
        /// Bytes occupied by the invalid line, including its line ending.
        consumed: usize,
        /// What is wrong, suitable for a reply text.
        reason: Cow<'static, str>,
    },
}
