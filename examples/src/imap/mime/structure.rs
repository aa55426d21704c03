//! `BODY` and `BODYSTRUCTURE` (RFC 9051 section 7.5.2, RFC 3501 section 7.4.2) from
//! the MIME tree.
//!
//! Media types, subtypes, parameter names, transfer encodings and disposition types
//! are sent in upper case (as in the RFC's examples; imap-proto writes `"TEXT"` and
//! `"MESSAGE"` that way), values as written. A text part without a charset gets
//! `CHARSET US-ASCII`, its default (RFC 2046 section 4.1.2). Sizes count the body as
//! stored with CRLF line ends; line counts are the number of LFs in it.

use imap_proto::types::{
    BodyFields, BodyParam, BodyStructure, Disposition, ExtensionTail, IString, LanguageTail,
    LocationTail, MessageSubtype, MultiPart, MultiPartExtension, PartKind, SinglePart,
    SinglePartExtension,
};

use super::envelope::envelope;
use super::header;
use super::params::{self, Param};
use super::parse::{Content, Part};
use super::wire::{nstring, string};

/// The structure of `part` (of the message `data`), with extension data when
/// `extensible` (`BODYSTRUCTURE`) or without (`BODY`).
pub(super) fn body_structure(data: &[u8], part: &Part, extensible: bool) -> BodyStructure<'static> {
    let block = &data[part.header.clone()];
    if let Content::Multipart(children) = &part.content {
        let parts = children
            .iter()
            .map(|child| body_structure(data, child, extensible))
            .collect();
        let extension = extensible.then(|| MultiPartExtension {
            params: body_params(&part.media.params),
            tail: Some(extension_tail(block)),
        });
        if let Ok(multi) = MultiPart::new(parts, upper(&part.media.subtype), extension) {
            return BodyStructure::Multi(multi);
        }
    }
    BodyStructure::Single(SinglePart {
        kind: part_kind(data, part, extensible),
        fields: body_fields(data, part),
        extension: extensible.then(|| SinglePartExtension {
            md5: nstring(header::first_value(block, b"content-md5").map(header::unfold)),
            tail: Some(extension_tail(block)),
        }),
    })
}

fn part_kind(data: &[u8], part: &Part, extensible: bool) -> PartKind<'static> {
    let body = &data[part.body.clone()];
    match &part.content {
        Content::Message(inner) => PartKind::Message {
            subtype: MessageSubtype::Rfc822,
            envelope: Box::new(envelope(&data[inner.header.clone()])),
            body: Box::new(body_structure(data, inner, extensible)),
            lines: count_lines(body),
        },
        Content::Single if part.media.is("text", None) => PartKind::Text {
            subtype: upper(&part.media.subtype),
            lines: count_lines(body),
        },
        Content::Single => PartKind::Basic {
            media_type: upper(&part.media.kind),
            subtype: upper(&part.media.subtype),
        },
        // Not parsed (too deep, too many parts): described as opaque data.
        Content::Opaque | Content::Multipart(_) => PartKind::Basic {
            media_type: upper("application"),
            subtype: upper("octet-stream"),
        },
    }
}

fn body_fields(data: &[u8], part: &Part) -> BodyFields<'static> {
    let block = &data[part.header.clone()];
    let mut params = body_params(&part.media.params);
    if part.media.is("text", None) && part.media.param("charset").is_none() {
        params.insert(0, param("CHARSET", b"US-ASCII"));
    }
    let encoding = header::first_value(block, b"content-transfer-encoding")
        .and_then(params::token)
        .map_or_else(|| upper("7bit"), |cte| upper(&String::from_utf8_lossy(cte)));
    BodyFields {
        params,
        id: nstring(header::first_value(block, b"content-id").map(header::unfold)),
        description: nstring(
            header::first_value(block, b"content-description").map(header::unfold),
        ),
        encoding,
        octets: u32::try_from(part.body.len()).unwrap_or(u32::MAX),
    }
}

/// Disposition, language and location (every node of BODYSTRUCTURE sends all three).
fn extension_tail(block: &[u8]) -> ExtensionTail<'static> {
    let disposition = header::first_value(block, b"content-disposition")
        .and_then(params::disposition)
        .map(|(kind, params)| Disposition {
            kind: upper(&String::from_utf8_lossy(&kind)),
            params: body_params(&params),
        });
    let languages = header::first_value(block, b"content-language")
        .map(params::languages)
        .unwrap_or_default()
        .into_iter()
        .map(string)
        .collect();
    let location = header::first_value(block, b"content-location").map(header::unfold);
    ExtensionTail {
        disposition,
        language: Some(LanguageTail {
            languages,
            location: Some(LocationTail {
                location: nstring(location),
                extensions: Vec::new(),
            }),
        }),
    }
}

fn body_params(params: &[Param]) -> Vec<BodyParam<'static>> {
    params
        .iter()
        .map(|p| BodyParam {
            name: string(p.name.to_ascii_uppercase()),
            value: string(p.value.clone()),
        })
        .collect()
}

fn param(name: &str, value: &[u8]) -> BodyParam<'static> {
    BodyParam {
        name: string(name.as_bytes().to_vec()),
        value: string(value.to_vec()),
    }
}

fn upper(text: &str) -> IString<'static> {
    string(text.to_ascii_uppercase().into_bytes())
}

/// Lines of a body: its LFs.
pub(super) fn count_lines(body: &[u8]) -> u64 {
    body.iter().filter(|&&b| b == b'\n').count() as u64
}
