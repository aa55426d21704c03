//! Streaming decoders and encoders for IMAP commands and responses.
//!
//! Decoders frame first and parse second: [`frame`] finds where a command or response
//! ends (its CRLF, spanning any literals `{n}`, `{n+}`, `~{n}` at line ends) before the
//! parser looks at its content. An invalid message is reported with the number of bytes
//! it occupies and its tag, so a server can answer `tag BAD` and stay in sync.
//!
//! Encoders write into an [`Encoder`], which picks the wire form of each string (atom,
//! quoted string or literal) and, for a client, splits the output into [`Fragment`]s at
//! every synchronising literal, where the client must wait for the server's `+`.

use std::borrow::Cow;

use crate::types::Tag;

mod append;
mod command;
mod command_encode;
mod continuation;
mod encode;
mod fetch;
mod frame;
mod primitives;
mod response;
mod response_body;
mod response_common;
mod response_data;
mod response_fetch;
mod response_stream;
mod search;

pub use append::{
    AppendMessageHead, AppendNext, AppendStart, Streamed, decode_append_next,
    decode_command_streaming,
};
pub use command::{decode_command, decode_command_with, parse_framed_command};
pub use command_encode::{encode_command, encode_command_fragments, write_command};
pub use continuation::{
    AuthenticateResponse, decode_authenticate_response, decode_idle_done,
    encode_authenticate_response, encode_idle_done,
};
pub use encode::{EncodeOptions, Encoder, Fragment, LiteralMode};
pub use frame::{DecodeOptions, Framed, frame, frame_line, read_tag};
pub use response::{
    ResponseOptions, decode_greeting, decode_response, decode_response_with, encode_greeting,
    encode_response, encode_response_with,
};
pub use response_stream::{DEFAULT_STREAM_THRESHOLD, ResponseStream, StreamEvent};

/// Why a decoder did not produce a value.
///
/// `Incomplete` and `Literal` are statuses (wait for more bytes), the others are errors
/// that say how to get back in sync with the peer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// More bytes are needed; nothing was consumed.
    #[error("incomplete input")]
    Incomplete,
    /// More bytes are needed, and they are the data of a literal announced at a line end.
    ///
    /// For a synchronising literal (`non_sync == false`) the peer waits for a `+`
    /// continuation before it sends the data: a server sends one (once per `offset`) if
    /// it accepts a literal of that size, or answers `tag NO`/`BAD` and skips the
    /// `offset` bytes already received. Nothing was consumed.
    #[error("waiting for a literal of {length} octets")]
    Literal {
        /// The message's tag, when it is readable.
        tag: Option<Tag<'static>>,
        /// Announced literal length.
        length: u32,
        /// `{n+}`: the data follows without waiting for `+`.
        non_sync: bool,
        /// `~{n}`: a literal8 (RFC 3516).
        binary: bool,
        /// Offset in the buffer where the literal data starts (just after its CRLF).
        offset: usize,
    },
    /// The framed message is not valid. Skip `consumed` bytes (the whole message with its
    /// literals and final CRLF) and answer `tag BAD reason` (untagged BAD without a tag).
    #[error("invalid input: {reason}")]
    Invalid {
        /// Bytes occupied by the invalid message.
        consumed: usize,
        /// The message's tag, when it is readable.
        tag: Option<Tag<'static>>,
        /// What is wrong, suitable for a response text.
        reason: Cow<'static, str>,
    },
    /// A literal is larger than [`DecodeOptions`] allow.
    ///
    /// `consumed` covers the message up to and including the literal header's CRLF. After
    /// a synchronising literal the peer sends nothing more for this message, so the
    /// receiver answers `tag NO [TOOBIG]` (or `BAD`) and skips `consumed` bytes. A
    /// non-synchronising literal's data is already on its way; the receiver cannot find
    /// the end of the message cheaply and should answer `BAD` and close the connection
    /// (RFC 7888 section 4).
    #[error("literal of {length} octets is too large")]
    LiteralTooLarge {
        /// The message's tag, when it is readable.
        tag: Option<Tag<'static>>,
        /// Announced literal length (saturated at `u64::MAX`).
        length: u64,
        /// Whether the literal was non-synchronising.
        non_sync: bool,
        /// Bytes up to and including the literal header's CRLF.
        consumed: usize,
    },
    /// A line (the text between literals) or the whole message exceeds the limits. The
    /// receiver cannot tell where the message ends: answer `* BYE` and close.
    #[error("line too long")]
    TooLong {
        /// The message's tag, when it is readable.
        tag: Option<Tag<'static>>,
    },
}
