//! FETCH response data (`msg-att`): parsers and encoders.

use std::borrow::Cow;
use std::num::NonZeroU32;

use nom::Parser;
use nom::combinator::map;

use super::Encoder;
use super::fetch::{encode_section, section, section_binary};
use super::primitives::{
    PResult, any_literal, byte, date_time, fail, flag_list, is_nil, nstring, number, nz_number,
    quoted, sp,
};
use super::response_body::{body, envelope, put_body, put_envelope};
use super::response_common::number64;
use crate::types::{Fetch, FetchItem, NonEmptyVec, StreamedItem};

/// `"(" msg-att-item *(SP msg-att-item) ")"` after `n FETCH `.
pub(crate) fn fetch_data(depth: usize, seq: NonZeroU32, i: &[u8]) -> PResult<'_, Fetch<'_>> {
    let (mut i, ()) = byte(i, b'(')?;
    let mut items = Vec::with_capacity(4);
    loop {
        let (rest, item) = fetch_item(depth, i)?;
        items.push(item);
        match rest.split_first() {
            Some((b' ', after)) => i = after,
            Some((b')', after)) => {
                i = after;
                break;
            }
            _ => return fail(rest),
        }
    }
    match NonEmptyVec::new(items) {
        Ok(items) => Ok((i, Fetch { seq, items })),
        Err(_) => fail(i),
    }
}

/// `["<" number ">"]`.
fn origin(i: &[u8]) -> PResult<'_, Option<u32>> {
    if let Some(after) = i.strip_prefix(b"<")
        && let Ok((rest, n)) = number(after)
        && let Some(rest) = rest.strip_prefix(b">")
    {
        return Ok((rest, Some(n)));
    }
    Ok((i, None))
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
    if is_nil(i) {
        return Ok((&i[3..], None));
    }
    if i.starts_with(b"\"") {
        return map(quoted, Some).parse(i);
    }
    map(any_literal, |(data, _)| Some(data)).parse(i)
}

/// One `msg-att` item: the name is read once and dispatched on.
pub(crate) fn fetch_item(depth: usize, i: &[u8]) -> PResult<'_, FetchItem<'_>> {
    let Some((upper, len, rest)) = item_name(i) else {
        return fail(i);
    };
    // Every item but `BODY[`, `BINARY[` and `BINARY.SIZE[` has a space after its name.
    let after_sp = rest.strip_prefix(b" ");
    match (&upper[..len], after_sp) {
        (b"FLAGS", Some(v)) => map(flag_list, FetchItem::Flags).parse(v),
        (b"UID", Some(v)) => map(nz_number, FetchItem::Uid).parse(v),
        (b"RFC822.SIZE", Some(v)) => map(number64, FetchItem::Rfc822Size).parse(v),
        (b"INTERNALDATE", Some(v)) => map(date_time, FetchItem::InternalDate).parse(v),
        (b"ENVELOPE", Some(v)) => map(envelope, |e| FetchItem::Envelope(Box::new(e))).parse(v),
        (b"BODYSTRUCTURE", Some(v)) => map(
            |x| body(depth, x),
            |b| FetchItem::BodyStructure(Box::new(b)),
        )
        .parse(v),
        (b"BODY", _) if rest.first() == Some(&b'[') => {
            let (r, section) = section(rest)?;
            let (r, origin) = origin(r)?;
            let (r, ()) = sp(r)?;
            let (r, data) = nstring(r)?;
            let item = FetchItem::BodySection {
                section,
                origin,
                data,
            };
            Ok((r, item))
        }
        (b"BODY", Some(v)) => map(|x| body(depth, x), |b| FetchItem::Body(Box::new(b))).parse(v),
        (b"BINARY.SIZE", _) => {
            let (r, part) = section_binary(rest)?;
            let (r, ()) = sp(r)?;
            let (r, size) = number(r)?;
            Ok((r, FetchItem::BinarySize { part, size }))
        }
        (b"BINARY", _) => {
            let (r, part) = section_binary(rest)?;
            let (r, origin) = origin(r)?;
            let (r, ()) = sp(r)?;
            let (r, data) = binary_data(r)?;
            Ok((r, FetchItem::Binary { part, origin, data }))
        }
        (b"MODSEQ", Some(v)) => {
            let (r, ()) = byte(v, b'(')?;
            let (r, n) = number64(r)?;
            let (r, ()) = byte(r, b')')?;
            Ok((r, FetchItem::ModSeq(n)))
        }
        (b"RFC822", Some(v)) => map(nstring, FetchItem::Rfc822).parse(v),
        (b"RFC822.HEADER", Some(v)) => map(nstring, FetchItem::Rfc822Header).parse(v),
        (b"RFC822.TEXT", Some(v)) => map(nstring, FetchItem::Rfc822Text).parse(v),
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
