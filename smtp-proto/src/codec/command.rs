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
//!
//! The parser makes one pass over the line's bytes (see `scan`) and finds the CRLF at its
//! end by itself: what it accepts is already free of CR, LF and NUL and valid UTF-8. Only
//! when it rejects a line is the line framed and looked at as a whole again, because a
//! bad line ending or bad UTF-8 is reported in preference to a syntax error.

use std::borrow::Cow;
use std::ops::Range;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{BufMut, BytesMut};
use memchr::{memchr, memchr3};

use super::params::{encode_mail_params, encode_rcpt_params, parse_mail_params, parse_rcpt_params};
use super::path::{encode_path, forward_path, reverse_path};
use super::scan::{
    GRAPHIC, Line, MECHANISM, TEXT, all, decimal, skip_spaces, span, trim_end_spaces, word_end,
};
use super::{DecodeError, b64};
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
    // The parser finds the CRLF itself; only a line it rejects is framed, to say why.
    match parse_line(buf) {
        Ok(parsed) => Ok(parsed),
        Err(_) => decode_invalid(buf),
    }
}

/// `decode_command` for a line the parser rejected: it has not ended yet, or it is
/// reported with the error for the whole line, as [`parse_command_line`] gives it.
#[cold]
fn decode_invalid(buf: &[u8]) -> Result<(usize, Command<'_>), DecodeError> {
    let Some(lf) = memchr(b'\n', buf) else {
        return Err(DecodeError::Incomplete);
    };
    let consumed = lf + 1;
    // The parser reads no further than the first LF, so it rejects the framed line too;
    // should it not, its answer stands.
    parse_command_line(&buf[..consumed])
        .map(|command| (consumed, command))
        .map_err(|e| DecodeError::Invalid {
            consumed,
            reason: e.reason,
        })
}

/// Parses one complete, already framed command line (ending in LF, normally CRLF).
pub fn parse_command_line(line: &[u8]) -> Result<Command<'_>, CommandError> {
    let content = match line {
        [content @ .., b'\r', b'\n'] => content,
        [.., b'\n'] => {
            return Err(CommandError::new(
                CommandErrorKind::LineEnding,
                None,
                "line must end with CRLF",
            ));
        }
        _ => {
            return Err(CommandError::new(
                CommandErrorKind::LineEnding,
                None,
                "line has no end",
            ));
        }
    };
    match parse_line(line) {
        Ok((consumed, command)) if consumed == line.len() => Ok(command),
        // A CRLF inside the line.
        Ok(_) => Err(line_error(content).unwrap_or_else(bad_line)),
        Err(e) => Err(line_error(content).unwrap_or(e)),
    }
}

/// What is wrong with the content of a line as a whole (CR, LF, NUL, UTF-8), if anything.
/// These faults are reported instead of whatever syntax error the parser ran into.
#[cold]
fn line_error(content: &[u8]) -> Option<CommandError> {
    if memchr3(b'\r', b'\n', 0, content).is_some() {
        return Some(CommandError::new(
            CommandErrorKind::LineEnding,
            None,
            "bare CR, LF or NUL in command",
        ));
    }
    std::str::from_utf8(content).err().map(|_| {
        CommandError::new(
            CommandErrorKind::Encoding,
            None,
            "command is not valid UTF-8",
        )
    })
}

/// The error for a line that is not UTF-8, holds CR, LF or NUL, or has not ended, found
/// while parsing; `line_error` then reports what exactly is wrong instead.
fn bad_line() -> CommandError {
    CommandError::new(
        CommandErrorKind::Encoding,
        None,
        "command is not valid UTF-8",
    )
}

/// The command verbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Ehlo,
    Helo,
    Lhlo,
    Mail,
    Rcpt,
    Data,
    Bdat,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Expn,
    Help,
    StartTls,
    Auth,
}

/// A four-letter verb as the little-endian word of its upper-case bytes.
const fn word(name: &[u8; 4]) -> u32 {
    u32::from_le_bytes(*name)
}

const EHLO: u32 = word(b"EHLO");
const HELO: u32 = word(b"HELO");
const LHLO: u32 = word(b"LHLO");
const MAIL: u32 = word(b"MAIL");
const RCPT: u32 = word(b"RCPT");
const DATA: u32 = word(b"DATA");
const BDAT: u32 = word(b"BDAT");
const RSET: u32 = word(b"RSET");
const NOOP: u32 = word(b"NOOP");
const QUIT: u32 = word(b"QUIT");
const VRFY: u32 = word(b"VRFY");
const EXPN: u32 = word(b"EXPN");
const HELP: u32 = word(b"HELP");
const AUTH: u32 = word(b"AUTH");

