//! FETCH response data (`msg-att`): parsers and encoders.

use std::borrow::Cow;
use std::num::NonZeroU32;

use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::combinator::{map, opt, value};
use nom::sequence::{delimited, preceded};

use super::Encoder;
use super::fetch::{encode_section, section, section_binary};
use super::primitives::{
    PResult, any_literal, date_time, fail, flag_list, nstring, number, nz_number, quoted, sp,
};
use super::response_body::{body, envelope, put_body, put_envelope};
use super::response_common::{nil, number64};
use crate::types::{Fetch, FetchItem, NonEmptyVec, StreamedItem};

/// `"(" msg-att-item *(SP msg-att-item) ")"` after `n FETCH `.
pub(crate) fn fetch_data(depth: usize, seq: NonZeroU32, i: &[u8]) -> PResult<'_, Fetch<'_>> {
    let (i, _) = tag(&b"("[..]).parse(i)?;
    let (mut i, first) = fetch_item(depth, i)?;
    let mut items = vec![first];
    loop {
        match preceded(sp, |x| fetch_item(depth, x)).parse(i) {
            Ok((rest, item)) => {
                items.push(item);
                i = rest;
            }
            Err(nom::Err::Error(_)) => break,
            Err(e) => return Err(e),
        }
    }
    let (i, _) = tag(&b")"[..]).parse(i)?;
    match NonEmptyVec::new(items) {
        Ok(items) => Ok((i, Fetch { seq, items })),
        Err(_) => fail(i),
    }
}

/// `"<" number ">"`.
fn origin(i: &[u8]) -> PResult<'_, Option<u32>> {
    opt(delimited(tag(&b"<"[..]), number, tag(&b">"[..]))).parse(i)
}

/// Longer than every `msg-att` item name.
const MAX_NAME: usize = 16;

/// Reads an item name (the characters a `keyword` may not run on into, so a whole name
/// is one token) and returns it upper-cased with the rest of the input; `None` if there
/// is no name or it is longer than any known name.
fn item_name(i: &[u8]) -> Option<([u8; MAX_NAME], usize, &[u8])> {
    let len = i
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'=')))
        .unwrap_or(i.len());
    if len == 0 || len > MAX_NAME {
        return None;
    }
    let mut upper = [0u8; MAX_NAME];
    upper[..len].copy_from_slice(&i[..len]);
    upper[..len].make_ascii_uppercase();
    Some((upper, len, &i[len..]))
}

/// The name part of a streamable item, up to (not including) the SP before its data.
pub(crate) fn streamed_item_name(i: &[u8]) -> PResult<'_, StreamedItem<'_>> {
    let Some((upper, len, rest)) = item_name(i) else {
        return fail(i);
    };
    match &upper[..len] {
        b"RFC822.HEADER" => Ok((rest, StreamedItem::Rfc822Header)),
        b"RFC822.TEXT" => Ok((rest, StreamedItem::Rfc822Text)),
        b"RFC822" => Ok((rest, StreamedItem::Rfc822)),
        b"BINARY" => map((section_binary, origin), |(part, origin)| {
            StreamedItem::Binary { part, origin }
        })
        .parse(rest),
        b"BODY" => map((section, origin), |(section, origin)| {
            StreamedItem::BodySection { section, origin }
        })
        .parse(rest),
        _ => fail(i),
    }
}

/// `nstring / literal8` as raw bytes (BINARY data).
fn binary_data(i: &[u8]) -> PResult<'_, Option<Cow<'_, [u8]>>> {
    alt((
        value(None, nil),
        map(quoted, Some),
        map(any_literal, |(data, _)| Some(data)),
    ))
    .parse(i)
}

/// One `msg-att` item: the name is read once and dispatched on.
pub(crate) fn fetch_item(depth: usize, i: &[u8]) -> PResult<'_, FetchItem<'_>> {
    let Some((upper, len, rest)) = item_name(i) else {
        return fail(i);
    };
    match &upper[..len] {
        b"FLAGS" => map(preceded(sp, flag_list), FetchItem::Flags).parse(rest),
        b"INTERNALDATE" => map(preceded(sp, date_time), FetchItem::InternalDate).parse(rest),
        b"RFC822.SIZE" => map(preceded(sp, number64), FetchItem::Rfc822Size).parse(rest),
        b"ENVELOPE" => {
            map(preceded(sp, envelope), |e| FetchItem::Envelope(Box::new(e))).parse(rest)
        }
        b"BODYSTRUCTURE" => map(preceded(sp, body(depth)), |b| {
            FetchItem::BodyStructure(Box::new(b))
        })
        .parse(rest),
        b"BODY" if rest.first() == Some(&b'[') => map(
            (section, origin, sp, nstring),
            |(section, origin, _, data)| FetchItem::BodySection {
                section,
                origin,
                data,
            },
        )
        .parse(rest),
        b"BODY" => map(preceded(sp, body(depth)), |b| FetchItem::Body(Box::new(b))).parse(rest),
        b"BINARY.SIZE" => map((section_binary, preceded(sp, number)), |(part, size)| {
            FetchItem::BinarySize { part, size }
        })
        .parse(rest),
        b"BINARY" => map(
            (section_binary, origin, sp, binary_data),
            |(part, origin, _, data)| FetchItem::Binary { part, origin, data },
        )
        .parse(rest),
        b"UID" => map(preceded(sp, nz_number), FetchItem::Uid).parse(rest),
        b"MODSEQ" => map(
            preceded(sp, delimited(tag(&b"("[..]), number64, tag(&b")"[..]))),
            FetchItem::ModSeq,
        )
        .parse(rest),
        b"RFC822" => map(preceded(sp, nstring), FetchItem::Rfc822).parse(rest),
        b"RFC822.HEADER" => map(preceded(sp, nstring), FetchItem::Rfc822Header).parse(rest),
        b"RFC822.TEXT" => map(preceded(sp, nstring), FetchItem::Rfc822Text).parse(rest),
        _ => fail(i),
    }
}

