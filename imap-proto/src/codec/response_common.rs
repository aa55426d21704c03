//! Small parsers and writers shared by the response codec modules.

use nom::Parser;
use nom::bytes::complete::{tag, tag_no_case, take_while, take_while1};
use nom::character::complete::digit1;
use nom::combinator::{map_res, not, opt, peek, value};
use nom::error::{Error, ErrorKind};
use nom::sequence::preceded;

use super::Encoder;
use super::primitives::{PResult, quoted, sp};
use crate::types::Delimiter;

/// Default nesting limit for BODYSTRUCTURE, THREAD and extension values.
pub(crate) const DEFAULT_MAX_DEPTH: usize = 64;

/// Reason given when input nests deeper than the limit.
pub(crate) const TOO_DEEP: &str = "response nests too deeply";

/// Fails (without backtracking) because the input nests deeper than allowed.
pub(crate) fn too_deep<T>(i: &[u8]) -> PResult<'_, T> {
    Err(nom::Err::Failure(Error::new(i, ErrorKind::TooLarge)))
}

/// Whether a parse error is the nesting-limit failure.
pub(crate) fn is_too_deep(e: &nom::Err<Error<&[u8]>>) -> bool {
    matches!(e, nom::Err::Failure(err) if err.code == ErrorKind::TooLarge)
}

/// A number of up to 64 bits. RFC 9051's `number64` stops at 2^63 - 1; larger values are
/// accepted so that every `u64` a peer or the application produces reads back.
pub(crate) fn number64(i: &[u8]) -> PResult<'_, u64> {
    map_res(digit1, |d: &[u8]| {
        std::str::from_utf8(d)
            .map_err(|_| ())
            .and_then(|s| s.parse::<u64>().map_err(|_| ()))
    })
    .parse(i)
}

/// A keyword (case-insensitive) that must not run on into more atom characters.
pub(crate) fn keyword<'a>(
    word: &'static str,
) -> impl Parser<&'a [u8], Output = (), Error = Error<&'a [u8]>> {
    value(
        (),
        (
            tag_no_case(word.as_bytes()),
            not(peek(take_while1(|b: u8| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'=')
            }))),
        ),
    )
}

/// End of a response line: optional trailing spaces (some servers send them), optional
/// CR, LF.
pub(crate) fn line_end(i: &[u8]) -> PResult<'_, ()> {
    value(
        (),
        (
            take_while(|b| b == b' '),
            opt(tag(&b"\r"[..])),
            tag(&b"\n"[..]),
        ),
    )
    .parse(i)
}

/// `nil`.
pub(crate) fn nil(i: &[u8]) -> PResult<'_, ()> {
    value((), tag_no_case(&b"NIL"[..])).parse(i)
}

/// `DQUOTE QUOTED-CHAR DQUOTE / nil`: a hierarchy delimiter.
pub(crate) fn delimiter(i: &[u8]) -> PResult<'_, Option<Delimiter>> {
    if let Ok((rest, ())) = nil(i) {
        return Ok((rest, None));
    }
    let (rest, content) = quoted(i)?;
    let text = std::str::from_utf8(&content).ok();
    let mut chars = text.into_iter().flat_map(str::chars);
    match (chars.next(), chars.next()) {
        (Some(c), None) => match Delimiter::new(c) {
            Ok(d) => Ok((rest, Some(d))),
            Err(_) => super::primitives::fail(i),
        },
        _ => super::primitives::fail(i),
    }
}

/// `SP x` repeated: zero or more items each preceded by a space.
pub(crate) fn sp_items<'a, T>(
    mut item: impl Parser<&'a [u8], Output = T, Error = Error<&'a [u8]>>,
    mut i: &'a [u8],
) -> PResult<'a, Vec<T>> {
    let mut out = Vec::new();
    loop {
        match preceded(sp, |x| item.parse(x)).parse(i) {
            Ok((rest, v)) => {
                out.push(v);
                i = rest;
            }
            Err(nom::Err::Error(_)) => return Ok((i, out)),
            Err(e) => return Err(e),
        }
    }
}

/// Writes a quoted string of text that is known to be quotable (no CR, LF or NUL).
pub(crate) fn put_quoted(e: &mut Encoder, text: &str) {
    let mut buf = Vec::with_capacity(text.len() + 2);
    buf.push(b'"');
    for &b in text.as_bytes() {
        if b == b'"' || b == b'\\' {
            buf.push(b'\\');
        }
        buf.push(b);
    }
    buf.push(b'"');
    e.raw(&buf);
}

/// Writes a delimiter (`"/"` or `NIL`).
pub(crate) fn put_delimiter(e: &mut Encoder, d: Option<Delimiter>) {
    match d {
        None => {
            e.raw(b"NIL");
        }
        Some(d) => {
            let mut tmp = [0u8; 4];
            put_quoted(e, d.as_char().encode_utf8(&mut tmp));
        }
    }
}
