//! FETCH items, sections and modifiers: parsers and encoders.

use std::num::NonZeroU32;

use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::{tag, tag_no_case, take_while1};
use nom::combinator::{map, map_res, opt, value};
use nom::multi::separated_list1;
use nom::sequence::{delimited, preceded};

use super::encode::Encoder;
use super::primitives::{
    PResult, astring, fail, number64, nz_number, nz_number64, paren_list1, sp,
};
use crate::types::{
    ChangedSince, FetchAttribute, FetchItems, FetchModifiers, NonEmptyVec, Partial, Section,
    SectionText,
};

/// `"ALL" / "FULL" / "FAST" / fetch-att / "(" fetch-att *(SP fetch-att) ")"`.
pub(crate) fn fetch_items(i: &[u8]) -> PResult<'_, FetchItems<'_>> {
    if i.first() == Some(&b'(') {
        return map_res(paren_list1(fetch_attribute), |list| {
            NonEmptyVec::new(list).map(FetchItems::Attributes)
        })
        .parse(i);
    }
    alt((
        value(FetchItems::All, (tag_no_case(&b"ALL"[..]), end_of_word)),
        value(FetchItems::Fast, (tag_no_case(&b"FAST"[..]), end_of_word)),
        value(FetchItems::Full, (tag_no_case(&b"FULL"[..]), end_of_word)),
        map(fetch_attribute, |a| {
            FetchItems::Attributes(NonEmptyVec::one(a))
        }),
    ))
    .parse(i)
}

/// Succeeds when the next byte does not continue a word.
fn end_of_word(i: &[u8]) -> PResult<'_, ()> {
    match i.first() {
        Some(b) if b.is_ascii_alphanumeric() || *b == b'.' || *b == b'[' => fail(i),
        _ => Ok((i, ())),
    }
}

pub(crate) fn fetch_attribute(i: &[u8]) -> PResult<'_, FetchAttribute<'_>> {
    let (rest, word) = take_while1(|b: u8| b.is_ascii_alphanumeric() || b == b'.').parse(i)?;
    let word = std::str::from_utf8(word)
        .unwrap_or_default()
        .to_ascii_uppercase();
    use FetchAttribute as A;
    let simple = match word.as_str() {
        "ENVELOPE" => Some(A::Envelope),
        "FLAGS" => Some(A::Flags),
        "INTERNALDATE" => Some(A::InternalDate),
        "RFC822" => Some(A::Rfc822),
        "RFC822.HEADER" => Some(A::Rfc822Header),
        "RFC822.SIZE" => Some(A::Rfc822Size),
        "RFC822.TEXT" => Some(A::Rfc822Text),
        "BODYSTRUCTURE" => Some(A::BodyStructure),
        "UID" => Some(A::Uid),
        "MODSEQ" => Some(A::ModSeq),
        "BODY" if rest.first() != Some(&b'[') => Some(A::Body),
        _ => None,
    };
    if let Some(attr) = simple {
        return Ok((rest, attr));
    }
    let i = rest;
    match word.as_str() {
        "BODY" | "BODY.PEEK" => map((section, opt(partial)), |(section, partial)| {
            A::BodySection {
                peek: word.len() > 4,
                section,
                partial,
            }
        })
        .parse(i),
        "BINARY" | "BINARY.PEEK" => map((section_binary, opt(partial)), |(part, partial)| {
            A::Binary {
                peek: word.len() > 6,
                part,
                partial,
            }
        })
        .parse(i),
        "BINARY.SIZE" => map(section_binary, |part| A::BinarySize { part }).parse(i),
        _ => fail(i),
    }
}

/// `"[" [section-spec] "]"`.
pub(crate) fn section(i: &[u8]) -> PResult<'_, Section<'_>> {
    map_res(
        delimited(tag(&b"["[..]), opt(section_spec), tag(&b"]"[..])),
        |spec| {
            let (part, text) = spec.unwrap_or_default();
            Section::new(part, text)
        },
    )
    .parse(i)
}

