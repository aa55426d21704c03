//! A raw IMAP client that keeps every octet (8-bit data and literals included) and a
//! generic parser of responses into a tree of atoms, strings, NIL and lists.
//!
//! Parsing both servers' responses into the same tree is the first normalisation:
//! a string sent as a quoted string by one server and as a literal by the other is
//! the same string (RFC 9051 section 4.3: "the two forms are equivalent").

use std::fmt;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// One element of a response.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// An atom or number, e.g. `FETCH`, `12`, `BODY[1.MIME]<0>`.
    Atom(String),
    /// A string (quoted or literal form).
    Str(Vec<u8>),
    /// `NIL`.
    Nil,
    /// A parenthesised list.
    List(Vec<Self>),
}

impl Value {
    /// The atom's text, if this is an atom.
    pub(crate) fn atom(&self) -> Option<&str> {
        match self {
            Self::Atom(a) => Some(a),
            _ => None,
        }
    }

    /// The list's items, if this is a list.
    pub(crate) fn list(&self) -> Option<&[Self]> {
        match self {
            Self::List(items) => Some(items),
            _ => None,
        }
    }

    /// The string's bytes, if this is a string.
    pub(crate) fn bytes(&self) -> Option<&[u8]> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Atom(a) => f.write_str(a),
            Self::Nil => f.write_str("NIL"),
            Self::Str(s) => write!(f, "\"{}\"", s.escape_ascii()),
            Self::List(items) => {
                f.write_str("(")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// Parses the values of a response (after `* ` or the tag), e.g. `3 FETCH (...)`.
pub(crate) fn parse(data: &[u8]) -> Result<Vec<Value>, String> {
    let mut parser = Parser { data, pos: 0 };
    let values = parser.sequence(false)?;
    if parser.pos < data.len() {
        return Err(format!(
            "junk at {}: {}",
            parser.pos,
            data[parser.pos..].escape_ascii()
        ));
    }
    Ok(values)
}

struct Parser<'d> {
    data: &'d [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// Values up to the end (or up to `)` when `in_list`).
    fn sequence(&mut self, in_list: bool) -> Result<Vec<Value>, String> {
        let mut values = Vec::new();
        loop {
            while self.peek() == Some(b' ') {
                self.pos += 1;
            }
            match self.peek() {
                None if in_list => return Err("unclosed list".into()),
                None => return Ok(values),
                Some(b')') if in_list => {
                    self.pos += 1;
                    return Ok(values);
                }
                Some(_) => values.push(self.value()?),
            }
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.peek() {
            Some(b'(') => {
                self.pos += 1;
                Ok(Value::List(self.sequence(true)?))
            }
            Some(b'"') => self.quoted(),
            Some(b'{') => self.literal(),
            Some(b'~') if self.data.get(self.pos + 1) == Some(&b'{') => {
                self.pos += 1;
                self.literal()
            }
            _ => self.atom(),
        }
    }

    fn quoted(&mut self) -> Result<Value, String> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err("unterminated quoted string".into());
            };
            self.pos += 1;
            match b {
                b'"' => return Ok(Value::Str(out)),
                b'\\' => {
                    let escaped = self.peek().ok_or("dangling backslash")?;
                    out.push(escaped);
                    self.pos += 1;
                }
                _ => out.push(b),
            }
        }
    }

    fn literal(&mut self) -> Result<Value, String> {
        let close = self.data[self.pos..]
            .iter()
            .position(|&b| b == b'}')
            .ok_or("unclosed literal size")?;
        let digits = &self.data[self.pos + 1..self.pos + close];
        let digits = std::str::from_utf8(digits).map_err(|e| e.to_string())?;
        let size: usize = digits
            .trim_end_matches('+')
            .parse()
            .map_err(|e| format!("literal size {digits:?}: {e}"))?;
        let start = self.pos + close + 1;
        let start = start
            + match &self.data[start..] {
                [b'\r', b'\n', ..] => 2,
                [b'\n', ..] => 1,
                _ => return Err("no line end after a literal size".into()),
            };
        let end = start.checked_add(size).ok_or("literal size overflow")?;
        let bytes = self.data.get(start..end).ok_or("literal cut short")?;
        self.pos = end;
        Ok(Value::Str(bytes.to_vec()))
    }

    /// An atom; a `[` in it runs to its `]` (spaces and parentheses included), as in
    /// `BODY[HEADER.FIELDS (FROM)]<0>`.
    fn atom(&mut self) -> Result<Value, String> {
        let start = self.pos;
        let mut depth = 0usize;
        while let Some(b) = self.peek() {
            match b {
                b'[' => depth += 1,
                b']' => depth = depth.saturating_sub(1),
                b' ' | b'(' | b')' if depth == 0 => break,
                b'\r' | b'\n' => break,
                _ => {}
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Err(format!("unexpected byte {:?}", self.peek().map(char::from)));
        }
        let text = String::from_utf8_lossy(&self.data[start..self.pos]).into_owned();
        if text.eq_ignore_ascii_case("NIL") {
            Ok(Value::Nil)
        } else {
            Ok(Value::Atom(text))
        }
    }
}

