//! ENVELOPE and BODY/BODYSTRUCTURE: parsers (depth-limited) and encoders.
//!
//! The parsers accept a few deviations seen from real servers: `()` for an empty
//! parameter or address list, spaces between adjacent parts or addresses, text parts
//! without a line count and `MESSAGE/RFC822` parts without the encapsulated message
//! (both kept as [`PartKind::Basic`]).

use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::{tag, tag_no_case};
use nom::combinator::{map, map_res, opt, peek, value};
use nom::multi::{many1, separated_list1};
use nom::sequence::{delimited, preceded, terminated};

use super::Encoder;
use super::primitives::{PResult, istring, nstring, number, sp};
use super::response_common::{number64, too_deep};
use crate::types::{
    Address, BodyExtension, BodyFields, BodyParam, BodyStructure, Disposition, Envelope,
    ExtensionList, ExtensionTail, IString, LanguageTail, LocationTail, MessageSubtype, MultiPart,
    MultiPartExtension, PartKind, SinglePart, SinglePartExtension,
};

fn open(i: &[u8]) -> PResult<'_, ()> {
    value((), tag(&b"("[..])).parse(i)
}

fn close(i: &[u8]) -> PResult<'_, ()> {
    value((), tag(&b")"[..])).parse(i)
}

fn nil(i: &[u8]) -> PResult<'_, ()> {
    value((), tag_no_case(&b"NIL"[..])).parse(i)
}

fn address(i: &[u8]) -> PResult<'_, Address<'_>> {
    map(
        delimited(
            open,
            (nstring, sp, nstring, sp, nstring, sp, nstring),
            close,
        ),
        |(name, (), adl, (), mailbox, (), host)| Address {
            name,
            adl,
            mailbox,
            host,
        },
    )
    .parse(i)
}

/// `"(" 1*address ")" / nil`, tolerating `()` and spaces between addresses.
fn address_list(i: &[u8]) -> PResult<'_, Vec<Address<'_>>> {
    alt((
        value(Vec::new(), nil),
        delimited(
            open,
            map(
                opt(many1(preceded(opt(sp), address))),
                Option::unwrap_or_default,
            ),
            close,
        ),
    ))
    .parse(i)
}

/// `envelope`.
pub(crate) fn envelope(i: &[u8]) -> PResult<'_, Envelope<'_>> {
    let (i, ()) = open(i)?;
    let (i, date) = nstring(i)?;
    let (i, subject) = preceded(sp, nstring).parse(i)?;
    let (i, from) = preceded(sp, address_list).parse(i)?;
    let (i, sender) = preceded(sp, address_list).parse(i)?;
    let (i, reply_to) = preceded(sp, address_list).parse(i)?;
    let (i, to) = preceded(sp, address_list).parse(i)?;
    let (i, cc) = preceded(sp, address_list).parse(i)?;
    let (i, bcc) = preceded(sp, address_list).parse(i)?;
    let (i, in_reply_to) = preceded(sp, nstring).parse(i)?;
    let (i, message_id) = preceded(sp, nstring).parse(i)?;
    let (i, ()) = close(i)?;
    Ok((
        i,
        Envelope {
            date,
            subject,
            from,
            sender,
            reply_to,
            to,
            cc,
            bcc,
            in_reply_to,
            message_id,
        },
    ))
}

/// `body-fld-param`, tolerating `()`.
fn params(i: &[u8]) -> PResult<'_, Vec<BodyParam<'_>>> {
    let pair = map((istring, sp, istring), |(name, (), value)| BodyParam {
        name,
        value,
    });
    alt((
        value(Vec::new(), nil),
        delimited(
            open,
            map(opt(separated_list1(sp, pair)), Option::unwrap_or_default),
            close,
        ),
    ))
    .parse(i)
}

fn body_fields(i: &[u8]) -> PResult<'_, BodyFields<'_>> {
    map(
        (
            params,
            preceded(sp, nstring),
            preceded(sp, nstring),
            preceded(sp, istring),
            preceded(sp, number),
        ),
        |(params, id, description, encoding, octets)| BodyFields {
            params,
            id,
            description,
            encoding,
            octets,
        },
    )
    .parse(i)
}

fn disposition(i: &[u8]) -> PResult<'_, Option<Disposition<'_>>> {
    alt((
        value(None, nil),
        map(
            delimited(open, (istring, sp, params), close),
            |(kind, (), params)| Some(Disposition { kind, params }),
        ),
    ))
    .parse(i)
}

fn languages(i: &[u8]) -> PResult<'_, Vec<IString<'_>>> {
    alt((
        map(nstring, |s| s.0.into_iter().collect()),
        delimited(open, separated_list1(sp, istring), close),
    ))
    .parse(i)
}

fn body_extension(depth: usize) -> impl FnMut(&[u8]) -> PResult<'_, BodyExtension<'_>> {
    move |i| {
        let Some(inner) = depth.checked_sub(1) else {
            return too_deep(i);
        };
        alt((
            map(nstring, BodyExtension::NString),
            map(number64, BodyExtension::Number),
            map(
                map_res(
                    delimited(open, separated_list1(sp, body_extension(inner)), close),
                    ExtensionList::new,
                ),
                BodyExtension::List,
            ),
        ))
        .parse(i)
    }
}

