//! [`StoredPassword`]: a parsed `{SCHEME}data` string.

use super::crypt::{Argon2Hash, BcryptHash, CryptKind, Md5CryptHash, ShaCryptHash};
use super::digest::DigestAlg;
use super::{Encoding, Scheme, SchemeError, SchemeSpec};
use crate::Password;
use crate::scram::{ScramCredentials, ScramHash};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use std::fmt;
use std::str::FromStr;
use subtle::ConstantTimeEq as _;

/// A stored password as found in a password database, parsed and validated.
///
/// ```
/// use auth::{Scheme, StoredPassword};
///
/// // Made by `doveadm pw -s SSHA256 -p test`.
/// let stored: StoredPassword = "{SSHA256}IzD4lt/elDIVgj8uvU1NrZhncFlzdp51KBtgijf2eCaHpahA".parse()?;
/// assert_eq!(stored.scheme(), Scheme::Ssha256);
/// assert!(stored.verify("test"));
/// assert!(!stored.verify("Test"));
/// # Ok::<(), auth::SchemeError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct StoredPassword {
    spec: SchemeSpec,
    text: String,
    data: Data,
}

/// The validated, decoded content, per scheme family.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Data {
    Argon2(Argon2Hash),
    Bcrypt(BcryptHash),
    ShaCrypt(ShaCryptHash),
    Md5Crypt(Md5CryptHash),
    Scram(ScramCredentials),
    Salted {
        alg: DigestAlg,
        digest: Vec<u8>,
        salt: Vec<u8>,
    },
    Digest {
        alg: DigestAlg,
        digest: Vec<u8>,
    },
    Plain(Password),
}

impl StoredPassword {
    /// Parses a stored string; one without a `{SCHEME}` prefix is taken as a
    /// crypt(3) string (Dovecot's `default_pass_scheme = CRYPT`), recognised by
    /// its prefix: `$argon2id$`, `$argon2i$`, `$2y$`/`$2b$`/`$2a$`, `$6$`, `$5$`, `$1$`.
    pub fn parse(s: &str) -> Result<Self, SchemeError> {
        Self::parse_with_default(s, SchemeSpec::new(Scheme::Crypt))
    }

    /// Parses a stored string, applying `default` (Dovecot's `default_pass_scheme`)
    /// when there is no `{SCHEME}` prefix.
    ///
    /// As in Dovecot, a string starting with `$1$` is always MD5-CRYPT, and a
    /// `{` without a closing `}` is not a prefix.
    pub fn parse_with_default(s: &str, default: SchemeSpec) -> Result<Self, SchemeError> {
        if s.starts_with("$1$") {
            return Self::build(SchemeSpec::new(Scheme::Md5Crypt), s, s);
        }
        if let Some(rest) = s.strip_prefix('{')
            && let Some((name, body)) = rest.split_once('}')
        {
            return Self::build(name.parse()?, body, s);
        }
        Self::build(default, s, s)
    }

    /// The scheme. `CRYPT` entries report the concrete algorithm.
    pub fn scheme(&self) -> Scheme {
        self.spec.scheme
    }

    /// The scheme with the encoding suffix as written (if any).
    pub fn spec(&self) -> SchemeSpec {
        self.spec
    }

    /// The stored string exactly as parsed.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The cleartext password, for `PLAIN`/`CLEAR` entries (CRAM-MD5 and SCRAM
    /// need it when no SCRAM keys are stored).
    pub fn cleartext(&self) -> Option<&Password> {
        match &self.data {
            Data::Plain(p) => Some(p),
            _ => None,
        }
    }

    /// The SCRAM keys, for `SCRAM-SHA-1`/`SCRAM-SHA-256` entries.
    pub fn scram_credentials(&self) -> Option<&ScramCredentials> {
        match &self.data {
            Data::Scram(c) => Some(c),
            _ => None,
        }
    }

    pub(crate) fn data(&self) -> &Data {
        &self.data
    }

