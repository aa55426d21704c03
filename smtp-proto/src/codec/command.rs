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

use bytes::{BufMut, BytesMut};
use memchr::{memchr, memchr3};

use super::params::{
    ParamError, encode_mail_params, encode_rcpt_params, parse_mail_params, parse_rcpt_params,
};
use super::path::{encode_path, forward_path, reverse_path};
use super::scan::{
    GRAPHIC, Line, MECHANISM, TEXT, all, decimal, skip_spaces, span, starts_with_ignore_case,
    trim_end_spaces, word_end,
};
use super::{DecodeError, b64};
use crate::types::{Command, InitialResponse, MailFrom, MailParams, RcptParams, RcptTo};

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
    parse_line(buf)
}

/// A parsed command and the bytes its line occupies, or why the line was rejected.
type Parsed<'a, E> = Result<(usize, Command<'a>), E>;

/// How the parser reports a rejected line: [`parse_command_line`] wants the
/// [`CommandError`], [`decode_command`] a [`DecodeError`], which needs the line framed
/// and is therefore made only then. Being generic over this, the parser writes an
/// accepted command straight into either caller's result, without a copy.
trait Reject: Sized {
    /// The rejection of the line at the start of `buf`, which the parser rejected
    /// with `error`.
    fn reject(buf: &[u8], error: CommandError) -> Self;
}

impl Reject for CommandError {
    #[inline]
    fn reject(_: &[u8], error: CommandError) -> Self {
        error
    }
}

impl Reject for DecodeError {
    /// The line has not ended yet, or it is reported with the error for the whole line,
    /// as [`parse_command_line`] gives it.
    #[cold]
    fn reject(buf: &[u8], error: CommandError) -> Self {
        let Some(lf) = memchr(b'\n', buf) else {
            return Self::Incomplete;
        };
        let consumed = lf + 1;
        // The parser reads no further than the first LF, so it rejects the framed line
        // too; should it not, the first error stands.
        let reason = parse_command_line(&buf[..consumed])
            .err()
            .unwrap_or(error)
            .reason;
        Self::Invalid { consumed, reason }
    }
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
    match parse_line::<CommandError>(line) {
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
const STARTTLS: u64 = u64::from_le_bytes(*b"STARTTLS");

/// Bit 5 of every byte: clearing it upper-cases ASCII letters, and no other byte becomes
/// a letter that way, so a masked comparison with a word of letters ignores case exactly.
const CASE_BITS: u64 = u64::from_le_bytes([0xDF; 8]);

/// Parses the command line at the start of `b`, which ends at the first CR (that must be
/// followed by LF); the number of bytes it occupies and the command.
///
/// The verb is the first word of the line (case-insensitive; it ends at a space or at
/// the end of the line), matched as one case-folded word.
fn parse_line<E: Reject>(b: &[u8]) -> Parsed<'_, E> {
    let (verb, args) = match (b.first_chunk::<4>(), b.get(4)) {
        (Some(verb), Some(b' ')) => (*verb, 5),
        (Some(verb), Some(b'\r')) => (*verb, 4),
        _ => return parse_starttls(b),
    };
    let mut line = Line::new(b);
    let line = &mut line;
    match u32::from_le_bytes(verb) & CASE_BITS as u32 {
        MAIL => parse_mail(line, args),
        RCPT => parse_rcpt(line, args),
        EHLO => hello(line, args, Command::Ehlo, "EHLO", "Syntax: EHLO hostname"),
        HELO => hello(line, args, Command::Helo, "HELO", "Syntax: HELO hostname"),
        LHLO => hello(line, args, Command::Lhlo, "LHLO", "Syntax: LHLO hostname"),
        DATA => no_args(b, args, || Command::Data, "DATA"),
        BDAT => parse_bdat(b, args),
        RSET => no_args(b, args, || Command::Rset, "RSET"),
        QUIT => no_args(b, args, || Command::Quit, "QUIT"),
        AUTH => parse_auth(line, args),
        NOOP => optional_text(line, args, Command::Noop),
        HELP => optional_text(line, args, Command::Help),
        VRFY => required_text(line, args, Command::Vrfy, "VRFY", "Syntax: VRFY address"),
        EXPN => required_text(line, args, Command::Expn, "EXPN", "Syntax: EXPN list"),
        _ => Err(unknown_command(b)),
    }
}

/// `STARTTLS`, the one verb longer than four letters.
fn parse_starttls<E: Reject>(b: &[u8]) -> Parsed<'static, E> {
    let verb = b
        .first_chunk::<8>()
        .map(|w| u64::from_le_bytes(*w) & CASE_BITS);
    match (verb, b.get(8)) {
        (Some(STARTTLS), Some(b' ')) => no_args(b, 9, || Command::StartTls, "STARTTLS"),
        (Some(STARTTLS), Some(b'\r')) => no_args(b, 8, || Command::StartTls, "STARTTLS"),
        _ => Err(unknown_command(b)),
    }
}

