//! Dovecot-compatible password schemes and Sans-IO SASL mechanisms.
//!
//! ```
//! use auth::sasl::{Answer, ClientMechanism, CredentialRequest, ServerMechanism, ServerOptions, ServerStep};
//! use auth::{HashPolicy, StoredPassword};
//!
//! // A password entry as Dovecot wrote it (`doveadm pw -s SHA512-CRYPT -p test`).
//! let stored: StoredPassword = "{SHA512-CRYPT}$6$bM7HuatmnUM3ksb9$RwSojM1wJKguKgqjWStMv/KxuBg7xwLSxjoAkcRxmqlbjDR/UxUk0kftrMjkyXyKC9nMUUiQhgm02/y47MswO1".parse()?;
//! assert!(stored.verify("test"));
//! assert!(!stored.verify("wrong"));
//! // SHA512-CRYPT is weaker than the default policy (ARGON2ID): re-hash after login.
//! assert!(HashPolicy::default().needs_upgrade(&stored));
//!
//! // A PLAIN exchange: the client's message goes (base64-framed by the protocol)
//! // to the server, which asks the application for the user's stored password.
//! let mut client = ClientMechanism::plain(None, "jane@example.org", "test".into())?;
//! let mut server = ServerMechanism::from_name("PLAIN", &ServerOptions::default())?;
//! let mut step = server.start(client.initial_response()?.as_deref());
//! loop {
//!     step = match step {
//!         ServerStep::Challenge(challenge) => server.step(&client.step(&challenge)?),
//!         ServerStep::NeedCredentials(request) => {
//!             assert_eq!(request.user(), Some("jane@example.org"));
//!             // Look the user up; verification is blocking work (spawn_blocking).
//!             server.answer(Answer::Stored(stored.clone()))
//!         }
//!         ServerStep::Success(success) => {
//!             client.finish(success.final_data.as_deref())?;
//!             assert_eq!(success.identity, "jane@example.org");
//!             break;
//!         }
//!         ServerStep::Failure(error) => panic!("authentication failed: {error}"),
//!     };
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Password schemes
//!
//! [`StoredPassword`] parses the `{SCHEME}data` strings of a Dovecot password
//! database (ARGON2ID, ARGON2I, BLF-CRYPT, SHA512-CRYPT, SHA256-CRYPT,
//! MD5-CRYPT, SCRAM-SHA-1/256, SSHA512, SSHA256, SSHA, SMD5, SHA512, SHA256,
//! SHA, PLAIN-MD5, LDAP-MD5, PLAIN/CLEAR; `.HEX`/`.B64` suffixes; bare crypt
//! strings) and verifies passwords in constant time; [`HashPolicy`] makes new
//! hashes and says when to upgrade old ones. See [`scheme`].
//!
//! # SASL
//!
//! [`sasl::ServerMechanism`] and [`sasl::ClientMechanism`] step over raw
//! (already base64-decoded) messages: PLAIN, LOGIN, CRAM-MD5,
//! SCRAM-SHA-1(-PLUS), SCRAM-SHA-256(-PLUS), OAUTHBEARER, XOAUTH2, EXTERNAL.
//! The server never looks anything up itself: it asks with a
//! [`sasl::CredentialRequest`] and continues with the application's
//! [`sasl::Answer`]. See [`sasl`].
//!
//! SCRAM prepares user names and passwords with [`saslprep`] (RFC 4013); see
//! that module for where preparation applies and where it does not.
//!
//! # Unknown users
//!
//! Nothing should tell an unknown user from a wrong password: SCRAM goes on
//! with a stable made-up salt and fails with `e=invalid-proof` either way, and
//! a password check for an unknown user costs a verification against a dummy
//! hash ([`dummy_verify`]).
//!
//! # Blocking work
//!
//! Verifying and hashing key-stretching schemes (ARGON2, bcrypt, SHA-crypt,
//! SCRAM key derivation) is CPU work of milliseconds to tens of milliseconds by
//! design. An async server runs [`StoredPassword::verify`], [`HashPolicy::hash`]
//! and [`sasl::ServerMechanism::answer`] on a blocking pool with bounded
//! concurrency, never on its async workers.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod dummy;
pub mod sasl;
pub mod saslprep;
pub mod scheme;
pub mod scram;
mod secret;

pub use dummy::dummy_verify;
pub use saslprep::{PrepError, saslprep};
pub use scheme::{HashPolicy, Scheme, SchemeError, SchemeSpec, StoredPassword};
pub use secret::Password;
