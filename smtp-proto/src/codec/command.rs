//! Command decoding and encoding (RFC 5321 section 4.1 and the ESMTP extensions).
//!
//! Leniency, decided against RFC 5321 and what Postfix accepts from real clients:
//! - verbs and parameter keywords are case-insensitive;
//! - `MAIL FROM: <a@b>` (spaces after the colon) is accepted, as Postfix does; the path
//!   itself must be in angle brackets (Postfix's `strict_rfc821_envelopes = yes`);
//! - runs of spaces between parameters and trailing spaces are accepted;
//! - EHLO/HELO/LHLO take any single word of printable text (Windows clients send NetBIOS
//!   names with underscores); judging it is left to the application.
//!
//! Strict where it matters for security: a line must end in CRLF (a bare LF ends the line
//! for framing but makes it invalid, so the session never desynchronises), bare CR and
//! NUL are rejected, and the text must be UTF-8.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{BufMut, BytesMut};
use memchr::{memchr, memchr3};

use super::DecodeError;
use super::line::{split_once_byte, words};
use super::params::{encode_mail_params, encode_rcpt_params, parse_mail_params, parse_rcpt_params};
use super::path::{encode_path, forward_path, reverse_path};
use crate::types::{Command, MailFrom, RcptTo};

/// Why a framed command line is invalid, with enough detail to pick a reply code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct CommandError {
    /// What kind of problem it is.
    pub kind: CommandErrorKind,
    /// The verb, upper-cased, when it was recognised (e.g. `"MAIL"`).
    pub verb: Option<&'static str>,
    /// What is wrong, suitable for a reply text.
    pub reason: Cow<'static, str>,
}

/// Classes of command line errors; each maps to one reply code in a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommandErrorKind {
    /// The line ends in a bare LF, or contains a bare CR or NUL.
    LineEnding,
    /// The line is not UTF-8.
    Encoding,
    /// The verb is not a known command (500 5.5.2).
    UnknownCommand,
    /// The arguments do not follow the command's syntax (501 5.5.4).
    Syntax,
    /// The path in MAIL or RCPT is malformed (501 5.1.7 / 5.1.3).
    Address,
    /// An ESMTP parameter is malformed or repeated (501 5.5.4).
    Parameter,
}

impl CommandError {
    fn new(kind: CommandErrorKind, verb: Option<&'static str>, reason: &'static str) -> Self {
        Self {
            kind,
            verb,
            reason: Cow::Borrowed(reason),
        }
    }
}

/// Decodes one command line from the start of `buf`.
///
/// Returns the number of bytes consumed (the line and its CRLF). This function does not
/// limit the line length: a server frames with [`frame_line`](super::frame_line) first.
pub fn decode_command(buf: &[u8]) -> Result<(usize, Command<'_>), DecodeError> {
    let Some(lf) = memchr(b'\n', buf) else {
        return Err(DecodeError::Incomplete);
    };
    let consumed = lf + 1;
    parse_command_line(&buf[..consumed])
        .map(|command| (consumed, command))
        .map_err(|e| DecodeError::Invalid {
            consumed,
            reason: e.reason,
        })
}

/// Parses one complete, already framed command line (ending in LF, normally CRLF).
pub fn parse_command_line(line: &[u8]) -> Result<Command<'_>, CommandError> {
    use CommandErrorKind::{Encoding, LineEnding};
    let content = match line {
        [content @ .., b'\r', b'\n'] => content,
        [.., b'\n'] => {
            return Err(CommandError::new(
                LineEnding,
                None,
                "line must end with CRLF",
            ));
        }
        _ => return Err(CommandError::new(LineEnding, None, "line has no end")),
    };
    if memchr3(b'\r', b'\n', 0, content).is_some() {
        return Err(CommandError::new(
            LineEnding,
            None,
            "bare CR, LF or NUL in command",
        ));
    }
    let text = std::str::from_utf8(content)
        .map_err(|_| CommandError::new(Encoding, None, "command is not valid UTF-8"))?;
    parse_command_text(text)
}

/// The command verbs, upper case.
const VERBS: [&str; 15] = [
    "EHLO", "HELO", "LHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "NOOP", "QUIT", "VRFY", "EXPN",
    "HELP", "STARTTLS", "AUTH",
];

