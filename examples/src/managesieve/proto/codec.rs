//! Framing, parsing and encoding of ManageSieve (RFC 5804 section 4).
//!
//! Input is framed first: a command is one line, or several joined by literals
//! (`{n+}` CRLF and n octets), and the [`Framer`] finds its end from the line ends and
//! literal headers alone. Only then is the frame tokenized and parsed, so a malformed
//! command is answered with `NO` and never desynchronises the stream. A command over
//! the limits is skipped to its real end (literals included) and refused.
//!
//! RFC 5804 has clients send only non-synchronizing literals (`{n+}`); ManageSieve has
//! no continuation request. A `{n}` from a client is read the same way (the octets
//! follow at once), as Dovecot does.

use bytes::{BufMut, Bytes, BytesMut};

use super::base64;
use super::types::{Command, NameError, ResponseCode, SaslData, ScriptName, Status};

/// Longest quoted string a client may send (RFC 5804 section 4, `quoted`).
pub(crate) const MAX_QUOTED: usize = 1024;

/// Longest literal header: `{4294967295+}` and CR.
const TAIL: usize = 24;

/// Limits applied while framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameLimits {
    /// Longest line (each line of a command, literal octets not counted), CRLF excluded.
    pub(crate) max_line: usize,
    /// Most literal octets in one command (all its literals together).
    pub(crate) max_literal: u64,
    /// Most literals in one command.
    pub(crate) max_literals: usize,
}

/// Why a command was refused while framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum FrameError {
    /// A line longer than [`FrameLimits::max_line`].
    #[error("line too long")]
    LineTooLong,
    /// More literal octets than [`FrameLimits::max_literal`].
    #[error("string too large (at most {limit} octets)")]
    LiteralTooLarge {
        /// The limit.
        limit: u64,
    },
    /// More literals than [`FrameLimits::max_literals`].
    #[error("too many literals in one command")]
    TooManyLiterals,
    /// A literal length beyond 32 bits: the end of the command cannot be found.
    #[error("invalid literal length")]
    BadLiteralLength,
}

/// What the [`Framer`] found at the start of the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framed {
    /// More input is needed; keep the buffer as it is.
    NeedMore,
    /// The first `n` octets are one complete command.
    Command(usize),
    /// The first `n` octets belong to a command being skipped: drop them.
    Discard(usize),
    /// A refused command ended: drop `discard` octets and answer `error`.
    Rejected {
        /// Octets to drop.
        discard: usize,
        /// Why the command was refused.
        error: FrameError,
    },
    /// The stream cannot be resynchronised: close the session.
    Fatal(FrameError),
}

/// The last octets of a line being skipped, to see whether it ends in a literal header.
#[derive(Debug, Clone, Copy, Default)]
struct Tail {
    buf: [u8; TAIL],
    len: usize,
}

impl Tail {
    fn push(&mut self, bytes: &[u8]) {
        if bytes.len() >= TAIL {
            self.buf.copy_from_slice(&bytes[bytes.len() - TAIL..]);
            self.len = TAIL;
            return;
        }
        let keep = (TAIL - bytes.len()).min(self.len);
        self.buf.copy_within(self.len - keep..self.len, 0);
        self.buf[keep..keep + bytes.len()].copy_from_slice(bytes);
        self.len = keep + bytes.len();
    }

    fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// A refused command being skipped to its end.
#[derive(Debug, Clone, Copy)]
struct Skip {
    /// Literal octets still to drop.
    literal_left: u64,
    tail: Tail,
    error: FrameError,
}

/// Finds where each command ends, incrementally: the buffer is scanned once, however
/// it arrives.
///
/// Between calls the caller only appends to the buffer, or drops exactly what a
/// [`Framed`] result says; after dropping input any other way it calls
/// [`Framer::reset`].
#[derive(Debug, Clone)]
pub(crate) struct Framer {
    limits: FrameLimits,
    /// Octets of the current command scanned so far.
    pos: usize,
    /// Where the current line starts.
    line_start: usize,
    /// Where the literal being received ends.
    literal_end: Option<usize>,
    literals: usize,
    literal_octets: u64,
    skip: Option<Skip>,
}

impl Framer {
    /// A framer with `limits`.
    pub(crate) fn new(limits: FrameLimits) -> Self {
        Self {
            limits,
            pos: 0,
            line_start: 0,
            literal_end: None,
            literals: 0,
            literal_octets: 0,
            skip: None,
        }
    }

