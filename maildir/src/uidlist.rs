//! Dovecot's `dovecot-uidlist`: the UID of every message, by base name.
//!
//! Version 3, which Dovecot 1.1 and later write:
//!
//! ```text
//! 3 V1795731466 N3 G8165ee3508b0086b1525000083ecc375
//! 1 :1795731464.M947281P9493.vm,S=18,W=21
//! 2 W22 :1795731464.M968437P9493.vm,S=19
//! ```
//!
//! The header holds `V` (UIDVALIDITY), `N` (next UID) and `G` (mailbox GUID,
//! 32 hex digits), each a letter followed by its value. Each record is the
//! UID, optional extension fields (a capital letter and a value: `S` size,
//! `W` virtual size, `G` GUID, ...), then `:` and the base name. UIDs are
//! strictly ascending. Version 1 (`1 <uidvalidity> <nextuid>` and
//! `<uid> <name>` records) is read too; we always write version 3.
//!
//! # Appends
//!
//! Like Dovecot, a writer that only adds messages appends their records to
//! the end of the file (under the dotlock, one `write`, then `fdatasync`)
//! and leaves the header alone, so `N` may lag behind: the next UID is the
//! larger of `N` and the last record's UID + 1. A reader may catch an append
//! half written, and a crash may leave one behind, so a last line without
//! its newline is ignored, as Dovecot's reader does; whoever writes next
//! replaces the file rather than appending after the fragment.
//!
//! ```
//! use maildir::uidlist::Uidlist;
//! let text = "3 V7 N3 Gabc\n1 :a,S=1\n2 W9 :b\n";
//! let list = Uidlist::parse(text).unwrap();
//! assert_eq!((list.uid_validity, list.next_uid), (7, 3));
//! assert_eq!(list.records[1].extension('W'), Some("9"));
//! assert_eq!(list.to_text(), text);
//! ```

use std::fmt::Write as _;

/// A parsed `dovecot-uidlist`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Uidlist {
    /// UIDVALIDITY of the folder.
    pub uid_validity: u32,
    /// The UID the next new message gets.
    pub next_uid: u32,
    /// The mailbox GUID (hex), if the header has one.
    pub guid: Option<String>,
    /// Other header fields, kept as they were (key letter, value).
    pub header_extra: Vec<(char, String)>,
    /// The records, by ascending UID.
    pub records: Vec<Record>,
}

/// One message in the uidlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The UID.
    pub uid: u32,
    /// Extension fields (key letter, value) in file order.
    pub extensions: Vec<(char, String)>,
    /// The base name (the file name up to `:`).
    pub base: String,
}

impl Record {
    /// The value of extension field `key`, if present.
    pub fn extension(&self, key: char) -> Option<&str> {
        self.extensions
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a uidlist could not be parsed: the 1-based line and a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

fn err(line: usize, reason: impl Into<String>) -> ParseError {
    ParseError {
        line,
        reason: reason.into(),
    }
}

fn parse_u32(text: &str, line: usize, what: &str) -> Result<u32, ParseError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(line, format!("{what} is not a number: {text:?}")));
    }
    text.parse()
        .map_err(|_| err(line, format!("{what} out of range: {text}")))
}

fn is_valid_base(base: &str) -> bool {
    !base.is_empty() && !base.contains(['/', '\0', '\n', ':']) && base != "." && base != ".."
}

impl Uidlist {
    /// An empty list for a new folder.
    pub fn new(uid_validity: u32, guid: Option<String>) -> Self {
        Self {
            uid_validity,
            next_uid: 1,
            guid,
            header_extra: Vec::new(),
            records: Vec::new(),
        }
    }

