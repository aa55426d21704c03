//! Parsers for the basic IMAP values, shared by the command and response decoders.
//!
//! They run on fully framed input (see [`frame`](super::frame)), so they are `complete`
//! parsers: running out of input is an error, never a request for more. They keep nom's
//! calling convention (`input -> IResult<rest, value>`) so that nom combinators can use
//! them, but the frequent ones scan bytes by hand: chained combinators cost several
//! times more per byte.

use std::borrow::Cow;
use std::num::{NonZeroU32, NonZeroU64};

use nom::bytes::complete::tag;
use nom::combinator::{map, opt};
use nom::error::{Error, ErrorKind};
use nom::multi::separated_list1;
use nom::sequence::delimited;
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

// ---------------------------------------------------------------------------------------
// Byte classes. The hot parsers scan bytes by hand against this table instead of
// chaining nom combinators; the table is built from the `types` predicates, so the two
// cannot disagree.

/// `ATOM-CHAR`.
pub(crate) const ATOM: u8 = 1;
/// `ASTRING-CHAR`.
pub(crate) const ASTRING: u8 = 2;
/// A tag character.
pub(crate) const TAG: u8 = 4;
/// `list-char`.
pub(crate) const LIST: u8 = 8;
/// The characters a keyword must not run on into: letters, digits, `.`, `-`, `_`, `=`.
pub(crate) const WORD: u8 = 16;
/// Bytes that end a quoted string's plain run or a line: `"`, `\`, NUL, CR, LF.
pub(crate) const QUOTED_STOP: u8 = 32;

const fn classes() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut k = 0;
    while k < 256 {
        let b = k as u8;
        let mut c = 0;
        if is_atom_char(b) {
            c |= ATOM;
        }
        if is_astring_char(b) {
            c |= ASTRING;
        }
        if is_tag_char(b) {
            c |= TAG;
        }
        if is_list_char(b) {
            c |= LIST;
        }
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'=') {
            c |= WORD;
        }
        if matches!(b, b'"' | b'\\' | 0 | b'\r' | b'\n') {
            c |= QUOTED_STOP;
        }
        table[k] = c;
        k += 1;
    }
    table
}

static CLASSES: [u8; 256] = classes();

/// Whether `b` is in `class` (one of the constants above, or several or-ed).
#[inline]
pub(crate) fn is(b: u8, class: u8) -> bool {
    CLASSES[usize::from(b)] & class != 0
}

/// Length of the run at the start of `i` of bytes in `class`.
#[inline]
pub(crate) fn span(i: &[u8], class: u8) -> usize {
    i.iter().position(|&b| !is(b, class)).unwrap_or(i.len())
}

/// The non-empty run at the start of `i` of bytes in `class`, and the rest.
#[inline]
pub(crate) fn run1(i: &[u8], class: u8) -> PResult<'_, &[u8]> {
    match span(i, class) {
        0 => fail(i),
        n => Ok((&i[n..], &i[..n])),
    }
}

/// Consumes the byte `b`.
#[inline]
pub(crate) fn byte(i: &[u8], b: u8) -> PResult<'_, ()> {
    match i.split_first() {
        Some((&c, rest)) if c == b => Ok((rest, ())),
        _ => fail(i),
    }
}

/// Consumes `word`, compared in any case.
#[inline]
pub(crate) fn word_no_case<'a>(i: &'a [u8], word: &[u8]) -> PResult<'a, ()> {
    match i.get(..word.len()) {
        Some(head) if head.eq_ignore_ascii_case(word) => Ok((&i[word.len()..], ())),
        _ => fail(i),
    }
}

/// The upper-cased copy of `name` in a stack buffer, or `None` if it is longer than `N`
/// (and so is none of the names being matched).
#[inline]
pub(crate) fn upper<const N: usize>(name: &[u8]) -> Option<([u8; N], usize)> {
    let mut buf = [0u8; N];
    buf.get_mut(..name.len())?.copy_from_slice(name);
    // The whole (small, fixed-size) buffer: cheaper than a loop over the name.
    buf.make_ascii_uppercase();
    Some((buf, name.len()))
}

pub(crate) fn sp(i: &[u8]) -> PResult<'_, ()> {
    byte(i, b' ')
}

pub(crate) fn crlf(i: &[u8]) -> PResult<'_, ()> {
    match i {
        [b'\r', b'\n', rest @ ..] => Ok((rest, ())),
        _ => fail(i),
    }
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

/// Reads `1*DIGIT` as a number no larger than `max`.
#[inline]
fn digits_up_to(i: &[u8], max: u64) -> PResult<'_, u64> {
    let mut n: u64 = 0;
    let mut len = 0;
    for &b in i {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        // Leading zeros are allowed: they keep `n` small however many there are.
        n = match n.checked_mul(10).and_then(|n| n.checked_add(u64::from(d))) {
            Some(v) if v <= max => v,
            _ => return fail(i),
        };
        len += 1;
    }
    if len == 0 {
        return fail(i);
    }
    Ok((&i[len..], n))
}

