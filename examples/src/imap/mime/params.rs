//! MIME field values read without decoding: `Content-Type` (RFC 2045 section 5),
//! `Content-Disposition` (RFC 2183), `Content-Language` (RFC 3282), with RFC 2231
//! parameter continuations joined as IMAP servers report them.
//!
//! Values stay as written (RFC 2047 encoded words and RFC 2231 `charset'lang'%XX`
//! values are not decoded): BODYSTRUCTURE reports the raw parameters.

/// A media type with its parameters, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct MediaType {
    /// Top-level type, e.g. `text`.
    pub(super) kind: String,
    /// Subtype, e.g. `plain`.
    pub(super) subtype: String,
    /// Parameters in order (continuations joined at the end).
    pub(super) params: Vec<Param>,
}

impl MediaType {
    /// A type without parameters.
    pub(super) fn new(kind: &str, subtype: &str) -> Self {
        Self {
            kind: kind.to_owned(),
            subtype: subtype.to_owned(),
            params: Vec::new(),
        }
    }

    /// Whether this is `kind/subtype` (case-insensitive; `None` matches any subtype).
    pub(super) fn is(&self, kind: &str, subtype: Option<&str>) -> bool {
        self.kind.eq_ignore_ascii_case(kind)
            && subtype.is_none_or(|s| self.subtype.eq_ignore_ascii_case(s))
    }

    /// The value of parameter `name` (case-insensitive).
    pub(super) fn param(&self, name: &str) -> Option<&[u8]> {
        param(&self.params, name)
    }
}

/// A parameter `name=value` (quotes and escapes removed from the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Param {
    /// Parameter name as written (`name*` for a joined RFC 2231 encoded value).
    pub(super) name: Vec<u8>,
    /// Value without quotes.
    pub(super) value: Vec<u8>,
}

/// The value of parameter `name` in `params` (case-insensitive).
pub(super) fn param<'p>(params: &'p [Param], name: &str) -> Option<&'p [u8]> {
    params
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name.as_bytes()))
        .map(|p| p.value.as_slice())
}

/// Parses a `Content-Type` value; `None` when it is not `type/subtype`.
pub(super) fn media_type(value: &[u8]) -> Option<MediaType> {
    let mut lexer = Lexer { rest: value };
    let kind = lexer.token()?;
    if !lexer.eat(b'/') {
        return None;
    }
    let subtype = lexer.token()?;
    Some(MediaType {
        kind: ascii(kind)?,
        subtype: ascii(subtype)?,
        params: lexer.params(),
    })
}

/// The first token of a value, e.g. of `Content-Transfer-Encoding`.
pub(super) fn token(value: &[u8]) -> Option<&[u8]> {
    Lexer { rest: value }.token()
}

/// Parses a `Content-Disposition` value: the disposition type and its parameters.
pub(super) fn disposition(value: &[u8]) -> Option<(Vec<u8>, Vec<Param>)> {
    let mut lexer = Lexer { rest: value };
    let kind = lexer.token()?.to_vec();
    Some((kind, lexer.params()))
}

/// Parses a `Content-Language` value: its language tags.
pub(super) fn languages(value: &[u8]) -> Vec<Vec<u8>> {
    let mut lexer = Lexer { rest: value };
    let mut tags = Vec::new();
    loop {
        if let Some(tag) = lexer.token() {
            tags.push(tag.to_vec());
        }
        if !lexer.eat(b',') {
            if lexer.at_end() {
                return tags;
            }
            lexer.skip_past(b',');
        }
    }
}

fn ascii(token: &[u8]) -> Option<String> {
    std::str::from_utf8(token).ok().map(str::to_owned)
}

/// `tspecials` of RFC 2045 section 5.1.
fn is_tspecial(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')'
            | b'<'
            | b'>'
            | b'@'
            | b','
            | b';'
            | b':'
            | b'\\'
            | b'"'
            | b'/'
            | b'['
            | b']'
            | b'?'
            | b'='
    )
}

fn is_token_char(b: u8) -> bool {
    (0x21..=0x7e).contains(&b) && !is_tspecial(b)
}

