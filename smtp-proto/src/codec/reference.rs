//! The command parser as it was before the single-pass rewrite, kept verbatim for tests.
//!
//! It framed, validated the line, converted it to `&str` and then parsed it with string
//! operations and small nom-style helpers. It is simple to read and was tested for a long
//! time, which makes it a good oracle: `differential` feeds generated lines to it and to
//! the production parser and requires identical results (commands and errors alike).
#![allow(dead_code)]

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use memchr::{memchr, memchr3};
use nom::IResult;
use nom::error::{Error, ErrorKind};

use super::xtext::decode_xtext;
use super::{CommandError, CommandErrorKind, DecodeError};
use crate::types::{
    Address, Body, Command, InitialResponse, MailFrom, MailParams, Notify, Orcpt, Param,
    RcptParams, RcptTo, Ret,
};

fn new_error(
    kind: CommandErrorKind,
    verb: Option<&'static str>,
    reason: &'static str,
) -> CommandError {
    CommandError {
        kind,
        verb,
        reason: Cow::Borrowed(reason),
    }
}

// ---- line.rs ----

/// `s.split_once(sep)` for an ASCII separator. Command lines are short, and a plain scan
/// beats a vectorised search (or the standard library's) that has to be set up first.
pub(super) fn split_once_byte(s: &str, sep: u8) -> Option<(&str, &str)> {
    let i = s.bytes().position(|b| b == sep)?;
    Some((&s[..i], &s[i + 1..]))
}

/// The words of `s` separated by runs of spaces (what `split(' ')` gives, without the
/// empty ones).
pub(super) fn words(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        rest = rest.trim_start_matches(' ');
        if rest.is_empty() {
            return None;
        }
        let (word, tail) = split_once_byte(rest, b' ').unwrap_or((rest, ""));
        rest = tail;
        Some(word)
    })
}

