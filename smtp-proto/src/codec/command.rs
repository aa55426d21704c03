//! Command decoding and encoding (being written).
use super::DecodeError;
use crate::types::Command;
use bytes::BytesMut;

/// Decodes one command line from the start of `buf`.
pub fn decode_command(buf: &[u8]) -> Result<(usize, Command<'_>), DecodeError> {
    let _ = buf;
    todo!("decode_command is being written")
}

/// Encodes a command line, with its CRLF, onto `out`.
pub fn encode_command(command: &Command<'_>, out: &mut BytesMut) {
    let _ = (command, out);
    todo!("encode_command is being written")
}
