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
//!      still decide whether the identity may act as that user. After
//!      `Failure`, [`failure_data`](ServerMechanism::failure_data) may hold a
//!      last message for the client (SCRAM's `e=invalid-proof`): send it like
//!      a challenge before the failure reply, as the protocol allows.
//!
//! A call out of this order returns `Failure(SaslError::OutOfOrder)`, and every
//! call after the end does too. Inputs longer than
//! [`ServerOptions::max_message_len`] fail with [`SaslError::TooLong`].
//!
//! [`answer`](ServerMechanism::answer) with [`Answer::Stored`] verifies the password
//! for PLAIN and LOGIN, and may derive SCRAM keys from a cleartext password: that
//! is blocking CPU work, so call it off async workers. So is
//! [`Answer::UnknownUser`] to a password check: it verifies the password against
//! a dummy hash ([`crate::dummy_verify`]) so that an unknown user costs the same
//! time as a wrong password.

use super::cram_md5::CramMd5Server;
use super::external::ExternalServer;
use super::login::LoginServer;
use super::oauth::{OAuthError, OAuthServer};
use super::plain::PlainServer;
use super::scram_server::ScramServer;
use super::{ChannelBinding, DEFAULT_MAX_MESSAGE_LEN, Mechanism, SaslError};
use crate::Password;
use crate::saslprep::saslprep_bytes;
use crate::scheme::StoredPassword;
use crate::scram::{ScramCredentials, ScramHash};
use std::sync::OnceLock;

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
    /// Key for the SCRAM salts the server makes up: for an unknown user, and
    /// for keys derived from a cleartext password. A salt is
    /// HMAC-SHA256(secret, user name), so it is the same at every attempt and
    /// repeated attempts cannot tell an unknown user from a known one.
    ///
    /// The default is a random secret made once per process: salts then change
    /// when the server restarts, while stored SCRAM keys keep theirs. A server
    /// that wants no difference across restarts (or across several servers)
    /// sets a configured secret of at least 32 random bytes.
    pub scram_salt_secret: Password,
}

