//! Server side of SCRAM-SHA-1 / SCRAM-SHA-256 (and -PLUS), RFC 5802 / RFC 7677.
//! It works from stored keys ([`ScramCredentials`]), never needs the password.

use super::scram_msg::{CbFlag, ClientFirst, parse_client_final, parse_client_first, xor};
use super::server::{Answer, CredentialRequest, ServerOptions, ServerStep, Success, scram_from};
use super::{ChannelBinding, Mechanism, SaslError, malformed, random_nonce};
use crate::scram::{ScramCredentials, ScramHash};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use subtle::ConstantTimeEq as _;

#[derive(Debug)]
enum State {
    New,
    AwaitAnswer(ClientFirst),
    AwaitFinal(Box<Pending>),
    Done,
}

/// What the server remembers between its first message and the client's last.
#[derive(Debug)]
struct Pending {
    first: ClientFirst,
    server_first: String,
    nonce: String,
    /// `None` for an unknown user: the exchange runs on with made-up
    /// parameters (`fake`) and fails at the proof.
    keys: Option<ScramCredentials>,
    fake: ScramCredentials,
}

/// Server side of SCRAM.
#[derive(Debug)]
pub(crate) struct ScramServer {
    mechanism: Mechanism,
    hash: ScramHash,
    channel_binding: Option<ChannelBinding>,
    fixed_nonce: Option<String>,
    iterations: u32,
    state: State,
}

pub(crate) fn hash_of(mechanism: Mechanism) -> ScramHash {
    match mechanism {
        Mechanism::ScramSha1 | Mechanism::ScramSha1Plus => ScramHash::Sha1,
        _ => ScramHash::Sha256,
    }
}

impl ScramServer {
    pub(crate) fn new(mechanism: Mechanism, options: &ServerOptions) -> Result<Self, SaslError> {
        if mechanism.is_plus() && options.channel_binding.is_none() {
            return Err(SaslError::ChannelBinding(
                "-PLUS needs channel-binding data",
            ));
        }
        Ok(Self {
            mechanism,
            hash: hash_of(mechanism),
            channel_binding: options.channel_binding.clone(),
            fixed_nonce: options.fixed_nonce.clone(),
            iterations: options.scram_iterations,
            state: State::New,
        })
    }

    pub(crate) fn start(&mut self, initial: Option<&[u8]>) -> Result<ServerStep, SaslError> {
        match initial {
            Some(message) => self.step(message),
            None => Ok(ServerStep::Challenge(Vec::new())),
        }
    }