    /// Whether `password` matches. The comparison of secret-dependent data is
    /// constant-time. This is slow, blocking work for the crypt schemes: run it
    /// off async workers.
    pub fn verify(&self, password: impl AsRef<[u8]>) -> bool {
        let password = password.as_ref();
        match &self.data {
            Data::Argon2(h) => h.verify(password),
            Data::Bcrypt(h) => h.verify(password),
            Data::ShaCrypt(h) => h.verify(password),
            Data::Md5Crypt(h) => h.verify(password),
            Data::Scram(c) => c.verify_password(password),
            Data::Salted { alg, digest, salt } => {
                alg.digest(&[password, salt]).ct_eq(digest).into()
            }
            Data::Digest { alg, digest } => alg.digest(&[password]).ct_eq(digest).into(),
            Data::Plain(p) => crate::secret::secrets_equal(p, password),
        }
    }

    fn build(spec: SchemeSpec, body: &str, text: &str) -> Result<Self, SchemeError> {
        let scheme_name = spec.scheme.name();
        let bytes = decode_body(spec, body)?;
        let as_text = || {
            String::from_utf8(bytes.clone()).map_err(|_| SchemeError::Malformed {
                scheme: scheme_name,
                reason: "not valid UTF-8",
            })
        };
        let (scheme, data) = match spec.scheme {
            Scheme::Crypt | Scheme::Argon2id | Scheme::Argon2i => {
                parse_crypt(spec.scheme, &as_text()?)?
            }
            Scheme::BlfCrypt => (spec.scheme, Data::Bcrypt(BcryptHash::parse(&as_text()?)?)),
            Scheme::Md5Crypt => (spec.scheme, Data::Md5Crypt(parse_md5(&as_text()?)?)),
            Scheme::Sha512Crypt | Scheme::Sha256Crypt => {
                let h = ShaCryptHash::parse(&as_text()?).map_err(|_| SchemeError::Malformed {
                    scheme: scheme_name,
                    reason: "expected $6$ (SHA512) or $5$ (SHA256) crypt string",
                })?;
                if h.sha512 != (spec.scheme == Scheme::Sha512Crypt) {
                    return Err(SchemeError::Malformed {
                        scheme: scheme_name,
                        reason: "crypt string of the other SHA variant",
                    });
                }
                (spec.scheme, Data::ShaCrypt(h))
            }
            Scheme::ScramSha256 => (
                spec.scheme,
                Data::Scram(ScramCredentials::parse_dovecot(
                    ScramHash::Sha256,
                    &as_text()?,
                )?),
            ),
            Scheme::ScramSha1 => (
                spec.scheme,
                Data::Scram(ScramCredentials::parse_dovecot(
                    ScramHash::Sha1,
                    &as_text()?,
                )?),
            ),
            Scheme::Ssha512 | Scheme::Ssha256 | Scheme::Ssha | Scheme::Smd5 => {
                (spec.scheme, salted(spec.scheme, bytes)?)
            }
            Scheme::Sha512 | Scheme::Sha256 | Scheme::Sha1 | Scheme::PlainMd5 | Scheme::LdapMd5 => {
                (spec.scheme, unsalted(spec.scheme, bytes)?)
            }
            Scheme::Plain => (spec.scheme, Data::Plain(Password::new(bytes))),
        };
        Ok(Self {
            spec: SchemeSpec {
                scheme,
                encoding: spec.encoding,
            },
            text: text.to_owned(),
            data,
        })
    }
}

fn parse_md5(s: &str) -> Result<Md5CryptHash, SchemeError> {
    Md5CryptHash::parse(s).map_err(|e| match e {
        SchemeError::UnsupportedCrypt => SchemeError::Malformed {
            scheme: "MD5-CRYPT",
            reason: "expected a $1$ crypt string",
        },
        other => other,
    })
}

