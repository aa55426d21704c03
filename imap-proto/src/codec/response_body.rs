//! ENVELOPE and BODY/BODYSTRUCTURE: parsers (depth-limited) and encoders.
//!
//! The parsers accept a few deviations seen from real servers: `()` for an empty
//! parameter or address list, spaces between adjacent parts or addresses, text parts
//! without a line count and `MESSAGE/RFC822` parts without the encapsulated message
//! (both kept as [`PartKind::Basic`]).

use nom::Parser;
use nom::combinator::map;

use super::Encoder;
use super::primitives::{PResult, byte, fail, is_nil, istring, list_of, nstring, number, sp};
use super::response_common::{number64, too_deep};
use crate::types::{
    Address, BodyExtension, BodyFields, BodyParam, BodyStructure, Disposition, Envelope,
    ExtensionList, ExtensionTail, IString, LanguageTail, LocationTail, MessageSubtype, MultiPart,
    MultiPartExtension, PartKind, SinglePart, SinglePartExtension,
};

/// `SP x`.
#[inline]
fn then_sp<'a, T>(i: &'a [u8], item: impl FnOnce(&'a [u8]) -> PResult<'a, T>) -> PResult<'a, T> {
    let (i, ()) = sp(i)?;
    item(i)
}

/// `"(" nstring SP nstring SP nstring SP nstring ")"`.
fn address(i: &[u8]) -> PResult<'_, Address<'_>> {
    let (i, ()) = byte(i, b'(')?;
    let (i, name) = nstring(i)?;
    let (i, adl) = then_sp(i, nstring)?;
    let (i, mailbox) = then_sp(i, nstring)?;
    let (i, host) = then_sp(i, nstring)?;
    let (i, ()) = byte(i, b')')?;
    Ok((
        i,
        Address {
            name,
            adl,
            mailbox,
            host,
        },
    ))
}

/// `"(" 1*address ")" / nil`, tolerating `()` and spaces between addresses.
fn address_list(i: &[u8]) -> PResult<'_, Vec<Address<'_>>> {
    if is_nil(i) {
        return Ok((&i[3..], Vec::new()));
    }
    let (mut i, ()) = byte(i, b'(')?;
    let mut out = Vec::new();
    loop {
        let next = i.strip_prefix(b" ").unwrap_or(i);
        if !next.starts_with(b"(") {
            break;
        }
        let (rest, a) = address(next)?;
        out.push(a);
        i = rest;
    }
    let (i, ()) = byte(i, b')')?;
    Ok((i, out))
}

/// `envelope`.
pub(crate) fn envelope(i: &[u8]) -> PResult<'_, Envelope<'_>> {
    let (i, ()) = byte(i, b'(')?;
    let (i, date) = nstring(i)?;
    let (i, subject) = then_sp(i, nstring)?;
    let (i, from) = then_sp(i, address_list)?;
    let (i, sender) = then_sp(i, address_list)?;
    let (i, reply_to) = then_sp(i, address_list)?;
    let (i, to) = then_sp(i, address_list)?;
    let (i, cc) = then_sp(i, address_list)?;
    let (i, bcc) = then_sp(i, address_list)?;
    let (i, in_reply_to) = then_sp(i, nstring)?;
    let (i, message_id) = then_sp(i, nstring)?;
    let (i, ()) = byte(i, b')')?;
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
    if is_nil(i) {
        return Ok((&i[3..], Vec::new()));
    }
    list_of(i, |x| {
        let (x, name) = istring(x)?;
        let (x, value) = then_sp(x, istring)?;
        Ok((x, BodyParam { name, value }))
    })
}

fn body_fields(i: &[u8]) -> PResult<'_, BodyFields<'_>> {
    let (i, params) = params(i)?;
    let (i, id) = then_sp(i, nstring)?;
    let (i, description) = then_sp(i, nstring)?;
    let (i, encoding) = then_sp(i, istring)?;
    let (i, octets) = then_sp(i, number)?;
    Ok((
        i,
        BodyFields {
            params,
            id,
            description,
            encoding,
            octets,
        },
    ))
}

fn disposition(i: &[u8]) -> PResult<'_, Option<Disposition<'_>>> {
    if is_nil(i) {
        return Ok((&i[3..], None));
    }
    let (i, ()) = byte(i, b'(')?;
    let (i, kind) = istring(i)?;
    let (i, params) = then_sp(i, params)?;
    let (i, ()) = byte(i, b')')?;
    Ok((i, Some(Disposition { kind, params })))
}

fn languages(i: &[u8]) -> PResult<'_, Vec<IString<'_>>> {
    if i.starts_with(b"(") {
        let (rest, list) = list_of(i, istring)?;
        if list.is_empty() {
            return fail(i);
        }
        return Ok((rest, list));
    }
    let (rest, s) = nstring(i)?;
    Ok((rest, s.0.into_iter().collect()))
}

fn body_extension(depth: usize, i: &[u8]) -> PResult<'_, BodyExtension<'_>> {
    let Some(inner) = depth.checked_sub(1) else {
        return too_deep(i);
    };
    match i.first() {
        Some(b'(') => {
            let (rest, items) = extension_list(inner, &i[1..])?;
            match ExtensionList::new(items) {
                Ok(list) => Ok((rest, BodyExtension::List(list))),
                Err(_) => fail(i),
            }
        }
        Some(b) if b.is_ascii_digit() => map(number64, BodyExtension::Number).parse(i),
        _ => map(nstring, BodyExtension::NString).parse(i),
    }
}

