//! The server side: [`ServerMechanism`] and the types it exchanges with the application.
//!
//! # Driving contract
//!
//! 1. Build a [`ServerMechanism`] from the name the client chose.
//! 2. Call [`start`](ServerMechanism::start) once, with the initial response if
//!    the client sent one (`Some(b"")` for an empty one, `None` for none).
//! 3. Act on the returned [`ServerStep`]:
//!    - [`Challenge`](ServerStep::Challenge): send it (base64-framed by the
//!      protocol), read the client's response and call [`step`](ServerMechanism::step);
//!    - [`NeedCredentials`](ServerStep::NeedCredentials): look the user up and
//!      call [`answer`](ServerMechanism::answer) with an [`Answer`];
//!    - [`Success`](ServerStep::Success) or [`Failure`](ServerStep::Failure): done.
//!      After `Success`, if [`Success::authzid`] is set, the application must
//!      still decide whether the identity may act as that user.
//!
//! A call out of this order returns `Failure(SaslError::OutOfOrder)`, and every
//! call after the end does too. Inputs longer than
//! [`ServerOptions::max_message_len`] fail with [`SaslError::TooLong`].
//!
//! [`answer`](ServerMechanism::answer) with [`Answer::Stored`] verifies the password
//! for PLAIN and LOGIN, and may derive SCRAM keys from a cleartext password: that
//! is blocking CPU work, so call it off async workers.

use super::cram_md5::CramMd5Server;
use super::external::ExternalServer;
use super::login::LoginServer;
use super::oauth::{OAuthError, OAuthServer};
use super::plain::PlainServer;
use super::scram_server::ScramServer;
use super::{ChannelBinding, DEFAULT_MAX_MESSAGE_LEN, Mechanism, SaslError};
use crate::Password;
use crate::scheme::StoredPassword;
use crate::scram::{ScramCredentials, ScramHash};

/// Settings of a server-side exchange.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Host name used in the CRAM-MD5 challenge.
    pub hostname: String,
    /// Channel-binding data of the TLS connection, if any. Needed to offer
    /// `SCRAM-*-PLUS`; when set, a client using `y` (downgrade) is refused.
    pub channel_binding: Option<ChannelBinding>,
    /// The identity established outside SASL (TLS client certificate), for EXTERNAL.
    pub external_identity: Option<String>,
    /// Bound on each client message.
    pub max_message_len: usize,
    /// Iterations used when SCRAM keys are derived on the fly from a cleartext password.
    pub scram_iterations: u32,
    /// Use this nonce (SCRAM server part) or challenge (CRAM-MD5) instead of a
    /// random one. For deterministic tests only: never set it in production.
    pub fixed_nonce: Option<String>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            hostname: "localhost".to_owned(),
            channel_binding: None,
            external_identity: None,
            max_message_len: DEFAULT_MAX_MESSAGE_LEN,
            scram_iterations: 4096,
            fixed_nonce: None,
        }
    }
}

/// What the server does next.
#[derive(Debug)]
#[must_use]
pub enum ServerStep {
    /// Send this challenge (possibly empty) and pass the response to `step`.
    Challenge(Vec<u8>),
    /// The application must answer this request with `answer`.
    NeedCredentials(CredentialRequest),
    /// Authenticated.
    Success(Success),
    /// The exchange failed.
    Failure(SaslError),
}

/// A successful authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Success {
    /// The authenticated identity (authcid, token owner or external identity).
    pub identity: String,
    /// The identity the client asked to act as, if it gave one. The application
    /// decides whether `identity` may do so.
    pub authzid: Option<String>,
    /// Additional data for the client with the success (SCRAM's `v=`); a
    /// protocol that cannot carry it sends it as a final challenge and expects
    /// an empty response.
    pub final_data: Option<Vec<u8>>,
}

impl Success {
    /// The user the session acts as: the authzid if given, else the identity.
    pub fn effective_user(&self) -> &str {
        self.authzid.as_deref().unwrap_or(&self.identity)
    }
}

