//! Crypt-style schemes: ARGON2ID/ARGON2I (PHC strings), BLF-CRYPT (bcrypt),
//! SHA256-CRYPT/SHA512-CRYPT and MD5-CRYPT. Parsing validates the structure;
//! the RustCrypto and `bcrypt` crates do the work.

use super::SchemeError;
use super::md5_crypt::{self, CRYPT_ALPHABET};
use argon2::{PasswordHash as PhcHash, PasswordHasher as _, PasswordVerifier as _};
use sha_crypt::CustomizedPasswordHasher as _;
use subtle::ConstantTimeEq;

/// Stored ARGON2 hashes asking for more memory than this (KiB, 4 GiB) are refused,
/// so a corrupt database entry cannot make verification allocate without bound.
pub(crate) const MAX_ARGON2_MEMORY_KIB: u32 = 4 * 1024 * 1024;
/// Likewise for the time cost.
pub(crate) const MAX_ARGON2_TIME: u32 = 1024;
/// Likewise for the lanes.
pub(crate) const MAX_ARGON2_LANES: u32 = 255;

const SHA_CRYPT_MIN_ROUNDS: u32 = 1_000;
const SHA_CRYPT_MAX_ROUNDS: u32 = 999_999_999;
const SHA_CRYPT_DEFAULT_ROUNDS: u32 = 5_000;
const SHA_CRYPT_MAX_SALT: usize = 16;

fn is_crypt_char(b: u8) -> bool {
    CRYPT_ALPHABET.contains(&b)
}

/// Which crypt algorithm a `$id$` prefix names, if any we support.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CryptKind {
    Argon2id,
    Argon2i,
    Bcrypt,
    Sha512,
    Sha256,
    Md5,
}

impl CryptKind {
    pub(crate) fn detect(s: &str) -> Option<Self> {
        let prefixes = [
            ("$argon2id$", Self::Argon2id),
            ("$argon2i$", Self::Argon2i),
            ("$2y$", Self::Bcrypt),
            ("$2b$", Self::Bcrypt),
            ("$2a$", Self::Bcrypt),
            ("$6$", Self::Sha512),
            ("$5$", Self::Sha256),
            ("$1$", Self::Md5),
        ];
        prefixes
            .into_iter()
            .find(|(p, _)| s.starts_with(p))
            .map(|(_, k)| k)
    }
}

/// A validated ARGON2 PHC string with its costs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Argon2Hash {
    pub(crate) phc: String,
    pub(crate) memory_kib: u32,
    pub(crate) iterations: u32,
    pub(crate) lanes: u32,
}

impl Argon2Hash {
    pub(crate) fn parse(scheme: &'static str, s: &str) -> Result<Self, SchemeError> {
        let bad = |reason| SchemeError::Malformed { scheme, reason };
        let phc = PhcHash::new(s).map_err(|_| bad("not a PHC string"))?;
        if !matches!(phc.algorithm.as_str(), "argon2id" | "argon2i") {
            return Err(bad("not an argon2i/argon2id hash"));
        }
        if phc.salt.is_none() || phc.hash.is_none() {
            return Err(bad("salt or hash missing"));
        }
        if !matches!(phc.version, None | Some(0x10) | Some(0x13)) {
            return Err(bad("unknown argon2 version"));
        }
        let params = argon2::Params::try_from(&phc).map_err(|_| bad("invalid parameters"))?;
        let too_costly = params.m_cost() > MAX_ARGON2_MEMORY_KIB
            || params.t_cost() > MAX_ARGON2_TIME
            || params.p_cost() > MAX_ARGON2_LANES;
        if too_costly {
            return Err(SchemeError::InvalidCost {
                scheme,
                reason: "argon2 costs above this crate's verification limits",
            });
        }
        Ok(Self {
            phc: s.to_owned(),
            memory_kib: params.m_cost(),
            iterations: params.t_cost(),
            lanes: params.p_cost(),
        })
    }

    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        match PhcHash::new(&self.phc) {
            Ok(phc) => argon2::Argon2::default()
                .verify_password(password, &phc)
                .is_ok(),
            Err(_) => false,
        }
    }

    pub(crate) fn hash(
        password: &[u8],
        salt: &[u8],
        id: bool,
        costs: super::Argon2Costs,
    ) -> Result<String, SchemeError> {
        let scheme = if id { "ARGON2ID" } else { "ARGON2I" };
        let cost_error = |_| SchemeError::InvalidCost {
            scheme,
            reason: "argon2 costs out of range",
        };
        let params =
            argon2::Params::new(costs.memory_kib, costs.iterations, costs.parallelism, None)
                .map_err(cost_error)?;
        let algorithm = if id {
            argon2::Algorithm::Argon2id
        } else {
            argon2::Algorithm::Argon2i
        };
        let hasher = argon2::Argon2::new(algorithm, argon2::Version::V0x13, params);
        let phc = hasher
            .hash_password_with_salt(password, salt)
            .map_err(|_| SchemeError::InvalidCost {
                scheme,
                reason: "argon2 refused the parameters",
            })?;
        Ok(phc.to_string())
    }
}

