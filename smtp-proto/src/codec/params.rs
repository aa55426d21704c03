//! ESMTP parameters of MAIL and RCPT (RFC 5321 section 4.1.2 `esmtp-param`).
//!
//! Known parameters are parsed into typed fields; a known keyword that appears twice is
//! an error. Keywords the parser does not know (or knows only for the other command) are
//! kept as [`Param`] for the application or server to judge.
//!
//! Parameters are checked on the line's bytes; text is taken from the line only for the
//! values that are kept as text (ENVID, AUTH, ORCPT and unknown parameters).

use std::borrow::Cow;
use std::ops::Range;

use bytes::{BufMut, BytesMut};

use super::scan::{
    ATOM, KEYWORD, Line, VALUE, all, decimal, skip_spaces, span, starts_with_ignore_case, word_end,
};
use super::xtext::{decode_xtext, encode_xtext};
use crate::types::{Body, MailParams, Notify, Orcpt, Param, RcptParams, Ret};

/// Why a parameter list was rejected.
pub(crate) type ParamError = Cow<'static, str>;

/// Part of the line for an error message. A line that is not UTF-8 is reported as such
/// instead (see `command`), so the lossy conversion is never seen.
fn as_text(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// One `keyword[=value]` word of the line, its syntax checked.
struct Word<'l> {
    /// The whole word.
    range: Range<usize>,
    key: &'l [u8],
    /// Which keyword `key` is.
    kind: Key,
    /// The value's range, if there is an `=`.
    value: Option<Range<usize>>,
}

/// Reads the parameter word that starts at `start` (not a space).
#[inline(always)]
fn read_param(b: &[u8], start: usize) -> Result<Word<'_>, ParamError> {
    let (kind, key_end) = match common_key(b, start) {
        Some(common) => common,
        None => {
            let key_end = span(b, start, KEYWORD);
            (Key::of(&b[start..key_end]), key_end)
        }
    };
    let (value, end) = match b.get(key_end) {
        Some(b'=') => {
            let value_end = span(b, key_end + 1, VALUE);
            (Some(key_end + 1..value_end), value_end)
        }
        _ => (None, key_end),
    };
    let well_formed = matches!(b.get(end), Some(b' ' | b'\r'))
        && key_end > start
        && b[start].is_ascii_alphanumeric()
        && value.as_ref().is_none_or(|v| !v.is_empty());
    if !well_formed {
        return Err(param_syntax_error(b, start));
    }
    Ok(Word {
        range: start..end,
        key: &b[start..key_end],
        kind,
        value,
    })
}

/// The keywords clients send most, recognised at `start` without a scan of their
/// characters: the keyword and where it ends, if it is followed by `=` or the end of the
/// word. (A scan would stop at the same place: none of those bytes is a keyword byte.)
#[inline(always)]
fn common_key(b: &[u8], start: usize) -> Option<(Key, usize)> {
    // `| 0x20` lower-cases a letter; only `S` and `s` become `s`, and so on.
    let (key, len) = match b.get(start)? | 0x20 {
        b's' if starts_with_ignore_case(b, start, b"SIZE") => (Key::Size, 4),
        b'b' if starts_with_ignore_case(b, start, b"BODY") => (Key::Body, 4),
        b'n' if starts_with_ignore_case(b, start, b"NOTIFY") => (Key::Notify, 6),
        b'o' if starts_with_ignore_case(b, start, b"ORCPT") => (Key::Orcpt, 5),
        _ => return None,
    };
    let end = start + len;
    matches!(b.get(end), Some(b'=' | b' ' | b'\r')).then_some((key, end))
}

/// What is wrong with the parameter word at `start`: its keyword (everything before the
/// first `=`) is checked first, then its value.
#[cold]
fn param_syntax_error(b: &[u8], start: usize) -> ParamError {
    let word = &b[start..word_end(b, start)];
    let key = &word[..word.iter().position(|&c| c == b'=').unwrap_or(word.len())];
    if !(all(key, KEYWORD) && key[0].is_ascii_alphanumeric()) {
        return format!("invalid parameter keyword {:?}", as_text(key)).into();
    }
    format!("invalid value for parameter {}", as_text(key)).into()
}

