//! The mail store as IMAP sees it: a user's folders ([`UserStore`]) and one session's
//! view of its selected folder ([`Selected`]), over the `maildir` crate's Dovecot
//! compatible Maildir++.
//!
//! # Names
//!
//! Folder names are UTF-8 with `.` between hierarchy levels ([`DELIMITER`]): the
//! separator Dovecot 2.3 uses for Maildir++ when the namespace sets none (the ISPmail
//! setup), so the IMAP name `Archive.2026` is the directory `.Archive.2026`, one to one,
//! and clients see the same tree from both servers. `INBOX` (any case) is the Maildir
//! root; `inbox.x` is `INBOX.x`.
//!
//! # State Dovecot does not share
//!
//! Dovecot keeps modification sequences in its binary index, which we do not read. Each
//! folder gets a sidecar file `postroom-imap-state` ([`modseq`]) with HIGHESTMODSEQ, each
//! UID's modseq and last seen flags and keywords (so a change made by Dovecot or another
//! process gets a fresh modseq at the next sync), INTERNALDATE and RFC822.SIZE caches,
//! and the recently expunged UIDs for QRESYNC.
//!
//! # Sessions and changes
//!
//! All sessions of the process share one [`registry`] entry per folder: the sidecar
//! state behind a mutex (every read-modify-write of flags happens under it, so
//! concurrent STOREs lose nothing) and a `tokio::sync::watch` channel bumped on every
//! change, including deliveries ([`notify_changed`]). Each [`Selected`] keeps its own
//! list of messages (sequence numbers are per session) and catches up with
//! [`Selected::refresh`]. All calls block on file I/O: run them off the async workers.
//!
//! # Listing only when needed
//!
//! Every command first brings the shared state up to date, but lists the folder (reads
//! the uidlist and both directories) only when its [`stamp`] (three `stat`s) differs
//! from the one the state is trusted to match. Changes made by this process (STORE,
//! `\Seen` from FETCH, APPEND, EXPUNGE, COPY/MOVE into the folder, claiming `\Recent`)
//! are made under the folder lock and written into the state directly, and the stamp
//! read after such a write becomes the trusted one. Because file-system clocks are
//! coarse, such a stamp (or one that is not [`SETTLED`](stamp::SETTLED) yet) is trusted
//! for [`SETTLED`](stamp::SETTLED) at most, then one listing verifies the state: a change
//! another process makes in the same clock tick as ours is seen that much late.
//! Deliveries in this process call [`notify_changed`], which forces the next listing.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

mod modseq;
mod names;
mod registry;
mod selected;
mod stamp;
mod user;

#[cfg(test)]
mod tests;

pub(crate) use names::DELIMITER;
pub(crate) use registry::notify_changed;
pub(crate) use selected::Selected;
pub(crate) use user::UserStore;

/// One message of a selected folder. Every selected session holds one per message, so
/// the struct is kept small: an idle session's memory grows with its mailbox by this much
/// per message (48 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MessageMeta {
    /// The UID.
    pub(crate) uid: u32,
    /// `\Seen` (S), `\Answered` (R), `\Flagged` (F), `\Deleted` (T), `\Draft` (D), and any
    /// other capital letter found in the file name.
    pub(crate) flags: maildir::Flags,
    /// `\Recent` in this session.
    pub(crate) recent: bool,
    /// The modification sequence (CONDSTORE).
    pub(crate) modseq: u64,
    /// RFC822.SIZE: the size with CRLF line endings.
    pub(crate) size: u64,
    /// INTERNALDATE: the file's modification time, whole seconds since the epoch.
    pub(crate) date: i64,
    /// Keywords, sorted case-insensitively.
    pub(crate) keywords: Keywords,
}

impl MessageMeta {
    /// INTERNALDATE.
    pub(crate) fn internal_date(&self) -> SystemTime {
        let secs = std::time::Duration::from_secs(self.date.unsigned_abs());
        if self.date >= 0 {
            UNIX_EPOCH + secs
        } else {
            UNIX_EPOCH - secs
        }
    }
}

/// A message's keywords: one pointer wide, since most messages have none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(
    clippy::box_collection,
    reason = "one pointer per message instead of a Vec's three; the rare message with \
              keywords pays the extra allocation"
)]
pub(crate) struct Keywords(Option<Box<Vec<String>>>);

impl Keywords {
    /// The keywords in `list` (kept in its order).
    pub(crate) fn new(list: Vec<String>) -> Self {
        Self((!list.is_empty()).then(|| Box::new(list)))
    }

    /// The keywords as a slice.
    pub(crate) fn as_slice(&self) -> &[String] {
        self
    }
}

impl std::ops::Deref for Keywords {
    type Target = [String];

