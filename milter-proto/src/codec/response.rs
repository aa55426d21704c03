//! Responses (milter to MTA): decoding for the client, encoding for milters and tests.

use std::borrow::Cow;

use bytes::{BufMut, BytesMut};

use super::reader::Reader;
use super::{DecodeError, EncodeError, Frame, decode_frame, encode_frame, put_cstr};
use crate::types::{
    Actions, MacroRequest, MacroStage, NegotiationReply, ProtocolFlags, Reply, Response, Text,
};

/// Appends the packet of `response` to `out`.
pub fn encode_response(response: &Response<'_>, out: &mut BytesMut) -> Result<(), EncodeError> {
    encode_frame(response.code(), out, |out| match response {
        Response::OptionNegotiation(reply) => {
            out.put_u32(reply.version);
            out.put_u32(reply.actions.bits());
            out.put_u32(reply.protocol.bits());
            for request in &reply.macro_requests {
                put_macro_request(out, request);
            }
        }
        Response::ReplyCode(reply) => put_cstr(out, reply.to_milter().as_bytes()),
        Response::AddHeader { name, value } => {
            put_cstr(out, name.as_bytes());
            put_cstr(out, value.as_bytes());
        }
        Response::InsertHeader { index, name, value }
        | Response::ChangeHeader { index, name, value } => {
            out.put_u32(*index);
            put_cstr(out, name.as_bytes());
            put_cstr(out, value.as_bytes());
        }
        Response::AddRecipient(text)
        | Response::DeleteRecipient(text)
        | Response::Quarantine(text) => put_cstr(out, text.as_bytes()),
        Response::AddRecipientWithArgs { address, args }
        | Response::ChangeFrom { address, args } => {
            put_cstr(out, address.as_bytes());
            if let Some(args) = args {
                put_cstr(out, args.as_bytes());
            }
        }
        Response::ReplaceBody(bytes) => out.put_slice(bytes),
        Response::SetSymbolList(request) => put_macro_request(out, request),
        Response::Accept
        | Response::Continue
        | Response::Discard
        | Response::Reject
        | Response::TempFail
        | Response::Skip
        | Response::Progress
        | Response::Shutdown
        | Response::ConnectionFailure => {}
    })
}

fn put_macro_request(out: &mut BytesMut, request: &MacroRequest<'_>) {
    // Stages without an index cannot be requested; 0xffff_ffff makes a decoder refuse it.
    out.put_u32(request.stage.symbol_list_index().unwrap_or(u32::MAX));
    put_cstr(out, request.names.as_bytes());
}

/// Decodes one response whose data is at most `max_data` bytes; returns the bytes it spans.
pub fn decode_response(
    input: &[u8],
    max_data: usize,
) -> Result<(usize, Response<'_>), DecodeError> {
    let (consumed, frame) = decode_frame(input, max_data)?;
    Ok((consumed, parse_response(frame, consumed)?))
}

/// Parses the data of a framed response packet that spans `consumed` bytes.
pub fn parse_response(frame: Frame<'_>, consumed: usize) -> Result<Response<'_>, DecodeError> {
    let mut r = Reader::new(frame.code, frame.data, consumed);
    let response = match frame.code {
        b'O' => Response::OptionNegotiation(parse_negotiation(&mut r)?),
        b'a' => Response::Accept,
        b'c' => Response::Continue,
        b'd' => Response::Discard,
        b'r' => Response::Reject,
        b't' => Response::TempFail,
        b's' => Response::Skip,
        b'p' => Response::Progress,
        b'4' => Response::Shutdown,
        b'f' => Response::ConnectionFailure,
        b'y' => {
            let text = r.cstr("reply not terminated")?;
            let reply =
                Reply::parse(text.as_bytes()).map_err(|_| r.invalid("malformed SMTP reply"))?;
            Response::ReplyCode(reply)
        }
        b'h' => Response::AddHeader {
            name: r.cstr("header name not terminated")?,
            value: r.cstr("header value not terminated")?,
        },
        b'i' => Response::InsertHeader {
            index: r.u32("index missing")?,
            name: r.cstr("header name not terminated")?,
            value: r.cstr("header value not terminated")?,
        },
        b'm' => Response::ChangeHeader {
            index: r.u32("index missing")?,
            name: r.cstr("header name not terminated")?,
            value: r.cstr("header value not terminated")?,
        },
        b'+' => Response::AddRecipient(r.cstr("recipient not terminated")?),
        b'-' => Response::DeleteRecipient(r.cstr("recipient not terminated")?),
        b'2' => Response::AddRecipientWithArgs {
            address: r.cstr("recipient not terminated")?,
            args: r.optional_cstr("parameters not terminated")?,
        },
        b'e' => Response::ChangeFrom {
            address: r.cstr("sender not terminated")?,
            args: r.optional_cstr("parameters not terminated")?,
        },
        b'q' => Response::Quarantine(r.cstr("reason not terminated")?),
        b'b' => return Ok(Response::ReplaceBody(Cow::Borrowed(frame.data))),
        b'l' => Response::SetSymbolList(parse_macro_request(&mut r)?),
        _ => return Err(r.invalid("unknown response")),
    };
    r.finish()?;
    Ok(response)
}

fn parse_negotiation<'a>(r: &mut Reader<'a>) -> Result<NegotiationReply<'a>, DecodeError> {
    let version = r.u32("version missing")?;
    let actions = Actions::from_bits(r.u32("actions missing")?);
    let protocol = ProtocolFlags::from_bits(r.u32("protocol flags missing")?);
    let mut macro_requests = Vec::new();
    while !r.is_empty() {
        macro_requests.push(parse_macro_request(r)?);
    }
    Ok(NegotiationReply {
        version,
        actions,
        protocol,
        macro_requests,
    })
}

fn parse_macro_request<'a>(r: &mut Reader<'a>) -> Result<MacroRequest<'a>, DecodeError> {
    let index = r.u32("macro stage missing")?;
    let stage = MacroStage::from_symbol_list_index(index)
        .ok_or_else(|| r.invalid("unknown macro stage"))?;
    let names: Text<'a> = r.cstr("macro list not terminated")?;
    Ok(MacroRequest { stage, names })
}