/// What the mechanism needs from the application.
#[derive(Debug)]
#[non_exhaustive]
pub enum CredentialRequest {
    /// PLAIN and LOGIN: check this password. Answer [`Answer::Stored`] with the
    /// user's stored password (the mechanism verifies), or [`Answer::Accept`] /
    /// [`Answer::Reject`] after checking yourself, or [`Answer::UnknownUser`].
    VerifyPassword {
        /// The user name given.
        authcid: String,
        /// The identity to act as, if given.
        authzid: Option<String>,
        /// The password given.
        password: Password,
    },
    /// CRAM-MD5 and SCRAM: give the user's secret. Answer [`Answer::Stored`],
    /// [`Answer::Cleartext`], [`Answer::Scram`] or [`Answer::UnknownUser`].
    LookupSecret {
        /// The user name given.
        authcid: String,
        /// The identity to act as, if given.
        authzid: Option<String>,
        /// The mechanism asking (what kind of secret it can use).
        mechanism: Mechanism,
    },
    /// OAUTHBEARER and XOAUTH2: check this bearer token. Answer [`Answer::Accept`]
    /// (the identity is `user`), [`Answer::AcceptAs`] (the token's owner),
    /// [`Answer::Reject`] or [`Answer::RejectToken`].
    VerifyToken {
        /// The user named by the client (`a=` / `user=`), if any.
        user: Option<String>,
        /// The bearer token.
        token: Password,
        /// `host=` (OAUTHBEARER), if given.
        host: Option<String>,
        /// `port=` (OAUTHBEARER), if given.
        port: Option<u16>,
    },
}

impl CredentialRequest {
    /// The user name the client gave, if any.
    pub fn user(&self) -> Option<&str> {
        match self {
            Self::VerifyPassword { authcid, .. } | Self::LookupSecret { authcid, .. } => {
                Some(authcid)
            }
            Self::VerifyToken { user, .. } => user.as_deref(),
        }
    }
}

/// The application's answer to a [`CredentialRequest`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Answer {
    /// The user's stored password (`{SCHEME}...` from the database).
    Stored(StoredPassword),
    /// The user's cleartext password.
    Cleartext(Password),
    /// The user's stored SCRAM keys.
    Scram(ScramCredentials),
    /// The credentials are good (checked by the application).
    Accept,
    /// The token is good and belongs to this identity.
    AcceptAs(String),
    /// The credentials are bad.
    Reject,
    /// The token is bad; send this error to the client (OAUTHBEARER, XOAUTH2).
    RejectToken(OAuthError),
    /// No such user (SCRAM continues with made-up parameters so the client
    /// cannot tell, and fails at the end).
    UnknownUser,
}

/// A server-side SASL exchange for one mechanism.
///
/// ```
/// use auth::sasl::{Answer, CredentialRequest, ServerMechanism, ServerOptions, ServerStep};
/// use auth::StoredPassword;
///
/// let mut server = ServerMechanism::from_name("plain", &ServerOptions::default())?;
/// let step = server.start(Some(b"\0tim\0tanstaaftanstaaf"));
/// let ServerStep::NeedCredentials(CredentialRequest::VerifyPassword { authcid, .. }) = step else {
///     panic!("expected a password check");
/// };
/// assert_eq!(authcid, "tim");
/// let stored: StoredPassword = "{PLAIN}tanstaaftanstaaf".parse()?;
/// let ServerStep::Success(success) = server.answer(Answer::Stored(stored)) else {
///     panic!("expected success");
/// };
/// assert_eq!(success.identity, "tim");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ServerMechanism {
    mechanism: Mechanism,
    max_message_len: usize,
    phase: Phase,
    inner: Inner,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    New,
    AwaitResponse,
    AwaitAnswer,
    Done,
}

