//! Client side of SCRAM-SHA-1 / SCRAM-SHA-256 (and -PLUS).

use super::client::ScramClientOptions;
use super::scram_msg::{
    ServerFinal, encode_saslname, parse_server_final, parse_server_first, valid_nonce, xor,
};
use super::{ChannelBinding, Mechanism, SaslError, malformed, random_nonce};
use crate::Password;
use crate::saslprep::{saslprep, saslprep_bytes};
use crate::scram::{ScramHash, derive_keys};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use subtle::ConstantTimeEq as _;

#[derive(Debug)]
enum State {
    New,
    AwaitServerFirst { gs2_header: String, bare: String },
    AwaitServerFinal { server_signature: Vec<u8> },
    Verified,
    Done,
}

/// Client side of SCRAM.
#[derive(Debug)]
pub(crate) struct ScramClient {
    mechanism: Mechanism,
    hash: ScramHash,
    authcid: String,
    password: Password,
    options: ScramClientOptions,
    nonce: String,
    state: State,
}

impl ScramClient {
    pub(crate) fn new(
        hash: ScramHash,
        authcid: &str,
        password: Password,
        options: ScramClientOptions,
    ) -> Result<Self, SaslError> {
        let mechanism = match (hash, options.use_channel_binding) {
            (ScramHash::Sha1, false) => Mechanism::ScramSha1,
            (ScramHash::Sha1, true) => Mechanism::ScramSha1Plus,
            (ScramHash::Sha256, false) => Mechanism::ScramSha256,
            (ScramHash::Sha256, true) => Mechanism::ScramSha256Plus,
        };
        if options.use_channel_binding && options.channel_binding.is_none() {
            return Err(SaslError::ChannelBinding(
                "-PLUS needs channel-binding data",
            ));
        }
        if authcid.is_empty() {
            return Err(malformed(mechanism, "empty user name"));
        }
        // RFC 5802 section 5.1: the name and the password are prepared with
        // SASLprep before use; one that cannot be prepared ends here.
        let authcid = saslprep(authcid).map_err(|error| SaslError::Prep {
            what: "user name",
            error,
        })?;
        let password = match saslprep_bytes(password.as_bytes()) {
            Ok(prepared) => Password::new(prepared.into_owned()),
            Err(error) => {
                return Err(SaslError::Prep {
                    what: "password",
                    error,
                });
            }
        };
        let nonce = match &options.fixed_nonce {
            Some(n) if valid_nonce(n) => n.clone(),
            Some(_) => return Err(malformed(mechanism, "invalid nonce")),
            None => random_nonce(18)?,
        };
        Ok(Self {
            mechanism,
            hash,
            authcid: authcid.into_owned(),
            password,
            options,
            nonce,
            state: State::New,
        })
    }

    pub(crate) fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    fn cb(&self) -> Option<&ChannelBinding> {
        self.options.channel_binding.as_ref()
    }

    pub(crate) fn initial(&mut self) -> Result<Vec<u8>, SaslError> {
        if !matches!(self.state, State::New) {
            return Err(SaslError::OutOfOrder(
                "SCRAM client-first-message already sent",
            ));
        }
        let flag = match (self.options.use_channel_binding, self.cb()) {
            (true, Some(cb)) => format!("p={}", cb.kind),
            (false, Some(_)) => "y".to_owned(),
            _ => "n".to_owned(),
        };
        let authzid = match &self.options.authzid {
            Some(a) => format!("a={}", encode_saslname(a)),
            None => String::new(),
        };
        let gs2_header = format!("{flag},{authzid},");
        let bare = format!("n={},r={}", encode_saslname(&self.authcid), self.nonce);
        let message = format!("{gs2_header}{bare}").into_bytes();
        self.state = State::AwaitServerFirst { gs2_header, bare };
        Ok(message)
    }

    pub(crate) fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::New if challenge.is_empty() => {
                self.state = State::New;
                self.initial()
            }
            State::AwaitServerFirst { gs2_header, bare } => {
                self.server_first(challenge, &gs2_header, &bare)
            }
            State::AwaitServerFinal { server_signature } => {
                self.server_final(challenge, &server_signature)?;
                Ok(Vec::new())
            }
            _ => Err(SaslError::OutOfOrder("SCRAM expects no more challenges")),
        }
    }

    fn server_first(
        &mut self,
        challenge: &[u8],
        gs2_header: &str,
        bare: &str,
    ) -> Result<Vec<u8>, SaslError> {
        let mech = self.mechanism;
        let text =
            std::str::from_utf8(challenge).map_err(|_| malformed(mech, "not valid UTF-8"))?;
        // A server that refuses the client-first-message may answer with its
        // server-error (`e=invalid-username-encoding`, ...) straight away.
        if let Some(error) = text.strip_prefix("e=") {
            return match error.split(',').next() {
                Some(value) if !value.is_empty() => Err(SaslError::ServerError(value.to_owned())),
                _ => Err(malformed(mech, "empty server-error")),
            };
        }
        let first = parse_server_first(mech, text)?;
        if first.nonce.len() <= self.nonce.len() || !first.nonce.starts_with(&self.nonce) {
            return Err(malformed(mech, "server nonce does not extend ours"));
        }
        if first.iterations < self.options.min_iterations {
            return Err(SaslError::ParametersRefused(
                "iteration count below the minimum",
            ));
        }
        if first.iterations > self.options.max_iterations {
            return Err(SaslError::ParametersRefused(
                "iteration count above the maximum",
            ));
        }
        let keys = derive_keys(
            self.hash,
            self.password.as_bytes(),
            &first.salt,
            first.iterations,
        );
        let mut cbind = gs2_header.as_bytes().to_vec();
        if let (true, Some(cb)) = (self.options.use_channel_binding, self.cb()) {
            cbind.extend_from_slice(&cb.data);
        }
        let without_proof = format!("c={},r={}", B64.encode(cbind), first.nonce);
        let auth_message = format!("{bare},{text},{without_proof}");
        let client_signature = self.hash.hmac(&keys.stored_key, auth_message.as_bytes());
        let proof = xor(&keys.client_key, &client_signature);
        let server_signature = self.hash.hmac(&keys.server_key, auth_message.as_bytes());
        self.state = State::AwaitServerFinal { server_signature };
        Ok(format!("{without_proof},p={}", B64.encode(proof)).into_bytes())
    }

    fn server_final(&mut self, message: &[u8], expected: &[u8]) -> Result<(), SaslError> {
        match parse_server_final(self.mechanism, message)? {
            ServerFinal::Verifier(v) if bool::from(v.ct_eq(expected)) => {
                self.state = State::Verified;
                Ok(())
            }
            ServerFinal::Verifier(_) => Err(SaslError::ServerNotAuthenticated),
            ServerFinal::Error(e) => Err(SaslError::ServerError(e)),
        }
    }

    /// The server reported success, with `v=` as additional data or after it
    /// came as a challenge.
    pub(crate) fn finish(&mut self, final_data: Option<&[u8]>) -> Result<(), SaslError> {
        match (std::mem::replace(&mut self.state, State::Done), final_data) {
            (State::AwaitServerFinal { server_signature }, Some(data)) => {
                self.server_final(data, &server_signature)
            }
            (State::Verified, None) => Ok(()),
            (State::Verified, Some(_)) => {
                Err(SaslError::OutOfOrder("server-final-message came twice"))
            }
            _ => Err(SaslError::ServerNotAuthenticated),
        }
    }
}
