//! Decode-encode-decode for SMTP commands and replies, both ways:
//! - arbitrary bytes that decode must encode to bytes that decode to the same value;
//! - structured values built from the input (valid by construction) must survive
//!   encode -> decode unchanged.
#![no_main]

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use arbitrary::{Result, Unstructured};
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use smtp_proto::codec::{DecodeError, decode_command, decode_reply, encode_command, encode_reply};
use smtp_proto::types::{
    Address, Body, Command, EnhancedCode, InitialResponse, MailFrom, MailParams, Notify, Orcpt,
    Param, RcptParams, RcptTo, Reply, Ret,
};

fuzz_target!(|data: &[u8]| {
    raw_command(data);
    raw_reply(data);
    let mut u = Unstructured::new(data);
    if let Ok(command) = command(&mut u) {
        let mut out = BytesMut::new();
        encode_command(&command, &mut out);
        let decoded = decode_command(&out);
        assert_eq!(
            decoded,
            Ok((out.len(), command)),
            "{:?}",
            String::from_utf8_lossy(&out)
        );
    }
    if let Ok(reply) = reply(&mut u) {
        let mut out = BytesMut::new();
        encode_reply(&reply, &mut out);
        let decoded = decode_reply(&out);
        assert_eq!(
            decoded,
            Ok((out.len(), reply)),
            "{:?}",
            String::from_utf8_lossy(&out)
        );
    }
});

fn raw_command(data: &[u8]) {
    let Ok((_, first)) = decode_command(data) else {
        return;
    };
    let mut out = BytesMut::new();
    encode_command(&first, &mut out);
    let second = decode_command(&out);
    assert_eq!(
        second,
        Ok((out.len(), first)),
        "{:?}",
        String::from_utf8_lossy(&out)
    );
}

/// The decoder's documented default limits: a reply line of 4096 bytes with its CRLF,
/// a reply of 65536 bytes.
const REPLY_LINE_LIMIT: usize = 4096;
const REPLY_LIMIT: usize = 65536;

fn raw_reply(data: &[u8]) {
    let Ok((_, first)) = decode_reply(data) else {
        return;
    };
    let mut out = BytesMut::new();
    encode_reply(&first, &mut out);
    let second = decode_reply(&out);
    // Text that is not UTF-8 is decoded with U+FFFD (three bytes) for each bad byte, so
    // a reply within the limits can encode to one beyond them; the decoder must then
    // refuse it (found by the campaign of 2026-11-27).
    let longest_line = out.split_inclusive(|&b| b == b'\n').map(<[u8]>::len).max();
    if longest_line.unwrap_or(0) > REPLY_LINE_LIMIT || out.len() > REPLY_LIMIT {
        assert!(
            matches!(second, Err(DecodeError::Invalid { .. })),
            "{second:?}"
        );
        return;
    }
    assert_eq!(
        second,
        Ok((out.len(), first)),
        "{:?}",
        String::from_utf8_lossy(&out)
    );
}

/// A string of up to `max` characters drawn from the input, keeping those `keep` accepts.
fn text(u: &mut Unstructured<'_>, max: usize, keep: impl Fn(char) -> bool) -> Result<String> {
    let raw: String = u.arbitrary()?;
    Ok(raw.chars().filter(|&c| keep(c)).take(max).collect())
}

fn non_empty(s: String, fallback: &str) -> String {
    if s.is_empty() { fallback.to_owned() } else { s }
}

/// A word from an alphabet, non-empty.
fn word(u: &mut Unstructured<'_>, alphabet: &[u8], max: usize) -> Result<String> {
    let len = u.int_in_range(1..=max)?;
    (0..len)
        .map(|_| u.choose(alphabet).map(|&b| char::from(b)))
        .collect()
}

const LDH: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";
const ATEXT: &[u8] = b"abcxyzABCXYZ0189!#$%&'*+-/=?^_`{|}~";

fn domain(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=3)? {
        0 => format!("[{}]", Ipv4Addr::from(u.arbitrary::<u32>()?)),
        1 => format!("[IPv6:{}]", Ipv6Addr::from(u.arbitrary::<u128>()?)),
        2 => "b\u{fc}cher.example".to_owned(),
        _ => {
            let labels = u.int_in_range(1..=4)?;
            let mut out = Vec::new();
            for _ in 0..labels {
                let label = word(u, LDH, 20)?;
                out.push(format!("x{}y", label));
            }
            out.join(".")
        }
    })
}

