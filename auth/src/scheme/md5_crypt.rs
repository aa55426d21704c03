//! MD5-CRYPT (`$1$salt$hash`), the FreeBSD/glibc MD5-based crypt. Verify only.
//!
//! Written from the algorithm's public description: a first digest of
//! password, magic and salt mixed with an alternate digest, then 1000 rounds
//! that mix password, salt and the previous digest depending on the round
//! number, and finally a reordered crypt-base64 output of 22 characters.

use md5::{Digest, Md5};

const MAGIC: &[u8] = b"$1$";
/// The crypt base64 alphabet.
pub(crate) const CRYPT_ALPHABET: &[u8; 64] =
    b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Salt characters beyond this are ignored.
pub(crate) const MAX_SALT: usize = 8;
/// Length of the encoded hash.
pub(crate) const HASH_LEN: usize = 22;

/// Computes the 22-character hash part for `password` and `salt` (at most 8 bytes used).
pub(crate) fn md5_crypt_hash(password: &[u8], salt: &[u8]) -> [u8; HASH_LEN] {
    let salt = &salt[..salt.len().min(MAX_SALT)];

    let alternate = Md5::new()
        .chain_update(password)
        .chain_update(salt)
        .chain_update(password)
        .finalize();

    let mut ctx = Md5::new()
        .chain_update(password)
        .chain_update(MAGIC)
        .chain_update(salt);
    for chunk in password.chunks(16) {
        ctx.update(&alternate[..chunk.len()]);
    }
    let mut bits = password.len();
    while bits != 0 {
        if bits & 1 == 1 {
            ctx.update([0u8]);
        } else {
            ctx.update(&password[..1]);
        }
        bits >>= 1;
    }
    let mut digest: [u8; 16] = ctx.finalize().into();

    for round in 0..1000u32 {
        let mut ctx = Md5::new();
        if round & 1 == 1 {
            ctx.update(password);
        } else {
            ctx.update(digest);
        }
        if round % 3 != 0 {
            ctx.update(salt);
        }
        if round % 7 != 0 {
            ctx.update(password);
        }
        if round & 1 == 1 {
            ctx.update(digest);
        } else {
            ctx.update(password);
        }
        digest = ctx.finalize().into();
    }

    encode(&digest)
}

/// The final reordering into crypt base64 (least significant 6 bits first).
fn encode(d: &[u8; 16]) -> [u8; HASH_LEN] {
    let groups = [
        (d[0], d[6], d[12]),
        (d[1], d[7], d[13]),
        (d[2], d[8], d[14]),
        (d[3], d[9], d[15]),
        (d[4], d[10], d[5]),
    ];
    let mut out = [0u8; HASH_LEN];
    let mut pos = 0;
    let mut push = |value: u32, chars: usize| {
        let mut v = value;
        for _ in 0..chars {
            out[pos] = CRYPT_ALPHABET[(v & 0x3f) as usize];
            pos += 1;
            v >>= 6;
        }
    };
    for (a, b, c) in groups {
        push(u32::from(a) << 16 | u32::from(b) << 8 | u32::from(c), 4);
    }
    push(u32::from(d[11]), 2);
    out
}

#[cfg(test)]
mod tests {
    use super::md5_crypt_hash;

    #[test]
    fn known_answers() {
        // Made by `doveadm pw -s MD5-CRYPT` (Dovecot 2.3.19).
        assert_eq!(
            &md5_crypt_hash(b"test", b"MSlvITJy"),
            b"DZfn67RsHVpGRpTmek9ZC0"
        );
        assert_eq!(
            &md5_crypt_hash(b"test", b"bZL/rHFG"),
            b"rWZ31LAvoyA8dPUcTNWwK0"
        );
    }

    #[test]
    fn empty_password_does_not_panic() {
        assert_eq!(md5_crypt_hash(b"", b"salt").len(), 22);
    }
}
