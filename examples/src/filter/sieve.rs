//! Sieve filtering at local delivery, laid out as Dovecot's Pigeonhole does it.
//!
//! For each local mailbox a message is delivered to, [`SieveFilter::decide`] runs:
//! 1. the global before-script: the file `[sieve] before`, or, by default, the seed
//!    setup's rule [`DEFAULT_BEFORE_SCRIPT`] (`X-Spam: Yes` goes to Junk);
//! 2. the user's active script, `<home>/.dovecot.sieve` (a symlink into
//!    `<home>/sieve/NAME.sieve`, as ManageSieve leaves it; `<home>` is the directory
//!    holding the user's Maildir), but, as with Pigeonhole's `sieve_before`, only when
//!    the global script ended in a keep (implicit or explicit) without `stop`: a
//!    message the global script filed into Junk is not also run through the user's
//!    script (no vacation replies to spam). The global script's keep is deferred: the
//!    user's script decides whether the message is kept.
//!
//! Scripts are compiled once and cached by path, modification time and size. A user
//! script that does not compile, or fails at run time, is logged and the message is
//! kept in INBOX (RFC 5228 section 2.10.6); so is a global script that fails at run
//! time. A global script that no longer compiles is logged and skipped.
//!
//! The result, a [`SieveDecision`], lists the copies to store (folder and flags),
//! the addresses to redirect to (for the outbound queue) and a vacation reply (for the
//! outbound queue, with a null sender). Folder rules:
//! - names that could leave the Maildir or break its layout (`/`, `..`, a leading or
//!   trailing `.`, control characters) are refused: the copy goes to INBOX, logged;
//! - `fileinto` a folder that does not exist files into INBOX, as Dovecot does with
//!   its default `lda_mailbox_autocreate = no`; `fileinto :create` (RFC 5490) creates
//!   it ([`FolderCopy::create`]);
//! - `imap4flags` flags become Maildir flags (`\Seen` S, `\Answered` R, `\Flagged` F,
//!   `\Deleted` T, `\Draft` D) and keywords ([`FolderCopy::delivery_options`]).
//!
//! Vacation responses are tracked per user in `<home>/.postroom.vacation` (see
//! [`vacation`]); the runs of one user are serialised so concurrent deliveries never
//! lose an entry.
//!
//! The scripts see the spooled message's header section (with the size of the whole
//! message for `size`); the body is read only when a script uses the `body` test, and
//! then at most [`MAX_BODY_READ`] bytes of the message.

mod folders;
mod scripts;
mod vacation;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::sieve::{Action, Environment, Extension, MessageContext, Outcome, Script};
use serde::Deserialize;
use tracing::{debug, error, info, warn};

use crate::delivery::{Envelope, Filter, Spooled, rfc5322_date};
use crate::directory::LocalUser;
use crate::filter::message::{MAX_HEADER_SECTION, split_header_section};
use crate::logging::sanitize;

use folders::{Folders, check_name, maildir_flags};
use scripts::{ScriptCache, active_script};
use vacation::{FileVacationStore, VACATION_FILE};

/// The seed setup's global rule: mail rspamd marked as spam goes to Junk.
pub(crate) const DEFAULT_BEFORE_SCRIPT: &str = "require [\"fileinto\"];\n\
     if header :contains \"X-Spam\" \"Yes\" {\n    fileinto \"Junk\";\n}\n";

/// Most bytes of a message read for a script that uses the `body` test.
pub(crate) const MAX_BODY_READ: u64 = 16 << 20;

/// Lock stripes serialising the runs of one user.
const LOCK_STRIPES: usize = 64;

/// The `[sieve]` section of the configuration.
///
/// ```toml
/// [sieve]
/// enabled = true                          # run Sieve at local delivery
/// before = "/etc/postroom/before.sieve"   # default: the built-in spam-to-Junk rule
/// user_scripts = true                     # run the users' active scripts
/// ```
///
/// An empty `before` file turns the global rule off.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct SieveConfig {
    /// Run Sieve at all (default true); off, everything is kept in INBOX.
    pub(crate) enabled: bool,
    /// The global before-script; unset: [`DEFAULT_BEFORE_SCRIPT`].
    pub(crate) before: Option<PathBuf>,
    /// Run each user's active script (default true).
    pub(crate) user_scripts: bool,
}

