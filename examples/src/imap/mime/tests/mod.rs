//! Known-answer, property and robustness tests of the MIME view.

use std::num::NonZeroU32;

use bytes::BytesMut;
use imap_proto::codec::encode_response;
use imap_proto::types::{
    AString, Fetch, FetchItem, NonEmptyVec, Response, Section, SectionText, Untagged,
};

use super::Message;

mod binary;
mod corpus;
mod dovecot;
mod envelope;
mod hostile;
mod search;
mod sections;
mod structure;

/// A FETCH data item as the server would send it (without `* 1 FETCH (` and `)`).
fn wire(item: FetchItem<'static>) -> String {
    let response = Response::Untagged(Untagged::Fetch(Fetch {
        seq: NonZeroU32::MIN,
        items: NonEmptyVec::one(item),
    }));
    let mut out = BytesMut::new();
    encode_response(&response, &mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    text.strip_prefix("* 1 FETCH (")
        .and_then(|rest| rest.strip_suffix(")\r\n"))
        .unwrap_or(&text)
        .to_owned()
}

/// `BODYSTRUCTURE (...)` of `raw`.
fn bodystructure(raw: &[u8]) -> String {
    let structure = Message::parse(raw).body_structure(true);
    wire(FetchItem::BodyStructure(Box::new(structure)))
}

/// `BODY (...)` of `raw`.
fn body(raw: &[u8]) -> String {
    let structure = Message::parse(raw).body_structure(false);
    wire(FetchItem::Body(Box::new(structure)))
}

/// `ENVELOPE (...)` of `raw`.
fn envelope(raw: &[u8]) -> String {
    wire(FetchItem::Envelope(Box::new(
        Message::parse(raw).envelope(),
    )))
}

/// A section from its text form: `"2.1"` and a text specifier.
fn section(part: &str, text: Option<SectionText<'static>>) -> Section<'static> {
    let part = part
        .split('.')
        .filter(|n| !n.is_empty())
        .map(|n| n.parse::<NonZeroU32>().expect("test part number"))
        .collect();
    Section::new(part, text).expect("test section")
}

/// `HEADER.FIELDS (names)` or, with `not`, `HEADER.FIELDS.NOT (names)`.
fn fields(names: &[&'static str], not: bool) -> Option<SectionText<'static>> {
    let names = names
        .iter()
        .map(|n| AString::text(*n).expect("test field name"))
        .collect();
    let names = NonEmptyVec::new(names).expect("test field names");
    Some(if not {
        SectionText::HeaderFieldsNot(names)
    } else {
        SectionText::HeaderFields(names)
    })
}

/// `BODY[part.text]` of `raw` as text.
fn body_section(raw: &[u8], part: &str, text: Option<SectionText<'static>>) -> String {
    let message = Message::parse(raw);
    String::from_utf8_lossy(&message.section(&section(part, text))).into_owned()
}