/// Skips the spaces before the next parameter at `at`; `Ok(Some(end))` if the line ends
/// there instead (after its CRLF).
#[inline]
fn next_param(b: &[u8], at: &mut usize) -> Result<Option<usize>, ParamError> {
    *at = skip_spaces(b, *at);
    if b.get(*at) != Some(&b'\r') {
        return Ok(None);
    }
    match b.get(*at + 1) {
        Some(b'\n') => Ok(Some(*at + 2)),
        _ => Err("line must end with CRLF".into()),
    }
}

/// The parameter keywords the parser knows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Size,
    Body,
    SmtpUtf8,
    Ret,
    Envid,
    RequireTls,
    Auth,
    Notify,
    Orcpt,
    Other,
}

/// Four bytes of a keyword with bit 5 cleared, as a little-endian word. Keywords are
/// letters, digits and `-`; clearing bit 5 upper-cases letters and maps a digit or `-`
/// to a control character, which no keyword holds, so comparing these ignores case
/// exactly.
const fn fold4(word: [u8; 4]) -> u32 {
    u32::from_le_bytes(word) & 0xDFDF_DFDF
}

/// [`fold4`] for eight bytes.
const fn fold8(word: [u8; 8]) -> u64 {
    u64::from_le_bytes(word) & 0xDFDF_DFDF_DFDF_DFDF
}

impl Key {
    #[inline(always)]
    fn of(key: &[u8]) -> Self {
        const RET: u32 = fold4(*b"RET\0");
        const SIZE: u32 = fold4(*b"SIZE");
        const BODY: u32 = fold4(*b"BODY");
        const AUTH: u32 = fold4(*b"AUTH");
        const ENVID: u64 = fold8(*b"ENVID\0\0\0");
        const ORCPT: u64 = fold8(*b"ORCPT\0\0\0");
        const NOTIFY: u64 = fold8(*b"NOTIFY\0\0");
        const SMTPUTF8: u64 = fold8(*b"SMTPUTF8");
        match *key {
            [a, b, c] if fold4([a, b, c, 0]) == RET => Self::Ret,
            [a, b, c, d] => match fold4([a, b, c, d]) {
                SIZE => Self::Size,
                BODY => Self::Body,
                AUTH => Self::Auth,
                _ => Self::Other,
            },
            [a, b, c, d, e] => match fold8([a, b, c, d, e, 0, 0, 0]) {
                ENVID => Self::Envid,
                ORCPT => Self::Orcpt,
                _ => Self::Other,
            },
            [a, b, c, d, e, f] if fold8([a, b, c, d, e, f, 0, 0]) == NOTIFY => Self::Notify,
            [a, b, c, d, e, f, g, h] if fold8([a, b, c, d, e, f, g, h]) == SMTPUTF8 => {
                Self::SmtpUtf8
            }
            _ if is_named(key, b"REQUIRETLS") => Self::RequireTls,
            _ => Self::Other,
        }
    }
}

/// Whether `word` is `name` (upper-case letters, digits and `-`), its letters in any case.
#[inline(always)]
fn is_named<const N: usize>(word: &[u8], name: &[u8; N]) -> bool {
    word.len() == N && starts_with_ignore_case(word, 0, name)
}

impl Word<'_> {
    fn required(&self) -> Result<Range<usize>, ParamError> {
        self.value
            .clone()
            .ok_or_else(|| format!("parameter {} needs a value", as_text(self.key)).into())
    }

    fn duplicate(&self) -> ParamError {
        format!("duplicate parameter {}", as_text(self.key)).into()
    }

    fn set_once<T>(&self, slot: &mut Option<T>, value: T) -> Result<(), ParamError> {
        if slot.is_some() {
            return Err(self.duplicate());
        }
        *slot = Some(value);
        Ok(())
    }

    fn set_flag(&self, flag: &mut bool) -> Result<(), ParamError> {
        if self.value.is_some() {
            return Err(format!("parameter {} takes no value", as_text(self.key)).into());
        }
        if *flag {
            return Err(self.duplicate());
        }
        *flag = true;
        Ok(())
    }

    /// The word as an unknown parameter.
    fn other<'a>(&self, line: &mut Line<'a>) -> Result<Param<'a>, ParamError> {
        let text = line.text(self.range.clone()).ok_or_else(not_utf8)?;
        let (keyword, value) = match text.split_at_checked(self.key.len()) {
            Some((k, v)) if !v.is_empty() => (k, Some(&v[1..])),
            _ => (text, None),
        };
        Ok(Param {
            keyword: Cow::Borrowed(keyword),
            value: value.map(Cow::Borrowed),
        })
    }
}

