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
//!   and its target in one transaction get one copy), after the [`Filter`] (Sieve,
//!   [`crate::filter::sieve`]) decided where: the folders to store into with their
//!   flags and keywords (none: discarded), addresses to redirect to and a vacation
//!   reply, both for the outbound queue ([`actions`]). Each copy is prefixed with its
//!   own trace headers and fsynced by the maildir crate before it returns. Each mailbox gets
//!   its own copy of the spooled body, rather than hard links to one file: mailboxes may
//!   live on different filesystems, each copy carries its own `Delivered-To`, and the
//!   maildir crate's delivery (quota check, fsync of file and directory; no uidlist lock,
//!   so concurrent stores share fsyncs, and the UID comes at the folder's next sync)
//!   stays the one way mail enters a Maildir. Stores run on the blocking pool, at most
//!   [`STORE_CONCURRENCY`] at once.
//! - [`dispatch`] is what the sessions call at the end of a message: local copies
//!   through [`Delivery::deliver`], remote recipients into the outbound queue.
//! - [`transport`] lets the outbound queue deliver into local mailboxes the same way
//!   (bounces to local senders, retries of failed local copies).

mod actions;
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
use crate::filter::SieveDecision;
use crate::filter::sieve::FolderCopy;
use crate::queue::Queue;

pub(crate) use headers::{received_header, rfc5322_date};
pub(crate) use spool::{SpoolWriter, Spooled};
pub(crate) use store::SPECIAL_FOLDERS;

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

/// A boxed future, so filters can be chosen at run time.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The filter stage between resolution and storage, per mailbox: Sieve in the server
/// ([`SieveFilter`](crate::filter::SieveFilter)). (The spam check runs earlier, once
/// per message, at the end of DATA: see [`crate::mx`].)
pub(crate) trait Filter: Send + Sync {
    /// Decides what happens to the message for `mailbox`, delivered because of the
    /// envelope recipient `recipient` (an alias of it, or its own address). Blocking
    /// (it reads scripts and state files): the delivery calls it on the blocking pool,
    /// together with the stores that usually follow.
    fn decide(
        &self,
        envelope: &Envelope,
        recipient: &str,
        mailbox: &LocalUser,
        body: &Spooled,
    ) -> SieveDecision;
}

/// No filtering: everything goes to INBOX (tests of the other stages).
#[cfg(test)]
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct InboxOnly;

#[cfg(test)]
impl Filter for InboxOnly {
    fn decide(
        &self,
        _envelope: &Envelope,
        _recipient: &str,
        _mailbox: &LocalUser,
        _body: &Spooled,
    ) -> SieveDecision {
        SieveDecision::inbox()
    }
}