impl Default for SieveConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            before: None,
            user_scripts: true,
        }
    }
}

impl SieveConfig {
    /// Makes a relative `before` path relative to `base` (the configuration's directory).
    pub(crate) fn resolve_paths(&mut self, base: &Path) {
        if let Some(path) = &mut self.before
            && path.is_relative()
        {
            *path = base.join(&*path);
        }
    }
}

/// Why the Sieve stage cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum SieveSetupError {
    /// The global before-script is missing, unreadable or does not compile.
    #[error("sieve.before: {0}")]
    Before(String),
}

/// What to do with a message for one mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SieveDecision {
    /// The copies to store, in order; none when the message is discarded.
    pub(crate) stores: Vec<FolderCopy>,
    /// Addresses to send the message to, unchanged (RFC 5228 `redirect`). Queue them
    /// with the message's envelope sender (a null sender stays null).
    pub(crate) redirects: Vec<String>,
    /// A vacation reply to queue, with a null sender.
    pub(crate) vacation: Option<VacationReply>,
}

/// One copy to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FolderCopy {
    /// The folder (`INBOX`, `Junk`, `Lists.rust`), a valid Maildir++ name.
    pub(crate) folder: String,
    /// Whether the folder may not exist yet and must be created (`:create`, or a
    /// special-use folder of a Maildir that the first delivery creates).
    pub(crate) create: bool,
    /// Maildir flags to store with.
    pub(crate) flags: maildir::Flags,
    /// Keywords to store with.
    pub(crate) keywords: Vec<String>,
}

impl FolderCopy {
    /// A copy into `folder` without flags.
    pub(crate) fn new(folder: impl Into<String>, create: bool) -> Self {
        Self {
            folder: folder.into(),
            create,
            flags: maildir::Flags::empty(),
            keywords: Vec::new(),
        }
    }

    fn inbox() -> Self {
        Self::new(maildir::INBOX, false)
    }

    /// The maildir crate's options for this copy (fsynced, with the flags).
    pub(crate) fn delivery_options(&self) -> maildir::DeliveryOptions {
        maildir::DeliveryOptions {
            fsync: true,
            flags: self.flags,
            keywords: self.keywords.clone(),
        }
    }
}

/// A vacation reply (RFC 5230) to send with a null reverse-path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VacationReply {
    /// The recipient: the envelope sender of the message answered.
    pub(crate) to: String,
    /// The complete message, CRLF line ends.
    pub(crate) message: Vec<u8>,
}

impl SieveDecision {
    /// Keep in INBOX, nothing else.
    pub(crate) fn inbox() -> Self {
        Self {
            stores: vec![FolderCopy::inbox()],
            redirects: Vec::new(),
            vacation: None,
        }
    }

    /// Whether nothing is stored for this mailbox.
    #[cfg(test)]
    pub(crate) fn is_discarded(&self) -> bool {
        self.stores.is_empty()
    }

    /// Adds a copy into `folder`, merging the flags of an earlier copy there.
    fn store(&mut self, folder: String, create: bool, imap_flags: &[String]) {
        let (flags, keywords) = maildir_flags(imap_flags);
        let same = |copy: &&mut FolderCopy| {
            copy.folder == folder || (maildir::is_inbox(&copy.folder) && maildir::is_inbox(&folder))
        };
        if let Some(copy) = self.stores.iter_mut().find(same) {
            for flag in flags.iter() {
                copy.flags.insert(flag);
            }
            for keyword in keywords {
                if !copy.keywords.contains(&keyword) {
                    copy.keywords.push(keyword);
                }
            }
            copy.create |= create;
            return;
        }
        self.stores.push(FolderCopy {
            folder,
            create,
            flags,
            keywords,
        });
    }
}