    fn deref(&self) -> &[String] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

/// Why a mailbox operation failed; each maps to a tagged NO (with a response code).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum StoreError {
    /// The folder does not exist (`[NONEXISTENT]`, or `[TRYCREATE]` for APPEND/COPY/MOVE).
    #[error("no such mailbox")]
    NoSuchMailbox,
    /// The folder exists already (`[ALREADYEXISTS]`).
    #[error("mailbox already exists")]
    AlreadyExists,
    /// A message was expunged meanwhile (`[EXPUNGEISSUED]`).
    #[error("message has been expunged")]
    NoSuchMessage,
    /// The user's quota would be exceeded (`[OVERQUOTA]`).
    #[error("quota exceeded")]
    OverQuota,
    /// A refused request: a bad name, the INBOX rules, a read-only mailbox, too many
    /// keywords (`[CANNOT]`; from CREATE with a special use that does not fit the name,
    /// `[USEATTR]`).
    #[error("{0}")]
    Invalid(String),
    /// The store failed (`[SERVERBUG]`/`[UNAVAILABLE]`): I/O, locks, corrupt files.
    #[error(transparent)]
    Io(maildir::Error),
}

impl From<maildir::Error> for StoreError {
    fn from(e: maildir::Error) -> Self {
        use maildir::Error as E;
        match e {
            E::FolderNotFound { .. } => Self::NoSuchMailbox,
            E::FolderExists { .. } => Self::AlreadyExists,
            E::NoSuchMessage { .. } => Self::NoSuchMessage,
            E::QuotaExceeded { .. } => Self::OverQuota,
            E::InvalidFolderName { name, reason } => {
                Self::Invalid(format!("invalid mailbox name {name:?}: {reason}"))
            }
            E::InboxNotAllowed { op } => Self::Invalid(format!("{op} is not allowed on INBOX")),
            E::InvalidKeyword { keyword } => Self::Invalid(format!("invalid keyword {keyword:?}")),
            E::TooManyKeywords { .. } => {
                Self::Invalid("too many keywords in this mailbox (at most 26)".to_owned())
            }
            other => Self::Io(other),
        }
    }
}

/// A folder as LIST shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FolderEntry {
    /// UTF-8 name, levels separated by [`DELIMITER`].
    pub(crate) name: String,
    /// `\Sent`, `\Drafts`, `\Trash`, `\Junk` or `\Archive`, given by the top-level names
    /// `Sent`, `Drafts`, `Trash`, `Junk` and `Archive`.
    pub(crate) special_use: Option<&'static str>,
    /// `\HasChildren` (else `\HasNoChildren`).
    pub(crate) has_children: bool,
    /// `\Subscribed`.
    pub(crate) subscribed: bool,
    /// `\Noselect`: a hole in the hierarchy (`a` when only `a.b` exists). Such a name
    /// does not exist as a mailbox (`\NonExistent` in LIST-EXTENDED).
    pub(crate) noselect: bool,
}

/// STATUS data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FolderStatus {
    /// MESSAGES.
    pub(crate) messages: u32,
    /// RECENT: messages no session has claimed yet (still in `new/`).
    pub(crate) recent: u32,
    /// UIDNEXT.
    pub(crate) uid_next: u32,
    /// UIDVALIDITY.
    pub(crate) uid_validity: u32,
    /// UNSEEN.
    pub(crate) unseen: u32,
    /// DELETED (IMAP4rev2).
    pub(crate) deleted: u32,
    /// SIZE (RFC 8438): the sum of the messages' RFC822.SIZE.
    pub(crate) size: u64,
    /// HIGHESTMODSEQ.
    pub(crate) highest_modseq: u64,
}

/// Where an appended message's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AppendData {
    /// In memory.
    Bytes(Vec<u8>),
    /// In a (spool) file, read when delivering.
    File(PathBuf),
}

/// One message of an APPEND or MULTIAPPEND.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppendItem {
    /// The message.
    pub(crate) path_or_bytes: AppendData,
    /// Flags to store it with.
    pub(crate) flags: maildir::Flags,
    /// Keywords to store it with.
    pub(crate) keywords: Vec<String>,
    /// INTERNALDATE (default: now).
    pub(crate) internal_date: Option<SystemTime>,
}

/// A change another session, a delivery or another process made to the selected
/// folder, as [`Selected::refresh`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// `* seq EXPUNGE` (or the UID in VANISHED). Several are listed highest sequence
    /// number first, so each number is right when the client applies them in order.
    Expunge {
        /// The sequence number.
        seq: u32,
        /// The UID.
        uid: u32,
    },
    /// `* n EXISTS`: new messages arrived; `n` is the new count.
    Exists(u32),
    /// `* seq FETCH (FLAGS .. MODSEQ ..)`: flags or keywords changed.
    Flags {
        /// The sequence number (after this refresh's expunges).
        seq: u32,
    },
}
