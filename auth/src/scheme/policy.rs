//! [`HashPolicy`]: how new hashes are made, and when old ones are upgraded.

use super::crypt::{Argon2Hash, BcryptHash, ShaCryptHash};
use super::stored::{Data, digest_alg};
use super::{Encoding, Scheme, SchemeError, SchemeSpec, StoredPassword};
use crate::scram::{ScramCredentials, ScramHash};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

/// ARGON2 costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Costs {
    /// Memory in KiB (`m=`).
    pub memory_kib: u32,
    /// Passes over the memory (`t=`).
    pub iterations: u32,
    /// Lanes (`p=`).
    pub parallelism: u32,
}

impl Argon2Costs {
    /// `m=65536,t=3,p=1`: what Dovecot 2.3 (libsodium) writes for ARGON2ID, and
    /// above OWASP's minimum for Argon2id (19 MiB, t=2, p=1).
    pub const DEFAULT: Self = Self {
        memory_kib: 65536,
        iterations: 3,
        parallelism: 1,
    };
}

impl Default for Argon2Costs {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How new password hashes are made, and which stored ones are too weak.
///
/// The default is ARGON2ID with [`Argon2Costs::DEFAULT`]; the other costs apply
/// when another scheme is chosen: bcrypt cost 12 (OWASP: at least 10; Dovecot's
/// own default of 5 is weak), 5000 SHA-crypt rounds (glibc's and Dovecot's
/// default), 4096 SCRAM iterations (RFC 7677's minimum, Dovecot's value).
/// SCRAM keys are derived from the SASLprep-prepared password
/// ([`ScramCredentials::from_password`]).
///
/// Hashing is blocking CPU work: run it off async workers.
///
/// ```
/// use auth::{HashPolicy, Scheme, StoredPassword};
///
/// let policy = HashPolicy::new(Scheme::Ssha512);
/// let stored = policy.hash("correct horse")?;
/// assert!(stored.as_str().starts_with("{SSHA512}"));
/// assert!(stored.verify("correct horse"));
///
/// let old: StoredPassword = "{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=".parse()?;
/// assert!(HashPolicy::default().needs_upgrade(&old));
/// # Ok::<(), auth::SchemeError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashPolicy {
    /// Scheme (and optional encoding suffix) for new hashes.
    pub spec: SchemeSpec,
    /// Costs for ARGON2ID / ARGON2I.
    pub argon2: Argon2Costs,
    /// bcrypt cost (4..=31) for BLF-CRYPT.
    pub bcrypt_cost: u32,
    /// Rounds (1000..=999999999) for SHA512-CRYPT / SHA256-CRYPT.
    pub sha_crypt_rounds: u32,
    /// PBKDF2 iterations for SCRAM-SHA-1 / SCRAM-SHA-256.
    pub scram_iterations: u32,
}

impl Default for HashPolicy {
    fn default() -> Self {
        Self::new(Scheme::Argon2id)
    }
}

const SALT_LEN: usize = 16;
const SHA_CRYPT_SALT_LEN: usize = 12; // 16 crypt-base64 characters, the maximum

fn random_bytes(len: usize) -> Result<Vec<u8>, SchemeError> {
    let mut salt = vec![0u8; len];
    getrandom::fill(&mut salt).map_err(|_| SchemeError::Random)?;
    Ok(salt)
}

impl HashPolicy {
    /// Default costs with the given scheme.
    pub fn new(scheme: Scheme) -> Self {
        Self {
            spec: SchemeSpec::new(scheme),
            argon2: Argon2Costs::DEFAULT,
            bcrypt_cost: 12,
            sha_crypt_rounds: 5000,
            scram_iterations: 4096,
        }
    }

    /// Hashes `password` with the policy's scheme and a fresh random salt.
    pub fn hash(&self, password: impl AsRef<[u8]>) -> Result<StoredPassword, SchemeError> {
        self.hash_with(self.spec, password)
    }

