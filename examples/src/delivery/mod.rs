//! Local delivery, the ONE path shared by the MX, the LMTP listener, submission and the
//! outbound queue: resolve each recipient in the directory, run the filter stage, store
//! into the Maildir with fsync.
//!
//! - [`Delivery::check_recipient`] answers `RCPT TO`: only plain local parts in one of
//!   our domains that resolve to local mailboxes or forwarding destinations are
//!   accepted. Local parts that some mailer would route further (`user%other`,
//!   `other!user`, `"user@other"`) are refused before any lookup, so neither an alias
//!   nor a catch-all can turn them into a relay. Forwarding destinations outside our
//!   domains go to the outbound queue ([`dispatch`]).
//! - [`Delivery::spool`] gives a [`SpoolWriter`] for the body as it streams in.
//! - [`Delivery::deliver`] stores the spooled body once per distinct mailbox (an alias
//!   and its target in one transaction get one copy), each copy prefixed with its own
//!   trace headers and fsynced by the maildir crate before it returns. Each mailbox gets
//!   its own copy of the spool file, rather than hard links to one file: mailboxes may
//!   live on different filesystems, each copy carries its own `Delivered-To`, and the
//!   maildir crate's delivery (quota check, uidlist, fsync of file and directory) stays
//!   the one way mail enters a Maildir. Stores run on the blocking pool, at most
//!   [`STORE_CONCURRENCY`] at once.
//! - [`dispatch`] is what the sessions call at the end of a message: local copies
//!   through [`Delivery::deliver`], remote recipients into the outbound queue.
//! - [`transport`] lets the outbound queue deliver into local mailboxes the same way
//!   (bounces to local senders, retries of failed local copies).

pub(crate) mod dispatch;
mod headers;
mod hops;
mod spool;
mod store;
#[allow(
    dead_code,
    reason = "the queue runner, wired into `serve` by the lead, is its only user"
)]
pub(crate) mod transport;

use std::future::Future;
use std::net::IpAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tracing::{error, info, warn};

use crate::directory::{AddressError, Directory, DirectoryError, LocalUser, Resolution};

pub(crate) use headers::received_header;
pub(crate) use spool::{SpoolWriter, Spooled};

/// Most Maildir stores (fsync-heavy) running at once.
pub(crate) const STORE_CONCURRENCY: usize = 8;

/// Looks recipients up; the [`Directory`] in the server, a table in tests.
pub(crate) trait Resolver: Send + Sync + 'static {
    /// Resolves one recipient address.
    fn resolve(
        &self,
        recipient: &str,
    ) -> impl Future<Output = Result<Resolution, DirectoryError>> + Send;

    /// Whether `domain` is one of ours (a domain name, not an address literal).
    fn is_local_domain(
        &self,
        domain: &str,
    ) -> impl Future<Output = Result<bool, DirectoryError>> + Send;
}

impl Resolver for Directory {
    fn resolve(
        &self,
        recipient: &str,
    ) -> impl Future<Output = Result<Resolution, DirectoryError>> + Send {
        self.resolve_recipient(recipient)
    }

    fn is_local_domain(
        &self,
        domain: &str,
    ) -> impl Future<Output = Result<bool, DirectoryError>> + Send {
        Self::is_local_domain(self, domain)
    }
}

/// Where the filter stage puts a message for one mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum Verdict {
    /// Store into this folder (`INBOX`, `Junk`, ...).
    Folder(String),
}

/// A boxed future, so filters can be chosen at run time.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The filter stage between resolution and storage (spam checks and Sieve plug in here).
pub(crate) trait Filter: Send + Sync {
    /// Decides where the message goes for `mailbox`.
    fn decide<'a>(
        &'a self,
        envelope: &'a Envelope,
        mailbox: &'a LocalUser,
        body: &'a Spooled,
    ) -> BoxFuture<'a, Verdict>;
}

/// The filter until spam checks and Sieve exist: everything goes to INBOX.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct InboxOnly;