    /// Forgets the command in progress.
    pub(crate) fn reset(&mut self) {
        *self = Self::new(self.limits);
    }

    /// Whether the command in progress is inside the data of an accepted literal (as of
    /// the last [`Framer::next`]): more input is then progress, not a trickled line.
    pub(crate) fn in_literal(&self) -> bool {
        self.literal_end.is_some()
    }

    /// Looks at `buf`, which starts at the current command.
    pub(crate) fn next(&mut self, buf: &[u8]) -> Framed {
        if self.skip.is_some() {
            return self.next_skip(buf);
        }
        loop {
            if let Some(end) = self.literal_end {
                if buf.len() < end {
                    return Framed::NeedMore;
                }
                self.literal_end = None;
                self.pos = end;
                self.line_start = end;
            }
            let Some(offset) = buf[self.pos..].iter().position(|&b| b == b'\n') else {
                self.pos = buf.len();
                if self.pos - self.line_start > self.limits.max_line.saturating_add(1) {
                    let partial = &buf[self.line_start..self.pos];
                    let mut tail = Tail::default();
                    tail.push(partial);
                    return self.start_skip(self.pos, 0, tail, FrameError::LineTooLong);
                }
                return Framed::NeedMore;
            };
            let lf = self.pos + offset;
            let line = strip_cr(&buf[self.line_start..lf]);
            let header = literal_header(line);
            if line.len() > self.limits.max_line {
                return self.refuse_at_line_end(lf, header, FrameError::LineTooLong);
            }
            match header {
                None => {
                    self.reset();
                    return Framed::Command(lf + 1);
                }
                Some(None) => return Framed::Fatal(FrameError::BadLiteralLength),
                Some(Some(n)) => {
                    self.literals += 1;
                    self.literal_octets = self.literal_octets.saturating_add(n);
                    let error = if self.literals > self.limits.max_literals {
                        Some(FrameError::TooManyLiterals)
                    } else if self.literal_octets > self.limits.max_literal {
                        Some(FrameError::LiteralTooLarge {
                            limit: self.limits.max_literal,
                        })
                    } else {
                        None
                    };
                    if let Some(error) = error {
                        return self.start_skip(lf + 1, n, Tail::default(), error);
                    }
                    // n fits in 32 bits and the buffer in memory: no overflow.
                    self.literal_end = Some(lf + 1 + n as usize);
                    self.pos = lf + 1;
                }
            }
        }
    }

    /// A line of a refused command ended at `lf`: skip its literal too, if any.
    fn refuse_at_line_end(
        &mut self,
        lf: usize,
        header: Option<Option<u64>>,
        error: FrameError,
    ) -> Framed {
        match header {
            Some(None) => Framed::Fatal(FrameError::BadLiteralLength),
            Some(Some(n)) => self.start_skip(lf + 1, n, Tail::default(), error),
            None => {
                self.reset();
                Framed::Rejected {
                    discard: lf + 1,
                    error,
                }
            }
        }
    }

    /// Starts skipping: the first `drop` octets go, then `literal_left` literal octets,
    /// then lines until one ends without a literal header. `tail` holds the end of a
    /// line cut short.
    fn start_skip(
        &mut self,
        drop: usize,
        literal_left: u64,
        tail: Tail,
        error: FrameError,
    ) -> Framed {
        self.reset();
        self.skip = Some(Skip {
            literal_left,
            tail,
            error,
        });
        Framed::Discard(drop)
    }

