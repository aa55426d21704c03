//! SASLprep (RFC 4013), the stringprep (RFC 3454) profile for user names and
//! passwords.
//!
//! The tables come from the `stringprep` crate (Unicode 3.2 tables as RFC 3454
//! requires, maintained with the Rust PostgreSQL driver, which applies it to
//! SCRAM passwords too); this module gives its result a typed error that never
//! shows the offending character, since it may be part of a password.
//!
//! Where Postroom applies it:
//! - SCRAM (RFC 5802 section 5.1): the client prepares the user name and the
//!   password; the server prepares the user name it receives and a cleartext
//!   password it derives keys from. A string that cannot be prepared is a
//!   [`PrepError`].
//! - Stored `{SCRAM-*}` keys are made from the prepared password when it can be
//!   prepared, else (like Dovecot, which never prepares) from the bytes as given;
//!   verifying a password against them tries both forms.
//! - PLAIN and LOGIN passwords are not prepared: RFC 4616 section 2 recommends
//!   SASLprep but allows none to interoperate with an external system, and the
//!   `{SCHEME}` hashes of a Dovecot database were made from the bytes as typed.
//!
//! Names are prepared as "stored strings" too (code points unassigned in
//! Unicode 3.2 are refused), which is stricter than the "query" treatment RFC
//! 5802 asks for user names; the crate offers only the stored form.

use std::borrow::Cow;

/// Why a string cannot be prepared with SASLprep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrepError {
    /// The bytes are not UTF-8.
    #[error("not valid UTF-8")]
    NotUtf8,
    /// A prohibited character (control, private use, unassigned, ...) or
    /// mixed-direction text (RFC 4013 sections 2.3 to 2.5).
    #[error("contains characters or mixed-direction text that SASLprep prohibits")]
    Prohibited,
    /// Nothing is left after preparation.
    #[error("empty after preparation")]
    Empty,
}

/// Prepares `s` with SASLprep: maps non-ASCII spaces to ASCII space, removes
/// characters "commonly mapped to nothing", normalises to NFKC, and refuses
/// prohibited output. Returns `s` itself when nothing changes.
///
/// ```
/// use auth::saslprep::{PrepError, saslprep};
///
/// assert_eq!(saslprep("I\u{00AD}X")?, "IX");
/// assert_eq!(saslprep("\u{2168}")?, "IX");
/// assert_eq!(saslprep("\u{0007}"), Err(PrepError::Prohibited));
/// # Ok::<(), PrepError>(())
/// ```
pub fn saslprep(s: &str) -> Result<Cow<'_, str>, PrepError> {
    let prepared = stringprep::saslprep(s).map_err(|_| PrepError::Prohibited)?;
    if prepared.is_empty() {
        return Err(PrepError::Empty);
    }
    Ok(if prepared == s {
        Cow::Borrowed(s)
    } else {
        prepared
    })
}

/// Prepares a password given as bytes (it must be UTF-8).
pub fn saslprep_bytes(password: &[u8]) -> Result<Cow<'_, [u8]>, PrepError> {
    let text = std::str::from_utf8(password).map_err(|_| PrepError::NotUtf8)?;
    Ok(match saslprep(text)? {
        Cow::Borrowed(b) => Cow::Borrowed(b.as_bytes()),
        Cow::Owned(o) => Cow::Owned(o.into_bytes()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4013_section_3_examples() {
        // Table of RFC 4013 section 3: SOFT HYPHEN mapped to nothing, no
        // change, case preserved, NFKC of FEMININE ORDINAL INDICATOR and of
        // ROMAN NUMERAL NINE, a prohibited control, and bidi rule 2.
        assert_eq!(saslprep("I\u{00AD}X").unwrap(), "IX");
        assert_eq!(saslprep("user").unwrap(), "user");
        assert_eq!(saslprep("USER").unwrap(), "USER");
        assert_eq!(saslprep("\u{00AA}").unwrap(), "a");
        assert_eq!(saslprep("\u{2168}").unwrap(), "IX");
        assert_eq!(saslprep("\u{0007}"), Err(PrepError::Prohibited));
        assert_eq!(saslprep("\u{0627}1"), Err(PrepError::Prohibited));
    }

    #[test]
    fn unchanged_text_is_borrowed() {
        assert!(matches!(
            saslprep("pencil").unwrap(),
            Cow::Borrowed("pencil")
        ));
        assert!(matches!(saslprep("пароль").unwrap(), Cow::Borrowed(_)));
    }

    #[test]
    fn spaces_and_empty_results() {
        // Non-ASCII spaces map to U+0020; characters mapped to nothing vanish.
        assert_eq!(saslprep("a\u{00A0}b\u{3000}c").unwrap(), "a b c");
        assert_eq!(saslprep("\u{00AD}\u{FEFF}\u{180B}"), Err(PrepError::Empty));
        assert_eq!(saslprep(""), Err(PrepError::Empty));
        // A code point unassigned in Unicode 3.2 is refused in stored strings.
        assert_eq!(saslprep("key\u{1F511}"), Err(PrepError::Prohibited));
        // Right-to-left text on its own is fine.
        assert_eq!(saslprep("\u{0627}\u{0628}").unwrap(), "\u{0627}\u{0628}");
    }

    #[test]
    fn bytes() {
        assert_eq!(saslprep_bytes(b"I\xC2\xADX").unwrap().as_ref(), b"IX");
        assert_eq!(saslprep_bytes(b"pa\xffss"), Err(PrepError::NotUtf8));
        assert_eq!(saslprep_bytes(b"a\x00b"), Err(PrepError::Prohibited));
    }
}