#[derive(Debug)]
enum Inner {
    Plain(PlainServer),
    Login(LoginServer),
    CramMd5(CramMd5Server),
    Scram(Box<ScramServer>),
    OAuth(OAuthServer),
    External(ExternalServer),
}

impl ServerMechanism {
    /// A server for `mechanism`. `-PLUS` needs [`ServerOptions::channel_binding`],
    /// EXTERNAL needs [`ServerOptions::external_identity`].
    pub fn new(mechanism: Mechanism, options: &ServerOptions) -> Result<Self, SaslError> {
        let inner = match mechanism {
            Mechanism::Plain => Inner::Plain(PlainServer::default()),
            Mechanism::Login => Inner::Login(LoginServer::default()),
            Mechanism::CramMd5 => Inner::CramMd5(CramMd5Server::new(options)?),
            Mechanism::ScramSha1
            | Mechanism::ScramSha1Plus
            | Mechanism::ScramSha256
            | Mechanism::ScramSha256Plus => {
                Inner::Scram(Box::new(ScramServer::new(mechanism, options)?))
            }
            Mechanism::OAuthBearer | Mechanism::XOAuth2 => {
                Inner::OAuth(OAuthServer::new(mechanism))
            }
            Mechanism::External => Inner::External(ExternalServer::new(options)?),
        };
        Ok(Self {
            mechanism,
            max_message_len: options.max_message_len,
            phase: Phase::New,
            inner,
        })
    }

    /// A server for the mechanism called `name` (case-insensitive).
    pub fn from_name(name: &str, options: &ServerOptions) -> Result<Self, SaslError> {
        Self::new(name.parse()?, options)
    }

    /// The mechanism.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// Whether the exchange has ended (success or failure).
    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Starts the exchange, with the client's initial response if it sent one.
    pub fn start(&mut self, initial_response: Option<&[u8]>) -> ServerStep {
        if self.phase != Phase::New {
            return self.fail(SaslError::OutOfOrder("start called twice"));
        }
        if let Some(err) = initial_response.and_then(|ir| self.too_long(ir)) {
            return self.fail(err);
        }
        let step = match &mut self.inner {
            Inner::Plain(m) => m.start(initial_response),
            Inner::Login(m) => m.start(initial_response),
            Inner::CramMd5(m) => m.start(initial_response),
            Inner::Scram(m) => m.start(initial_response),
            Inner::OAuth(m) => m.start(initial_response),
            Inner::External(m) => m.start(initial_response),
        };
        self.track(step)
    }

    /// Continues with the client's response to the last challenge.
    pub fn step(&mut self, response: &[u8]) -> ServerStep {
        if self.phase != Phase::AwaitResponse {
            return self.fail(SaslError::OutOfOrder("no challenge is outstanding"));
        }
        if let Some(err) = self.too_long(response) {
            return self.fail(err);
        }
        let step = match &mut self.inner {
            Inner::Plain(m) => m.step(response),
            Inner::Login(m) => m.step(response),
            Inner::CramMd5(m) => m.step(response),
            Inner::Scram(m) => m.step(response),
            Inner::OAuth(m) => m.step(response),
            Inner::External(m) => m.step(response),
        };
        self.track(step)
    }

    /// Continues with the application's answer to the last [`CredentialRequest`].
    pub fn answer(&mut self, answer: Answer) -> ServerStep {
        if self.phase != Phase::AwaitAnswer {
            return self.fail(SaslError::OutOfOrder(
                "no credential request is outstanding",
            ));
        }
        let step = match &mut self.inner {
            Inner::Plain(m) => m.answer(answer),
            Inner::Login(m) => m.answer(answer),
            Inner::CramMd5(m) => m.answer(answer),
            Inner::Scram(m) => m.answer(answer),
            Inner::OAuth(m) => m.answer(answer),
            Inner::External(_) => Err(SaslError::OutOfOrder("EXTERNAL asks no credentials")),
        };
        self.track(step)
    }