    /// Parses the whole file. A last record line without its newline (an
    /// append caught half written) is ignored.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        Self::parse_file(text).map(|(list, _)| list)
    }

    /// [`parse`](Self::parse), also telling whether the file can take
    /// appended records as it is: version 3, ending with a complete line.
    pub(crate) fn parse_file(text: &str) -> Result<(Self, bool), ParseError> {
        let (complete, partial_tail) = match text.rfind('\n') {
            Some(end) => (&text[..=end], end + 1 < text.len()),
            // A lone header line without its newline: accepted as is.
            None => (text, false),
        };
        let mut lines = complete.split('\n');
        let header = lines.next().unwrap_or("");
        let mut list = Self::default();
        let version = Self::parse_header_into(&mut list, header)?;
        let mut last_uid = 0u32;
        for (index, line) in lines.enumerate() {
            let line_no = index + 2;
            if line.is_empty() {
                continue;
            }
            let record = if version == 3 {
                parse_v3_record(line, line_no)?
            } else {
                parse_v1_record(line, line_no)?
            };
            if record.uid <= last_uid {
                return Err(err(
                    line_no,
                    format!("UIDs not ascending ({} after {last_uid})", record.uid),
                ));
            }
            last_uid = record.uid;
            list.records.push(record);
        }
        if list.next_uid <= last_uid {
            // Dovecot appends records without rewriting the header.
            list.next_uid = last_uid
                .checked_add(1)
                .ok_or_else(|| err(1, "UIDs exhausted"))?;
        }
        if list.next_uid == 0 {
            list.next_uid = 1;
        }
        Ok((list, version == 3 && !partial_tail))
    }

    fn parse_header_into(list: &mut Self, header: &str) -> Result<u8, ParseError> {
        match header.split_once(' ') {
            Some(("3", rest)) => list.parse_v3_header(rest).map(|()| 3),
            Some(("1", rest)) => list.parse_v1_header(rest).map(|()| 1),
            _ => Err(err(1, format!("unsupported header: {header:?}"))),
        }
    }

    /// Where the next record goes, from the header line and the last
    /// complete line of the file only (both without their newline; `last`
    /// is `None` when the header is the last line). `None` when the file
    /// must be read whole: a version 1 header, or a last line that does not
    /// parse (the full parse reports where).
    pub(crate) fn append_point(header: &str, last: Option<&str>) -> Option<AppendPoint> {
        let mut list = Self::default();
        if Self::parse_header_into(&mut list, header).ok()? != 3 {
            return None;
        }
        let last_uid = match last {
            Some(line) => parse_v3_record(line, 2).ok()?.uid,
            None => 0,
        };
        Some(AppendPoint {
            uid_validity: list.uid_validity,
            next_uid: list.next_uid.max(last_uid.checked_add(1)?).max(1),
        })
    }

    fn parse_v3_header(&mut self, rest: &str) -> Result<(), ParseError> {
        let mut have_validity = false;
        for field in rest.split(' ').filter(|f| !f.is_empty()) {
            let mut chars = field.chars();
            let key = chars.next().unwrap_or(' ');
            let value = chars.as_str();
            match key {
                'V' => {
                    self.uid_validity = parse_u32(value, 1, "UIDVALIDITY")?;
                    have_validity = true;
                }
                'N' => self.next_uid = parse_u32(value, 1, "next UID")?,
                'G' => self.guid = Some(value.to_owned()),
                k if k.is_ascii_uppercase() => self.header_extra.push((k, value.to_owned())),
                _ => return Err(err(1, format!("invalid header field {field:?}"))),
            }
        }
        if !have_validity || self.uid_validity == 0 {
            return Err(err(1, "missing UIDVALIDITY"));
        }
        Ok(())
    }

    fn parse_v1_header(&mut self, rest: &str) -> Result<(), ParseError> {
        let mut fields = rest.split(' ');
        let (Some(validity), Some(next), None) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(err(1, "version 1 header needs two numbers"));
        };
        self.uid_validity = parse_u32(validity, 1, "UIDVALIDITY")?;
        self.next_uid = parse_u32(next, 1, "next UID")?;
        if self.uid_validity == 0 {
            return Err(err(1, "missing UIDVALIDITY"));
        }
        Ok(())
    }

    /// The text of the file (version 3), ending with a newline.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(64 + self.records.len() * 56);
        let _ = write!(out, "3 V{} N{}", self.uid_validity, self.next_uid);
        if let Some(guid) = &self.guid {
            let _ = write!(out, " G{guid}");
        }
        for (key, value) in &self.header_extra {
            let _ = write!(out, " {key}{value}");
        }
        out.push('\n');
        for record in &self.records {
            record.write_line(&mut out);
        }
        out
    }
}