    fn next_skip(&mut self, buf: &[u8]) -> Framed {
        let Some(skip) = self.skip.as_mut() else {
            return Framed::NeedMore;
        };
        if buf.is_empty() {
            return Framed::NeedMore;
        }
        if skip.literal_left > 0 {
            let n =
                usize::try_from(skip.literal_left).map_or(buf.len(), |left| left.min(buf.len()));
            skip.literal_left -= n as u64;
            return Framed::Discard(n);
        }
        let Some(lf) = buf.iter().position(|&b| b == b'\n') else {
            skip.tail.push(buf);
            return Framed::Discard(buf.len());
        };
        skip.tail.push(&buf[..lf]);
        match literal_header(strip_cr(skip.tail.as_slice())) {
            Some(Some(n)) => {
                skip.literal_left = n;
                skip.tail = Tail::default();
                Framed::Discard(lf + 1)
            }
            Some(None) => Framed::Fatal(FrameError::BadLiteralLength),
            None => {
                let error = skip.error;
                self.reset();
                Framed::Rejected {
                    discard: lf + 1,
                    error,
                }
            }
        }
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The length of the literal announced at the end of `line` (`{n+}` or `{n}`):
/// `None` if there is none, `Some(None)` if its length does not fit in 32 bits.
fn literal_header(line: &[u8]) -> Option<Option<u64>> {
    let rest = line.strip_suffix(b"}")?;
    let rest = rest.strip_suffix(b"+").unwrap_or(rest);
    let start = rest
        .iter()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(0, |p| p + 1);
    let digits = &rest[start..];
    if digits.is_empty() || start == 0 || rest[start - 1] != b'{' {
        return None;
    }
    Some(parse_number(digits).filter(|&n| n <= u64::from(u32::MAX)))
}

/// A decimal number of at most 20 digits, `None` on overflow.
fn parse_number(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// One token of a framed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    /// A bare word: a command name, a number, a mechanism.
    Atom(Bytes),
    /// A quoted string (unescaped) or a literal.
    String(Bytes),
}

impl Token {
    fn bytes(&self) -> &Bytes {
        match self {
            Self::Atom(b) | Self::String(b) => b,
        }
    }
}

/// Why a framed command could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum ParseError {
    /// The command does not follow the grammar.
    #[error("syntax error: {0}")]
    Syntax(&'static str),
    /// No such command.
    #[error("unknown command")]
    UnknownCommand,
    /// A script name RFC 5804 (or the file store) does not allow.
    #[error("invalid script name: {0}")]
    Name(#[from] NameError),
    /// SASL data that is not base64.
    #[error("invalid base64 in SASL data")]
    Base64,
}

fn is_atom_char(b: u8) -> bool {
    b.is_ascii_graphic() && !matches!(b, b'"' | b'{' | b'}' | b'(' | b')' | b'\\' | b'%')
}

/// Splits a complete frame (as found by [`Framer`]) into tokens.
pub(crate) fn tokenize(frame: &Bytes) -> Result<Vec<Token>, ParseError> {
    let mut tokens = Vec::new();
    let mut i = 0;
    loop {
        match frame.get(i..) {
            Some(b"\r\n" | b"\n") => return Ok(tokens),
            Some([]) | None => return Err(ParseError::Syntax("missing line end")),
            Some(_) => {}
        }
        if !tokens.is_empty() {
            if frame[i] != b' ' {
                return Err(ParseError::Syntax("expected a space between arguments"));
            }
            while frame.get(i) == Some(&b' ') {
                i += 1;
            }
            if matches!(frame.get(i..), Some(b"\r\n" | b"\n")) {
                return Ok(tokens);
            }
        }
        let (token, next) = match frame.get(i) {
            Some(b'"') => quoted(frame, i)?,
            Some(b'{') => literal(frame, i)?,
            Some(&b) if is_atom_char(b) => {
                let end = frame[i..]
                    .iter()
                    .position(|&b| !is_atom_char(b))
                    .map_or(frame.len(), |p| i + p);
                (Token::Atom(frame.slice(i..end)), end)
            }
            _ => return Err(ParseError::Syntax("unexpected character")),
        };
        tokens.push(token);
        i = next;
    }
}

/// A quoted string starting at `frame[start]`; returns it and the index after it.
fn quoted(frame: &Bytes, start: usize) -> Result<(Token, usize), ParseError> {
    let mut out = Vec::new();
    let mut i = start + 1;
    loop {
        match frame.get(i) {
            Some(b'"') => break,
            Some(b'\\') => match frame.get(i + 1) {
                Some(&c @ (b'"' | b'\\')) => {
                    out.push(c);
                    i += 2;
                }
                _ => return Err(ParseError::Syntax("invalid escape in quoted string")),
            },
            Some(0 | b'\r' | b'\n') | None => {
                return Err(ParseError::Syntax("unterminated quoted string"));
            }
            Some(&c) => {
                out.push(c);
                i += 1;
            }
        }
        if out.len() > MAX_QUOTED {
            return Err(ParseError::Syntax("quoted string too long"));
        }
    }
    if std::str::from_utf8(&out).is_err() {
        return Err(ParseError::Syntax("quoted string is not UTF-8"));
    }
    Ok((Token::String(Bytes::from(out)), i + 1))
}

/// A literal starting at `frame[start]` (the framer checked its length).
fn literal(frame: &Bytes, start: usize) -> Result<(Token, usize), ParseError> {
    const BAD: ParseError = ParseError::Syntax("invalid literal");
    let close = frame[start..]
        .iter()
        .position(|&b| b == b'}')
        .map(|p| start + p)
        .ok_or(BAD)?;
    let inner = &frame[start + 1..close];
    let digits = inner.strip_suffix(b"+").unwrap_or(inner);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(BAD);
    }
    let n = parse_number(digits)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or(BAD)?;
    let data = match frame.get(close + 1..) {
        Some([b'\r', b'\n', ..]) => close + 3,
        Some([b'\n', ..]) => close + 2,
        _ => return Err(BAD),
    };
    let end = data
        .checked_add(n)
        .filter(|&e| e <= frame.len())
        .ok_or(BAD)?;
    Ok((Token::String(frame.slice(data..end)), end))
}

/// Parses a complete frame as a command.
pub(crate) fn parse_command(frame: &Bytes) -> Result<Command, ParseError> {
    let tokens = tokenize(frame)?;
    let Some((Token::Atom(name), args)) = tokens.split_first() else {
        return Err(ParseError::Syntax("expected a command name"));
    };
    let name = name.to_ascii_uppercase();
    let command = match name.as_slice() {
        b"AUTHENTICATE" => authenticate(args)?,
        b"STARTTLS" => no_args(args, Command::StartTls)?,
        b"LOGOUT" => no_args(args, Command::Logout)?,
        b"CAPABILITY" => no_args(args, Command::Capability)?,
        b"LISTSCRIPTS" => no_args(args, Command::ListScripts)?,
        b"UNAUTHENTICATE" => no_args(args, Command::Unauthenticate)?,
        b"NOOP" => match args {
            [] => Command::Noop { tag: None },
            [Token::String(tag)] => Command::Noop {
                tag: Some(tag.to_vec()),
            },
            _ => return Err(ParseError::Syntax("NOOP takes one optional string")),
        },
        b"HAVESPACE" => match args {
            [Token::String(name), Token::Atom(size)] => Command::HaveSpace {
                name: ScriptName::from_bytes(name)?,
                size: number(size)?,
            },
            _ => return Err(ParseError::Syntax("HAVESPACE takes a name and a number")),
        },
        b"PUTSCRIPT" => match args {
            [Token::String(name), Token::String(content)] => Command::PutScript {
                name: ScriptName::from_bytes(name)?,
                content: content.clone(),
            },
            _ => return Err(ParseError::Syntax("PUTSCRIPT takes a name and a script")),
        },
        b"CHECKSCRIPT" => match args {
            [Token::String(content)] => Command::CheckScript {
                content: content.clone(),
            },
            _ => return Err(ParseError::Syntax("CHECKSCRIPT takes a script")),
        },
        b"SETACTIVE" => match args {
            [Token::String(name)] if name.is_empty() => Command::SetActive { name: None },
            [Token::String(name)] => Command::SetActive {
                name: Some(ScriptName::from_bytes(name)?),
            },
            _ => return Err(ParseError::Syntax("SETACTIVE takes a name")),
        },
        b"GETSCRIPT" => Command::GetScript {
            name: one_name(args)?,
        },
        b"DELETESCRIPT" => Command::DeleteScript {
            name: one_name(args)?,
        },
        b"RENAMESCRIPT" => match args {
            [Token::String(from), Token::String(to)] => Command::RenameScript {
                from: ScriptName::from_bytes(from)?,
                to: ScriptName::from_bytes(to)?,
            },
            _ => return Err(ParseError::Syntax("RENAMESCRIPT takes two names")),
        },
        _ => return Err(ParseError::UnknownCommand),
    };
    Ok(command)
}

fn no_args(args: &[Token], command: Command) -> Result<Command, ParseError> {
    if args.is_empty() {
        Ok(command)
    } else {
        Err(ParseError::Syntax("the command takes no arguments"))
    }
}

fn one_name(args: &[Token]) -> Result<ScriptName, ParseError> {
    match args {
        [Token::String(name)] => Ok(ScriptName::from_bytes(name)?),
        _ => Err(ParseError::Syntax("the command takes a script name")),
    }
}

fn number(atom: &[u8]) -> Result<u64, ParseError> {
    const BAD: ParseError = ParseError::Syntax("invalid number");
    if atom.is_empty() || !atom.iter().all(u8::is_ascii_digit) {
        return Err(BAD);
    }
    parse_number(atom)
        .filter(|&n| n <= u64::from(u32::MAX))
        .ok_or(BAD)
}

/// `AUTHENTICATE mechanism [initial-response]`; the mechanism may also be an atom.
fn authenticate(args: &[Token]) -> Result<Command, ParseError> {
    let (mechanism, initial) = match args {
        [mechanism] => (mechanism, None),
        [mechanism, Token::String(initial)] => (mechanism, Some(initial)),
        _ => {
            return Err(ParseError::Syntax(
                "AUTHENTICATE takes a mechanism and an optional initial response",
            ));
        }
    };
    let mechanism = mechanism.bytes();
    let valid = !mechanism.is_empty()
        && mechanism.len() <= 20
        && mechanism
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return Err(ParseError::Syntax("invalid SASL mechanism name"));
    }
    let mechanism = String::from_utf8_lossy(mechanism).to_ascii_uppercase();
    let initial = match initial {
        Some(data) => Some(SaslData(base64::decode(data).ok_or(ParseError::Base64)?)),
        None => None,
    };
    Ok(Command::Authenticate { mechanism, initial })
}

/// The client's answer to a SASL challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SaslReply {
    /// Decoded response data.
    Data(SaslData),
    /// `"*"`: the client cancels the exchange.
    Cancel,
}

/// Parses a complete frame as the answer to a challenge: one string (an atom is
/// tolerated), or an empty line for an empty response.
pub(crate) fn parse_sasl_reply(frame: &Bytes) -> Result<SaslReply, ParseError> {
    let tokens = tokenize(frame)?;
    let data: &[u8] = match tokens.as_slice() {
        [] => b"",
        [token] => token.bytes(),
        _ => return Err(ParseError::Syntax("expected one string")),
    };
    if data == b"*" {
        return Ok(SaslReply::Cancel);
    }
    let decoded = base64::decode(data).ok_or(ParseError::Base64)?;
    Ok(SaslReply::Data(SaslData(decoded)))
}

/// Encodes `bytes` as a quoted string when it can be one, else as a literal (`{n}`).
pub(crate) fn encode_string(bytes: &[u8], out: &mut BytesMut) {
    let quotable = bytes.len() <= MAX_QUOTED
        && !bytes.iter().any(|&b| matches!(b, 0 | b'\r' | b'\n'))
        && std::str::from_utf8(bytes).is_ok();
    if quotable {
        out.reserve(bytes.len() + 2);
        out.put_u8(b'"');
        for &b in bytes {
            if matches!(b, b'"' | b'\\') {
                out.put_u8(b'\\');
            }
            out.put_u8(b);
        }
        out.put_u8(b'"');
    } else {
        encode_literal(bytes, out);
    }
}

/// Encodes `bytes` as a server literal: `{n}` CRLF and the octets.
pub(crate) fn encode_literal(bytes: &[u8], out: &mut BytesMut) {
    out.put_slice(format!("{{{}}}\r\n", bytes.len()).as_bytes());
    out.put_slice(bytes);
}

/// Encodes a response code (without the parentheses).
fn encode_code(code: &ResponseCode, out: &mut BytesMut) {
    let name: &[u8] = match code {
        ResponseCode::EncryptNeeded => b"ENCRYPT-NEEDED",
        ResponseCode::Quota => b"QUOTA",
        ResponseCode::QuotaMaxScripts => b"QUOTA/MAXSCRIPTS",
        ResponseCode::QuotaMaxSize => b"QUOTA/MAXSIZE",
        ResponseCode::TryLater => b"TRYLATER",
        ResponseCode::Active => b"ACTIVE",
        ResponseCode::NonExistent => b"NONEXISTENT",
        ResponseCode::AlreadyExists => b"ALREADYEXISTS",
        ResponseCode::Tag(tag) => {
            out.put_slice(b"TAG ");
            encode_string(tag, out);
            return;
        }
    };
    out.put_slice(name);
}

/// Which response a status line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// `OK`.
    Ok,
    /// `NO`.
    No,
    /// `BYE`.
    Bye,
}

/// Encodes a whole response line: `OK`, `NO` or `BYE`, its code and text, and CRLF.
pub(crate) fn encode_response(outcome: Outcome, status: &Status, out: &mut BytesMut) {
    out.put_slice(match outcome {
        Outcome::Ok => b"OK",
        Outcome::No => b"NO",
        Outcome::Bye => b"BYE",
    });
    if let Some(code) = &status.code {
        out.put_slice(b" (");
        encode_code(code, out);
        out.put_u8(b')');
    }
    if let Some(text) = &status.text {
        out.put_u8(b' ');
        encode_string(text.as_bytes(), out);
    }
    out.put_slice(b"\r\n");
}

#[cfg(test)]
mod tests;
