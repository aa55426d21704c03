//! nom parsers for the basic IMAP values, shared by the command and response decoders.
//!
//! They run on fully framed input (see [`frame`](super::frame)), so they are `complete`
//! parsers: running out of input is an error, never a request for more.

use std::borrow::Cow;
use std::num::{NonZeroU32, NonZeroU64};

use nom::branch::alt;
use nom::bytes::complete::{tag, tag_no_case, take, take_while_m_n, take_while1};
use nom::character::complete::digit1;
use nom::combinator::{map, map_res, opt, value};
use nom::error::{Error, ErrorKind};
use nom::multi::separated_list1;
use nom::sequence::{delimited, preceded};
use nom::{IResult, Parser};

use crate::types::{
    AString, Atom, Date, DateTime, Flag, IString, Literal, LiteralHeader, MONTHS, Mailbox, NString,
    SeqNumber, SeqRange, SequenceSet, Tag, is_astring_char, is_atom_char, is_list_char,
    is_tag_char,
};

/// Result of a parser over framed bytes.
pub(crate) type PResult<'a, T> = IResult<&'a [u8], T>;

/// A recoverable parse error at `i`.
pub(crate) fn fail<T>(i: &[u8]) -> PResult<'_, T> {
    Err(nom::Err::Error(Error::new(i, ErrorKind::Verify)))
}

pub(crate) fn sp(i: &[u8]) -> PResult<'_, ()> {
    value((), tag(&b" "[..])).parse(i)
}

pub(crate) fn crlf(i: &[u8]) -> PResult<'_, ()> {
    value((), tag(&b"\r\n"[..])).parse(i)
}

/// ASCII bytes that the caller has checked to be a subset of visible ASCII.
fn ascii(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or_default()
}

pub(crate) fn cow_bytes_to_str(b: Cow<'_, [u8]>) -> Option<Cow<'_, str>> {
    match b {
        Cow::Borrowed(b) => std::str::from_utf8(b).ok().map(Cow::Borrowed),
        Cow::Owned(v) => String::from_utf8(v).ok().map(Cow::Owned),
    }
}

/// `number` (32-bit unsigned).
pub(crate) fn number(i: &[u8]) -> PResult<'_, u32> {
    map_res(digit1, |d: &[u8]| ascii(d).parse::<u32>()).parse(i)
}

/// `number64` (63-bit unsigned, RFC 9051).
pub(crate) fn number64(i: &[u8]) -> PResult<'_, u64> {
    map_res(digit1, |d: &[u8]| {
        ascii(d)
            .parse::<u64>()
            .map_err(|_| ())
            .and_then(|n| if n <= i64::MAX as u64 { Ok(n) } else { Err(()) })
    })
    .parse(i)
}

/// `nz-number`.
pub(crate) fn nz_number(i: &[u8]) -> PResult<'_, NonZeroU32> {
    map_res(number, |n| NonZeroU32::new(n).ok_or(())).parse(i)
}

/// `nz-number64`.
pub(crate) fn nz_number64(i: &[u8]) -> PResult<'_, NonZeroU64> {
    map_res(number64, |n| NonZeroU64::new(n).ok_or(())).parse(i)
}

pub(crate) fn tag_value(i: &[u8]) -> PResult<'_, Tag<'_>> {
    map_res(take_while1(is_tag_char), |t: &[u8]| Tag::new(ascii(t))).parse(i)
}

pub(crate) fn atom(i: &[u8]) -> PResult<'_, Atom<'_>> {
    map_res(take_while1(is_atom_char), |a: &[u8]| Atom::new(ascii(a))).parse(i)
}

