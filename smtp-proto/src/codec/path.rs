//! Paths and mailboxes (RFC 5321 section 4.1.2, extended for UTF-8 by RFC 6531).
//!
//! Accepted: `<>` (reverse path only), `<Postmaster>` (forward path only), dot-string
//! and quoted local parts, domains with UTF-8 labels, address literals (`[192.0.2.1]`,
//! `[IPv6:2001:db8::1]`, `[tag:content]`), and source routes (`<@a,@b:u@c>`), which are
//! parsed and dropped.

use bytes::{BufMut, BytesMut};
use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use nom::IResult;
use nom::error::{Error, ErrorKind};

use crate::types::Address;

// The parsers below scan bytes by hand instead of composing nom combinators: commands are
// the hot path of a server, and `separated_list1` would allocate for every address.
// They keep nom's signatures so that they compose like the rest of the codec.

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
pub(crate) fn is_dot_string(local: &str) -> bool {
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
pub(crate) fn domain(i: &str) -> IResult<&str, &str> {
    dotted(i, label_len)
}

/// An address literal, brackets included.
pub(crate) fn address_literal(i: &str) -> IResult<&str, &str> {
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
pub(crate) fn reverse_path(i: &str) -> IResult<&str, Option<Address<'_>>> {
    match i.strip_prefix("<>") {
        Some(rest) => Ok((rest, None)),
        None => path(i).map(|(rest, address)| (rest, Some(address))),
    }
}

/// `Forward-path = Path / "<Postmaster>"` (case-insensitive, no domain).
pub(crate) fn forward_path(i: &str) -> IResult<&str, Address<'_>> {
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

/// Writes `<local@domain>`, quoting the local part when it is not a dot-string, or
/// `<local>` when the domain is empty (`<Postmaster>`).
pub(crate) fn encode_path(address: &Address<'_>, out: &mut BytesMut) {
    out.put_u8(b'<');
    encode_local_part(&address.local_part, out);
    if !address.domain.is_empty() {
        out.put_u8(b'@');
        out.extend_from_slice(address.domain.as_bytes());
    }
    out.put_u8(b'>');
}

fn encode_local_part(local: &str, out: &mut BytesMut) {
    if is_dot_string(local) {
        out.extend_from_slice(local.as_bytes());
        return;
    }
    out.put_u8(b'"');
    for c in local.chars() {
        if c == '"' || c == '\\' {
            out.put_u8(b'\\');
        }
        let mut buf = [0; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
    out.put_u8(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fwd(s: &str) -> Option<(String, String, usize)> {
        let (rest, a) = forward_path(s).ok()?;
        Some((a.local_part.into(), a.domain.into(), s.len() - rest.len()))
    }

    #[test]
    fn known_paths() {
        let ok = |s: &str, l: &str, d: &str| {
            assert_eq!(fwd(s), Some((l.into(), d.into(), s.len())), "{s}");
        };
        ok("<a@b>", "a", "b");
        ok("<first.last@example.com>", "first.last", "example.com");
        ok("<Postmaster>", "Postmaster", "");
        ok("<pOstMaster>", "pOstMaster", "");
        ok("<postmaster@x.org>", "postmaster", "x.org");
        ok("<\"a b\"@x>", "a b", "x");
        ok("<\"a\\\"b\\\\c\"@x>", "a\"b\\c", "x");
        ok("<\"\"@x>", "", "x");
        ok("<u@[192.0.2.1]>", "u", "[192.0.2.1]");
        ok("<u@[IPv6:2001:db8::1]>", "u", "[IPv6:2001:db8::1]");
        ok("<u@[x-tag:abc]>", "u", "[x-tag:abc]");
        ok("<@a.example,@b.example:u@c.example>", "u", "c.example");
        ok("<\u{fc}ser@b\u{fc}cher.de>", "\u{fc}ser", "b\u{fc}cher.de");
        ok("<a-b@x-y.z>", "a-b", "x-y.z");
        for bad in [
            "<a@-b>",
            "<a@b->",
            "<a..b@c>",
            "<.a@c>",
            "<a.@c>",
            "<a@[1.2.3]>",
            "<a@[IPv6:zz]>",
            "<a@[1.2.3.4>",
            "<a@b",
            "a@b",
            "<a>",
            "<@a:b>",
            "<a b@c>",
            "<\"a\x01\"@c>",
            "<>",
            "<a@b..c>",
            "<a@>",
            "<@b>",
        ] {
            assert!(
                fwd(bad).is_none_or(|(_, _, n)| n != bad.len()),
                "{bad} should not parse"
            );
        }
        assert_eq!(
            reverse_path("<>").map(|(r, a)| (r, a.is_none())),
            Ok(("", true))
        );
    }

    #[test]
    fn encodes_with_quotes_when_needed() {
        let enc = |l: &str, d: &str| {
            let mut out = BytesMut::new();
            encode_path(&Address::new(l.to_owned(), d.to_owned()), &mut out);
            String::from_utf8(out.to_vec()).unwrap()
        };
        assert_eq!(enc("a.b", "x"), "<a.b@x>");
        assert_eq!(enc("a b", "x"), "<\"a b\"@x>");
        assert_eq!(enc("a\"b", "x"), "<\"a\\\"b\"@x>");
        assert_eq!(enc("a..b", "x"), "<\"a..b\"@x>");
        assert_eq!(enc("", "x"), "<\"\"@x>");
        assert_eq!(enc("Postmaster", ""), "<Postmaster>");
    }
}