/// CRYPT (by prefix) and the ARGON2 schemes (the PHC string says which variant).
fn parse_crypt(scheme: Scheme, s: &str) -> Result<(Scheme, Data), SchemeError> {
    let kind = CryptKind::detect(s);
    let argon2 = matches!(kind, Some(CryptKind::Argon2id | CryptKind::Argon2i));
    if scheme != Scheme::Crypt && !argon2 {
        return Err(SchemeError::Malformed {
            scheme: scheme.name(),
            reason: "expected an $argon2id$ or $argon2i$ PHC string",
        });
    }
    Ok(match kind.ok_or(SchemeError::UnsupportedCrypt)? {
        CryptKind::Argon2id => (
            Scheme::Argon2id,
            Data::Argon2(Argon2Hash::parse("ARGON2ID", s)?),
        ),
        CryptKind::Argon2i => (
            Scheme::Argon2i,
            Data::Argon2(Argon2Hash::parse("ARGON2I", s)?),
        ),
        CryptKind::Bcrypt => (Scheme::BlfCrypt, Data::Bcrypt(BcryptHash::parse(s)?)),
        CryptKind::Sha512 => (Scheme::Sha512Crypt, Data::ShaCrypt(ShaCryptHash::parse(s)?)),
        CryptKind::Sha256 => (Scheme::Sha256Crypt, Data::ShaCrypt(ShaCryptHash::parse(s)?)),
        CryptKind::Md5 => (Scheme::Md5Crypt, Data::Md5Crypt(parse_md5(s)?)),
    })
}

/// The digest algorithm of a digest scheme.
pub(crate) fn digest_alg(scheme: Scheme) -> Option<DigestAlg> {
    Some(match scheme {
        Scheme::Ssha512 | Scheme::Sha512 => DigestAlg::Sha512,
        Scheme::Ssha256 | Scheme::Sha256 => DigestAlg::Sha256,
        Scheme::Ssha | Scheme::Sha1 => DigestAlg::Sha1,
        Scheme::Smd5 | Scheme::PlainMd5 | Scheme::LdapMd5 => DigestAlg::Md5,
        _ => return None,
    })
}

fn salted(scheme: Scheme, mut bytes: Vec<u8>) -> Result<Data, SchemeError> {
    let alg = digest_alg(scheme).ok_or(SchemeError::UnknownScheme {
        name: scheme.name().to_owned(),
    })?;
    if bytes.len() <= alg.len() {
        return Err(SchemeError::Malformed {
            scheme: scheme.name(),
            reason: "too short: no salt after the digest",
        });
    }
    let salt = bytes.split_off(alg.len());
    Ok(Data::Salted {
        alg,
        digest: bytes,
        salt,
    })
}

fn unsalted(scheme: Scheme, bytes: Vec<u8>) -> Result<Data, SchemeError> {
    let alg = digest_alg(scheme).ok_or(SchemeError::UnknownScheme {
        name: scheme.name().to_owned(),
    })?;
    if bytes.len() != alg.len() {
        return Err(SchemeError::Malformed {
            scheme: scheme.name(),
            reason: "digest has the wrong length",
        });
    }
    Ok(Data::Digest { alg, digest: bytes })
}

/// Decodes the data after the prefix. Fixed-size digests without a suffix are
/// hex when exactly twice the digest length, else base64 (Dovecot's guess).
fn decode_body(spec: SchemeSpec, body: &str) -> Result<Vec<u8>, SchemeError> {
    let scheme = spec.scheme;
    let fixed_len = match scheme {
        Scheme::Sha512 | Scheme::Sha256 | Scheme::Sha1 | Scheme::PlainMd5 | Scheme::LdapMd5 => {
            digest_alg(scheme).map(DigestAlg::len)
        }
        _ => None,
    };
    let encoding = match (spec.encoding, fixed_len) {
        (Some(e), _) => e,
        (None, Some(len)) if body.len() == len * 2 => Encoding::Hex,
        (None, Some(_)) => Encoding::Base64,
        (None, None) => scheme.default_encoding(),
    };
    let bad = |reason| SchemeError::Malformed {
        scheme: scheme.name(),
        reason,
    };
    match encoding {
        Encoding::Raw => Ok(body.as_bytes().to_vec()),
        Encoding::Hex => hex::decode(body).map_err(|_| bad("invalid hex")),
        Encoding::Base64 => B64.decode(body).map_err(|_| bad("invalid base64")),
    }
}