/// `quoted`: the unescaped content. Accepts 8-bit bytes (UTF-8 in IMAP4rev2).
pub(crate) fn quoted(i: &[u8]) -> PResult<'_, Cow<'_, [u8]>> {
    let Some(body) = i.strip_prefix(b"\"") else {
        return fail(i);
    };
    let mut owned: Option<Vec<u8>> = None;
    let mut start = 0;
    loop {
        let rest = &body[start..];
        // One pass to the next byte that matters; quoted strings are mostly short, so a
        // plain loop beats setting up `memchr` searches.
        let Some(off) = rest
            .iter()
            .position(|&c| matches!(c, b'"' | b'\\' | 0 | b'\r' | b'\n'))
        else {
            return fail(i);
        };
        let (seg, k) = (&rest[..off], start + off);
        match body[k] {
            b'"' => {
                let value = match owned {
                    Some(mut v) => {
                        v.extend_from_slice(seg);
                        Cow::Owned(v)
                    }
                    None => Cow::Borrowed(seg),
                };
                return Ok((&body[k + 1..], value));
            }
            b'\\' => {
                let Some(&next @ (b'"' | b'\\')) = body.get(k + 1) else {
                    return fail(&body[k..]);
                };
                let v = owned.get_or_insert_with(Vec::new);
                v.extend_from_slice(seg);
                v.push(next);
                start = k + 2;
            }
            _ => return fail(&body[k..]),
        }
    }
}

/// A literal header `{n}`, `{n+}`, `~{n}`, `~{n+}` with its CRLF.
pub(crate) fn literal_header(i: &[u8]) -> PResult<'_, LiteralHeader> {
    let (i, binary) = map(opt(tag(&b"~"[..])), |t| t.is_some()).parse(i)?;
    let (i, (length, plus)) = delimited(
        tag(&b"{"[..]),
        (number, opt(tag(&b"+"[..]))),
        (tag(&b"}"[..]), crlf),
    )
    .parse(i)?;
    Ok((
        i,
        LiteralHeader {
            length,
            binary,
            non_sync: plus.is_some(),
        },
    ))
}

/// A literal or literal8 with its data.
pub(crate) fn any_literal(i: &[u8]) -> PResult<'_, (Cow<'_, [u8]>, LiteralHeader)> {
    let (i, header) = literal_header(i)?;
    let len = usize::try_from(header.length).unwrap_or(usize::MAX);
    let (rest, data) = take(len).parse(i)?;
    if !header.binary && data.contains(&0) {
        return fail(i);
    }
    Ok((rest, (Cow::Borrowed(data), header)))
}

/// `literal` (not literal8).
pub(crate) fn literal(i: &[u8]) -> PResult<'_, Cow<'_, [u8]>> {
    let (rest, (data, header)) = any_literal(i)?;
    if header.binary {
        return fail(i);
    }
    Ok((rest, data))
}

/// `literal` or `literal8` as a [`Literal`] value.
pub(crate) fn literal_value(i: &[u8]) -> PResult<'_, Literal<'_>> {
    map_res(any_literal, |(data, header)| {
        if header.binary {
            Literal::binary(data)
        } else {
            Literal::new(data)
        }
    })
    .parse(i)
}

/// `string` as raw bytes.
pub(crate) fn string_bytes(i: &[u8]) -> PResult<'_, Cow<'_, [u8]>> {
    alt((quoted, literal)).parse(i)
}

pub(crate) fn istring(i: &[u8]) -> PResult<'_, IString<'_>> {
    // `quoted` and `literal` reject NUL already.
    map(string_bytes, IString::from_checked).parse(i)
}

pub(crate) fn astring_bytes(i: &[u8]) -> PResult<'_, Cow<'_, [u8]>> {
    alt((
        map(take_while1(is_astring_char), Cow::Borrowed),
        string_bytes,
    ))
    .parse(i)
}

pub(crate) fn astring(i: &[u8]) -> PResult<'_, AString<'_>> {
    // The atom characters, `quoted` and `literal` exclude NUL already.
    map(astring_bytes, AString::from_checked).parse(i)
}

/// An astring that must be UTF-8 text.
pub(crate) fn astring_str(i: &[u8]) -> PResult<'_, Cow<'_, str>> {
    map_res(astring_bytes, |b| cow_bytes_to_str(b).ok_or(())).parse(i)
}

pub(crate) fn nstring(i: &[u8]) -> PResult<'_, NString<'_>> {
    alt((
        value(NString(None), tag_no_case(&b"NIL"[..])),
        map(istring, |s| NString(Some(s))),
    ))
    .parse(i)
}

