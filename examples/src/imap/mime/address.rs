//! Address lists (RFC 5322 section 3.4) read leniently and without decoding, as IMAP
//! reports them in ENVELOPE: display names keep their encoded words, quotes are
//! removed, comments are dropped (the last one after an address stands in for a missing
//! display name, as in `user@host (Full Name)`),
//! and groups become a start marker and an end marker.

/// One element of a parsed address list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Item {
    /// A mailbox.
    Mailbox(Mailbox),
    /// `name:` — the start of a group.
    GroupStart(Vec<u8>),
    /// `;` — the end of a group.
    GroupEnd,
}

/// A mailbox; empty parts were missing in the field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Mailbox {
    /// Display name (or the last comment), raw.
    pub(super) name: Option<Vec<u8>>,
    /// Obsolete source route, e.g. `@a.example,@b.example`.
    pub(super) route: Option<Vec<u8>>,
    /// Local part, unquoted.
    pub(super) local: Vec<u8>,
    /// Domain.
    pub(super) domain: Vec<u8>,
}

/// A lexical token of an address field.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// An atom (any run of non-special, non-space bytes).
    Atom(Vec<u8>),
    /// A quoted string, unquoted.
    Quoted(Vec<u8>),
    /// A domain literal, brackets included.
    Literal(Vec<u8>),
    /// A comment's text (outer parentheses removed).
    Comment(Vec<u8>),
    /// One of `< > @ , : ; .`
    Special(u8),
}

fn is_special(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b':' | b';' | b'@' | b'\\' | b',' | b'.' | b'"'
    )
}

/// Most comments kept nested inside each other before the rest is taken as text.
const MAX_COMMENT_DEPTH: usize = 64;

fn tokenize(value: &[u8]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&b) = value.get(i) {
        match b {
            // A NUL ends the value, as in C-based servers.
            0 => break,
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'"' => {
                let (text, next) = delimited(value, i + 1, b'"', false);
                tokens.push(Token::Quoted(text));
                i = next;
            }
            b'(' => {
                let (text, next) = delimited(value, i + 1, b')', true);
                tokens.push(Token::Comment(text));
                i = next;
            }
            b'[' => {
                let (text, next) = delimited(value, i + 1, b']', false);
                let mut literal = Vec::with_capacity(text.len() + 2);
                literal.push(b'[');
                literal.extend_from_slice(&text);
                literal.push(b']');
                tokens.push(Token::Literal(literal));
                i = next;
            }
            b')' | b']' | b'\\' => i += 1,
            _ if is_special(b) => {
                tokens.push(Token::Special(b));
                i += 1;
            }
            _ => {
                let len = value[i..]
                    .iter()
                    .position(|&c| c == 0 || c.is_ascii_whitespace() || is_special(c))
                    .unwrap_or(value.len() - i);
                tokens.push(Token::Atom(value[i..i + len].to_vec()));
                i += len;
            }
        }
    }
    tokens
}

/// Reads up to the closing `close` from `start`; escapes resolved, line ends dropped.
/// With `nested`, `(` opens a level (comments). Returns the text and the next index.
fn delimited(value: &[u8], start: usize, close: u8, nested: bool) -> (Vec<u8>, usize) {
    let mut text = Vec::new();
    let mut depth = 0usize;
    let mut i = start;
    while let Some(&b) = value.get(i) {
        i += 1;
        match b {
            0 => return (text, value.len()),
            b'\\' => {
                if let Some(&escaped) = value.get(i) {
                    text.push(escaped);
                    i += 1;
                }
            }
            b'\r' | b'\n' => {}
            b'(' if nested && depth < MAX_COMMENT_DEPTH => {
                depth += 1;
                text.push(b);
            }
            _ if b == close && depth == 0 => return (text, i),
            _ => {
                if b == close {
                    depth -= 1;
                }
                text.push(b);
            }
        }
    }
    (text, i)
}

