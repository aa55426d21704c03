//! Small parsers and writers shared by the response codec modules.

use nom::Parser;
use nom::error::{Error, ErrorKind};

use super::Encoder;
use super::primitives::{PResult, WORD, fail, is, is_nil, number_u64, quoted, word_no_case};
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
    number_u64(i)
}

/// A keyword (case-insensitive) that must not run on into more atom characters.
pub(crate) fn keyword<'a>(
    word: &'static str,
) -> impl Parser<&'a [u8], Output = (), Error = Error<&'a [u8]>> {
    move |i| keyword_at(i, word.as_bytes())
}

/// Consumes `word`, compared in any case, when it is a whole word: not followed by a
/// letter, digit, `.`, `-`, `_` or `=`.
#[inline]
pub(crate) fn keyword_at<'a>(i: &'a [u8], word: &[u8]) -> PResult<'a, ()> {
    let (rest, ()) = word_no_case(i, word)?;
    match rest.first() {
        Some(&b) if is(b, WORD) => fail(i),
        _ => Ok((rest, ())),
    }
}

/// End of a response line: optional trailing spaces (some servers send them), optional
/// CR, LF.
pub(crate) fn line_end(i: &[u8]) -> PResult<'_, ()> {
    let spaces = i.iter().take_while(|&&b| b == b' ').count();
    match &i[spaces..] {
        [b'\n', rest @ ..] | [b'\r', b'\n', rest @ ..] => Ok((rest, ())),
        _ => fail(i),
    }
}

/// `nil`.
pub(crate) fn nil(i: &[u8]) -> PResult<'_, ()> {
    if is_nil(i) {
        Ok((&i[3..], ()))
    } else {
        fail(i)
    }
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
            Err(_) => fail(i),
        },
        _ => fail(i),
    }
}

/// `SP x` repeated: zero or more items each preceded by a space.
pub(crate) fn sp_items<'a, T>(
    mut item: impl Parser<&'a [u8], Output = T, Error = Error<&'a [u8]>>,
    mut i: &'a [u8],
) -> PResult<'a, Vec<T>> {
    let mut out = Vec::new();
    while let Some(after) = i.strip_prefix(b" ") {
        match item.parse(after) {
            Ok((rest, v)) => {
                out.push(v);
                i = rest;
            }
            Err(nom::Err::Error(_)) => break,
            Err(e) => return Err(e),
        }
    }
    Ok((i, out))
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