/// `[SP dsp [SP lang [SP loc *(SP ext)]]]`.
fn extension_tail(depth: usize) -> impl FnMut(&[u8]) -> PResult<'_, Option<ExtensionTail<'_>>> {
    move |i| {
        let (i, Some(disposition)) = opt(preceded(sp, disposition)).parse(i)? else {
            return Ok((i, None));
        };
        let (i, language) = opt(preceded(sp, language_tail(depth))).parse(i)?;
        Ok((
            i,
            Some(ExtensionTail {
                disposition,
                language,
            }),
        ))
    }
}

fn language_tail(depth: usize) -> impl FnMut(&[u8]) -> PResult<'_, LanguageTail<'_>> {
    move |i| {
        let (i, languages) = languages(i)?;
        let (i, location) = opt(preceded(sp, location_tail(depth))).parse(i)?;
        Ok((
            i,
            LanguageTail {
                languages,
                location,
            },
        ))
    }
}

fn location_tail(depth: usize) -> impl FnMut(&[u8]) -> PResult<'_, LocationTail<'_>> {
    move |i| {
        let (mut i, location) = nstring(i)?;
        let mut extensions = Vec::new();
        loop {
            match preceded(sp, body_extension(depth)).parse(i) {
                Ok((rest, ext)) => {
                    extensions.push(ext);
                    i = rest;
                }
                Err(nom::Err::Error(_)) => break,
                Err(e) => return Err(e),
            }
        }
        Ok((
            i,
            LocationTail {
                location,
                extensions,
            },
        ))
    }
}

/// `body`, at most `depth` levels deep (counting multipart and message nesting and
/// extension lists); deeper input fails with [`too_deep`].
pub(crate) fn body(depth: usize) -> impl FnMut(&[u8]) -> PResult<'_, BodyStructure<'_>> {
    move |i| {
        let Some(inner) = depth.checked_sub(1) else {
            return too_deep(i);
        };
        let (i, ()) = open(i)?;
        let (i, node) = if peek(open).parse(i).is_ok() {
            map(multipart(inner), BodyStructure::Multi).parse(i)?
        } else {
            map(single_part(inner), BodyStructure::Single).parse(i)?
        };
        let (i, ()) = close(i)?;
        Ok((i, node))
    }
}

fn multipart(depth: usize) -> impl FnMut(&[u8]) -> PResult<'_, MultiPart<'_>> {
    move |i| {
        let (i, parts) = many1(terminated(body(depth), opt(sp))).parse(i)?;
        let (i, subtype) = istring(i)?;
        let (i, extension) = opt(preceded(sp, multipart_extension(depth))).parse(i)?;
        match MultiPart::new(parts, subtype, extension) {
            Ok(multi) => Ok((i, multi)),
            Err(_) => super::primitives::fail(i),
        }
    }
}

fn multipart_extension(depth: usize) -> impl FnMut(&[u8]) -> PResult<'_, MultiPartExtension<'_>> {
    move |i| {
        let (i, params) = params(i)?;
        let (i, tail) = extension_tail(depth)(i)?;
        Ok((i, MultiPartExtension { params, tail }))
    }
}

fn single_extension(depth: usize) -> impl FnMut(&[u8]) -> PResult<'_, SinglePartExtension<'_>> {
    move |i| {
        let (i, md5) = nstring(i)?;
        let (i, tail) = extension_tail(depth)(i)?;
        Ok((i, SinglePartExtension { md5, tail }))
    }
}

fn message_subtype(subtype: &IString<'_>) -> Option<MessageSubtype> {
    let s = subtype.as_bytes();
    if s.eq_ignore_ascii_case(b"RFC822") {
        Some(MessageSubtype::Rfc822)
    } else if s.eq_ignore_ascii_case(b"GLOBAL") {
        Some(MessageSubtype::Global)
    } else {
        None
    }
}

fn single_part(depth: usize) -> impl FnMut(&[u8]) -> PResult<'_, SinglePart<'_>> {
    move |i| {
        let (i, media_type) = istring(i)?;
        let (i, subtype) = preceded(sp, istring).parse(i)?;
        let (i, fields) = preceded(sp, body_fields).parse(i)?;
        let is_text = media_type.as_bytes().eq_ignore_ascii_case(b"TEXT");
        let message = media_type
            .as_bytes()
            .eq_ignore_ascii_case(b"MESSAGE")
            .then(|| message_subtype(&subtype))
            .flatten();
        let (i, kind) =
            if let (true, Ok((rest, lines))) = (is_text, preceded(sp, number64).parse(i)) {
                (rest, PartKind::Text { subtype, lines })
            } else if let (Some(sub), true) = (message, peek((sp, open)).parse(i).is_ok()) {
                let (rest, (env, part, lines)) = (
                    preceded(sp, envelope),
                    preceded(sp, body(depth)),
                    preceded(sp, number64),
                )
                    .parse(i)?;
                let kind = PartKind::Message {
                    subtype: sub,
                    envelope: Box::new(env),
                    body: Box::new(part),
                    lines,
                };
                (rest, kind)
            } else {
                (
                    i,
                    PartKind::Basic {
                        media_type,
                        subtype,
                    },
                )
            };
        let (i, extension) = opt(preceded(sp, single_extension(depth))).parse(i)?;
        Ok((
            i,
            SinglePart {
                kind,
                fields,
                extension,
            },
        ))
    }
}