    /// Hashes `password` with another scheme, using this policy's costs.
    ///
    /// MD5-CRYPT and the unsalted digests are verify-only
    /// ([`SchemeError::VerifyOnly`]); `CRYPT` means BLF-CRYPT here.
    pub fn hash_with(
        &self,
        spec: SchemeSpec,
        password: impl AsRef<[u8]>,
    ) -> Result<StoredPassword, SchemeError> {
        let password = password.as_ref();
        let spec = match spec.scheme {
            Scheme::Crypt => SchemeSpec {
                scheme: Scheme::BlfCrypt,
                ..spec
            },
            _ => spec,
        };
        let raw = self.raw_hash(spec.scheme, password)?;
        let body = match spec.effective_encoding() {
            Encoding::Raw => String::from_utf8(raw).map_err(|_| SchemeError::Malformed {
                scheme: spec.scheme.name(),
                reason: "not valid UTF-8; use .HEX or .B64",
            })?,
            Encoding::Hex => hex::encode(raw),
            Encoding::Base64 => B64.encode(raw),
        };
        StoredPassword::parse(&format!("{{{spec}}}{body}"))
    }

    /// The scheme's bytes before the encoding is applied.
    fn raw_hash(&self, scheme: Scheme, password: &[u8]) -> Result<Vec<u8>, SchemeError> {
        let text = match scheme {
            Scheme::Argon2id | Scheme::Argon2i => Argon2Hash::hash(
                password,
                &random_bytes(SALT_LEN)?,
                scheme == Scheme::Argon2id,
                self.argon2,
            )?,
            Scheme::BlfCrypt => BcryptHash::hash(password, self.bcrypt_cost)?,
            Scheme::Sha512Crypt | Scheme::Sha256Crypt => ShaCryptHash::hash(
                password,
                &random_bytes(SHA_CRYPT_SALT_LEN)?,
                scheme == Scheme::Sha512Crypt,
                self.sha_crypt_rounds,
            )?,
            Scheme::ScramSha256 | Scheme::ScramSha1 => {
                let hash = if scheme == Scheme::ScramSha256 {
                    ScramHash::Sha256
                } else {
                    ScramHash::Sha1
                };
                let salt = random_bytes(SALT_LEN)?;
                ScramCredentials::from_password(hash, password, &salt, self.scram_iterations)?
                    .to_dovecot()
            }
            Scheme::Ssha512 | Scheme::Ssha256 | Scheme::Ssha | Scheme::Smd5 => {
                let alg = digest_alg(scheme).ok_or(SchemeError::VerifyOnly {
                    scheme: scheme.name(),
                })?;
                let salt = random_bytes(SALT_LEN)?;
                let mut out = alg.digest(&[password, &salt]);
                out.extend_from_slice(&salt);
                return Ok(out);
            }
            Scheme::Plain => return Ok(password.to_vec()),
            Scheme::Md5Crypt
            | Scheme::Crypt
            | Scheme::Sha512
            | Scheme::Sha256
            | Scheme::Sha1
            | Scheme::PlainMd5
            | Scheme::LdapMd5 => {
                return Err(SchemeError::VerifyOnly {
                    scheme: scheme.name(),
                });
            }
        };
        Ok(text.into_bytes())
    }

