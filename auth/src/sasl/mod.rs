//! SASL mechanisms as Sans-IO state machines, for servers and clients.
//!
//! Messages are raw bytes: base64 framing (`AUTHENTICATE`, `AUTH`, `334`/`+`
//! continuations, `*` to cancel) belongs to the protocol crates. A
//! [`ServerMechanism`] is driven with [`start`](ServerMechanism::start),
//! [`step`](ServerMechanism::step) and [`answer`](ServerMechanism::answer); a
//! [`ClientMechanism`] with [`initial_response`](ClientMechanism::initial_response),
//! [`step`](ClientMechanism::step) and [`finish`](ClientMechanism::finish).
//!
//! Supported: `PLAIN` (RFC 4616), `LOGIN`, `CRAM-MD5` (RFC 2195),
//! `SCRAM-SHA-1`, `SCRAM-SHA-256` and their `-PLUS` variants (RFC 5802,
//! RFC 7677), `OAUTHBEARER` (RFC 7628), `XOAUTH2` (Google), `EXTERNAL`
//! (RFC 4422 appendix A).

mod client;
mod cram_md5;
mod external;
mod login;
mod oauth;
mod plain;
mod scram_client;
mod scram_msg;
mod scram_server;
mod server;

pub use client::{ClientMechanism, ScramClientOptions};
pub use oauth::OAuthError;
pub use plain::{PlainMessage, decode_plain, encode_plain};
pub use server::{Answer, CredentialRequest, ServerMechanism, ServerOptions, ServerStep, Success};

use crate::saslprep::PrepError;
use crate::scheme::Scheme;
use std::fmt;
use std::str::FromStr;

/// Default bound on one SASL message, in bytes (OAuth tokens can be a few KiB).
pub const DEFAULT_MAX_MESSAGE_LEN: usize = 64 * 1024;

/// A SASL mechanism.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mechanism {
    /// `PLAIN` (RFC 4616).
    Plain,
    /// `LOGIN` (de-facto: "Username:" / "Password:").
    Login,
    /// `CRAM-MD5` (RFC 2195).
    CramMd5,
    /// `SCRAM-SHA-1` (RFC 5802).
    ScramSha1,
    /// `SCRAM-SHA-1-PLUS`: with channel binding.
    ScramSha1Plus,
    /// `SCRAM-SHA-256` (RFC 7677).
    ScramSha256,
    /// `SCRAM-SHA-256-PLUS`: with channel binding.
    ScramSha256Plus,
    /// `OAUTHBEARER` (RFC 7628).
    OAuthBearer,
    /// `XOAUTH2` (Google's format).
    XOAuth2,
    /// `EXTERNAL` (RFC 4422 appendix A).
    External,
}

impl Mechanism {
    /// All mechanisms.
    pub const ALL: [Self; 10] = [
        Self::Plain,
        Self::Login,
        Self::CramMd5,
        Self::ScramSha1,
        Self::ScramSha1Plus,
        Self::ScramSha256,
        Self::ScramSha256Plus,
        Self::OAuthBearer,
        Self::XOAuth2,
        Self::External,
    ];

    /// The registered name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Plain => "PLAIN",
            Self::Login => "LOGIN",
            Self::CramMd5 => "CRAM-MD5",
            Self::ScramSha1 => "SCRAM-SHA-1",
            Self::ScramSha1Plus => "SCRAM-SHA-1-PLUS",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha256Plus => "SCRAM-SHA-256-PLUS",
            Self::OAuthBearer => "OAUTHBEARER",
            Self::XOAuth2 => "XOAUTH2",
            Self::External => "EXTERNAL",
        }
    }

    /// Looks a name up, case-insensitively.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }

    /// Whether the client sends the first message (so it may use an initial response).
    pub const fn client_first(self) -> bool {
        !matches!(self, Self::Login | Self::CramMd5)
    }

    /// Whether the password crosses the wire in the clear (offer only over TLS).
    pub const fn sends_cleartext(self) -> bool {
        matches!(self, Self::Plain | Self::Login)
    }

    /// Whether the mechanism uses channel binding (`-PLUS`).
    pub const fn is_plus(self) -> bool {
        matches!(self, Self::ScramSha1Plus | Self::ScramSha256Plus)
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mechanism {
    type Err = SaslError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s).ok_or_else(|| SaslError::UnknownMechanism { name: s.to_owned() })
    }
}

