//! Dovecot password schemes: `{SCHEME}data` strings, verification, hashing.
//!
//! A stored password is parsed once into a [`StoredPassword`]; parsing checks the
//! whole structure, so a malformed or unknown entry is a [`SchemeError`] at parse
//! time and [`StoredPassword::verify`] only answers yes or no (in constant time
//! with respect to the secret data). New hashes come from a [`HashPolicy`], which
//! also says when a stored hash [should be upgraded](HashPolicy::needs_upgrade).
//!
//! Hashing and verifying are deliberately slow, blocking CPU work (an ARGON2ID
//! verification with the default costs takes tens of milliseconds and 64 MiB).
//! An async server must run them off its async workers (`spawn_blocking` with a
//! bounded number of concurrent jobs).
//!
//! # Encodings
//!
//! Like Dovecot, a scheme name may carry an encoding suffix: `{SHA256.HEX}`,
//! `{SSHA512.B64}` (also `.BASE64`), case-insensitive. Without a suffix, the
//! scheme's default applies: crypt-style schemes and `PLAIN` store text as is,
//! digests are base64, `PLAIN-MD5` is hex. For the unsalted digests (`SHA`,
//! `SHA256`, `SHA512`, `PLAIN-MD5`, `LDAP-MD5`) Dovecot guesses: data exactly
//! twice the digest length is hex, anything else base64; so do we.

mod crypt;
mod digest;
mod md5_crypt;
mod policy;
mod stored;

pub use policy::{Argon2Costs, HashPolicy};
pub use stored::StoredPassword;

use std::fmt;
use std::str::FromStr;

/// A password scheme, as Dovecot names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// `ARGON2ID`: PHC string `$argon2id$v=19$m=..,t=..,p=..$salt$hash`.
    Argon2id,
    /// `ARGON2I`: PHC string `$argon2i$...`.
    Argon2i,
    /// `BLF-CRYPT`: bcrypt, `$2y$`, `$2b$` or `$2a$`.
    BlfCrypt,
    /// `SHA512-CRYPT`: `$6$[rounds=N$]salt$hash`.
    Sha512Crypt,
    /// `SHA256-CRYPT`: `$5$[rounds=N$]salt$hash`.
    Sha256Crypt,
    /// `MD5-CRYPT` (alias `MD5`): `$1$salt$hash`. Verify only.
    Md5Crypt,
    /// `CRYPT`: any supported crypt(3) string, recognised by its `$id$` prefix.
    /// Only a name to parse with; a parsed password reports the concrete scheme.
    Crypt,
    /// `SCRAM-SHA-256`: `iterations,salt,StoredKey,ServerKey` (base64 fields).
    ScramSha256,
    /// `SCRAM-SHA-1`: like `SCRAM-SHA-256` with SHA-1.
    ScramSha1,
    /// `SSHA512`: base64(SHA-512(password || salt) || salt).
    Ssha512,
    /// `SSHA256`: base64(SHA-256(password || salt) || salt).
    Ssha256,
    /// `SSHA`: base64(SHA-1(password || salt) || salt).
    Ssha,
    /// `SMD5`: base64(MD5(password || salt) || salt).
    Smd5,
    /// `SHA512`: unsalted SHA-512, base64. Verify only.
    Sha512,
    /// `SHA256`: unsalted SHA-256, base64. Verify only.
    Sha256,
    /// `SHA` (alias `SHA1`): unsalted SHA-1, base64. Verify only.
    Sha1,
    /// `PLAIN-MD5`: unsalted MD5, hex. Verify only.
    PlainMd5,
    /// `LDAP-MD5`: unsalted MD5, base64. Verify only.
    LdapMd5,
    /// `PLAIN` (aliases `CLEAR`, `CLEARTEXT`): the password itself.
    Plain,
}

/// How the scheme's bytes are written in the stored string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// The data is written as is (crypt strings, `PLAIN`).
    Raw,
    /// Lower- or upper-case hexadecimal (`.HEX`).
    Hex,
    /// Standard base64 with padding (`.B64`, `.BASE64`).
    Base64,
}

/// A scheme name with an optional encoding suffix, e.g. `SHA256.HEX`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SchemeSpec {
    /// The scheme.
    pub scheme: Scheme,
    /// The encoding given by a suffix; `None` means the scheme's default.
    pub encoding: Option<Encoding>,
}