pub(crate) fn mailbox(i: &[u8]) -> PResult<'_, Mailbox<'_>> {
    map_res(astring_str, Mailbox::new).parse(i)
}

/// `list-mailbox`: a LIST pattern as text.
pub(crate) fn list_mailbox(i: &[u8]) -> PResult<'_, Cow<'_, str>> {
    alt((
        map(take_while1(is_list_char), |b| Cow::Borrowed(ascii(b))),
        map_res(string_bytes, |b| cow_bytes_to_str(b).ok_or(())),
    ))
    .parse(i)
}

/// `flag`: `\Name` or a keyword. `\*` is not a flag (see [`flag_perm_wildcard`]).
pub(crate) fn flag(i: &[u8]) -> PResult<'_, Flag<'_>> {
    map_res(
        (opt(tag(&b"\\"[..])), take_while1(is_atom_char)),
        |(slash, name): (Option<&[u8]>, &[u8])| {
            let len = usize::from(slash.is_some()) + name.len();
            let text = &i[..len];
            Flag::from_name(ascii(text))
        },
    )
    .parse(i)
}

/// `\*` in PERMANENTFLAGS.
pub(crate) fn flag_perm_wildcard(i: &[u8]) -> PResult<'_, ()> {
    value((), tag(&b"\\*"[..])).parse(i)
}

/// `"(" [x *(SP x)] ")"`.
pub(crate) fn paren_list<'a, T>(
    item: impl Parser<&'a [u8], Output = T, Error = Error<&'a [u8]>>,
) -> impl Parser<&'a [u8], Output = Vec<T>, Error = Error<&'a [u8]>> {
    delimited(
        tag(&b"("[..]),
        map(opt(separated_list1(sp, item)), Option::unwrap_or_default),
        tag(&b")"[..]),
    )
}

/// `"(" x *(SP x) ")"` (at least one).
pub(crate) fn paren_list1<'a, T>(
    item: impl Parser<&'a [u8], Output = T, Error = Error<&'a [u8]>>,
) -> impl Parser<&'a [u8], Output = Vec<T>, Error = Error<&'a [u8]>> {
    delimited(tag(&b"("[..]), separated_list1(sp, item), tag(&b")"[..]))
}

pub(crate) fn flag_list(i: &[u8]) -> PResult<'_, Vec<Flag<'_>>> {
    paren_list(flag).parse(i)
}

fn seq_number(i: &[u8]) -> PResult<'_, SeqNumber> {
    alt((
        value(SeqNumber::Largest, tag(&b"*"[..])),
        map(nz_number, SeqNumber::Value),
    ))
    .parse(i)
}

fn seq_range(i: &[u8]) -> PResult<'_, SeqRange> {
    map(
        (seq_number, opt(preceded(tag(&b":"[..]), seq_number))),
        |(from, to)| SeqRange { from, to },
    )
    .parse(i)
}

pub(crate) fn sequence_set(i: &[u8]) -> PResult<'_, SequenceSet> {
    alt((
        value(SequenceSet::saved(), tag(&b"$"[..])),
        map_res(separated_list1(tag(&b","[..]), seq_range), SequenceSet::new),
    ))
    .parse(i)
}

fn digits(min: usize, max: usize) -> impl FnMut(&[u8]) -> PResult<'_, u16> {
    move |i| {
        map_res(take_while_m_n(min, max, |b: u8| b.is_ascii_digit()), |d| {
            ascii(d).parse::<u16>()
        })
        .parse(i)
    }
}

fn month(i: &[u8]) -> PResult<'_, u8> {
    let (rest, name) = take(3usize).parse(i)?;
    match MONTHS
        .iter()
        .position(|m| m.as_bytes().eq_ignore_ascii_case(name))
    {
        Some(p) => Ok((rest, p as u8 + 1)),
        None => fail(i),
    }
}

fn date_inner(i: &[u8]) -> PResult<'_, Date> {
    map_res(
        (
            digits(1, 2),
            tag(&b"-"[..]),
            month,
            tag(&b"-"[..]),
            digits(4, 4),
        ),
        |(d, _, m, _, y)| Date::new(y, m, d as u8),
    )
    .parse(i)
}

