//! SMTP commands (RFC 5321 section 4.1 and the ESMTP extensions) as Rust values.
//!
//! Every string field holds text that the codec has already validated (no CR, LF or NUL,
//! no spaces where the grammar forbids them); the constructors in `codec` are the only way
//! bytes become these values, so an invalid command cannot be expressed by decoding.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::codec::b64;

/// One SMTP (or LMTP) command line.
///
/// `Debug` prints the AUTH initial response as `***` so that credentials do not reach logs.
#[derive(Clone, PartialEq, Eq)]
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
        /// The initial response, checked but still base64-encoded (`=` is the empty
        /// response); [`InitialResponse::decode`] gives its bytes.
        initial_response: Option<InitialResponse<'a>>,
    },
}

/// The initial response of `AUTH` (RFC 4954) as it travels: base64 text that the decoder
/// has checked (standard alphabet, canonical padding, exactly what
/// [`decode`](Self::decode) accepts) but not decoded, so that parsing the command neither
/// allocates nor decodes a response that may never be used.
///
/// Canonical base64 stands for exactly one byte string, so two responses are equal when
/// their bytes are. `Debug` prints `***`: the response usually holds credentials.
///
/// ```
/// use smtp_proto::types::InitialResponse;
///
/// let response = InitialResponse::from_decoded(b"\0user\0password");
/// assert_eq!(response.as_base64(), b"AHVzZXIAcGFzc3dvcmQ=");
/// assert_eq!(response.decode(), b"\0user\0password");
/// assert_eq!(format!("{response:?}"), "***");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct InitialResponse<'a> {
    /// Canonical base64; empty for the empty response (`=` on the wire).
    base64: Cow<'a, [u8]>,
}

impl<'a> InitialResponse<'a> {
    /// The response made of the bytes `decoded` (base64-encoded here), as a client sends it.
    pub fn from_decoded(decoded: &[u8]) -> InitialResponse<'static> {
        InitialResponse {
            base64: Cow::Owned(BASE64.encode(decoded).into_bytes()),
        }
    }

    /// Base64 text the codec has checked with [`b64::is_canonical`]; `=` is given as
    /// empty text.
    pub(crate) fn from_checked_base64(base64: &'a [u8]) -> Self {
        Self {
            base64: Cow::Borrowed(base64),
        }
    }

    /// The bytes the response stands for (empty for `=`).
    pub fn decode(&self) -> Vec<u8> {
        // Checked (or encoded) when the value was made, so this cannot fail.
        b64::decode(&self.base64).unwrap_or_default()
    }

    /// The base64 text; empty for the empty response, which is sent as `=`.
    pub fn as_base64(&self) -> &[u8] {
        &self.base64
    }

    /// Whether this is the empty response (`=`).
    pub fn is_empty(&self) -> bool {
        self.base64.is_empty()
    }

    /// Copies the text if it is borrowed.
    pub fn into_owned(self) -> InitialResponse<'static> {
        InitialResponse {
            base64: owned(self.base64),
        }
    }
}

impl std::fmt::Debug for InitialResponse<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
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

impl std::fmt::Debug for Command<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ehlo(d) => f.debug_tuple("Ehlo").field(d).finish(),
            Self::Helo(d) => f.debug_tuple("Helo").field(d).finish(),
            Self::Lhlo(d) => f.debug_tuple("Lhlo").field(d).finish(),
            Self::Mail(m) => f.debug_tuple("Mail").field(m).finish(),
            Self::Rcpt(r) => f.debug_tuple("Rcpt").field(r).finish(),
            Self::Data => f.write_str("Data"),
            Self::Bdat { size, last } => f
                .debug_struct("Bdat")
                .field("size", size)
                .field("last", last)
                .finish(),
            Self::Rset => f.write_str("Rset"),
            Self::Noop(s) => f.debug_tuple("Noop").field(s).finish(),
            Self::Quit => f.write_str("Quit"),
            Self::Vrfy(s) => f.debug_tuple("Vrfy").field(s).finish(),
            Self::Expn(s) => f.debug_tuple("Expn").field(s).finish(),
            Self::Help(s) => f.debug_tuple("Help").field(s).finish(),
            Self::StartTls => f.write_str("StartTls"),
            Self::Auth {
                mechanism,
                initial_response,
            } => f
                .debug_struct("Auth")
                .field("mechanism", mechanism)
                .field(
                    "initial_response",
                    &initial_response.as_ref().map(|_| "***"),
                )
                .finish(),
        }
    }
}

