//! Client lines that are not commands: `DONE` ending IDLE (RFC 2177) and the responses
//! of an AUTHENTICATE exchange.

use std::borrow::Cow;

use bytes::{BufMut, BytesMut};

use super::DecodeError;
use super::command::sasl_response;
use super::encode::Encoder;
use super::frame::frame_line;
use crate::types::Secret;

/// A client's answer to an AUTHENTICATE challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthenticateResponse {
    /// Base64-decoded response bytes. An empty response is an empty line: the `=` that
    /// stands for an empty response exists only for the initial response on the
    /// AUTHENTICATE command line (RFC 9051 section 6.2.2, RFC 4959).
    Data(Secret<Vec<u8>>),
    /// `*`: the client cancels the exchange (the server answers `tag BAD`).
    Cancel,
}

fn line_content(line: &[u8]) -> Result<&[u8], Cow<'static, str>> {
    line.strip_suffix(b"\r\n")
        .ok_or(Cow::Borrowed("line must end with CRLF"))
}

/// Decodes one AUTHENTICATE response line (`base64 CRLF` or `* CRLF`).
pub fn decode_authenticate_response(
    buf: &[u8],
    max_line: usize,
) -> Result<(usize, AuthenticateResponse), DecodeError> {
    let len = frame_line(buf, max_line)?;
    let invalid = |reason| DecodeError::Invalid {
        consumed: len,
        tag: None,
        reason,
    };
    let content = line_content(&buf[..len]).map_err(invalid)?;
    if content == b"*" {
        return Ok((len, AuthenticateResponse::Cancel));
    }
    if content.is_empty() {
        return Ok((len, AuthenticateResponse::Data(Secret(Vec::new()))));
    }
    if content == b"=" {
        return Err(invalid(Cow::Borrowed(
            "\"=\" is only for an empty initial response; send an empty line",
        )));
    }
    match sasl_response(content) {
        Ok((b"", data)) => Ok((len, AuthenticateResponse::Data(Secret(data)))),
        _ => Err(invalid(Cow::Borrowed("invalid base64"))),
    }
}

/// Encodes an AUTHENTICATE response line.
pub fn encode_authenticate_response(response: &AuthenticateResponse, out: &mut BytesMut) {
    match response {
        AuthenticateResponse::Cancel => out.put_slice(b"*\r\n"),
        // An empty response to a challenge is an empty line, never `=`.
        AuthenticateResponse::Data(data) if data.expose().is_empty() => out.put_slice(b"\r\n"),
        AuthenticateResponse::Data(data) => {
            let mut e = Encoder::default();
            super::command_encode::write_sasl(&mut e, data.expose());
            e.crlf();
            e.finish_into(out);
        }
    }
}

/// Decodes the `DONE` line that ends IDLE (case-insensitive). Any other line is
/// `Invalid`; RFC 2177 leaves the reaction to the server (most answer BAD and end IDLE).
pub fn decode_idle_done(buf: &[u8], max_line: usize) -> Result<usize, DecodeError> {
    let len = frame_line(buf, max_line)?;
    match line_content(&buf[..len]) {
        Ok(content) if content.eq_ignore_ascii_case(b"DONE") => Ok(len),
        _ => Err(DecodeError::Invalid {
            consumed: len,
            tag: None,
            reason: Cow::Borrowed("expected DONE"),
        }),
    }
}

/// Encodes `DONE`.
pub fn encode_idle_done(out: &mut BytesMut) {
    out.put_slice(b"DONE\r\n");
}
