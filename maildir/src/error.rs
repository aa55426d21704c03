//! The one error type of this crate.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use crate::mutf7::Mutf7Error;
use crate::quota::QuotaLimits;

/// Everything that can go wrong while working on a Maildir.
///
/// Each variant carries what a caller needs to report or recover: the path
/// involved, the offending line of a corrupt control file, the UID asked for.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A system call failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What we were doing (`"open"`, `"rename"`, `"fsync"`, ...).
        op: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The directory is not a Maildir: `cur/`, `new/` or `tmp/` is missing.
    #[error("not a maildir (missing {missing}): {path}")]
    NotAMaildir {
        /// The Maildir (or folder) directory.
        path: PathBuf,
        /// The missing sub-directory.
        missing: &'static str,
    },
    /// A folder name that cannot be stored.
    #[error("invalid folder name {name:?}: {reason}")]
    InvalidFolderName {
        /// The name as given.
        name: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The folder does not exist.
    #[error("no such folder: {name}")]
    FolderNotFound {
        /// The folder name.
        name: String,
    },
    /// The folder exists already.
    #[error("folder exists: {name}")]
    FolderExists {
        /// The folder name.
        name: String,
    },
    /// The folder has sub-folders and cannot be deleted.
    #[error("folder {name} has sub-folders")]
    FolderHasChildren {
        /// The folder name.
        name: String,
    },
    /// The operation is not possible on INBOX (the Maildir root).
    #[error("{op} is not allowed on INBOX")]
    InboxNotAllowed {
        /// The refused operation.
        op: &'static str,
    },
    /// `dovecot-uidlist` could not be parsed.
    #[error("corrupt uidlist {path} line {line}: {reason}")]
    CorruptUidlist {
        /// The uidlist file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// `dovecot-keywords` could not be parsed.
    #[error("corrupt keywords file {path} line {line}: {reason}")]
    CorruptKeywords {
        /// The keywords file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A dotlock could not be taken within the configured time.
    #[error("timed out after {waited:?} waiting for lock {path}")]
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// How long we waited.
        waited: Duration,
    },
    /// No message with that UID (it may have been expunged by someone else).
    #[error("no message with UID {uid}")]
    NoSuchMessage {
        /// The UID asked for.
        uid: u32,
    },
    /// A keyword that is not a valid IMAP atom.
    #[error("invalid keyword {keyword:?}")]
    InvalidKeyword {
        /// The keyword as given.
        keyword: String,
    },
    /// All 26 keyword letters of this folder are in use.
    #[error("too many keywords in {path} (at most 26)")]
    TooManyKeywords {
        /// The keywords file.
        path: PathBuf,
    },
    /// The delivery would exceed the Maildir++ quota.
    #[error("quota exceeded: {bytes} bytes / {messages} messages in use, limits {limits}")]
    QuotaExceeded {
        /// The configured limits.
        limits: QuotaLimits,
        /// Bytes in use before the refused delivery.
        bytes: u64,
        /// Messages in use before the refused delivery.
        messages: u64,
    },
    /// The `maildirsize` quota definition could not be parsed.
    #[error("invalid quota definition {definition:?}")]
    InvalidQuota {
        /// The definition line.
        definition: String,
    },
    /// The folder has used every UID.
    #[error("UIDs exhausted in {path}")]
    UidsExhausted {
        /// The uidlist file.
        path: PathBuf,
    },
    /// A name on disk is not valid modified UTF-7.
    #[error("invalid modified UTF-7 name: {0}")]
    Mutf7(#[from] Mutf7Error),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds the operation and path to an `io::Error`.
pub(crate) fn io_err(
    op: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { op, path, source }
}
