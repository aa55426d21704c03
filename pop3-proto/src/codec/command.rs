//! Command lines: `keyword [SP arguments] CRLF` (RFC 1939 section 3).

use std::borrow::Cow;
use std::num::NonZeroU32;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::BytesMut;
use memchr::memchr;
use nom::Parser;
use nom::character::complete::digit1;
use nom::combinator::{all_consuming, map_res};

use super::line::strip_crlf;
use super::{DecodeError, sanitize};
use crate::types::{ApopDigest, Command, CommandKind, Password, SaslData};

/// Decodes one command line from the start of `buf`.
///
/// Returns the bytes consumed (the line with its CRLF) and the command. The line length
/// is not limited here; callers that read from the network frame lines with
/// [`frame_line`](super::frame_line) first.
pub fn decode_command(buf: &[u8]) -> Result<(usize, Command<'_>), DecodeError> {
    let Some(lf) = memchr(b'\n', buf) else {
        return Err(DecodeError::Incomplete);
    };
    let consumed = lf + 1;
    let invalid = |reason| DecodeError::Invalid { consumed, reason };
    let content = strip_crlf(&buf[..consumed]).ok_or_else(|| invalid(crlf_required()))?;
    parse_command_line(content)
        .map(|c| (consumed, c))
        .map_err(invalid)
}

fn crlf_required() -> Cow<'static, str> {
    "lines must end with CRLF".into()
}

/// Parses the content of a command line (without its CRLF).
pub fn parse_command_line(line: &[u8]) -> Result<Command<'_>, Cow<'static, str>> {
    if line.iter().any(|&b| b == 0 || b == b'\r' || b == b'\n') {
        return Err("invalid character in command".into());
    }
    let (word, rest) = match memchr(b' ', line) {
        Some(i) => (&line[..i], Some(&line[i + 1..])),
        None => (line, None),
    };
    let kind = CommandKind::from_keyword(word).ok_or("unknown command")?;
    parse_arguments(kind, rest)
}

fn parse_arguments(
    kind: CommandKind,
    rest: Option<&[u8]>,
) -> Result<Command<'_>, Cow<'static, str>> {
    let args: Vec<&[u8]> = rest
        .map(|r| r.split(|&b| b == b' ').filter(|a| !a.is_empty()).collect())
        .unwrap_or_default();
    let none = |c: Command<'static>| {
        if args.is_empty() {
            Ok(c)
        } else {
            Err(Cow::Borrowed("this command takes no arguments"))
        }
    };
    match kind {
        CommandKind::User => {
            let name = rest.filter(|r| !r.is_empty()).ok_or("USER needs a name")?;
            Ok(Command::User(text(name)?))
        }
        CommandKind::Pass => {
            let password = rest.ok_or("PASS needs a password")?;
            Ok(Command::Pass(Password(Cow::Borrowed(password))))
        }
        CommandKind::Apop => parse_apop(rest.unwrap_or_default()),
        CommandKind::Auth => parse_auth(&args),
        CommandKind::Lang => match args.as_slice() {
            [] => Ok(Command::Lang(None)),
            [tag]
                if tag
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'*') =>
            {
                Ok(Command::Lang(Some(text(tag)?)))
            }
            _ => Err("LANG takes one language range".into()),
        },
        CommandKind::Stls => none(Command::Stls),
        CommandKind::Capa => none(Command::Capa),
        CommandKind::Utf8 => none(Command::Utf8),
        CommandKind::Stat => none(Command::Stat),
        CommandKind::Noop => none(Command::Noop),
        CommandKind::Rset => none(Command::Rset),
        CommandKind::Quit => none(Command::Quit),
        CommandKind::List => optional_msg(&args).map(Command::List),
        CommandKind::Uidl => optional_msg(&args).map(Command::Uidl),
        CommandKind::Retr => one_msg(&args).map(Command::Retr),
        CommandKind::Dele => one_msg(&args).map(Command::Dele),
        CommandKind::Top => match args.as_slice() {
            [msg, lines] => Ok(Command::Top {
                msg: message_number(msg)?,
                lines: number(lines).ok_or("invalid line count")?,
            }),
            _ => Err("TOP needs a message number and a line count".into()),
        },
    }
}

fn parse_apop(rest: &[u8]) -> Result<Command<'_>, Cow<'static, str>> {
    let rest = rest.trim_ascii_end();
    let split = rest
        .iter()
        .rposition(|&b| b == b' ')
        .ok_or("APOP needs a name and a digest")?;
    let name = rest[..split].trim_ascii_end();
    if name.is_empty() || name.contains(&b' ') {
        return Err("invalid APOP name".into());
    }
    let digest = std::str::from_utf8(&rest[split + 1..])
        .ok()
        .and_then(ApopDigest::from_hex)
        .ok_or("the APOP digest must be 32 hexadecimal digits")?;
    Ok(Command::Apop {
        name: text(name)?,
        digest,
    })
}

