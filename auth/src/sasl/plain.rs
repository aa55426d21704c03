//! PLAIN (RFC 4616) messages: `[authzid] NUL authcid NUL passwd`.

use super::server::{Answer, CredentialRequest, ServerStep, check_password};
use super::{Mechanism, SaslError, malformed, utf8};
use crate::Password;

const MECH: Mechanism = Mechanism::Plain;

/// A decoded PLAIN message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlainMessage {
    /// The identity to act as; `None` when empty.
    pub authzid: Option<String>,
    /// The identity whose password is given.
    pub authcid: String,
    /// The password.
    pub password: Password,
}

/// Decodes a PLAIN message. The identities must be non-NUL UTF-8 (authcid
/// non-empty); the password must be non-empty and is kept as bytes.
pub fn decode_plain(message: &[u8]) -> Result<PlainMessage, SaslError> {
    let mut parts = message.split(|&b| b == 0);
    let (Some(authzid), Some(authcid), Some(password), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed(MECH, "expected exactly two NUL separators"));
    };
    if authcid.is_empty() {
        return Err(malformed(MECH, "empty authentication identity"));
    }
    if password.is_empty() {
        return Err(malformed(MECH, "empty password"));
    }
    let authzid = utf8(MECH, authzid)?;
    Ok(PlainMessage {
        authzid: (!authzid.is_empty()).then_some(authzid),
        authcid: utf8(MECH, authcid)?,
        password: Password::from(password),
    })
}

/// Encodes a PLAIN message. Fails if a field contains NUL, or authcid or the
/// password is empty (they could not be decoded again).
pub fn encode_plain(
    authzid: Option<&str>,
    authcid: &str,
    password: &Password,
) -> Result<Vec<u8>, SaslError> {
    let authzid = authzid.unwrap_or("");
    if [authzid.as_bytes(), authcid.as_bytes(), password.as_bytes()]
        .iter()
        .any(|f| f.contains(&0))
    {
        return Err(malformed(MECH, "NUL inside a field"));
    }
    if authcid.is_empty() || password.is_empty() {
        return Err(malformed(MECH, "empty authcid or password"));
    }
    let mut out = Vec::with_capacity(authzid.len() + authcid.len() + password.len() + 2);
    out.extend_from_slice(authzid.as_bytes());
    out.push(0);
    out.extend_from_slice(authcid.as_bytes());
    out.push(0);
    out.extend_from_slice(password.as_bytes());
    Ok(out)
}

/// Server side of PLAIN.
#[derive(Debug, Default)]
pub(crate) struct PlainServer {
    pending: Option<PlainMessage>,
}

impl PlainServer {
    pub(crate) fn start(&mut self, initial: Option<&[u8]>) -> Result<ServerStep, SaslError> {
        match initial {
            Some(message) => self.step(message),
            None => Ok(ServerStep::Challenge(Vec::new())),
        }
    }

    pub(crate) fn step(&mut self, message: &[u8]) -> Result<ServerStep, SaslError> {
        let msg = decode_plain(message)?;
        let request = CredentialRequest::VerifyPassword {
            authcid: msg.authcid.clone(),
            authzid: msg.authzid.clone(),
            password: msg.password.clone(),
        };
        self.pending = Some(msg);
        Ok(ServerStep::NeedCredentials(request))
    }

    pub(crate) fn answer(&mut self, answer: Answer) -> Result<ServerStep, SaslError> {
        let msg = self
            .pending
            .take()
            .ok_or(SaslError::OutOfOrder("no PLAIN message yet"))?;
        check_password(answer, &msg.password, msg.authcid, msg.authzid)
    }
}

/// Client side of PLAIN.
#[derive(Debug)]
pub(crate) struct PlainClient {
    pub(crate) message: Option<Vec<u8>>,
}

impl PlainClient {
    pub(crate) fn new(
        authzid: Option<&str>,
        authcid: &str,
        password: &Password,
    ) -> Result<Self, SaslError> {
        Ok(Self {
            message: Some(encode_plain(authzid, authcid, password)?),
        })
    }

    pub(crate) fn initial(&mut self) -> Result<Vec<u8>, SaslError> {
        self.message
            .take()
            .ok_or(SaslError::OutOfOrder("PLAIN message already sent"))
    }

    /// The only challenge PLAIN expects is the empty one of a server that does
    /// not take initial responses.
    pub(crate) fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        if !challenge.is_empty() {
            return Err(malformed(MECH, "unexpected non-empty challenge"));
        }
        self.initial()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4616_examples() {
        // RFC 4616 section 4: with and without authzid.
        let m = decode_plain(b"Ursel\0Kurt\0xipj3plmq").unwrap();
        assert_eq!(m.authzid.as_deref(), Some("Ursel"));
        assert_eq!(m.authcid, "Kurt");
        assert_eq!(m.password.as_bytes(), b"xipj3plmq");
        let m = decode_plain(b"\0tim\0tanstaaftanstaaf").unwrap();
        assert_eq!(m.authzid, None);
        assert_eq!(m.authcid, "tim");
        assert_eq!(m.password.as_bytes(), b"tanstaaftanstaaf");
        assert_eq!(
            encode_plain(Some("Ursel"), "Kurt", &"xipj3plmq".into()).unwrap(),
            b"Ursel\0Kurt\0xipj3plmq"
        );
    }

    #[test]
    fn malformed_plain_messages() {
        for bad in [
            &b""[..],
            b"\0",
            b"\0user",
            b"\0user\0",
            b"\0\0pass",
            b"a\0b\0c\0d",
            b"\0us\xffer\0pass",
            b"\xff\0user\0pass",
        ] {
            assert!(
                matches!(decode_plain(bad), Err(SaslError::Malformed { .. })),
                "{bad:?}"
            );
        }
        assert!(encode_plain(None, "a\0b", &"p".into()).is_err());
        assert!(encode_plain(None, "", &"p".into()).is_err());
        assert!(encode_plain(None, "a", &"".into()).is_err());
    }
}