    pub(crate) fn step(&mut self, input: &[u8]) -> Result<ServerStep, SaslError> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::New => self.client_first(input),
            State::AwaitFinal(pending) => self.client_final(input, &pending),
            _ => Err(SaslError::OutOfOrder("SCRAM expects no more input")),
        }
    }

    fn client_first(&mut self, input: &[u8]) -> Result<ServerStep, SaslError> {
        let first = parse_client_first(self.mechanism, input)?;
        self.check_cb_flag(&first.cb)?;
        let request = CredentialRequest::LookupSecret {
            authcid: first.username.clone(),
            authzid: first.authzid.clone(),
            mechanism: self.mechanism,
        };
        self.state = State::AwaitAnswer(first);
        Ok(ServerStep::NeedCredentials(request))
    }

    /// RFC 5802 section 6: `p` only with -PLUS and a type we have; `y` means the
    /// client thinks we do not support channel binding, a downgrade if we do.
    fn check_cb_flag(&self, flag: &CbFlag) -> Result<(), SaslError> {
        match (flag, self.mechanism.is_plus(), &self.channel_binding) {
            (CbFlag::Plus(kind), true, Some(cb)) if *kind == cb.kind => Ok(()),
            (CbFlag::Plus(_), true, _) => Err(SaslError::ChannelBinding(
                "unsupported channel-binding type",
            )),
            (CbFlag::Plus(_), false, _) => Err(SaslError::ChannelBinding(
                "channel binding requested without -PLUS",
            )),
            (_, true, _) => Err(SaslError::ChannelBinding(
                "-PLUS used without channel binding",
            )),
            (CbFlag::Yes, false, Some(_)) => Err(SaslError::ChannelBinding(
                "downgrade: the server supports channel binding",
            )),
            (CbFlag::Yes | CbFlag::No, false, _) => Ok(()),
        }
    }

    pub(crate) fn answer(&mut self, answer: Answer) -> Result<ServerStep, SaslError> {
        let State::AwaitAnswer(first) = std::mem::replace(&mut self.state, State::Done) else {
            return Err(SaslError::OutOfOrder("no SCRAM client-first-message yet"));
        };
        let keys = scram_from(answer, self.mechanism, self.hash, self.iterations)?;
        let fake = self.fake_credentials()?;
        let server_nonce = match &self.fixed_nonce {
            Some(n) => n.clone(),
            None => random_nonce(18)?,
        };
        let nonce = format!("{}{server_nonce}", first.nonce);
        let shown = keys.as_ref().unwrap_or(&fake);
        let server_first = format!(
            "r={nonce},s={},i={}",
            B64.encode(&shown.salt),
            shown.iterations
        );
        self.state = State::AwaitFinal(Box::new(Pending {
            first,
            server_first: server_first.clone(),
            nonce,
            keys,
            fake,
        }));
        Ok(ServerStep::Challenge(server_first.into_bytes()))
    }

    fn fake_credentials(&self) -> Result<ScramCredentials, SaslError> {
        let mut random = vec![0u8; 16 + 2 * self.hash.output_len()];
        getrandom::fill(&mut random).map_err(|_| SaslError::Random)?;
        let (salt, keys) = random.split_at(16);
        let (stored_key, server_key) = keys.split_at(self.hash.output_len());
        Ok(ScramCredentials {
            hash: self.hash,
            iterations: self.iterations,
            salt: salt.to_vec(),
            stored_key: stored_key.to_vec(),
            server_key: server_key.to_vec(),
        })
    }

    fn client_final(&mut self, input: &[u8], pending: &Pending) -> Result<ServerStep, SaslError> {
        let Pending {
            first,
            server_first,
            nonce,
            keys,
            fake,
        } = pending;
        let known_user = keys.is_some();
        let keys = keys.as_ref().unwrap_or(fake);
        let last = parse_client_final(self.mechanism, input)?;
        if last.nonce != nonce {
            return Err(malformed(self.mechanism, "nonce does not match"));
        }
        let mut expected_cb = first.gs2_header.as_bytes().to_vec();
        if let (CbFlag::Plus(_), Some(cb)) = (&first.cb, &self.channel_binding) {
            expected_cb.extend_from_slice(&cb.data);
        }
        if last.channel_binding != expected_cb {
            return Err(SaslError::ChannelBinding(
                "channel-binding data does not match",
            ));
        }
        if last.proof.len() != self.hash.output_len() {
            return Err(malformed(self.mechanism, "proof has the wrong length"));
        }
        let auth_message = format!("{},{server_first},{}", first.bare, last.without_proof);
        let client_signature = self.hash.hmac(&keys.stored_key, auth_message.as_bytes());
        let client_key = xor(&last.proof, &client_signature);
        let proof_ok: bool = self.hash.h(&client_key).ct_eq(&keys.stored_key).into();
        if !(proof_ok && known_user) {
            return Err(SaslError::AuthenticationFailed);
        }
        let server_signature = self.hash.hmac(&keys.server_key, auth_message.as_bytes());
        Ok(ServerStep::Success(Success {
            identity: first.username.clone(),
            authzid: first.authzid.clone(),
            final_data: Some(format!("v={}", B64.encode(server_signature)).into_bytes()),
        }))
    }
}