impl Filter for InboxOnly {
    fn decide<'a>(
        &'a self,
        _envelope: &'a Envelope,
        _mailbox: &'a LocalUser,
        _body: &'a Spooled,
    ) -> BoxFuture<'a, Verdict> {
        Box::pin(async { Verdict::Folder(maildir::INBOX.to_owned()) })
    }
}

/// What is known about a message besides its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Envelope {
    /// The session's id, for logs and the `Received` header.
    pub(crate) id: String,
    /// The client's HELO/EHLO/LHLO argument.
    pub(crate) helo: Option<String>,
    /// The client's IP (`None`: a Unix socket).
    pub(crate) client_ip: Option<IpAddr>,
    /// `ESMTP`, `ESMTPS`, `ESMTPA`, `ESMTPSA`, `SMTP`, `LMTP`, `LMTPS` (RFC 3848).
    pub(crate) protocol: &'static str,
    /// The negotiated TLS version and cipher, if any.
    pub(crate) tls: Option<String>,
    /// The reverse path; `None` for the null sender `<>`.
    pub(crate) sender: Option<String>,
    /// The accepted recipients as the client gave them, in RCPT order.
    pub(crate) recipients: Vec<String>,
    /// The login of an authenticated client (submission), for the `Received` header.
    pub(crate) authenticated: Option<String>,
}

/// Where the copies for one accepted recipient go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Destinations {
    /// Local mailboxes, stored at once.
    pub(crate) local: Vec<LocalUser>,
    /// Addresses outside our domains (forwarding aliases), for the outbound queue.
    pub(crate) remote: Vec<String>,
}

/// Why a recipient was refused at `RCPT TO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The local part has routing characters or is not a mailbox name.
    BadLocalPart,
    /// The domain is not one of ours.
    NotLocalDomain,
    /// No such user or alias.
    UnknownUser,
    /// A mailbox is over its quota.
    OverQuota,
    /// The alias expansion goes deeper or wider than the directory allows.
    TooManyAliases,
    /// The directory or the Maildir could not be read.
    Temporary,
}

/// Why storing a message for a recipient failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreFailure {
    /// The mailbox is over its quota.
    OverQuota,
    /// Anything else (disk, permissions, locks); worth retrying later.
    Temporary,
}

/// The shared delivery path.
pub(crate) struct Delivery<R = Directory> {
    resolver: R,
    filter: Arc<dyn Filter>,
    hostname: String,
    spool_dir: PathBuf,
    slots: Semaphore,
}

impl<R: Resolver> Delivery<R> {
    /// Delivery through `resolver` and `filter`; bodies are spooled in `spool_dir`.
    pub(crate) fn new(
        resolver: R,
        filter: Arc<dyn Filter>,
        hostname: impl Into<String>,
        spool_dir: PathBuf,
    ) -> Self {
        Self {
            resolver,
            filter,
            hostname: hostname.into(),
            spool_dir,
            slots: Semaphore::new(STORE_CONCURRENCY),
        }
    }

    /// The server's host name (greeting, `Received`).
    pub(crate) fn hostname(&self) -> &str {
        &self.hostname
    }

    /// Whether `domain` is one of ours; `Err` when the directory cannot answer.
    pub(crate) async fn is_local_domain(&self, domain: &str) -> Result<bool, Refusal> {
        self.resolver.is_local_domain(domain).await.map_err(|e| {
            error!("directory lookup of the domain {domain} failed: {e}");
            Refusal::Temporary
        })
    }

