//! APOP (RFC 1939 section 7): the greeting timestamp and the MD5 digest over it.

use std::fmt;

use md5::{Digest, Md5};

/// An APOP digest: MD5 over the greeting timestamp followed by the shared secret.
/// On the wire it is 32 lower-case hexadecimal digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ApopDigest(pub [u8; 16]);

impl ApopDigest {
    /// Computes the digest for `timestamp` (with its angle brackets) and `secret`.
    pub fn compute(timestamp: &str, secret: &[u8]) -> Self {
        let mut md5 = Md5::new();
        md5.update(timestamp.as_bytes());
        md5.update(secret);
        Self(md5.finalize().into())
    }

    /// Whether this digest (sent by a client) matches `timestamp` and `secret`, compared in
    /// constant time.
    pub fn verify(&self, timestamp: &str, secret: &[u8]) -> bool {
        let expected = Self::compute(timestamp, secret);
        let diff = self
            .0
            .iter()
            .zip(expected.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        diff == 0
    }

    /// Parses 32 hexadecimal digits (either case).
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 32 {
            return None;
        }
        let mut out = [0u8; 16];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let hi = hex_value(pair[0])?;
            let lo = hex_value(pair[1])?;
            out[i] = (hi << 4) | lo;
        }
        Some(Self(out))
    }

    /// The 32 lower-case hexadecimal digits.
    pub fn to_hex(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(32);
        for b in self.0 {
            s.push(char::from(DIGITS[usize::from(b >> 4)]));
            s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
        }
        s
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Debug for ApopDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApopDigest({})", self.to_hex())
    }
}

/// The APOP timestamp in a greeting text: the first `<...>` containing an `@`, brackets
/// included (RFC 1939 section 7 gives it the syntax of a msg-id).
pub fn apop_timestamp(greeting_text: &str) -> Option<&str> {
    let start = greeting_text.find('<')?;
    let len = greeting_text[start..].find('>')?;
    let stamp = &greeting_text[start..=start + len];
    let inner = &stamp[1..stamp.len() - 1];
    let valid = inner.contains('@')
        && inner
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>');
    valid.then_some(stamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of RFC 1939 section 7.
    #[test]
    fn rfc1939_apop_example() {
        let stamp = "<1896.697170952@dbc.mtview.ca.us>";
        let digest = ApopDigest::compute(stamp, b"tanstaaf");
        assert_eq!(digest.to_hex(), "c4c9334bac560ecc979e58001b3e22fb");
        assert!(digest.verify(stamp, b"tanstaaf"));
        assert!(!digest.verify(stamp, b"tanstaag"));
        assert_eq!(ApopDigest::from_hex(&digest.to_hex()), Some(digest));
        assert_eq!(
            ApopDigest::from_hex("C4C9334BAC560ECC979E58001B3E22FB"),
            Some(digest)
        );
        assert_eq!(ApopDigest::from_hex("c4c9"), None);
        assert_eq!(ApopDigest::from_hex(&"g".repeat(32)), None);
    }

    #[test]
    fn finds_timestamp() {
        assert_eq!(
            apop_timestamp("POP3 server ready <1896.697170952@dbc.mtview.ca.us>"),
            Some("<1896.697170952@dbc.mtview.ca.us>")
        );
        assert_eq!(apop_timestamp("ready"), None);
        assert_eq!(apop_timestamp("ready <no-at-sign>"), None);
        assert_eq!(apop_timestamp("ready <a b@c>"), None);
        assert_eq!(apop_timestamp("ready <unclosed@x"), None);
    }
}
