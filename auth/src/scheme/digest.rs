//! Plain and salted message digests (`SHA*`, `SSHA*`, `SMD5`, `PLAIN-MD5`, ...).

use sha2::Digest;

/// The digest functions the digest schemes use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DigestAlg {
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl DigestAlg {
    /// Output length in bytes.
    pub(crate) const fn len(self) -> usize {
        match self {
            Self::Md5 => 16,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }

    /// The digest of the concatenation of `parts`.
    pub(crate) fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut d = D::new();
            for part in parts {
                d.update(part);
            }
            d.finalize().to_vec()
        }
        match self {
            Self::Md5 => run::<md5::Md5>(parts),
            Self::Sha1 => run::<sha1::Sha1>(parts),
            Self::Sha256 => run::<sha2::Sha256>(parts),
            Self::Sha512 => run::<sha2::Sha512>(parts),
        }
    }
}
