//! Strict base64 (RFC 4648 section 4, with padding) for SASL data: ManageSieve
//! carries SASL messages base64-encoded inside strings. The `base64` crate's standard
//! engine is strict already (padding required, canonical trailing bits).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Encodes `bytes` with padding.
pub(crate) fn encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes padded base64; `None` for any other character, bad padding or a length that
/// is not a multiple of four.
pub(crate) fn decode(text: &[u8]) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4648 section 10.
    const VECTORS: [(&str, &str); 7] = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];

    #[test]
    fn rfc_4648_vectors_both_ways() {
        for (plain, coded) in VECTORS {
            assert_eq!(encode(plain.as_bytes()), coded);
            assert_eq!(decode(coded.as_bytes()).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn sasl_plain_message() {
        let coded = encode(b"\0ken\0secret");
        assert_eq!(coded, "AGtlbgBzZWNyZXQ=");
        assert_eq!(decode(coded.as_bytes()).unwrap(), b"\0ken\0secret");
    }

    #[test]
    fn malformed_input_is_refused() {
        for bad in [
            "Zg", "Zg=", "Z===", "Zg==Zg==", "Zm9v\r\n", "Zm 9v", "Zm9v!A==", "Zh==", "Zm9=",
        ] {
            assert_eq!(decode(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn every_byte_round_trips() {
        let all: Vec<u8> = (0..=255).collect();
        for len in 0..all.len() {
            let coded = encode(&all[..len]);
            assert_eq!(decode(coded.as_bytes()).unwrap(), &all[..len]);
        }
    }
}
