//! A Maildir++ store that Dovecot 2.3 can share: the same UIDs (in
//! `dovecot-uidlist`, under Dovecot's dotlock), keywords (`dovecot-keywords`),
//! folder layout (`.Sent`, `.Archive.2026`, names in modified UTF-7),
//! `subscriptions` file and Maildir++ quota (`maildirsize`), with deliveries
//! that lose nothing.
//!
//! ```
//! use maildir::{DeliveryOptions, Flag, Flags, Maildir};
//!
//! # fn main() -> Result<(), maildir::Error> {
//! let dir = tempfile::tempdir().unwrap();
//! let store = Maildir::create(dir.path().join("Maildir"))?;
//! let inbox = store.inbox()?;
//!
//! // Deliver: streamed into tmp/, fsynced, linked into new/, UID assigned.
//! let message = b"Subject: hello\n\nHi!\n";
//! let delivered = inbox.deliver(&message[..], &DeliveryOptions::default())?;
//! assert_eq!(delivered.uid, 1);
//! assert_eq!((delivered.size, delivered.vsize), (20, Some(23)));
//!
//! // Flags are renames; keywords get letters in dovecot-keywords.
//! inbox.set_flags(1, Flags::empty().with(Flag::Seen), &["$Forwarded"])?;
//!
//! // A sync reads the uidlist and the cur/ and new/ listings only.
//! let view = inbox.sync()?;
//! assert_eq!(view.uid_next, 2);
//! let msg = view.get(1).unwrap();
//! assert!(msg.flags.contains(Flag::Seen));
//! assert_eq!(msg.keywords, ["$Forwarded"]);
//! assert!(msg.file_name.ends_with(":2,Sa"));
//!
//! // Mail delivery that needs no UID now: no uidlist lock, so concurrent
//! // deliveries share their fsyncs; the next sync numbers it.
//! let stored = inbox.deliver_unnumbered(&message[..], &DeliveryOptions::default())?;
//! assert_eq!(inbox.sync()?.messages[1].file_name, stored.file_name);
//!
//! // Folders, copies, expunges.
//! let sent = store.create_folder("Sent")?;
//! let copy = inbox.copy(1, &sent)?;
//! assert_eq!(sent.sync()?.get(copy.uid).unwrap().keywords, ["$Forwarded"]);
//! inbox.expunge(1)?;
//! assert_eq!(inbox.sync()?.messages.len(), 1);
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! The Maildir root is INBOX. A folder `Archive.2026` is the directory
//! `.Archive.2026` with its own `cur/`, `new/`, `tmp/`, an empty
//! `maildirfolder` marker, and its own `dovecot-uidlist` and
//! `dovecot-keywords`. The API takes and returns folder names in UTF-8;
//! they are stored in IMAP modified UTF-7 ([`mutf7`]).
//!
//! # Concurrency
//!
//! A [`Mailbox`] may be shared between threads, and any number of handles,
//! processes and Dovecot itself may work on one Maildir: every change to a
//! uidlist happens under the `dovecot-uidlist.lock` dotlock ([`LockOptions`])
//! and UIDs are only handed out under that lock. New messages get their
//! records appended to the uidlist, as Dovecot does (readers ignore a last
//! line caught half written); a sync that drops records of vanished messages
//! replaces the file atomically. Flag changes are renames of one file, as in
//! Dovecot.
//!
//! An expunge removes the file only; its uidlist record goes at the next
//! sync, as in Dovecot, whose sync also drops the records of vanished files
//! (it may keep some in the file until a quarter of them are stale; we
//! rewrite as soon as one is).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod deliver;
mod error;
pub mod filename;
mod flags;
mod folder;
mod fsutil;
mod keywords;
mod lock;
mod mailbox;
mod maildir;
pub mod mutf7;
mod quota;
mod subscriptions;
pub mod uidlist;
mod uidlist_file;

pub use deliver::DeliveryOptions;
pub use error::{Error, Result};
pub use flags::{Flag, Flags};
pub use folder::{INBOX, SEPARATOR, is_inbox};
pub use lock::LockOptions;
pub use mailbox::{Delivered, Mailbox, MailboxView, MessageInfo, Stored};
pub use maildir::{FolderInfo, Maildir, Options};
pub use mutf7::Mutf7Error;
pub use quota::{QuotaLimits, QuotaUsage};