impl FromStr for StoredPassword {
    type Err = SchemeError;

    /// Same as [`StoredPassword::parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for StoredPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for StoredPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredPassword")
            .field("spec", &self.spec)
            .field("text", &"***")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<StoredPassword, SchemeError> {
        StoredPassword::parse(s)
    }

    #[test]
    fn unsalted_digest_encoding_is_guessed_by_length() {
        // Both verified by `doveadm pw -t`.
        let b64 = parse("{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=").unwrap();
        let hex = parse("{SHA}a94a8fe5ccb19ba61c4c0873d391e987982fbbd3").unwrap();
        assert!(b64.verify("test") && hex.verify("test"));
        let md5_b64 = parse("{PLAIN-MD5}CY9rzUYh03PK3k6DJie09g==").unwrap();
        assert!(md5_b64.verify("test"));
        let ldap_hex = parse("{LDAP-MD5}098f6bcd4621d373cade4e832627b4f6").unwrap();
        assert!(ldap_hex.verify("test"));
    }

    #[test]
    fn salted_digests_use_their_default_encoding_only() {
        // Dovecot refuses this hex SSHA without the .HEX suffix.
        let hex = "c47b9833193e086a3b976d73ca49626470f3f2a15fbb2b8b";
        let with_suffix = parse(&format!("{{SSHA.HEX}}{hex}")).unwrap();
        assert!(with_suffix.verify("test"));
        match parse(&format!("{{SSHA}}{hex}")) {
            Ok(p) => assert!(!p.verify("test")),
            Err(e) => assert!(matches!(e, SchemeError::Malformed { .. })),
        }
    }

    #[test]
    fn scheme_names_are_case_insensitive() {
        let p = parse("{sha.b64}qUqP5cyxm6YcTAhz05Hph5gvu9M=").unwrap();
        assert_eq!(p.scheme(), Scheme::Sha1);
        assert_eq!(p.spec().encoding, Some(Encoding::Base64));
        assert!(p.verify("test"));
        assert!(parse("{cleartext}test").unwrap().verify("test"));
    }

    #[test]
    fn dollar_one_is_always_md5_crypt_and_trailing_junk_is_ignored() {
        let p = StoredPassword::parse_with_default(
            "$1$MSlvITJy$DZfn67RsHVpGRpTmek9ZC0$junk",
            SchemeSpec::new(Scheme::Plain),
        )
        .unwrap();
        assert_eq!(p.scheme(), Scheme::Md5Crypt);
        assert!(p.verify("test"));
    }

    #[test]
    fn bare_crypt_strings_by_prefix() {
        let p = parse("$2y$04$7JhtlOLpvJLuBuO5vK1vM.yy6F0ceveM8DMy10bT0TVBEE9TPIVq.").unwrap();
        assert_eq!(p.scheme(), Scheme::BlfCrypt);
        assert!(p.verify("test"));
        let p = parse("{CRYPT}$6$rounds=1000$QT.o6GiNlie9.wD3$3ZX7DeKhQKYFmzdy6i4KfU2CDEKC.Vm1vPpn11tfm4/BMWZ9ZHZ/TE1yqLQ/YQW18d3B4iUY4oByup2qSrH3y0").unwrap();
        assert_eq!(p.scheme(), Scheme::Sha512Crypt);
        assert!(p.verify("test"));
        assert!(!p.verify("tesT"));
    }

