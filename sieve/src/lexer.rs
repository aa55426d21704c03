//! Lexical analysis (RFC 5228 section 8.1): bytes in, tokens with positions out.
//!
//! The lexer is lenient about line endings (a bare LF is accepted where the RFC asks for
//! CRLF, scripts are usually edited on Unix) and strict about everything else. Strings
//! are kept as bytes until the compiler turns them into text.

use crate::error::{CompileError, Position};

/// A token kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    /// An identifier, lower-cased (identifiers are case-insensitive).
    Identifier(String),
    /// A tag without its colon, lower-cased.
    Tag(String),
    /// A number with its K/M/G quantifier applied.
    Number(u64),
    /// A quoted or multi-line string, escapes and dot-stuffing removed.
    String(Vec<u8>),
    LeftBracket,
    RightBracket,
    LeftParen,
    RightParen,
    LeftBrace,
    RightBrace,
    Comma,
    Semicolon,
    Eof,
}

impl Token {
    /// A short description for error messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Identifier(name) => format!("identifier '{name}'"),
            Self::Tag(name) => format!("tag ':{name}'"),
            Self::Number(n) => format!("number {n}"),
            Self::String(_) => "string".to_owned(),
            Self::LeftBracket => "'['".to_owned(),
            Self::RightBracket => "']'".to_owned(),
            Self::LeftParen => "'('".to_owned(),
            Self::RightParen => "')'".to_owned(),
            Self::LeftBrace => "'{'".to_owned(),
            Self::RightBrace => "'}'".to_owned(),
            Self::Comma => "','".to_owned(),
            Self::Semicolon => "';'".to_owned(),
            Self::Eof => "end of script".to_owned(),
        }
    }
}

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spanned {
    pub(crate) token: Token,
    pub(crate) at: Position,
}