#[cold]
fn unknown_command<E: Reject>(b: &[u8]) -> E {
    let error = CommandError::new(
        CommandErrorKind::UnknownCommand,
        None,
        "command not recognized",
    );
    E::reject(b, error)
}

/// The rejection for a line whose arguments do not follow `verb`'s syntax.
#[cold]
fn syntax_error<E: Reject>(b: &[u8], verb: &'static str, reason: &'static str) -> E {
    E::reject(
        b,
        CommandError::new(CommandErrorKind::Syntax, Some(verb), reason),
    )
}

/// The rejection for a line found not to be sound (see [`bad_line`]).
#[cold]
fn bad_line_error<E: Reject>(b: &[u8]) -> E {
    E::reject(b, bad_line())
}

/// A command without arguments (spaces may follow it). The command is made only here,
/// in the result: moved in as a value, all of `Command` would be copied for its tag.
#[inline(always)]
fn no_args<E: Reject>(
    b: &[u8],
    args: usize,
    command: impl FnOnce() -> Command<'static>,
    verb: &'static str,
) -> Parsed<'static, E> {
    match line_end(b, skip_spaces(b, args)) {
        Some(end) => Ok((end, command())),
        None => Err(syntax_error(b, verb, "command takes no arguments")),
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

/// The argument of EHLO/HELO/LHLO: one word of printable text. Inlined, so that the
/// command is built in the caller's result.
#[inline(always)]
fn hello<'a, E: Reject>(
    line: &mut Line<'a>,
    args: usize,
    command: fn(Cow<'a, str>) -> Command<'a>,
    verb: &'static str,
    usage: &'static str,
) -> Parsed<'a, E> {
    let b = line.bytes();
    let start = skip_spaces(b, args);
    let end = span(b, start, GRAPHIC);
    let consumed = line_end(b, skip_spaces(b, end)).filter(|_| end > start);
    match consumed.and_then(|consumed| Some((consumed, line.text(start..end)?))) {
        Some((consumed, text)) => Ok((consumed, command(Cow::Borrowed(text)))),
        None => Err(syntax_error(b, verb, usage)),
    }
}

/// Free text (NOOP, HELP): `None` as the text when there is none or when it holds
/// control characters. The line itself must be sound (UTF-8, no CR, LF or NUL, ended),
/// or `line_error` reports what is wrong with it.
fn optional_text<'a, E: Reject>(
    line: &mut Line<'a>,
    args: usize,
    command: fn(Option<Cow<'a, str>>) -> Command<'a>,
) -> Parsed<'a, E> {
    let b = line.bytes();
    let start = skip_spaces(b, args);
    let stop = span(b, start, TEXT);
    if let Some(consumed) = line_end(b, stop) {
        let text = trim_end_spaces(b, start..stop);
        if text.is_empty() {
            return Ok((consumed, command(None)));
        }
        if let Some(text) = line.text(text) {
            return Ok((consumed, command(Some(Cow::Borrowed(text)))));
        }
    } else if let Some(consumed) = control_text(line, start, stop) {
        return Ok((consumed, command(None)));
    }
    Err(bad_line_error(b))
}

/// For free text from `start` with a control character at `stop`: where the line ends
/// if it is sound, so that a line this parser accepts is always free of CR, LF and NUL
/// and valid UTF-8.
#[cold]
fn control_text(line: &mut Line<'_>, start: usize, stop: usize) -> Option<usize> {
    let b = line.bytes();
    let lf = stop + memchr(b'\n', &b[stop..])?;
    let cr = lf
        .checked_sub(1)
        .filter(|&cr| b[cr] == b'\r' && cr >= start)?;
    if memchr3(b'\r', b'\n', 0, &b[start..cr]).is_some() {
        return None;
    }
    line.text(start..cr)?;
    Some(lf + 1)
}