/// Maximum nesting of comments before the rest of a value is taken as comment.
const MAX_COMMENT_DEPTH: usize = 64;

/// A cursor over a MIME field value (RFC 822 lexical rules as MIME uses them).
struct Lexer<'v> {
    rest: &'v [u8],
}

impl<'v> Lexer<'v> {
    /// Skips whitespace, line ends and (nested) comments.
    fn skip_cfws(&mut self) {
        loop {
            match self.rest.first() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.rest = &self.rest[1..],
                Some(b'(') => self.skip_comment(),
                _ => return,
            }
        }
    }

    fn skip_comment(&mut self) {
        let mut depth = 0usize;
        let mut i = 0;
        while let Some(&b) = self.rest.get(i) {
            i += 1;
            match b {
                b'\\' => i += 1,
                b'(' if depth < MAX_COMMENT_DEPTH => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
        }
        self.rest = self.rest.get(i..).unwrap_or_default();
    }

    fn at_end(&mut self) -> bool {
        self.skip_cfws();
        self.rest.is_empty()
    }

    /// Consumes `ch` (after CFWS) if it comes next.
    fn eat(&mut self, ch: u8) -> bool {
        self.skip_cfws();
        match self.rest.split_first() {
            Some((&b, tail)) if b == ch => {
                self.rest = tail;
                true
            }
            _ => false,
        }
    }

    /// An RFC 2045 token (after CFWS).
    fn token(&mut self) -> Option<&'v [u8]> {
        self.skip_cfws();
        let len = self
            .rest
            .iter()
            .position(|&b| !is_token_char(b))
            .unwrap_or(self.rest.len());
        if len == 0 {
            return None;
        }
        let (token, rest) = self.rest.split_at(len);
        self.rest = rest;
        Some(token)
    }

    /// A parameter value: a quoted string, or (leniently) anything up to `;`,
    /// whitespace or a comment.
    fn value(&mut self) -> Option<Vec<u8>> {
        self.skip_cfws();
        if self.rest.first() == Some(&b'"') {
            // An unterminated quoted string makes the parameter invalid (it would
            // swallow the parameters after it); Dovecot drops it too.
            let (value, closed) = self.quoted();
            return closed.then_some(value);
        }
        let len = self
            .rest
            .iter()
            .position(|&b| matches!(b, b';' | b' ' | b'\t' | b'\r' | b'\n' | b'(' | b'"'))
            .unwrap_or(self.rest.len());
        if len == 0 {
            return None;
        }
        let (value, rest) = self.rest.split_at(len);
        self.rest = rest;
        Some(value.to_vec())
    }

    /// A quoted string starting at the opening quote; escapes and line ends removed.
    /// Also returns whether the closing quote was found.
    fn quoted(&mut self) -> (Vec<u8>, bool) {
        let mut out = Vec::new();
        let mut closed = false;
        let mut i = 1;
        while let Some(&b) = self.rest.get(i) {
            i += 1;
            match b {
                b'"' => {
                    closed = true;
                    break;
                }
                b'\\' => {
                    if let Some(&escaped) = self.rest.get(i) {
                        out.push(escaped);
                        i += 1;
                    }
                }
                b'\r' | b'\n' => {}
                _ => out.push(b),
            }
        }
        self.rest = self.rest.get(i..).unwrap_or_default();
        (out, closed)
    }

    /// Skips to just after the next `ch` outside quoted strings (or to the end).
    fn skip_past(&mut self, ch: u8) {
        loop {
            self.skip_cfws();
            match self.rest.first() {
                None => return,
                Some(b'"') => {
                    self.quoted();
                }
                Some(&b) => {
                    self.rest = &self.rest[1..];
                    if b == ch {
                        return;
                    }
                }
            }
        }
    }

    /// `*(";" name "=" value)`, skipping malformed parameters; continuations joined.
    fn params(&mut self) -> Vec<Param> {
        let mut params = Vec::new();
        while !self.at_end() {
            if !self.eat(b';') {
                self.skip_past(b';');
            }
            let Some(name) = self.token() else { continue };
            if !self.eat(b'=') {
                continue;
            }
            if let Some(value) = self.value() {
                params.push(Param {
                    name: name.to_vec(),
                    value,
                });
            }
        }
        join_continuations(params)
    }
}