/// The error for text that is not UTF-8. The line as a whole is then reported as not
/// UTF-8 (see `command`), so the wording here is never seen.
fn not_utf8() -> ParamError {
    "parameter is not valid UTF-8".into()
}

/// An xtext value (ENVID, AUTH, ORCPT), decoded; `name` is used in the error.
fn xtext<'a>(
    line: &mut Line<'a>,
    value: Range<usize>,
    name: &[u8],
) -> Result<Cow<'a, str>, ParamError> {
    let text = line.text(value).ok_or_else(not_utf8)?;
    decode_xtext(text).ok_or_else(|| format!("invalid xtext in {}", as_text(name)).into())
}

fn parse_size(value: &[u8]) -> Result<u64, ParamError> {
    match decimal(value) {
        Ok(Some(size)) => Ok(size),
        Ok(None) => Err("SIZE value out of range".into()),
        Err(()) => Err("invalid SIZE value".into()),
    }
}

fn parse_body(value: &[u8]) -> Result<Body, ParamError> {
    if is_named(value, b"8BITMIME") {
        Ok(Body::EightBitMime)
    } else if is_named(value, b"7BIT") {
        Ok(Body::SevenBit)
    } else if is_named(value, b"BINARYMIME") {
        Ok(Body::BinaryMime)
    } else {
        Err("invalid BODY value".into())
    }
}

fn parse_ret(value: &[u8]) -> Result<Ret, ParamError> {
    if is_named(value, b"FULL") {
        Ok(Ret::Full)
    } else if is_named(value, b"HDRS") {
        Ok(Ret::Headers)
    } else {
        Err("invalid RET value".into())
    }
}

fn parse_auth<'a>(line: &mut Line<'a>, value: Range<usize>) -> Result<Cow<'a, str>, ParamError> {
    if &line.bytes()[value.clone()] == b"<>" {
        Ok(Cow::Borrowed("<>"))
    } else {
        xtext(line, value, b"AUTH")
    }
}

/// Parses the parameters that follow `MAIL FROM:<path>` at `start` into `params` (which
/// starts as the default); where the line ends.
pub(crate) fn parse_mail_params<'a>(
    line: &mut Line<'a>,
    start: usize,
    params: &mut MailParams<'a>,
) -> Result<usize, ParamError> {
    let b = line.bytes();
    let mut i = start;
    loop {
        if let Some(end) = next_param(b, &mut i)? {
            return Ok(end);
        }
        let w = read_param(b, i)?;
        i = w.range.end;
        match w.kind {
            Key::Size => w.set_once(&mut params.size, parse_size(&b[w.required()?])?)?,
            Key::Body => w.set_once(&mut params.body, parse_body(&b[w.required()?])?)?,
            Key::SmtpUtf8 => w.set_flag(&mut params.smtputf8)?,
            Key::Ret => w.set_once(&mut params.ret, parse_ret(&b[w.required()?])?)?,
            Key::Envid => w.set_once(&mut params.envid, xtext(line, w.required()?, w.key)?)?,
            Key::RequireTls => w.set_flag(&mut params.requiretls)?,
            Key::Auth => w.set_once(&mut params.auth, parse_auth(line, w.required()?)?)?,
            Key::Notify | Key::Orcpt | Key::Other => params.other.push(w.other(line)?),
        }
    }
}

fn parse_notify(value: &[u8]) -> Result<Notify, ParamError> {
    if is_named(value, b"NEVER") {
        return Ok(Notify::Never);
    }
    let (mut success, mut failure, mut delay) = (false, false, false);
    let mut rest = value;
    loop {
        let comma = rest.iter().position(|&c| c == b',');
        let item = &rest[..comma.unwrap_or(rest.len())];
        let flag = if is_named(item, b"SUCCESS") {
            &mut success
        } else if is_named(item, b"FAILURE") {
            &mut failure
        } else if is_named(item, b"DELAY") {
            &mut delay
        } else {
            return Err("invalid NOTIFY value".into());
        };
        if std::mem::replace(flag, true) {
            return Err("duplicate NOTIFY value".into());
        }
        match comma {
            Some(at) => rest = &rest[at + 1..],
            None => break,
        }
    }
    Ok(Notify::On {
        success,
        failure,
        delay,
    })
}