/// A validated bcrypt string (`$2y$NN$` + 53 characters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BcryptHash {
    pub(crate) text: String,
    pub(crate) cost: u32,
}

impl BcryptHash {
    pub(crate) fn parse(s: &str) -> Result<Self, SchemeError> {
        let bad = |reason| SchemeError::Malformed {
            scheme: "BLF-CRYPT",
            reason,
        };
        let b = s.as_bytes();
        if b.len() != 60 || CryptKind::detect(s) != Some(CryptKind::Bcrypt) || b[6] != b'$' {
            return Err(bad("expected $2y$NN$ and 53 characters"));
        }
        let cost: u32 = s[4..6].parse().map_err(|_| bad("cost is not a number"))?;
        if !(4..=31).contains(&cost) {
            return Err(bad("cost out of range 04..31"));
        }
        if !b[7..].iter().all(|&c| is_crypt_char(c)) {
            return Err(bad("invalid character in salt or hash"));
        }
        Ok(Self {
            text: s.to_owned(),
            cost,
        })
    }

    /// Like Dovecot (crypt_blowfish), only the first 72 bytes of the password count.
    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        bcrypt::verify(password, &self.text).unwrap_or(false)
    }

    pub(crate) fn hash(password: &[u8], cost: u32) -> Result<String, SchemeError> {
        let parts =
            bcrypt::hash_with_result(password, cost).map_err(|_| SchemeError::InvalidCost {
                scheme: "BLF-CRYPT",
                reason: "bcrypt cost must be 4..=31",
            })?;
        Ok(parts.format_for_version(bcrypt::Version::TwoY))
    }
}

/// A validated SHA256-CRYPT / SHA512-CRYPT string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ShaCryptHash {
    pub(crate) sha512: bool,
    /// Effective rounds (clamped to 1000..=999999999 like glibc).
    pub(crate) rounds: u32,
    salt: String,
    hash: String,
}

