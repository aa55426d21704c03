//! SMTP commands (RFC 5321 section 4.1 and the ESMTP extensions) as Rust values.
//!
//! Every string field holds text that the codec has already validated (no CR, LF or NUL,
//! no spaces where the grammar forbids them); the constructors in `codec` are the only way
//! bytes become these values, so an invalid command cannot be expressed by decoding.

use std::borrow::Cow;

/// One SMTP (or LMTP) command line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command<'a> {
    /// `EHLO <domain or address literal>`.
    Ehlo(Cow<'a, str>),
    /// `HELO <domain>`.
    Helo(Cow<'a, str>),
    /// `LHLO <domain>` (LMTP, RFC 2033).
    Lhlo(Cow<'a, str>),
    /// `MAIL FROM:<reverse-path> [parameters]`.
    Mail(MailFrom<'a>),
    /// `RCPT TO:<forward-path> [parameters]`.
    Rcpt(RcptTo<'a>),
    /// `DATA`.
    Data,
    /// `BDAT <size> [LAST]` (RFC 3030). The chunk bytes follow the line.
    Bdat {
        /// Number of octets in the chunk.
        size: u64,
        /// Whether this is the final chunk.
        last: bool,
    },
    /// `RSET`.
    Rset,
    /// `NOOP [string]`.
    Noop(Option<Cow<'a, str>>),
    /// `QUIT`.
    Quit,
    /// `VRFY <string>`.
    Vrfy(Cow<'a, str>),
    /// `EXPN <string>`.
    Expn(Cow<'a, str>),
    /// `HELP [string]`.
    Help(Option<Cow<'a, str>>),
    /// `STARTTLS` (RFC 3207).
    StartTls,
    /// `AUTH <mechanism> [initial-response]` (RFC 4954).
    Auth {
        /// SASL mechanism name, upper-cased by the decoder.
        mechanism: Cow<'a, str>,
        /// The initial response, already base64-decoded (`=` decodes to empty bytes).
        initial_response: Option<Cow<'a, [u8]>>,
    },
}

/// `MAIL FROM` with its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailFrom<'a> {
    /// The reverse path; `None` is the null path `<>`.
    pub sender: Option<Address<'a>>,
    /// ESMTP parameters.
    pub params: MailParams<'a>,
}

/// `RCPT TO` with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RcptTo<'a> {
    /// The forward path. `<Postmaster>` (no domain) is an [`Address`] with an empty domain.
    pub recipient: Address<'a>,
    /// ESMTP parameters.
    pub params: RcptParams<'a>,
}

/// A mailbox `local-part@domain` as it appears in a path.
///
/// The local part is kept in its unquoted form (`"a b"@x` is stored as `a b`); the encoder
/// quotes it again when needed. The domain is a domain name, an address literal such as
/// `[192.0.2.1]` or `[IPv6:2001:db8::1]`, or empty for the special `<Postmaster>` recipient.
/// Source routes (`@a,@b:user@c`) are accepted by the decoder and dropped, as RFC 5321
/// section 4.1.1.3 allows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address<'a> {
    /// Local part, unquoted.
    pub local_part: Cow<'a, str>,
    /// Domain, address literal, or empty for `<Postmaster>`.
    pub domain: Cow<'a, str>,
}

/// `BODY=` values (RFC 6152, RFC 3030).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Body {
    /// `BODY=7BIT`.
    SevenBit,
    /// `BODY=8BITMIME`.
    EightBitMime,
    /// `BODY=BINARYMIME`.
    BinaryMime,
}

/// `RET=` values (RFC 3461).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ret {
    /// `RET=FULL`: return the whole message in a DSN.
    Full,
    /// `RET=HDRS`: return only the headers.
    Headers,
}

/// `NOTIFY=` (RFC 3461): either `NEVER` or a non-empty set of conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notify {
    /// `NOTIFY=NEVER`.
    Never,
    /// `NOTIFY=SUCCESS,FAILURE,DELAY` (any non-empty subset).
    On {
        /// `SUCCESS`.
        success: bool,
        /// `FAILURE`.
        failure: bool,
        /// `DELAY`.
        delay: bool,
    },
}

/// `ORCPT=addr-type;xtext` (RFC 3461), with the xtext decoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Orcpt<'a> {
    /// Address type, usually `rfc822` or `utf-8`.
    pub addr_type: Cow<'a, str>,
    /// The original recipient, xtext-decoded.
    pub address: Cow<'a, str>,
}

/// An unknown `KEYWORD[=value]` parameter, kept for the application to judge.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Param<'a> {
    /// Parameter keyword, as sent.
    pub keyword: Cow<'a, str>,
    /// Value, if any.
    pub value: Option<Cow<'a, str>>,
}

/// Parameters of `MAIL FROM`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailParams<'a> {
    /// `SIZE=` (RFC 1870).
    pub size: Option<u64>,
    /// `BODY=` (RFC 6152, RFC 3030).
    pub body: Option<Body>,
    /// `SMTPUTF8` (RFC 6531).
    pub smtputf8: bool,
    /// `RET=` (RFC 3461).
    pub ret: Option<Ret>,
    /// `ENVID=` (RFC 3461), xtext-decoded.
    pub envid: Option<Cow<'a, str>>,
    /// `REQUIRETLS` (RFC 8689).
    pub requiretls: bool,
    /// `AUTH=` (RFC 4954 section 5), xtext-decoded; `<>` is kept as the string `<>`.
    pub auth: Option<Cow<'a, str>>,
    /// Any other parameter.
    pub other: Vec<Param<'a>>,
}

/// Parameters of `RCPT TO`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RcptParams<'a> {
    /// `NOTIFY=` (RFC 3461).
    pub notify: Option<Notify>,
    /// `ORCPT=` (RFC 3461).
    pub orcpt: Option<Orcpt<'a>>,
    /// Any other parameter.
    pub other: Vec<Param<'a>>,
}