/// `number` (32-bit unsigned).
pub(crate) fn number(i: &[u8]) -> PResult<'_, u32> {
    let (rest, n) = digits_up_to(i, u64::from(u32::MAX))?;
    match u32::try_from(n) {
        Ok(n) => Ok((rest, n)),
        Err(_) => fail(i),
    }
}

/// `number64` (63-bit unsigned, RFC 9051).
pub(crate) fn number64(i: &[u8]) -> PResult<'_, u64> {
    digits_up_to(i, i64::MAX as u64)
}

/// Any `1*DIGIT` that fits 64 bits.
pub(crate) fn number_u64(i: &[u8]) -> PResult<'_, u64> {
    digits_up_to(i, u64::MAX)
}

/// `nz-number`.
pub(crate) fn nz_number(i: &[u8]) -> PResult<'_, NonZeroU32> {
    let (rest, n) = number(i)?;
    match NonZeroU32::new(n) {
        Some(n) => Ok((rest, n)),
        None => fail(i),
    }
}

/// `nz-number64`.
pub(crate) fn nz_number64(i: &[u8]) -> PResult<'_, NonZeroU64> {
    let (rest, n) = number64(i)?;
    match NonZeroU64::new(n) {
        Some(n) => Ok((rest, n)),
        None => fail(i),
    }
}

pub(crate) fn tag_value(i: &[u8]) -> PResult<'_, Tag<'_>> {
    let (rest, t) = run1(i, TAG)?;
    match Tag::new(ascii(t)) {
        Ok(t) => Ok((rest, t)),
        Err(_) => fail(i),
    }
}