    fn too_long(&self, input: &[u8]) -> Option<SaslError> {
        (input.len() > self.max_message_len).then_some(SaslError::TooLong {
            len: input.len(),
            max: self.max_message_len,
        })
    }

    fn fail(&mut self, err: SaslError) -> ServerStep {
        self.phase = Phase::Done;
        ServerStep::Failure(err)
    }

    fn track(&mut self, step: Result<ServerStep, SaslError>) -> ServerStep {
        let step = step.unwrap_or_else(ServerStep::Failure);
        self.phase = match step {
            ServerStep::Challenge(_) => Phase::AwaitResponse,
            ServerStep::NeedCredentials(_) => Phase::AwaitAnswer,
            ServerStep::Success(_) | ServerStep::Failure(_) => Phase::Done,
        };
        step
    }
}

/// Settles a password check (PLAIN, LOGIN) with the application's answer.
pub(crate) fn check_password(
    answer: Answer,
    password: &Password,
    authcid: String,
    authzid: Option<String>,
) -> Result<ServerStep, SaslError> {
    let ok = match answer {
        Answer::Accept => true,
        Answer::Reject | Answer::UnknownUser => false,
        Answer::Stored(stored) => stored.verify(password),
        Answer::Cleartext(expected) => crate::secret::secrets_equal(&expected, password),
        Answer::Scram(keys) => keys.verify_password(password.as_bytes()),
        Answer::AcceptAs(_) | Answer::RejectToken(_) => {
            return Err(SaslError::WrongAnswer(
                "token answers are for OAuth mechanisms",
            ));
        }
    };
    if ok {
        Ok(ServerStep::Success(Success {
            identity: authcid,
            authzid,
            final_data: None,
        }))
    } else {
        Err(SaslError::AuthenticationFailed)
    }
}

/// The cleartext password from an answer (CRAM-MD5), `None` for an unknown user.
pub(crate) fn cleartext_from(
    answer: Answer,
    mechanism: Mechanism,
) -> Result<Option<Password>, SaslError> {
    match answer {
        Answer::Cleartext(p) => Ok(Some(p)),
        Answer::Stored(stored) => match stored.cleartext() {
            Some(p) => Ok(Some(p.clone())),
            None => Err(SaslError::CredentialsUnusable {
                scheme: stored.scheme(),
                mechanism: mechanism.name(),
            }),
        },
        Answer::UnknownUser | Answer::Reject => Ok(None),
        _ => Err(SaslError::WrongAnswer("expected the user's secret")),
    }
}

/// SCRAM keys from an answer, `None` for an unknown user. Derives them (CPU
/// work) when only a cleartext password is known.
pub(crate) fn scram_from(
    answer: Answer,
    mechanism: Mechanism,
    hash: ScramHash,
    iterations: u32,
) -> Result<Option<ScramCredentials>, SaslError> {
    let derive = |password: &Password| -> Result<Option<ScramCredentials>, SaslError> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|_| SaslError::Random)?;
        ScramCredentials::derive(hash, password.as_bytes(), &salt, iterations)
            .map(Some)
            .map_err(|_| SaslError::ParametersRefused("invalid SCRAM iteration count"))
    };
    match answer {
        Answer::Scram(keys) if keys.hash == hash => Ok(Some(keys)),
        Answer::Scram(_) => Err(SaslError::WrongAnswer("SCRAM keys of another hash")),
        Answer::Cleartext(p) => derive(&p),
        Answer::Stored(stored) => match (stored.scram_credentials(), stored.cleartext()) {
            (Some(keys), _) if keys.hash == hash => Ok(Some(keys.clone())),
            (_, Some(p)) => derive(p),
            _ => Err(SaslError::CredentialsUnusable {
                scheme: stored.scheme(),
                mechanism: mechanism.name(),
            }),
        },
        Answer::UnknownUser | Answer::Reject => Ok(None),
        _ => Err(SaslError::WrongAnswer("expected the user's secret")),
    }
}
