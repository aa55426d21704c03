//! tokio-util `Decoder`/`Encoder` implementations for command lines and replies.

use std::borrow::Cow;
use std::io;

use bytes::{Buf, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::codec::{
    CommandError, DecodeError, LineFrame, decode_reply, encode_command, encode_reply, frame_line,
    parse_command_line, skip_line,
};
use crate::types::{Command, Reply};

/// Errors of the codecs. After an error a framed stream ends.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// Reading or writing failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The server sent something that is not a reply (or one over the size limits);
    /// the stream cannot be resynchronised, so the connection should be closed.
    #[error("invalid reply: {reason}")]
    InvalidReply {
        /// What is wrong.
        reason: Cow<'static, str>,
    },
}

/// One command line as decoded by [`CommandCodec`]. Invalid lines are items, not
/// errors, so that the server can answer them and keep reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A valid command.
    Command(Command<'static>),
    /// A line that is not a valid command; answer it (e.g. `500`/`501`) and go on.
    Invalid(CommandError),
    /// A line longer than the limit, already discarded; answer `500 5.5.6`.
    LineTooLong,
}

/// Server-side codec: decodes command lines, encodes replies.
///
/// Lines longer than the limit are discarded as they arrive (never buffered) and
/// reported as [`Incoming::LineTooLong`] once they end.
#[derive(Debug, Clone)]
pub struct CommandCodec {
    max_line_length: usize,
    /// Inside an overlong line whose end has not arrived yet.
    skipping: bool,
}

impl CommandCodec {
    /// A codec accepting command lines of up to `max_line_length` bytes (CRLF included;
    /// raised to RFC 5321's 512 if lower).
    pub fn new(max_line_length: usize) -> Self {
        Self {
            max_line_length: max_line_length.max(512),
            skipping: false,
        }
    }
}

impl Default for CommandCodec {
    /// Lines of up to 4096 bytes, like the server's default.
    fn default() -> Self {
        Self::new(4096)
    }
}

impl Decoder for CommandCodec {
    type Item = Incoming;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Incoming>, CodecError> {
        if self.skipping {
            let (len, complete) = skip_line(src);
            src.advance(len);
            if !complete {
                return Ok(None);
            }
            self.skipping = false;
            return Ok(Some(Incoming::LineTooLong));
        }
        match frame_line(src, self.max_line_length) {
            LineFrame::Incomplete => Ok(None),
            LineFrame::TooLong { discard, complete } => {
                src.advance(discard);
                self.skipping = !complete;
                Ok(complete.then_some(Incoming::LineTooLong))
            }
            LineFrame::Complete { len } => {
                let line = src.split_to(len);
                Ok(Some(match parse_command_line(&line) {
                    Ok(command) => Incoming::Command(command.into_owned()),
                    Err(error) => Incoming::Invalid(error),
                }))
            }
        }
    }
}

impl Encoder<Reply<'_>> for CommandCodec {
    type Error = CodecError;

    fn encode(&mut self, reply: Reply<'_>, dst: &mut BytesMut) -> Result<(), CodecError> {
        encode_reply(&reply, dst);
        Ok(())
    }
}

/// Client-side codec: decodes replies (bounded: 4096-byte lines, 256 lines, 64 KiB),
/// encodes commands. The caller writes `BDAT` chunk bytes and dot-stuffed `DATA` bodies
/// itself (see [`DotStuffer`](crate::client::DotStuffer)).
#[derive(Debug, Clone, Default)]
pub struct ReplyCodec;

impl Decoder for ReplyCodec {
    type Item = Reply<'static>;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Reply<'static>>, CodecError> {
        match decode_reply(src) {
            Ok((len, reply)) => {
                let reply = reply.into_owned();
                src.advance(len);
                Ok(Some(reply))
            }
            Err(DecodeError::Incomplete) => Ok(None),
            Err(DecodeError::Invalid { reason, .. }) => Err(CodecError::InvalidReply { reason }),
        }
    }
}

impl Encoder<Command<'_>> for ReplyCodec {
    type Error = CodecError;

    fn encode(&mut self, command: Command<'_>, dst: &mut BytesMut) -> Result<(), CodecError> {
        encode_command(&command, dst);
        Ok(())
    }
}