/// An RFC 2231 section name `base*N` or `base*N*`: (base, N, encoded).
fn section_name(name: &[u8]) -> Option<(&[u8], u32, bool)> {
    let (name, encoded) = match name.strip_suffix(b"*") {
        Some(stripped) => (stripped, true),
        None => (name, false),
    };
    let star = name.iter().rposition(|&b| b == b'*')?;
    let digits = &name[star + 1..];
    if digits.is_empty() || digits.len() > 4 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let index = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some((&name[..star], index, encoded))
}

/// One section of an RFC 2231 continued parameter.
struct Section {
    index: u32,
    encoded: bool,
    value: Vec<u8>,
}

/// An RFC 2231 extended parameter without sections, `name*`: its base name.
fn extended_name(name: &[u8]) -> Option<&[u8]> {
    let base = name.strip_suffix(b"*")?;
    (!base.is_empty() && !base.contains(&b'*')).then_some(base)
}

/// Joins RFC 2231 continuations (`name*0`, `name*1*`...) into one parameter, placed
/// after the plain ones; named `name*` when its first section is encoded. An
/// extended parameter without sections (`name*=utf-8''...`) goes with them, in the
/// order of appearance, as Dovecot orders them.
fn join_continuations(params: Vec<Param>) -> Vec<Param> {
    let mut plain = Vec::new();
    // (base name, whether it takes continuations, sections).
    let mut groups: Vec<(Vec<u8>, bool, Vec<Section>)> = Vec::new();
    for param in params {
        if let Some(base) = extended_name(&param.name) {
            let section = Section {
                index: 0,
                encoded: true,
                value: param.value,
            };
            groups.push((base.to_vec(), false, vec![section]));
            continue;
        }
        let Some((base, index, encoded)) = section_name(&param.name) else {
            plain.push(param);
            continue;
        };
        let section = Section {
            index,
            encoded,
            value: param.value,
        };
        match groups
            .iter_mut()
            .find(|(name, continued, _)| *continued && name.eq_ignore_ascii_case(base))
        {
            Some((_, _, sections)) => sections.push(section),
            None => groups.push((base.to_vec(), true, vec![section])),
        }
    }
    for (base, _, mut sections) in groups {
        sections.sort_by_key(|section| section.index);
        sections.dedup_by_key(|section| section.index);
        let mut name = base;
        if sections.first().is_some_and(|section| section.encoded) {
            name.push(b'*');
        }
        let value = sections
            .into_iter()
            .flat_map(|section| section.value)
            .collect();
        plain.push(Param { name, value });
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(value: &[u8]) -> Vec<String> {
        disposition(value)
            .map(|(_, params)| params)
            .unwrap_or_default()
            .iter()
            .map(|p| String::from_utf8_lossy(&p.name).into_owned())
            .collect()
    }

    #[test]
    fn an_unterminated_quoted_value_is_dropped() {
        let media = media_type(b"text/plain; charset=\"utf-8; format=flowed").unwrap();
        assert!(media.params.is_empty(), "{:?}", media.params);
        let media = media_type(b"text/plain; name=a; charset=\"utf-8").unwrap();
        assert_eq!(media.param("name"), Some(&b"a"[..]));
        assert_eq!(media.param("charset"), None);
    }

    #[test]
    fn extended_parameters_follow_the_plain_ones() {
        // As Dovecot reports them: `filename*` after `creation-date`.
        assert_eq!(
            names(b"attachment; filename*=iso-8859-1'en'%A3.txt; creation-date=\"x\""),
            ["creation-date", "filename*"]
        );
        assert_eq!(
            names(b"attachment; a*1=b; z*=x; a*0*=utf-8''c; size=1"),
            ["size", "a*", "z*"]
        );
        // `a*` alone and `a*0*...` are two parameters, neither swallows the other.
        let (_, params) = disposition(b"inline; a*=w; a*0*=x; a*1*=y").unwrap();
        let values: Vec<&[u8]> = params.iter().map(|p| p.value.as_slice()).collect();
        assert_eq!(values, [&b"w"[..], b"xy"]);
    }
}
