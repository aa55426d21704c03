//! The messages of a mailbox as IMAP describes them: ENVELOPE, BODY and BODYSTRUCTURE,
//! body sections, BINARY decoding, and decoded views for SEARCH and SORT.
//!
//! [`Message::parse`] builds a view over the raw bytes that never fails (anything that
//! is not MIME is a `text/plain` message). The MIME tree is found on the raw bytes so
//! every size and section is exact; mail-parser decodes what needs decoding (RFC 2047
//! words, charsets, dates) for SEARCH and SORT.
//!
//! IMAP counts the message with CRLF line ends: Maildirs written by Dovecot hold bare
//! LF, so [`Message::parse`] converts them first ([`to_crlf`]) and every size, offset and
//! section here is that of the CRLF form, whose length is the RFC822.SIZE.
//!
//! ```text
//! let message = Message::parse(&bytes);
//! message.body_structure(true);                  // BODYSTRUCTURE
//! message.section(&Section::default());          // BODY[]
//! message.binary(&[1])?;                         // BINARY[1]
//! ```

use std::borrow::Cow;
use std::ops::Range;

use imap_proto::types::{BodyStructure, Envelope, Section};

mod address;
mod binary;
mod envelope;
mod header;
mod params;
mod parse;
mod section;
mod structure;
mod text;
mod wire;

#[cfg(test)]
mod tests;

use parse::Part;
use section::Selection;

/// A parsed message: its bytes (CRLF line ends) and MIME tree.
#[derive(Debug, Clone)]
pub(crate) struct Message<'a> {
    raw: Cow<'a, [u8]>,
    root: Part,
}

/// Why `BINARY` cannot deliver a part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum BinaryError {
    /// The part's Content-Transfer-Encoding is not one the server decodes (answer
    /// `NO [UNKNOWN-CTE]`, RFC 3516 section 4.3).
    #[error("unknown Content-Transfer-Encoding")]
    UnknownCte,
    /// The message has no such part.
    #[error("no such body part")]
    NoSuchPart,
}

impl<'a> Message<'a> {
    /// Parses `raw` (LF or CRLF line ends). Never fails: a message without MIME
    /// structure, or without any header, is a single `text/plain` part.
    pub(crate) fn parse(raw: &'a [u8]) -> Self {
        let raw = to_crlf(raw);
        let root = parse::parse(&raw);
        Self { raw, root }
    }

    /// The message with CRLF line ends (what `BODY[]` sends).
    pub(crate) fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// RFC822.SIZE: the length of the message with CRLF line ends.
    pub(crate) fn size(&self) -> u64 {
        self.raw.len() as u64
    }

    /// `ENVELOPE` of the message.
    pub(crate) fn envelope(&self) -> Envelope<'static> {
        envelope::envelope(self.header_bytes())
    }

    /// `BODYSTRUCTURE` (`extensible`) or `BODY` (without extension data).
    pub(crate) fn body_structure(&self, extensible: bool) -> BodyStructure<'static> {
        structure::body_structure(&self.raw, &self.root, extensible)
    }

    /// `BODY[section]<partial>` bytes (before partial is applied). Missing part: empty.
    pub(crate) fn section(&self, section: &Section<'_>) -> Cow<'a, [u8]> {
        match section::select(&self.raw, &self.root, section) {
            Selection::Range(range) => self.slice(range),
            Selection::Bytes(bytes) => Cow::Owned(bytes),
        }
    }

    /// `BINARY[part]` content: the part's body with its Content-Transfer-Encoding
    /// (base64, quoted-printable) undone. The empty part is the whole message as is.
    pub(crate) fn binary(&self, part: &[u32]) -> Result<Cow<'a, [u8]>, BinaryError> {
        if part.is_empty() {
            return Ok(self.slice(0..self.raw.len()));
        }
        let node = section::resolve(&self.root, part).ok_or(BinaryError::NoSuchPart)?;
        let body = &self.raw[node.body.clone()];
        match binary::encoding(&self.raw[node.header.clone()]) {
            binary::Encoding::Identity => Ok(self.slice(node.body.clone())),
            binary::Encoding::Base64 => Ok(Cow::Owned(binary::decode_base64(body))),
            binary::Encoding::QuotedPrintable => {
                Ok(Cow::Owned(binary::decode_quoted_printable(body)))
            }
            binary::Encoding::Unknown => Err(BinaryError::UnknownCte),
        }
    }

    /// `BINARY.SIZE[part]`: the size of what [`Self::binary`] returns.
    pub(crate) fn binary_size(&self, part: &[u32]) -> Result<u64, BinaryError> {
        self.binary(part).map(|content| content.len() as u64)
    }

    /// Decoded (RFC 2047, UTF-8) values of every header field `name` (case-insensitive),
    /// in order; a field that is present but empty gives an empty string.
    pub(crate) fn header_values(&self, name: &str) -> Vec<String> {
        text::header_values(self.header_bytes(), name)
    }

    /// The whole header as raw bytes, its blank line included.
    pub(crate) fn header_bytes(&self) -> &[u8] {
        &self.raw[self.root.header.clone()]
    }

    /// Decoded text of the body parts: every `text/*` part (nested messages included),
    /// transfer encoding undone and converted from its charset to UTF-8, one after the
    /// other separated by a newline. Other parts are skipped.
    pub(crate) fn body_text(&self) -> String {
        let mut out = String::new();
        text::body_text(&self.raw, &self.root, &mut out);
        out
    }

    /// The `Date:` header as (seconds since the epoch, zone offset in seconds east of
    /// UTC), if it is a valid date. The local date is at `seconds + offset`.
    pub(crate) fn sent_date(&self) -> Option<(i64, i32)> {
        text::sent_date(self.header_bytes())
    }

    /// First address of header `header` (e.g. `"from"`) for SORT: (display name
    /// decoded, local part, domain); parts the field lacks are empty strings. A group
    /// that comes first gives its name as the local part (its ENVELOPE addr-mailbox).
    pub(crate) fn first_address(&self, header: &str) -> Option<(Option<String>, String, String)> {
        text::first_address(self.header_bytes(), header)
    }

    /// The bytes of `range`, borrowed from the input when it needed no conversion.
    fn slice(&self, range: Range<usize>) -> Cow<'a, [u8]> {
        match &self.raw {
            Cow::Borrowed(raw) => {
                let raw: &'a [u8] = raw;
                Cow::Borrowed(&raw[range])
            }
            Cow::Owned(raw) => Cow::Owned(raw[range].to_vec()),
        }
    }
}

/// Bare LF -> CRLF (borrowed when there is no bare LF).
pub(crate) fn to_crlf(raw: &[u8]) -> Cow<'_, [u8]> {
    let bare_lf = |(i, &b): (usize, &u8)| b == b'\n' && (i == 0 || raw[i - 1] != b'\r');
    let bare = raw.iter().enumerate().filter(|&item| bare_lf(item)).count();
    if bare == 0 {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + bare);
    let mut previous = 0u8;
    for &b in raw {
        if b == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        previous = b;
    }
    Cow::Owned(out)
}