type SectionSpec<'a> = (Vec<NonZeroU32>, Option<SectionText<'a>>);

fn section_spec(i: &[u8]) -> PResult<'_, SectionSpec<'_>> {
    if !i.first().is_some_and(u8::is_ascii_digit) {
        return map(section_msgtext, |t| (Vec::new(), Some(t))).parse(i);
    }
    let mut part = Vec::new();
    let mut i = i;
    loop {
        let (rest, n) = nz_number(i)?;
        part.push(n);
        match rest {
            [b'.', d, ..] if d.is_ascii_digit() => i = &rest[1..],
            [b'.', ..] => {
                let text = alt((
                    section_msgtext,
                    value(SectionText::Mime, tag_no_case(&b"MIME"[..])),
                ));
                let (rest, text) = preceded(tag(&b"."[..]), text).parse(rest)?;
                return Ok((rest, (part, Some(text))));
            }
            _ => return Ok((rest, (part, None))),
        }
    }
}

fn header_list(i: &[u8]) -> PResult<'_, NonEmptyVec<crate::types::AString<'_>>> {
    map_res(
        delimited(tag(&b"("[..]), separated_list1(sp, astring), tag(&b")"[..])),
        NonEmptyVec::new,
    )
    .parse(i)
}

fn section_msgtext(i: &[u8]) -> PResult<'_, SectionText<'_>> {
    alt((
        map(
            preceded((tag_no_case(&b"HEADER.FIELDS.NOT"[..]), sp), header_list),
            SectionText::HeaderFieldsNot,
        ),
        map(
            preceded((tag_no_case(&b"HEADER.FIELDS"[..]), sp), header_list),
            SectionText::HeaderFields,
        ),
        value(SectionText::Header, tag_no_case(&b"HEADER"[..])),
        value(SectionText::Text, tag_no_case(&b"TEXT"[..])),
    ))
    .parse(i)
}

/// `"[" [section-part] "]"`.
pub(crate) fn section_binary(i: &[u8]) -> PResult<'_, Vec<NonZeroU32>> {
    map(
        delimited(
            tag(&b"["[..]),
            opt(separated_list1(tag(&b"."[..]), nz_number)),
            tag(&b"]"[..]),
        ),
        Option::unwrap_or_default,
    )
    .parse(i)
}

/// `"<" number64 "." nz-number64 ">"`.
pub(crate) fn partial(i: &[u8]) -> PResult<'_, Partial> {
    map(
        delimited(
            tag(&b"<"[..]),
            (number64, tag(&b"."[..]), nz_number64),
            tag(&b">"[..]),
        ),
        |(offset, _, length)| Partial { offset, length },
    )
    .parse(i)
}

/// `SP "(" fetch-modifier *(SP fetch-modifier) ")"` (RFC 7162).
pub(crate) fn fetch_modifiers(i: &[u8]) -> PResult<'_, FetchModifiers> {
    #[derive(Clone, Copy)]
    enum Modifier {
        ChangedSince(u64),
        Vanished,
    }
    let modifier = alt((
        map(
            // RFC 7162: `mod-sequence-value`, 1 to 2^63 - 1 (no zero, unlike
            // UNCHANGEDSINCE's `mod-sequence-valzer`).
            preceded((tag_no_case(&b"CHANGEDSINCE"[..]), sp), nz_number64),
            |n| Modifier::ChangedSince(n.get()),
        ),
        value(Modifier::Vanished, tag_no_case(&b"VANISHED"[..])),
    ));
    let (rest, list) = preceded(sp, paren_list1(modifier)).parse(i)?;
    let mut modseq = None;
    let mut vanished = false;
    for m in list {
        match m {
            Modifier::ChangedSince(n) if modseq.is_none() => modseq = Some(n),
            Modifier::Vanished if !vanished => vanished = true,
            _ => return fail(i),
        }
    }
    match modseq {
        Some(modseq) => Ok((
            rest,
            FetchModifiers {
                changed_since: Some(ChangedSince { modseq, vanished }),
            },
        )),
        None => fail(i),
    }
}