    /// Whether `stored` should be re-hashed with this policy after a successful
    /// login: its scheme is weaker than the policy's ([`Scheme::strength`]), or it
    /// is the policy's scheme with any cost below the policy's. A different scheme
    /// of equal or greater strength is left alone.
    pub fn needs_upgrade(&self, stored: &StoredPassword) -> bool {
        let wanted = match self.spec.scheme {
            Scheme::Crypt => Scheme::BlfCrypt,
            other => other,
        };
        if stored.scheme().strength() < wanted.strength() {
            return true;
        }
        if stored.scheme() != wanted {
            return false;
        }
        match stored.data() {
            Data::Argon2(h) => {
                h.memory_kib < self.argon2.memory_kib
                    || h.iterations < self.argon2.iterations
                    || h.lanes < self.argon2.parallelism
            }
            Data::Bcrypt(h) => h.cost < self.bcrypt_cost,
            Data::ShaCrypt(h) => h.rounds < self.sha_crypt_rounds,
            Data::Scram(c) => c.iterations < self.scram_iterations,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap(scheme: Scheme) -> HashPolicy {
        HashPolicy {
            argon2: Argon2Costs {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            bcrypt_cost: 4,
            sha_crypt_rounds: 1000,
            scram_iterations: 16,
            ..HashPolicy::new(scheme)
        }
    }

    #[test]
    fn every_hashable_scheme_round_trips() {
        for scheme in Scheme::ALL {
            let policy = cheap(scheme);
            for encoding in [None, Some(Encoding::Hex), Some(Encoding::Base64)] {
                let spec = SchemeSpec { scheme, encoding };
                match policy.hash_with(spec, "pässwörd") {
                    Ok(stored) => {
                        let expected = match scheme {
                            Scheme::Crypt => Scheme::BlfCrypt,
                            s => s,
                        };
                        assert_eq!(stored.scheme(), expected, "{spec}");
                        assert!(stored.verify("pässwörd"), "{spec}: {stored}");
                        assert!(!stored.verify("passwörd"), "{spec}");
                        let reparsed = StoredPassword::parse(stored.as_str()).unwrap();
                        assert!(reparsed.verify("pässwörd"));
                    }
                    Err(SchemeError::VerifyOnly { .. }) => assert!(matches!(
                        scheme,
                        Scheme::Md5Crypt
                            | Scheme::Sha512
                            | Scheme::Sha256
                            | Scheme::Sha1
                            | Scheme::PlainMd5
                            | Scheme::LdapMd5
                    )),
                    Err(e) => panic!("{spec}: {e}"),
                }
            }
        }
    }

    #[test]
    fn salts_are_fresh() {
        let p = cheap(Scheme::Ssha256);
        assert_ne!(p.hash("x").unwrap().as_str(), p.hash("x").unwrap().as_str());
    }

    #[test]
    fn out_of_range_costs_are_errors() {
        let mut p = cheap(Scheme::BlfCrypt);
        p.bcrypt_cost = 3;
        assert!(matches!(p.hash("x"), Err(SchemeError::InvalidCost { .. })));
        let mut p = cheap(Scheme::Sha512Crypt);
        p.sha_crypt_rounds = 999;
        assert!(matches!(p.hash("x"), Err(SchemeError::InvalidCost { .. })));
        let mut p = cheap(Scheme::Argon2id);
        p.argon2.memory_kib = 1;
        assert!(matches!(p.hash("x"), Err(SchemeError::InvalidCost { .. })));
        let mut p = cheap(Scheme::ScramSha256);
        p.scram_iterations = 0;
        assert!(matches!(p.hash("x"), Err(SchemeError::InvalidCost { .. })));
    }

    #[test]
    fn upgrade_decisions() {
        let policy = cheap(Scheme::Argon2id);
        let weak = StoredPassword::parse("{SSHA}MYYW6LUqB5Qz6hVUTFCJAcaesqyRr831").unwrap();
        assert!(policy.needs_upgrade(&weak));
        let same = policy.hash("x").unwrap();
        assert!(!policy.needs_upgrade(&same));
        let mut stronger = policy.clone();
        stronger.argon2.iterations = 2;
        assert!(stronger.needs_upgrade(&same));

        let bcrypt_policy = cheap(Scheme::BlfCrypt);
        assert!(
            !bcrypt_policy.needs_upgrade(&same),
            "ARGON2ID is not weaker"
        );
        let cost4 = bcrypt_policy.hash("x").unwrap();
        assert!(!bcrypt_policy.needs_upgrade(&cost4));
        assert!(HashPolicy::new(Scheme::BlfCrypt).needs_upgrade(&cost4));
        assert!(HashPolicy::default().needs_upgrade(&cost4));

        let sha = cheap(Scheme::Sha512Crypt).hash("x").unwrap();
        assert!(!cheap(Scheme::Sha512Crypt).needs_upgrade(&sha));
        let mut more_rounds = cheap(Scheme::Sha512Crypt);
        more_rounds.sha_crypt_rounds = 5000;
        assert!(more_rounds.needs_upgrade(&sha));
    }
}