// ---- command.rs ----
/// Decodes one command line from the start of `buf`.
///
/// Returns the number of bytes consumed (the line and its CRLF). This function does not
/// limit the line length: a server frames with [`frame_line`](super::frame_line) first.
pub(super) fn decode_command(buf: &[u8]) -> Result<(usize, Command<'_>), DecodeError> {
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
pub(super) fn parse_command_line(line: &[u8]) -> Result<Command<'_>, CommandError> {
    use CommandErrorKind::{Encoding, LineEnding};
    let content = match line {
        [content @ .., b'\r', b'\n'] => content,
        [.., b'\n'] => {
            return Err(new_error(LineEnding, None, "line must end with CRLF"));
        }
        _ => return Err(new_error(LineEnding, None, "line has no end")),
    };
    if memchr3(b'\r', b'\n', 0, content).is_some() {
        return Err(new_error(LineEnding, None, "bare CR, LF or NUL in command"));
    }
    let text = std::str::from_utf8(content)
        .map_err(|_| new_error(Encoding, None, "command is not valid UTF-8"))?;
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
        return Err(new_error(
            CommandErrorKind::UnknownCommand,
            None,
            "command not recognized",
        ));
    };
    let syntax = |reason| new_error(CommandErrorKind::Syntax, Some(verb), reason);
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
        new_error(
            CommandErrorKind::Syntax,
            verb,
            "Syntax: MAIL FROM:<address>",
        )
    })?;
    let bad_path = || new_error(CommandErrorKind::Address, verb, "bad sender address syntax");
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
    let rest = after_keyword(args, "TO:")
        .ok_or_else(|| new_error(CommandErrorKind::Syntax, verb, "Syntax: RCPT TO:<address>"))?;
    let bad_path = || {
        new_error(
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
    let syntax = |reason| new_error(CommandErrorKind::Syntax, Some("AUTH"), reason);
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
        Some("=") => Some(InitialResponse::from_decoded(b"")),
        Some(b64) => Some(InitialResponse::from_decoded(
            &BASE64
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

// ---- params.rs ----
/// Why a parameter list was rejected.
pub(super) type ParamError = Cow<'static, str>;

/// `esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")`.
fn is_keyword(k: &str) -> bool {
    k.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `esmtp-value`: printable ASCII except `=`, plus UTF-8 (RFC 6531).
fn is_value_char(c: char) -> bool {
    matches!(c, '!'..='~') && c != '=' || !c.is_ascii() && !c.is_control()
}

fn is_value(v: &str) -> bool {
    let ascii = v.bytes().all(|b| matches!(b, b'!'..=b'<' | b'>'..=b'~'));
    !v.is_empty() && (ascii || v.chars().all(is_value_char))
}

fn split_param(word: &str) -> Result<(&str, Option<&str>), ParamError> {
    let (key, value) = match split_once_byte(word, b'=') {
        Some((k, v)) => (k, Some(v)),
        None => (word, None),
    };
    if !is_keyword(key) {
        return Err(format!("invalid parameter keyword {key:?}").into());
    }
    if value.is_some_and(|v| !is_value(v)) {
        return Err(format!("invalid value for parameter {key}").into());
    }
    Ok((key, value))
}

fn set_once<T>(slot: &mut Option<T>, value: T, key: &str) -> Result<(), ParamError> {
    if slot.is_some() {
        return Err(format!("duplicate parameter {key}").into());
    }
    *slot = Some(value);
    Ok(())
}

fn set_flag(flag: &mut bool, value: Option<&str>, key: &str) -> Result<(), ParamError> {
    if value.is_some() {
        return Err(format!("parameter {key} takes no value").into());
    }
    if *flag {
        return Err(format!("duplicate parameter {key}").into());
    }
    *flag = true;
    Ok(())
}

fn required<'v>(value: Option<&'v str>, key: &str) -> Result<&'v str, ParamError> {
    value.ok_or_else(|| format!("parameter {key} needs a value").into())
}

fn xtext<'v>(value: &'v str, key: &str) -> Result<Cow<'v, str>, ParamError> {
    decode_xtext(value).ok_or_else(|| format!("invalid xtext in {key}").into())
}

fn parse_size(value: &str) -> Result<u64, ParamError> {
    if value.len() > 20 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err("invalid SIZE value".into());
    }
    value.parse().map_err(|_| "SIZE value out of range".into())
}

fn parse_body(value: &str) -> Result<Body, ParamError> {
    [
        ("7BIT", Body::SevenBit),
        ("8BITMIME", Body::EightBitMime),
        ("BINARYMIME", Body::BinaryMime),
    ]
    .into_iter()
    .find(|(name, _)| value.eq_ignore_ascii_case(name))
    .map(|(_, body)| body)
    .ok_or_else(|| "invalid BODY value".into())
}

fn parse_ret(value: &str) -> Result<Ret, ParamError> {
    if value.eq_ignore_ascii_case("FULL") {
        Ok(Ret::Full)
    } else if value.eq_ignore_ascii_case("HDRS") {
        Ok(Ret::Headers)
    } else {
        Err("invalid RET value".into())
    }
}

fn parse_auth_param(value: &str) -> Result<Cow<'_, str>, ParamError> {
    if value == "<>" {
        Ok(Cow::Borrowed(value))
    } else {
        xtext(value, "AUTH")
    }
}

/// Parses the parameters that follow `MAIL FROM:<path>`.
pub(super) fn parse_mail_params(rest: &str) -> Result<MailParams<'_>, ParamError> {
    let mut params = MailParams::default();
    let (mut size, mut body, mut ret, mut envid, mut auth) = (None, None, None, None, None);
    for word in words(rest) {
        let (key, value) = split_param(word)?;
        let is = |name: &str| key.eq_ignore_ascii_case(name);
        if is("SIZE") {
            set_once(&mut size, parse_size(required(value, key)?)?, key)?;
        } else if is("BODY") {
            set_once(&mut body, parse_body(required(value, key)?)?, key)?;
        } else if is("SMTPUTF8") {
            set_flag(&mut params.smtputf8, value, key)?;
        } else if is("RET") {
            set_once(&mut ret, parse_ret(required(value, key)?)?, key)?;
        } else if is("ENVID") {
            set_once(&mut envid, xtext(required(value, key)?, key)?, key)?;
        } else if is("REQUIRETLS") {
            set_flag(&mut params.requiretls, value, key)?;
        } else if is("AUTH") {
            set_once(&mut auth, parse_auth_param(required(value, key)?)?, key)?;
        } else {
            params.other.push(other(key, value));
        }
    }
    params.size = size;
    params.body = body;
    params.ret = ret;
    params.envid = envid;
    params.auth = auth;
    Ok(params)
}

