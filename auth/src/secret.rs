//! A wrapper for secrets (passwords, tokens) that never prints them.

use std::fmt;

/// A password or other secret (an OAuth token, a channel-binding-free credential).
///
/// The bytes are kept as given: SASL PLAIN carries UTF-8, but legacy clients send
/// other encodings and Dovecot hashes whatever bytes it gets, so no conversion is
/// applied. `Debug` prints `***`, so a secret never leaks into logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(Vec<u8>);

impl Password {
    /// Wraps the given bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// The secret bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret as text, if it is valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Compares two secrets without leaking where they differ or their lengths:
/// both are hashed first and the digests compared in constant time.
pub(crate) fn secrets_equal(a: impl AsRef<[u8]>, b: impl AsRef<[u8]>) -> bool {
    use sha2::Digest as _;
    use subtle::ConstantTimeEq as _;
    let (a, b) = (
        sha2::Sha256::digest(a.as_ref()),
        sha2::Sha256::digest(b.as_ref()),
    );
    a.as_slice().ct_eq(b.as_slice()).into()
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl AsRef<[u8]> for Password {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Self {
        Self(s.as_bytes().to_vec())
    }
}

impl From<String> for Password {
    fn from(s: String) -> Self {
        Self(s.into_bytes())
    }
}

impl From<&[u8]> for Password {
    fn from(b: &[u8]) -> Self {
        Self(b.to_vec())
    }
}

impl From<Vec<u8>> for Password {
    fn from(b: Vec<u8>) -> Self {
        Self(b)
    }
}

impl Drop for Password {
    fn drop(&mut self) {
        // Best effort: overwrite the secret before the allocation is released.
        self.0.iter_mut().for_each(|b| *b = 0);
        std::hint::black_box(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::Password;

    #[test]
    fn debug_hides_the_secret() {
        let p = Password::from("hunter2");
        assert_eq!(format!("{p:?}"), "***");
        assert_eq!(format!("{:?}", Some(&p)), "Some(***)");
        assert_eq!(p.as_str(), Some("hunter2"));
    }
}