/// The outcome of one command: untagged responses (without `* `) and the status.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    /// Each untagged response, without `* ` and the final CRLF, literals inline.
    pub(crate) untagged: Vec<Vec<u8>>,
    /// `OK`, `NO` or `BAD`.
    pub(crate) status: String,
    /// The response code of the status, e.g. `UNKNOWN-CTE`, without brackets.
    pub(crate) code: Option<String>,
    /// The whole tagged line (for failure messages).
    pub(crate) line: String,
}

impl Answer {
    /// The parsed untagged responses whose first value is `word` (after a number,
    /// for `n FETCH`): their remaining values.
    pub(crate) fn responses(&self, word: &str) -> Vec<Vec<Value>> {
        self.untagged
            .iter()
            .filter_map(|raw| parse(raw).ok())
            .filter_map(|mut values| {
                let at = values
                    .iter()
                    .take(2)
                    .position(|v| v.atom().is_some_and(|a| a.eq_ignore_ascii_case(word)))?;
                Some(values.split_off(at + 1))
            })
            .collect()
    }
}

/// A client that keeps raw bytes; every read has a timeout, so no test hangs.
pub(crate) struct Client {
    stream: BufReader<TcpStream>,
    tag: u32,
    /// The command being answered (for failure messages).
    last: String,
}

impl Client {
    /// Connects and reads the greeting.
    pub(crate) fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        let mut client = Self {
            stream: BufReader::new(stream),
            tag: 0,
            last: String::from("(greeting)"),
        };
        let greeting = client.response();
        assert!(greeting.starts_with(b"* OK"), "{}", greeting.escape_ascii());
        client
    }

    /// One response with its literals inline, line end removed; `None` once the
    /// server closed the connection.
    fn try_response(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            let mut line = Vec::new();
            match self.stream.read_until(b'\n', &mut line) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return None,
                Err(e) => panic!("reading the answer to {}: {e}", self.last),
            }
            let content = line.strip_suffix(b"\n").unwrap_or(&line);
            let content = content.strip_suffix(b"\r").unwrap_or(content);
            match literal_size(content) {
                Some(size) => {
                    out.extend_from_slice(&line);
                    let mut literal = vec![0; size];
                    self.stream.read_exact(&mut literal).expect("literal");
                    out.extend_from_slice(&literal);
                }
                None => {
                    out.extend_from_slice(content);
                    return Some(out);
                }
            }
        }
    }

    /// One response; panics if the server closed the connection.
    fn response(&mut self) -> Vec<u8> {
        let last = &self.last;
        let closed = format!("the server closed the connection after {last}");
        self.try_response().expect(&closed)
    }

    /// Sends `command` (its 8-bit quoted strings turned into LITERAL+ literals) and
    /// reads the answer.
    pub(crate) fn command(&mut self, command: &str) -> Answer {
        self.tag += 1;
        let tag = format!("d{}", self.tag);
        self.last = command.to_owned();
        let mut bytes = format!("{tag} ").into_bytes();
        bytes.extend_from_slice(&literal_plus(command.as_bytes()));
        bytes.extend_from_slice(b"\r\n");
        self.send(&bytes);
        self.finish(&tag)
    }

    /// Sends `bytes` as they are.
    pub(crate) fn send(&mut self, bytes: &[u8]) {
        let stream = self.stream.get_mut();
        stream.write_all(bytes).expect("send");
        stream.flush().expect("flush");
    }

    /// Reads responses up to the tagged status of `tag`.
    pub(crate) fn finish(&mut self, tag: &str) -> Answer {
        let prefix = format!("{tag} ");
        let mut untagged = Vec::new();
        for _ in 0..100_000 {
            let Some(response) = self.try_response() else {
                // Closed after a BYE: the command's answer is the BYE.
                let bye = untagged
                    .iter()
                    .rev()
                    .find(|r: &&Vec<u8>| r.starts_with(b"BYE"))
                    .map(|r| String::from_utf8_lossy(r).into_owned());
                let line = bye.unwrap_or_else(|| panic!("closed without BYE after {}", self.last));
                return Answer {
                    untagged,
                    status: "BYE".to_owned(),
                    code: None,
                    line,
                };
            };
            if let Some(rest) = response.strip_prefix(prefix.as_bytes()) {
                let line = String::from_utf8_lossy(rest).into_owned();
                let (status, after) = line.split_once(' ').unwrap_or((&line, ""));
                let code = after
                    .strip_prefix('[')
                    .and_then(|c| c.split_once(']'))
                    .map(|(code, _)| code.split(' ').next().unwrap_or(code).to_owned());
                return Answer {
                    untagged,
                    status: status.to_ascii_uppercase(),
                    code,
                    line,
                };
            }
            if let Some(rest) = response.strip_prefix(b"* ") {
                untagged.push(rest.to_vec());
            }
        }
        panic!("no tagged answer for {tag}");
    }

    /// Sends `command` and asserts that it succeeded.
    pub(crate) fn ok(&mut self, command: &str) -> Answer {
        let answer = self.command(command);
        assert_eq!(answer.status, "OK", "{command} -> {}", answer.line);
        answer
    }

    /// `APPEND INBOX (flags) "date" {n}` with a synchronizing literal.
    pub(crate) fn append(&mut self, flags: &str, date: &str, message: &[u8]) -> Answer {
        self.tag += 1;
        let tag = format!("d{}", self.tag);
        self.send(
            format!(
                "{tag} APPEND INBOX ({flags}) \"{date}\" {{{}}}\r\n",
                message.len()
            )
            .as_bytes(),
        );
        let go = self.response();
        assert!(go.starts_with(b"+"), "APPEND: {}", go.escape_ascii());
        self.send(message);
        self.send(b"\r\n");
        self.finish(&tag)
    }
}

