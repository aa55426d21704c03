//! ManageSieve values that cannot be invalid: script names, response codes, statuses,
//! parsed commands and SASL data.

use std::fmt;

use bytes::Bytes;

/// Most Unicode characters in a script name. RFC 5804 section 1.6 asks servers to allow
/// at least 128.
pub(crate) const MAX_NAME_CHARS: usize = 128;

/// Most octets in a script name: with `.sieve` and a temporary suffix the file name
/// stays below the 255 octets most file systems allow.
pub(crate) const MAX_NAME_BYTES: usize = 200;

/// Why a script name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum NameError {
    /// The name is empty (only `SETACTIVE ""` accepts that, to deactivate).
    #[error("the script name is empty")]
    Empty,
    /// Longer than [`MAX_NAME_CHARS`] characters or [`MAX_NAME_BYTES`] octets.
    #[error("the script name is too long")]
    TooLong,
    /// Not UTF-8.
    #[error("the script name is not valid UTF-8")]
    NotUtf8,
    /// A control character (RFC 5804 section 1.6) or a line or paragraph separator.
    #[error("the script name contains a control character")]
    ControlCharacter,
    /// A `/`, which would leave the script directory.
    #[error("the script name contains '/'")]
    Slash,
    /// A leading `.`, reserved for hidden files (and `.`, `..`).
    #[error("the script name starts with '.'")]
    LeadingDot,
}

/// A script name that RFC 5804 section 1.6 allows and that is a safe file name:
/// `NAME.sieve` always stays inside the user's script directory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ScriptName(String);

impl ScriptName {
    /// Checks `name`.
    pub(crate) fn new(name: &str) -> Result<Self, NameError> {
        if name.is_empty() {
            return Err(NameError::Empty);
        }
        if name.len() > MAX_NAME_BYTES || name.chars().count() > MAX_NAME_CHARS {
            return Err(NameError::TooLong);
        }
        if name.chars().any(is_forbidden_char) {
            return Err(NameError::ControlCharacter);
        }
        if name.contains('/') {
            return Err(NameError::Slash);
        }
        if name.starts_with('.') {
            return Err(NameError::LeadingDot);
        }
        Ok(Self(name.to_owned()))
    }

    /// Checks `bytes` as a UTF-8 name.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<Self, NameError> {
        let text = std::str::from_utf8(bytes).map_err(|_| NameError::NotUtf8)?;
        Self::new(text)
    }

    /// The name.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ScriptName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The characters RFC 5804 section 1.6 excludes from script names.
fn is_forbidden_char(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}')
}

/// A response code (RFC 5804 section 1.3), sent in parentheses after OK, NO or BYE.
/// Only the codes this server sends: AUTH-TOO-WEAK and TRANSITION-NEEDED would tell
/// a client which users exist, and scripts never compile with warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum ResponseCode {
    /// The mechanism needs an encrypted connection (plaintext before TLS).
    EncryptNeeded,
    /// Over a storage quota.
    Quota,
    /// Over the number of scripts allowed.
    QuotaMaxScripts,
    /// The script is larger than allowed.
    QuotaMaxSize,
    /// A temporary failure: try again later.
    TryLater,
    /// The script is active and cannot be deleted.
    Active,
    /// No script of that name.
    NonExistent,
    /// A script of that name exists already.
    AlreadyExists,
    /// The client's NOOP tag, echoed.
    Tag(Vec<u8>),
}

/// The text and response code of an OK, NO or BYE line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Status {
    /// The response code, if any.
    pub(crate) code: Option<ResponseCode>,
    /// Human-readable text (quoted, or a literal when it has line breaks).
    pub(crate) text: Option<String>,
}

impl Status {
    /// A status with `text` and no code.
    pub(crate) fn new(text: impl Into<String>) -> Self {
        Self {
            code: None,
            text: Some(text.into()),
        }
    }

    /// A status with `code` and `text`.
    pub(crate) fn with_code(code: ResponseCode, text: impl Into<String>) -> Self {
        Self {
            code: Some(code),
            text: Some(text.into()),
        }
    }
}

/// Decoded SASL bytes from the client (they may carry a password): `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SaslData(pub(crate) Vec<u8>);

