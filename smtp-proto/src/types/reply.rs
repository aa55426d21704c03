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
