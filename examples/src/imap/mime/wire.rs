//! Building imap-proto strings from raw header bytes.
//!
//! IMAP strings cannot hold NUL (RFC 9051 section 4.3); a NUL in a header becomes
//! U+FFFD, as Dovecot sends it. Everything else goes out as written (the encoder picks
//! a literal for 8-bit or multi-line values).

use std::borrow::Cow;

use imap_proto::types::{IString, NString};

/// UTF-8 of U+FFFD REPLACEMENT CHARACTER.
const REPLACEMENT: &[u8] = "\u{fffd}".as_bytes();

/// `bytes` as an IMAP string.
pub(super) fn string(bytes: impl Into<Cow<'static, [u8]>>) -> IString<'static> {
    let mut bytes = bytes.into();
    if bytes.contains(&0) {
        bytes = Cow::Owned(without_nul(&bytes));
    }
    if u32::try_from(bytes.len()).is_err() {
        // Larger than any IMAP string; only a >4 GiB header field gets here.
        bytes.to_mut().truncate(u32::MAX as usize);
    }
    IString::new(bytes).expect("a string without NUL and under 4 GiB is valid")
}

/// `Some(bytes)` as a string, `None` as `NIL`.
pub(super) fn nstring(bytes: Option<Vec<u8>>) -> NString<'static> {
    NString(bytes.map(string))
}

fn without_nul(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 2);
    for &b in bytes {
        if b == 0 {
            out.extend_from_slice(REPLACEMENT);
        } else {
            out.push(b);
        }
    }
    out
}