/// The user's script, as found.
enum UserScript {
    None,
    Ready(Arc<Script>),
    Broken(String),
}

/// What one decision is about.
struct Request<'a> {
    session: &'a str,
    sender: &'a str,
    recipient: &'a str,
    mailbox: &'a LocalUser,
    body: &'a Spooled,
}

/// The Sieve stage of local delivery. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct SieveFilter {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: SieveConfig,
    hostname: String,
    builtin: Arc<Script>,
    cache: ScriptCache,
    locks: Vec<Mutex<()>>,
}

impl SieveFilter {
    /// The stage as configured; `hostname` names our vacation replies' Message-IDs.
    /// A configured global script must exist and compile (checked now, so a broken
    /// one stops the server from starting rather than being skipped silently). Blocks.
    pub(crate) fn new(
        config: SieveConfig,
        hostname: impl Into<String>,
    ) -> Result<Self, SieveSetupError> {
        let cache = ScriptCache::new(::sieve::Config::default());
        let builtin = Script::compile_with(DEFAULT_BEFORE_SCRIPT.as_bytes(), cache.config())
            .map(Arc::new)
            .map_err(|e| SieveSetupError::Before(format!("built-in rule: {e}")))?;
        if let Some(path) = &config.before {
            match cache.get(path) {
                None => {
                    return Err(SieveSetupError::Before(format!(
                        "{} does not exist",
                        path.display()
                    )));
                }
                Some(Err(e)) => return Err(SieveSetupError::Before(e)),
                Some(Ok(_)) => {}
            }
        }
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                hostname: hostname.into(),
                builtin,
                cache,
                locks: (0..LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
            }),
        })
    }

    fn decide_blocking(&self, delivery: &Request<'_>) -> SieveDecision {
        let user = &delivery.mailbox.email;
        let Some(home) = delivery.mailbox.maildir.parent() else {
            warn!("sieve: no home directory for <{user}>; keeping in INBOX");
            return SieveDecision::inbox();
        };
        let global = self.global_script(delivery.session);
        let personal = self.user_script(home, delivery);
        let needs_body = global
            .iter()
            .chain(match &personal {
                UserScript::Ready(script) => Some(script),
                _ => None,
            })
            .any(|script| script.extensions().any(|e| e == Extension::Body));
        let raw = match read_message(delivery.body, needs_body) {
            Ok(raw) => raw,
            Err(e) => {
                error!(
                    "sieve: session={} to=<{user}> cannot read the message: {e}; keeping in INBOX",
                    delivery.session
                );
                return SieveDecision::inbox();
            }
        };
        let message = MessageContext::new(&raw).with_size(delivery.body.len());
        let envelope = ::sieve::Envelope::new(delivery.sender, delivery.recipient);
        let folders = Folders::open(&delivery.mailbox.maildir);

        let _guard = self.lock(home);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let responses = FileVacationStore::load(home.join(VACATION_FILE), now);
        let env = Environment::new(&responses)
            .with_mailboxes(&folders)
            .with_user_addresses([user.as_str(), delivery.recipient]);
        let actions = run_sequence(
            global.as_deref(),
            &personal,
            &message,
            &envelope,
            &env,
            delivery,
        );
        if let Err(e) = responses.save() {
            warn!("sieve: cannot save the vacation responses of <{user}>: {e}");
        }
        let decision = self.to_decision(actions, &folders, delivery, now);
        log_decision(delivery, &decision);
        decision
    }

    /// The global script to run now, if any.
    fn global_script(&self, session: &str) -> Option<Arc<Script>> {
        let Some(path) = &self.inner.config.before else {
            return Some(Arc::clone(&self.inner.builtin));
        };
        match self.inner.cache.get(path) {
            Some(Ok(script)) => Some(script),
            Some(Err(e)) => {
                error!("sieve: session={session} the global script is broken, skipping it: {e}");
                None
            }
            None => {
                error!(
                    "sieve: session={session} the global script {} is gone, skipping it",
                    path.display()
                );
                None
            }
        }
    }

    fn user_script(&self, home: &Path, delivery: &Request<'_>) -> UserScript {
        if !self.inner.config.user_scripts {
            return UserScript::None;
        }
        let path = match active_script(home) {
            Ok(Some(path)) => path,
            Ok(None) => return UserScript::None,
            Err(e) => return UserScript::Broken(e),
        };
        match self.inner.cache.get(&path) {
            Some(Ok(script)) => UserScript::Ready(script),
            Some(Err(e)) => UserScript::Broken(e),
            None => {
                info!(
                    "sieve: session={} to=<{}> the active script {} vanished",
                    delivery.session,
                    delivery.mailbox.email,
                    path.display()
                );
                UserScript::None
            }
        }
    }

    fn lock(&self, home: &Path) -> MutexGuard<'_, ()> {
        let mut hasher = DefaultHasher::new();
        home.hash(&mut hasher);
        let stripe = usize::try_from(hasher.finish() % LOCK_STRIPES as u64).unwrap_or(0);
        self.inner.locks[stripe]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The decision for the actions of a run.
    fn to_decision(
        &self,
        actions: Vec<Action>,
        folders: &Folders,
        delivery: &Request<'_>,
        now: u64,
    ) -> SieveDecision {
        let mut decision = SieveDecision {
            stores: Vec::new(),
            redirects: Vec::new(),
            vacation: None,
        };
        let (session, user) = (delivery.session, &delivery.mailbox.email);
        for action in actions {
            match action {
                Action::Keep { flags } => decision.store(maildir::INBOX.to_owned(), false, &flags),
                Action::FileInto {
                    mailbox,
                    flags,
                    create,
                    ..
                } => {
                    let (folder, create) = match check_name(&mailbox) {
                        Err(reason) => {
                            warn!(
                                "sieve: session={session} to=<{user}> refusing folder {:?} ({reason}); \
                                 filing into INBOX",
                                sanitize(&mailbox)
                            );
                            (maildir::INBOX.to_owned(), false)
                        }
                        Ok(()) if maildir::is_inbox(&mailbox) => (maildir::INBOX.to_owned(), false),
                        Ok(()) if folders.exists(&mailbox) => (mailbox, false),
                        Ok(()) if create => (mailbox, true),
                        Ok(()) => {
                            info!(
                                "sieve: session={session} to=<{user}> folder {:?} does not exist \
                                 (no :create); filing into INBOX",
                                sanitize(&mailbox)
                            );
                            (maildir::INBOX.to_owned(), false)
                        }
                    };
                    decision.store(folder, create, &flags);
                }
                Action::Redirect { address, .. } => {
                    if !decision
                        .redirects
                        .iter()
                        .any(|a| a.eq_ignore_ascii_case(&address))
                    {
                        decision.redirects.push(address);
                    }
                }
                Action::Discard => {}
                Action::Vacation(response) => {
                    let message = response.to_message(
                        &rfc5322_date(UNIX_EPOCH + Duration::from_secs(now)),
                        &self.message_id(now),
                    );
                    decision.vacation = Some(VacationReply {
                        to: response.to,
                        message,
                    });
                }
                other => warn!("sieve: session={session} to=<{user}> ignoring action {other:?}"),
            }
        }
        if !folders.has_maildir() {
            // The first delivery creates the Maildir and its special-use folders.
            for copy in &mut decision.stores {
                copy.create |= !maildir::is_inbox(&copy.folder);
            }
        }
        decision
    }

    fn message_id(&self, now: u64) -> String {
        let random = getrandom::u64().unwrap_or(now.rotate_left(17));
        format!("<{now:x}.{random:016x}.vacation@{}>", self.inner.hostname)
    }
}