/// `date`: `1-Feb-1994` or the same in quotes.
pub(crate) fn date(i: &[u8]) -> PResult<'_, Date> {
    alt((
        date_inner,
        delimited(tag(&b"\""[..]), date_inner, tag(&b"\""[..])),
    ))
    .parse(i)
}

fn two_digits(i: &[u8]) -> PResult<'_, u8> {
    map(digits(2, 2), |n| n as u8).parse(i)
}

/// `date-time`: `"17-Jul-1996 02:44:25 -0700"` (day as `SP DIGIT` or `2DIGIT`).
pub(crate) fn date_time(i: &[u8]) -> PResult<'_, DateTime> {
    let day = alt((preceded(sp, digits(1, 1)), digits(2, 2)));
    let time = (
        two_digits,
        tag(&b":"[..]),
        two_digits,
        tag(&b":"[..]),
        two_digits,
    );
    let zone = (
        alt((value(1i16, tag(&b"+"[..])), value(-1i16, tag(&b"-"[..])))),
        two_digits,
        two_digits,
    );
    map_res(
        delimited(
            tag(&b"\""[..]),
            (
                day,
                tag(&b"-"[..]),
                month,
                tag(&b"-"[..]),
                digits(4, 4),
                sp,
                time,
                sp,
                zone,
            ),
            tag(&b"\""[..]),
        ),
        |(d, _, m, _, y, (), (hh, _, mm, _, ss), (), (sign, zh, zm))| {
            if zm > 59 {
                return Err(crate::types::ValidationError::new(
                    "date-time",
                    "zone minutes",
                ));
            }
            let date = Date::new(y, m, d as u8)?;
            let offset = sign * (i16::from(zh) * 60 + i16::from(zm));
            DateTime::new(date, (hh, mm, ss), offset)
        },
    )
    .parse(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings() {
        assert_eq!(
            quoted(b"\"a\\\"b\" x").unwrap(),
            (&b" x"[..], Cow::Owned(b"a\"b".to_vec()))
        );
        assert_eq!(quoted(b"\"ab\"").unwrap().1, Cow::Borrowed(&b"ab"[..]));
        assert!(quoted(b"\"a\\b\"").is_err());
        assert!(quoted(b"\"a\rb\"").is_err());
        assert!(quoted(b"\"ab").is_err());
        assert_eq!(astring(b"{3}\r\na b rest").unwrap().0, b" rest");
        assert!(literal(b"{3}\r\na\0b").is_err());
        assert_eq!(literal_value(b"~{3+}\r\na\0b").unwrap().1.data(), b"a\0b");
        assert!(literal(b"{5}\r\nab").is_err());
        assert_eq!(nstring(b"nil").unwrap().1, NString(None));
        assert_eq!(atom(b"ab]c").unwrap().1.as_str(), "ab");
        assert_eq!(astring(b"ab]c").unwrap().1.as_bytes(), b"ab]c");
    }

    #[test]
    fn sets_and_dates() {
        assert_eq!(sequence_set(b"1:*,5").unwrap().1.to_string(), "1:*,5");
        assert_eq!(sequence_set(b"$").unwrap().1, SequenceSet::saved());
        assert!(sequence_set(b"0").is_err());
        assert_eq!(date(b"1-Feb-1994").unwrap().1.to_string(), "1-Feb-1994");
        assert_eq!(
            date(b"\"01-feb-1994\"").unwrap().1.to_string(),
            "1-Feb-1994"
        );
        assert!(date(b"30-Feb-1994").is_err());
        let dt = date_time(b"\" 7-Jul-1996 02:44:25 -0700\"").unwrap().1;
        assert_eq!(dt.to_string(), " 7-Jul-1996 02:44:25 -0700");
        assert!(date_time(b"\"7-Jul-1996 02:44:25 -0700\"").is_err());
        assert!(number64(b"9223372036854775808").is_err());
        assert_eq!(flag(b"\\sEEn)").unwrap(), (&b")"[..], Flag::Seen));
        assert_eq!(flag_list(b"()").unwrap().1, vec![]);
        assert_eq!(mailbox(b"inbox").unwrap().1, Mailbox::INBOX);
    }
}