/// Produces tokens one at a time.
pub(crate) struct Lexer<'a> {
    src: &'a [u8],
    offset: usize,
    line: u32,
    column: u32,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a [u8]) -> Self {
        Self {
            src,
            offset: 0,
            line: 1,
            column: 1,
        }
    }

    fn position(&self) -> Position {
        Position::new(self.line, self.column)
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.offset).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.offset.checked_add(ahead)?).copied()
    }

    /// Consumes one byte, keeping line and column (in characters) up to date.
    fn bump(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.offset += 1;
        if byte == b'\n' {
            self.line = self.line.saturating_add(1);
            self.column = 1;
        } else if byte & 0xC0 != 0x80 {
            // Continuation bytes of a UTF-8 sequence do not start a new column.
            self.column = self.column.saturating_add(1);
        }
        Some(byte)
    }

    fn syntax(&self, at: Position, message: impl Into<String>) -> CompileError {
        CompileError::Syntax {
            at,
            message: message.into(),
        }
    }

    /// The next token, skipping white space and comments.
    pub(crate) fn next_token(&mut self) -> Result<Spanned, CompileError> {
        self.skip_blanks()?;
        let at = self.position();
        let Some(byte) = self.peek() else {
            return Ok(Spanned {
                token: Token::Eof,
                at,
            });
        };
        let token = match byte {
            b'[' | b']' | b'(' | b')' | b'{' | b'}' | b',' | b';' => {
                self.bump();
                match byte {
                    b'[' => Token::LeftBracket,
                    b']' => Token::RightBracket,
                    b'(' => Token::LeftParen,
                    b')' => Token::RightParen,
                    b'{' => Token::LeftBrace,
                    b'}' => Token::RightBrace,
                    b',' => Token::Comma,
                    _ => Token::Semicolon,
                }
            }
            b'"' => Token::String(self.quoted_string(at)?),
            b':' => {
                self.bump();
                match self.peek() {
                    Some(c) if is_identifier_start(c) => Token::Tag(self.identifier()),
                    _ => return Err(self.syntax(at, "':' must be followed by a tag name")),
                }
            }
            b'0'..=b'9' => Token::Number(self.number(at)?),
            c if is_identifier_start(c) => {
                let name = self.identifier();
                if name == "text" && self.peek() == Some(b':') {
                    self.bump();
                    Token::String(self.multi_line(at)?)
                } else {
                    Token::Identifier(name)
                }
            }
            0 => return Err(self.syntax(at, "NUL character is not allowed")),
            other => {
                return Err(self.syntax(at, format!("unexpected character {}", show_byte(other))));
            }
        };
        Ok(Spanned { token, at })
    }

    /// Skips white space, hash comments and bracket comments.
    fn skip_blanks(&mut self) -> Result<(), CompileError> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => {
                    self.bump();
                }
                Some(b'#') => self.skip_hash_comment(),
                Some(b'/') if self.peek_at(1) == Some(b'*') => {
                    let at = self.position();
                    self.bump();
                    self.bump();
                    loop {
                        match self.bump() {
                            Some(b'*') if self.peek() == Some(b'/') => {
                                self.bump();
                                break;
                            }
                            Some(0) => {
                                return Err(self.syntax(at, "NUL character in comment"));
                            }
                            Some(_) => {}
                            None => {
                                return Err(CompileError::Unterminated {
                                    at,
                                    what: "comment",
                                });
                            }
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// Skips `#` up to and including the line end (or the end of the script).
    fn skip_hash_comment(&mut self) {
        while let Some(byte) = self.bump() {
            if byte == b'\n' {
                break;
            }
        }
    }

    fn identifier(&mut self) -> String {
        let start = self.offset;
        while matches!(self.peek(), Some(c) if is_identifier_char(c)) {
            self.bump();
        }
        // Identifier characters are ASCII, so this cannot fail.
        String::from_utf8_lossy(&self.src[start..self.offset]).to_ascii_lowercase()
    }

    fn number(&mut self, at: Position) -> Result<u64, CompileError> {
        let mut value: u64 = 0;
        while let Some(digit @ b'0'..=b'9') = self.peek() {
            self.bump();
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(digit - b'0')))
                .ok_or(CompileError::NumberTooLarge { at })?;
        }
        let shift = match self.peek() {
            Some(b'k' | b'K') => 10,
            Some(b'm' | b'M') => 20,
            Some(b'g' | b'G') => 30,
            _ => 0,
        };
        if shift > 0 {
            self.bump();
            value = value
                .checked_mul(1u64 << shift)
                .ok_or(CompileError::NumberTooLarge { at })?;
        }
        if matches!(self.peek(), Some(c) if is_identifier_char(c)) {
            return Err(self.syntax(at, "invalid number"));
        }
        Ok(value)
    }

    fn quoted_string(&mut self, at: Position) -> Result<Vec<u8>, CompileError> {
        self.bump();
        let mut out = Vec::new();
        loop {
            match self.bump() {
                Some(b'"') => return Ok(out),
                Some(b'\\') => match self.bump() {
                    // "\x" is just "x" for any x (RFC 5228 section 2.4.2).
                    Some(0) => return Err(self.syntax(at, "NUL character in string")),
                    Some(byte) => out.push(byte),
                    None => break,
                },
                Some(0) => return Err(self.syntax(at, "NUL character in string")),
                Some(byte) => out.push(byte),
                None => break,
            }
        }
        Err(CompileError::Unterminated { at, what: "string" })
    }

    /// `text:` already consumed: optional blanks and a hash comment, then lines up to a
    /// line holding a single ".". Dot-stuffed lines lose their first dot.
    fn multi_line(&mut self, at: Position) -> Result<Vec<u8>, CompileError> {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.bump();
        }
        match self.peek() {
            Some(b'#') => self.skip_hash_comment(),
            Some(b'\n') => {
                self.bump();
            }
            Some(b'\r') if self.peek_at(1) == Some(b'\n') => {
                self.bump();
                self.bump();
            }
            _ => {
                let here = self.position();
                return Err(self.syntax(here, "'text:' must be followed by a line break"));
            }
        }
        let mut out = Vec::new();
        loop {
            if self.peek().is_none() {
                return Err(CompileError::Unterminated {
                    at,
                    what: "multi-line string",
                });
            }
            let line_start = self.offset;
            while let Some(byte) = self.peek() {
                if byte == b'\n' {
                    break;
                }
                if byte == 0 {
                    let here = self.position();
                    return Err(self.syntax(here, "NUL character in string"));
                }
                self.bump();
            }
            let line = &self.src[line_start..self.offset];
            let content = line.strip_suffix(b"\r").unwrap_or(line);
            if content == b"." {
                // The terminating line; its line break ends the token.
                self.bump();
                return Ok(out);
            }
            let unstuffed = match content.strip_prefix(b".") {
                Some(rest) if rest.first() == Some(&b'.') => &line[1..],
                _ => line,
            };
            out.extend_from_slice(unstuffed);
            if self.bump().is_some() {
                out.push(b'\n');
            }
        }
    }
}