impl Filter for SieveFilter {
    /// Decides what happens to a message for `mailbox`, delivered because of the
    /// envelope recipient `recipient` (the address the script's `envelope :to` and
    /// vacation see; pass the mailbox's address if there is no other). Never fails:
    /// any problem gives INBOX, logged. Blocks (scripts, vacation state).
    fn decide(
        &self,
        envelope: &Envelope,
        recipient: &str,
        mailbox: &LocalUser,
        body: &Spooled,
    ) -> SieveDecision {
        if !self.inner.config.enabled {
            return SieveDecision::inbox();
        }
        self.decide_blocking(&Request {
            session: &envelope.id,
            sender: envelope.sender.as_deref().unwrap_or_default(),
            recipient,
            mailbox,
            body,
        })
    }
}

/// Runs the global script, then the user's if the global one kept the message without
/// `stop`; the actions to carry out.
fn run_sequence(
    global: Option<&Script>,
    user: &UserScript,
    message: &MessageContext<'_>,
    envelope: &::sieve::Envelope,
    env: &Environment<'_>,
    delivery: &Request<'_>,
) -> Vec<Action> {
    let (session, mailbox) = (delivery.session, &delivery.mailbox.email);
    let keep = || Action::Keep { flags: Vec::new() };
    let mut actions = Vec::new();
    let mut deferred_keep = keep();
    if let Some(global) = global {
        match global.evaluate(message, envelope, env) {
            Err(e) => {
                error!(
                    "sieve: session={session} to=<{mailbox}> the global script failed: {e}; keeping in INBOX"
                );
                return vec![keep()];
            }
            Ok(outcome) => {
                let Some(at) = keep_position(&outcome) else {
                    return outcome.actions;
                };
                if outcome.stopped {
                    return outcome.actions;
                }
                actions = outcome.actions;
                deferred_keep = actions.remove(at);
            }
        }
    }
    match user {
        UserScript::None => actions.push(deferred_keep),
        UserScript::Broken(e) => {
            warn!(
                "sieve: session={session} to=<{mailbox}> the user's script is broken: {e}; keeping in INBOX"
            );
            actions.push(deferred_keep);
        }
        UserScript::Ready(script) => match script.evaluate(message, envelope, env) {
            Ok(outcome) => actions.extend(outcome.actions),
            Err(e) => {
                warn!(
                    "sieve: session={session} to=<{mailbox}> the user's script failed: {e}; keeping in INBOX"
                );
                actions.push(deferred_keep);
            }
        },
    }
    actions
}