fn parse_orcpt<'a>(line: &mut Line<'a>, value: Range<usize>) -> Result<Orcpt<'a>, ParamError> {
    let b = line.bytes();
    // The address type is an atom, which holds no `;`: it ends at the first one.
    let type_end = span(b, value.start, ATOM);
    if type_end == value.start || type_end >= value.end || b[type_end] != b';' {
        return Err(orcpt_type_error(&b[value]));
    }
    let semicolon = type_end - value.start;
    let text = line.text(value).ok_or_else(not_utf8)?;
    let (addr_type, address) = text.split_at(semicolon);
    let address =
        decode_xtext(&address[1..]).ok_or_else(|| ParamError::from("invalid xtext in ORCPT"))?;
    Ok(Orcpt {
        addr_type: Cow::Borrowed(addr_type),
        address,
    })
}

/// What is wrong with an ORCPT value whose address type is not an atom followed by `;`.
#[cold]
fn orcpt_type_error(value: &[u8]) -> ParamError {
    if value.contains(&b';') {
        "invalid ORCPT address type".into()
    } else {
        "ORCPT needs addr-type;address".into()
    }
}

/// Parses the parameters that follow `RCPT TO:<path>` at `start` into `params` (which
/// starts as the default); where the line ends.
pub(crate) fn parse_rcpt_params<'a>(
    line: &mut Line<'a>,
    start: usize,
    params: &mut RcptParams<'a>,
) -> Result<usize, ParamError> {
    let b = line.bytes();
    let mut i = start;
    loop {
        if let Some(end) = next_param(b, &mut i)? {
            return Ok(end);
        }
        let w = read_param(b, i)?;
        i = w.range.end;
        match w.kind {
            Key::Notify => w.set_once(&mut params.notify, parse_notify(&b[w.required()?])?)?,
            Key::Orcpt => w.set_once(&mut params.orcpt, parse_orcpt(line, w.required()?)?)?,
            _ => params.other.push(w.other(line)?),
        }
    }
}

fn put_str(out: &mut BytesMut, s: &str) {
    out.extend_from_slice(s.as_bytes());
}

fn encode_other(params: &[Param<'_>], out: &mut BytesMut) {
    for p in params {
        out.put_u8(b' ');
        put_str(out, &p.keyword);
        if let Some(v) = &p.value {
            out.put_u8(b'=');
            put_str(out, v);
        }
    }
}

/// Writes MAIL parameters, each preceded by a space, in a fixed order.
pub(crate) fn encode_mail_params(params: &MailParams<'_>, out: &mut BytesMut) {
    if let Some(size) = params.size {
        put_str(out, &format!(" SIZE={size}"));
    }
    if let Some(body) = params.body {
        put_str(
            out,
            match body {
                Body::SevenBit => " BODY=7BIT",
                Body::EightBitMime => " BODY=8BITMIME",
                Body::BinaryMime => " BODY=BINARYMIME",
            },
        );
    }
    if params.smtputf8 {
        put_str(out, " SMTPUTF8");
    }
    if let Some(ret) = params.ret {
        put_str(
            out,
            match ret {
                Ret::Full => " RET=FULL",
                Ret::Headers => " RET=HDRS",
            },
        );
    }
    if let Some(envid) = &params.envid {
        put_str(out, " ENVID=");
        encode_xtext(envid, out);
    }
    if params.requiretls {
        put_str(out, " REQUIRETLS");
    }
    if let Some(auth) = &params.auth {
        put_str(out, " AUTH=");
        if auth == "<>" {
            put_str(out, auth);
        } else {
            encode_xtext(auth, out);
        }
    }
    encode_other(&params.other, out);
}

/// Writes RCPT parameters, each preceded by a space.
pub(crate) fn encode_rcpt_params(params: &RcptParams<'_>, out: &mut BytesMut) {
    match params.notify {
        None => {}
        Some(Notify::Never) => put_str(out, " NOTIFY=NEVER"),
        Some(Notify::On {
            success,
            failure,
            delay,
        }) => {
            let names = [(success, "SUCCESS"), (failure, "FAILURE"), (delay, "DELAY")];
            let list: Vec<&str> = names
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, n)| *n)
                .collect();
            put_str(out, " NOTIFY=");
            put_str(out, &list.join(","));
        }
    }
    if let Some(orcpt) = &params.orcpt {
        put_str(out, " ORCPT=");
        put_str(out, &orcpt.addr_type);
        out.put_u8(b';');
        encode_xtext(&orcpt.address, out);
    }
    encode_other(&params.other, out);
}

