//! Reading a spooled message for the filters: chunk by chunk from the blocking pool (a
//! 50 MB message never sits in memory), with its header section split into fields.
//!
//! The header section ends at the first empty line. As Postfix does, a line that is
//! neither a header field nor the continuation of one also ends it (that line then
//! starts the body), and so does reaching [`MAX_HEADER_SECTION`] bytes: the fields
//! read so far are the headers, everything after them is treated as body.

use std::io::{self, Read};

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc;

use crate::delivery::Spooled;

/// Bytes per chunk read from the spool.
pub(crate) const CHUNK: usize = 64 * 1024;

/// Most bytes of header section parsed into fields.
pub(crate) const MAX_HEADER_SECTION: usize = 1 << 20;

/// The spooled message as a stream of chunks, read on the blocking pool. Dropping it
/// stops the reader.
#[derive(Debug)]
pub(crate) struct Chunks {
    rx: mpsc::Receiver<io::Result<Bytes>>,
}

impl Chunks {
    /// Starts reading `body` from its first byte.
    pub(crate) fn new(body: &Spooled) -> Self {
        let (tx, rx) = mpsc::channel(2);
        let mut reader = body.reader(Vec::new());
        tokio::task::spawn_blocking(move || {
            loop {
                let mut buffer = BytesMut::zeroed(CHUNK);
                match read_full(&mut reader, &mut buffer) {
                    Ok(0) => return,
                    Ok(n) => {
                        buffer.truncate(n);
                        if tx.blocking_send(Ok(buffer.freeze())).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                }
            }
        });
        Self { rx }
    }

    /// The next chunk; `None` at the end of the message.
    pub(crate) async fn next(&mut self) -> Option<io::Result<Bytes>> {
        self.rx.recv().await
    }
}

/// Fills `buffer` as far as the reader goes; the count is short only at the end.
fn read_full(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// One header field as it is in the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    /// The field name (without trailing blanks).
    pub(crate) name: String,
    /// The whole field: name, colon, value and continuation lines, with their line ends.
    pub(crate) raw: Vec<u8>,
    /// Where the value starts in `raw` (just after the colon).
    value_start: usize,
}

impl Field {
    /// A new field `name: value`, written with CRLF line ends. Line breaks in `value`
    /// become folds: a continuation line that does not start with a blank gets a tab,
    /// so a value can never end the header section or start a field of its own.
    pub(crate) fn new(name: &str, value: &[u8]) -> Self {
        let mut raw = Vec::with_capacity(name.len() + value.len() + 4);
        raw.extend_from_slice(name.as_bytes());
        raw.push(b':');
        let value_start = raw.len();
        if !value.starts_with(b" ") && !value.starts_with(b"\t") {
            raw.push(b' ');
        }
        for (number, line) in value.split(|&b| b == b'\n').enumerate() {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let line: Vec<u8> = line
                .iter()
                .map(|&b| if b == b'\r' { b' ' } else { b })
                .collect();
            if number > 0 && line.iter().all(|&b| b == b' ' || b == b'\t') {
                continue;
            }
            if number > 0 {
                raw.extend_from_slice(b"\r\n");
                if !line.starts_with(b" ") && !line.starts_with(b"\t") {
                    raw.push(b'\t');
                }
            }
            raw.extend_from_slice(&line);
        }
        raw.extend_from_slice(b"\r\n");
        Self {
            name: name.to_owned(),
            raw,
            value_start,
        }
    }

    /// The value: everything after the colon, continuation lines included, without
    /// the final line end.
    pub(crate) fn value(&self) -> &[u8] {
        let value = &self.raw[self.value_start..];
        let value = value.strip_suffix(b"\n").unwrap_or(value);
        value.strip_suffix(b"\r").unwrap_or(value)
    }

