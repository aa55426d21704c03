//! Header blocks as raw bytes: the fields in a block, their names and raw values.
//!
//! A header block is what [`super::parse`] found between the start of an entity and
//! its blank line (included). Everything here works on the raw bytes, so section data
//! (`HEADER.FIELDS`) is exact; interpreting a value (RFC 2047, addresses, dates) is left
//! to the callers.

/// One header field.
#[derive(Debug, Clone, Copy)]
pub(super) struct Field<'h> {
    /// The field name, without surrounding whitespace; a line without a colon is a
    /// field whose name is the whole line and whose value is empty.
    pub(super) name: &'h [u8],
    /// The raw value after the colon, folding and final line end included.
    pub(super) value: &'h [u8],
    /// The whole field: name, colon, value and final line end.
    pub(super) raw: &'h [u8],
}

impl Field<'_> {
    /// Whether the field is called `name` (ASCII case-insensitive).
    pub(super) fn is(&self, name: &[u8]) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

/// The fields of a header block, in order. Stops at the blank line; continuation lines
/// before the first field belong to no field and are skipped.
pub(super) fn fields(block: &[u8]) -> Fields<'_> {
    Fields { rest: block }
}

/// Iterator returned by [`fields`].
#[derive(Debug, Clone)]
pub(super) struct Fields<'h> {
    rest: &'h [u8],
}

impl<'h> Iterator for Fields<'h> {
    type Item = Field<'h>;

    fn next(&mut self) -> Option<Field<'h>> {
        loop {
            let first = line_len(self.rest);
            if first == 0 || is_blank_line(&self.rest[..first]) {
                self.rest = &[];
                return None;
            }
            if is_continuation(self.rest) {
                self.rest = &self.rest[first..];
                continue;
            }
            let mut end = first;
            while end < self.rest.len() && is_continuation(&self.rest[end..]) {
                end += line_len(&self.rest[end..]);
            }
            let raw = &self.rest[..end];
            self.rest = &self.rest[end..];
            return Some(split_field(raw));
        }
    }
}

fn split_field(raw: &[u8]) -> Field<'_> {
    match raw.iter().position(|&b| b == b':') {
        Some(colon) => Field {
            name: trim(&raw[..colon]),
            value: &raw[colon + 1..],
            raw,
        },
        None => Field {
            name: trim(strip_line_end(raw)),
            value: &[],
            raw,
        },
    }
}

/// Length of the first line of `data`, its LF included (all of `data` without one).
pub(super) fn line_len(data: &[u8]) -> usize {
    data.iter()
        .position(|&b| b == b'\n')
        .map_or(data.len(), |lf| lf + 1)
}

/// Whether a line (with its line end) is empty.
pub(super) fn is_blank_line(line: &[u8]) -> bool {
    matches!(line, b"\r\n" | b"\n")
}

fn is_continuation(data: &[u8]) -> bool {
    matches!(data.first(), Some(b' ' | b'\t'))
}

fn strip_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `bytes` without leading and trailing spaces and tabs.
pub(super) fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |last| last + 1);
    &bytes[start..end.max(start)]
}

/// The raw value of the first field called `name`.
pub(super) fn first_value<'h>(block: &'h [u8], name: &[u8]) -> Option<&'h [u8]> {
    fields(block).find(|f| f.is(name)).map(|f| f.value)
}

/// A raw value unfolded (line ends removed, the whitespace after them kept), without
/// leading whitespace: the form IMAP servers send in ENVELOPE and BODYSTRUCTURE.
pub(super) fn unfold(value: &[u8]) -> Vec<u8> {
    value
        .iter()
        .copied()
        .filter(|&b| b != b'\r' && b != b'\n')
        .skip_while(|b| matches!(b, b' ' | b'\t'))
        .collect()
}

/// A raw value unfolded with each line break and the whitespace around it turned into
/// one space, without leading whitespace: how Dovecot sends the ENVELOPE subject
/// (tab-folded subjects read as single-spaced text).
pub(super) fn unfold_collapsing(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut rest = value;
    while let Some((&b, tail)) = rest.split_first() {
        if !matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            out.push(b);
            rest = tail;
            continue;
        }
        let run = rest
            .iter()
            .position(|c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
            .unwrap_or(rest.len());
        let (space, tail) = rest.split_at(run);
        if space.iter().any(|c| matches!(c, b'\r' | b'\n')) {
            if !out.is_empty() && !tail.is_empty() {
                out.push(b' ');
            }
        } else if !out.is_empty() {
            out.extend_from_slice(space);
        }
        rest = tail;
    }
    out
}

/// `HEADER.FIELDS` / `HEADER.FIELDS.NOT`: the fields whose name is (or, with `keep ==
/// false`, is not) in `names`, each ending with CRLF, then the blank line if the
/// header has one (RFC 3501 section 6.4.5: a message without body and blank line has
/// none).
pub(super) fn select(block: &[u8], names: &[&[u8]], keep: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for field in fields(block) {
        let listed = names.iter().any(|name| field.is(name));
        if listed == keep {
            out.extend_from_slice(field.raw);
            if !field.raw.ends_with(b"\n") {
                out.extend_from_slice(b"\r\n");
            }
        }
    }
    if ends_with_blank_line(block) {
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn ends_with_blank_line(block: &[u8]) -> bool {
    is_blank_line(block) || block.ends_with(b"\n\r\n") || block.ends_with(b"\n\n")
}