pub(crate) fn atom(i: &[u8]) -> PResult<'_, Atom<'_>> {
    let (rest, a) = run1(i, ATOM)?;
    match Atom::new(ascii(a)) {
        Ok(a) => Ok((rest, a)),
        Err(_) => fail(i),
    }
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
        // table scan beats setting up `memchr` searches.
        let Some(off) = rest.iter().position(|&c| is(c, QUOTED_STOP)) else {
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
    let (after_tilde, binary) = match i.strip_prefix(b"~") {
        Some(rest) => (rest, true),
        None => (i, false),
    };
    let (rest, ()) = byte(after_tilde, b'{')?;
    let (rest, length) = number(rest)?;
    let (rest, non_sync) = match rest.strip_prefix(b"+") {
        Some(rest) => (rest, true),
        None => (rest, false),
    };
    let (rest, ()) = byte(rest, b'}')?;
    let (rest, ()) = crlf(rest)?;
    Ok((
        rest,
        LiteralHeader {
            length,
            binary,
            non_sync,
        },
    ))
}

/// A literal or literal8 with its data.
pub(crate) fn any_literal(i: &[u8]) -> PResult<'_, (Cow<'_, [u8]>, LiteralHeader)> {
    let (i, header) = literal_header(i)?;
    let len = usize::try_from(header.length).unwrap_or(usize::MAX);
    let (Some(data), Some(rest)) = (i.get(..len), i.get(len..)) else {
        return fail(i);
    };
    if !header.binary && memchr::memchr(0, data).is_some() {
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
    let (rest, (data, header)) = any_literal(i)?;
    let value = if header.binary {
        Literal::binary(data)
    } else {
        Literal::new(data)
    };
    match value {
        Ok(v) => Ok((rest, v)),
        Err(_) => fail(i),
    }
}

/// `string` as raw bytes.
#[inline]
pub(crate) fn string_bytes(i: &[u8]) -> PResult<'_, Cow<'_, [u8]>> {
    match i.first() {
        Some(b'"') => quoted(i),
        Some(b'{' | b'~') => literal(i),
        _ => fail(i),
    }
}

pub(crate) fn istring(i: &[u8]) -> PResult<'_, IString<'_>> {
    // `quoted` and `literal` reject NUL already.
    let (rest, s) = string_bytes(i)?;
    Ok((rest, IString::from_checked(s)))
}

pub(crate) fn astring_bytes(i: &[u8]) -> PResult<'_, Cow<'_, [u8]>> {
    match span(i, ASTRING) {
        0 => string_bytes(i),
        n => Ok((&i[n..], Cow::Borrowed(&i[..n]))),
    }
}

pub(crate) fn astring(i: &[u8]) -> PResult<'_, AString<'_>> {
    // The atom characters, `quoted` and `literal` exclude NUL already.
    let (rest, s) = astring_bytes(i)?;
    Ok((rest, AString::from_checked(s)))
}

/// An astring that must be UTF-8 text.
pub(crate) fn astring_str(i: &[u8]) -> PResult<'_, Cow<'_, str>> {
    let (rest, s) = astring_bytes(i)?;
    match cow_bytes_to_str(s) {
        Some(s) => Ok((rest, s)),
        None => fail(i),
    }
}

/// Whether `i` starts with `NIL` in any case.
#[inline]
pub(crate) fn is_nil(i: &[u8]) -> bool {
    matches!(i, [b'N' | b'n', b'I' | b'i', b'L' | b'l', ..])
}

pub(crate) fn nstring(i: &[u8]) -> PResult<'_, NString<'_>> {
    if is_nil(i) {
        return Ok((&i[3..], NString(None)));
    }
    let (rest, s) = istring(i)?;
    Ok((rest, NString(Some(s))))
}

pub(crate) fn mailbox(i: &[u8]) -> PResult<'_, Mailbox<'_>> {
    let (rest, name) = astring_str(i)?;
    match Mailbox::new(name) {
        Ok(m) => Ok((rest, m)),
        Err(_) => fail(i),
    }
}

/// `list-mailbox`: a LIST pattern as text.
pub(crate) fn list_mailbox(i: &[u8]) -> PResult<'_, Cow<'_, str>> {
    match span(i, LIST) {
        0 => {
            let (rest, s) = string_bytes(i)?;
            match cow_bytes_to_str(s) {
                Some(s) => Ok((rest, s)),
                None => fail(i),
            }
        }
        n => Ok((&i[n..], Cow::Borrowed(ascii(&i[..n])))),
    }
}

/// `flag`: `\Name` or a keyword. `\*` is not a flag (see [`flag_perm_wildcard`]).
pub(crate) fn flag(i: &[u8]) -> PResult<'_, Flag<'_>> {
    let slash = usize::from(i.first() == Some(&b'\\'));
    let len = match span(&i[slash..], ATOM) {
        0 => return fail(i),
        n => slash + n,
    };
    let (text, rest) = i.split_at(len);
    if slash == 1 {
        if let Some(f) = system_flag(&text[1..]) {
            return Ok((rest, f));
        }
        return match Flag::from_name(ascii(text)) {
            Ok(f) => Ok((rest, f)),
            Err(_) => fail(i),
        };
    }
    match Atom::new(ascii(text)) {
        Ok(a) => Ok((rest, Flag::Keyword(a))),
        Err(_) => fail(i),
    }
}

/// The system flag named `name` (after the backslash, any case), as
/// [`Flag::from_name`] reads it.
fn system_flag(name: &[u8]) -> Option<Flag<'static>> {
    let (buf, len) = upper::<8>(name)?;
    Some(match &buf[..len] {
        b"SEEN" => Flag::Seen,
        b"ANSWERED" => Flag::Answered,
        b"FLAGGED" => Flag::Flagged,
        b"DELETED" => Flag::Deleted,
        b"DRAFT" => Flag::Draft,
        b"RECENT" => Flag::Recent,
        _ => return None,
    })
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

/// `"(" x *(SP x)] ")"` (at least one).
pub(crate) fn paren_list1<'a, T>(
    item: impl Parser<&'a [u8], Output = T, Error = Error<&'a [u8]>>,
) -> impl Parser<&'a [u8], Output = Vec<T>, Error = Error<&'a [u8]>> {
    delimited(tag(&b"("[..]), separated_list1(sp, item), tag(&b")"[..]))
}

/// `"(" [x *(SP x)] ")"` for an item parser that fails without consuming anything on a
/// `)` or a space (so no backtracking is needed).
#[inline]
pub(crate) fn list_of<'a, T>(
    i: &'a [u8],
    mut item: impl FnMut(&'a [u8]) -> PResult<'a, T>,
) -> PResult<'a, Vec<T>> {
    let (mut i, ()) = byte(i, b'(')?;
    let mut out = Vec::new();
    if let Some(rest) = i.strip_prefix(b")") {
        return Ok((rest, out));
    }
    loop {
        let (rest, v) = item(i)?;
        out.push(v);
        match rest.split_first() {
            Some((b' ', after)) => i = after,
            Some((b')', after)) => return Ok((after, out)),
            _ => return fail(rest),
        }
    }
}

pub(crate) fn flag_list(i: &[u8]) -> PResult<'_, Vec<Flag<'_>>> {
    list_of(i, flag)
}

/// `seq-number`.
#[inline]
fn seq_number(i: &[u8]) -> PResult<'_, SeqNumber> {
    match i.split_first() {
        Some((b'*', rest)) => Ok((rest, SeqNumber::Largest)),
        _ => {
            let (rest, n) = nz_number(i)?;
            Ok((rest, SeqNumber::Value(n)))
        }
    }
}