// ---------------------------------------------------------------------------------------
// Encoding

fn put_address(e: &mut Encoder, a: &Address<'_>) {
    e.raw(b"(")
        .nstring(&a.name)
        .sp()
        .nstring(&a.adl)
        .sp()
        .nstring(&a.mailbox)
        .sp()
        .nstring(&a.host)
        .raw(b")");
}

fn put_address_list(e: &mut Encoder, list: &[Address<'_>]) {
    if list.is_empty() {
        e.raw(b"NIL");
        return;
    }
    e.raw(b"(");
    for a in list {
        put_address(e, a);
    }
    e.raw(b")");
}

/// Writes an `envelope`.
pub(crate) fn put_envelope(e: &mut Encoder, env: &Envelope<'_>) {
    e.raw(b"(").nstring(&env.date).sp().nstring(&env.subject);
    for list in [
        &env.from,
        &env.sender,
        &env.reply_to,
        &env.to,
        &env.cc,
        &env.bcc,
    ] {
        e.sp();
        put_address_list(e, list);
    }
    e.sp()
        .nstring(&env.in_reply_to)
        .sp()
        .nstring(&env.message_id)
        .raw(b")");
}

fn put_params(e: &mut Encoder, params: &[BodyParam<'_>]) {
    if params.is_empty() {
        e.raw(b"NIL");
        return;
    }
    e.list(params, |e, p| {
        e.string(&p.name).sp().string(&p.value);
    });
}

fn put_fields(e: &mut Encoder, f: &BodyFields<'_>) {
    put_params(e, &f.params);
    e.sp()
        .nstring(&f.id)
        .sp()
        .nstring(&f.description)
        .sp()
        .string(&f.encoding)
        .sp()
        .number(f.octets);
}

fn put_body_extension(e: &mut Encoder, ext: &BodyExtension<'_>) {
    match ext {
        BodyExtension::NString(s) => {
            e.nstring(s);
        }
        BodyExtension::Number(n) => {
            e.number(*n);
        }
        BodyExtension::List(list) => {
            e.list(list.items(), put_body_extension);
        }
    }
}

fn put_tail(e: &mut Encoder, tail: &ExtensionTail<'_>) {
    e.sp();
    match &tail.disposition {
        None => {
            e.raw(b"NIL");
        }
        Some(d) => {
            e.raw(b"(").string(&d.kind).sp();
            put_params(e, &d.params);
            e.raw(b")");
        }
    }
    let Some(lang) = &tail.language else { return };
    e.sp();
    match lang.languages.as_slice() {
        [] => {
            e.raw(b"NIL");
        }
        [one] => {
            e.string(one);
        }
        many => {
            e.list(many, |e, l| {
                e.string(l);
            });
        }
    }
    let Some(loc) = &lang.location else { return };
    e.sp().nstring(&loc.location);
    for ext in &loc.extensions {
        e.sp();
        put_body_extension(e, ext);
    }
}

/// Writes a `body`; with `extensions` false (the `BODY` item) extension data is left out.
pub(crate) fn put_body(e: &mut Encoder, body: &BodyStructure<'_>, extensions: bool) {
    e.raw(b"(");
    match body {
        BodyStructure::Multi(multi) => {
            for part in multi.parts() {
                put_body(e, part, extensions);
            }
            e.sp().string(&multi.subtype);
            if let (true, Some(ext)) = (extensions, &multi.extension) {
                e.sp();
                put_params(e, &ext.params);
                if let Some(tail) = &ext.tail {
                    put_tail(e, tail);
                }
            }
        }
        BodyStructure::Single(part) => put_single(e, part, extensions),
    }
    e.raw(b")");
}

fn put_single(e: &mut Encoder, part: &SinglePart<'_>, extensions: bool) {
    match &part.kind {
        PartKind::Basic {
            media_type,
            subtype,
        } => {
            e.string(media_type).sp().string(subtype).sp();
            put_fields(e, &part.fields);
        }
        PartKind::Text { subtype, lines } => {
            e.raw(b"\"TEXT\" ").string(subtype).sp();
            put_fields(e, &part.fields);
            e.sp().number(*lines);
        }
        PartKind::Message {
            subtype,
            envelope,
            body,
            lines,
        } => {
            e.raw(b"\"MESSAGE\" \"")
                .raw(subtype.as_str().as_bytes())
                .raw(b"\" ");
            put_fields(e, &part.fields);
            e.sp();
            put_envelope(e, envelope);
            e.sp();
            put_body(e, body, extensions);
            e.sp().number(*lines);
        }
    }
    if let (true, Some(ext)) = (extensions, &part.extension) {
        e.sp().nstring(&ext.md5);
        if let Some(tail) = &ext.tail {
            put_tail(e, tail);
        }
    }
}