impl Record {
    /// Appends the record's line (version 3, with its newline) to `out`.
    pub(crate) fn write_line(&self, out: &mut String) {
        let _ = write!(out, "{}", self.uid);
        for (key, value) in &self.extensions {
            let _ = write!(out, " {key}{value}");
        }
        out.push_str(" :");
        out.push_str(&self.base);
        out.push('\n');
    }
}

/// What a writer needs to append one more record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AppendPoint {
    /// UIDVALIDITY from the header.
    pub(crate) uid_validity: u32,
    /// The UID the next record gets.
    pub(crate) next_uid: u32,
}

fn parse_v3_record(line: &str, line_no: usize) -> Result<Record, ParseError> {
    let (uid, rest) = line
        .split_once(' ')
        .ok_or_else(|| err(line_no, "record without a file name"))?;
    let uid = parse_u32(uid, line_no, "UID")?;
    if uid == 0 || uid == u32::MAX {
        return Err(err(line_no, format!("invalid UID {uid}")));
    }
    let (fields, base) = rest
        .split_once(':')
        .ok_or_else(|| err(line_no, "record without ':'"))?;
    let mut extensions = Vec::new();
    for field in fields.split(' ').filter(|f| !f.is_empty()) {
        let mut chars = field.chars();
        match chars.next() {
            Some(key) if key.is_ascii_uppercase() => {
                extensions.push((key, chars.as_str().to_owned()));
            }
            _ => return Err(err(line_no, format!("invalid extension field {field:?}"))),
        }
    }
    if !is_valid_base(base) {
        return Err(err(line_no, format!("invalid file name {base:?}")));
    }
    Ok(Record {
        uid,
        extensions,
        base: base.to_owned(),
    })
}