fn parse_auth<'a>(args: &[&'a [u8]]) -> Result<Command<'a>, Cow<'static, str>> {
    let (mechanism, initial) = match args {
        [m] => (*m, None),
        [m, i] => (*m, Some(*i)),
        [] => return Err("AUTH needs a mechanism".into()),
        _ => return Err("too many AUTH arguments".into()),
    };
    let valid_mech = mechanism.len() <= 20
        && mechanism
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid_mech {
        return Err("invalid SASL mechanism name".into());
    }
    let initial_response = match initial {
        None => None,
        Some(b"=") => Some(SaslData::default()),
        Some(b64) => Some(SaslData(
            BASE64
                .decode(b64)
                .map_err(|_| "invalid base64 in initial response")?,
        )),
    };
    let mechanism = match text(mechanism)? {
        Cow::Borrowed(m) if m.bytes().any(|b| b.is_ascii_lowercase()) => {
            Cow::Owned(m.to_ascii_uppercase())
        }
        m => m,
    };
    Ok(Command::Auth {
        mechanism,
        initial_response,
    })
}

fn text(bytes: &[u8]) -> Result<Cow<'_, str>, Cow<'static, str>> {
    let s = std::str::from_utf8(bytes).map_err(|_| "argument is not valid UTF-8")?;
    if s.chars().any(char::is_control) {
        return Err("control character in argument".into());
    }
    Ok(Cow::Borrowed(s))
}

/// A decimal number without sign that fits in `u32`.
fn number(bytes: &[u8]) -> Option<u32> {
    let mut parser = all_consuming(map_res(digit1::<&[u8], nom::error::Error<&[u8]>>, |d| {
        std::str::from_utf8(d)
            .map_err(|_| ())
            .and_then(|s| s.parse::<u32>().map_err(|_| ()))
    }));
    parser.parse(bytes).ok().map(|(_, n)| n)
}

fn message_number(bytes: &[u8]) -> Result<NonZeroU32, Cow<'static, str>> {
    number(bytes)
        .and_then(NonZeroU32::new)
        .ok_or_else(|| "invalid message number".into())
}

fn optional_msg(args: &[&[u8]]) -> Result<Option<NonZeroU32>, Cow<'static, str>> {
    match args {
        [] => Ok(None),
        [m] => message_number(m).map(Some),
        _ => Err("too many arguments".into()),
    }
}

fn one_msg(args: &[&[u8]]) -> Result<NonZeroU32, Cow<'static, str>> {
    match args {
        [m] => message_number(m),
        [] => Err("a message number is required".into()),
        _ => Err("too many arguments".into()),
    }
}

/// Appends the command line, CRLF included. CR, LF and NUL inside text arguments are
/// replaced with spaces so a value can never inject a second command.
pub fn encode_command(command: &Command<'_>, out: &mut BytesMut) {
    out.extend_from_slice(command.kind().keyword().as_bytes());
    let arg = |out: &mut BytesMut, bytes: &[u8]| {
        out.extend_from_slice(b" ");
        sanitize(bytes, out);
    };
    match command {
        Command::User(name) => arg(out, name.as_bytes()),
        Command::Pass(p) => arg(out, p.expose()),
        Command::Apop { name, digest } => {
            arg(out, name.as_bytes());
            arg(out, digest.to_hex().as_bytes());
        }
        Command::Auth {
            mechanism,
            initial_response,
        } => {
            arg(out, mechanism.as_bytes());
            match initial_response {
                Some(d) if d.0.is_empty() => arg(out, b"="),
                Some(d) => arg(out, BASE64.encode(&d.0).as_bytes()),
                None => {}
            }
        }
        Command::Lang(Some(tag)) => arg(out, tag.as_bytes()),
        Command::List(Some(n)) | Command::Uidl(Some(n)) | Command::Retr(n) | Command::Dele(n) => {
            arg(out, n.to_string().as_bytes());
        }
        Command::Top { msg, lines } => {
            arg(out, msg.to_string().as_bytes());
            arg(out, lines.to_string().as_bytes());
        }
        Command::Lang(None)
        | Command::List(None)
        | Command::Uidl(None)
        | Command::Stls
        | Command::Capa
        | Command::Utf8
        | Command::Stat
        | Command::Noop
        | Command::Rset
        | Command::Quit => {}
    }
    out.extend_from_slice(b"\r\n");
}
