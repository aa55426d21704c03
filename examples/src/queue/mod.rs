//! The outbound queue: durable storage of submitted and forwarded mail, retries with
//! backoff, delivery status notifications (RFC 3464), and the admin view.
//!
//! - [`Queue::enqueue`] stores a message and its envelope, fsynced, before the caller
//!   answers `250` (on-disk format and crash safety: [`store`]).
//! - [`Queue::run`] delivers due recipients through a [`Transport`], one call per
//!   destination domain, at most [`QueueConfig::concurrency`] domains at once, and
//!   records each message's [`Outcome`](crate::outbound::Outcome)s as soon as the
//!   transport reports them (durably, while it sends the next message), so a crash
//!   repeats only the messages whose replies came in during the last state write.
//!   Delivered is done, deferred is retried (`retry_initial` doubling up to `retry_max`,
//!   bounced after `give_up`), failed is bounced. Bounces and other DSNs ([`dsn`]) are
//!   new queue messages from the null sender, delivered through the same transport.
//! - `postroom queue list|show|flush|retry|delete` works on the queue directory from
//!   another process; changes go through the running queue's control socket
//!   ([`control`]), or straight to the files when no queue is running.

mod config;
pub(crate) mod control;
pub(crate) mod dsn;
pub(crate) mod inspect;
mod runner;
mod state;
pub(crate) mod store;

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use smtp_proto::types::Ret;
use tracing::info;

use crate::delivery::Spooled;
use crate::outbound::OutboundRecipient;

pub(crate) use config::QueueConfig;
use state::{MessageState, RecipientState, unix_secs};
use store::Store;

/// Where the queue gets the time; a fixed clock in tests.
pub(crate) trait Clock: Send + Sync + 'static {
    /// The current wall-clock time.
    fn now(&self) -> SystemTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A queued message's id: upper-case letters and digits, safe in file names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct QueueId(String);

impl QueueId {
    /// Checks a user-supplied id.
    pub(crate) fn parse(text: &str) -> Result<Self, QueueError> {
        if store::is_valid_id(text) {
            Ok(Self(text.to_owned()))
        } else {
            Err(QueueError::NotFound(text.to_owned()))
        }
    }

    /// The id as text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A message to queue, besides its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewMessage {
    /// The envelope sender; `""` for the null reverse path.
    pub(crate) sender: String,
    /// The recipients, with their DSN parameters.
    pub(crate) recipients: Vec<OutboundRecipient>,
    /// `ENVID=` (RFC 3461).
    pub(crate) envid: Option<String>,
    /// `RET=` (RFC 3461).
    pub(crate) ret: Option<Ret>,
    /// The content holds 8-bit bytes (`BODY=8BITMIME`).
    pub(crate) eight_bit: bool,
    /// UTF-8 addresses (`SMTPUTF8`).
    pub(crate) smtputf8: bool,
}

/// Why a queue operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum QueueError {
    /// A file operation failed.
    #[error("queue: {what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The OS error.
        source: io::Error,
    },
    /// Another process (a running server, or an admin command) owns the queue.
    #[error("the queue in {} is in use by another process", .0.display())]
    Busy(PathBuf),
    /// No such message.
    #[error("no message {0} in the queue")]
    NotFound(String),
    /// The message cannot be queued as given.
    #[error("cannot queue the message: {0}")]
    Invalid(String),
    /// The running queue answered a control request with an error, or not at all.
    #[error("queue control: {0}")]
    Control(String),
}

impl QueueError {
    fn io(what: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }
}

/// One message in memory: its state, and which recipients a delivery is working on.
struct Entry {
    inner: tokio::sync::Mutex<Tracked>,
}

struct Tracked {
    state: MessageState,
    /// Per recipient: a transport call is under way.
    busy: Vec<bool>,
    /// Deleted or finished: results still coming in are dropped.
    gone: bool,
}

impl Entry {
    fn new(state: MessageState) -> Arc<Self> {
        let busy = vec![false; state.recipients.len()];
        Arc::new(Self {
            inner: tokio::sync::Mutex::new(Tracked {
                state,
                busy,
                gone: false,
            }),
        })
    }
}

/// The durable outbound queue. Share it as `Arc<Queue>`.
pub(crate) struct Queue {
    store: Store,
    config: QueueConfig,
    hostname: String,
    clock: Arc<dyn Clock>,
    entries: Mutex<HashMap<String, Arc<Entry>>>,
    wake: tokio::sync::Notify,
    lock: control::Lock,
}

impl fmt::Debug for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("dir", &self.store.root())
            .field("hostname", &self.hostname)
            .finish_non_exhaustive()
    }
}