/// Why a stored password or a scheme name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemeError {
    /// The `{SCHEME}` name (or the encoding suffix) is not known.
    #[error("unknown password scheme {name:?}")]
    UnknownScheme {
        /// The name as written.
        name: String,
    },
    /// A `{` without the closing `}`.
    #[error("unterminated {{SCHEME}} prefix")]
    UnterminatedPrefix,
    /// A crypt(3) string whose algorithm is not supported (DES, yescrypt, ...),
    /// or text that is no crypt string where one was expected.
    #[error("unsupported or unrecognised crypt string")]
    UnsupportedCrypt,
    /// The data does not have the structure the scheme requires.
    #[error("malformed {scheme} password: {reason}")]
    Malformed {
        /// The scheme's canonical name.
        scheme: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The scheme can be verified but new hashes are not made with it.
    #[error("{scheme} is verify-only; no new hashes are made with it")]
    VerifyOnly {
        /// The scheme's canonical name.
        scheme: &'static str,
    },
    /// A cost parameter is out of the range the algorithm (or our limits) accept.
    #[error("invalid cost for {scheme}: {reason}")]
    InvalidCost {
        /// The scheme's canonical name.
        scheme: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The operating system's random source failed.
    #[error("random source failed")]
    Random,
}

impl Scheme {
    /// Every scheme, strongest first (the order of [`Scheme::strength`]).
    pub const ALL: [Self; 19] = [
        Self::Argon2id,
        Self::Argon2i,
        Self::BlfCrypt,
        Self::Sha512Crypt,
        Self::Sha256Crypt,
        Self::ScramSha256,
        Self::ScramSha1,
        Self::Md5Crypt,
        Self::Crypt,
        Self::Ssha512,
        Self::Ssha256,
        Self::Ssha,
        Self::Smd5,
        Self::Sha512,
        Self::Sha256,
        Self::Sha1,
        Self::PlainMd5,
        Self::LdapMd5,
        Self::Plain,
    ];

    /// The canonical (Dovecot) name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Argon2id => "ARGON2ID",
            Self::Argon2i => "ARGON2I",
            Self::BlfCrypt => "BLF-CRYPT",
            Self::Sha512Crypt => "SHA512-CRYPT",
            Self::Sha256Crypt => "SHA256-CRYPT",
            Self::Md5Crypt => "MD5-CRYPT",
            Self::Crypt => "CRYPT",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha1 => "SCRAM-SHA-1",
            Self::Ssha512 => "SSHA512",
            Self::Ssha256 => "SSHA256",
            Self::Ssha => "SSHA",
            Self::Smd5 => "SMD5",
            Self::Sha512 => "SHA512",
            Self::Sha256 => "SHA256",
            Self::Sha1 => "SHA",
            Self::PlainMd5 => "PLAIN-MD5",
            Self::LdapMd5 => "LDAP-MD5",
            Self::Plain => "PLAIN",
        }
    }

    /// Looks a name up, case-insensitively, including Dovecot's aliases
    /// (`SHA1`, `MD5`, `CLEAR`, `CLEARTEXT`). No encoding suffix here.
    pub fn from_name(name: &str) -> Option<Self> {
        let alias = match name.to_ascii_uppercase().as_str() {
            "SHA1" => Some(Self::Sha1),
            "MD5" => Some(Self::Md5Crypt),
            "CLEAR" | "CLEARTEXT" => Some(Self::Plain),
            _ => None,
        };
        alias.or_else(|| {
            Self::ALL
                .into_iter()
                .find(|s| s.name().eq_ignore_ascii_case(name))
        })
    }

    /// The encoding used when the name has no suffix.
    pub const fn default_encoding(self) -> Encoding {
        match self {
            Self::Ssha512
            | Self::Ssha256
            | Self::Ssha
            | Self::Smd5
            | Self::Sha512
            | Self::Sha256
            | Self::Sha1
            | Self::LdapMd5 => Encoding::Base64,
            Self::PlainMd5 => Encoding::Hex,
            _ => Encoding::Raw,
        }
    }

    /// A rough strength rank (higher is stronger) used to decide upgrades:
    /// cleartext and unsalted digests 0, salted digests and MD5-CRYPT 1,
    /// SCRAM and SHA-CRYPT 2, BLF-CRYPT and ARGON2I 3, ARGON2ID 4.
    pub const fn strength(self) -> u8 {
        match self {
            Self::Argon2id => 4,
            Self::Argon2i | Self::BlfCrypt => 3,
            Self::Sha512Crypt | Self::Sha256Crypt | Self::ScramSha256 | Self::ScramSha1 => 2,
            Self::Md5Crypt | Self::Ssha512 | Self::Ssha256 | Self::Ssha | Self::Smd5 => 1,
            Self::Crypt
            | Self::Sha512
            | Self::Sha256
            | Self::Sha1
            | Self::PlainMd5
            | Self::LdapMd5
            | Self::Plain => 0,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scheme {
    type Err = SchemeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s).ok_or_else(|| SchemeError::UnknownScheme { name: s.to_owned() })
    }
}

