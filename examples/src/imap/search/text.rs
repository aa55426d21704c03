//! Text matching for SEARCH: the charset argument, case folding, and a small reader
//! for raw header fields (names, unfolded values) that needs no MIME parsing.

use std::borrow::Cow;

use super::SearchError;

/// The charsets a search string may be given in (RFC 9051 6.4.4). Both are read as
/// UTF-8 (US-ASCII is a subset).
pub(crate) const CHARSETS: [&str; 2] = ["UTF-8", "US-ASCII"];

/// Accepts `UTF-8` and `US-ASCII` (any case); anything else is `BadCharset`, which the
/// server answers with `NO [BADCHARSET (UTF-8 US-ASCII)]`.
pub(crate) fn check_charset(charset: &[u8]) -> Result<(), SearchError> {
    if CHARSETS
        .iter()
        .any(|known| charset.eq_ignore_ascii_case(known.as_bytes()))
    {
        Ok(())
    } else {
        Err(SearchError::BadCharset(
            String::from_utf8_lossy(charset).into_owned(),
        ))
    }
}

/// Simple case folding, one character at a time: a character whose upper case is one
/// character folds to that character's lower case, so the forms of a letter that share
/// a capital match each other (final `ς` and `σ` both fold to `σ`, as under Dovecot's
/// i;unicode-casemap); a character that upper-cases to several (`ß` to `SS`) only
/// lower-cases, so `ß` does not match `ss`.
pub(crate) fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars() {
        let mut upper = c.to_uppercase();
        match (upper.next(), upper.next()) {
            (Some(single), None) => folded.extend(single.to_lowercase()),
            _ => folded.extend(c.to_lowercase()),
        }
    }
    folded
}

/// The collation key for SORT and THREAD subjects and addresses: upper case, which
/// orders ASCII like `i;unicode-casemap` (its title case) does.
pub(crate) fn collation_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    key.extend(text.chars().flat_map(char::to_uppercase));
    key
}

/// One header field as it stands in the raw header.
pub(crate) struct RawField<'a> {
    /// The field name, without the colon or trailing blanks.
    pub(crate) name: &'a [u8],
    /// The value with line breaks of folded lines removed (the folding blanks stay).
    pub(crate) value: Cow<'a, [u8]>,
}

/// The fields of a raw header block, in order. Stops at the blank line that ends the
/// header; lines without a colon are skipped.
pub(crate) fn raw_fields(header: &[u8]) -> impl Iterator<Item = RawField<'_>> {
    RawFields { rest: header }
}

struct RawFields<'a> {
    rest: &'a [u8],
}

/// Splits off one line (without its LF or CRLF); `None` at the end.
fn take_line<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    if rest.is_empty() {
        return None;
    }
    let (line, next) = match rest.iter().position(|&b| b == b'\n') {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (*rest, &[][..]),
    };
    *rest = next;
    Some(line.strip_suffix(b"\r").unwrap_or(line))
}

fn is_continuation(rest: &[u8]) -> bool {
    matches!(rest.first(), Some(b' ' | b'\t'))
}

impl<'a> Iterator for RawFields<'a> {
    type Item = RawField<'a>;

    fn next(&mut self) -> Option<RawField<'a>> {
        loop {
            let line = take_line(&mut self.rest)?;
            if line.is_empty() {
                self.rest = &[];
                return None;
            }
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                continue;
            };
            let name = line[..colon].trim_ascii_end();
            if name.is_empty() || name.iter().any(u8::is_ascii_whitespace) {
                continue;
            }
            let mut value = Cow::Borrowed(&line[colon + 1..]);
            while is_continuation(self.rest) {
                let Some(more) = take_line(&mut self.rest) else {
                    break;
                };
                value.to_mut().extend_from_slice(more);
            }
            return Some(RawField { name, value });
        }
    }
}

/// Whether the raw header has a field called `name` (ASCII case-insensitive).
pub(crate) fn has_field(header: &[u8], name: &str) -> bool {
    raw_fields(header).any(|f| f.name.eq_ignore_ascii_case(name.as_bytes()))
}

/// The unfolded raw value of the first field called `name`.
pub(crate) fn first_raw_value<'a>(header: &'a [u8], name: &str) -> Option<Cow<'a, [u8]>> {
    raw_fields(header)
        .find(|f| f.name.eq_ignore_ascii_case(name.as_bytes()))
        .map(|f| f.value)
}

/// The message identifiers (`<left@right>`, returned without the brackets and without
/// blanks) found in a raw Message-ID, References or In-Reply-To value, in order.
/// Anything between brackets that lacks an `@` is not an identifier and is skipped.
pub(crate) fn message_ids(value: &[u8]) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.iter().position(|&b| b == b'<') {
        rest = &rest[open + 1..];
        let Some(close) = rest.iter().position(|&b| b == b'>' || b == b'<') else {
            break;
        };
        let inside = &rest[..close];
        if rest[close] == b'>' && inside.contains(&b'@') {
            let id: Vec<u8> = inside
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            ids.push(String::from_utf8_lossy(&id).into_owned());
        }
        rest = &rest[close..];
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charsets() {
        assert!(check_charset(b"utf-8").is_ok());
        assert!(check_charset(b"US-ASCII").is_ok());
        match check_charset(b"ISO-8859-1") {
            Err(SearchError::BadCharset(name)) => assert_eq!(name, "ISO-8859-1"),
            other => panic!("{other:?}"),
        }
        assert!(check_charset(b"").is_err());
    }

    #[test]
    fn folding() {
        assert_eq!(fold("GRÜSSE Straße"), "grüsse straße");
        // Per-character folding: a final sigma folds to the medial form on both sides.
        assert_eq!(fold("ΟΔΟΣ"), fold("οδοσ"));
        assert_eq!(fold("οδος"), "οδοσ");
        assert_eq!(fold("ΟΔΟΣ"), fold("οδος"));
        // Long s and the Kelvin sign fold with their letters; ß stays itself.
        assert_eq!(fold("ſK"), "sk");
        assert_eq!(fold("STRASSE"), "strasse");
        assert_ne!(fold("Straße"), fold("STRASSE"));
        assert_eq!(collation_key("a_b"), "A_B");
    }

    #[test]
    fn fields_are_unfolded_and_stop_at_the_body() {
        let header = b"Subject: one\r\n two\r\nX-Empty:\r\nno colon here\r\n\
                       To : a@b\nReferences: <a@x>\r\n\t<b@y>\r\n\r\nBody: not a field\r\n";
        let fields: Vec<(String, String)> = raw_fields(header)
            .map(|f| {
                (
                    String::from_utf8_lossy(f.name).into_owned(),
                    String::from_utf8_lossy(&f.value).into_owned(),
                )
            })
            .collect();
        assert_eq!(
            fields,
            [
                ("Subject".into(), " one two".into()),
                ("X-Empty".into(), String::new()),
                ("To".into(), " a@b".into()),
                ("References".into(), " <a@x>\t<b@y>".into()),
            ]
        );
        assert!(has_field(header, "x-empty"));
        assert!(!has_field(header, "Body"));
        assert_eq!(first_raw_value(header, "TO").as_deref(), Some(&b" a@b"[..]));
    }

    #[test]
    fn message_id_extraction() {
        assert_eq!(
            message_ids(b" <a@x> junk <no-at> < b @ y >(comment)<c@z"),
            ["a@x", "b@y"]
        );
        assert_eq!(message_ids(b"<<d@e>"), ["d@e"]);
        assert!(message_ids(b"").is_empty());
    }
}
