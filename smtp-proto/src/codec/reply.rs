//! Reply decoding and encoding (being written).
use super::DecodeError;
use crate::types::Reply;
use bytes::BytesMut;

/// Decodes one complete (possibly multi-line) reply from the start of `buf`.
pub fn decode_reply(buf: &[u8]) -> Result<(usize, Reply<'_>), DecodeError> {
    let _ = buf;
    todo!("decode_reply is being written")
}

/// Encodes a reply, every line with its CRLF, onto `out`.
pub fn encode_reply(reply: &Reply<'_>, out: &mut BytesMut) {
    let _ = (reply, out);
    todo!("encode_reply is being written")
}
