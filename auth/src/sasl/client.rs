//! The client side: [`ClientMechanism`].
//!
//! # Driving contract
//!
//! 1. Build a [`ClientMechanism`] with one of the constructors.
//! 2. For a client-first mechanism, call [`initial_response`](ClientMechanism::initial_response)
//!    and send it with the command (or, without SASL-IR, wait for the server's
//!    empty challenge and pass it to `step`, which then yields the same message).
//! 3. Pass every challenge to [`step`](ClientMechanism::step) and send the response.
//! 4. When the server reports success, call [`finish`](ClientMechanism::finish) with
//!    the success data if any: SCRAM checks there that the server knew the keys.

use super::cram_md5::CramMd5Client;
use super::login::LoginClient;
use super::oauth::OAuthClient;
use super::plain::PlainClient;
use super::scram_client::ScramClient;
use super::{ChannelBinding, DEFAULT_MAX_MESSAGE_LEN, Mechanism, SaslError};
use crate::Password;
use crate::scram::{MAX_SCRAM_ITERATIONS, ScramHash};

/// Settings of a SCRAM client.
#[derive(Clone, Debug)]
pub struct ScramClientOptions {
    /// The identity to act as, if not the authcid.
    pub authzid: Option<String>,
    /// Channel-binding data of the TLS connection, if the client has it.
    pub channel_binding: Option<ChannelBinding>,
    /// Use `-PLUS` (needs `channel_binding`). With data but without `-PLUS`
    /// (the server did not offer it), the client sends the `y` flag.
    pub use_channel_binding: bool,
    /// Smallest iteration count accepted from the server (RFC 7677: 4096).
    pub min_iterations: u32,
    /// Largest iteration count accepted (CPU exhaustion guard).
    pub max_iterations: u32,
    /// Use this client nonce instead of a random one. For deterministic tests only.
    pub fixed_nonce: Option<String>,
}

impl Default for ScramClientOptions {
    fn default() -> Self {
        Self {
            authzid: None,
            channel_binding: None,
            use_channel_binding: false,
            min_iterations: 4096,
            max_iterations: MAX_SCRAM_ITERATIONS,
            fixed_nonce: None,
        }
    }
}

#[derive(Debug)]
enum Inner {
    Plain(PlainClient),
    Login(LoginClient),
    CramMd5(CramMd5Client),
    Scram(Box<ScramClient>),
    OAuth(OAuthClient),
    External(Option<Vec<u8>>),
}

/// A client-side SASL exchange.
///
/// ```
/// use auth::sasl::ClientMechanism;
///
/// let mut client = ClientMechanism::plain(None, "tim", "tanstaaftanstaaf".into())?;
/// assert_eq!(client.initial_response()?.as_deref(), Some(&b"\0tim\0tanstaaftanstaaf"[..]));
/// client.finish(None)?;
/// # Ok::<(), auth::sasl::SaslError>(())
/// ```
#[derive(Debug)]
pub struct ClientMechanism {
    mechanism: Mechanism,
    inner: Inner,
    done: bool,
}

impl ClientMechanism {
    fn new(mechanism: Mechanism, inner: Inner) -> Self {
        Self {
            mechanism,
            inner,
            done: false,
        }
    }

    /// PLAIN with an optional authzid.
    pub fn plain(
        authzid: Option<&str>,
        authcid: &str,
        password: Password,
    ) -> Result<Self, SaslError> {
        Ok(Self::new(
            Mechanism::Plain,
            Inner::Plain(PlainClient::new(authzid, authcid, &password)?),
        ))
    }

    /// LOGIN.
    pub fn login(user: &str, password: Password) -> Self {
        Self::new(
            Mechanism::Login,
            Inner::Login(LoginClient::new(user, password)),
        )
    }

    /// CRAM-MD5.
    pub fn cram_md5(user: &str, password: Password) -> Self {
        Self::new(
            Mechanism::CramMd5,
            Inner::CramMd5(CramMd5Client::new(user, password)),
        )
    }

