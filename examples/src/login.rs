//! Checking credentials for POP3, IMAP and submission: passwords (USER/PASS, LOGIN) and
//! the SASL exchanges, against the directory's stored hashes, on the blocking pool with
//! bounded concurrency, throttled against brute force ([`throttle`]): failed logins wait
//! longer and longer per IP and per account, and past a threshold attempts are refused
//! as a temporary failure without the password being checked.
//!
//! Failed logins log the fail2ban line of [`logging::auth_failed`]; refused attempts log
//!
//! ```text
//! auth throttled: user=<alice@example.org> rip=192.0.2.7 service=imap
//! ```

mod throttle;

use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use auth::sasl::{
    Answer, CredentialRequest, Mechanism, SaslError, ServerMechanism, ServerOptions, ServerStep,
};
use auth::{HashPolicy, Password};
use tokio::sync::Semaphore;
use tracing::{info, warn};

use crate::directory::{Directory, DirectoryError, User};
use crate::listen::Peer;
use crate::logging::{self, sanitize};
use throttle::{Policy, Throttle};

/// The result of a password check.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Good credentials: the address as stored in the directory.
    Accepted(String),
    /// Unknown user or wrong password.
    Rejected,
    /// The directory (or the blocking pool) failed: try again later.
    Unavailable,
}

/// Verifies passwords off the async workers, at most `concurrency` at once.
pub(crate) struct Authenticator {
    /// The service name for log lines (`pop3`, `imap`, `submission`).
    service: &'static str,
    directory: Directory,
    permits: Arc<Semaphore>,
    /// The policy to re-hash weaker passwords with, if upgrades are on.
    upgrade: Option<HashPolicy>,
    /// The fixed part of the wait after a failed login; [`Throttle`] makes it grow.
    failure_delay: Duration,
    throttle: Mutex<Throttle>,
}

impl Authenticator {
    /// An authenticator over `directory` for `service` (named in log lines).
    pub(crate) fn new(
        service: &'static str,
        directory: Directory,
        concurrency: usize,
        upgrade: Option<HashPolicy>,
        failure_delay: Duration,
    ) -> Self {
        Self {
            service,
            directory,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            upgrade,
            failure_delay,
            throttle: Mutex::new(Throttle::new(Policy::default())),
        }
    }

    fn throttle(&self) -> MutexGuard<'_, Throttle> {
        self.throttle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether an attempt for `name` from `ip` may go on; logs the refusal otherwise.
    fn admit(&self, ip: Option<IpAddr>, name: &str) -> bool {
        let Err(refusal) = self.throttle().check(ip, name, Instant::now()) else {
            return true;
        };
        let rip = ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
        warn!(
            target: logging::AUTH_TARGET,
            "auth throttled: user=<{}> rip={rip} service={} reason={refusal:?}",
            sanitize(name),
            self.service
        );
        false
    }

    /// Forgets the failures of `names` (and of the connection's IP) after a success.
    fn succeeded(&self, ip: Option<IpAddr>, names: &[&str]) {
        self.throttle().record_success(ip, names);
    }

