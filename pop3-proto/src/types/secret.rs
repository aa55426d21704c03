//! Secrets carried by commands and events; their `Debug` output never shows them.

use std::borrow::Cow;
use std::fmt;

/// The argument of `PASS`: raw octets (RFC 1939 allows spaces in it). `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password<'a>(pub Cow<'a, [u8]>);

impl<'a> Password<'a> {
    /// Wraps a password.
    pub fn new(bytes: impl Into<Cow<'a, [u8]>>) -> Self {
        Self(bytes.into())
    }

    /// The password octets.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Detaches the password from the buffer it was decoded from.
    pub fn into_owned(self) -> Password<'static> {
        Password(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Debug for Password<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// SASL data (RFC 5034), already base64-decoded. `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SaslData(pub Vec<u8>);

impl SaslData {
    /// Wraps SASL octets.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// The decoded octets.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SaslData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SaslData(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        assert_eq!(
            format!("{:?}", Password::new(&b"hunter2"[..])),
            "Password(***)"
        );
        assert_eq!(
            format!("{:?}", SaslData::new(b"x".to_vec())),
            "SaslData(***)"
        );
    }
}
