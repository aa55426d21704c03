//! SCRAM key derivation (RFC 5802 section 3) and stored SCRAM credentials.
//!
//! A server does not need the password for SCRAM: it keeps the salt, the
//! iteration count, `StoredKey = H(HMAC(SaltedPassword, "Client Key"))` and
//! `ServerKey = HMAC(SaltedPassword, "Server Key")`. Dovecot stores exactly these
//! as `{SCRAM-SHA-256}iterations,base64(salt),base64(StoredKey),base64(ServerKey)`.
//!
//! RFC 5802 derives the keys from the SASLprep-prepared password; Dovecot
//! derives them from the bytes as given. [`ScramCredentials::derive`] takes the
//! bytes it is given, [`ScramCredentials::from_password`] prepares them first,
//! and [`ScramCredentials::verify_password`] accepts either derivation.

use crate::saslprep::saslprep_bytes;
use crate::scheme::SchemeError;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::Digest as _;
use std::borrow::Cow;
use std::fmt;
use subtle::ConstantTimeEq as _;

/// Iteration counts above this are refused (CPU exhaustion guard).
pub const MAX_SCRAM_ITERATIONS: u32 = 10_000_000;

/// The hash function of a SCRAM variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScramHash {
    /// SCRAM-SHA-1 (RFC 5802).
    Sha1,
    /// SCRAM-SHA-256 (RFC 7677).
    Sha256,
}

impl ScramHash {
    /// The SASL mechanism name without `-PLUS`.
    pub const fn mechanism_name(self) -> &'static str {
        match self {
            Self::Sha1 => "SCRAM-SHA-1",
            Self::Sha256 => "SCRAM-SHA-256",
        }
    }

    /// Output length of the hash in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }

    /// `H(data)`.
    pub(crate) fn h(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Self::Sha256 => sha2::Sha256::digest(data).to_vec(),
        }
    }

    /// `HMAC(key, data)`.
    pub(crate) fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        fn run<M: hmac::Mac + hmac::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
            // HMAC accepts keys of any length, so this cannot fail.
            match <M as hmac::KeyInit>::new_from_slice(key) {
                Ok(mut mac) => {
                    mac.update(data);
                    mac.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            }
        }
        match self {
            Self::Sha1 => run::<hmac::Hmac<sha1::Sha1>>(key, data),
            Self::Sha256 => run::<hmac::Hmac<sha2::Sha256>>(key, data),
        }
    }

    /// `Hi(password, salt, iterations)`, i.e. PBKDF2 with HMAC-H.
    pub(crate) fn hi(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        let mut out = vec![0u8; self.output_len()];
        match self {
            Self::Sha1 => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, iterations, &mut out),
            Self::Sha256 => {
                pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, &mut out);
            }
        }
        out
    }
}

/// What a SCRAM server stores for a user instead of the password.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramCredentials {
    /// The hash function.
    pub hash: ScramHash,
    /// PBKDF2 iteration count (`i=`).
    pub iterations: u32,
    /// The salt (raw bytes; base64 on the wire).
    pub salt: Vec<u8>,
    /// `H(ClientKey)`.
    pub stored_key: Vec<u8>,
    /// `HMAC(SaltedPassword, "Server Key")`.
    pub server_key: Vec<u8>,
}

impl fmt::Debug for ScramCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramCredentials")
            .field("hash", &self.hash)
            .field("iterations", &self.iterations)
            .field("salt", &B64.encode(&self.salt))
            .field("stored_key", &"***")
            .field("server_key", &"***")
            .finish()
    }
}

/// The client and server keys derived from a password.
pub(crate) struct ScramKeys {
    pub(crate) client_key: Vec<u8>,
    pub(crate) stored_key: Vec<u8>,
    pub(crate) server_key: Vec<u8>,
}

pub(crate) fn derive_keys(
    hash: ScramHash,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
) -> ScramKeys {
    let salted = hash.hi(password, salt, iterations);
    let client_key = hash.hmac(&salted, b"Client Key");
    ScramKeys {
        stored_key: hash.h(&client_key),
        server_key: hash.hmac(&salted, b"Server Key"),
        client_key,
    }
}

fn check_iterations(scheme: &'static str, iterations: u32) -> Result<(), SchemeError> {
    if (1..=MAX_SCRAM_ITERATIONS).contains(&iterations) {
        Ok(())
    } else {
        Err(SchemeError::InvalidCost {
            scheme,
            reason: "iteration count must be 1..=10000000",
        })
    }
}

impl ScramCredentials {
    /// Derives the stored credentials from a password (CPU work: `iterations` PBKDF2 rounds).
    pub fn derive(
        hash: ScramHash,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
    ) -> Result<Self, SchemeError> {
        check_iterations(hash.mechanism_name(), iterations)?;
        let keys = derive_keys(hash, password, salt, iterations);
        Ok(Self {
            hash,
            iterations,
            salt: salt.to_vec(),
            stored_key: keys.stored_key,
            server_key: keys.server_key,
        })
    }

    /// Derives the stored credentials from a password prepared with SASLprep
    /// (RFC 5802 section 2.2), so that SCRAM clients which prepare it (as they
    /// must) can log in. A password SASLprep refuses (controls, code points
    /// unassigned in Unicode 3.2, ...) is used as given, as Dovecot does: no
    /// conforming SCRAM client can use it, but PLAIN still verifies it.
    pub fn from_password(
        hash: ScramHash,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
    ) -> Result<Self, SchemeError> {
        let prepared = saslprep_bytes(password).unwrap_or(Cow::Borrowed(password));
        Self::derive(hash, &prepared, salt, iterations)
    }