/// Channel-binding data of the TLS connection, given by the application
/// (RFC 5929 `tls-server-end-point`, RFC 9266 `tls-exporter`).
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelBinding {
    /// The channel-binding type name, e.g. `tls-exporter`.
    pub kind: String,
    /// The channel-binding data for this connection.
    pub data: Vec<u8>,
}

impl ChannelBinding {
    /// A binding of type `kind` with `data`.
    pub fn new(kind: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        Self {
            kind: kind.into(),
            data: data.into(),
        }
    }
}

impl fmt::Debug for ChannelBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelBinding")
            .field("kind", &self.kind)
            .field("data_len", &self.data.len())
            .finish()
    }
}

/// Why a SASL exchange failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// The mechanism name is not supported.
    #[error("unknown SASL mechanism {name:?}")]
    UnknownMechanism {
        /// The name as given.
        name: String,
    },
    /// A message does not follow the mechanism's grammar.
    #[error("malformed {mechanism} message: {reason}")]
    Malformed {
        /// The mechanism name.
        mechanism: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// A message is longer than the configured bound.
    #[error("SASL message of {len} bytes exceeds the limit of {max}")]
    TooLong {
        /// The message length.
        len: usize,
        /// The configured bound.
        max: usize,
    },
    /// A method was called in a state where it makes no sense (e.g. `step` while
    /// the mechanism waits for an [`Answer`], or anything after the end).
    #[error("SASL call out of order: {0}")]
    OutOfOrder(&'static str),
    /// The mechanism does not take an initial response (CRAM-MD5).
    #[error("{mechanism} does not allow an initial response")]
    UnexpectedInitialResponse {
        /// The mechanism name.
        mechanism: &'static str,
    },
    /// Wrong password, unknown user, invalid token or proof.
    #[error("authentication failed")]
    AuthenticationFailed,
    /// The answer does not fit the request (e.g. SCRAM keys for PLAIN).
    #[error("answer does not fit the credential request: {0}")]
    WrongAnswer(&'static str),
    /// The stored password cannot serve this mechanism (CRAM-MD5 needs the
    /// cleartext, SCRAM needs the cleartext or SCRAM keys of the same hash).
    #[error("a {scheme} password cannot be used with {mechanism}")]
    CredentialsUnusable {
        /// The stored password's scheme.
        scheme: Scheme,
        /// The mechanism name.
        mechanism: &'static str,
    },
    /// Channel binding was required but missing, of an unsupported type, did not
    /// match, or a downgrade was detected.
    #[error("channel binding failure: {0}")]
    ChannelBinding(&'static str),
    /// EXTERNAL was used but the application gave no external identity.
    #[error("no external identity is established")]
    NoExternalIdentity,
    /// The server reported an error (SCRAM `e=`).
    #[error("server error: {0}")]
    ServerError(String),
    /// The server failed to prove it knows the credentials (SCRAM `v=`), or
    /// reported success too early.
    #[error("the server could not be authenticated")]
    ServerNotAuthenticated,
    /// The server asked for more work than the client allows (SCRAM iterations).
    #[error("server parameters refused: {0}")]
    ParametersRefused(&'static str),
    /// The operating system's random source failed.
    #[error("random source failed")]
    Random,
    /// A user name or password cannot be prepared with SASLprep (SCRAM,
    /// RFC 5802 section 5.1). The error never shows the text.
    #[error("the {what} cannot be prepared with SASLprep: {error}")]
    Prep {
        /// What was being prepared: `user name`, `password` or `stored password`.
        what: &'static str,
        /// Why it cannot be prepared.
        error: PrepError,
    },
}

/// Random printable nonce material (base64 of `len` random bytes).
pub(crate) fn random_nonce(len: usize) -> Result<String, SaslError> {
    use base64::Engine as _;
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(|_| SaslError::Random)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// `Malformed` for `mechanism`.
pub(crate) fn malformed(mechanism: Mechanism, reason: &'static str) -> SaslError {
    SaslError::Malformed {
        mechanism: mechanism.name(),
        reason,
    }
}

/// UTF-8 text, or a `Malformed` error.
pub(crate) fn utf8(mechanism: Mechanism, bytes: &[u8]) -> Result<String, SaslError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| malformed(mechanism, "not valid UTF-8"))
}