impl SaslData {
    /// The bytes.
    pub(crate) fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SaslData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A command from the client (RFC 5804 section 2), parsed and validated.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum Command {
    /// `AUTHENTICATE mechanism [initial-response]`.
    Authenticate {
        /// The mechanism, upper-cased.
        mechanism: String,
        /// The decoded initial response, if one was sent (`""` is an empty one).
        initial: Option<SaslData>,
    },
    /// `STARTTLS`.
    StartTls,
    /// `LOGOUT`.
    Logout,
    /// `CAPABILITY`.
    Capability,
    /// `NOOP [tag]`.
    Noop {
        /// The tag to echo in `OK (TAG ...)`.
        tag: Option<Vec<u8>>,
    },
    /// `HAVESPACE name size`.
    HaveSpace {
        /// The script to be stored.
        name: ScriptName,
        /// Its size in octets.
        size: u64,
    },
    /// `PUTSCRIPT name content`.
    PutScript {
        /// The script name.
        name: ScriptName,
        /// The script.
        content: Bytes,
    },
    /// `LISTSCRIPTS`.
    ListScripts,
    /// `SETACTIVE name`; `None` for `""` (deactivate).
    SetActive {
        /// The script to activate.
        name: Option<ScriptName>,
    },
    /// `GETSCRIPT name`.
    GetScript {
        /// The script name.
        name: ScriptName,
    },
    /// `DELETESCRIPT name`.
    DeleteScript {
        /// The script name.
        name: ScriptName,
    },
    /// `RENAMESCRIPT old new`.
    RenameScript {
        /// The current name.
        from: ScriptName,
        /// The new name.
        to: ScriptName,
    },
    /// `CHECKSCRIPT content`.
    CheckScript {
        /// The script to check.
        content: Bytes,
    },
    /// `UNAUTHENTICATE`.
    Unauthenticate,
}

impl Command {
    /// Whether the command needs an authenticated session.
    pub(crate) fn needs_auth(&self) -> bool {
        matches!(
            self,
            Self::HaveSpace { .. }
                | Self::PutScript { .. }
                | Self::ListScripts
                | Self::SetActive { .. }
                | Self::GetScript { .. }
                | Self::DeleteScript { .. }
                | Self::RenameScript { .. }
                | Self::CheckScript { .. }
                | Self::Unauthenticate
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_rfc_5804_and_stay_in_their_directory() {
        for good in [
            "vacation",
            "my script",
            "Ferien ÄÖÜ",
            "a.b.sieve",
            "x..y",
            "*",
        ] {
            assert_eq!(ScriptName::new(good).unwrap().as_str(), good);
        }
        let cases = [
            ("", NameError::Empty),
            ("a/b", NameError::Slash),
            ("../etc/passwd", NameError::Slash),
            (".hidden", NameError::LeadingDot),
            ("..", NameError::LeadingDot),
            ("a\nb", NameError::ControlCharacter),
            ("a\0b", NameError::ControlCharacter),
            ("tab\there", NameError::ControlCharacter),
            ("del\u{7f}", NameError::ControlCharacter),
            ("c1\u{85}", NameError::ControlCharacter),
            ("line\u{2028}sep", NameError::ControlCharacter),
            ("para\u{2029}sep", NameError::ControlCharacter),
        ];
        for (name, error) in cases {
            assert_eq!(ScriptName::new(name), Err(error), "{name:?}");
        }
        assert_eq!(ScriptName::from_bytes(b"caf\xe9"), Err(NameError::NotUtf8));
    }

    #[test]
    fn names_are_limited_in_characters_and_octets() {
        assert!(ScriptName::new(&"a".repeat(MAX_NAME_CHARS)).is_ok());
        assert_eq!(
            ScriptName::new(&"a".repeat(MAX_NAME_CHARS + 1)),
            Err(NameError::TooLong)
        );
        // 100 two-octet characters: 200 octets, allowed; 101 are 202 octets.
        assert!(ScriptName::new(&"é".repeat(100)).is_ok());
        assert_eq!(ScriptName::new(&"é".repeat(101)), Err(NameError::TooLong));
    }

    #[test]
    fn sasl_data_is_not_printed() {
        assert_eq!(format!("{:?}", SaslData(b"\0user\0secret".to_vec())), "***");
    }
}