impl ShaCryptHash {
    pub(crate) fn parse(s: &str) -> Result<Self, SchemeError> {
        let (sha512, scheme, rest) = if let Some(rest) = s.strip_prefix("$6$") {
            (true, "SHA512-CRYPT", rest)
        } else if let Some(rest) = s.strip_prefix("$5$") {
            (false, "SHA256-CRYPT", rest)
        } else {
            return Err(SchemeError::UnsupportedCrypt);
        };
        let bad = |reason| SchemeError::Malformed { scheme, reason };
        let (rounds, rest) = match rest.strip_prefix("rounds=") {
            Some(r) => {
                let (digits, rest) = r.split_once('$').ok_or_else(|| bad("rounds= without $"))?;
                if digits.is_empty()
                    || digits.len() > 10
                    || !digits.bytes().all(|c| c.is_ascii_digit())
                {
                    return Err(bad("rounds is not a number"));
                }
                let n: u64 = digits.parse().map_err(|_| bad("rounds is not a number"))?;
                let clamped = n.clamp(SHA_CRYPT_MIN_ROUNDS.into(), SHA_CRYPT_MAX_ROUNDS.into());
                (u32::try_from(clamped).unwrap_or(SHA_CRYPT_MAX_ROUNDS), rest)
            }
            None => (SHA_CRYPT_DEFAULT_ROUNDS, rest),
        };
        let (salt, hash) = rest.split_once('$').ok_or_else(|| bad("missing hash"))?;
        if salt.is_empty() || !salt.bytes().all(is_crypt_char) {
            return Err(bad("salt must be crypt base64 characters"));
        }
        let hash_len = if sha512 { 86 } else { 43 };
        if hash.len() != hash_len || !hash.bytes().all(is_crypt_char) {
            return Err(bad("hash has the wrong length or characters"));
        }
        Ok(Self {
            sha512,
            rounds,
            salt: salt[..salt.len().min(SHA_CRYPT_MAX_SALT)].to_owned(),
            hash: hash.to_owned(),
        })
    }

    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        let id = if self.sha512 { 6 } else { 5 };
        let normalized = format!("${id}$rounds={}${}${}", self.rounds, self.salt, self.hash);
        sha_crypt::ShaCrypt::default()
            .verify_password(password, normalized.as_str())
            .is_ok()
    }

    pub(crate) fn hash(
        password: &[u8],
        salt: &[u8],
        sha512: bool,
        rounds: u32,
    ) -> Result<String, SchemeError> {
        let scheme = if sha512 {
            "SHA512-CRYPT"
        } else {
            "SHA256-CRYPT"
        };
        let params = sha_crypt::Params::new(rounds).map_err(|_| SchemeError::InvalidCost {
            scheme,
            reason: "rounds must be 1000..=999999999",
        })?;
        let algorithm = if sha512 {
            sha_crypt::Algorithm::Sha512Crypt
        } else {
            sha_crypt::Algorithm::Sha256Crypt
        };
        let hash = sha_crypt::ShaCrypt::new(algorithm, params)
            .hash_password_customized(password, salt, None, None, params)
            .map_err(|_| SchemeError::InvalidCost {
                scheme,
                reason: "sha-crypt refused the parameters",
            })?;
        Ok(hash.to_string())
    }
}

/// A validated MD5-CRYPT string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Md5CryptHash {
    salt: Vec<u8>,
    hash: Vec<u8>,
}

impl Md5CryptHash {
    /// Parses `$1$salt$hash`; like Dovecot, anything after a further `$` is ignored.
    pub(crate) fn parse(s: &str) -> Result<Self, SchemeError> {
        let bad = |reason| SchemeError::Malformed {
            scheme: "MD5-CRYPT",
            reason,
        };
        let rest = s.strip_prefix("$1$").ok_or(SchemeError::UnsupportedCrypt)?;
        let (salt, rest) = rest.split_once('$').ok_or_else(|| bad("missing hash"))?;
        let hash = rest.split('$').next().unwrap_or_default();
        if salt.contains(['\0', '\n']) {
            return Err(bad("invalid salt"));
        }
        if hash.len() != md5_crypt::HASH_LEN || !hash.bytes().all(is_crypt_char) {
            return Err(bad("hash has the wrong length or characters"));
        }
        let salt = salt.as_bytes();
        Ok(Self {
            salt: salt[..salt.len().min(md5_crypt::MAX_SALT)].to_vec(),
            hash: hash.as_bytes().to_vec(),
        })
    }

    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        md5_crypt::md5_crypt_hash(password, &self.salt)
            .ct_eq(&self.hash)
            .into()
    }
}