/// Parses an address list field value.
pub(super) fn parse_list(value: &[u8]) -> Vec<Item> {
    let mut parser = Parser {
        tokens: tokenize(value),
        pos: 0,
        comment: None,
        last_word: 0,
    };
    let mut items = Vec::new();
    while parser.pos < parser.tokens.len() {
        parser.address(&mut items);
    }
    items
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// The last comment seen in the current address, with its token index.
    comment: Option<(usize, Vec<u8>)>,
    /// The token index of the last word read by [`Parser::words`].
    last_word: usize,
}

impl Parser {
    /// The next non-comment token, remembering comments.
    fn peek(&mut self) -> Option<&Token> {
        while let Some(Token::Comment(text)) = self.tokens.get(self.pos) {
            self.comment = Some((self.pos, text.clone()));
            self.pos += 1;
        }
        self.tokens.get(self.pos)
    }

    fn peek_special(&mut self) -> Option<u8> {
        match self.peek() {
            Some(Token::Special(b)) => Some(*b),
            _ => None,
        }
    }

    fn bump(&mut self) {
        self.pos += 1;
    }

    /// One address or group, then the separating comma.
    fn address(&mut self, items: &mut Vec<Item>) {
        self.comment = None;
        let words = self.words();
        match self.peek_special() {
            Some(b':') => {
                self.bump();
                items.push(Item::GroupStart(phrase(&words)));
                self.group_members(items);
                items.push(Item::GroupEnd);
            }
            _ => {
                if let Some(mailbox) = self.mailbox_after(words) {
                    items.push(Item::Mailbox(mailbox));
                }
            }
        }
        self.skip_to_separator(b',');
    }

    /// Mailboxes up to `;` (consumed) or the end.
    fn group_members(&mut self, items: &mut Vec<Item>) {
        loop {
            match self.peek_special() {
                Some(b';') => {
                    self.bump();
                    return;
                }
                Some(b',') => self.bump(),
                _ if self.peek().is_none() => return,
                _ => {
                    self.comment = None;
                    let words = self.words();
                    if let Some(mailbox) = self.mailbox_after(words) {
                        items.push(Item::Mailbox(mailbox));
                    }
                    if !matches!(self.peek_special(), Some(b',' | b';')) && self.peek().is_some() {
                        // Junk inside the group: skip one token so parsing moves on.
                        self.bump();
                    }
                }
            }
        }
    }

    /// Atoms, quoted strings and dots (a phrase or a local part).
    fn words(&mut self) -> Vec<Token> {
        let mut words = Vec::new();
        while let Some(token) = self.peek() {
            match token {
                Token::Atom(_) | Token::Quoted(_) | Token::Literal(_) | Token::Special(b'.') => {
                    words.push(token.clone());
                    self.last_word = self.pos;
                    self.bump();
                }
                _ => break,
            }
        }
        words
    }

    /// The mailbox that starts with `words`: `phrase <addr>`, `local@domain` or a
    /// bare local part. `None` when there is nothing at all.
    fn mailbox_after(&mut self, words: Vec<Token>) -> Option<Mailbox> {
        match self.peek_special() {
            Some(b'<') => {
                self.bump();
                let name = Some(phrase(&words)).filter(|n| !n.is_empty());
                let mut mailbox = self.angle_addr();
                mailbox.name = name.or_else(|| self.comment.take().map(|(_, text)| text));
                Some(mailbox)
            }
            Some(b'@') => {
                let at = self.pos;
                self.bump();
                let domain = self.domain();
                Some(Mailbox {
                    name: self.trailing_comment(at),
                    route: None,
                    local: local_part(&words),
                    domain,
                })
            }
            _ if words.is_empty() => None,
            _ => Some(Mailbox {
                name: self.trailing_comment(self.last_word + 1),
                route: None,
                local: local_part(&words),
                domain: Vec::new(),
            }),
        }
    }

