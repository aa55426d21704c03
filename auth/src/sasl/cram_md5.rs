//! CRAM-MD5 (RFC 2195): the server sends a unique challenge, the client answers
//! `user SP hex(HMAC-MD5(password, challenge))`. The server needs the cleartext.

use super::server::{
    Answer, CredentialRequest, ServerOptions, ServerStep, Success, cleartext_from,
};
use super::{Mechanism, SaslError, malformed, utf8};
use crate::Password;
use hmac::{KeyInit as _, Mac as _};
use subtle::ConstantTimeEq as _;

const MECH: Mechanism = Mechanism::CramMd5;

fn hmac_md5(key: &[u8], data: &[u8]) -> [u8; 16] {
    match hmac::Hmac::<md5::Md5>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        // HMAC takes keys of any length.
        Err(_) => [0; 16],
    }
}

/// Server side of CRAM-MD5.
#[derive(Debug)]
pub(crate) struct CramMd5Server {
    challenge: Vec<u8>,
    pending: Option<(String, [u8; 16])>,
}

impl CramMd5Server {
    pub(crate) fn new(options: &ServerOptions) -> Result<Self, SaslError> {
        let challenge = match &options.fixed_nonce {
            Some(c) => c.clone(),
            None => {
                let a = getrandom::u64().map_err(|_| SaslError::Random)?;
                let b = getrandom::u32().map_err(|_| SaslError::Random)?;
                format!("<{a}.{b}@{}>", options.hostname)
            }
        };
        Ok(Self {
            challenge: challenge.into_bytes(),
            pending: None,
        })
    }

    pub(crate) fn start(&mut self, initial: Option<&[u8]>) -> Result<ServerStep, SaslError> {
        if initial.is_some() {
            return Err(SaslError::UnexpectedInitialResponse {
                mechanism: MECH.name(),
            });
        }
        Ok(ServerStep::Challenge(self.challenge.clone()))
    }

    pub(crate) fn step(&mut self, response: &[u8]) -> Result<ServerStep, SaslError> {
        let text = utf8(MECH, response)?;
        let (user, digest) = text
            .rsplit_once(' ')
            .ok_or_else(|| malformed(MECH, "expected 'user digest'"))?;
        if user.is_empty() || digest.len() != 32 {
            return Err(malformed(
                MECH,
                "expected 'user digest' with a 32-digit digest",
            ));
        }
        let mut expected = [0u8; 16];
        hex::decode_to_slice(digest, &mut expected)
            .map_err(|_| malformed(MECH, "digest is not hex"))?;
        self.pending = Some((user.to_owned(), expected));
        Ok(ServerStep::NeedCredentials(
            CredentialRequest::LookupSecret {
                authcid: user.to_owned(),
                authzid: None,
                mechanism: MECH,
            },
        ))
    }

    pub(crate) fn answer(&mut self, answer: Answer) -> Result<ServerStep, SaslError> {
        let (user, digest) = self
            .pending
            .take()
            .ok_or(SaslError::OutOfOrder("no CRAM-MD5 response yet"))?;
        let password = cleartext_from(answer, MECH)?;
        let key = password.as_ref().map_or(&b""[..], Password::as_bytes);
        let good = hmac_md5(key, &self.challenge).ct_eq(&digest);
        if password.is_some() && bool::from(good) {
            Ok(ServerStep::Success(Success {
                identity: user,
                authzid: None,
                final_data: None,
            }))
        } else {
            Err(SaslError::AuthenticationFailed)
        }
    }
}

/// Client side of CRAM-MD5.
#[derive(Debug)]
pub(crate) struct CramMd5Client {
    user: String,
    password: Password,
    answered: bool,
}

impl CramMd5Client {
    pub(crate) fn new(user: &str, password: Password) -> Self {
        Self {
            user: user.to_owned(),
            password,
            answered: false,
        }
    }

    pub(crate) fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        if std::mem::replace(&mut self.answered, true) {
            return Err(malformed(MECH, "more than one challenge"));
        }
        if challenge.is_empty() {
            return Err(malformed(MECH, "empty challenge"));
        }
        let digest = hex::encode(hmac_md5(self.password.as_bytes(), challenge));
        Ok(format!("{} {digest}", self.user).into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2195_example() {
        let challenge = b"<1896.697170952@postoffice.reston.mci.net>";
        let mut client = CramMd5Client::new("tim", "tanstaaftanstaaf".into());
        assert_eq!(
            client.step(challenge).unwrap(),
            b"tim b913a602c7eda7a495b4e6e7334d3890"
        );
        assert!(client.step(challenge).is_err());
    }
}
