//! The encoder: wire forms of IMAP values and the client's literal wait points.

use std::fmt::Write as _;

use bytes::{BufMut, Bytes, BytesMut};

use crate::types::{
    AString, Atom, Date, DateTime, Flag, IString, Literal, Mailbox, NString, SequenceSet, Tag,
    is_astring_char, is_list_char,
};

/// How the sender may send literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LiteralMode {
    /// Synchronising literals `{n}` only: the client waits for `+` before the data.
    /// Servers always use this mode (they never wait).
    #[default]
    Sync,
    /// The server announced LITERAL+: every literal is sent as `{n+}` without waiting.
    Plus,
    /// The server announced LITERAL-: literals up to 4096 octets are sent as `{n+}`.
    Minus,
}

/// What the peer supports, deciding the wire form of strings and literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct EncodeOptions {
    /// Literal mode (LITERAL+ / LITERAL-).
    pub literal_mode: LiteralMode,
    /// UTF-8 may appear in quoted strings (IMAP4rev2, or UTF8=ACCEPT enabled).
    pub utf8: bool,
}

impl EncodeOptions {
    /// Options for a client talking to a server that announced the given support.
    pub fn new(literal_mode: LiteralMode, utf8: bool) -> Self {
        Self { literal_mode, utf8 }
    }
}

/// A piece of encoded output for a client to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fragment {
    /// Bytes to send now. A line that announces a literal ends with its header and CRLF.
    Line(Bytes),
    /// Literal data. When `sync` is true the client must first wait for the server's
    /// `+` continuation (or a tagged response that ends the command).
    Literal {
        /// The literal's octets.
        data: Bytes,
        /// Whether the client must wait for `+` before sending `data`.
        sync: bool,
    },
}

/// Longest string sent in quoted form; longer ones become literals.
const MAX_QUOTED: usize = 1024;

/// Builds the wire form of a message, choosing the cheapest correct form for each string.
#[derive(Debug, Default)]
pub struct Encoder {
    opts: EncodeOptions,
    line: BytesMut,
    fragments: Vec<Fragment>,
    /// Literals stay inline in `line` (no wait points): output for [`Self::finish_into`]
    /// built straight in the caller's buffer.
    flat: bool,
}

impl Encoder {
    /// An encoder for a peer with the given support.
    pub fn new(opts: EncodeOptions) -> Self {
        Self {
            opts,
            line: BytesMut::new(),
            fragments: Vec::new(),
            flat: false,
        }
    }

    /// An encoder that appends straight to `out` (taking its buffer until
    /// [`Self::finish_flat`] hands it back), with literals inline.
    pub(crate) fn flat(opts: EncodeOptions, out: &mut BytesMut) -> Self {
        Self {
            opts,
            line: std::mem::take(out),
            fragments: Vec::new(),
            flat: true,
        }
    }

    /// Ends an encoder made by [`Self::flat`], giving the buffer (with the output
    /// appended) back to `out`.
    pub(crate) fn finish_flat(self, out: &mut BytesMut) {
        debug_assert!(self.flat && self.fragments.is_empty());
        *out = self.line;
    }

    /// The options in use.
    pub fn options(&self) -> EncodeOptions {
        self.opts
    }

    /// Ends encoding: the fragments a client sends in order, waiting for `+` before each
    /// synchronising literal.
    pub fn into_fragments(mut self) -> Vec<Fragment> {
        if !self.line.is_empty() {
            self.fragments.push(Fragment::Line(self.line.freeze()));
        }
        self.fragments
    }

    /// Ends encoding and appends everything to `out` without wait points (what a server
    /// sends, or a client that already knows the literals are accepted).
    pub fn finish_into(self, out: &mut BytesMut) {
        for fragment in self.into_fragments() {
            match fragment {
                Fragment::Line(b) | Fragment::Literal { data: b, .. } => out.put_slice(&b),
            }
        }
    }