    /// Decides `RCPT TO:<local_part@domain>`: the local mailboxes and forwarding
    /// destinations it resolves to, or why it is refused. `size` is the `SIZE=` the
    /// client declared, for the quota check.
    pub(crate) async fn check_recipient(
        &self,
        local_part: &str,
        domain: &str,
        size: Option<u64>,
    ) -> Result<Destinations, Refusal> {
        let domain = if domain.is_empty() {
            // `RCPT TO:<Postmaster>` (RFC 5321 section 4.5.1) is our host's postmaster.
            self.hostname.as_str()
        } else {
            domain
        };
        if !is_plain_local_part(local_part) {
            return Err(Refusal::BadLocalPart);
        }
        let address = format!("{local_part}@{domain}");
        let resolution = match self.resolver.resolve(&address).await {
            Ok(resolution) => resolution,
            // An address literal or other non-host-name domain is never one of ours.
            Err(DirectoryError::InvalidAddress {
                reason: AddressError::BadDomain,
                ..
            }) => return Err(Refusal::NotLocalDomain),
            Err(DirectoryError::InvalidAddress { .. }) => return Err(Refusal::BadLocalPart),
            Err(e @ DirectoryError::ExpansionLimit { .. }) => {
                warn!("{e}");
                return Err(Refusal::TooManyAliases);
            }
            Err(e) => {
                error!("directory lookup of {address} failed: {e}");
                return Err(Refusal::Temporary);
            }
        };
        let (local, remote) = match resolution {
            Resolution::NotLocalDomain => return Err(Refusal::NotLocalDomain),
            Resolution::Unknown => return Err(Refusal::UnknownUser),
            Resolution::Found { local, remote } => (local, remote),
        };
        for mailbox in &local {
            if self.would_exceed(mailbox, size.unwrap_or(0)).await? {
                return Err(Refusal::OverQuota);
            }
        }
        if !remote.is_empty() {
            info!("recipient {address} forwards to {remote:?}");
        }
        Ok(Destinations { local, remote })
    }

    async fn would_exceed(&self, mailbox: &LocalUser, size: u64) -> Result<bool, Refusal> {
        let mailbox = mailbox.clone();
        let checked = tokio::task::spawn_blocking(move || {
            store::would_exceed(&mailbox, size).map_err(|e| (mailbox.email.clone(), e))
        })
        .await;
        match checked {
            Ok(Ok(over)) => Ok(over),
            Ok(Err((email, e))) => {
                error!("quota check for {email} failed: {e}");
                Err(Refusal::Temporary)
            }
            Err(e) => {
                error!("quota check panicked: {e}");
                Err(Refusal::Temporary)
            }
        }
    }

    /// A new spool file for a message body.
    pub(crate) async fn spool(&self) -> std::io::Result<SpoolWriter> {
        SpoolWriter::create(&self.spool_dir).await
    }

    /// Whether every one of `mailboxes` has room for `size` more bytes.
    pub(crate) async fn check_quota(
        &self,
        mailboxes: &[Vec<LocalUser>],
        size: u64,
    ) -> Result<(), StoreFailure> {
        for mailbox in &distinct_mailboxes(mailboxes) {
            match self.would_exceed(mailbox, size).await {
                Ok(false) => {}
                Ok(true) => return Err(StoreFailure::OverQuota),
                Err(_) => return Err(StoreFailure::Temporary),
            }
        }
        Ok(())
    }

    /// Stores `body` for every recipient (`mailboxes[i]` are the mailboxes of
    /// `envelope.recipients[i]`); returns one result per recipient. With `all_or_nothing`
    /// (SMTP, which has one reply for all recipients) nothing is stored if any mailbox
    /// is over quota.
    pub(crate) async fn deliver(
        &self,
        envelope: &Envelope,
        mailboxes: &[Vec<LocalUser>],
        body: &Spooled,
        all_or_nothing: bool,
    ) -> Vec<Result<(), StoreFailure>> {
        if all_or_nothing && let Err(failure) = self.check_quota(mailboxes, body.len()).await {
            return vec![Err(failure); mailboxes.len()];
        }
        let distinct = distinct_mailboxes(mailboxes);
        let stored = self
            .store_copies(envelope, &distinct, body, Trace::Received)
            .await;
        let results: Vec<(&LocalUser, Result<(), StoreFailure>)> =
            distinct.iter().zip(stored).collect();
        mailboxes
            .iter()
            .map(|targets| {
                targets
                    .iter()
                    .map(|t| {
                        results
                            .iter()
                            .find(|(m, _)| m.maildir == t.maildir)
                            .map_or(Err(StoreFailure::Temporary), |(_, r)| *r)
                    })
                    .find(Result::is_err)
                    .unwrap_or(Ok(()))
            })
            .collect()
    }