    /// Whether the field is called `name` (case-insensitive).
    pub(crate) fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

/// A message's header section and the body bytes read with it.
#[derive(Debug, Default)]
pub(crate) struct HeaderSection {
    /// The fields, in order.
    pub(crate) fields: Vec<Field>,
    /// The empty line that ended the section (empty if something else ended it).
    pub(crate) separator: Vec<u8>,
    /// Bytes after the section already read: the start of the body.
    pub(crate) rest: Bytes,
}

/// Reads the header section from `chunks`; the body continues with `rest` and then
/// the remaining chunks.
pub(crate) async fn read_header_section(chunks: &mut Chunks) -> io::Result<HeaderSection> {
    let mut buffer = BytesMut::new();
    let mut complete = false;
    while buffer.len() < MAX_HEADER_SECTION {
        match chunks.next().await {
            Some(chunk) => buffer.extend_from_slice(&chunk?),
            None => {
                complete = true;
                break;
            }
        }
        if header_end(&buffer).is_some() {
            break;
        }
    }
    Ok(split_header_section(buffer.freeze(), complete))
}

/// Whether the header section surely ends within `bytes` (an empty line appears).
fn header_end(bytes: &[u8]) -> Option<usize> {
    if bytes.starts_with(b"\r\n") || bytes.starts_with(b"\n") {
        return Some(0);
    }
    find(bytes, b"\n\r\n").or_else(|| find(bytes, b"\n\n"))
}

/// Splits `bytes` (the start of a message, all of it if `complete`) into fields, the
/// separating empty line and the rest.
pub(crate) fn split_header_section(bytes: Bytes, complete: bool) -> HeaderSection {
    let limit = bytes.len().min(MAX_HEADER_SECTION);
    let mut fields: Vec<Field> = Vec::new();
    let mut pos = 0;
    let mut separator = Vec::new();
    while pos < limit {
        let Some(newline) = bytes[pos..limit].iter().position(|&b| b == b'\n') else {
            // A last line without its end: a field only if the message ends there.
            if complete && limit == bytes.len() {
                let line = &bytes[pos..];
                if !add_line(&mut fields, line) {
                    break;
                }
                pos = bytes.len();
            }
            break;
        };
        let end = pos + newline + 1;
        let line = &bytes[pos..end];
        if line == b"\r\n" || line == b"\n" {
            separator = line.to_vec();
            pos = end;
            break;
        }
        if !add_line(&mut fields, line) {
            break;
        }
        pos = end;
    }
    HeaderSection {
        fields,
        separator,
        rest: bytes.slice(pos..),
    }
}

/// Adds one header line (a new field or a continuation); false if it is neither.
fn add_line(fields: &mut Vec<Field>, line: &[u8]) -> bool {
    if matches!(line.first(), Some(b' ' | b'\t')) {
        return match fields.last_mut() {
            Some(field) => {
                field.raw.extend_from_slice(line);
                true
            }
            None => false,
        };
    }
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return false;
    };
    let name = trim_blanks_end(&line[..colon]);
    if name.is_empty() || !name.iter().all(|&b| (33..=126).contains(&b)) {
        return false;
    }
    fields.push(Field {
        name: String::from_utf8_lossy(name).into_owned(),
        raw: line.to_vec(),
        value_start: colon + 1,
    });
    true
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim_blanks_end(mut bytes: &[u8]) -> &[u8] {
    while let [rest @ .., b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> HeaderSection {
        split_header_section(Bytes::copy_from_slice(text.as_bytes()), true)
    }

    #[test]
    fn fields_with_folding_and_the_body_after_the_empty_line() {
        let section = split("Subject: lunch\r\n\tplans\r\nFrom : a@b\r\n\r\nbody\r\n");
        let names: Vec<&str> = section.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["Subject", "From"]);
        assert_eq!(section.fields[0].value(), b" lunch\r\n\tplans");
        assert_eq!(section.fields[1].value(), b" a@b");
        assert_eq!(section.separator, b"\r\n");
        assert_eq!(&section.rest[..], b"body\r\n");
    }

    #[test]
    fn a_line_that_is_not_a_field_starts_the_body() {
        let section = split("Subject: x\nthis is body\nmore\n");
        assert_eq!(section.fields.len(), 1);
        assert!(section.separator.is_empty());
        assert_eq!(&section.rest[..], b"this is body\nmore\n");
        let section = split("\r\nonly body");
        assert!(section.fields.is_empty());
        assert_eq!(&section.rest[..], b"only body");
        let section = split(" starts with a blank\r\n");
        assert!(section.fields.is_empty());
        assert_eq!(section.rest.len(), 22);
    }

    #[test]
    fn a_message_of_headers_only() {
        let section = split("Subject: x\r\nX-Last: y");
        assert_eq!(section.fields.len(), 2);
        assert_eq!(section.fields[1].value(), b" y");
        assert!(section.rest.is_empty());
        // Cut short (not complete): the unfinished line is not a field.
        let cut = split_header_section(Bytes::from_static(b"Subject: x\r\nX-La"), false);
        assert_eq!(cut.fields.len(), 1);
        assert_eq!(&cut.rest[..], b"X-La");
    }

    #[test]
    fn new_fields_fold_line_breaks_safely() {
        let field = Field::new("X-Test", b"one\ntwo\r\n\r\n three\r\rx");
        assert_eq!(field.raw, b"X-Test: one\r\n\ttwo\r\n three  x\r\n");
        assert_eq!(field.value(), b" one\r\n\ttwo\r\n three  x");
        assert_eq!(Field::new("A", b" b").raw, b"A: b\r\n");
    }

    #[tokio::test]
    async fn reading_from_the_spool_in_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = b"Subject: big\r\n\r\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', 3 * CHUNK + 5));
        let spooled = crate::filter::testing::spool(dir.path(), &text).await;
        let mut chunks = Chunks::new(&spooled);
        let section = read_header_section(&mut chunks).await.unwrap();
        assert_eq!(section.fields.len(), 1);
        let mut total = section.rest.len();
        while let Some(chunk) = chunks.next().await {
            total += chunk.unwrap().len();
        }
        assert_eq!(total, 3 * CHUNK + 5);
    }
}