fn owned<T: ToOwned + ?Sized>(cow: Cow<'_, T>) -> Cow<'static, T> {
    Cow::Owned(cow.into_owned())
}

impl Command<'_> {
    /// Copies every borrowed field so the command outlives the input buffer.
    pub fn into_owned(self) -> Command<'static> {
        match self {
            Self::Ehlo(d) => Command::Ehlo(owned(d)),
            Self::Helo(d) => Command::Helo(owned(d)),
            Self::Lhlo(d) => Command::Lhlo(owned(d)),
            Self::Mail(m) => Command::Mail(m.into_owned()),
            Self::Rcpt(r) => Command::Rcpt(r.into_owned()),
            Self::Data => Command::Data,
            Self::Bdat { size, last } => Command::Bdat { size, last },
            Self::Rset => Command::Rset,
            Self::Noop(s) => Command::Noop(s.map(owned)),
            Self::Quit => Command::Quit,
            Self::Vrfy(s) => Command::Vrfy(owned(s)),
            Self::Expn(s) => Command::Expn(owned(s)),
            Self::Help(s) => Command::Help(s.map(owned)),
            Self::StartTls => Command::StartTls,
            Self::Auth {
                mechanism,
                initial_response,
            } => Command::Auth {
                mechanism: owned(mechanism),
                initial_response: initial_response.map(InitialResponse::into_owned),
            },
        }
    }

    /// The command verb in upper case, e.g. `"MAIL"`.
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Ehlo(_) => "EHLO",
            Self::Helo(_) => "HELO",
            Self::Lhlo(_) => "LHLO",
            Self::Mail(_) => "MAIL",
            Self::Rcpt(_) => "RCPT",
            Self::Data => "DATA",
            Self::Bdat { .. } => "BDAT",
            Self::Rset => "RSET",
            Self::Noop(_) => "NOOP",
            Self::Quit => "QUIT",
            Self::Vrfy(_) => "VRFY",
            Self::Expn(_) => "EXPN",
            Self::Help(_) => "HELP",
            Self::StartTls => "STARTTLS",
            Self::Auth { .. } => "AUTH",
        }
    }
}

impl<'a> Address<'a> {
    /// An address `local_part@domain`. The caller is responsible for valid text; the
    /// encoder quotes the local part when it is not a dot-string.
    pub fn new(local_part: impl Into<Cow<'a, str>>, domain: impl Into<Cow<'a, str>>) -> Self {
        Self {
            local_part: local_part.into(),
            domain: domain.into(),
        }
    }

    /// The special recipient `<Postmaster>` without a domain (RFC 5321 section 4.1.1.3).
    pub fn postmaster() -> Self {
        Self::new("Postmaster", "")
    }

    /// Whether this is `<Postmaster>` without a domain.
    pub fn is_bare_postmaster(&self) -> bool {
        self.domain.is_empty() && self.local_part.eq_ignore_ascii_case("postmaster")
    }

    /// Copies every borrowed field.
    pub fn into_owned(self) -> Address<'static> {
        Address {
            local_part: owned(self.local_part),
            domain: owned(self.domain),
        }
    }
}

impl std::fmt::Display for Address<'_> {
    /// Writes `local@domain` (or just the local part for `<Postmaster>`), unquoted.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.domain.is_empty() {
            f.write_str(&self.local_part)
        } else {
            write!(f, "{}@{}", self.local_part, self.domain)
        }
    }
}

impl MailFrom<'_> {
    /// Copies every borrowed field.
    pub fn into_owned(self) -> MailFrom<'static> {
        MailFrom {
            sender: self.sender.map(Address::into_owned),
            params: self.params.into_owned(),
        }
    }
}

impl RcptTo<'_> {
    /// Copies every borrowed field.
    pub fn into_owned(self) -> RcptTo<'static> {
        RcptTo {
            recipient: self.recipient.into_owned(),
            params: self.params.into_owned(),
        }
    }
}

impl Orcpt<'_> {
    /// Copies every borrowed field.
    pub fn into_owned(self) -> Orcpt<'static> {
        Orcpt {
            addr_type: owned(self.addr_type),
            address: owned(self.address),
        }
    }
}

impl Param<'_> {
    /// Copies every borrowed field.
    pub fn into_owned(self) -> Param<'static> {
        Param {
            keyword: owned(self.keyword),
            value: self.value.map(owned),
        }
    }
}

impl MailParams<'_> {
    /// Copies every borrowed field.
    pub fn into_owned(self) -> MailParams<'static> {
        MailParams {
            size: self.size,
            body: self.body,
            smtputf8: self.smtputf8,
            ret: self.ret,
            envid: self.envid.map(owned),
            requiretls: self.requiretls,
            auth: self.auth.map(owned),
            other: self.other.into_iter().map(Param::into_owned).collect(),
        }
    }
}

impl RcptParams<'_> {
    /// Copies every borrowed field.
    pub fn into_owned(self) -> RcptParams<'static> {
        RcptParams {
            notify: self.notify,
            orcpt: self.orcpt.map(Orcpt::into_owned),
            other: self.other.into_iter().map(Param::into_owned).collect(),
        }
    }
}