/// The verb `word` names (case-insensitive), as its upper-case entry in [`VERBS`].
fn lookup_verb(word: &str) -> Option<&'static str> {
    // Every verb but STARTTLS has four letters: compare them as one upper-cased word.
    let Ok(bytes) = <[u8; 4]>::try_from(word.as_bytes()) else {
        return word.eq_ignore_ascii_case("STARTTLS").then_some("STARTTLS");
    };
    let upper = u32::from_be_bytes(bytes.map(|b| b.to_ascii_uppercase()));
    VERBS
        .into_iter()
        .find(|v| v.len() == 4 && v.as_bytes() == upper.to_be_bytes())
}

fn parse_command_text(text: &str) -> Result<Command<'_>, CommandError> {
    let (word, args) = match split_once_byte(text, b' ') {
        Some((w, a)) => (w, a),
        None => (text, ""),
    };
    let Some(verb) = lookup_verb(word) else {
        return Err(CommandError::new(
            CommandErrorKind::UnknownCommand,
            None,
            "command not recognized",
        ));
    };
    let syntax = |reason| CommandError::new(CommandErrorKind::Syntax, Some(verb), reason);
    let trimmed = args.trim_matches(' ');
    let no_args = |command: Command<'static>| {
        if trimmed.is_empty() {
            Ok(command)
        } else {
            Err(syntax("command takes no arguments"))
        }
    };
    match verb {
        "EHLO" => hello(trimmed)
            .map(Command::Ehlo)
            .ok_or_else(|| syntax("Syntax: EHLO hostname")),
        "HELO" => hello(trimmed)
            .map(Command::Helo)
            .ok_or_else(|| syntax("Syntax: HELO hostname")),
        "LHLO" => hello(trimmed)
            .map(Command::Lhlo)
            .ok_or_else(|| syntax("Syntax: LHLO hostname")),
        "MAIL" => parse_mail(args).map(Command::Mail),
        "RCPT" => parse_rcpt(args).map(Command::Rcpt),
        "DATA" => no_args(Command::Data),
        "RSET" => no_args(Command::Rset),
        "QUIT" => no_args(Command::Quit),
        "STARTTLS" => no_args(Command::StartTls),
        "NOOP" => Ok(Command::Noop(optional_text(trimmed))),
        "HELP" => Ok(Command::Help(optional_text(trimmed))),
        "VRFY" => optional_text(trimmed)
            .map(Command::Vrfy)
            .ok_or_else(|| syntax("Syntax: VRFY address")),
        "EXPN" => optional_text(trimmed)
            .map(Command::Expn)
            .ok_or_else(|| syntax("Syntax: EXPN list")),
        "BDAT" => parse_bdat(trimmed).ok_or_else(|| syntax("Syntax: BDAT size [LAST]")),
        "AUTH" => parse_auth(trimmed),
        _ => unreachable!("every entry of VERBS has a branch"),
    }
}

/// The argument of EHLO/HELO/LHLO: one word of printable text.
fn hello(arg: &str) -> Option<Cow<'_, str>> {
    let printable_ascii = arg.bytes().all(|b| b.is_ascii_graphic());
    let valid =
        !arg.is_empty() && (printable_ascii || arg.chars().all(|c| !c.is_control() && c != ' '));
    valid.then_some(Cow::Borrowed(arg))
}

fn optional_text(arg: &str) -> Option<Cow<'_, str>> {
    let printable_ascii = arg.bytes().all(|b| matches!(b, b' '..=b'~'));
    let valid = !arg.is_empty() && (printable_ascii || !arg.chars().any(char::is_control));
    valid.then_some(Cow::Borrowed(arg))
}

/// Splits `FROM:`/`TO:` (any case) followed by optional spaces or tabs (accepted for
/// real-world clients).
fn after_keyword<'t>(args: &'t str, keyword: &'static str) -> Option<&'t str> {
    let head = args.as_bytes().get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword.as_bytes()) {
        return None;
    }
    Some(args[keyword.len()..].trim_start_matches([' ', '\t']))
}

/// What follows a path must be nothing or parameters separated by spaces.
fn params_after_path(rest: &str) -> Option<&str> {
    (rest.is_empty() || rest.starts_with(' ')).then_some(rest)
}

fn parse_mail(args: &str) -> Result<MailFrom<'_>, CommandError> {
    let verb = Some("MAIL");
    let rest = after_keyword(args, "FROM:").ok_or_else(|| {
        CommandError::new(
            CommandErrorKind::Syntax,
            verb,
            "Syntax: MAIL FROM:<address>",
        )
    })?;
    let bad_path =
        || CommandError::new(CommandErrorKind::Address, verb, "bad sender address syntax");
    let (rest, sender) = reverse_path(rest).map_err(|_| bad_path())?;
    let rest = params_after_path(rest).ok_or_else(bad_path)?;
    let params = parse_mail_params(rest).map_err(|reason| CommandError {
        kind: CommandErrorKind::Parameter,
        verb,
        reason,
    })?;
    Ok(MailFrom { sender, params })
}