/// Bit 5 of every byte: clearing it upper-cases ASCII letters, and no other byte becomes
/// a letter that way, so a masked comparison with a word of letters ignores case exactly.
const CASE_BITS: u64 = u64::from_le_bytes([0xDF; 8]);

impl Verb {
    fn name(self) -> &'static str {
        match self {
            Self::Ehlo => "EHLO",
            Self::Helo => "HELO",
            Self::Lhlo => "LHLO",
            Self::Mail => "MAIL",
            Self::Rcpt => "RCPT",
            Self::Data => "DATA",
            Self::Bdat => "BDAT",
            Self::Rset => "RSET",
            Self::Noop => "NOOP",
            Self::Quit => "QUIT",
            Self::Vrfy => "VRFY",
            Self::Expn => "EXPN",
            Self::Help => "HELP",
            Self::StartTls => "STARTTLS",
            Self::Auth => "AUTH",
        }
    }

    /// The verb that is the first word of the line (case-insensitive; it ends at a space
    /// or at the end of the line), and where its arguments start.
    fn split(b: &[u8]) -> Option<(Self, usize)> {
        let first = *b.first_chunk::<4>()?;
        let args = match b.get(4) {
            Some(b' ') => 5,
            Some(b'\r') => 4,
            _ => return Self::split_starttls(b),
        };
        let verb = match u32::from_le_bytes(first) & CASE_BITS as u32 {
            EHLO => Self::Ehlo,
            HELO => Self::Helo,
            LHLO => Self::Lhlo,
            MAIL => Self::Mail,
            RCPT => Self::Rcpt,
            DATA => Self::Data,
            BDAT => Self::Bdat,
            RSET => Self::Rset,
            NOOP => Self::Noop,
            QUIT => Self::Quit,
            VRFY => Self::Vrfy,
            EXPN => Self::Expn,
            HELP => Self::Help,
            AUTH => Self::Auth,
            _ => return None,
        };
        Some((verb, args))
    }

    fn split_starttls(b: &[u8]) -> Option<(Self, usize)> {
        let word = u64::from_le_bytes(*b.first_chunk::<8>()?);
        if word & CASE_BITS != u64::from_le_bytes(*b"STARTTLS") {
            return None;
        }
        match b.get(8) {
            Some(b' ') => Some((Self::StartTls, 9)),
            Some(b'\r') => Some((Self::StartTls, 8)),
            _ => None,
        }
    }
}

/// Parses the command line at the start of `b`, which ends at the first CR (that must be
/// followed by LF); the number of bytes it occupies and the command.
fn parse_line(b: &[u8]) -> Result<(usize, Command<'_>), CommandError> {
    let Some((verb, args)) = Verb::split(b) else {
        return Err(CommandError::new(
            CommandErrorKind::UnknownCommand,
            None,
            "command not recognized",
        ));
    };
    let mut line = Line::new(b);
    let syntax = |reason| CommandError::new(CommandErrorKind::Syntax, Some(verb.name()), reason);
    let no_args = |command: fn() -> Command<'static>| {
        let end = line_end(b, skip_spaces(b, args))
            .ok_or_else(|| syntax("command takes no arguments"))?;
        Ok((end, command()))
    };
    match verb {
        Verb::Mail => parse_mail(&mut line, args),
        Verb::Rcpt => parse_rcpt(&mut line, args),
        Verb::Auth => parse_auth(&mut line, args),
        Verb::Ehlo => {
            hello(&mut line, args, Command::Ehlo).ok_or_else(|| syntax("Syntax: EHLO hostname"))
        }
        Verb::Helo => {
            hello(&mut line, args, Command::Helo).ok_or_else(|| syntax("Syntax: HELO hostname"))
        }
        Verb::Lhlo => {
            hello(&mut line, args, Command::Lhlo).ok_or_else(|| syntax("Syntax: LHLO hostname"))
        }
        Verb::Data => no_args(|| Command::Data),
        Verb::Rset => no_args(|| Command::Rset),
        Verb::Quit => no_args(|| Command::Quit),
        Verb::StartTls => no_args(|| Command::StartTls),
        Verb::Noop => optional_text(&mut line, args, Command::Noop).ok_or_else(bad_line),
        Verb::Help => optional_text(&mut line, args, Command::Help).ok_or_else(bad_line),
        Verb::Vrfy => required_text(&mut line, args, Command::Vrfy)
            .ok_or_else(|| syntax("Syntax: VRFY address")),
        Verb::Expn => {
            required_text(&mut line, args, Command::Expn).ok_or_else(|| syntax("Syntax: EXPN list"))
        }
        Verb::Bdat => parse_bdat(b, args).ok_or_else(|| syntax("Syntax: BDAT size [LAST]")),
    }
}