fn parse_v1_record(line: &str, line_no: usize) -> Result<Record, ParseError> {
    let (uid, name) = line
        .split_once(' ')
        .ok_or_else(|| err(line_no, "record without a file name"))?;
    let uid = parse_u32(uid, line_no, "UID")?;
    if uid == 0 || uid == u32::MAX {
        return Err(err(line_no, format!("invalid UID {uid}")));
    }
    let base = crate::filename::split(name).0;
    if !is_valid_base(base) {
        return Err(err(line_no, format!("invalid file name {base:?}")));
    }
    Ok(Record {
        uid,
        extensions: Vec::new(),
        base: base.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_what_dovecot_wrote() {
        let text = "3 V1795731466 N3 G8165ee3508b0086b1525000083ecc375\n\
                    1 :1795731464.M947281P9493.vm,S=18,W=21\n\
                    2 :1795731464.M968437P9493.vm,S=19,W=22\n";
        let list = Uidlist::parse(text).unwrap();
        assert_eq!(list.uid_validity, 1795731466);
        assert_eq!(list.next_uid, 3);
        assert_eq!(
            list.guid.as_deref(),
            Some("8165ee3508b0086b1525000083ecc375")
        );
        assert_eq!(list.records.len(), 2);
        assert_eq!(list.records[0].base, "1795731464.M947281P9493.vm,S=18,W=21");
        assert_eq!(list.to_text(), text);
    }

    #[test]
    fn next_uid_follows_appended_records() {
        let list = Uidlist::parse("3 V5 N2\n1 :a\n7 :b\n").unwrap();
        assert_eq!(list.next_uid, 8);
    }

    #[test]
    fn line_cut_short_is_ignored() {
        let full = "3 V5 N2\n1 :a\n2 W7 :bcd\n";
        let start = full.find("2 W").unwrap();
        for cut in start..full.len() {
            let (list, appendable) = Uidlist::parse_file(&full[..cut]).unwrap();
            assert_eq!(list.records.len(), 1, "{cut}");
            assert_eq!(list.next_uid, 2);
            assert_eq!(appendable, cut == start, "{cut}");
        }
        let (list, appendable) = Uidlist::parse_file(full).unwrap();
        assert_eq!(
            (list.records.len(), list.next_uid, appendable),
            (2, 3, true)
        );
        assert!(!Uidlist::parse_file("1 5 2\n1 a\n").unwrap().1, "version 1");
    }

    #[test]
    fn append_point_from_two_lines() {
        let at = |v, n| {
            Some(AppendPoint {
                uid_validity: v,
                next_uid: n,
            })
        };
        assert_eq!(Uidlist::append_point("3 V5 N2 Gab", None), at(5, 2));
        assert_eq!(Uidlist::append_point("3 V5 N2", Some("9 W1 :x")), at(5, 10));
        assert_eq!(Uidlist::append_point("3 V5 N20", Some("9 :x")), at(5, 20));
        assert_eq!(Uidlist::append_point("1 5 2", None), None);
        assert_eq!(Uidlist::append_point("3 N2", None), None);
        assert_eq!(Uidlist::append_point("3 V5 N2", Some("9 x")), None);
    }

    #[test]
    fn version_one() {
        let list = Uidlist::parse("1 42 10\n3 a.b.c:2,S\n9 d\n").unwrap();
        assert_eq!(list.uid_validity, 42);
        assert_eq!(list.next_uid, 10);
        assert_eq!(list.records[0].base, "a.b.c");
        assert_eq!(list.records[1].uid, 9);
    }

    #[test]
    fn corrupt_lines_are_reported() {
        let cases = [
            ("", 1),
            ("2 V1 N1\n", 1),
            ("3 N1\n", 1),
            ("3 V0 N1\n", 1),
            ("3 Vx N1\n", 1),
            ("3 V1 N1 g\n", 1),
            ("3 V1 N1\nx :a\n", 2),
            ("3 V1 N1\n1 :a\n0 :b\n", 3),
            ("3 V1 N1\n2 :a\n2 :b\n", 3),
            ("3 V1 N1\n1 a\n", 2),
            ("3 V1 N1\n1 s5 :a\n", 2),
            ("3 V1 N1\n1 :\n", 2),
            ("3 V1 N1\n1 :a/b\n", 2),
            ("3 V1 N1\n1:a\n", 2),
            ("3 V1 N1\n99999999999 :a\n", 2),
            ("3 V1 N1\n4294967295 :a\n", 2),
            ("1 1\n", 1),
        ];
        for (text, line) in cases {
            let e = Uidlist::parse(text).expect_err(text);
            assert_eq!(e.line, line, "{text:?}: {}", e.reason);
        }
    }

    fn record_strategy() -> impl Strategy<Value = (Vec<(char, String)>, String)> {
        (
            prop::collection::vec((prop::char::range('A', 'Z'), "[!-9;-~]{0,8}"), 0..3),
            "[A-Za-z0-9][A-Za-z0-9.,=_-]{0,29}",
        )
    }

    proptest! {
        #[test]
        fn write_read_round_trip(
            validity in 1u32..,
            gaps in prop::collection::vec(1u32..1000, 0..20),
            recs in prop::collection::vec(record_strategy(), 20),
            guid in prop::option::of("[0-9a-f]{32}"),
        ) {
            let mut list = Uidlist::new(validity, guid);
            let mut uid = 0u32;
            for (gap, (extensions, base)) in gaps.iter().zip(recs) {
                uid += gap;
                list.records.push(Record { uid, extensions, base });
            }
            list.next_uid = uid + 1;
            let text = list.to_text();
            prop_assert_eq!(Uidlist::parse(&text).unwrap(), list);
        }

        #[test]
        fn parse_never_panics(text in "[0-9 :VNGSWa-z\n]{0,80}") {
            let _ = Uidlist::parse(&text);
        }
    }
}