fn other<'a>(key: &'a str, value: Option<&'a str>) -> Param<'a> {
    Param {
        keyword: Cow::Borrowed(key),
        value: value.map(Cow::Borrowed),
    }
}

fn parse_notify(value: &str) -> Result<Notify, ParamError> {
    if value.eq_ignore_ascii_case("NEVER") {
        return Ok(Notify::Never);
    }
    let (mut success, mut failure, mut delay) = (false, false, false);
    for item in value.split(',') {
        let flag = if item.eq_ignore_ascii_case("SUCCESS") {
            &mut success
        } else if item.eq_ignore_ascii_case("FAILURE") {
            &mut failure
        } else if item.eq_ignore_ascii_case("DELAY") {
            &mut delay
        } else {
            return Err("invalid NOTIFY value".into());
        };
        if std::mem::replace(flag, true) {
            return Err("duplicate NOTIFY value".into());
        }
    }
    Ok(Notify::On {
        success,
        failure,
        delay,
    })
}

fn parse_orcpt(value: &str) -> Result<Orcpt<'_>, ParamError> {
    let (addr_type, address) = split_once_byte(value, b';')
        .ok_or_else(|| ParamError::from("ORCPT needs addr-type;address"))?;
    let atom_ok = !addr_type.is_empty()
        && addr_type
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b));
    if !atom_ok {
        return Err("invalid ORCPT address type".into());
    }
    Ok(Orcpt {
        addr_type: Cow::Borrowed(addr_type),
        address: xtext(address, "ORCPT")?,
    })
}

/// Parses the parameters that follow `RCPT TO:<path>`.
pub(super) fn parse_rcpt_params(rest: &str) -> Result<RcptParams<'_>, ParamError> {
    let mut params = RcptParams::default();
    let (mut notify, mut orcpt) = (None, None);
    for word in words(rest) {
        let (key, value) = split_param(word)?;
        if key.eq_ignore_ascii_case("NOTIFY") {
            set_once(&mut notify, parse_notify(required(value, key)?)?, key)?;
        } else if key.eq_ignore_ascii_case("ORCPT") {
            set_once(&mut orcpt, parse_orcpt(required(value, key)?)?, key)?;
        } else {
            params.other.push(other(key, value));
        }
    }
    params.notify = notify;
    params.orcpt = orcpt;
    Ok(params)
}