impl Encoding {
    /// The suffix Dovecot writes (`HEX`, `B64`), or `None` for [`Encoding::Raw`].
    pub const fn suffix(self) -> Option<&'static str> {
        match self {
            Self::Raw => None,
            Self::Hex => Some("HEX"),
            Self::Base64 => Some("B64"),
        }
    }

    fn from_suffix(suffix: &str) -> Option<Self> {
        match suffix.to_ascii_uppercase().as_str() {
            "HEX" => Some(Self::Hex),
            "B64" | "BASE64" => Some(Self::Base64),
            _ => None,
        }
    }
}

impl SchemeSpec {
    /// The scheme with its default encoding.
    pub const fn new(scheme: Scheme) -> Self {
        Self {
            scheme,
            encoding: None,
        }
    }

    /// The encoding that applies: the suffix's, or the scheme's default.
    pub const fn effective_encoding(self) -> Encoding {
        match self.encoding {
            Some(e) => e,
            None => self.scheme.default_encoding(),
        }
    }
}

impl From<Scheme> for SchemeSpec {
    fn from(scheme: Scheme) -> Self {
        Self::new(scheme)
    }
}

impl fmt::Display for SchemeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.scheme.name())?;
        match self.encoding.and_then(Encoding::suffix) {
            Some(suffix) => write!(f, ".{suffix}"),
            None => Ok(()),
        }
    }
}

impl FromStr for SchemeSpec {
    type Err = SchemeError;

    /// Parses `NAME` or `NAME.HEX` / `NAME.B64` / `NAME.BASE64`, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || SchemeError::UnknownScheme { name: s.to_owned() };
        if let Some(scheme) = Scheme::from_name(s) {
            return Ok(Self::new(scheme));
        }
        let (name, suffix) = s.rsplit_once('.').ok_or_else(unknown)?;
        let encoding = Encoding::from_suffix(suffix).ok_or_else(unknown)?;
        let scheme = Scheme::from_name(name).ok_or_else(unknown)?;
        Ok(Self {
            scheme,
            encoding: Some(encoding),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_aliases() {
        for s in Scheme::ALL {
            assert_eq!(Scheme::from_name(s.name()), Some(s));
            assert_eq!(Scheme::from_name(&s.name().to_lowercase()), Some(s));
        }
        assert_eq!(Scheme::from_name("sha1"), Some(Scheme::Sha1));
        assert_eq!(Scheme::from_name("Md5"), Some(Scheme::Md5Crypt));
        assert_eq!(Scheme::from_name("CLEARTEXT"), Some(Scheme::Plain));
        assert_eq!(Scheme::from_name("clear"), Some(Scheme::Plain));
        assert_eq!(Scheme::from_name("DES-CRYPT"), None);
    }

    #[test]
    fn spec_suffixes() {
        let spec: SchemeSpec = "sha256.hex".parse().unwrap();
        assert_eq!(spec.scheme, Scheme::Sha256);
        assert_eq!(spec.encoding, Some(Encoding::Hex));
        assert_eq!(spec.to_string(), "SHA256.HEX");
        let spec: SchemeSpec = "SSHA512.BASE64".parse().unwrap();
        assert_eq!(spec.to_string(), "SSHA512.B64");
        assert_eq!(spec.effective_encoding(), Encoding::Base64);
        assert!(matches!(
            "SHA256.ROT13".parse::<SchemeSpec>(),
            Err(SchemeError::UnknownScheme { .. })
        ));
        assert!("NOPE.HEX".parse::<SchemeSpec>().is_err());
        assert_eq!(
            "PLAIN-MD5"
                .parse::<SchemeSpec>()
                .unwrap()
                .effective_encoding(),
            Encoding::Hex
        );
    }
}
