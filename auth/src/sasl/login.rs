//! LOGIN: the de-facto "Username:" / "Password:" exchange (no RFC; see the
//! expired draft-murchison-sasl-login).

use super::server::{Answer, CredentialRequest, ServerStep, check_password};
use super::{Mechanism, SaslError, malformed, utf8};
use crate::Password;

const MECH: Mechanism = Mechanism::Login;

#[derive(Debug, Default)]
enum State {
    #[default]
    New,
    AwaitUser,
    AwaitPassword(String),
    AwaitAnswer(String, Password),
    Done,
}

/// Server side of LOGIN.
#[derive(Debug, Default)]
pub(crate) struct LoginServer {
    state: State,
}

impl LoginServer {
    /// Like Dovecot, an initial response is taken as the user name.
    pub(crate) fn start(&mut self, initial: Option<&[u8]>) -> Result<ServerStep, SaslError> {
        self.state = State::AwaitUser;
        match initial {
            Some(user) => self.step(user),
            None => Ok(ServerStep::Challenge(b"Username:".to_vec())),
        }
    }

    pub(crate) fn step(&mut self, input: &[u8]) -> Result<ServerStep, SaslError> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::AwaitUser => {
                if input.is_empty() || input.contains(&0) {
                    return Err(malformed(MECH, "empty user name or NUL in it"));
                }
                self.state = State::AwaitPassword(utf8(MECH, input)?);
                Ok(ServerStep::Challenge(b"Password:".to_vec()))
            }
            State::AwaitPassword(user) => {
                if input.is_empty() || input.contains(&0) {
                    return Err(malformed(MECH, "empty password or NUL in it"));
                }
                let password = Password::from(input);
                self.state = State::AwaitAnswer(user.clone(), password.clone());
                Ok(ServerStep::NeedCredentials(
                    CredentialRequest::VerifyPassword {
                        authcid: user,
                        authzid: None,
                        password,
                    },
                ))
            }
            _ => Err(SaslError::OutOfOrder("LOGIN expects no more input")),
        }
    }

    pub(crate) fn answer(&mut self, answer: Answer) -> Result<ServerStep, SaslError> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::AwaitAnswer(user, password) => check_password(answer, &password, user, None),
            _ => Err(SaslError::OutOfOrder("no LOGIN credentials yet")),
        }
    }
}

/// Client side of LOGIN: answers the first challenge with the user name and the
/// second with the password, whatever their text.
#[derive(Debug)]
pub(crate) struct LoginClient {
    user: String,
    password: Password,
    sent: u8,
}

impl LoginClient {
    pub(crate) fn new(user: &str, password: Password) -> Self {
        Self {
            user: user.to_owned(),
            password,
            sent: 0,
        }
    }

    pub(crate) fn step(&mut self, _challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        self.sent = self.sent.saturating_add(1);
        match self.sent {
            1 => Ok(self.user.as_bytes().to_vec()),
            2 => Ok(self.password.as_bytes().to_vec()),
            _ => Err(malformed(MECH, "more than two challenges")),
        }
    }
}