/// `body-extension *(SP body-extension) ")"` after the `(`. The first item is always
/// tried (even at a `)`), so the nesting limit applies to `()` too.
fn extension_list(depth: usize, mut i: &[u8]) -> PResult<'_, Vec<BodyExtension<'_>>> {
    let mut items = Vec::new();
    loop {
        let (rest, item) = body_extension(depth, i)?;
        items.push(item);
        match rest.split_first() {
            Some((b' ', after)) => i = after,
            Some((b')', after)) => return Ok((after, items)),
            _ => return fail(rest),
        }
    }
}

/// `[SP dsp [SP lang [SP loc *(SP ext)]]]`.
fn extension_tail(depth: usize, i: &[u8]) -> PResult<'_, Option<ExtensionTail<'_>>> {
    let Some(after) = i.strip_prefix(b" ") else {
        return Ok((i, None));
    };
    let (i, disposition) = disposition(after)?;
    let (i, language) = match i.strip_prefix(b" ") {
        Some(after) => {
            let (i, l) = language_tail(depth, after)?;
            (i, Some(l))
        }
        None => (i, None),
    };
    Ok((
        i,
        Some(ExtensionTail {
            disposition,
            language,
        }),
    ))
}

fn language_tail(depth: usize, i: &[u8]) -> PResult<'_, LanguageTail<'_>> {
    let (i, languages) = languages(i)?;
    let (i, location) = match i.strip_prefix(b" ") {
        Some(after) => {
            let (i, l) = location_tail(depth, after)?;
            (i, Some(l))
        }
        None => (i, None),
    };
    Ok((
        i,
        LanguageTail {
            languages,
            location,
        },
    ))
}

fn location_tail(depth: usize, i: &[u8]) -> PResult<'_, LocationTail<'_>> {
    let (mut i, location) = nstring(i)?;
    let mut extensions = Vec::new();
    while let Some(after) = i.strip_prefix(b" ") {
        let (rest, ext) = body_extension(depth, after)?;
        extensions.push(ext);
        i = rest;
    }
    Ok((
        i,
        LocationTail {
            location,
            extensions,
        },
    ))
}

/// `body`, at most `depth` levels deep (counting multipart and message nesting and
/// extension lists); deeper input fails with [`too_deep`].
///
/// Every optional part (`[SP x]`) is read when its space is there: a `body` always ends
/// in `)`, so input where `x` does not parse after the space is invalid either way.
pub(crate) fn body(depth: usize, i: &[u8]) -> PResult<'_, BodyStructure<'_>> {
    let Some(inner) = depth.checked_sub(1) else {
        return too_deep(i);
    };
    let (i, ()) = byte(i, b'(')?;
    let (i, node) = if i.starts_with(b"(") {
        map(|x| multipart(inner, x), BodyStructure::Multi).parse(i)?
    } else {
        map(|x| single_part(inner, x), BodyStructure::Single).parse(i)?
    };
    let (i, ()) = byte(i, b')')?;
    Ok((i, node))
}

fn multipart(depth: usize, mut i: &[u8]) -> PResult<'_, MultiPart<'_>> {
    // `1*(body [SP])`: nested parts, adjacent or separated by a space.
    let mut parts = Vec::with_capacity(2);
    loop {
        let (rest, part) = body(depth, i)?;
        parts.push(part);
        i = rest.strip_prefix(b" ").unwrap_or(rest);
        if !i.starts_with(b"(") {
            break;
        }
    }
    let (i, subtype) = istring(i)?;
    let (i, extension) = match i.strip_prefix(b" ") {
        Some(after) => {
            let (i, params) = params(after)?;
            let (i, tail) = extension_tail(depth, i)?;
            (i, Some(MultiPartExtension { params, tail }))
        }
        None => (i, None),
    };
    match MultiPart::new(parts, subtype, extension) {
        Ok(multi) => Ok((i, multi)),
        Err(_) => fail(i),
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

fn single_part(depth: usize, i: &[u8]) -> PResult<'_, SinglePart<'_>> {
    let (i, media_type) = istring(i)?;
    let (i, subtype) = then_sp(i, istring)?;
    let (i, fields) = then_sp(i, body_fields)?;
    let is_text = media_type.as_bytes().eq_ignore_ascii_case(b"TEXT");
    let message = media_type
        .as_bytes()
        .eq_ignore_ascii_case(b"MESSAGE")
        .then(|| message_subtype(&subtype))
        .flatten();
    let text_lines = match is_text {
        true => i.strip_prefix(b" ").and_then(|x| number64(x).ok()),
        false => None,
    };
    let (i, kind) = if let Some((rest, lines)) = text_lines {
        (rest, PartKind::Text { subtype, lines })
    } else if let (Some(sub), true) = (message, i.starts_with(b" (")) {
        let (rest, env) = then_sp(i, envelope)?;
        let (rest, part) = then_sp(rest, |x| body(depth, x))?;
        let (rest, lines) = then_sp(rest, number64)?;
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
    let (i, extension) = match i.strip_prefix(b" ") {
        Some(after) => {
            let (i, md5) = nstring(after)?;
            let (i, tail) = extension_tail(depth, i)?;
            (i, Some(SinglePartExtension { md5, tail }))
        }
        None => (i, None),
    };
    Ok((
        i,
        SinglePart {
            kind,
            fields,
            extension,
        },
    ))
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
