//! Server side of SCRAM-SHA-1 / SCRAM-SHA-256 (and -PLUS), RFC 5802 / RFC 7677.
//! It works from stored keys ([`ScramCredentials`]), never needs the password.
//!
//! A failure leaves a server-error (`e=...`, RFC 5802 section 7) for the
//! application to send as the last message; see
//! [`ServerMechanism::failure_data`](super::ServerMechanism::failure_data).

use super::scram_msg::{CbFlag, ClientFirst, parse_client_final, parse_client_first, xor};
use super::server::{Answer, CredentialRequest, ServerOptions, ServerStep, Success, scram_from};
use super::{ChannelBinding, Mechanism, SaslError, malformed, random_nonce};
use crate::Password;
use crate::saslprep::saslprep;
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
    salt_secret: Password,
    state: State,
    /// The server-error of a failed exchange.
    failure: Option<ServerError>,
}

/// The `server-error-value`s of RFC 5802 section 7 that this server sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ServerError {
    InvalidEncoding,
    ExtensionsNotSupported,
    InvalidProof,
    ChannelBindingsDontMatch,
    ServerDoesSupportChannelBinding,
    ChannelBindingNotSupported,
    UnsupportedChannelBindingType,
    InvalidUsernameEncoding,
    OtherError,
}

impl ServerError {
    const fn value(self) -> &'static str {
        match self {
            Self::InvalidEncoding => "invalid-encoding",
            Self::ExtensionsNotSupported => "extensions-not-supported",
            Self::InvalidProof => "invalid-proof",
            Self::ChannelBindingsDontMatch => "channel-bindings-dont-match",
            Self::ServerDoesSupportChannelBinding => "server-does-support-channel-binding",
            Self::ChannelBindingNotSupported => "channel-binding-not-supported",
            Self::UnsupportedChannelBindingType => "unsupported-channel-binding-type",
            Self::InvalidUsernameEncoding => "invalid-username-encoding",
            Self::OtherError => "other-error",
        }
    }

    /// The code for an error without a more specific one.
    fn of(error: &SaslError) -> Self {
        match error {
            SaslError::Malformed { reason, .. } if reason.contains("extensions") => {
                Self::ExtensionsNotSupported
            }
            SaslError::Malformed { .. } => Self::InvalidEncoding,
            SaslError::AuthenticationFailed => Self::InvalidProof,
            _ => Self::OtherError,
        }
    }
}

/// A failure and the server-error to report it with.
struct Failed(ServerError, SaslError);

impl From<SaslError> for Failed {
    fn from(error: SaslError) -> Self {
        Self(ServerError::of(&error), error)
    }
}

/// The salt shown for `username` when the server has no stored salt: the first
/// 16 bytes of HMAC-SHA256(secret, label || username). Stable for a name, so an
/// unknown user looks like a known one across attempts, and unpredictable
/// without the secret.
pub(crate) fn derived_salt(secret: &Password, username: &str) -> Vec<u8> {
    let mut salt = keyed(secret, b"salt", username);
    salt.truncate(16);
    salt
}

