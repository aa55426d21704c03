//! Single-line server responses: `+OK`, `-ERR` (with an optional RFC 2449 response code)
//! and the `+` SASL continuation of RFC 5034.

use std::borrow::Cow;
use std::fmt;

use super::SaslData;

/// One response line from the server.
///
/// Multi-line responses (LIST, RETR, CAPA, ...) start with a `+OK` line; the lines that
/// follow are framed by the dot-stuffing helpers in [`codec`](crate::codec), not here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response<'a> {
    /// `+OK [code] text`.
    Ok(Status<'a>),
    /// `-ERR [code] text`.
    Err(Status<'a>),
    /// `+ base64` (RFC 5034): a SASL challenge, decoded.
    Continue(SaslData),
}

/// The part of a status response after the indicator.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Status<'a> {
    /// The extended response code (RFC 2449 section 8), if any.
    pub code: Option<ResponseCode<'a>>,
    /// The human-readable text; never contains CR or LF (the encoder replaces them).
    pub text: Cow<'a, str>,
}

impl<'a> Status<'a> {
    /// A status with text and no response code.
    pub fn new(text: impl Into<Cow<'a, str>>) -> Self {
        Self {
            code: None,
            text: text.into(),
        }
    }

    /// A status with a response code.
    pub fn with_code(code: ResponseCode<'a>, text: impl Into<Cow<'a, str>>) -> Self {
        Self {
            code: Some(code),
            text: text.into(),
        }
    }

    /// Detaches the status from the buffer it was decoded from.
    pub fn into_owned(self) -> Status<'static> {
        Status {
            code: self.code.map(ResponseCode::into_owned),
            text: Cow::Owned(self.text.into_owned()),
        }
    }
}

impl Response<'_> {
    /// Whether this is `+OK`.
    pub fn is_ok(&self) -> bool {
        matches!(self, Self::Ok(_))
    }

    /// Detaches the response from the buffer it was decoded from.
    pub fn into_owned(self) -> Response<'static> {
        match self {
            Self::Ok(s) => Response::Ok(s.into_owned()),
            Self::Err(s) => Response::Err(s.into_owned()),
            Self::Continue(d) => Response::Continue(d),
        }
    }
}

/// An extended response code (RFC 2449 section 8, RFC 3206, RFC 6856), the text between
/// the brackets in `-ERR [IN-USE] ...`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseCode<'a> {
    /// `IN-USE`: the maildrop is locked by another session.
    InUse,
    /// `LOGIN-DELAY`: the user logs in more often than allowed.
    LoginDelay,
    /// `SYS/TEMP`: a temporary system problem (RFC 3206).
    SysTemp,
    /// `SYS/PERM`: a permanent system problem (RFC 3206).
    SysPerm,
    /// `AUTH`: a problem with the credentials or the kind of access (RFC 3206).
    Auth,
    /// `UTF8`: the operation needs UTF-8 support (RFC 6856).
    Utf8,
    /// Any other code, as sent (`resp-level *("/" resp-level)`).
    Other(Cow<'a, str>),
}

impl<'a> ResponseCode<'a> {
    /// The code as written between the brackets.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InUse => "IN-USE",
            Self::LoginDelay => "LOGIN-DELAY",
            Self::SysTemp => "SYS/TEMP",
            Self::SysPerm => "SYS/PERM",
            Self::Auth => "AUTH",
            Self::Utf8 => "UTF8",
            Self::Other(s) => s,
        }
    }

    /// Maps a code to a known variant (ignoring case), or [`ResponseCode::Other`].
    /// Returns `None` when `text` is not valid code syntax.
    pub fn parse(text: &'a str) -> Option<Self> {
        let valid_level = |level: &str| !level.is_empty() && level.bytes().all(is_rchar);
        if !text.split('/').all(valid_level) {
            return None;
        }
        let known = [
            Self::InUse,
            Self::LoginDelay,
            Self::SysTemp,
            Self::SysPerm,
            Self::Auth,
            Self::Utf8,
        ];
        Some(
            known
                .into_iter()
                .find(|k| k.as_str().eq_ignore_ascii_case(text))
                .unwrap_or(Self::Other(Cow::Borrowed(text))),
        )
    }

    /// Detaches the code from the buffer it was decoded from.
    pub fn into_owned(self) -> ResponseCode<'static> {
        match self {
            Self::InUse => ResponseCode::InUse,
            Self::LoginDelay => ResponseCode::LoginDelay,
            Self::SysTemp => ResponseCode::SysTemp,
            Self::SysPerm => ResponseCode::SysPerm,
            Self::Auth => ResponseCode::Auth,
            Self::Utf8 => ResponseCode::Utf8,
            Self::Other(s) => ResponseCode::Other(Cow::Owned(s.into_owned())),
        }
    }
}

impl fmt::Display for ResponseCode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `rchar` of RFC 2449: a visible character other than `/` and `]`.
pub(crate) const fn is_rchar(b: u8) -> bool {
    matches!(b, 0x21..=0x2E | 0x30..=0x5C | 0x5E..=0x7F)
}