// ---------------------------------------------------------------------------------------
// Encoding

/// Writes `n FETCH (...)`.
pub(crate) fn put_fetch(e: &mut Encoder, fetch: &Fetch<'_>) {
    e.number(fetch.seq.get()).raw(b" FETCH ");
    e.list(&fetch.items, put_fetch_item);
}

fn put_part(e: &mut Encoder, part: &[NonZeroU32]) {
    e.raw(b"[");
    for (k, n) in part.iter().enumerate() {
        if k > 0 {
            e.raw(b".");
        }
        e.number(n.get());
    }
    e.raw(b"]");
}

fn put_origin(e: &mut Encoder, origin: Option<u32>) {
    if let Some(o) = origin {
        e.raw(b"<").number(o).raw(b">");
    }
}

/// Writes the name of a streamed item (`BODY[1.TEXT]<0>`, `RFC822`...).
pub(crate) fn put_streamed_item_name(e: &mut Encoder, item: &StreamedItem<'_>) {
    match item {
        StreamedItem::BodySection { section, origin } => {
            e.raw(b"BODY");
            encode_section(e, section);
            put_origin(e, *origin);
        }
        StreamedItem::Binary { part, origin } => {
            e.raw(b"BINARY");
            put_part(e, part);
            put_origin(e, *origin);
        }
        StreamedItem::Rfc822 => {
            e.raw(b"RFC822");
        }
        StreamedItem::Rfc822Header => {
            e.raw(b"RFC822.HEADER");
        }
        StreamedItem::Rfc822Text => {
            e.raw(b"RFC822.TEXT");
        }
    }
}

fn put_fetch_item(e: &mut Encoder, item: &FetchItem<'_>) {
    match item {
        FetchItem::Flags(flags) => {
            e.raw(b"FLAGS ").flag_list(flags);
        }
        FetchItem::InternalDate(dt) => {
            e.raw(b"INTERNALDATE ").date_time(dt);
        }
        FetchItem::Rfc822Size(n) => {
            e.raw(b"RFC822.SIZE ").number(*n);
        }
        FetchItem::Envelope(env) => {
            e.raw(b"ENVELOPE ");
            put_envelope(e, env);
        }
        FetchItem::Body(b) => {
            e.raw(b"BODY ");
            put_body(e, b, false);
        }
        FetchItem::BodyStructure(b) => {
            e.raw(b"BODYSTRUCTURE ");
            put_body(e, b, true);
        }
        FetchItem::BodySection {
            section,
            origin,
            data,
        } => {
            let name = StreamedItem::BodySection {
                section: section.clone(),
                origin: *origin,
            };
            put_streamed_item_name(e, &name);
            e.sp().nstring(data);
        }
        FetchItem::Binary { part, origin, data } => {
            e.raw(b"BINARY");
            put_part(e, part);
            put_origin(e, *origin);
            e.sp();
            match data {
                None => {
                    e.raw(b"NIL");
                }
                Some(d) if d.contains(&0) => {
                    e.literal_bytes(d, true);
                }
                Some(d) => {
                    e.string_bytes(d);
                }
            }
        }
        FetchItem::BinarySize { part, size } => {
            e.raw(b"BINARY.SIZE");
            put_part(e, part);
            e.sp().number(*size);
        }
        FetchItem::Uid(n) => {
            e.raw(b"UID ").number(n.get());
        }
        FetchItem::ModSeq(n) => {
            e.raw(b"MODSEQ (").number(*n).raw(b")");
        }
        FetchItem::Rfc822(s) => {
            e.raw(b"RFC822 ").nstring(s);
        }
        FetchItem::Rfc822Header(s) => {
            e.raw(b"RFC822.HEADER ").nstring(s);
        }
        FetchItem::Rfc822Text(s) => {
            e.raw(b"RFC822.TEXT ").nstring(s);
        }
    }
}
