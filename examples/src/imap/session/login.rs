//! LOGIN and AUTHENTICATE through the shared [`Authenticator`](crate::login), then the
//! user's Maildir is opened with the quota from the directory.

use imap_proto::server::{Server, Status};
use imap_proto::types::{AString, Code};
use maildir::QuotaLimits;
use tracing::{info, warn};

use super::{ImapSession, Mail};
use crate::imap::mailbox::UserStore;
use crate::logging::sanitize;
use crate::login::{SaslExchange, SaslOutcome, Verdict};

fn auth_failed() -> Status {
    Status::no("Authentication failed").with_code(Code::AuthenticationFailed)
}

fn try_later() -> Status {
    Status::no("Temporary authentication failure, try again later").with_code(Code::Unavailable)
}

/// `LOGIN user password`.
pub(super) async fn login(
    session: &mut ImapSession,
    machine: &mut Server,
    username: &AString<'_>,
    password: &[u8],
) {
    let Some(user) = username.as_str() else {
        session.shared.auth.failed(None, &session.peer).await;
        let _ = machine.complete(auth_failed());
        return;
    };
    let password = auth::Password::new(password);
    match session
        .shared
        .auth
        .check_password(&session.peer, user, password)
        .await
    {
        Verdict::Accepted(email) => {
            let status = match open_mail(session, &email, "LOGIN").await {
                Ok(()) => Status::ok("Logged in"),
                Err(status) => status,
            };
            let _ = machine.complete(status);
        }
        Verdict::Rejected => {
            session.shared.auth.failed(Some(user), &session.peer).await;
            let _ = machine.complete(auth_failed());
        }
        Verdict::Unavailable => {
            let _ = machine.complete(try_later());
        }
    }
}

/// `AUTHENTICATE mechanism [initial-response]`.
pub(super) async fn authenticate(
    session: &mut ImapSession,
    machine: &mut Server,
    mechanism: &str,
    initial: Option<&[u8]>,
) {
    let Some(mut exchange) = SaslExchange::new(mechanism, &session.shared.hostname, &session.peer)
    else {
        let status = Status::no("Unsupported mechanism").with_code(Code::Cannot);
        let _ = machine.auth_failure(status);
        return;
    };
    let outcome = exchange.start(&session.shared.auth, initial).await;
    outcome_of(session, machine, exchange, outcome).await;
}

/// The client's answer to a challenge.
pub(super) async fn auth_response(session: &mut ImapSession, machine: &mut Server, data: &[u8]) {
    let Some(mut exchange) = session.sasl.take() else {
        let _ = machine.auth_failure(auth_failed());
        return;
    };
    let outcome = exchange.respond(&session.shared.auth, data).await;
    outcome_of(session, machine, exchange, outcome).await;
}

async fn outcome_of(
    session: &mut ImapSession,
    machine: &mut Server,
    exchange: SaslExchange,
    outcome: SaslOutcome,
) {
    match outcome {
        SaslOutcome::Challenge(data) => {
            session.sasl = Some(exchange);
            let _ = machine.auth_challenge(&data);
        }
        SaslOutcome::Success(email) => {
            let _ = match open_mail(session, &email, "AUTHENTICATE").await {
                Ok(()) => machine.auth_success(),
                Err(status) => machine.auth_failure(status),
            };
        }
        SaslOutcome::Failure { user } => {
            session
                .shared
                .auth
                .failed(user.as_deref(), &session.peer)
                .await;
            let _ = machine.auth_failure(auth_failed());
        }
        SaslOutcome::Unavailable => {
            let _ = machine.auth_failure(try_later());
        }
    }
}

/// Opens the Maildir of `email` (created if missing) with the directory's quota.
async fn open_mail(session: &mut ImapSession, email: &str, method: &str) -> Result<(), Status> {
    let unavailable =
        || Status::no("Cannot open the mailbox, try again later").with_code(Code::Unavailable);
    let directory = &session.shared.directory;
    let quota = match directory.lookup_user(email).await {
        Ok(Some(user)) => user.quota,
        Ok(None) => return Err(auth_failed()),
        Err(e) => {
            warn!(
                "imap: directory lookup of <{}> failed: {e}",
                sanitize(email)
            );
            return Err(unavailable());
        }
    };
    let path = directory.maildir_path(email).map_err(|e| {
        warn!("imap: no maildir for <{}>: {e}", sanitize(email));
        unavailable()
    })?;
    let limits = quota.map(|bytes| QuotaLimits {
        bytes: Some(bytes),
        messages: None,
    });
    let opened = tokio::task::spawn_blocking(move || UserStore::open(&path, limits)).await;
    let store = match opened {
        Ok(Ok(store)) => store,
        Ok(Err(e)) => {
            warn!(
                "imap: cannot open the Maildir of <{}>: {e}",
                sanitize(email)
            );
            return Err(unavailable());
        }
        Err(e) => {
            warn!(
                "imap: cannot open the Maildir of <{}>: {e}",
                sanitize(email)
            );
            return Err(unavailable());
        }
    };
    info!(
        "login: session={} user=<{}> method={method}",
        session.peer.id,
        sanitize(email)
    );
    session.mail = Some(Box::new(Mail::new(store)));
    Ok(())
}