fn is_identifier_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_'
}

fn is_identifier_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

fn show_byte(byte: u8) -> String {
    if byte.is_ascii_graphic() {
        format!("'{}'", char::from(byte))
    } else {
        format!("0x{byte:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(src: &str) -> Result<Vec<Token>, CompileError> {
        let mut lexer = Lexer::new(src.as_bytes());
        let mut out = Vec::new();
        loop {
            let t = lexer.next_token()?;
            if t.token == Token::Eof {
                return Ok(out);
            }
            out.push(t.token);
        }
    }

    fn s(text: &str) -> Token {
        Token::String(text.as_bytes().to_vec())
    }

    #[test]
    fn punctuation_identifiers_tags_numbers() {
        assert_eq!(
            tokens("IF :Over 100K; [ ] ( ) { } , _x1").unwrap(),
            vec![
                Token::Identifier("if".into()),
                Token::Tag("over".into()),
                Token::Number(102_400),
                Token::Semicolon,
                Token::LeftBracket,
                Token::RightBracket,
                Token::LeftParen,
                Token::RightParen,
                Token::LeftBrace,
                Token::RightBrace,
                Token::Comma,
                Token::Identifier("_x1".into()),
            ]
        );
        assert_eq!(
            tokens("1m 2G 0").unwrap(),
            vec![
                Token::Number(1 << 20),
                Token::Number(2 << 30),
                Token::Number(0)
            ]
        );
    }

    #[test]
    fn quoted_strings_and_escapes() {
        assert_eq!(tokens(r#""a\"b\\c\d""#).unwrap(), vec![s("a\"b\\cd")]);
        assert_eq!(tokens("\"two\r\nlines\"").unwrap(), vec![s("two\r\nlines")]);
        assert_eq!(tokens(r#""\\*""#).unwrap(), vec![s("\\*")]);
    }

    #[test]
    fn multi_line_strings() {
        let src = "text: # comment\r\nline one\r\n..dot\r\n.x\r\n.\r\n;";
        assert_eq!(
            tokens(src).unwrap(),
            vec![s("line one\r\n.dot\r\n.x\r\n"), Token::Semicolon]
        );
        assert_eq!(tokens("TEXT:\n\n.\n").unwrap(), vec![s("\n")]);
        assert_eq!(tokens("text:\n.\n").unwrap(), vec![s("")]);
        assert_eq!(tokens("text:\n.").unwrap(), vec![s("")]);
    }

    #[test]
    fn comments() {
        assert_eq!(
            tokens("/* a * b ** / */ keep # c\n; /**/").unwrap(),
            vec![Token::Identifier("keep".into()), Token::Semicolon]
        );
        assert_eq!(tokens("keep # no newline").unwrap().len(), 1);
    }

    #[test]
    fn errors_carry_positions() {
        let err = tokens("keep;\n  \"abc").unwrap_err();
        assert_eq!(
            err,
            CompileError::Unterminated {
                at: Position::new(2, 3),
                what: "string"
            }
        );
        let err = tokens("/* never closed").unwrap_err();
        assert_eq!(err.position(), Some(Position::new(1, 1)));
        let err = tokens("keep;\n\n   text: x\n").unwrap_err();
        assert_eq!(err.position(), Some(Position::new(3, 10)));
        let err = tokens("text:\nabc\n").unwrap_err();
        assert!(matches!(
            err,
            CompileError::Unterminated {
                what: "multi-line string",
                ..
            }
        ));
        let err = tokens("99999999999999999999").unwrap_err();
        assert_eq!(
            err,
            CompileError::NumberTooLarge {
                at: Position::new(1, 1)
            }
        );
        let err = tokens("17179869184G").unwrap_err();
        assert!(matches!(err, CompileError::NumberTooLarge { .. }));
        let err = tokens("10kb").unwrap_err();
        assert!(err.to_string().contains("invalid number"), "{err}");
        let err = tokens("é @").unwrap_err();
        assert_eq!(err.position(), Some(Position::new(1, 1)));
        let err = tokens("\"é\" @").unwrap_err();
        assert_eq!(err.position(), Some(Position::new(1, 5)));
        assert!(tokens(": x").is_err());
        assert!(tokens("\"a\0\"").is_err());
    }
}