impl Queue {
    /// Opens (creating if needed) the queue directory, takes ownership of it (one
    /// process at a time), and recovers from any earlier crash: unfinished files are
    /// removed, every acknowledged message is loaded.
    pub(crate) fn open(config: &QueueConfig) -> Result<Self, QueueError> {
        let store = Store::new(&config.dir);
        store
            .create_dirs()
            .map_err(|e| QueueError::io(format!("creating {}", config.dir.display()), e))?;
        let lock = control::Lock::acquire(&store)?;
        let recovery = store
            .recover()
            .map_err(|e| QueueError::io(format!("recovering {}", config.dir.display()), e))?;
        info!(
            "queue {}: {} messages; removed {} unfinished and {} orphaned files, {} corrupt",
            config.dir.display(),
            recovery.messages.len(),
            recovery.temp_removed,
            recovery.orphans_removed,
            recovery.corrupt
        );
        let entries = recovery
            .messages
            .into_iter()
            .map(|state| (state.id.clone(), Entry::new(state)))
            .collect();
        Ok(Self {
            store,
            config: config.clone(),
            hostname: gethostname::gethostname().to_string_lossy().into_owned(),
            clock: Arc::new(SystemClock),
            entries: Mutex::new(entries),
            wake: tokio::sync::Notify::new(),
            lock,
        })
    }

    /// Sets the host name DSNs are reported from (`Reporting-MTA`, `From:`); the
    /// system's host name by default.
    pub(crate) fn with_hostname(mut self, hostname: impl Into<String>) -> Self {
        self.hostname = hostname.into();
        self
    }

    /// Replaces the clock (tests).
    #[cfg(test)]
    pub(crate) fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The queue directory.
    #[cfg(test)]
    pub(crate) fn dir(&self) -> &std::path::Path {
        self.store.root()
    }

    fn now(&self) -> SystemTime {
        self.clock.now()
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<String, Arc<Entry>>> {
        // A panic elsewhere never leaves the map half-changed: each change is one call.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn entry(&self, id: &str) -> Option<Arc<Entry>> {
        self.entries().get(id).cloned()
    }

    /// Stores `prefix` (trace headers) followed by `body`, and the envelope, fsynced
    /// (files and directory) before it returns: the caller may answer `250` right after.
    pub(crate) async fn enqueue(
        &self,
        message: NewMessage,
        prefix: &[u8],
        body: &Spooled,
    ) -> Result<QueueId, QueueError> {
        let content = body.reader(prefix.to_vec());
        let size = (prefix.len() as u64).saturating_add(body.len());
        self.enqueue_from(message, size, Box::new(content)).await
    }

    /// [`Queue::enqueue`] for content from any reader (DSNs).
    async fn enqueue_from(
        &self,
        message: NewMessage,
        size: u64,
        mut content: Box<dyn io::Read + Send>,
    ) -> Result<QueueId, QueueError> {
        check_message(&message)?;
        let now = self.now();
        let micros = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros());
        let id = store::new_id(micros);
        let secs = unix_secs(now);
        let state = MessageState {
            version: state::FORMAT_VERSION,
            id: id.clone(),
            sender: message.sender,
            arrival: secs,
            size,
            envid: message.envid,
            ret: message.ret.map(Into::into),
            eight_bit: message.eight_bit,
            smtputf8: message.smtputf8,
            recipients: message
                .recipients
                .iter()
                .map(|r| RecipientState::new(r, secs))
                .collect(),
        };
        let store = self.store.clone();
        let (state, written) = tokio::task::spawn_blocking(move || {
            let written = store.create(&state, &mut content);
            (state, written)
        })
        .await
        .map_err(|e| QueueError::io("storing a message", io::Error::other(e)))?;
        let written = written.map_err(|e| QueueError::io(format!("storing {id}"), e))?;
        if written != size {
            // The state records the size the caller announced; keep them in step.
            let _ = self.store.remove(&id);
            return Err(QueueError::Invalid(format!(
                "content is {written} bytes, {size} expected"
            )));
        }
        info!(
            "queued: id={id} from=<{}> size={size} nrcpt={}",
            state.sender,
            state.recipients.len()
        );
        self.entries().insert(id.clone(), Entry::new(state));
        self.wake.notify_one();
        Ok(QueueId(id))
    }
}

/// Refuses envelopes that would corrupt a DSN or a log line.
fn check_message(message: &NewMessage) -> Result<(), QueueError> {
    if message.recipients.is_empty() {
        return Err(QueueError::Invalid("no recipients".to_owned()));
    }
    let texts = std::iter::once(message.sender.as_str())
        .chain(message.envid.as_deref())
        .chain(message.recipients.iter().map(|r| r.address.as_str()));
    for text in texts {
        if text.chars().any(char::is_control) || text.len() > 1000 {
            return Err(QueueError::Invalid(format!(
                "unusable address or parameter {:?}",
                text.chars().take(80).collect::<String>()
            )));
        }
    }
    if message.recipients.iter().any(|r| r.address.is_empty()) {
        return Err(QueueError::Invalid("empty recipient address".to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