#[cfg(test)]
mod tests {
    use crate::codec::{CommandErrorKind, parse_command_line};
    use crate::types::{Body, Command, Notify};

    /// The reason a line is rejected for, or `None` if it is accepted.
    fn rejection(line: &str) -> Option<String> {
        match parse_command_line(line.as_bytes()) {
            Ok(_) => None,
            Err(e) => {
                assert_eq!(e.kind, CommandErrorKind::Parameter, "{line:?}");
                Some(e.reason.into_owned())
            }
        }
    }

    /// The common keywords are recognised without a scan; what follows them decides
    /// whether they are that keyword, another one, or malformed.
    #[test]
    fn common_keywords_and_their_neighbours() {
        let parsed = parse_command_line(b"MAIL FROM:<a@b> sIzE=12 body=7bit X=1\r\n");
        let Ok(Command::Mail(mail)) = parsed else {
            panic!("{parsed:?}");
        };
        assert_eq!(mail.params.size, Some(12));
        assert_eq!(mail.params.body, Some(Body::SevenBit));
        assert_eq!(mail.params.other.len(), 1);
        let parsed = parse_command_line(b"MAIL FROM:<a@b> SIZEX=1 BODY-2=x\r\n");
        let Ok(Command::Mail(mail)) = parsed else {
            panic!("{parsed:?}");
        };
        assert_eq!(mail.params.size, None);
        let keywords: Vec<_> = mail.params.other.iter().map(|p| &p.keyword).collect();
        assert_eq!(keywords, ["SIZEX", "BODY-2"]);
        let parsed = parse_command_line(b"RCPT TO:<a@b> notify=NEVER\r\n");
        let Ok(Command::Rcpt(rcpt)) = parsed else {
            panic!("{parsed:?}");
        };
        assert_eq!(rcpt.params.notify, Some(Notify::Never));
        for (line, reason) in [
            ("MAIL FROM:<a@b> SIZE\r\n", "parameter SIZE needs a value"),
            (
                "MAIL FROM:<a@b> SIZE=\r\n",
                "invalid value for parameter SIZE",
            ),
            (
                "MAIL FROM:<a@b> SIZE:1\r\n",
                "invalid parameter keyword \"SIZE:1\"",
            ),
            (
                "MAIL FROM:<a@b> SIZE=1 size=2\r\n",
                "duplicate parameter size",
            ),
            ("RCPT TO:<a@b> ORCPT\r\n", "parameter ORCPT needs a value"),
        ] {
            assert_eq!(rejection(line).as_deref(), Some(reason), "{line:?}");
        }
    }

    /// ORCPT's address type is an atom ended by the first `;`.
    #[test]
    fn orcpt_address_types() {
        let parsed = parse_command_line(b"RCPT TO:<a@b> ORCPT=x-a!;u+40v;w\r\n");
        let Ok(Command::Rcpt(rcpt)) = parsed else {
            panic!("{parsed:?}");
        };
        let orcpt = rcpt.params.orcpt.expect("ORCPT");
        assert_eq!((&*orcpt.addr_type, &*orcpt.address), ("x-a!", "u@v;w"));
        for (value, reason) in [
            ("rfc822", "ORCPT needs addr-type;address"),
            (";a@b", "invalid ORCPT address type"),
            ("rfc(822);a@b", "invalid ORCPT address type"),
            ("rfc\u{e9};a@b", "invalid ORCPT address type"),
            ("rfc822;a+4", "invalid xtext in ORCPT"),
        ] {
            let line = format!("RCPT TO:<a@b> ORCPT={value}\r\n");
            assert_eq!(rejection(&line).as_deref(), Some(reason), "{line:?}");
        }
    }
}