    /// SCRAM-SHA-1 / SCRAM-SHA-256, `-PLUS` if `options.use_channel_binding`.
    /// The user name and the password are prepared with SASLprep (RFC 5802
    /// section 5.1); if either cannot be, this fails with [`SaslError::Prep`].
    pub fn scram(
        hash: ScramHash,
        authcid: &str,
        password: Password,
        options: ScramClientOptions,
    ) -> Result<Self, SaslError> {
        let client = ScramClient::new(hash, authcid, password, options)?;
        Ok(Self::new(
            client.mechanism(),
            Inner::Scram(Box::new(client)),
        ))
    }

    /// OAUTHBEARER with optional user (`a=`), host and port.
    pub fn oauthbearer(
        user: Option<&str>,
        token: Password,
        host: Option<&str>,
        port: Option<u16>,
    ) -> Result<Self, SaslError> {
        Ok(Self::new(
            Mechanism::OAuthBearer,
            Inner::OAuth(OAuthClient::oauthbearer(user, &token, host, port)?),
        ))
    }

    /// XOAUTH2.
    pub fn xoauth2(user: &str, token: Password) -> Result<Self, SaslError> {
        Ok(Self::new(
            Mechanism::XOAuth2,
            Inner::OAuth(OAuthClient::xoauth2(user, &token)?),
        ))
    }

    /// EXTERNAL, optionally asking to act as `authzid`.
    pub fn external(authzid: Option<&str>) -> Self {
        let message = authzid.unwrap_or("").as_bytes().to_vec();
        Self::new(Mechanism::External, Inner::External(Some(message)))
    }

    /// The mechanism.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// The first message for a client-first mechanism; `None` for LOGIN and
    /// CRAM-MD5, where the server speaks first.
    pub fn initial_response(&mut self) -> Result<Option<Vec<u8>>, SaslError> {
        self.guard()?;
        match &mut self.inner {
            Inner::Plain(c) => c.initial().map(Some),
            Inner::Scram(c) => c.initial().map(Some),
            Inner::OAuth(c) => c.initial().map(Some),
            Inner::External(m) => m
                .take()
                .map(Some)
                .ok_or(SaslError::OutOfOrder("EXTERNAL message already sent")),
            Inner::Login(_) | Inner::CramMd5(_) => Ok(None),
        }
    }

    /// The response to a server challenge. An error ends the exchange (the
    /// protocol then cancels it, e.g. with `*`).
    pub fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        self.guard()?;
        if challenge.len() > DEFAULT_MAX_MESSAGE_LEN {
            self.done = true;
            return Err(SaslError::TooLong {
                len: challenge.len(),
                max: DEFAULT_MAX_MESSAGE_LEN,
            });
        }
        let result = match &mut self.inner {
            Inner::Plain(c) => c.step(challenge),
            Inner::Login(c) => c.step(challenge),
            Inner::CramMd5(c) => c.step(challenge),
            Inner::Scram(c) => c.step(challenge),
            Inner::OAuth(c) => c.step(challenge),
            Inner::External(m) if challenge.is_empty() => m
                .take()
                .ok_or(SaslError::OutOfOrder("EXTERNAL message already sent")),
            Inner::External(_) => Err(SaslError::OutOfOrder("EXTERNAL expects no challenge")),
        };
        self.done = result.is_err();
        result
    }

    /// The server reported success, with `final_data` if the protocol carried
    /// additional data. For SCRAM this checks the server's signature; it fails
    /// if the server never proved itself.
    pub fn finish(&mut self, final_data: Option<&[u8]>) -> Result<(), SaslError> {
        self.guard()?;
        self.done = true;
        match &mut self.inner {
            Inner::Scram(c) => c.finish(final_data),
            _ => match final_data {
                None | Some([]) => Ok(()),
                Some(_) => Err(SaslError::OutOfOrder("unexpected success data")),
            },
        }
    }

    fn guard(&self) -> Result<(), SaslError> {
        if self.done {
            Err(SaslError::OutOfOrder("the exchange has ended"))
        } else {
            Ok(())
        }
    }
}
