//! The maildrop of a POP3 session: a user's Maildir INBOX, locked against a second POP3
//! session of this process, listed with Dovecot's UIDLs and CRLF sizes.
//!
//! The functions here do file I/O: call them on the blocking pool.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use maildir::{Mailbox, Maildir};
use pop3_proto::server::MessageInfo;

/// The Maildirs open in a POP3 session, by path.
#[derive(Debug, Default)]
pub(crate) struct LockTable {
    held: Mutex<HashSet<PathBuf>>,
}

impl LockTable {
    fn held(&self) -> MutexGuard<'_, HashSet<PathBuf>> {
        // The set stays consistent even if a holder panicked.
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Locks the maildrop at `path`; `None` if another session holds it.
    pub(crate) fn try_lock(self: &Arc<Self>, path: &Path) -> Option<MaildropLock> {
        self.held().insert(path.to_owned()).then(|| MaildropLock {
            table: Arc::clone(self),
            path: path.to_owned(),
        })
    }

    /// Whether `path` is locked.
    #[cfg(test)]
    pub(crate) fn is_locked(&self, path: &Path) -> bool {
        self.held().contains(path)
    }
}

/// A maildrop lock; released on drop (QUIT, or the end of the connection).
#[derive(Debug)]
pub(crate) struct MaildropLock {
    table: Arc<LockTable>,
    path: PathBuf,
}

impl Drop for MaildropLock {
    fn drop(&mut self) {
        self.table.held().remove(&self.path);
    }
}

/// The UIDL of a message in Dovecot 2.3's default `pop3_uidl_format` (`%08Xu%08Xv`):
/// the UID and the folder's UIDVALIDITY, each as eight hex digits. Despite the `X`,
/// Dovecot writes them in lower case (checked against Dovecot 2.3.19 by the interop
/// test `uidls_and_sizes_match_dovecot_both_ways`).
pub(crate) fn uidl(uid: u32, uid_validity: u32) -> String {
    format!("{uid:08x}{uid_validity:08x}")
}

/// The size of `content` with every bare LF counted as CRLF, as POP3 sends it.
pub(crate) fn crlf_size(mut content: impl Read) -> io::Result<u64> {
    let mut buf = vec![0; 64 * 1024];
    let (mut size, mut last) = (0u64, None);
    loop {
        let n = match content.read(&mut buf) {
            Ok(0) => return Ok(size),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        let bare_lf = chunk
            .iter()
            .enumerate()
            .filter(|&(i, &b)| {
                let prev = if i == 0 { last } else { Some(chunk[i - 1]) };
                b == b'\n' && prev != Some(b'\r')
            })
            .count();
        size = size.saturating_add(n as u64).saturating_add(bare_lf as u64);
        last = chunk.last().copied();
    }
}

/// An open, locked maildrop.
#[derive(Debug)]
pub(crate) struct Maildrop {
    mailbox: Arc<Mailbox>,
    /// The UID of each message number (number 1 is index 0).
    uids: Vec<u32>,
    _lock: MaildropLock,
}

impl Maildrop {
    /// Opens (creating it if missing) the Maildir at `path` and lists its INBOX.
    /// Blocking.
    pub(crate) fn open(
        path: &Path,
        lock: MaildropLock,
    ) -> Result<(Self, Vec<MessageInfo>), maildir::Error> {
        let inbox = Maildir::create(path)?.inbox()?;
        let view = inbox.sync()?;
        let mut uids = Vec::with_capacity(view.messages.len());
        let mut listing = Vec::with_capacity(view.messages.len());
        for message in &view.messages {
            let size = match message.vsize {
                Some(vsize) => vsize,
                None => match inbox.open_message(message.uid) {
                    Ok(file) => crlf_size(file).map_err(|source| maildir::Error::Io {
                        op: "read",
                        path: inbox.path().join(&message.file_name),
                        source,
                    })?,
                    // Expunged by another client since the sync.
                    Err(maildir::Error::NoSuchMessage { .. }) => continue,
                    Err(e) => return Err(e),
                },
            };
            uids.push(message.uid);
            listing.push(MessageInfo::new(size, uidl(message.uid, view.uid_validity)));
        }
        let maildrop = Self {
            mailbox: Arc::new(inbox),
            uids,
            _lock: lock,
        };
        Ok((maildrop, listing))
    }

    /// The UID of message number `msg`.
    fn uid(&self, msg: NonZeroU32) -> Option<u32> {
        let index = usize::try_from(msg.get() - 1).ok()?;
        self.uids.get(index).copied()
    }

    /// A job that opens message `msg` for reading (run it on the blocking pool).
    pub(crate) fn opener(
        &self,
        msg: NonZeroU32,
    ) -> impl FnOnce() -> Result<File, maildir::Error> + Send + 'static {
        let mailbox = Arc::clone(&self.mailbox);
        let uid = self.uid(msg);
        move || match uid {
            Some(uid) => mailbox.open_message(uid),
            None => Err(maildir::Error::NoSuchMessage { uid: 0 }),
        }
    }

    /// A job that removes the messages `deleted` (run it on the blocking pool); it
    /// returns whether all of them are gone. A message already removed by another
    /// client counts as removed.
    pub(crate) fn expunger(
        &self,
        deleted: &[NonZeroU32],
    ) -> impl FnOnce() -> bool + Send + 'static {
        let mailbox = Arc::clone(&self.mailbox);
        let uids: Vec<Option<u32>> = deleted.iter().map(|&msg| self.uid(msg)).collect();
        move || {
            let mut all = true;
            for uid in uids {
                let Some(uid) = uid else {
                    all = false;
                    continue;
                };
                match mailbox.expunge(uid) {
                    Ok(()) | Err(maildir::Error::NoSuchMessage { .. }) => {}
                    Err(e) => {
                        tracing::warn!("pop3: cannot remove message {uid}: {e}");
                        all = false;
                    }
                }
            }
            // IMAP sessions with INBOX selected list it again and report the expunges.
            crate::imap::mailbox::notify_changed(mailbox.path());
            all
        }
    }
}
