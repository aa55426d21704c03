//! SMTP replies (RFC 5321 section 4.2) with enhanced status codes (RFC 2034, RFC 3463),
//! and the EHLO capability list.

use std::borrow::Cow;

/// A reply: a three-digit code, an optional enhanced status code and one or more text lines.
///
/// On the wire each line is `code SP|- [enhanced SP] text`. The enhanced code, when present,
/// is repeated on every line by the encoder, as RFC 2034 requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply<'a> {
    /// The reply code, 200..=599 (RFC 5321 also allows 1yz in theory; nothing uses it).
    pub code: u16,
    /// Enhanced status code, e.g. `2.1.0`.
    pub enhanced: Option<EnhancedCode>,
    /// Text lines without the code prefix; at least one (possibly empty) line.
    pub lines: Vec<Cow<'a, str>>,
}

/// An enhanced mail system status code `class.subject.detail` (RFC 3463).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedCode {
    /// 2 (success), 4 (persistent transient failure) or 5 (permanent failure).
    pub class: u8,
    /// Subject, 0..=999.
    pub subject: u16,
    /// Detail, 0..=999.
    pub detail: u16,
}

/// One capability from an EHLO (or LHLO) reply.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Capability<'a> {
    /// `PIPELINING` (RFC 2920).
    Pipelining,
    /// `SIZE [max]` (RFC 1870); `Some(0)` or `None` means no fixed limit.
    Size(Option<u64>),
    /// `8BITMIME` (RFC 6152).
    EightBitMime,
    /// `BINARYMIME` (RFC 3030).
    BinaryMime,
    /// `CHUNKING` (RFC 3030).
    Chunking,
    /// `SMTPUTF8` (RFC 6531).
    SmtpUtf8,
    /// `DSN` (RFC 3461).
    Dsn,
    /// `STARTTLS` (RFC 3207).
    StartTls,
    /// `AUTH mech...` (RFC 4954).
    Auth(Vec<Cow<'a, str>>),
    /// `ENHANCEDSTATUSCODES` (RFC 2034).
    EnhancedStatusCodes,
    /// `REQUIRETLS` (RFC 8689).
    RequireTls,
    /// Any other keyword with its parameters.
    Other {
        /// EHLO keyword.
        keyword: Cow<'a, str>,
        /// Space-separated parameters.
        params: Vec<Cow<'a, str>>,
    },
}

/// A parsed positive EHLO/LHLO reply: the server's name, its greeting text and capabilities.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EhloReply<'a> {
    /// The domain the server names itself with (first word of the first line).
    pub domain: Cow<'a, str>,
    /// The rest of the first line, if any.
    pub greeting: Option<Cow<'a, str>>,
    /// One entry per following line.
    pub capabilities: Vec<Capability<'a>>,
}

impl<'a> Reply<'a> {
    /// A one-line reply.
    pub fn new(code: u16, enhanced: Option<EnhancedCode>, text: impl Into<Cow<'a, str>>) -> Self {
        Self {
            code,
            enhanced,
            lines: vec![text.into()],
        }
    }

    /// A reply with several text lines (an empty `lines` is sent as one empty line).
    pub fn multiline(code: u16, enhanced: Option<EnhancedCode>, lines: Vec<Cow<'a, str>>) -> Self {
        Self {
            code,
            enhanced,
            lines,
        }
    }

    /// Copies borrowed text so the reply outlives the input buffer.
    pub fn into_owned(self) -> Reply<'static> {
        Reply {
            code: self.code,
            enhanced: self.enhanced,
            lines: self
                .lines
                .into_iter()
                .map(|line| Cow::Owned(line.into_owned()))
                .collect(),
        }
    }

    /// The first digit of the code: 2 positive, 3 intermediate, 4 transient, 5 permanent.
    pub fn class(&self) -> u16 {
        self.code / 100
    }

    /// `2yz`: the command succeeded.
    pub fn is_positive(&self) -> bool {
        self.class() == 2
    }

    /// `3yz`: more input is expected (DATA's 354, AUTH's 334).
    pub fn is_intermediate(&self) -> bool {
        self.class() == 3
    }

    /// `4yz`: temporary failure, the command may be retried later.
    pub fn is_transient(&self) -> bool {
        self.class() == 4
    }

    /// `5yz`: permanent failure.
    pub fn is_permanent(&self) -> bool {
        self.class() == 5
    }

    /// All text lines joined with a newline, for logs and error messages.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }
}