    /// Runs CPU-heavy `work` on the blocking pool once a permit is free; `None` if the
    /// task failed.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let _permit = self.permits.acquire().await.ok()?;
        tokio::task::spawn_blocking(work).await.ok()
    }

    /// The user `name`, `Err(())` when the directory cannot answer.
    async fn lookup(&self, name: &str) -> Result<Option<User>, ()> {
        match self.directory.lookup_user(name).await {
            Ok(found) => Ok(found),
            Err(e @ DirectoryError::BadStoredPassword { .. }) => {
                warn!("{}: {e}; the login is refused", self.service);
                Ok(None)
            }
            Err(e) => {
                warn!("{}: directory lookup failed: {e}", self.service);
                Err(())
            }
        }
    }

    /// Checks `password` for the user `name` logging in from `peer`; on success, may
    /// upgrade the stored hash. `Unavailable` without checking when the account or the
    /// peer's IP is locked out.
    pub(crate) async fn check_password(
        &self,
        peer: &Peer,
        name: &str,
        password: Password,
    ) -> Verdict {
        self.verify(peer.ip(), name, password).await
    }

    /// [`Authenticator::check_password`] for a client at `ip`.
    async fn verify(&self, ip: Option<IpAddr>, name: &str, password: Password) -> Verdict {
        if !self.admit(ip, name) {
            return Verdict::Unavailable;
        }
        let user = match self.lookup(name).await {
            Ok(Some(user)) => user,
            Ok(None) => {
                // Spend the same work as for a real user, so timing does not reveal
                // which addresses exist.
                let _ = self
                    .blocking(move || auth::dummy_verify(password.as_bytes()))
                    .await;
                return Verdict::Rejected;
            }
            Err(()) => return Verdict::Unavailable,
        };
        let stored = user.password.clone();
        let checked = self
            .blocking(move || (stored.verify(password.as_bytes()), password))
            .await;
        match checked {
            None => Verdict::Unavailable,
            Some((false, _)) => Verdict::Rejected,
            Some((true, password)) => {
                self.succeeded(ip, &[name, &user.email]);
                self.upgrade_if_weak(&user, password);
                Verdict::Accepted(user.email)
            }
        }
    }

    /// Logs a failed login (when a user name was given), counts it against the peer's IP
    /// and the account, and waits the growing failure delay.
    pub(crate) async fn failed(&self, user: Option<&str>, peer: &Peer) {
        if let Some(user) = user {
            logging::auth_failed(user, peer.ip(), peer.listener);
        }
        let delay =
            self.throttle()
                .record_failure(peer.ip(), user, self.failure_delay, Instant::now());
        tokio::time::sleep(delay).await;
    }

    /// Re-hashes the password of `user` with the configured policy, in the background,
    /// when the stored hash is weaker.
    fn upgrade_if_weak(&self, user: &User, password: Password) {
        let Some(policy) = self.upgrade.clone() else {
            return;
        };
        if !policy.needs_upgrade(&user.password) {
            return;
        }
        let directory = self.directory.clone();
        let permits = Arc::clone(&self.permits);
        let email = user.email.clone();
        let old = user.password.as_str().to_owned();
        let service = self.service;
        tokio::spawn(async move {
            let Ok(permit) = permits.acquire_owned().await else {
                return;
            };
            let hashed = tokio::task::spawn_blocking(move || policy.hash(password.as_bytes()));
            let new = match hashed.await {
                Ok(Ok(new)) => new,
                Ok(Err(e)) => {
                    return warn!("{service}: cannot re-hash the password of <{email}>: {e}");
                }
                Err(e) => return warn!("{service}: cannot re-hash the password of <{email}>: {e}"),
            };
            drop(permit);
            // Skip the upgrade if the password was changed meanwhile.
            match directory.lookup_user(&email).await {
                Ok(Some(now)) if now.password.as_str() == old => {}
                _ => return,
            }
            match directory.set_password(&email, &new).await {
                Ok(()) => info!("password hash of <{email}> upgraded to {}", new.spec()),
                Err(e) => warn!("{service}: cannot store the upgraded hash of <{email}>: {e}"),
            }
        });
    }
}

/// What the session sends after a step of a SASL exchange.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SaslOutcome {
    /// Send this challenge and wait for the client's response.
    Challenge(Vec<u8>),
    /// Authenticated as this directory address.
    Success(String),
    /// Failed; `user` is the name to log as a failed login (`None`: nothing to log).
    Failure {
        /// The user name the client gave, if the failure counts as a failed login.
        user: Option<String>,
    },
    /// The directory cannot answer: try again later.
    Unavailable,
}

/// One SASL exchange (PLAIN, LOGIN or SCRAM-SHA-256).
pub(crate) struct SaslExchange {
    /// `None` only while an answer is computed on the blocking pool.
    mechanism: Option<ServerMechanism>,
    /// The user name the client gave.
    user: Option<String>,
    /// The directory address whose credentials answered the request.
    email: Option<String>,
    /// The server's final data went out as a challenge; an empty response completes.
    awaiting_ack: bool,
    /// The mechanism's failure message (SCRAM's `e=`) went out as a challenge; whatever
    /// the client answers, the exchange fails.
    failing_ack: bool,
    /// The stored hash cannot serve this mechanism (not logged as a failed login).
    unusable: bool,
    /// The client's IP, for the throttle.
    client: Option<IpAddr>,
}

impl SaslExchange {
    /// An exchange for `mechanism` (one of those offered) with `peer`, `None` if
    /// unsupported.
    pub(crate) fn new(mechanism: &str, hostname: &str, peer: &Peer) -> Option<Self> {
        let options = ServerOptions {
            hostname: hostname.to_owned(),
            ..ServerOptions::default()
        };
        let mechanism = ServerMechanism::from_name(mechanism, &options).ok()?;
        Some(Self {
            mechanism: Some(mechanism),
            user: None,
            email: None,
            awaiting_ack: false,
            failing_ack: false,
            unusable: false,
            client: peer.ip(),
        })
    }

    /// Starts with the client's initial response, if any.
    pub(crate) async fn start(
        &mut self,
        auth: &Authenticator,
        initial_response: Option<&[u8]>,
    ) -> SaslOutcome {
        let Some(mechanism) = self.mechanism.as_mut() else {
            return self.failure();
        };
        let step = mechanism.start(initial_response);
        self.run(auth, step).await
    }

    /// Continues with the client's response to the last challenge.
    pub(crate) async fn respond(&mut self, auth: &Authenticator, response: &[u8]) -> SaslOutcome {
        if self.failing_ack {
            return self.failure();
        }
        if self.awaiting_ack {
            self.awaiting_ack = false;
            return match self.email.take() {
                Some(email) if response.is_empty() => SaslOutcome::Success(email),
                _ => self.failure(),
            };
        }
        let Some(mechanism) = self.mechanism.as_mut() else {
            return self.failure();
        };
        let step = mechanism.step(response);
        self.run(auth, step).await
    }

