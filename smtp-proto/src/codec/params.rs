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

use super::scan::{ATOM, KEYWORD, Line, VALUE, all, decimal, skip_spaces, span, word_end};
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
    /// The value's range, if there is an `=`.
    value: Option<Range<usize>>,
}

/// Reads the parameter word that starts at `start` (not a space).
#[inline]
fn read_param(b: &[u8], start: usize) -> Result<Word<'_>, ParamError> {
    let key_end = span(b, start, KEYWORD);
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
        value,
    })
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

/// Reads the parameters from `start` to the end of the line, calling `each` with every
/// one in turn; where the line ends (after its CRLF).
fn read_params<'b>(
    b: &'b [u8],
    start: usize,
    mut each: impl FnMut(Word<'b>) -> Result<(), ParamError>,
) -> Result<usize, ParamError> {
    let mut i = start;
    loop {
        i = skip_spaces(b, i);
        if b.get(i) == Some(&b'\r') {
            return match b.get(i + 1) {
                Some(b'\n') => Ok(i + 2),
                _ => Err("line must end with CRLF".into()),
            };
        }
        let word = read_param(b, i)?;
        i = word.range.end;
        each(word)?;
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

impl Key {
    fn of(key: &[u8]) -> Self {
        let candidates: &[(&[u8], Self)] = match key.len() {
            3 => &[(b"RET", Self::Ret)],
            4 => &[
                (b"SIZE", Self::Size),
                (b"BODY", Self::Body),
                (b"AUTH", Self::Auth),
            ],
            5 => &[(b"ENVID", Self::Envid), (b"ORCPT", Self::Orcpt)],
            6 => &[(b"NOTIFY", Self::Notify)],
            8 => &[(b"SMTPUTF8", Self::SmtpUtf8)],
            10 => &[(b"REQUIRETLS", Self::RequireTls)],
            _ => &[],
        };
        candidates
            .iter()
            .find(|(name, _)| is_named(key, name))
            .map_or(Self::Other, |&(_, k)| k)
    }
}

/// Whether `word` is `name` (upper-case letters, digits and `-`) in any case. `word` holds
/// no control characters (it is a keyword or a value), which makes comparing with bit 5
/// cleared exact: only a letter and its other case differ in that bit alone, and the
/// other byte that would match a digit or `-` is a control character.
#[inline]
fn is_named(word: &[u8], name: &[u8]) -> bool {
    if word.len() != name.len() {
        return false;
    }
    let mut i = 0;
    while i < name.len() {
        if word[i] & 0xDF != name[i] & 0xDF {
            return false;
        }
        i += 1;
    }
    true
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
    [
        (&b"7BIT"[..], Body::SevenBit),
        (b"8BITMIME", Body::EightBitMime),
        (b"BINARYMIME", Body::BinaryMime),
    ]
    .into_iter()
    .find(|(name, _)| is_named(value, name))
    .map(|(_, body)| body)
    .ok_or_else(|| "invalid BODY value".into())
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

/// Parses the parameters that follow `MAIL FROM:<path>` at `start`; where the line ends
/// and the parameters.
pub(crate) fn parse_mail_params<'a>(
    line: &mut Line<'a>,
    start: usize,
) -> Result<(usize, MailParams<'a>), ParamError> {
    let mut params = MailParams::default();
    let (mut size, mut body, mut ret, mut envid, mut auth) = (None, None, None, None, None);
    let b = line.bytes();
    let end = read_params(b, start, |w| {
        match Key::of(w.key) {
            Key::Size => w.set_once(&mut size, parse_size(&b[w.required()?])?)?,
            Key::Body => w.set_once(&mut body, parse_body(&b[w.required()?])?)?,
            Key::SmtpUtf8 => w.set_flag(&mut params.smtputf8)?,
            Key::Ret => w.set_once(&mut ret, parse_ret(&b[w.required()?])?)?,
            Key::Envid => w.set_once(&mut envid, xtext(line, w.required()?, w.key)?)?,
            Key::RequireTls => w.set_flag(&mut params.requiretls)?,
            Key::Auth => w.set_once(&mut auth, parse_auth(line, w.required()?)?)?,
            Key::Notify | Key::Orcpt | Key::Other => params.other.push(w.other(line)?),
        }
        Ok(())
    })?;
    params.size = size;
    params.body = body;
    params.ret = ret;
    params.envid = envid;
    params.auth = auth;
    Ok((end, params))
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
    let semicolon = b[value.clone()]
        .iter()
        .position(|&c| c == b';')
        .ok_or_else(|| ParamError::from("ORCPT needs addr-type;address"))?;
    let type_end = value.start + semicolon;
    if !all(&b[value.start..type_end], ATOM) {
        return Err("invalid ORCPT address type".into());
    }
    let text = line.text(value).ok_or_else(not_utf8)?;
    let (addr_type, address) = text.split_at(semicolon);
    let address =
        decode_xtext(&address[1..]).ok_or_else(|| ParamError::from("invalid xtext in ORCPT"))?;
    Ok(Orcpt {
        addr_type: Cow::Borrowed(addr_type),
        address,
    })
}

/// Parses the parameters that follow `RCPT TO:<path>` at `start`; where the line ends
/// and the parameters.
pub(crate) fn parse_rcpt_params<'a>(
    line: &mut Line<'a>,
    start: usize,
) -> Result<(usize, RcptParams<'a>), ParamError> {
    let mut params = RcptParams::default();
    let (mut notify, mut orcpt) = (None, None);
    let b = line.bytes();
    let end = read_params(b, start, |w| {
        match Key::of(w.key) {
            Key::Notify => w.set_once(&mut notify, parse_notify(&b[w.required()?])?)?,
            Key::Orcpt => w.set_once(&mut orcpt, parse_orcpt(line, w.required()?)?)?,
            _ => params.other.push(w.other(line)?),
        }
        Ok(())
    })?;
    params.notify = notify;
    params.orcpt = orcpt;
    Ok((end, params))
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