fn address(u: &mut Unstructured<'_>) -> Result<Address<'static>> {
    let local = if u.arbitrary()? {
        // Any printable text: the encoder quotes it when it is not a dot-string.
        text(u, 40, |c| !c.is_control())?
    } else {
        word(u, ATEXT, 20)?
    };
    Ok(Address::new(local, domain(u)?))
}

fn printable(c: char) -> bool {
    !c.is_control()
}

fn param_value(c: char) -> bool {
    matches!(c, '!'..='~') && c != '=' || !c.is_ascii() && !c.is_control()
}

fn other_params(u: &mut Unstructured<'_>, known: &[&str]) -> Result<Vec<Param<'static>>> {
    let mut params = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        let keyword = format!("X{}", word(u, LDH, 12)?);
        if known.iter().any(|k| k.eq_ignore_ascii_case(&keyword)) {
            continue;
        }
        let value = if u.arbitrary()? {
            Some(Cow::Owned(non_empty(text(u, 20, param_value)?, "v")))
        } else {
            None
        };
        params.push(Param {
            keyword: Cow::Owned(keyword),
            value,
        });
    }
    Ok(params)
}

fn mail_params(u: &mut Unstructured<'_>) -> Result<MailParams<'static>> {
    const KNOWN: &[&str] = &[
        "SIZE",
        "BODY",
        "SMTPUTF8",
        "RET",
        "ENVID",
        "REQUIRETLS",
        "AUTH",
    ];
    let auth = match u.int_in_range(0..=2)? {
        0 => None,
        1 => Some(Cow::Borrowed("<>")),
        _ => Some(Cow::Owned(non_empty(text(u, 30, printable)?, "a"))),
    };
    Ok(MailParams {
        size: u.arbitrary()?,
        body: *u.choose(&[
            None,
            Some(Body::SevenBit),
            Some(Body::EightBitMime),
            Some(Body::BinaryMime),
        ])?,
        smtputf8: u.arbitrary()?,
        ret: *u.choose(&[None, Some(Ret::Full), Some(Ret::Headers)])?,
        envid: if u.arbitrary()? {
            Some(Cow::Owned(non_empty(text(u, 30, printable)?, "e")))
        } else {
            None
        },
        requiretls: u.arbitrary()?,
        auth,
        other: other_params(u, KNOWN)?,
    })
}

fn rcpt_params(u: &mut Unstructured<'_>) -> Result<RcptParams<'static>> {
    let notify = match u.int_in_range(0..=2)? {
        0 => None,
        1 => Some(Notify::Never),
        _ => {
            let (success, failure, delay) = u.arbitrary()?;
            Some(Notify::On {
                success: success || !(failure || delay),
                failure,
                delay,
            })
        }
    };
    let orcpt = if u.arbitrary()? {
        Some(Orcpt {
            addr_type: Cow::Owned(word(u, b"abcXYZ019!#$%&*+-/?^_{}~", 10)?),
            address: Cow::Owned(non_empty(text(u, 30, printable)?, "o")),
        })
    } else {
        None
    };
    Ok(RcptParams {
        notify,
        orcpt,
        other: other_params(u, &["NOTIFY", "ORCPT"])?,
    })
}

/// Text for NOOP/HELP/VRFY/EXPN: no control characters, no surrounding spaces.
fn argument(u: &mut Unstructured<'_>) -> Result<Option<Cow<'static, str>>> {
    let t = text(u, 40, printable)?;
    let t = t.trim_matches(' ');
    Ok((!t.is_empty()).then(|| Cow::Owned(t.to_owned())))
}

fn command(u: &mut Unstructured<'_>) -> Result<Command<'static>> {
    let hello = |u: &mut Unstructured<'_>| -> Result<Cow<'static, str>> {
        Ok(Cow::Owned(non_empty(
            text(u, 40, |c| printable(c) && c != ' ')?,
            "h",
        )))
    };
    Ok(match u.int_in_range(0..=14)? {
        0 => Command::Ehlo(hello(u)?),
        1 => Command::Helo(hello(u)?),
        2 => Command::Lhlo(hello(u)?),
        3 => Command::Mail(MailFrom {
            sender: if u.arbitrary()? {
                Some(address(u)?)
            } else {
                None
            },
            params: mail_params(u)?,
        }),
        4 => Command::Rcpt(RcptTo {
            recipient: if u.ratio(1u8, 8)? {
                Address::postmaster()
            } else {
                address(u)?
            },
            params: rcpt_params(u)?,
        }),
        5 => Command::Data,
        6 => Command::Bdat {
            size: u.arbitrary()?,
            last: u.arbitrary()?,
        },
        7 => Command::Rset,
        8 => Command::Noop(argument(u)?),
        9 => Command::Quit,
        10 => Command::Vrfy(argument(u)?.unwrap_or(Cow::Borrowed("v"))),
        11 => Command::Expn(argument(u)?.unwrap_or(Cow::Borrowed("x"))),
        12 => Command::Help(argument(u)?),
        13 => Command::StartTls,
        _ => Command::Auth {
            mechanism: Cow::Owned(word(u, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", 20)?),
            initial_response: if u.arbitrary()? {
                Some(InitialResponse::from_decoded(&u.arbitrary::<Vec<u8>>()?))
            } else {
                None
            },
        },
    })
}

fn reply(u: &mut Unstructured<'_>) -> Result<Reply<'static>> {
    let code: u16 = *u.choose(&[2u16, 3, 4, 5])? * 100 + u.int_in_range(0..=59)?;
    let class = (code / 100) as u8;
    let enhanced = if class != 3 && u.arbitrary()? {
        Some(EnhancedCode::new(
            class,
            u.int_in_range(0..=999)?,
            u.int_in_range(0..=999)?,
        ))
    } else {
        None
    };
    let count = u.int_in_range(1..=8)?;
    let mut lines = Vec::new();
    for _ in 0..count {
        let mut line = text(u, 120, |c| !matches!(c, '\r' | '\n' | '\0'))?;
        if enhanced.is_none() && line.starts_with(|c: char| c.is_ascii_digit()) {
            // Text that starts like an enhanced code would be read as one.
            line.insert(0, 'x');
        }
        lines.push(Cow::Owned(line));
    }
    Ok(Reply::multiline(code, enhanced, lines))
}