/// Free text that must be there and be printable (VRFY, EXPN).
fn required_text<'a, E: Reject>(
    line: &mut Line<'a>,
    args: usize,
    command: fn(Cow<'a, str>) -> Command<'a>,
    verb: &'static str,
    usage: &'static str,
) -> Parsed<'a, E> {
    let b = line.bytes();
    let start = skip_spaces(b, args);
    let stop = span(b, start, TEXT);
    let text = trim_end_spaces(b, start..stop);
    let consumed = line_end(b, stop).filter(|_| !text.is_empty());
    match consumed.and_then(|consumed| Some((consumed, line.text(text)?))) {
        Some((consumed, text)) => Ok((consumed, command(Cow::Borrowed(text)))),
        None => Err(syntax_error(b, verb, usage)),
    }
}

/// Splits `FROM:`/`TO:` (any case) at `start` followed by optional spaces or tabs
/// (accepted for real-world clients); where the path starts.
#[inline(always)]
fn after_keyword<const N: usize>(b: &[u8], start: usize, keyword: &[u8; N]) -> Option<usize> {
    if !starts_with_ignore_case(b, start, keyword) {
        return None;
    }
    let end = start + N;
    let skipped = b[end..].iter().take_while(|&&c| c == b' ' || c == b'\t');
    Some(end + skipped.count())
}

fn parse_mail<'a, E: Reject>(line: &mut Line<'a>, args: usize) -> Parsed<'a, E> {
    let b = line.bytes();
    let Some(start) = after_keyword(b, args, b"FROM:") else {
        return Err(syntax_error(b, "MAIL", "Syntax: MAIL FROM:<address>"));
    };
    // What follows a path must be nothing or parameters separated by spaces.
    let Some((end, sender)) = reverse_path(line, start).filter(|&(end, _)| is_word_end(b, end))
    else {
        return Err(address_error(b, "MAIL", "bad sender address syntax"));
    };
    let params = MailParams::default();
    if let Some(consumed) = line_end(b, end) {
        return Ok((consumed, Command::Mail(MailFrom { sender, params })));
    }
    let mut parsed = Ok((end, Command::Mail(MailFrom { sender, params })));
    // The parameters are parsed into the result, which is not moved after that.
    if let Ok((consumed, Command::Mail(mail))) = &mut parsed {
        match parse_mail_params(line, end, &mut mail.params) {
            Ok(end) => *consumed = end,
            Err(reason) => return Err(param_error(b, "MAIL", reason)),
        }
    }
    parsed
}

fn parse_rcpt<'a, E: Reject>(line: &mut Line<'a>, args: usize) -> Parsed<'a, E> {
    let b = line.bytes();
    let Some(start) = after_keyword(b, args, b"TO:") else {
        return Err(syntax_error(b, "RCPT", "Syntax: RCPT TO:<address>"));
    };
    let Some((end, recipient)) = forward_path(line, start).filter(|&(end, _)| is_word_end(b, end))
    else {
        return Err(address_error(b, "RCPT", "bad recipient address syntax"));
    };
    let params = RcptParams::default();
    if let Some(consumed) = line_end(b, end) {
        return Ok((consumed, Command::Rcpt(RcptTo { recipient, params })));
    }
    let mut parsed = Ok((end, Command::Rcpt(RcptTo { recipient, params })));
    // The parameters are parsed into the result, which is not moved after that.
    if let Ok((consumed, Command::Rcpt(rcpt))) = &mut parsed {
        match parse_rcpt_params(line, end, &mut rcpt.params) {
            Ok(end) => *consumed = end,
            Err(reason) => return Err(param_error(b, "RCPT", reason)),
        }
    }
    parsed
}

#[cold]
fn address_error<E: Reject>(b: &[u8], verb: &'static str, reason: &'static str) -> E {
    E::reject(
        b,
        CommandError::new(CommandErrorKind::Address, Some(verb), reason),
    )
}

/// The rejection for a bad MAIL or RCPT parameter.
#[cold]
fn param_error<E: Reject>(b: &[u8], verb: &'static str, reason: ParamError) -> E {
    let error = CommandError {
        kind: CommandErrorKind::Parameter,
        verb: Some(verb),
        reason,
    };
    E::reject(b, error)
}