// ---- path.rs ----
/// A table of the ASCII bytes a grammar rule accepts.
const fn ascii_set(extra: &[u8], alphanumeric: bool) -> [bool; 128] {
    let mut set = [false; 128];
    let mut b = 0;
    while b < 128 {
        set[b] = alphanumeric && (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        set[extra[i] as usize] = true;
        i += 1;
    }
    set
}

/// `atext` of RFC 5322 (ASCII part).
const ATEXT: [bool; 128] = ascii_set(b"!#$%&'*+-/=?^_`{|}~", true);
/// `Let-dig` and `-` (ASCII part).
const LDH: [bool; 128] = ascii_set(b"-", true);

fn is_utf8_non_ascii(c: char) -> bool {
    !c.is_ascii() && !c.is_control()
}

/// Length of the longest prefix of `i` made of ASCII bytes in `set` and non-ASCII,
/// non-control characters (RFC 6531 allows UTF-8 wherever `atext` or `Let-dig` is).
fn span(i: &str, set: &[bool; 128]) -> usize {
    let bytes = i.as_bytes();
    let mut n = 0;
    while let Some(&b) = bytes.get(n) {
        if b.is_ascii() {
            if !set[usize::from(b)] {
                break;
            }
            n += 1;
        } else {
            match i.get(n..).and_then(|rest| rest.chars().next()) {
                Some(c) if is_utf8_non_ascii(c) => n += c.len_utf8(),
                _ => break,
            }
        }
    }
    n
}

fn fail<T>(i: &str, kind: ErrorKind) -> IResult<&str, T> {
    Err(nom::Err::Error(Error::new(i, kind)))
}

/// Splits `i` after `len` bytes, returning (rest, prefix) as nom does.
fn split(i: &str, len: usize) -> (&str, &str) {
    let (prefix, rest) = i.split_at(len);
    (rest, prefix)
}

/// `item *("." item)` where `item` is the length of a valid item at the start of its
/// argument (0 if none). A dot not followed by an item is left unconsumed.
fn dotted(i: &str, item: impl Fn(&str) -> usize) -> IResult<&str, &str> {
    let mut end = item(i);
    if end == 0 {
        return fail(i, ErrorKind::SeparatedList);
    }
    while i.as_bytes().get(end) == Some(&b'.') {
        let next = item(&i[end + 1..]);
        if next == 0 {
            break;
        }
        end += 1 + next;
    }
    Ok(split(i, end))
}

/// `Dot-string = Atom *("." Atom)`.
fn dot_string(i: &str) -> IResult<&str, &str> {
    dotted(i, |s| span(s, &ATEXT))
}

/// Whether `local` can be written without quotes.
pub(super) fn is_dot_string(local: &str) -> bool {
    matches!(dot_string(local), Ok(("", _)))
}

/// `qtextSMTP`: printable ASCII except `"` and `\`, space included, plus UTF-8.
fn is_qtext(c: char) -> bool {
    matches!(c, ' '..='~') && c != '"' && c != '\\' || is_utf8_non_ascii(c)
}

/// `Quoted-string`, returned unescaped.
fn quoted_string(i: &str) -> IResult<&str, Cow<'_, str>> {
    let Some(body) = i.strip_prefix('"') else {
        return fail(i, ErrorKind::Char);
    };
    let mut escaped = false;
    let mut chars = body.char_indices();
    while let Some((pos, c)) = chars.next() {
        match c {
            '"' => {
                let raw = &body[..pos];
                let rest = &body[pos + 1..];
                let value = if escaped {
                    Cow::Owned(unescape(raw))
                } else {
                    Cow::Borrowed(raw)
                };
                return Ok((rest, value));
            }
            '\\' => match chars.next() {
                Some((_, ' '..='~')) => escaped = true,
                _ => return fail(i, ErrorKind::Char),
            },
            c if is_qtext(c) => {}
            _ => return fail(i, ErrorKind::Char),
        }
    }
    fail(i, ErrorKind::Char)
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// `Local-part = Dot-string / Quoted-string`.
fn local_part(i: &str) -> IResult<&str, Cow<'_, str>> {
    match dot_string(i) {
        Ok((rest, local)) => Ok((rest, Cow::Borrowed(local))),
        Err(_) => quoted_string(i),
    }
}

/// Length of the `sub-domain` at the start of `i` (`Let-dig [Ldh-str]`, or a U-label):
/// no leading or trailing hyphen; 0 if there is none.
fn label_len(i: &str) -> usize {
    let n = span(i, &LDH);
    let l = &i.as_bytes()[..n];
    if l.first() == Some(&b'-') || l.last() == Some(&b'-') {
        0
    } else {
        n
    }
}

/// `Domain = sub-domain *("." sub-domain)`.
pub(super) fn domain(i: &str) -> IResult<&str, &str> {
    dotted(i, label_len)
}

