//! Body sections (RFC 9051 section 6.4.5, RFC 3501 section 6.4.5): which bytes
//! `BODY[section]` names.
//!
//! Part numbers count the parts of a multipart from 1; a message or part that is not
//! multipart has a single part 1 (its body, or itself). Inside a `message/rfc822` part the numbers continue
//! with the parts of the encapsulated message. `MIME` is the header block of a part;
//! `HEADER`, `TEXT` and `HEADER.FIELDS` apply to a message: the top-level one (no part
//! number) or the one a `message/rfc822` part holds (empty for any other part).

use std::ops::Range;

use imap_proto::types::{Section, SectionText};

use super::header;
use super::parse::{Content, Part};

/// The bytes of a section: a range of the message or, for `HEADER.FIELDS`, new bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Selection {
    /// A range of the raw message.
    Range(Range<usize>),
    /// Bytes put together from the message.
    Bytes(Vec<u8>),
}

/// The section `section` of the message `data` whose tree is `root`; an empty range
/// when the part does not exist.
pub(super) fn select(data: &[u8], root: &Part, section: &Section<'_>) -> Selection {
    let path: Vec<u32> = section.part().iter().map(|n| n.get()).collect();
    if path.is_empty() {
        return match section.text() {
            None => Selection::Range(0..data.len()),
            Some(text) => message_text(data, root, text),
        };
    }
    let Some(part) = resolve(root, &path) else {
        return Selection::Range(0..0);
    };
    match (section.text(), &part.content) {
        (None, _) => Selection::Range(part.body.clone()),
        (Some(SectionText::Mime), _) => Selection::Range(part.header.clone()),
        (Some(text), Content::Message(inner)) => message_text(data, inner, text),
        (Some(_), _) => Selection::Range(0..0),
    }
}

/// `HEADER`, `TEXT` or `HEADER.FIELDS[.NOT]` of the message `message`.
fn message_text(data: &[u8], message: &Part, text: &SectionText<'_>) -> Selection {
    let block = &data[message.header.clone()];
    match text {
        SectionText::Header | SectionText::Mime => Selection::Range(message.header.clone()),
        SectionText::Text => Selection::Range(message.body.clone()),
        SectionText::HeaderFields(names) => {
            let names: Vec<&[u8]> = names.iter().map(|n| n.as_bytes()).collect();
            Selection::Bytes(header::select(block, &names, true))
        }
        SectionText::HeaderFieldsNot(names) => {
            let names: Vec<&[u8]> = names.iter().map(|n| n.as_bytes()).collect();
            Selection::Bytes(header::select(block, &names, false))
        }
    }
}

/// The part that the part numbers `path` (at least one) name, if it exists.
///
/// A multipart's number picks one of its parts. Any other part (the top-level message
/// included) only has part 1, itself, and only as the last number, unless it is a
/// `message/rfc822` part: then the numbers after it go into the encapsulated message.
/// This is how Dovecot resolves part numbers.
pub(super) fn resolve<'p>(root: &'p Part, path: &[u32]) -> Option<&'p Part> {
    let mut node = root;
    let mut numbers = path.iter().peekable();
    while let Some(&number) = numbers.next() {
        let index = usize::try_from(number).ok()?.checked_sub(1)?;
        let more = numbers.peek().is_some();
        node = match &node.content {
            Content::Multipart(children) => children.get(index)?,
            Content::Message(_) if index == 0 => node,
            _ if index == 0 && !more => node,
            _ => return None,
        };
        if let (true, Content::Message(inner)) = (more, &node.content) {
            node = inner;
        }
    }
    Some(node)
}
