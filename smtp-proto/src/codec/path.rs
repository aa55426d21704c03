//! Paths and mailboxes (RFC 5321 section 4.1.2, extended for UTF-8 by RFC 6531).
//!
//! Accepted: `<>` (reverse path only), `<Postmaster>` (forward path only), dot-string
//! and quoted local parts, domains with UTF-8 labels, address literals (`[192.0.2.1]`,
//! `[IPv6:2001:db8::1]`, `[tag:content]`), and source routes (`<@a,@b:u@c>`), which are
//! parsed and dropped.

use bytes::{BufMut, BytesMut};
use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use nom::branch::alt;
use nom::bytes::complete::{tag_no_case, take_while1};
use nom::character::complete::char;
use nom::combinator::{all_consuming, map, opt, recognize, verify};
use nom::error::{Error, ErrorKind};
use nom::multi::separated_list1;
use nom::sequence::{delimited, preceded, terminated};
use nom::{IResult, Parser};

use crate::types::Address;

/// `atext` of RFC 5322 plus any non-ASCII, non-control character (RFC 6531).
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || is_utf8_non_ascii(c)
}

fn is_utf8_non_ascii(c: char) -> bool {
    !c.is_ascii() && !c.is_control()
}

/// `Dot-string = Atom *("." Atom)`.
fn dot_string(i: &str) -> IResult<&str, &str> {
    recognize(separated_list1(char('.'), take_while1(is_atext))).parse(i)
}

/// Whether `local` can be written without quotes.
pub(crate) fn is_dot_string(local: &str) -> bool {
    all_consuming(dot_string).parse(local).is_ok()
}

/// `qtextSMTP`: printable ASCII except `"` and `\`, space included, plus UTF-8.
fn is_qtext(c: char) -> bool {
    matches!(c, ' '..='~') && c != '"' && c != '\\' || is_utf8_non_ascii(c)
}

/// `Quoted-string`, returned unescaped.
fn quoted_string(i: &str) -> IResult<&str, Cow<'_, str>> {
    let fail = || nom::Err::Error(Error::new(i, ErrorKind::Char));
    let body = i.strip_prefix('"').ok_or_else(fail)?;
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
                _ => return Err(fail()),
            },
            c if is_qtext(c) => {}
            _ => return Err(fail()),
        }
    }
    Err(fail())
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

fn local_part(i: &str) -> IResult<&str, Cow<'_, str>> {
    alt((map(dot_string, Cow::Borrowed), quoted_string)).parse(i)
}

fn is_let_dig(c: char) -> bool {
    c.is_ascii_alphanumeric() || is_utf8_non_ascii(c)
}

/// `sub-domain = Let-dig [Ldh-str]` (or a U-label): no leading or trailing hyphen.
fn label(i: &str) -> IResult<&str, &str> {
    verify(take_while1(|c| is_let_dig(c) || c == '-'), |l: &str| {
        !l.starts_with('-') && !l.ends_with('-')
    })
    .parse(i)
}

/// `Domain = sub-domain *("." sub-domain)`.
pub(crate) fn domain(i: &str) -> IResult<&str, &str> {
    recognize(separated_list1(char('.'), label)).parse(i)
}

/// An address literal, brackets included.
pub(crate) fn address_literal(i: &str) -> IResult<&str, &str> {
    let dcontent = |c: char| c.is_ascii_graphic() && !matches!(c, '[' | ']' | '\\');
    recognize(delimited(
        char('['),
        verify(take_while1(dcontent), is_valid_literal),
        char(']'),
    ))
    .parse(i)
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
    alt((address_literal, domain)).parse(i)
}

/// `Mailbox = Local-part "@" ( Domain / address-literal )`.
fn mailbox(i: &str) -> IResult<&str, Address<'_>> {
    map(
        (local_part, char('@'), domain_or_literal),
        |(local_part, _, domain)| Address {
            local_part,
            domain: Cow::Borrowed(domain),
        },
    )
    .parse(i)
}

/// `A-d-l ":"`: a source route, parsed and dropped.
fn source_route(i: &str) -> IResult<&str, ()> {
    map(
        terminated(
            separated_list1(char(','), preceded(char('@'), domain_or_literal)),
            char(':'),
        ),
        |_| (),
    )
    .parse(i)
}

/// `Path = "<" [ A-d-l ":" ] Mailbox ">"`.
fn path(i: &str) -> IResult<&str, Address<'_>> {
    delimited(char('<'), preceded(opt(source_route), mailbox), char('>')).parse(i)
}

/// `Reverse-path = Path / "<>"`; `None` is the null path.
pub(crate) fn reverse_path(i: &str) -> IResult<&str, Option<Address<'_>>> {
    alt((
        map(nom::bytes::complete::tag("<>"), |_| None),
        map(path, Some),
    ))
    .parse(i)
}

/// `Forward-path = Path / "<Postmaster>"` (case-insensitive, no domain).
pub(crate) fn forward_path(i: &str) -> IResult<&str, Address<'_>> {
    let postmaster = map(
        delimited(char('<'), tag_no_case("postmaster"), char('>')),
        |local: &str| Address {
            local_part: Cow::Borrowed(local),
            domain: Cow::Borrowed(""),
        },
    );
    alt((postmaster, path)).parse(i)
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
