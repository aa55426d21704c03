//! Paths and mailboxes (RFC 5321 section 4.1.2, extended for UTF-8 by RFC 6531).
//!
//! Accepted: `<>` (reverse path only), `<Postmaster>` (forward path only), dot-string
//! and quoted local parts, domains with UTF-8 labels, address literals (`[192.0.2.1]`,
//! `[IPv6:2001:db8::1]`, `[tag:content]`), and source routes (`<@a,@b:u@c>`), which are
//! parsed and dropped.
//!
//! The scanners work on the bytes of the line and return where what they matched ends
//! (`None` when it does not match); the address is cut out of the line's text at the end.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use bytes::{BufMut, BytesMut};

use super::scan::{ATEXT, DCONTENT, LDH, Line, QTEXT, span, starts_with_ignore_case};
use crate::types::Address;

/// Where the parts of a path's mailbox are in the line.
struct Mailbox {
    /// The local part, without its quotes if it was quoted.
    local: Range<usize>,
    /// Whether the quoted local part holds backslash escapes.
    escaped: bool,
    domain: Range<usize>,
}

/// `Dot-string = Atom *("." Atom)` at `start`: its end, or `None` if there is no atom
/// or a dot is not followed by one (nothing in a path may follow such a dot).
#[inline]
fn dot_string(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    loop {
        let end = span(b, i, ATEXT);
        if end == i {
            return None;
        }
        if b.get(end) != Some(&b'.') {
            return Some(end);
        }
        i = end + 1;
    }
}

/// Whether `local` can be written without quotes.
pub(crate) fn is_dot_string(local: &str) -> bool {
    dot_string(local.as_bytes(), 0) == Some(local.len())
}