/// `seq-number [":" seq-number]`; a `:` not followed by a number is left unread.
fn seq_range(i: &[u8]) -> PResult<'_, SeqRange> {
    let (rest, from) = seq_number(i)?;
    if let Some(after) = rest.strip_prefix(b":")
        && let Ok((rest, to)) = seq_number(after)
    {
        return Ok((rest, SeqRange { from, to: Some(to) }));
    }
    Ok((rest, SeqRange { from, to: None }))
}

pub(crate) fn sequence_set(i: &[u8]) -> PResult<'_, SequenceSet> {
    if let Some(rest) = i.strip_prefix(b"$") {
        return Ok((rest, SequenceSet::saved()));
    }
    let (mut i, first) = seq_range(i)?;
    let mut ranges = vec![first];
    // A `,` not followed by a range is left unread.
    while let Some(after) = i.strip_prefix(b",") {
        match seq_range(after) {
            Ok((rest, r)) => {
                ranges.push(r);
                i = rest;
            }
            Err(_) => break,
        }
    }
    match SequenceSet::new(ranges) {
        Ok(set) => Ok((i, set)),
        Err(_) => fail(i),
    }
}

/// Between `min` and `max` digits as a number (at most 4 digits are ever asked for).
fn digits(i: &[u8], min: usize, max: usize) -> PResult<'_, u16> {
    let len = i
        .iter()
        .take(max)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if len < min {
        return fail(i);
    }
    let n = i[..len]
        .iter()
        .fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
    Ok((&i[len..], n))
}

fn month(i: &[u8]) -> PResult<'_, u8> {
    let Some(name) = i.get(..3) else {
        return fail(i);
    };
    match MONTHS
        .iter()
        .position(|m| m.as_bytes().eq_ignore_ascii_case(name))
    {
        Some(p) => Ok((&i[3..], p as u8 + 1)),
        None => fail(i),
    }
}

/// `day "-" month "-" year` with the day's digits given by `day`.
fn date_parts(i: &[u8], day: (usize, usize)) -> PResult<'_, (u16, u8, u16)> {
    let (i, d) = digits(i, day.0, day.1)?;
    let (i, ()) = byte(i, b'-')?;
    let (i, m) = month(i)?;
    let (i, ()) = byte(i, b'-')?;
    let (i, y) = digits(i, 4, 4)?;
    Ok((i, (d, m, y)))
}

fn date_inner(i: &[u8]) -> PResult<'_, Date> {
    let (rest, (d, m, y)) = date_parts(i, (1, 2))?;
    match Date::new(y, m, d as u8) {
        Ok(date) => Ok((rest, date)),
        Err(_) => fail(i),
    }
}

/// `date`: `1-Feb-1994` or the same in quotes.
pub(crate) fn date(i: &[u8]) -> PResult<'_, Date> {
    if let Ok(ok) = date_inner(i) {
        return Ok(ok);
    }
    let (rest, ()) = byte(i, b'"')?;
    let (rest, d) = date_inner(rest)?;
    let (rest, ()) = byte(rest, b'"')?;
    Ok((rest, d))
}

/// `2DIGIT`.
fn two_digits(i: &[u8]) -> PResult<'_, u8> {
    let (rest, n) = digits(i, 2, 2)?;
    Ok((rest, n as u8))
}

/// `date-time`: `"17-Jul-1996 02:44:25 -0700"` (day as `SP DIGIT` or `2DIGIT`).
pub(crate) fn date_time(i: &[u8]) -> PResult<'_, DateTime> {
    let (rest, ()) = byte(i, b'"')?;
    let (rest, (d, m, y)) = match rest.strip_prefix(b" ") {
        Some(after) => date_parts(after, (1, 1))?,
        None => date_parts(rest, (2, 2))?,
    };
    let (rest, ()) = sp(rest)?;
    let (rest, hh) = two_digits(rest)?;
    let (rest, ()) = byte(rest, b':')?;
    let (rest, mm) = two_digits(rest)?;
    let (rest, ()) = byte(rest, b':')?;
    let (rest, ss) = two_digits(rest)?;
    let (rest, ()) = sp(rest)?;
    let (rest, sign) = match rest.split_first() {
        Some((b'+', after)) => (after, 1i16),
        Some((b'-', after)) => (after, -1i16),
        _ => return fail(rest),
    };
    let (rest, zh) = two_digits(rest)?;
    let (rest, zm) = two_digits(rest)?;
    let (rest, ()) = byte(rest, b'"')?;
    if zm > 59 {
        return fail(i);
    }
    let value = Date::new(y, m, d as u8).and_then(|date| {
        let offset = sign * (i16::from(zh) * 60 + i16::from(zm));
        DateTime::new(date, (hh, mm, ss), offset)
    });
    match value {
        Ok(dt) => Ok((rest, dt)),
        Err(_) => fail(i),
    }
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
