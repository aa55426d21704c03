//! ESMTP parameters of MAIL and RCPT (RFC 5321 section 4.1.2 `esmtp-param`).
//!
//! Known parameters are parsed into typed fields; a known keyword that appears twice is
//! an error. Keywords the parser does not know (or knows only for the other command) are
//! kept as [`Param`] for the application or server to judge.

use std::borrow::Cow;

use bytes::{BufMut, BytesMut};

use super::line::{split_once_byte, words};
use super::xtext::{decode_xtext, encode_xtext};
use crate::types::{Body, MailParams, Notify, Orcpt, Param, RcptParams, Ret};

/// Why a parameter list was rejected.
pub(crate) type ParamError = Cow<'static, str>;

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

fn parse_auth(value: &str) -> Result<Cow<'_, str>, ParamError> {
    if value == "<>" {
        Ok(Cow::Borrowed(value))
    } else {
        xtext(value, "AUTH")
    }
}

/// Parses the parameters that follow `MAIL FROM:<path>`.
pub(crate) fn parse_mail_params(rest: &str) -> Result<MailParams<'_>, ParamError> {
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
            set_once(&mut auth, parse_auth(required(value, key)?)?, key)?;
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
pub(crate) fn parse_rcpt_params(rest: &str) -> Result<RcptParams<'_>, ParamError> {
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