/// `Quoted-string`: its end, the range of its content, and whether it holds escapes.
fn quoted_string(b: &[u8], start: usize) -> Option<(usize, Range<usize>, bool)> {
    if b.get(start) != Some(&b'"') {
        return None;
    }
    let mut escaped = false;
    let mut i = start + 1;
    loop {
        match *b.get(i)? {
            b'"' => return Some((i + 1, start + 1..i, escaped)),
            b'\\' => {
                if !matches!(b.get(i + 1), Some(b' '..=b'~')) {
                    return None;
                }
                escaped = true;
                i += 2;
            }
            _ => {
                let end = span(b, i, QTEXT);
                if end == i {
                    return None;
                }
                i = end;
            }
        }
    }
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

/// `Local-part = Dot-string / Quoted-string`: its end, its content, and whether it holds
/// escapes.
#[inline]
fn local_part(b: &[u8], start: usize) -> Option<(usize, Range<usize>, bool)> {
    match dot_string(b, start) {
        Some(end) => Some((end, start..end, false)),
        None => quoted_string(b, start),
    }
}

/// `Domain = sub-domain *("." sub-domain)` at `start`, where a `sub-domain` is `Let-dig
/// [Ldh-str]` or a U-label (no leading or trailing hyphen): its end, or `None` if a label
/// is missing or malformed (nothing in a path may follow a dot without a label).
#[inline]
fn domain(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    loop {
        let end = span(b, i, LDH);
        if end == i || b[i] == b'-' || b[end - 1] == b'-' {
            return None;
        }
        if b.get(end) != Some(&b'.') {
            return Some(end);
        }
        i = end + 1;
    }
}

/// An address literal, brackets included.
#[inline(never)]
fn address_literal(b: &[u8], start: usize) -> Option<usize> {
    if b.get(start) != Some(&b'[') {
        return None;
    }
    let end = span(b, start + 1, DCONTENT);
    // `dcontent` is ASCII, so this conversion cannot fail; literals are rare enough that
    // converting them on their own costs nothing that matters.
    let inner = std::str::from_utf8(&b[start + 1..end]).ok()?;
    if inner.is_empty() || !is_valid_literal(inner) || b.get(end) != Some(&b']') {
        return None;
    }
    Some(end + 1)
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

#[inline]
fn domain_or_literal(b: &[u8], start: usize) -> Option<usize> {
    if b.get(start) == Some(&b'[') {
        address_literal(b, start)
    } else {
        domain(b, start)
    }
}

/// The end of `c` if it is at `at`.
#[inline]
fn expect(b: &[u8], at: usize, c: u8) -> Option<usize> {
    (b.get(at) == Some(&c)).then_some(at + 1)
}

/// `A-d-l ":"`: a source route, parsed and dropped.
#[inline(never)]
fn source_route(b: &[u8], start: usize) -> Option<usize> {
    let mut i = expect(b, start, b'@')?;
    loop {
        i = domain_or_literal(b, i)?;
        if b.get(i..i + 2) == Some(b",@") {
            i += 2;
        } else {
            return expect(b, i, b':');
        }
    }
}

/// `Path = "<" [ A-d-l ":" ] Mailbox ">"`: its end and its mailbox.
#[inline(always)]
fn path(b: &[u8], start: usize) -> Option<(usize, Mailbox)> {
    let mut i = expect(b, start, b'<')?;
    if b.get(i) == Some(&b'@') {
        i = source_route(b, i)?;
    }
    let (i, local, escaped) = local_part(b, i)?;
    let at = expect(b, i, b'@')?;
    let end = domain_or_literal(b, at)?;
    let close = expect(b, end, b'>')?;
    let mailbox = Mailbox {
        local,
        escaped,
        domain: at..end,
    };
    Some((close, mailbox))
}

/// Cuts the address of the path `line[start..end]` out of the line's text.
#[inline(always)]
fn address<'a>(line: &mut Line<'a>, start: usize, end: usize, m: &Mailbox) -> Option<Address<'a>> {
    // One conversion for the whole path, the source route included: it may hold UTF-8.
    let text = line.text(start..end)?;
    let part = |r: &Range<usize>| text.get(r.start - start..r.end - start);
    let local = part(&m.local)?;
    let local_part = if m.escaped {
        Cow::Owned(unescape(local))
    } else {
        Cow::Borrowed(local)
    };
    Some(Address {
        local_part,
        domain: Cow::Borrowed(part(&m.domain)?),
    })
}

/// `Reverse-path = Path / "<>"` at `start`: its end and the address (`None` for the null
/// path).
#[inline(always)]
pub(crate) fn reverse_path<'a>(
    line: &mut Line<'a>,
    start: usize,
) -> Option<(usize, Option<Address<'a>>)> {
    let b = line.bytes();
    if b.get(start..start + 2) == Some(b"<>") {
        return Some((start + 2, None));
    }
    let (end, mailbox) = path(b, start)?;
    Some((end, Some(address(line, start, end, &mailbox)?)))
}

/// `Forward-path = Path / "<Postmaster>"` (case-insensitive, no domain) at `start`: its
/// end and the address.
#[inline(always)]
pub(crate) fn forward_path<'a>(line: &mut Line<'a>, start: usize) -> Option<(usize, Address<'a>)> {
    const POSTMASTER: &[u8; 12] = b"<postmaster>";
    let b = line.bytes();
    let end = start + POSTMASTER.len();
    if starts_with_ignore_case(b, start, POSTMASTER) {
        let address = Address {
            local_part: Cow::Borrowed(line.text(start + 1..end - 1)?),
            domain: Cow::Borrowed(""),
        };
        return Some((end, address));
    }
    let (end, mailbox) = path(b, start)?;
    Some((end, address(line, start, end, &mailbox)?))
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
        let (end, a) = forward_path(&mut Line::new(s.as_bytes()), 0)?;
        Some((a.local_part.into(), a.domain.into(), end))
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
        let null = reverse_path(&mut Line::new(b"<>"), 0);
        assert_eq!(null.map(|(end, a)| (end, a.is_none())), Some((2, true)));
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