/// The end of the line if its CRLF is at `at`.
#[inline]
fn line_end(b: &[u8], at: usize) -> Option<usize> {
    (b.get(at..at + 2) == Some(b"\r\n")).then_some(at + 2)
}

/// Whether `at` is where a word ends: at a space or at the end of the line.
#[inline]
fn is_word_end(b: &[u8], at: usize) -> bool {
    matches!(b.get(at), Some(b' ' | b'\r'))
}

/// The argument of EHLO/HELO/LHLO: one word of printable text.
fn hello<'a>(
    line: &mut Line<'a>,
    args: usize,
    command: fn(Cow<'a, str>) -> Command<'a>,
) -> Option<(usize, Command<'a>)> {
    let b = line.bytes();
    let start = skip_spaces(b, args);
    let end = span(b, start, GRAPHIC);
    let consumed = line_end(b, skip_spaces(b, end))?;
    if end == start {
        return None;
    }
    let text = line.text(start..end)?;
    Some((consumed, command(Cow::Borrowed(text))))
}

/// Free text (NOOP, HELP): `None` as the text when there is none or when it holds
/// control characters; `None` as the answer when the line itself is bad (not UTF-8, a
/// CR, LF or NUL, or no end yet), which `line_error` then reports.
fn optional_text<'a>(
    line: &mut Line<'a>,
    args: usize,
    command: fn(Option<Cow<'a, str>>) -> Command<'a>,
) -> Option<(usize, Command<'a>)> {
    let b = line.bytes();
    let start = skip_spaces(b, args);
    let stop = span(b, start, TEXT);
    if let Some(consumed) = line_end(b, stop) {
        let text = trim_end_spaces(b, start..stop);
        if text.is_empty() {
            return Some((consumed, command(None)));
        }
        return Some((consumed, command(Some(Cow::Borrowed(line.text(text)?)))));
    }
    // A control character: the text is dropped, but the line must still be sound, so
    // that a line this parser accepts is always free of CR, LF and NUL and valid UTF-8.
    let lf = stop + memchr(b'\n', &b[stop..])?;
    let cr = lf
        .checked_sub(1)
        .filter(|&cr| b[cr] == b'\r' && cr >= start)?;
    if memchr3(b'\r', b'\n', 0, &b[start..cr]).is_some() {
        return None;
    }
    line.text(start..cr)?;
    Some((lf + 1, command(None)))
}

/// Free text that must be there and be printable (VRFY, EXPN).
fn required_text<'a>(
    line: &mut Line<'a>,
    args: usize,
    command: fn(Cow<'a, str>) -> Command<'a>,
) -> Option<(usize, Command<'a>)> {
    let b = line.bytes();
    let start = skip_spaces(b, args);
    let stop = span(b, start, TEXT);
    let consumed = line_end(b, stop)?;
    let text = trim_end_spaces(b, start..stop);
    if text.is_empty() {
        return None;
    }
    Some((consumed, command(Cow::Borrowed(line.text(text)?))))
}

/// Splits `FROM:`/`TO:` (any case) at `start` followed by optional spaces or tabs
/// (accepted for real-world clients); where the path starts.
fn after_keyword(b: &[u8], start: usize, keyword: &[u8]) -> Option<usize> {
    let end = start + keyword.len();
    if !b.get(start..end)?.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let skipped = b[end..].iter().take_while(|&&c| c == b' ' || c == b'\t');
    Some(end + skipped.count())
}

fn parse_mail<'a>(line: &mut Line<'a>, args: usize) -> Result<(usize, Command<'a>), CommandError> {
    let verb = Some("MAIL");
    let start = after_keyword(line.bytes(), args, b"FROM:").ok_or_else(|| {
        CommandError::new(
            CommandErrorKind::Syntax,
            verb,
            "Syntax: MAIL FROM:<address>",
        )
    })?;
    let bad_path =
        || CommandError::new(CommandErrorKind::Address, verb, "bad sender address syntax");
    let (end, sender) = reverse_path(line, start).ok_or_else(bad_path)?;
    // What follows a path must be nothing or parameters separated by spaces.
    if !is_word_end(line.bytes(), end) {
        return Err(bad_path());
    }
    let (consumed, params) = parse_mail_params(line, end).map_err(|reason| CommandError {
        kind: CommandErrorKind::Parameter,
        verb,
        reason,
    })?;
    Ok((consumed, Command::Mail(MailFrom { sender, params })))
}