    /// Writes bytes that are already in wire form (keywords, punctuation).
    pub fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.line.put_slice(bytes);
        self
    }

    /// Writes a space.
    pub fn sp(&mut self) -> &mut Self {
        self.raw(b" ")
    }

    /// Writes CRLF.
    pub fn crlf(&mut self) -> &mut Self {
        self.raw(b"\r\n")
    }

    /// Writes a number.
    pub fn number(&mut self, n: impl Into<u64>) -> &mut Self {
        let mut n: u64 = n.into();
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            // `n % 10` is a single digit.
            digits[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.raw(&digits[start..])
    }

    /// Writes a tag.
    pub fn tag(&mut self, tag: &Tag<'_>) -> &mut Self {
        self.raw(tag.as_str().as_bytes())
    }

    /// Writes an atom.
    pub fn atom(&mut self, atom: &Atom<'_>) -> &mut Self {
        self.raw(atom.as_str().as_bytes())
    }

    /// Writes an astring: atom form when possible, else as a string.
    pub fn astring(&mut self, s: &AString<'_>) -> &mut Self {
        let b = s.as_bytes();
        if !b.is_empty() && b.iter().all(|&c| is_astring_char(c)) {
            self.raw(b)
        } else {
            self.string_bytes(b)
        }
    }

    /// Writes a string (quoted or literal).
    pub fn string(&mut self, s: &IString<'_>) -> &mut Self {
        self.string_bytes(s.as_bytes())
    }

    /// Writes an nstring (`NIL` or a string).
    pub fn nstring(&mut self, s: &NString<'_>) -> &mut Self {
        match &s.0 {
            Some(s) => self.string(s),
            None => self.raw(b"NIL"),
        }
    }

    /// Writes a mailbox name (as an astring of its wire form).
    pub fn mailbox(&mut self, m: &Mailbox<'_>) -> &mut Self {
        let b = m.as_str().as_bytes();
        if !b.is_empty() && b.iter().all(|&c| is_astring_char(c)) {
            self.raw(b)
        } else {
            self.string_bytes(b)
        }
    }

    /// Writes a LIST pattern: bare when made of `list-char`s, else as a string.
    pub fn list_mailbox(&mut self, pattern: &str) -> &mut Self {
        let b = pattern.as_bytes();
        if !b.is_empty() && b.iter().all(|&c| is_list_char(c)) {
            self.raw(b)
        } else {
            self.string_bytes(b)
        }
    }

    /// Writes bytes as a quoted string when possible, else as a literal.
    pub fn string_bytes(&mut self, b: &[u8]) -> &mut Self {
        if self.quotable(b) {
            self.quoted(b)
        } else {
            self.literal_bytes(b, false)
        }
    }

    fn quotable(&self, b: &[u8]) -> bool {
        if b.len() > MAX_QUOTED || memchr::memchr3(0, b'\r', b'\n', b).is_some() {
            return false;
        }
        b.is_ascii() || (self.opts.utf8 && std::str::from_utf8(b).is_ok())
    }

    /// Writes a quoted string; the caller has checked that `b` can be quoted.
    fn quoted(&mut self, b: &[u8]) -> &mut Self {
        self.line.reserve(b.len() + 2);
        self.line.put_u8(b'"');
        let mut rest = b;
        while let Some(k) = memchr::memchr2(b'"', b'\\', rest) {
            self.line.put_slice(&rest[..k]);
            self.line.put_slice(&[b'\\', rest[k]]);
            rest = &rest[k + 1..];
        }
        self.line.put_slice(rest);
        self.line.put_u8(b'"');
        self
    }

    /// Writes a literal (`{n}` or, when `binary`, `~{n}`), using `{n+}` as the literal
    /// mode allows, and starts a new fragment.
    pub fn literal_bytes(&mut self, data: &[u8], binary: bool) -> &mut Self {
        let non_sync = match self.opts.literal_mode {
            LiteralMode::Sync => false,
            LiteralMode::Plus => true,
            LiteralMode::Minus => data.len() <= 4096,
        };
        if binary {
            self.line.put_u8(b'~');
        }
        self.raw(b"{")
            .number(u64::try_from(data.len()).unwrap_or(u64::MAX))
            .raw(if non_sync { b"+}\r\n" } else { b"}\r\n" });
        if self.flat {
            return self.raw(data);
        }
        let line = std::mem::take(&mut self.line).freeze();
        self.fragments.push(Fragment::Line(line));
        self.fragments.push(Fragment::Literal {
            data: Bytes::copy_from_slice(data),
            sync: !non_sync,
        });
        self
    }

    /// Writes a literal value.
    pub fn literal(&mut self, literal: &Literal<'_>) -> &mut Self {
        self.literal_bytes(literal.data(), literal.is_binary())
    }

    /// Writes a sequence set.
    pub fn sequence_set(&mut self, set: &SequenceSet) -> &mut Self {
        self.display(set)
    }

    /// Writes a flag.
    pub fn flag(&mut self, flag: &Flag<'_>) -> &mut Self {
        self.display(flag)
    }

    /// Writes `(flag flag ...)`.
    pub fn flag_list(&mut self, flags: &[Flag<'_>]) -> &mut Self {
        self.list(flags, |e, f| {
            e.flag(f);
        })
    }

    /// Writes `(` items separated by spaces `)`.
    pub fn list<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Self, &T)) -> &mut Self {
        self.raw(b"(");
        self.separated(items, &mut each);
        self.raw(b")")
    }

    /// Writes items separated by spaces.
    pub fn separated<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Self, &T)) -> &mut Self {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.sp();
            }
            each(self, item);
        }
        self
    }

    /// Writes a date (`1-Feb-1994`).
    pub fn date(&mut self, date: &Date) -> &mut Self {
        self.display(date)
    }

    /// Writes a quoted date-time (`"17-Jul-1996 02:44:25 -0700"`).
    pub fn date_time(&mut self, dt: &DateTime) -> &mut Self {
        self.raw(b"\"").display(dt).raw(b"\"")
    }

    /// Writes a value's `Display` form (its wire form) without a temporary `String`.
    fn display(&mut self, value: &impl std::fmt::Display) -> &mut Self {
        // Writing to a `BytesMut` cannot fail short of exhausting `usize`.
        let _ = write!(self.line, "{value}");
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(opts: EncodeOptions, f: impl FnOnce(&mut Encoder)) -> String {
        let mut e = Encoder::new(opts);
        f(&mut e);
        let mut out = BytesMut::new();
        e.finish_into(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn string_forms() {
        let d = EncodeOptions::default();
        let a = |s: &str| AString::text(s.to_owned()).unwrap();
        assert_eq!(
            flat(d, |e| {
                e.astring(&a("abc"));
            }),
            "abc"
        );
        assert_eq!(
            flat(d, |e| {
                e.astring(&a(""));
            }),
            "\"\""
        );
        assert_eq!(
            flat(d, |e| {
                e.astring(&a("a b\"\\"));
            }),
            "\"a b\\\"\\\\\""
        );
        assert_eq!(
            flat(d, |e| {
                e.astring(&a("a\r\nb"));
            }),
            "{4}\r\na\r\nb"
        );
        assert_eq!(
            flat(d, |e| {
                e.astring(&a("é"));
            }),
            "{2}\r\né"
        );
        let u = EncodeOptions::new(LiteralMode::Sync, true);
        assert_eq!(
            flat(u, |e| {
                e.astring(&a("é"));
            }),
            "\"é\""
        );
        let p = EncodeOptions::new(LiteralMode::Plus, false);
        assert_eq!(
            flat(p, |e| {
                e.astring(&a("é"));
            }),
            "{2+}\r\né"
        );
        assert_eq!(
            flat(d, |e| {
                e.nstring(&NString::NIL);
            }),
            "NIL"
        );
        let nil = NString(Some(IString::text("NIL").unwrap()));
        assert_eq!(
            flat(d, |e| {
                e.nstring(&nil);
            }),
            "\"NIL\""
        );
    }

    #[test]
    fn fragments_split_at_sync_literals() {
        let mut e = Encoder::default();
        e.raw(b"A1 LOGIN ")
            .astring(&AString::text("fred\r").unwrap())
            .sp()
            .astring(&AString::text("x").unwrap())
            .crlf();
        assert_eq!(
            e.into_fragments(),
            vec![
                Fragment::Line(Bytes::from_static(b"A1 LOGIN {5}\r\n")),
                Fragment::Literal {
                    data: Bytes::from_static(b"fred\r"),
                    sync: true
                },
                Fragment::Line(Bytes::from_static(b" x\r\n")),
            ]
        );
        let big = vec![b'a'; 4097];
        let mut e = Encoder::new(EncodeOptions::new(LiteralMode::Minus, false));
        e.literal_bytes(b"\0", true).literal_bytes(&big, false);
        let frags = e.into_fragments();
        assert_eq!(frags[0], Fragment::Line(Bytes::from_static(b"~{1+}\r\n")));
        assert!(matches!(frags[1], Fragment::Literal { sync: false, .. }));
        assert_eq!(frags[2], Fragment::Line(Bytes::from_static(b"{4097}\r\n")));
        assert!(matches!(frags[3], Fragment::Literal { sync: true, .. }));
    }
}