fn parse_rcpt(args: &str) -> Result<RcptTo<'_>, CommandError> {
    let verb = Some("RCPT");
    let rest = after_keyword(args, "TO:").ok_or_else(|| {
        CommandError::new(CommandErrorKind::Syntax, verb, "Syntax: RCPT TO:<address>")
    })?;
    let bad_path = || {
        CommandError::new(
            CommandErrorKind::Address,
            verb,
            "bad recipient address syntax",
        )
    };
    let (rest, recipient) = forward_path(rest).map_err(|_| bad_path())?;
    let rest = params_after_path(rest).ok_or_else(bad_path)?;
    let params = parse_rcpt_params(rest).map_err(|reason| CommandError {
        kind: CommandErrorKind::Parameter,
        verb,
        reason,
    })?;
    Ok(RcptTo { recipient, params })
}

fn parse_bdat(args: &str) -> Option<Command<'static>> {
    let mut words = words(args);
    let size = words.next()?;
    if size.len() > 20 || !size.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let size = size.parse().ok()?;
    let last = match words.next() {
        None => false,
        Some(w) if w.eq_ignore_ascii_case("LAST") => true,
        Some(_) => return None,
    };
    words
        .next()
        .is_none()
        .then_some(Command::Bdat { size, last })
}

/// `AUTH mechanism [initial-response]` (RFC 4954); `=` is an empty initial response.
fn parse_auth(args: &str) -> Result<Command<'_>, CommandError> {
    let syntax = |reason| CommandError::new(CommandErrorKind::Syntax, Some("AUTH"), reason);
    let mut words = words(args);
    let mechanism = words
        .next()
        .ok_or_else(|| syntax("Syntax: AUTH mechanism [response]"))?;
    let mech_ok = mechanism.len() <= 20
        && mechanism
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !mech_ok {
        return Err(syntax("invalid SASL mechanism name"));
    }
    let mechanism = if mechanism.bytes().any(|b| b.is_ascii_lowercase()) {
        Cow::Owned(mechanism.to_ascii_uppercase())
    } else {
        Cow::Borrowed(mechanism)
    };
    let initial_response = match words.next() {
        None => None,
        Some("=") => Some(Cow::Borrowed(&[][..])),
        Some(b64) => Some(Cow::Owned(
            BASE64
                .decode(b64)
                .map_err(|_| syntax("invalid base64 in initial response"))?,
        )),
    };
    if words.next().is_some() {
        return Err(syntax("Syntax: AUTH mechanism [response]"));
    }
    Ok(Command::Auth {
        mechanism,
        initial_response,
    })
}

/// Encodes a command line, with its CRLF, onto `out`.
///
/// Local parts are quoted when they are not dot-strings; ENVID, ORCPT and AUTH= values are
/// xtext-encoded; an empty AUTH initial response is written as `=`.
pub fn encode_command(command: &Command<'_>, out: &mut BytesMut) {
    out.extend_from_slice(command.verb().as_bytes());
    let mut arg = |text: &str| {
        out.put_u8(b' ');
        out.extend_from_slice(text.as_bytes());
    };
    match command {
        Command::Ehlo(d) | Command::Helo(d) | Command::Lhlo(d) => arg(d),
        Command::Vrfy(s) | Command::Expn(s) => arg(s),
        Command::Noop(s) | Command::Help(s) => {
            if let Some(s) = s {
                arg(s);
            }
        }
        Command::Bdat { size, last } => {
            arg(&size.to_string());
            if *last {
                arg("LAST");
            }
        }
        Command::Auth {
            mechanism,
            initial_response,
        } => {
            arg(mechanism);
            match initial_response.as_deref() {
                None => {}
                Some([]) => arg("="),
                Some(bytes) => arg(&BASE64.encode(bytes)),
            }
        }
        Command::Mail(mail) => {
            out.extend_from_slice(b" FROM:");
            match &mail.sender {
                Some(address) => encode_path(address, out),
                None => out.extend_from_slice(b"<>"),
            }
            encode_mail_params(&mail.params, out);
        }
        Command::Rcpt(rcpt) => {
            out.extend_from_slice(b" TO:");
            encode_path(&rcpt.recipient, out);
            encode_rcpt_params(&rcpt.params, out);
        }
        Command::Data | Command::Rset | Command::Quit | Command::StartTls => {}
    }
    out.extend_from_slice(b"\r\n");
}