    async fn run(&mut self, auth: &Authenticator, mut step: ServerStep) -> SaslOutcome {
        loop {
            step = match step {
                ServerStep::Challenge(data) => return SaslOutcome::Challenge(data),
                ServerStep::NeedCredentials(request) => match self.answer(auth, request).await {
                    Some(step) => step,
                    None => return SaslOutcome::Unavailable,
                },
                ServerStep::Success(success) => {
                    let Some(email) = self.email.clone() else {
                        return self.failure();
                    };
                    let user = self.user.clone().unwrap_or_default();
                    auth.succeeded(self.client, &[&user, &email]);
                    return match success.final_data {
                        // Neither POP3's +OK (RFC 5034 section 4), IMAP's tagged OK nor
                        // the SMTP 235 of smtp-proto carries SASL data: send it as a
                        // last challenge, to be answered with an empty line.
                        Some(data) => {
                            self.awaiting_ack = true;
                            SaslOutcome::Challenge(data)
                        }
                        None => SaslOutcome::Success(email),
                    };
                }
                ServerStep::Failure(e) => {
                    if !matches!(e, SaslError::AuthenticationFailed) {
                        info!("{}: SASL exchange failed: {e}", auth.service);
                    }
                    // POP3's -ERR and IMAP's NO carry no SASL data (RFC 5034 section 4): a
                    // server-error message such as SCRAM's `e=invalid-proof` goes out as
                    // a last challenge, and the exchange fails on the client's answer.
                    let failure_data = self
                        .mechanism
                        .as_ref()
                        .and_then(ServerMechanism::failure_data);
                    if let Some(data) = failure_data {
                        self.failing_ack = true;
                        return SaslOutcome::Challenge(data);
                    }
                    return self.failure();
                }
            };
        }
    }

    fn failure(&self) -> SaslOutcome {
        let user = if self.unusable {
            None
        } else {
            self.user.clone()
        };
        SaslOutcome::Failure { user }
    }

    /// Answers the mechanism's credential request; `None` if the directory failed.
    async fn answer(
        &mut self,
        auth: &Authenticator,
        request: CredentialRequest,
    ) -> Option<ServerStep> {
        self.user = request.user().map(str::to_owned);
        let answer = match request {
            CredentialRequest::VerifyPassword {
                authcid,
                authzid,
                password,
            } => {
                if !same_identity(&authcid, authzid.as_deref()) {
                    Answer::Reject
                } else {
                    match auth.verify(self.client, &authcid, password).await {
                        Verdict::Accepted(email) => {
                            self.email = Some(email);
                            Answer::Accept
                        }
                        Verdict::Rejected => Answer::Reject,
                        Verdict::Unavailable => return None,
                    }
                }
            }
            CredentialRequest::LookupSecret {
                authcid,
                authzid,
                mechanism,
            } => {
                if !auth.admit(self.client, &authcid) {
                    return None;
                }
                let user = auth.lookup(&authcid).await.ok()?;
                match user {
                    Some(user) if same_identity(&authcid, authzid.as_deref()) => {
                        self.secret_answer(auth.service, user, mechanism)
                    }
                    _ => Answer::UnknownUser,
                }
            }
            _ => Answer::Reject,
        };
        let mut mechanism = self.mechanism.take()?;
        let (mechanism, step) = auth
            .blocking(move || {
                let step = mechanism.answer(answer);
                (mechanism, step)
            })
            .await?;
        self.mechanism = Some(mechanism);
        Some(step)
    }

    /// The secret of `user` for SCRAM: its stored SCRAM keys or cleartext password.
    /// Other schemes cannot serve SCRAM: the exchange then goes on as for an unknown
    /// user and fails at its end, revealing nothing.
    fn secret_answer(&mut self, service: &str, user: User, mechanism: Mechanism) -> Answer {
        let usable = user.password.cleartext().is_some()
            || user.password.scram_credentials().is_some_and(|keys| {
                keys.hash.mechanism_name() == mechanism.name().trim_end_matches("-PLUS")
            });
        if usable {
            self.email = Some(user.email);
            Answer::Stored(user.password)
        } else {
            info!(
                "{service}: {} needs a SCRAM or cleartext stored password; <{}> has {}",
                mechanism.name(),
                sanitize(&user.email),
                user.password.spec()
            );
            self.unusable = true;
            Answer::UnknownUser
        }
    }
}

/// Whether the authorization identity, if given, is the authenticated user itself
/// (acting as another user is not supported).
fn same_identity(authcid: &str, authzid: Option<&str>) -> bool {
    authzid.is_none_or(|z| z.is_empty() || z.eq_ignore_ascii_case(authcid))
}
