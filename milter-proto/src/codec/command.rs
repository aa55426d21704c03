//! Commands (MTA to milter): encoding, and decoding for milter implementations and tests.

use std::borrow::Cow;
use std::net::IpAddr;

use bytes::{BufMut, BytesMut};

use super::reader::Reader;
use super::{DecodeError, EncodeError, Frame, decode_frame, encode_frame, put_cstr};
use crate::types::{
    Actions, Address, Command, Connect, Envelope, Macro, MacroStage, OptionNegotiation,
    ProtocolFlags, Text,
};

/// Appends the packet of `command` to `out`.
pub fn encode_command(command: &Command<'_>, out: &mut BytesMut) -> Result<(), EncodeError> {
    encode_frame(command.code(), out, |out| match command {
        Command::OptionNegotiation(options) => {
            out.put_u32(options.version);
            out.put_u32(options.actions.bits());
            out.put_u32(options.protocol.bits());
        }
        Command::Macro { stage, macros } => {
            out.put_u8(stage.command_code());
            for Macro { name, value } in macros {
                put_cstr(out, name.as_bytes());
                put_cstr(out, value.as_bytes());
            }
        }
        Command::Connect(connect) => put_connect(out, connect),
        Command::Helo(text) | Command::Unknown(text) => put_cstr(out, text.as_bytes()),
        Command::Mail(envelope) | Command::Rcpt(envelope) => {
            put_cstr(out, envelope.address.as_bytes());
            for arg in &envelope.args {
                put_cstr(out, arg.as_bytes());
            }
        }
        Command::Header { name, value } => {
            put_cstr(out, name.as_bytes());
            put_cstr(out, value.as_bytes());
        }
        Command::Body(bytes) | Command::EndOfMessage(bytes) => out.put_slice(bytes),
        Command::Data
        | Command::EndOfHeaders
        | Command::Abort
        | Command::Quit
        | Command::QuitNewConnection => {}
    })
}

fn put_connect(out: &mut BytesMut, connect: &Connect<'_>) {
    put_cstr(out, connect.hostname.as_bytes());
    match &connect.address {
        Address::Unknown => out.put_u8(b'U'),
        Address::Inet { ip, port } => {
            out.put_u8(if ip.is_ipv4() { b'4' } else { b'6' });
            out.put_u16(*port);
            put_cstr(out, ip.to_string().as_bytes());
        }
        Address::Unix(path) => {
            out.put_u8(b'L');
            out.put_u16(0);
            put_cstr(out, path.as_bytes());
        }
    }
}

/// Decodes one command whose data is at most `max_data` bytes; returns the bytes it spans.
pub fn decode_command(input: &[u8], max_data: usize) -> Result<(usize, Command<'_>), DecodeError> {
    let (consumed, frame) = decode_frame(input, max_data)?;
    Ok((consumed, parse_command(frame, consumed)?))
}

/// Parses the data of a framed command packet that spans `consumed` bytes.
pub fn parse_command(frame: Frame<'_>, consumed: usize) -> Result<Command<'_>, DecodeError> {
    let mut r = Reader::new(frame.code, frame.data, consumed);
    let command = match frame.code {
        b'O' => Command::OptionNegotiation(OptionNegotiation {
            version: r.u32("version missing")?,
            actions: Actions::from_bits(r.u32("actions missing")?),
            protocol: ProtocolFlags::from_bits(r.u32("protocol flags missing")?),
        }),
        b'D' => parse_macros(&mut r)?,
        b'C' => Command::Connect(parse_connect(&mut r)?),
        b'H' => Command::Helo(r.cstr("HELO name not terminated")?),
        b'M' => Command::Mail(parse_envelope(&mut r)?),
        b'R' => Command::Rcpt(parse_envelope(&mut r)?),
        b'T' => Command::Data,
        b'L' => Command::Header {
            name: r.cstr("header name not terminated")?,
            value: r.cstr("header value not terminated")?,
        },
        b'N' => Command::EndOfHeaders,
        b'B' => return Ok(Command::Body(Cow::Borrowed(frame.data))),
        b'E' => return Ok(Command::EndOfMessage(Cow::Borrowed(frame.data))),
        b'U' => Command::Unknown(r.cstr("command not terminated")?),
        b'A' => Command::Abort,
        b'Q' => Command::Quit,
        b'K' => Command::QuitNewConnection,
        _ => return Err(r.invalid("unknown command")),
    };
    r.finish()?;
    Ok(command)
}

fn parse_macros<'a>(r: &mut Reader<'a>) -> Result<Command<'a>, DecodeError> {
    let code = r.byte("stage missing")?;
    let stage = MacroStage::from_command_code(code).ok_or_else(|| r.invalid("unknown stage"))?;
    let mut macros = Vec::new();
    while !r.is_empty() {
        macros.push(Macro {
            name: r.cstr("macro name not terminated")?,
            value: r.cstr("macro value missing")?,
        });
    }
    Ok(Command::Macro { stage, macros })
}

fn parse_connect<'a>(r: &mut Reader<'a>) -> Result<Connect<'a>, DecodeError> {
    let hostname = r.cstr("host name not terminated")?;
    let family = r.byte("address family missing")?;
    let address = match family {
        b'U' => Address::Unknown,
        b'L' => {
            r.u16("port missing")?;
            Address::Unix(r.cstr("socket path not terminated")?)
        }
        b'4' | b'6' => {
            let port = r.u16("port missing")?;
            let text = r.cstr("address not terminated")?;
            let literal = text.as_bytes();
            let literal = literal.strip_prefix(b"IPv6:").unwrap_or(literal);
            let ip: IpAddr = std::str::from_utf8(literal)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| r.invalid("malformed IP address"))?;
            if ip.is_ipv4() != (family == b'4') {
                return Err(r.invalid("address does not match its family"));
            }
            Address::Inet { ip, port }
        }
        _ => return Err(r.invalid("unknown address family")),
    };
    Ok(Connect { hostname, address })
}

fn parse_envelope<'a>(r: &mut Reader<'a>) -> Result<Envelope<'a>, DecodeError> {
    let address = r.cstr("address not terminated")?;
    let mut args = Vec::new();
    while !r.is_empty() {
        args.push(r.cstr("parameter not terminated")?);
    }
    Ok(Envelope { address, args })
}

impl Envelope<'_> {
    /// A copy that borrows nothing.
    pub fn into_owned(self) -> Envelope<'static> {
        Envelope {
            address: self.address.into_owned(),
            args: self.args.into_iter().map(Text::into_owned).collect(),
        }
    }
}