    /// Stores one copy in each of `mailboxes` (which should be distinct), with the
    /// `trace` headers; one result per mailbox.
    pub(crate) async fn store_copies(
        &self,
        envelope: &Envelope,
        mailboxes: &[LocalUser],
        body: &Spooled,
        trace: Trace,
    ) -> Vec<Result<(), StoreFailure>> {
        let mut results = Vec::with_capacity(mailboxes.len());
        for mailbox in mailboxes {
            results.push(self.store_one(envelope, mailbox, body, trace).await);
        }
        results
    }

    /// Filters and stores one copy.
    async fn store_one(
        &self,
        envelope: &Envelope,
        mailbox: &LocalUser,
        body: &Spooled,
        trace: Trace,
    ) -> Result<(), StoreFailure> {
        let Verdict::Folder(folder) = self.filter.decide(envelope, mailbox, body).await;
        let prefix = match trace {
            Trace::Received => headers::trace_headers(envelope, &self.hostname, &mailbox.email),
            Trace::DeliveryOnly => headers::delivery_headers(envelope, &mailbox.email),
        };
        let Ok(_slot) = self.slots.acquire().await else {
            return Err(StoreFailure::Temporary);
        };
        let (job_mailbox, job_folder, job_body) = (mailbox.clone(), folder.clone(), body.clone());
        let stored = tokio::task::spawn_blocking(move || {
            store::deliver(&job_mailbox, &job_folder, prefix, &job_body)
        })
        .await;
        let (id, user) = (&envelope.id, &mailbox.email);
        match stored {
            Ok(Ok(delivered)) => {
                info!(
                    "delivered: session={id} to=<{user}> folder={folder} uid={} size={}",
                    delivered.uid, delivered.size
                );
                Ok(())
            }
            Ok(Err(maildir::Error::QuotaExceeded { .. })) => {
                warn!("not delivered: session={id} to=<{user}> reason=over quota");
                Err(StoreFailure::OverQuota)
            }
            Ok(Err(e)) => {
                error!("not delivered: session={id} to=<{user}> reason={e}");
                Err(StoreFailure::Temporary)
            }
            Err(e) => {
                error!("not delivered: session={id} to=<{user}> reason=store task failed: {e}");
                Err(StoreFailure::Temporary)
            }
        }
    }
}

/// Which trace headers a stored copy gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trace {
    /// `Return-Path`, `Delivered-To` and our `Received` (mail straight from a session).
    Received,
    /// `Return-Path` and `Delivered-To` only: the queued copy has our `Received` already.
    DeliveryOnly,
}

/// Every mailbox once, in first-seen order.
pub(crate) fn distinct_mailboxes(mailboxes: &[Vec<LocalUser>]) -> Vec<LocalUser> {
    let mut distinct: Vec<LocalUser> = Vec::new();
    for mailbox in mailboxes.iter().flatten() {
        if !distinct.iter().any(|m| m.maildir == mailbox.maildir) {
            distinct.push(mailbox.clone());
        }
    }
    distinct
}

/// Whether `local` is a plain mailbox name: a dot-atom without the characters mailers
/// have used for routing (`%`, `!`, `@`, `:`), quoting or path tricks (`/`, `\`).
/// Non-ASCII letters (SMTPUTF8) are allowed.
pub(crate) fn is_plain_local_part(local: &str) -> bool {
    const ALLOWED: &str = "-_+=.&'#$*?^{|}~";
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ALLOWED.contains(c) || c.is_alphanumeric())
}

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
