//! tokio-util codecs (feature `tokio`): command lines for servers, status lines for
//! clients. They frame single lines only; multi-line bodies and the session rules belong
//! to the state machines in [`server`](crate::server) and [`client`](crate::client),
//! which the `maildrop` example drives over a socket.

use std::borrow::Cow;

use bytes::{Buf, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::codec::{
    LineFrame, encode_command, encode_response, frame_line, parse_command_line,
    parse_response_line, skip_line,
};
use crate::types::{Command, Response};

/// Errors of the codecs.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The underlying stream failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A response line was not valid (fatal for a client).
    #[error("invalid response: {reason}")]
    InvalidResponse {
        /// What is wrong.
        reason: Cow<'static, str>,
    },
    /// A response line exceeded the limit.
    #[error("response line too long")]
    LineTooLong,
}

/// Decodes command lines and encodes commands. An invalid or overlong command line is
/// yielded as `Err(reason)` (after skipping exactly that line), so a server can answer
/// `-ERR` and keep reading.
#[derive(Debug, Clone)]
pub struct CommandCodec {
    max_line_length: usize,
    skipping: bool,
}

impl CommandCodec {
    /// A codec with the given line limit (CRLF included; at least 255).
    pub fn new(max_line_length: usize) -> Self {
        Self {
            max_line_length: max_line_length.max(255),
            skipping: false,
        }
    }
}

impl Default for CommandCodec {
    fn default() -> Self {
        Self::new(255)
    }
}

impl Decoder for CommandCodec {
    type Item = Result<Command<'static>, Cow<'static, str>>;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, CodecError> {
        if self.skipping {
            let (n, complete) = skip_line(src);
            src.advance(n);
            if !complete {
                return Ok(None);
            }
            self.skipping = false;
            return Ok(Some(Err("line too long".into())));
        }
        match frame_line(src, self.max_line_length) {
            LineFrame::Incomplete => Ok(None),
            LineFrame::TooLong { discard, complete } => {
                src.advance(discard);
                if complete {
                    Ok(Some(Err("line too long".into())))
                } else {
                    self.skipping = true;
                    Ok(None)
                }
            }
            LineFrame::Complete { len } => {
                let line = src.split_to(len);
                let Some(content) = line.strip_suffix(b"\r\n") else {
                    return Ok(Some(Err("lines must end with CRLF".into())));
                };
                Ok(Some(parse_command_line(content).map(Command::into_owned)))
            }
        }
    }
}

impl Encoder<&Command<'_>> for CommandCodec {
    type Error = CodecError;

    fn encode(&mut self, item: &Command<'_>, dst: &mut BytesMut) -> Result<(), CodecError> {
        encode_command(item, dst);
        Ok(())
    }
}

/// Decodes status lines (`+OK`, `-ERR`, `+ base64`) and encodes responses.
#[derive(Debug, Clone)]
pub struct ResponseCodec {
    max_line_length: usize,
}

impl ResponseCodec {
    /// A codec with the given line limit (CRLF included; at least 512).
    pub fn new(max_line_length: usize) -> Self {
        Self {
            max_line_length: max_line_length.max(512),
        }
    }
}

impl Default for ResponseCodec {
    fn default() -> Self {
        Self::new(4096)
    }
}

impl Decoder for ResponseCodec {
    type Item = Response<'static>;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, CodecError> {
        match frame_line(src, self.max_line_length) {
            LineFrame::Incomplete => Ok(None),
            LineFrame::TooLong { .. } => Err(CodecError::LineTooLong),
            LineFrame::Complete { len } => {
                let line = src.split_to(len);
                let content = line
                    .strip_suffix(b"\r\n")
                    .ok_or(CodecError::InvalidResponse {
                        reason: "lines must end with CRLF".into(),
                    })?;
                parse_response_line(content)
                    .map(|r| Some(r.into_owned()))
                    .map_err(|reason| CodecError::InvalidResponse { reason })
            }
        }
    }
}

impl Encoder<&Response<'_>> for ResponseCodec {
    type Error = CodecError;

    fn encode(&mut self, item: &Response<'_>, dst: &mut BytesMut) -> Result<(), CodecError> {
        encode_response(item, dst);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_codec_skips_bad_lines() {
        let mut codec = CommandCodec::default();
        let mut buf = BytesMut::from(&b"STAT\r\nBOGUS\r\n"[..]);
        buf.extend_from_slice(&[b'x'; 300]);
        buf.extend_from_slice(b"\r\nQUIT\r\n");
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(Ok(Command::Stat)));
        assert!(matches!(codec.decode(&mut buf).unwrap(), Some(Err(_))));
        assert_eq!(
            codec.decode(&mut buf).unwrap(),
            Some(Err("line too long".into()))
        );
        assert_eq!(codec.decode(&mut buf).unwrap(), Some(Ok(Command::Quit)));
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
    }

    #[test]
    fn response_codec_decodes_status() {
        let mut codec = ResponseCodec::default();
        let mut buf = BytesMut::from(&b"+OK 2 320\r\n-ERR\r\n"[..]);
        assert!(codec.decode(&mut buf).unwrap().is_some_and(|r| r.is_ok()));
        assert!(codec.decode(&mut buf).unwrap().is_some_and(|r| !r.is_ok()));
        let mut bad = BytesMut::from(&b"HELLO\r\n"[..]);
        assert!(codec.decode(&mut bad).is_err());
    }
}