    /// Parses Dovecot's `iterations,salt,StoredKey,ServerKey` form (the part after
    /// `{SCRAM-SHA-256}`); the last three fields are base64.
    pub fn parse_dovecot(hash: ScramHash, s: &str) -> Result<Self, SchemeError> {
        let scheme = hash.mechanism_name();
        let bad = |reason| SchemeError::Malformed { scheme, reason };
        let mut fields = s.split(',');
        let mut next = || fields.next().ok_or_else(|| bad("expected four fields"));
        let (iter, salt, stored, server) = (next()?, next()?, next()?, next()?);
        if fields.next().is_some() {
            return Err(bad("expected four fields"));
        }
        if iter.is_empty() || iter.len() > 10 || !iter.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("iteration count is not a number"));
        }
        let iterations: u32 = iter
            .parse()
            .map_err(|_| bad("iteration count is not a number"))?;
        check_iterations(scheme, iterations)?;
        let decode = |f: &str| B64.decode(f).map_err(|_| bad("invalid base64"));
        let (salt, stored_key, server_key) = (decode(salt)?, decode(stored)?, decode(server)?);
        if salt.is_empty() {
            return Err(bad("empty salt"));
        }
        if stored_key.len() != hash.output_len() || server_key.len() != hash.output_len() {
            return Err(bad("key length does not match the hash"));
        }
        Ok(Self {
            hash,
            iterations,
            salt,
            stored_key,
            server_key,
        })
    }

    /// Dovecot's `iterations,salt,StoredKey,ServerKey` form.
    pub fn to_dovecot(&self) -> String {
        format!(
            "{},{},{},{}",
            self.iterations,
            B64.encode(&self.salt),
            B64.encode(&self.stored_key),
            B64.encode(&self.server_key)
        )
    }

    /// Whether `password` derives to these keys (constant-time comparison),
    /// as given (keys made by Dovecot) or prepared with SASLprep (keys made by
    /// [`from_password`](Self::from_password) or a SCRAM-conforming tool). The
    /// second derivation only runs when preparation changes the password.
    pub fn verify_password(&self, password: &[u8]) -> bool {
        let raw = self.matches(password);
        match saslprep_bytes(password) {
            Ok(prepared) if *prepared != *password => raw | self.matches(&prepared),
            _ => raw,
        }
    }

    fn matches(&self, password: &[u8]) -> bool {
        let keys = derive_keys(self.hash, password, &self.salt, self.iterations);
        let stored = keys.stored_key.ct_eq(&self.stored_key);
        let server = keys.server_key.ct_eq(&self.server_key);
        (stored & server).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dovecot_form_round_trips_and_verifies() {
        // Made by `doveadm pw -s SCRAM-SHA-256 -p test`.
        let s = "4096,6bop9xpBcSe0bTrIRjsF1w==,nX2Qblb8pgHJNuwT8WOfZttLkdrTZTWJNr6Rx4H3eVg=,7iF9iEBb1G9z7xi7pLzRMPjS8R87ZcC7yg8qBOFF8GA=";
        let c = ScramCredentials::parse_dovecot(ScramHash::Sha256, s).unwrap();
        assert_eq!(c.to_dovecot(), s);
        assert!(c.verify_password(b"test"));
        assert!(!c.verify_password(b"Test"));
        assert!(!format!("{c:?}").contains("nX2Q"));
    }

    #[test]
    fn keys_from_a_prepared_password_verify_both_forms() {
        // SOFT HYPHEN is mapped to nothing: the keys are those of "IX".
        let salt = b"0123456789abcdef";
        let c = ScramCredentials::from_password(ScramHash::Sha256, "I\u{AD}X".as_bytes(), salt, 16)
            .unwrap();
        let ix = ScramCredentials::derive(ScramHash::Sha256, b"IX", salt, 16).unwrap();
        assert_eq!(c, ix);
        assert!(c.verify_password("I\u{AD}X".as_bytes()));
        assert!(c.verify_password(b"IX"));
        assert!(c.verify_password("\u{2168}".as_bytes()));
        assert!(!c.verify_password(b"I-X"));
        // Keys derived from the bytes as given (Dovecot) still verify.
        let raw =
            ScramCredentials::derive(ScramHash::Sha256, "I\u{AD}X".as_bytes(), salt, 16).unwrap();
        assert_ne!(raw, c);
        assert!(raw.verify_password("I\u{AD}X".as_bytes()));
        // A password SASLprep refuses is used as given.
        let bell = ScramCredentials::from_password(ScramHash::Sha1, b"a\x07b", salt, 16).unwrap();
        assert_eq!(
            bell,
            ScramCredentials::derive(ScramHash::Sha1, b"a\x07b", salt, 16).unwrap()
        );
        assert!(bell.verify_password(b"a\x07b"));
    }

    #[test]
    fn malformed_dovecot_forms() {
        for s in [
            "",
            "4096",
            "x,AAAA,AAAA,AAAA",
            "0,AAAA,AAAA,AAAA",
            "4096,AAAA,AAAA",
            "4096,!!,AAAA,AAAA",
            "4096,AAAA,AAAA,AAAA,AAAA",
            "99999999999,AAAA,AAAA,AAAA",
        ] {
            assert!(
                ScramCredentials::parse_dovecot(ScramHash::Sha1, s).is_err(),
                "{s:?}"
            );
        }
    }
}