/// The process-wide random secret behind [`ServerOptions::scram_salt_secret`].
fn process_secret() -> &'static [u8; 32] {
    static SECRET: OnceLock<[u8; 32]> = OnceLock::new();
    SECRET.get_or_init(|| {
        let mut secret = [0u8; 32];
        if getrandom::fill(&mut secret).is_err() {
            // The OS random source failed (it practically never does): fall back
            // to process-specific data so salts stay stable within the process.
            use sha2::Digest as _;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            let seed = format!("{}:{now:?}:{:p}", std::process::id(), &secret);
            secret = sha2::Sha256::digest(seed.as_bytes()).into();
        }
        secret
    })
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
            scram_salt_secret: Password::new(process_secret().to_vec()),
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
    /// The exchange failed. The mechanism may have a last message for the
    /// client: see [`ServerMechanism::failure_data`].
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
    /// No such user. SCRAM continues with made-up parameters (a stable salt
    /// derived from [`ServerOptions::scram_salt_secret`], the configured
    /// iteration count) so the client cannot tell, and fails at the end with
    /// `e=invalid-proof` as for a wrong password. PLAIN and LOGIN verify the
    /// password against a dummy hash first ([`crate::dummy_verify`]), so the
    /// answer takes as long as for a wrong password.
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

    /// After a [`ServerStep::Failure`], the mechanism's last message for the
    /// client, if it defines one: SCRAM's server-final-message with a
    /// server-error (RFC 5802 section 7), e.g. `e=invalid-proof` for a wrong
    /// password or an unknown user (never `e=unknown-user`, which would tell
    /// that the name does not exist), `e=channel-bindings-dont-match`, or
    /// `e=invalid-username-encoding`.
    ///
    /// A protocol without a way to send data with a failure (IMAP, POP3, SMTP)
    /// sends it as a challenge, reads the client's response (empty, or a
    /// cancel) and then sends its failure reply. `None` before the end, after
    /// success, and for the other mechanisms.
    ///
    /// ```
    /// use auth::sasl::{Answer, ServerMechanism, ServerOptions, ServerStep};
    ///
    /// let mut server = ServerMechanism::from_name("SCRAM-SHA-256", &ServerOptions::default())?;
    /// let _ = server.start(Some(b"n,,n=nobody,r=rOprNGfwEbeRWgbNEkqO"));
    /// let ServerStep::Challenge(first) = server.answer(Answer::UnknownUser) else {
    ///     panic!("SCRAM goes on for an unknown user");
    /// };
    /// let nonce = std::str::from_utf8(&first)?.split(',').next().unwrap_or_default();
    /// let last = format!("c=biws,{nonce},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    /// assert!(matches!(server.step(last.as_bytes()), ServerStep::Failure(_)));
    /// assert_eq!(server.failure_data().as_deref(), Some(&b"e=invalid-proof"[..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn failure_data(&self) -> Option<Vec<u8>> {
        match &self.inner {
            Inner::Scram(m) if self.phase == Phase::Done => m.failure_data(),
            _ => None,
        }
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
        Answer::Reject => false,
        Answer::UnknownUser => {
            crate::dummy_verify(password.as_bytes());
            false
        }
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
/// work) from the SASLprep-prepared password with `salt` when only a cleartext
/// password is known.
pub(crate) fn scram_from(
    answer: Answer,
    mechanism: Mechanism,
    hash: ScramHash,
    iterations: u32,
    salt: &[u8],
) -> Result<Option<ScramCredentials>, SaslError> {
    let derive = |password: &Password| -> Result<Option<ScramCredentials>, SaslError> {
        let prepared = saslprep_bytes(password.as_bytes()).map_err(|error| SaslError::Prep {
            what: "stored password",
            error,
        })?;
        ScramCredentials::derive(hash, &prepared, salt, iterations)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dummy::DUMMY_RUNS;

    fn dummy_runs() -> usize {
        DUMMY_RUNS.with(std::cell::Cell::get)
    }

    /// Runs PLAIN or LOGIN up to the password check and answers it.
    fn answer_password_check(mechanism: Mechanism, answer: Answer) -> ServerStep {
        let mut server = ServerMechanism::new(mechanism, &ServerOptions::default()).unwrap();
        let mut step = match mechanism {
            Mechanism::Plain => server.start(Some(b"\0nobody\0guess")),
            _ => server.start(Some(b"nobody")),
        };
        if let ServerStep::Challenge(_) = step {
            step = server.step(b"guess");
        }
        assert!(matches!(step, ServerStep::NeedCredentials(_)), "{step:?}");
        server.answer(answer)
    }

    #[test]
    fn unknown_users_cost_a_dummy_verification() {
        for mechanism in [Mechanism::Plain, Mechanism::Login] {
            let before = dummy_runs();
            let step = answer_password_check(mechanism, Answer::UnknownUser);
            assert!(matches!(
                step,
                ServerStep::Failure(SaslError::AuthenticationFailed)
            ));
            assert_eq!(dummy_runs(), before + 1, "{mechanism}");
            // The application checked the password itself: no extra work.
            let before = dummy_runs();
            let step = answer_password_check(mechanism, Answer::Reject);
            assert!(matches!(
                step,
                ServerStep::Failure(SaslError::AuthenticationFailed)
            ));
            assert_eq!(dummy_runs(), before, "{mechanism}");
        }
    }

    #[test]
    fn default_options_share_the_process_secret() {
        let (a, b) = (ServerOptions::default(), ServerOptions::default());
        assert_eq!(a.scram_salt_secret, b.scram_salt_secret);
        assert_eq!(a.scram_salt_secret.len(), 32);
        assert!(a.scram_salt_secret.as_bytes().iter().any(|&b| b != 0));
        assert!(!format!("{a:?}").contains(&format!("{:?}", a.scram_salt_secret.as_bytes())));
    }
}