    /// The comment after an addr-spec (consumes comments before the separator): the
    /// last one at token index `after` or later. A comment before the addr-spec is no
    /// display name (Dovecot reads `(c) a@b` the same way).
    fn trailing_comment(&mut self, after: usize) -> Option<Vec<u8>> {
        self.peek();
        self.comment
            .take()
            .filter(|(at, _)| *at >= after)
            .map(|(_, text)| text)
    }

    /// Inside `<...>`: optional route, local part, `@`, domain, `>`.
    fn angle_addr(&mut self) -> Mailbox {
        let mut mailbox = Mailbox::default();
        if self.peek_special() == Some(b'@') {
            mailbox.route = Some(self.route());
        }
        let words = self.words();
        mailbox.local = local_part(&words);
        if self.peek_special() == Some(b'@') {
            self.bump();
            mailbox.domain = self.domain();
        }
        if self.peek_special() == Some(b'>') {
            self.bump();
        }
        mailbox
    }

    /// `@a,@b:` — returned without the final colon.
    fn route(&mut self) -> Vec<u8> {
        let mut route = Vec::new();
        while let Some(token) = self.peek() {
            match token {
                Token::Special(b':') => {
                    self.bump();
                    break;
                }
                Token::Special(b'>') => break,
                Token::Special(b) => route.push(*b),
                Token::Atom(text) | Token::Literal(text) => route.extend_from_slice(text),
                Token::Quoted(text) => route.extend_from_slice(text),
                Token::Comment(_) => {}
            }
            self.bump();
        }
        route
    }

    /// Atoms, literals and dots after `@`, concatenated.
    fn domain(&mut self) -> Vec<u8> {
        let mut domain = Vec::new();
        while let Some(token) = self.peek() {
            match token {
                Token::Atom(text) | Token::Literal(text) | Token::Quoted(text) => {
                    domain.extend_from_slice(text);
                }
                Token::Special(b'.') => domain.push(b'.'),
                _ => break,
            }
            self.bump();
        }
        domain
    }

    /// Skips anything up to and including the next `sep` (for lists: the comma).
    fn skip_to_separator(&mut self, sep: u8) {
        while let Some(token) = self.peek() {
            let is_sep = *token == Token::Special(sep);
            self.bump();
            if is_sep {
                return;
            }
        }
    }
}

/// Words joined with single spaces; a dot sticks to the word before it.
fn phrase(words: &[Token]) -> Vec<u8> {
    let mut out = Vec::new();
    for word in words {
        match word {
            Token::Special(b'.') => out.push(b'.'),
            Token::Atom(text) | Token::Quoted(text) | Token::Literal(text) => {
                if !out.is_empty() {
                    out.push(b' ');
                }
                out.extend_from_slice(text);
            }
            _ => {}
        }
    }
    out
}

/// Words concatenated without spaces (a dot-atom or quoted local part).
fn local_part(words: &[Token]) -> Vec<u8> {
    let mut out = Vec::new();
    for word in words {
        match word {
            Token::Special(b'.') => out.push(b'.'),
            Token::Atom(text) | Token::Quoted(text) | Token::Literal(text) => {
                out.extend_from_slice(text);
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(value: &[u8]) -> Vec<Option<String>> {
        parse_list(value)
            .into_iter()
            .filter_map(|item| match item {
                Item::Mailbox(m) => Some(m.name.map(|n| String::from_utf8_lossy(&n).into_owned())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn only_a_comment_after_the_address_names_it() {
        assert_eq!(
            names(b"a@b.example (Full Name)"),
            [Some("Full Name".into())]
        );
        assert_eq!(names(b"(before) a@b.example"), [None]);
        assert_eq!(
            names(b"(before) a@b.example (after)"),
            [Some("after".into())]
        );
        assert_eq!(names(b"a (inside) @b.example"), [None]);
        assert_eq!(names(b"nodomain (bare)"), [Some("bare".into())]);
        assert_eq!(
            names(b"(before) nodomain, c@d (x)"),
            [None, Some("x".into())]
        );
        // A phrase wins; without one, a comment before the angle address still names it.
        assert_eq!(names(b"Name <a@b> (c)"), [Some("Name".into())]);
    }
}