    #[test]
    fn default_scheme_applies_without_prefix() {
        let plain = SchemeSpec::new(Scheme::Plain);
        let p = StoredPassword::parse_with_default("secret", plain).unwrap();
        assert!(p.verify("secret"));
        // A `{` without `}` is no prefix (as in Dovecot).
        let p = StoredPassword::parse_with_default("{secret", plain).unwrap();
        assert!(p.verify("{secret"));
        let sha: SchemeSpec = "SHA256.HEX".parse().unwrap();
        let p = StoredPassword::parse_with_default(
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            sha,
        )
        .unwrap();
        assert!(p.verify("test"));
    }

    #[test]
    fn malformed_entries_are_typed_errors() {
        type Expect = fn(&SchemeError) -> bool;
        let cases: &[(&str, Expect)] = &[
            ("{FOO}x", |e| matches!(e, SchemeError::UnknownScheme { .. })),
            ("{SHA256.ROT13}x", |e| {
                matches!(e, SchemeError::UnknownScheme { .. })
            }),
            ("plaintext", |e| matches!(e, SchemeError::UnsupportedCrypt)),
            ("{CRYPT}abJnggxhB/yWI", |e| {
                matches!(e, SchemeError::UnsupportedCrypt)
            }),
            ("$y$j9T$salt$hash", |e| {
                matches!(e, SchemeError::UnsupportedCrypt)
            }),
            ("{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M", |e| {
                matches!(e, SchemeError::Malformed { .. })
            }),
            ("{SHA}AAAA", |e| matches!(e, SchemeError::Malformed { .. })),
            ("{SSHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=", |e| {
                matches!(e, SchemeError::Malformed { .. })
            }),
            ("{SHA256.HEX}zz", |e| {
                matches!(e, SchemeError::Malformed { .. })
            }),
            ("{BLF-CRYPT}$2y$05$short", |e| {
                matches!(e, SchemeError::Malformed { .. })
            }),
            (
                "{BLF-CRYPT}$2y$99$U/ohUh3ZlXgHIF1sUdI58ujfVRIP5KO05O5tZ/Eq8C7yr68KiaAcq",
                |e| matches!(e, SchemeError::Malformed { .. }),
            ),
            (
                "{SHA512-CRYPT}$5$76N772.7RwYElg//$MvJmwWPCcOFsM8cxZ4IHjM3Zjxqa4v6dDnyBh4qi3k7",
                |e| matches!(e, SchemeError::Malformed { .. }),
            ),
            ("{SHA512-CRYPT}$6$rounds=x$salt$hash", |e| {
                matches!(e, SchemeError::Malformed { .. })
            }),
            ("{MD5-CRYPT}$1$salt", |e| {
                matches!(e, SchemeError::Malformed { .. })
            }),
            ("{MD5-CRYPT}nope", |e| {
                matches!(e, SchemeError::Malformed { .. })
            }),
            (
                "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ",
                |e| matches!(e, SchemeError::Malformed { .. }),
            ),
            (
                "{ARGON2ID}$argon2id$v=19$m=4294967295,t=3,p=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                |e| matches!(e, SchemeError::InvalidCost { .. }),
            ),
            ("{ARGON2ID}$6$salt$hash", |e| {
                matches!(e, SchemeError::Malformed { .. })
            }),
            ("{SCRAM-SHA-256}4096,abc", |e| {
                matches!(e, SchemeError::Malformed { .. })
            }),
            ("{PLAIN.HEX}xyz", |e| {
                matches!(e, SchemeError::Malformed { .. })
            }),
        ];
        for (input, expected) in cases {
            match parse(input) {
                Ok(p) => panic!("{input:?} parsed as {p:?}"),
                Err(e) => assert!(expected(&e), "{input:?}: unexpected {e:?}"),
            }
        }
    }

    #[test]
    fn debug_hides_the_data_and_display_round_trips() {
        let p = parse("{PLAIN}hunter2").unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
        assert_eq!(p.to_string(), "{PLAIN}hunter2");
        assert_eq!(p.cleartext().map(Password::as_bytes), Some(&b"hunter2"[..]));
    }
}