fn keyed(secret: &Password, label: &[u8], username: &str) -> Vec<u8> {
    let mut data = b"postroom-scram\0".to_vec();
    data.extend_from_slice(label);
    data.push(0);
    data.extend_from_slice(username.as_bytes());
    ScramHash::Sha256.hmac(secret.as_bytes(), &data)
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
            salt_secret: options.scram_salt_secret.clone(),
            state: State::New,
            failure: None,
        })
    }

    /// The server-final-message reporting the failure, once the exchange failed.
    pub(crate) fn failure_data(&self) -> Option<Vec<u8>> {
        self.failure
            .map(|e| format!("e={}", e.value()).into_bytes())
    }

    /// Records the server-error of a failure.
    fn settle(&mut self, result: Result<ServerStep, Failed>) -> Result<ServerStep, SaslError> {
        result.map_err(|Failed(code, error)| {
            self.failure = Some(code);
            error
        })
    }

    pub(crate) fn start(&mut self, initial: Option<&[u8]>) -> Result<ServerStep, SaslError> {
        match initial {
            Some(message) => self.step(message),
            None => Ok(ServerStep::Challenge(Vec::new())),
        }
    }

    pub(crate) fn step(&mut self, input: &[u8]) -> Result<ServerStep, SaslError> {
        let result = match std::mem::replace(&mut self.state, State::Done) {
            State::New => self.client_first(input),
            State::AwaitFinal(pending) => self.client_final(input, &pending),
            _ => return Err(SaslError::OutOfOrder("SCRAM expects no more input")),
        };
        self.settle(result)
    }

    fn client_first(&mut self, input: &[u8]) -> Result<ServerStep, Failed> {
        let mut first = parse_client_first(self.mechanism, input)?;
        self.check_cb_flag(&first.cb)?;
        // RFC 5802 section 5.1: the server prepares the name it receives.
        first.username = match saslprep(&first.username) {
            Ok(name) => name.into_owned(),
            Err(error) => {
                return Err(Failed(
                    ServerError::InvalidUsernameEncoding,
                    SaslError::Prep {
                        what: "user name",
                        error,
                    },
                ));
            }
        };
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
    fn check_cb_flag(&self, flag: &CbFlag) -> Result<(), Failed> {
        let fail = |code, reason| Err(Failed(code, SaslError::ChannelBinding(reason)));
        match (flag, self.mechanism.is_plus(), &self.channel_binding) {
            (CbFlag::Plus(kind), true, Some(cb)) if *kind == cb.kind => Ok(()),
            (CbFlag::Plus(_), true, _) => fail(
                ServerError::UnsupportedChannelBindingType,
                "unsupported channel-binding type",
            ),
            (CbFlag::Plus(_), false, _) => fail(
                ServerError::ChannelBindingNotSupported,
                "channel binding requested without -PLUS",
            ),
            (_, true, _) => fail(
                ServerError::OtherError,
                "-PLUS used without channel binding",
            ),
            (CbFlag::Yes, false, Some(_)) => fail(
                ServerError::ServerDoesSupportChannelBinding,
                "downgrade: the server supports channel binding",
            ),
            (CbFlag::Yes | CbFlag::No, false, _) => Ok(()),
        }
    }

    pub(crate) fn answer(&mut self, answer: Answer) -> Result<ServerStep, SaslError> {
        let State::AwaitAnswer(first) = std::mem::replace(&mut self.state, State::Done) else {
            return Err(SaslError::OutOfOrder("no SCRAM client-first-message yet"));
        };
        let result = self.server_first(answer, first);
        self.settle(result)
    }

    fn server_first(&mut self, answer: Answer, first: ClientFirst) -> Result<ServerStep, Failed> {
        let salt = derived_salt(&self.salt_secret, &first.username);
        let keys = scram_from(answer, self.mechanism, self.hash, self.iterations, &salt)?;
        let fake = self.fake_credentials(&first.username, salt);
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

    /// Made-up credentials for an unknown user: the derived salt and the
    /// configured iteration count, as for a user whose keys are derived from a
    /// cleartext password; the keys are never shown and never match.
    fn fake_credentials(&self, username: &str, salt: Vec<u8>) -> ScramCredentials {
        let len = self.hash.output_len();
        let mut stored_key = keyed(&self.salt_secret, b"stored-key", username);
        let mut server_key = keyed(&self.salt_secret, b"server-key", username);
        stored_key.truncate(len);
        server_key.truncate(len);
        ScramCredentials {
            hash: self.hash,
            iterations: self.iterations,
            salt,
            stored_key,
            server_key,
        }
    }

    fn client_final(&mut self, input: &[u8], pending: &Pending) -> Result<ServerStep, Failed> {
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
            return Err(malformed(self.mechanism, "nonce does not match").into());
        }
        let mut expected_cb = first.gs2_header.as_bytes().to_vec();
        if let (CbFlag::Plus(_), Some(cb)) = (&first.cb, &self.channel_binding) {
            expected_cb.extend_from_slice(&cb.data);
        }
        if last.channel_binding != expected_cb {
            return Err(Failed(
                ServerError::ChannelBindingsDontMatch,
                SaslError::ChannelBinding("channel-binding data does not match"),
            ));
        }
        if last.proof.len() != self.hash.output_len() {
            return Err(Failed(
                ServerError::InvalidProof,
                malformed(self.mechanism, "proof has the wrong length"),
            ));
        }
        let auth_message = format!("{},{server_first},{}", first.bare, last.without_proof);
        let client_signature = self.hash.hmac(&keys.stored_key, auth_message.as_bytes());
        let client_key = xor(&last.proof, &client_signature);
        let proof_ok: bool = self.hash.h(&client_key).ct_eq(&keys.stored_key).into();
        // RFC 5802 section 7 has `unknown-user`, but telling it would reveal
        // which names exist: an unknown user gets `invalid-proof` too.
        if !(proof_ok && known_user) {
            return Err(Failed(
                ServerError::InvalidProof,
                SaslError::AuthenticationFailed,
            ));
        }
        let server_signature = self.hash.hmac(&keys.server_key, auth_message.as_bytes());
        Ok(ServerStep::Success(Success {
            identity: first.username.clone(),
            authzid: first.authzid.clone(),
            final_data: Some(format!("v={}", B64.encode(server_signature)).into_bytes()),
        }))
    }
}