fn parse_bdat<E: Reject>(b: &[u8], args: usize) -> Parsed<'static, E> {
    let start = skip_spaces(b, args);
    let end = word_end(b, start);
    if let Ok(Some(size)) = decimal(&b[start..end]) {
        let mut i = skip_spaces(b, end);
        let last = starts_with_ignore_case(b, i, b"LAST") && is_word_end(b, i + 4);
        if last {
            i = skip_spaces(b, i + 4);
        }
        if let Some(consumed) = line_end(b, i) {
            return Ok((consumed, Command::Bdat { size, last }));
        }
    }
    Err(syntax_error(b, "BDAT", "Syntax: BDAT size [LAST]"))
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

/// `PLAIN` and `LOGIN`, which nearly every client uses, when `name` is one of them (in
/// any case): compared as one masked word, as they are all letters.
#[inline]
fn common_mechanism(name: &[u8]) -> Option<&'static str> {
    const PLAIN: u64 = five_letters(b"PLAIN");
    const LOGIN: u64 = five_letters(b"LOGIN");
    let &[a, b, c, d, e] = name.first_chunk::<5>().filter(|_| name.len() == 5)?;
    match u64::from_le_bytes([a, b, c, d, e, 0, 0, 0]) & CASE_BITS {
        PLAIN => Some("PLAIN"),
        LOGIN => Some("LOGIN"),
        _ => None,
    }
}

/// A five-letter upper-case word as a little-endian integer.
const fn five_letters(name: &[u8; 5]) -> u64 {
    let [a, b, c, d, e] = *name;
    u64::from_le_bytes([a, b, c, d, e, 0, 0, 0])
}

/// A mechanism name, upper-cased; `name` is ASCII letters, digits, `-` and `_`.
fn mechanism_name<'a>(line: &mut Line<'a>, name: Range<usize>) -> Option<Cow<'a, str>> {
    let bytes = &line.bytes()[name.clone()];
    let known = MECHANISMS
        .iter()
        .find(|m| bytes.eq_ignore_ascii_case(m.as_bytes()));
    if let Some(&known) = known {
        return Some(Cow::Borrowed(known));
    }
    if bytes.iter().any(u8::is_ascii_lowercase) {
        let upper = bytes.iter().map(|&c| char::from(c.to_ascii_uppercase()));
        return Some(Cow::Owned(upper.collect()));
    }
    line.text(name).map(Cow::Borrowed)
}

/// `AUTH mechanism [initial-response]` (RFC 4954); `=` is an empty initial response. The
/// response is checked here and decoded only when the application asks for it.
fn parse_auth<'a, E: Reject>(line: &mut Line<'a>, args: usize) -> Parsed<'a, E> {
    const USAGE: &str = "Syntax: AUTH mechanism [response]";
    let b = line.bytes();
    let start = skip_spaces(b, args);
    let end = word_end(b, start);
    let mechanism = match common_mechanism(&b[start..end]) {
        Some(known) => Cow::Borrowed(known),
        None => {
            if end == start {
                return Err(syntax_error(b, "AUTH", USAGE));
            }
            if end - start > 20 || !all(&b[start..end], MECHANISM) {
                return Err(syntax_error(b, "AUTH", "invalid SASL mechanism name"));
            }
            let Some(mechanism) = mechanism_name(line, start..end) else {
                return Err(bad_line_error(b));
            };
            mechanism
        }
    };
    let mut i = skip_spaces(b, end);
    let mut initial_response = None;
    if b.get(i) != Some(&b'\r') {
        let end = word_end(b, i);
        let response = match &b[i..end] {
            b"=" => &[][..],
            b64 if b64::is_canonical(b64) => b64,
            _ => {
                let reason = "invalid base64 in initial response";
                return Err(syntax_error(b, "AUTH", reason));
            }
        };
        initial_response = Some(InitialResponse::from_checked_base64(response));
        i = skip_spaces(b, end);
    }
    match line_end(b, i) {
        Some(consumed) => Ok((
            consumed,
            Command::Auth {
                mechanism,
                initial_response,
            },
        )),
        None => Err(syntax_error(b, "AUTH", USAGE)),
    }
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
            match initial_response {
                None => {}
                Some(response) if response.is_empty() => arg("="),
                Some(response) => {
                    out.put_u8(b' ');
                    out.extend_from_slice(response.as_base64());
                }
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