/// The size of the literal announced at the end of a line (`{n}` or `~{n}`).
fn literal_size(line: &[u8]) -> Option<usize> {
    let open = line.strip_suffix(b"}")?;
    let start = open.iter().rposition(|&b| b == b'{')?;
    let digits = std::str::from_utf8(&open[start + 1..]).ok()?;
    digits.trim_end_matches('+').parse().ok()
}

/// A command with each quoted string that holds 8-bit octets sent as a LITERAL+
/// literal (IMAP quoted strings are 7-bit, RFC 9051 section 4.3).
fn literal_plus(command: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(command.len());
    let mut rest = command;
    while let Some(open) = rest.iter().position(|&b| b == b'"') {
        out.extend_from_slice(&rest[..open]);
        let inner = &rest[open + 1..];
        let Some(close) = inner.iter().position(|&b| b == b'"') else {
            out.extend_from_slice(&rest[open..]);
            return out;
        };
        let text = &inner[..close];
        if text.is_ascii() {
            out.extend_from_slice(&rest[open..open + close + 2]);
        } else {
            out.extend_from_slice(format!("{{{}+}}\r\n", text.len()).as_bytes());
            out.extend_from_slice(text);
        }
        rest = &inner[close + 1..];
    }
    out.extend_from_slice(rest);
    out
}

#[test]
fn responses_parse_into_trees() {
    let values =
        parse(b"3 FETCH (UID 7 BODY[HEADER.FIELDS (A B)]<0> {3}\r\nabc X \"q\\\"\" nil)").unwrap();
    assert_eq!(values.len(), 3);
    let items = values[2].list().unwrap();
    assert_eq!(items[2], Value::Atom("BODY[HEADER.FIELDS (A B)]<0>".into()));
    assert_eq!(items[3], Value::Str(b"abc".to_vec()));
    assert_eq!(items[5], Value::Str(b"q\"".to_vec()));
    assert_eq!(items[6], Value::Nil);
    let threads = parse(b"THREAD (1 2)(3 (4)(5))").unwrap();
    assert_eq!(threads.len(), 3);
    assert_eq!(
        literal_plus("A \"é\" \"b\"".as_bytes()),
        b"A {2+}\r\n\xc3\xa9 \"b\""
    );
}