pub(crate) fn encode_fetch_items(e: &mut Encoder, items: &FetchItems<'_>) {
    match items {
        FetchItems::All => {
            e.raw(b"ALL");
        }
        FetchItems::Fast => {
            e.raw(b"FAST");
        }
        FetchItems::Full => {
            e.raw(b"FULL");
        }
        FetchItems::Attributes(list) if list.len() == 1 => encode_fetch_attribute(e, list.first()),
        FetchItems::Attributes(list) => {
            e.list(list, encode_fetch_attribute);
        }
    }
}

pub(crate) fn encode_fetch_attribute(e: &mut Encoder, attr: &FetchAttribute<'_>) {
    use FetchAttribute as A;
    let word: &[u8] = match attr {
        A::Envelope => b"ENVELOPE",
        A::Flags => b"FLAGS",
        A::InternalDate => b"INTERNALDATE",
        A::Rfc822 => b"RFC822",
        A::Rfc822Header => b"RFC822.HEADER",
        A::Rfc822Size => b"RFC822.SIZE",
        A::Rfc822Text => b"RFC822.TEXT",
        A::Body => b"BODY",
        A::BodyStructure => b"BODYSTRUCTURE",
        A::Uid => b"UID",
        A::ModSeq => b"MODSEQ",
        A::BodySection {
            peek,
            section,
            partial,
        } => {
            e.raw(if *peek { b"BODY.PEEK" } else { b"BODY" });
            encode_section(e, section);
            encode_partial(e, partial.as_ref());
            return;
        }
        A::Binary {
            peek,
            part,
            partial,
        } => {
            e.raw(if *peek { b"BINARY.PEEK" } else { b"BINARY" });
            encode_part_brackets(e, part);
            encode_partial(e, partial.as_ref());
            return;
        }
        A::BinarySize { part } => {
            e.raw(b"BINARY.SIZE");
            encode_part_brackets(e, part);
            return;
        }
    };
    e.raw(word);
}

fn encode_part(e: &mut Encoder, part: &[NonZeroU32]) {
    for (k, n) in part.iter().enumerate() {
        if k > 0 {
            e.raw(b".");
        }
        e.number(n.get());
    }
}

fn encode_part_brackets(e: &mut Encoder, part: &[NonZeroU32]) {
    e.raw(b"[");
    encode_part(e, part);
    e.raw(b"]");
}

/// Writes `[section]`.
pub(crate) fn encode_section(e: &mut Encoder, section: &Section<'_>) {
    e.raw(b"[");
    encode_part(e, section.part());
    if let Some(text) = section.text() {
        if !section.part().is_empty() {
            e.raw(b".");
        }
        match text {
            SectionText::Header => {
                e.raw(b"HEADER");
            }
            SectionText::HeaderFields(names) => {
                e.raw(b"HEADER.FIELDS ").list(names, |e, n| {
                    e.astring(n);
                });
            }
            SectionText::HeaderFieldsNot(names) => {
                e.raw(b"HEADER.FIELDS.NOT ").list(names, |e, n| {
                    e.astring(n);
                });
            }
            SectionText::Text => {
                e.raw(b"TEXT");
            }
            SectionText::Mime => {
                e.raw(b"MIME");
            }
        }
    }
    e.raw(b"]");
}

fn encode_partial(e: &mut Encoder, partial: Option<&Partial>) {
    if let Some(p) = partial {
        e.raw(b"<")
            .number(p.offset)
            .raw(b".")
            .number(p.length.get())
            .raw(b">");
    }
}

pub(crate) fn encode_fetch_modifiers(e: &mut Encoder, m: &FetchModifiers) {
    if let Some(cs) = &m.changed_since {
        e.raw(b" (CHANGEDSINCE ").number(cs.modseq);
        if cs.vanished {
            e.raw(b" VANISHED");
        }
        e.raw(b")");
    }
}
