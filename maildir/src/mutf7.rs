//! IMAP modified UTF-7 (RFC 3501 section 5.1.3), the encoding Dovecot uses
//! for folder names on disk (`.Entw&APw-rfe`).
//!
//! Printable US-ASCII (0x20-0x7e) stands for itself, except `&`, which is
//! written `&-`. Any other run of characters is written as `&`, the UTF-16BE
//! code units in base64 with `,` instead of `/` and no padding, then `-`.
//!
//! [`decode`] accepts only the canonical form that [`encode`] produces, so
//! `encode(decode(x)?) == x` for every accepted `x`.
//!
//! ```
//! use maildir::mutf7;
//! assert_eq!(mutf7::encode("Entwürfe"), "Entw&APw-rfe");
//! assert_eq!(mutf7::decode("&ZeVnLIqe-").unwrap(), "日本語");
//! ```

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// Why a modified UTF-7 string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Mutf7Error {
    /// A byte outside printable US-ASCII appeared outside a shifted run.
    #[error("byte {byte:#04x} at {pos} is not printable ASCII")]
    NotAscii {
        /// The byte.
        byte: u8,
        /// Its offset.
        pos: usize,
    },
    /// A shifted run (`&...`) is not terminated by `-`.
    #[error("unterminated shift at {pos}")]
    Unterminated {
        /// Offset of the `&`.
        pos: usize,
    },
    /// A character inside a shifted run is not in the modified base64 alphabet.
    #[error("invalid base64 byte {byte:#04x} at {pos}")]
    BadBase64 {
        /// The byte.
        byte: u8,
        /// Its offset.
        pos: usize,
    },
    /// The shifted run does not decode to well-formed, canonical UTF-16.
    #[error("malformed shifted run at {pos}")]
    Malformed {
        /// Offset of the `&`.
        pos: usize,
    },
}

fn is_direct(c: char) -> bool {
    (' '..='~').contains(&c)
}

/// Encodes a UTF-8 string as modified UTF-7.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut units: Vec<u16> = Vec::new();
    for c in text.chars() {
        if is_direct(c) {
            flush_shifted(&mut units, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            units.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush_shifted(&mut units, &mut out);
    out
}

fn flush_shifted(units: &mut Vec<u16>, out: &mut String) {
    if units.is_empty() {
        return;
    }
    out.push('&');
    let mut bits: u32 = 0;
    let mut nbits = 0u32;
    for unit in units.drain(..) {
        for byte in unit.to_be_bytes() {
            bits = (bits << 8) | u32::from(byte);
            nbits += 8;
            while nbits >= 6 {
                nbits -= 6;
                out.push(char::from(ALPHABET[((bits >> nbits) & 0x3f) as usize]));
            }
        }
    }
    if nbits > 0 {
        out.push(char::from(
            ALPHABET[((bits << (6 - nbits)) & 0x3f) as usize],
        ));
    }
    out.push('-');
}

fn base64_value(byte: u8) -> Option<u32> {
    ALPHABET.iter().position(|&b| b == byte).map(|v| v as u32)
}

/// Decodes modified UTF-7 into UTF-8, refusing anything [`encode`] would not
/// have produced.
pub fn decode(text: &str) -> Result<String, Mutf7Error> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(bytes.len());
    let mut pos = 0;
    let mut last_shift_end: Option<usize> = None;
    while pos < bytes.len() {
        let byte = bytes[pos];
        if byte == b'&' {
            let start = pos;
            let end = bytes[pos + 1..]
                .iter()
                .position(|&b| b == b'-')
                .map(|off| pos + 1 + off)
                .ok_or(Mutf7Error::Unterminated { pos: start })?;
            if end == start + 1 {
                out.push('&');
            } else {
                // Two shifted runs back to back are not canonical.
                if last_shift_end == Some(start) {
                    return Err(Mutf7Error::Malformed { pos: start });
                }
                decode_shifted(&bytes[start + 1..end], start, &mut out)?;
                last_shift_end = Some(end + 1);
            }
            pos = end + 1;
        } else if (0x20..=0x7e).contains(&byte) {
            out.push(char::from(byte));
            pos += 1;
        } else {
            return Err(Mutf7Error::NotAscii { byte, pos });
        }
    }
    Ok(out)
}

fn decode_shifted(run: &[u8], start: usize, out: &mut String) -> Result<(), Mutf7Error> {
    let malformed = Mutf7Error::Malformed { pos: start };
    let mut bits: u32 = 0;
    let mut nbits = 0u32;
    let mut units = Vec::with_capacity(run.len() * 6 / 16);
    for (i, &byte) in run.iter().enumerate() {
        let value = base64_value(byte).ok_or(Mutf7Error::BadBase64 {
            byte,
            pos: start + 1 + i,
        })?;
        bits = ((bits << 6) | value) & 0x3f_ffff;
        nbits += 6;
        if nbits >= 16 {
            nbits -= 16;
            units.push(((bits >> nbits) & 0xffff) as u16);
        }
    }
    // Leftover bits must be fewer than 6 and all zero.
    if nbits >= 6 || bits & ((1 << nbits) - 1) != 0 || units.is_empty() {
        return Err(malformed);
    }
    for decoded in char::decode_utf16(units.iter().copied()) {
        let c = decoded.map_err(|_| malformed.clone())?;
        if is_direct(c) {
            return Err(malformed);
        }
        out.push(c);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_answers() {
        let table = [
            ("INBOX", "INBOX"),
            ("Entwürfe", "Entw&APw-rfe"),
            ("日本語", "&ZeVnLIqe-"),
            ("Tom & Jerry", "Tom &- Jerry"),
            ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            ("€", "&IKw-"),
            ("😀", "&2D3eAA-"),
            ("", ""),
        ];
        for (plain, encoded) in table {
            assert_eq!(encode(plain), encoded, "encode {plain}");
            assert_eq!(decode(encoded).unwrap(), plain, "decode {encoded}");
        }
    }

    #[test]
    fn rejects_non_canonical_and_broken() {
        assert_eq!(decode("&"), Err(Mutf7Error::Unterminated { pos: 0 }));
        assert_eq!(decode("a&ZeV"), Err(Mutf7Error::Unterminated { pos: 1 }));
        assert!(matches!(decode("&Ze/-"), Err(Mutf7Error::BadBase64 { .. })));
        // ASCII "a" encoded in a shifted run.
        assert!(matches!(decode("&AGE-"), Err(Mutf7Error::Malformed { .. })));
        // Non-zero padding bits.
        assert!(matches!(decode("&APx-"), Err(Mutf7Error::Malformed { .. })));
        // Lone high surrogate.
        assert!(matches!(decode("&2D0-"), Err(Mutf7Error::Malformed { .. })));
        // Adjacent shifted runs.
        assert!(matches!(
            decode("&APw-&APw-"),
            Err(Mutf7Error::Malformed { .. })
        ));
        assert!(matches!(
            decode("caf\u{e9}"),
            Err(Mutf7Error::NotAscii { .. })
        ));
        assert!(matches!(decode("a\tb"), Err(Mutf7Error::NotAscii { .. })));
    }

    proptest! {
        #[test]
        fn round_trip(text in any::<String>()) {
            let encoded = encode(&text);
            prop_assert!(encoded.bytes().all(|b| (0x20..=0x7e).contains(&b)));
            prop_assert_eq!(decode(&encoded).unwrap(), text);
        }

        #[test]
        fn decode_never_panics_and_is_canonical(text in "[ -~]{0,24}") {
            if let Ok(plain) = decode(&text) {
                prop_assert_eq!(encode(&plain), text);
            }
        }
    }
}