/// An address literal, brackets included.
pub(super) fn address_literal(i: &str) -> IResult<&str, &str> {
    let bytes = i.as_bytes();
    if bytes.first() != Some(&b'[') {
        return fail(i, ErrorKind::Char);
    }
    let dcontent = |b: &u8| b.is_ascii_graphic() && !matches!(b, b'[' | b']' | b'\\');
    let len = bytes[1..].iter().take_while(|b| dcontent(b)).count();
    if len == 0 || !is_valid_literal(&i[1..=len]) {
        return fail(i, ErrorKind::Verify);
    }
    if bytes.get(len + 1) != Some(&b']') {
        return fail(i, ErrorKind::Char);
    }
    Ok(split(i, len + 2))
}

fn is_valid_literal(inner: &str) -> bool {
    if inner.len() > 5 && inner[..5].eq_ignore_ascii_case("IPv6:") {
        return inner[5..].parse::<Ipv6Addr>().is_ok();
    }
    if inner.parse::<Ipv4Addr>().is_ok() {
        return true;
    }
    // General-address-literal = Standardized-tag ":" 1*dcontent
    match inner.split_once(':') {
        Some((tag, content)) => {
            !content.is_empty()
                && !tag.is_empty()
                && !tag.starts_with('-')
                && !tag.ends_with('-')
                && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !tag.eq_ignore_ascii_case("IPv6")
        }
        None => false,
    }
}

fn domain_or_literal(i: &str) -> IResult<&str, &str> {
    if i.starts_with('[') {
        address_literal(i)
    } else {
        domain(i)
    }
}

fn expect(i: &str, c: char) -> IResult<&str, ()> {
    match i.strip_prefix(c) {
        Some(rest) => Ok((rest, ())),
        None => fail(i, ErrorKind::Char),
    }
}

/// `Mailbox = Local-part "@" ( Domain / address-literal )`.
fn mailbox(i: &str) -> IResult<&str, Address<'_>> {
    let (rest, local_part) = local_part(i)?;
    let (rest, ()) = expect(rest, '@')?;
    let (rest, domain) = domain_or_literal(rest)?;
    let address = Address {
        local_part,
        domain: Cow::Borrowed(domain),
    };
    Ok((rest, address))
}

/// `A-d-l ":"`: a source route, parsed and dropped.
fn source_route(i: &str) -> IResult<&str, ()> {
    let (mut rest, ()) = expect(i, '@')?;
    loop {
        (rest, _) = domain_or_literal(rest)?;
        match rest.strip_prefix(",@") {
            Some(next) => rest = next,
            None => return expect(rest, ':'),
        }
    }
}

/// `Path = "<" [ A-d-l ":" ] Mailbox ">"`.
fn path(i: &str) -> IResult<&str, Address<'_>> {
    let (mut rest, ()) = expect(i, '<')?;
    if rest.starts_with('@') {
        (rest, ()) = source_route(rest)?;
    }
    let (rest, address) = mailbox(rest)?;
    let (rest, ()) = expect(rest, '>')?;
    Ok((rest, address))
}

/// `Reverse-path = Path / "<>"`; `None` is the null path.
pub(super) fn reverse_path(i: &str) -> IResult<&str, Option<Address<'_>>> {
    match i.strip_prefix("<>") {
        Some(rest) => Ok((rest, None)),
        None => path(i).map(|(rest, address)| (rest, Some(address))),
    }
}

/// `Forward-path = Path / "<Postmaster>"` (case-insensitive, no domain).
pub(super) fn forward_path(i: &str) -> IResult<&str, Address<'_>> {
    const POSTMASTER: &[u8] = b"<postmaster>";
    let bytes = i.as_bytes();
    if bytes.len() >= POSTMASTER.len() && bytes[..POSTMASTER.len()].eq_ignore_ascii_case(POSTMASTER)
    {
        let address = Address {
            local_part: Cow::Borrowed(&i[1..POSTMASTER.len() - 1]),
            domain: Cow::Borrowed(""),
        };
        return Ok((&i[POSTMASTER.len()..], address));
    }
    path(i)
}
