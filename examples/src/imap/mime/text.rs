//! Decoded views for SEARCH and SORT: header values with RFC 2047 words decoded, the
//! text of the body parts in UTF-8, the sent date and the first address of a field.
//! mail-parser does the decoding (encoded words, charsets, dates).

use mail_parser::HeaderValue;
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::parsers::MessageStream;

use super::address::{self, Item};
use super::binary::{self, Encoding};
use super::header;
use super::parse::{Content, Part};

/// The decoded values of every field `name` in `block`, in order.
pub(super) fn header_values(block: &[u8], name: &str) -> Vec<String> {
    header::fields(block)
        .filter(|field| field.is(name.as_bytes()))
        .map(|field| decode_unstructured(field.value))
        .collect()
}

/// A raw field value (or phrase) with encoded words decoded and folding removed.
pub(super) fn decode_unstructured(value: &[u8]) -> String {
    let mut line = value.to_vec();
    if !line.ends_with(b"\n") {
        line.extend_from_slice(b"\r\n");
    }
    match MessageStream::new(&line).parse_unstructured() {
        HeaderValue::Text(text) => text.into_owned(),
        HeaderValue::TextList(list) => list.join(" "),
        _ => String::new(),
    }
}

/// The `Date:` field as (seconds since the epoch, zone offset in seconds east of UTC).
pub(super) fn sent_date(block: &[u8]) -> Option<(i64, i32)> {
    let mut value = header::first_value(block, b"date")?.to_vec();
    if !value.ends_with(b"\n") {
        value.extend_from_slice(b"\r\n");
    }
    let HeaderValue::DateTime(date) = MessageStream::new(&value).parse_date() else {
        return None;
    };
    if !date.is_valid() {
        return None;
    }
    let offset = i32::from(date.tz_hour) * 3600 + i32::from(date.tz_minute) * 60;
    let offset = if date.tz_before_gmt { -offset } else { offset };
    Some((date.to_timestamp(), offset))
}

/// The first address of field `name` as IMAP lists it in ENVELOPE: (decoded display
/// name, local part, domain). A group comes first as its start marker, whose
/// addr-mailbox is the group name (RFC 9051 section 7.5.2), so SORT on `To:
/// undisclosed-recipients:;` sorts by that name (RFC 5256 "the addr-mailbox of the
/// first address"), as Dovecot does.
pub(super) fn first_address(block: &[u8], name: &str) -> Option<(Option<String>, String, String)> {
    let value = header::first_value(block, name.as_bytes())?;
    address::parse_list(value)
        .into_iter()
        .find_map(|item| match item {
            Item::Mailbox(mailbox) => {
                let name = mailbox
                    .name
                    .map(|name| decode_unstructured(&name))
                    .filter(|name| !name.is_empty());
                Some((
                    name,
                    String::from_utf8_lossy(&mailbox.local).into_owned(),
                    String::from_utf8_lossy(&mailbox.domain).into_owned(),
                ))
            }
            Item::GroupStart(group) => Some((
                None,
                String::from_utf8_lossy(&group).into_owned(),
                String::new(),
            )),
            Item::GroupEnd => None,
        })
}

/// The text of every `text/*` part below `part`, decoded to UTF-8, one per line.
pub(super) fn body_text(data: &[u8], part: &Part, out: &mut String) {
    match &part.content {
        Content::Multipart(children) => {
            for child in children {
                body_text(data, child, out);
            }
        }
        Content::Message(inner) => body_text(data, inner, out),
        Content::Single if part.media.is("text", None) => {
            let body = &data[part.body.clone()];
            let decoded = match binary::encoding(&data[part.header.clone()]) {
                Encoding::Base64 => binary::decode_base64(body),
                Encoding::QuotedPrintable => binary::decode_quoted_printable(body),
                Encoding::Identity | Encoding::Unknown => body.to_vec(),
            };
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&to_utf8(&decoded, part.media.param("charset")));
        }
        Content::Single | Content::Opaque => {}
    }
}

/// Text in `charset` as UTF-8 (invalid sequences replaced).
fn to_utf8(bytes: &[u8], charset: Option<&[u8]>) -> String {
    match charset.and_then(charset_decoder) {
        Some(decode) => decode(bytes),
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}