fn parse_rcpt<'a>(line: &mut Line<'a>, args: usize) -> Result<(usize, Command<'a>), CommandError> {
    let verb = Some("RCPT");
    let start = after_keyword(line.bytes(), args, b"TO:").ok_or_else(|| {
        CommandError::new(CommandErrorKind::Syntax, verb, "Syntax: RCPT TO:<address>")
    })?;
    let bad_path = || {
        CommandError::new(
            CommandErrorKind::Address,
            verb,
            "bad recipient address syntax",
        )
    };
    let (end, recipient) = forward_path(line, start).ok_or_else(bad_path)?;
    if !is_word_end(line.bytes(), end) {
        return Err(bad_path());
    }
    let (consumed, params) = parse_rcpt_params(line, end).map_err(|reason| CommandError {
        kind: CommandErrorKind::Parameter,
        verb,
        reason,
    })?;
    Ok((consumed, Command::Rcpt(RcptTo { recipient, params })))
}

fn parse_bdat(b: &[u8], args: usize) -> Option<(usize, Command<'static>)> {
    let start = skip_spaces(b, args);
    let end = word_end(b, start);
    let size = decimal(&b[start..end]).ok()??;
    let mut i = skip_spaces(b, end);
    let last = b
        .get(i..i + 4)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"LAST"))
        && is_word_end(b, i + 4);
    if last {
        i = skip_spaces(b, i + 4);
    }
    Some((line_end(b, i)?, Command::Bdat { size, last }))
}

/// SASL mechanisms in use, so that their names need neither a UTF-8 check nor, when sent
/// in lower case, an allocation.
const MECHANISMS: [&str; 13] = [
    "PLAIN",
    "LOGIN",
    "XOAUTH2",
    "OAUTHBEARER",
    "CRAM-MD5",
    "DIGEST-MD5",
    "SCRAM-SHA-1",
    "SCRAM-SHA-1-PLUS",
    "SCRAM-SHA-256",
    "SCRAM-SHA-256-PLUS",
    "EXTERNAL",
    "ANONYMOUS",
    "GSSAPI",
];

/// A mechanism name, upper-cased; `name` is ASCII letters, digits, `-` and `_`.
fn mechanism_name<'a>(line: &mut Line<'a>, name: Range<usize>) -> Option<Cow<'a, str>> {
    let bytes = &line.bytes()[name.clone()];
    if let Some(known) = MECHANISMS
        .iter()
        .find(|m| bytes.eq_ignore_ascii_case(m.as_bytes()))
    {
        return Some(Cow::Borrowed(known));
    }
    if bytes.iter().any(u8::is_ascii_lowercase) {
        let upper = bytes.iter().map(|&c| char::from(c.to_ascii_uppercase()));
        return Some(Cow::Owned(upper.collect()));
    }
    line.text(name).map(Cow::Borrowed)
}

/// `AUTH mechanism [initial-response]` (RFC 4954); `=` is an empty initial response.
fn parse_auth<'a>(line: &mut Line<'a>, args: usize) -> Result<(usize, Command<'a>), CommandError> {
    let syntax = |reason| CommandError::new(CommandErrorKind::Syntax, Some("AUTH"), reason);
    let b = line.bytes();
    let start = skip_spaces(b, args);
    let end = word_end(b, start);
    if end == start {
        return Err(syntax("Syntax: AUTH mechanism [response]"));
    }
    if end - start > 20 || !all(&b[start..end], MECHANISM) {
        return Err(syntax("invalid SASL mechanism name"));
    }
    let mechanism = mechanism_name(line, start..end).ok_or_else(bad_line)?;
    let mut i = skip_spaces(b, end);
    let mut initial_response = None;
    if b.get(i) != Some(&b'\r') {
        let end = word_end(b, i);
        initial_response = Some(match &b[i..end] {
            b"=" => Cow::Borrowed(&[][..]),
            b64 => Cow::Owned(
                b64::decode(b64).ok_or_else(|| syntax("invalid base64 in initial response"))?,
            ),
        });
        i = skip_spaces(b, end);
    }
    let consumed = line_end(b, i).ok_or_else(|| syntax("Syntax: AUTH mechanism [response]"))?;
    Ok((
        consumed,
        Command::Auth {
            mechanism,
            initial_response,
        },
    ))
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