/// Where the keep is in a run's actions, if it kept the message.
fn keep_position(outcome: &Outcome) -> Option<usize> {
    outcome
        .actions
        .iter()
        .position(|a| matches!(a, Action::Keep { .. }))
}

/// The message as the scripts see it: the header section, or with `whole` up to
/// [`MAX_BODY_READ`] bytes of the whole message. Blocks.
fn read_message(body: &Spooled, whole: bool) -> io::Result<Vec<u8>> {
    let limit = if whole {
        MAX_BODY_READ
    } else {
        MAX_HEADER_SECTION as u64
    };
    let mut raw = Vec::new();
    body.reader(Vec::new()).take(limit).read_to_end(&mut raw)?;
    if whole {
        return Ok(raw);
    }
    let complete = raw.len() as u64 == body.len();
    let section = split_header_section(raw.into(), complete);
    let mut head: Vec<u8> = section
        .fields
        .iter()
        .flat_map(|f| f.raw.iter().copied())
        .collect();
    head.extend_from_slice(&section.separator);
    Ok(head)
}

/// Logs what the scripts decided; the plain keep in INBOX only at debug level, since
/// the delivery's own line says as much.
fn log_decision(delivery: &Request<'_>, decision: &SieveDecision) {
    let (session, user) = (delivery.session, &delivery.mailbox.email);
    if *decision == SieveDecision::inbox() {
        debug!("sieve: session={session} to=<{user}> kept in INBOX");
        return;
    }
    let folders: Vec<&str> = decision.stores.iter().map(|c| c.folder.as_str()).collect();
    info!(
        "sieve: session={session} to=<{user}> folders={folders:?} redirects={} vacation={}",
        decision.redirects.len(),
        decision.vacation.is_some()
    );
}

#[cfg(test)]
mod tests;