impl EnhancedCode {
    /// An enhanced code `class.subject.detail`.
    pub const fn new(class: u8, subject: u16, detail: u16) -> Self {
        Self {
            class,
            subject,
            detail,
        }
    }
}

impl std::fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

impl Capability<'_> {
    /// Copies borrowed text so the capability outlives the input buffer.
    pub fn into_owned(self) -> Capability<'static> {
        match self {
            Self::Pipelining => Capability::Pipelining,
            Self::Size(max) => Capability::Size(max),
            Self::EightBitMime => Capability::EightBitMime,
            Self::BinaryMime => Capability::BinaryMime,
            Self::Chunking => Capability::Chunking,
            Self::SmtpUtf8 => Capability::SmtpUtf8,
            Self::Dsn => Capability::Dsn,
            Self::StartTls => Capability::StartTls,
            Self::Auth(mechs) => Capability::Auth(owned_all(mechs)),
            Self::EnhancedStatusCodes => Capability::EnhancedStatusCodes,
            Self::RequireTls => Capability::RequireTls,
            Self::Other { keyword, params } => Capability::Other {
                keyword: Cow::Owned(keyword.into_owned()),
                params: owned_all(params),
            },
        }
    }

    /// Parses one EHLO line (without the reply code). Known keywords are matched without
    /// regard to case; a known keyword whose parameters do not have the expected shape
    /// (e.g. `SIZE abc`) is kept as [`Capability::Other`]. The obsolete `AUTH=mech ...`
    /// form is read as [`Capability::Auth`]. Returns `None` for an empty line.
    pub fn parse(line: &str) -> Option<Capability<'_>> {
        let mut words = line.split(' ').filter(|w| !w.is_empty());
        let first = words.next()?;
        let mut params: Vec<&str> = words.collect();
        let keyword = match first.split_once('=') {
            Some((kw, mech)) if kw.eq_ignore_ascii_case("AUTH") => {
                if !mech.is_empty() {
                    params.insert(0, mech);
                }
                return Some(Capability::Auth(
                    params.into_iter().map(Cow::Borrowed).collect(),
                ));
            }
            _ => first,
        };
        let upper = keyword.to_ascii_uppercase();
        let simple = match upper.as_str() {
            "PIPELINING" => Some(Capability::Pipelining),
            "8BITMIME" => Some(Capability::EightBitMime),
            "BINARYMIME" => Some(Capability::BinaryMime),
            "CHUNKING" => Some(Capability::Chunking),
            "SMTPUTF8" => Some(Capability::SmtpUtf8),
            "DSN" => Some(Capability::Dsn),
            "STARTTLS" => Some(Capability::StartTls),
            "ENHANCEDSTATUSCODES" => Some(Capability::EnhancedStatusCodes),
            "REQUIRETLS" => Some(Capability::RequireTls),
            _ => None,
        };
        let known = match (simple, upper.as_str(), params.as_slice()) {
            (Some(cap), _, []) => Some(cap),
            (None, "SIZE", []) => Some(Capability::Size(None)),
            (None, "SIZE", [max]) => max
                .parse()
                .ok()
                .filter(|_| is_digits(max))
                .map(|n| Capability::Size(Some(n))),
            (None, "AUTH", mechs) => Some(Capability::Auth(
                mechs.iter().copied().map(Cow::Borrowed).collect(),
            )),
            _ => None,
        };
        Some(known.unwrap_or_else(|| Capability::Other {
            keyword: Cow::Borrowed(keyword),
            params: params.into_iter().map(Cow::Borrowed).collect(),
        }))
    }

    /// The EHLO line for this capability, e.g. `SIZE 35882577` or `AUTH PLAIN LOGIN`.
    pub fn to_line(&self) -> String {
        let (keyword, params): (&str, Vec<&str>) = match self {
            Self::Pipelining => ("PIPELINING", vec![]),
            Self::Size(None) => ("SIZE", vec![]),
            Self::Size(Some(max)) => return format!("SIZE {max}"),
            Self::EightBitMime => ("8BITMIME", vec![]),
            Self::BinaryMime => ("BINARYMIME", vec![]),
            Self::Chunking => ("CHUNKING", vec![]),
            Self::SmtpUtf8 => ("SMTPUTF8", vec![]),
            Self::Dsn => ("DSN", vec![]),
            Self::StartTls => ("STARTTLS", vec![]),
            Self::Auth(mechs) => ("AUTH", mechs.iter().map(|m| m.as_ref()).collect()),
            Self::EnhancedStatusCodes => ("ENHANCEDSTATUSCODES", vec![]),
            Self::RequireTls => ("REQUIRETLS", vec![]),
            Self::Other { keyword, params } => (
                keyword.as_ref(),
                params.iter().map(|p| p.as_ref()).collect(),
            ),
        };
        let mut line = keyword.to_owned();
        for param in params {
            line.push(' ');
            line.push_str(param);
        }
        line
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn owned_all(items: Vec<Cow<'_, str>>) -> Vec<Cow<'static, str>> {
    items
        .into_iter()
        .map(|item| Cow::Owned(item.into_owned()))
        .collect()
}

impl<'a> EhloReply<'a> {
    /// Reads a positive EHLO/LHLO reply (code 250): the first line is the server's
    /// domain and optional greeting, each further line one capability (empty lines are
    /// skipped). Returns `None` for any other code. The enhanced code, if any, is ignored.
    pub fn from_reply(reply: &'a Reply<'_>) -> Option<Self> {
        if reply.code != 250 {
            return None;
        }
        let mut lines = reply.lines.iter();
        let first = lines
            .next()
            .map_or("", |l| l.as_ref())
            .trim_start_matches(' ');
        let (domain, greeting) = match first.split_once(' ') {
            Some((domain, rest)) => (domain, Some(rest).filter(|r| !r.is_empty())),
            None => (first, None),
        };
        Some(Self {
            domain: Cow::Borrowed(domain),
            greeting: greeting.map(Cow::Borrowed),
            capabilities: lines.filter_map(|line| Capability::parse(line)).collect(),
        })
    }

    /// Builds the 250 reply that announces this domain, greeting and capabilities.
    pub fn to_reply(&self) -> Reply<'static> {
        let mut first = self.domain.to_string();
        if let Some(greeting) = &self.greeting {
            first.push(' ');
            first.push_str(greeting);
        }
        let mut lines = vec![Cow::Owned(first)];
        lines.extend(
            self.capabilities
                .iter()
                .map(|cap| Cow::Owned(cap.to_line())),
        );
        Reply::multiline(250, None, lines)
    }

    /// Copies borrowed text so the reply outlives the input buffer.
    pub fn into_owned(self) -> EhloReply<'static> {
        EhloReply {
            domain: Cow::Owned(self.domain.into_owned()),
            greeting: self.greeting.map(|g| Cow::Owned(g.into_owned())),
            capabilities: self
                .capabilities
                .into_iter()
                .map(Capability::into_owned)
                .collect(),
        }
    }

    /// Whether a capability without parameters (e.g. [`Capability::Pipelining`]) is
    /// announced. For `SIZE` and `AUTH` use [`Self::size`] and [`Self::auth_mechanisms`].
    pub fn has(&self, capability: &Capability<'_>) -> bool {
        self.capabilities.iter().any(|c| c == capability)
    }

    /// `Some(limit)` when `SIZE` is announced; `Some(None)` (or `Some(Some(0))`) means
    /// announced without a fixed limit; `None` when not announced.
    pub fn size(&self) -> Option<Option<u64>> {
        self.capabilities.iter().find_map(|c| match c {
            Capability::Size(max) => Some(*max),
            _ => None,
        })
    }

    /// The announced SASL mechanisms, from every `AUTH` line, without duplicates.
    pub fn auth_mechanisms(&self) -> Vec<&str> {
        let mut mechs: Vec<&str> = Vec::new();
        for cap in &self.capabilities {
            if let Capability::Auth(list) = cap {
                for mech in list {
                    if !mechs.iter().any(|m| m.eq_ignore_ascii_case(mech)) {
                        mechs.push(mech);
                    }
                }
            }
        }
        mechs
    }
}
