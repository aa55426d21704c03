//! EXTERNAL (RFC 4422 appendix A): the identity comes from outside SASL (a TLS
//! client certificate); the client only names an optional authzid.

use super::server::{ServerOptions, ServerStep, Success};
use super::{Mechanism, SaslError, utf8};

/// Server side of EXTERNAL.
#[derive(Debug)]
pub(crate) struct ExternalServer {
    identity: String,
}

impl ExternalServer {
    pub(crate) fn new(options: &ServerOptions) -> Result<Self, SaslError> {
        let identity = options
            .external_identity
            .clone()
            .ok_or(SaslError::NoExternalIdentity)?;
        Ok(Self { identity })
    }

    pub(crate) fn start(&mut self, initial: Option<&[u8]>) -> Result<ServerStep, SaslError> {
        match initial {
            Some(message) => self.step(message),
            None => Ok(ServerStep::Challenge(Vec::new())),
        }
    }

    /// The message is the authzid, empty for "act as myself".
    pub(crate) fn step(&mut self, message: &[u8]) -> Result<ServerStep, SaslError> {
        let authzid = utf8(Mechanism::External, message)?;
        if authzid.contains('\0') {
            return Err(super::malformed(Mechanism::External, "NUL in authzid"));
        }
        Ok(ServerStep::Success(Success {
            identity: self.identity.clone(),
            authzid: (!authzid.is_empty()).then_some(authzid),
            final_data: None,
        }))
    }
}