/// One mailbox to store into, and the envelope recipient it is delivered for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Addressee {
    /// The mailbox.
    pub(crate) mailbox: LocalUser,
    /// The recipient address that led to it (what Sieve's `envelope :to` sees).
    pub(crate) recipient: String,
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
    /// Where redirects and vacation replies go; without it they are not sent.
    outbox: Option<Arc<Queue>>,
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
            outbox: None,
        }
    }

    /// Sends Sieve redirects and vacation replies through `queue`. Without one, a
    /// redirect is logged and the message kept in INBOX instead, and vacation replies
    /// are dropped (logged).
    pub(crate) fn with_outbox(mut self, queue: Arc<Queue>) -> Self {
        self.outbox = Some(queue);
        self
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
        if mailbox.quota.is_none_or(|quota| quota == 0) {
            // Unlimited: no need to read the Maildir on the blocking pool.
            return Ok(false);
        }
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
    pub(crate) fn spool(&self) -> SpoolWriter {
        SpoolWriter::create(&self.spool_dir)
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
        let distinct = distinct_addressees(&envelope.recipients, mailboxes);
        let stored = self
            .store_for(envelope, &distinct, body, Trace::Received)
            .await;
        let results: Vec<(&LocalUser, Result<(), StoreFailure>)> =
            distinct.iter().map(|a| &a.mailbox).zip(stored).collect();
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
    /// `trace` headers; one result per mailbox. The recipient each is delivered for is
    /// the envelope recipient with the mailbox's address, or else that address.
    pub(crate) async fn store_copies(
        &self,
        envelope: &Envelope,
        mailboxes: &[LocalUser],
        body: &Spooled,
        trace: Trace,
    ) -> Vec<Result<(), StoreFailure>> {
        let addressees: Vec<Addressee> = mailboxes
            .iter()
            .map(|mailbox| {
                let recipient = envelope
                    .recipients
                    .iter()
                    .find(|r| r.eq_ignore_ascii_case(&mailbox.email))
                    .unwrap_or(&mailbox.email);
                Addressee {
                    mailbox: mailbox.clone(),
                    recipient: recipient.clone(),
                }
            })
            .collect();
        self.store_for(envelope, &addressees, body, trace).await
    }

    /// Filters and stores the message for each of `addressees` (distinct mailboxes);
    /// one result per addressee.
    pub(crate) async fn store_for(
        &self,
        envelope: &Envelope,
        addressees: &[Addressee],
        body: &Spooled,
        trace: Trace,
    ) -> Vec<Result<(), StoreFailure>> {
        let mut results = Vec::with_capacity(addressees.len());
        for addressee in addressees {
            results.push(self.store_one(envelope, addressee, body, trace).await);
        }
        results
    }

    /// Filters and stores for one mailbox. Usually the filter decides only copies to
    /// store, and the stores follow it on the blocking pool in the same trip
    /// ([`Delivery::file_at_once`]). Otherwise the redirects are queued first (if that
    /// fails nothing is stored, so the retry repeats nothing), the vacation reply
    /// queued, then each copy stored. A copy that fails fails the mailbox; the copies
    /// stored before it arrive again on the retry (a duplicate, never a loss).
    async fn store_one(
        &self,
        envelope: &Envelope,
        addressee: &Addressee,
        body: &Spooled,
        trace: Trace,
    ) -> Result<(), StoreFailure> {
        let mailbox = &addressee.mailbox;
        let prefix = match trace {
            Trace::Received => headers::trace_headers(envelope, &self.hostname, &mailbox.email),
            Trace::DeliveryOnly => headers::delivery_headers(envelope, &mailbox.email),
        };
        let decision = match self
            .file_at_once(envelope, addressee, body, prefix.clone())
            .await?
        {
            Filed::Stored(stored) => return report(envelope, mailbox, stored),
            Filed::Decided(decision) => decision,
        };
        let mut stores = decision.stores;
        if !decision.redirects.is_empty() {
            match self
                .redirect(envelope, addressee, body, &decision.redirects)
                .await
            {
                Ok(()) => {}
                Err(actions::RedirectFailure::Queue) => return Err(StoreFailure::Temporary),
                Err(actions::RedirectFailure::NotSent) => {
                    // RFC 5228 section 2.10.6: an action that cannot be carried out
                    // leaves the implicit keep.
                    if !stores.iter().any(|c| maildir::is_inbox(&c.folder)) {
                        stores.push(FolderCopy::new(maildir::INBOX, false));
                    }
                }
            }
        }
        if let Some(reply) = decision.vacation {
            self.send_vacation(envelope, addressee, reply).await;
        }
        if stores.is_empty() {
            return report(envelope, mailbox, Vec::new());
        }
        for copy in stores {
            self.store_copy(envelope, mailbox, copy, prefix.clone(), body)
                .await?;
        }
        Ok(())
    }

    /// Runs the filter on the blocking pool and, when it decides only copies to store
    /// (no redirect, no vacation reply: they go through the queue, asynchronously),
    /// stores them there too: one trip to the pool per mailbox instead of two.
    async fn file_at_once(
        &self,
        envelope: &Envelope,
        addressee: &Addressee,
        body: &Spooled,
        prefix: Vec<u8>,
    ) -> Result<Filed, StoreFailure> {
        let Ok(_slot) = self.slots.acquire().await else {
            return Err(StoreFailure::Temporary);
        };
        let filter = Arc::clone(&self.filter);
        let (job_envelope, job_addressee, job_body) =
            (envelope.clone(), addressee.clone(), body.clone());
        let filed = tokio::task::spawn_blocking(move || {
            let (recipient, mailbox) = (&job_addressee.recipient, &job_addressee.mailbox);
            let decision = filter.decide(&job_envelope, recipient, mailbox, &job_body);
            if !decision.redirects.is_empty() || decision.vacation.is_some() {
                return Filed::Decided(decision);
            }
            Filed::Stored(store::deliver_all(
                mailbox,
                &decision.stores,
                &prefix,
                &job_body,
            ))
        })
        .await;
        filed.map_err(|e| {
            error!(
                "not delivered: session={} to=<{}> reason=filter task failed: {e}",
                envelope.id, addressee.mailbox.email
            );
            StoreFailure::Temporary
        })
    }

    /// Stores one copy, fsynced.
    async fn store_copy(
        &self,
        envelope: &Envelope,
        mailbox: &LocalUser,
        copy: FolderCopy,
        prefix: Vec<u8>,
        body: &Spooled,
    ) -> Result<(), StoreFailure> {
        let Ok(_slot) = self.slots.acquire().await else {
            return Err(StoreFailure::Temporary);
        };
        let (job_mailbox, job_body) = (mailbox.clone(), body.clone());
        let stored = tokio::task::spawn_blocking(move || {
            store::deliver(&job_mailbox, &copy, &prefix, &job_body)
        })
        .await;
        match stored {
            Ok(stored) => report(envelope, mailbox, vec![stored]),
            Err(e) => {
                error!(
                    "not delivered: session={} to=<{}> reason=store task failed: {e}",
                    envelope.id, mailbox.email
                );
                Err(StoreFailure::Temporary)
            }
        }
    }
}

/// What [`Delivery::file_at_once`] did.
enum Filed {
    /// The copies the filter decided were stored, in order, up to the first failure.
    Stored(Vec<Result<store::StoredCopy, maildir::Error>>),
    /// The decision has redirects or a vacation reply, and nothing was stored yet.
    Decided(SieveDecision),
}

/// Logs the stores for `mailbox` (none: the filter discarded the message); the first
/// failure, if any.
fn report(
    envelope: &Envelope,
    mailbox: &LocalUser,
    stored: Vec<Result<store::StoredCopy, maildir::Error>>,
) -> Result<(), StoreFailure> {
    let (id, user) = (&envelope.id, &mailbox.email);
    if stored.is_empty() {
        info!("discarded: session={id} to=<{user}> (sieve)");
    }
    for copy in stored {
        match copy {
            Ok((delivered, folder)) => info!(
                "delivered: session={id} to=<{user}> folder={folder} file={} size={}",
                delivered.file_name, delivered.size
            ),
            Err(maildir::Error::QuotaExceeded { .. }) => {
                warn!("not delivered: session={id} to=<{user}> reason=over quota");
                return Err(StoreFailure::OverQuota);
            }
            Err(e) => {
                error!("not delivered: session={id} to=<{user}> reason={e}");
                return Err(StoreFailure::Temporary);
            }
        }
    }
    Ok(())
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

/// Every mailbox once, in first-seen order, with the first recipient (of `recipients`,
/// parallel to `mailboxes`) that led to it.
pub(crate) fn distinct_addressees(
    recipients: &[String],
    mailboxes: &[Vec<LocalUser>],
) -> Vec<Addressee> {
    let mut distinct: Vec<Addressee> = Vec::new();
    for (at, targets) in mailboxes.iter().enumerate() {
        for mailbox in targets {
            if distinct
                .iter()
                .any(|a| a.mailbox.maildir == mailbox.maildir)
            {
                continue;
            }
            let recipient = recipients.get(at).unwrap_or(&mailbox.email);
            distinct.push(Addressee {
                mailbox: mailbox.clone(),
                recipient: recipient.clone(),
            });
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
