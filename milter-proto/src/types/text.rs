//! Milter strings: bytes that never contain NUL, the wire's string terminator.

use std::borrow::Cow;
use std::fmt;

/// A string as the milter protocol carries it: any bytes except NUL.
///
/// Header values, addresses and macro values are usually ASCII or UTF-8 but the protocol
/// does not promise it, so the bytes are kept as they are; [`Text::as_str`] and
/// [`Text::to_str_lossy`] give a string view.
#[derive(Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Text<'a>(Cow<'a, [u8]>);

/// A string for the milter protocol contained a NUL byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("milter strings cannot contain NUL (found at offset {offset})")]
pub struct InvalidText {
    /// Where the NUL byte is.
    pub offset: usize,
}

impl<'a> Text<'a> {
    /// Checks that `bytes` contain no NUL.
    pub fn new(bytes: impl Into<Cow<'a, [u8]>>) -> Result<Self, InvalidText> {
        let bytes = bytes.into();
        match memchr::memchr(0, &bytes) {
            Some(offset) => Err(InvalidText { offset }),
            None => Ok(Self(bytes)),
        }
    }

    /// The empty string.
    pub const fn empty() -> Self {
        Self(Cow::Borrowed(&[]))
    }

    /// The bytes, without a terminator.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The string, if it is UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// The string, with invalid UTF-8 replaced by U+FFFD.
    pub fn to_str_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A copy that borrows nothing.
    pub fn into_owned(self) -> Text<'static> {
        Text(Cow::Owned(self.0.into_owned()))
    }

    /// Wraps bytes the caller has checked (the codec splits at NUL, so none is left).
    pub(crate) fn from_checked(bytes: &'a [u8]) -> Self {
        debug_assert!(!bytes.contains(&0));
        Self(Cow::Borrowed(bytes))
    }
}

impl<'a> TryFrom<&'a str> for Text<'a> {
    type Error = InvalidText;

    fn try_from(value: &'a str) -> Result<Self, Self::Error> {
        Self::new(value.as_bytes())
    }
}

impl<'a> TryFrom<&'a [u8]> for Text<'a> {
    type Error = InvalidText;

    fn try_from(value: &'a [u8]) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<String> for Text<'static> {
    type Error = InvalidText;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value.into_bytes())
    }
}

impl PartialEq<str> for Text<'_> {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_str_lossy(), f)
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_str_lossy())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_refused_with_its_offset() {
        assert_eq!(Text::new(&b"ab\0c"[..]), Err(InvalidText { offset: 2 }));
        assert_eq!(Text::try_from("abc").unwrap(), "abc");
        assert_eq!(Text::new(vec![0xff]).unwrap().as_str(), None);
        assert_eq!(Text::new(vec![0xff]).unwrap().to_str_lossy(), "\u{fffd}");
    }
}
