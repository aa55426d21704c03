//! Response lines: `+OK`, `-ERR` with optional `[code]` (RFC 2449 section 8) and the
//! `+ base64` continuation of RFC 5034.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::BytesMut;
use memchr::memchr;

use super::line::strip_crlf;
use super::{DecodeError, sanitize};
use crate::types::{Response, ResponseCode, SaslData, Status};

/// Decodes one response line from the start of `buf`; returns the bytes consumed (the
/// line with its CRLF) and the response.
pub fn decode_response(buf: &[u8]) -> Result<(usize, Response<'_>), DecodeError> {
    let Some(lf) = memchr(b'\n', buf) else {
        return Err(DecodeError::Incomplete);
    };
    let consumed = lf + 1;
    let invalid = |reason| DecodeError::Invalid { consumed, reason };
    let content =
        strip_crlf(&buf[..consumed]).ok_or_else(|| invalid("lines must end with CRLF".into()))?;
    parse_response_line(content)
        .map(|r| (consumed, r))
        .map_err(invalid)
}

/// Parses the content of a response line (without its CRLF).
pub fn parse_response_line(line: &[u8]) -> Result<Response<'_>, Cow<'static, str>> {
    if line.contains(&b'\r') {
        return Err("bare CR in response".into());
    }
    if let Some(rest) = strip_indicator(line, b"+OK") {
        return Ok(Response::Ok(parse_status(rest)));
    }
    if let Some(rest) = strip_indicator(line, b"-ERR") {
        return Ok(Response::Err(parse_status(rest)));
    }
    if let Some(rest) = strip_indicator(line, b"+") {
        let data = BASE64
            .decode(rest.trim_ascii())
            .map_err(|_| "invalid base64 in SASL challenge")?;
        return Ok(Response::Continue(SaslData(data)));
    }
    Err("response does not start with +OK, -ERR or +".into())
}

/// The text after `indicator` if the line is `indicator` alone or `indicator SP ...`.
fn strip_indicator<'a>(line: &'a [u8], indicator: &[u8]) -> Option<&'a [u8]> {
    let head = line.get(..indicator.len())?;
    if !head.eq_ignore_ascii_case(indicator) {
        return None;
    }
    match &line[indicator.len()..] {
        [] => Some(&[]),
        [b' ', rest @ ..] => Some(rest),
        _ => None,
    }
}

fn parse_status(rest: &[u8]) -> Status<'_> {
    if let Some(after) = rest.strip_prefix(b"[")
        && let Some(end) = memchr(b']', after)
        && let Ok(code) = std::str::from_utf8(&after[..end])
        && let Some(code) = ResponseCode::parse(code)
    {
        let text = &after[end + 1..];
        let text = text.strip_prefix(b" ").unwrap_or(text);
        return Status {
            code: Some(code),
            text: String::from_utf8_lossy(text),
        };
    }
    Status::new(String::from_utf8_lossy(rest))
}

/// Appends the response line, CRLF included. CR, LF and NUL in the text become spaces.
pub fn encode_response(response: &Response<'_>, out: &mut BytesMut) {
    let (indicator, status) = match response {
        Response::Ok(s) => ("+OK", s),
        Response::Err(s) => ("-ERR", s),
        Response::Continue(data) => {
            out.extend_from_slice(b"+ ");
            out.extend_from_slice(BASE64.encode(&data.0).as_bytes());
            out.extend_from_slice(b"\r\n");
            return;
        }
    };
    out.extend_from_slice(indicator.as_bytes());
    if let Some(code) = &status.code {
        out.extend_from_slice(b" [");
        sanitize(code.as_str().as_bytes(), out);
        out.extend_from_slice(b"]");
    }
    if !status.text.is_empty() {
        out.extend_from_slice(b" ");
        sanitize(status.text.as_bytes(), out);
    }
    out.extend_from_slice(b"\r\n");
}
