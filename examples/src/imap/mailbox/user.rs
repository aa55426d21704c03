//! A user's Maildir as IMAP sees it: the folder tree (LIST, CREATE, DELETE, RENAME,
//! SUBSCRIBE), STATUS, APPEND and the quota.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use maildir::{DeliveryOptions, Error, Maildir, QuotaLimits, QuotaUsage, is_inbox};

use super::modseq::{FolderState, Record};
use super::names::{DELIMITER, is_below, normalize, normalize_new, special_use_of};
use super::registry::{self, Folder};
use super::{AppendData, AppendItem, FolderEntry, FolderStatus, StoreError};

/// The folders a new Maildir gets, subscribed (as the delivery code provisions them).
const SPECIAL_FOLDERS: [&str; 4] = ["Sent", "Drafts", "Junk", "Trash"];

/// One user's Maildir.
#[derive(Debug, Clone)]
pub(crate) struct UserStore {
    maildir: Maildir,
    /// fsync appended messages (the Maildir option).
    fsync: bool,
}

impl UserStore {
    /// Opens the Maildir at `maildir_root`, creating it (with the special-use folders,
    /// subscribed) if missing, and makes its `maildirsize` carry `quota` (the user's
    /// `virtual_users.quota`; `None`: no limit).
    pub(crate) fn open(
        maildir_root: &Path,
        quota: Option<QuotaLimits>,
    ) -> Result<Self, StoreError> {
        Self::open_with(maildir_root, quota, maildir::Options::default())
    }

    /// [`open`](Self::open) with Maildir options (tests turn fsync off).
    pub(crate) fn open_with(
        maildir_root: &Path,
        quota: Option<QuotaLimits>,
        options: maildir::Options,
    ) -> Result<Self, StoreError> {
        let fresh = !maildir_root.join("cur").is_dir();
        let root = if fresh {
            Maildir::create_with(maildir_root, options.clone())?;
            maildir_root.canonicalize()
        } else {
            maildir_root.canonicalize()
        }
        .map_err(|source| {
            StoreError::Io(Error::Io {
                op: "resolve",
                path: maildir_root.to_owned(),
                source,
            })
        })?;
        let fsync = options.fsync;
        let maildir = Maildir::open_with(&root, options)?;
        let store = Self { maildir, fsync };
        if fresh {
            store.provision()?;
        }
        store.sync_quota(quota.unwrap_or_default())?;
        Ok(store)
    }

    fn provision(&self) -> Result<(), StoreError> {
        for name in SPECIAL_FOLDERS {
            match self.maildir.create_folder(name) {
                Ok(_) | Err(Error::FolderExists { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let subscribed = self.maildir.subscriptions()?;
        for name in SPECIAL_FOLDERS {
            if !subscribed.iter().any(|s| s == name) {
                self.maildir.subscribe(name)?;
            }
        }
        Ok(())
    }

    /// Writes the limits into `maildirsize` when they differ (no file means no limit).
    fn sync_quota(&self, wanted: QuotaLimits) -> Result<(), StoreError> {
        let current = self.maildir.quota()?.map(|usage| usage.limits);
        if current.unwrap_or_default() != wanted {
            self.maildir.set_quota(wanted)?;
        }
        Ok(())
    }

    /// The Maildir root.
    pub(crate) fn path(&self) -> &Path {
        self.maildir.path()
    }

    /// The hierarchy delimiter, `.` ([`DELIMITER`]).
    pub(crate) fn delimiter(&self) -> char {
        DELIMITER
    }

    /// The shared folder `name` (already normalised).
    pub(crate) fn folder(&self, name: &str) -> Result<Arc<Folder>, StoreError> {
        let mailbox = if is_inbox(name) {
            self.maildir.inbox()?
        } else {
            self.maildir.folder(name)?
        };
        Ok(registry::open(mailbox))
    }

    /// Every folder, INBOX first, then by name, with holes in the hierarchy (`a` when
    /// only `a.b` exists) as `\Noselect` entries.
    pub(crate) fn list(&self) -> Result<Vec<FolderEntry>, StoreError> {
        let existing: Vec<String> = self
            .maildir
            .list_folders()?
            .into_iter()
            .map(|f| f.name)
            .collect();
        let subscribed: HashSet<String> = self.subscribed()?.into_iter().collect();
        let mut parents = HashSet::new();
        for name in &existing {
            let mut end = 0;
            while let Some(pos) = name[end..].find(DELIMITER) {
                end += pos;
                parents.insert(name[..end].to_owned());
                end += DELIMITER.len_utf8();
            }
        }
        // name -> exists
        let mut all: BTreeMap<String, bool> = parents.iter().map(|p| (p.clone(), false)).collect();
        for name in existing {
            all.insert(name, true);
        }
        let inbox = all.remove(maildir::INBOX);
        let entries = inbox
            .map(|exists| (maildir::INBOX.to_owned(), exists))
            .into_iter()
            .chain(all)
            .map(|(name, exists)| FolderEntry {
                special_use: if exists { special_use_of(&name) } else { None },
                has_children: parents.contains(&name),
                subscribed: subscribed.contains(&name),
                noselect: !exists,
                name,
            })
            .collect();
        Ok(entries)
    }

    /// The subscribed names (existing or not), INBOX spelled `INBOX`.
    pub(crate) fn subscribed(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .maildir
            .subscriptions()?
            .into_iter()
            .map(|n| normalize(&n).unwrap_or(n))
            .collect())
    }

    fn exists(&self, name: &str) -> Result<bool, StoreError> {
        match self.maildir.folder(name) {
            Ok(_) => Ok(true),
            Err(Error::FolderNotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    fn has_children(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self
            .maildir
            .list_folders()?
            .iter()
            .any(|f| is_below(&f.name, name)))
    }

    /// CREATE, with an optional RFC 6154 USE attribute (`\Sent`, ...): accepted only
    /// when it is the special use the name has ([`special_use_of`]); anything else is
    /// refused (`NO [USEATTR]`) and nothing is created.
    pub(crate) fn create(&self, name: &str, special_use: Option<&str>) -> Result<(), StoreError> {
        let name = normalize_new(name)?;
        if is_inbox(&name) {
            return Err(StoreError::AlreadyExists);
        }
        if let Some(wanted) = special_use {
            let fits = special_use_of(&name).is_some_and(|u| u.eq_ignore_ascii_case(wanted));
            if !fits {
                return Err(StoreError::Invalid(format!(
                    "special use {wanted} cannot be given to {name:?}"
                )));
            }
        }
        self.maildir.create_folder(&name)?;
        Ok(())
    }

    /// DELETE (RFC 9051 section 6.3.4): INBOX cannot be deleted; a folder with
    /// sub-folders loses its messages and becomes a `\Noselect` hole; deleting such a
    /// hole is refused. Subscriptions stay.
    pub(crate) fn delete(&self, name: &str) -> Result<(), StoreError> {
        let name = normalize(name)?;
        if is_inbox(&name) {
            return Err(StoreError::Invalid("INBOX cannot be deleted".to_owned()));
        }
        if !self.exists(&name)? {
            if self.has_children(&name)? {
                return Err(StoreError::Invalid(format!(
                    "{name} has sub-folders and no messages of its own; delete those first"
                )));
            }
            return Err(StoreError::NoSuchMailbox);
        }
        match self.maildir.delete_folder(&name) {
            Err(Error::FolderHasChildren { .. }) => self.maildir.remove_folder(&name)?,
            other => other?,
        }
        registry::notify_tree(self.path());
        Ok(())
    }

    /// RENAME, sub-folders included. Renaming INBOX moves its messages into a new folder
    /// `to` and leaves INBOX empty (its sub-folders stay).
    pub(crate) fn rename(&self, from: &str, to: &str) -> Result<(), StoreError> {
        let from = normalize(from)?;
        let to = normalize_new(to)?;
        if is_inbox(&to) {
            return Err(StoreError::AlreadyExists);
        }
        if is_inbox(&from) {
            return self.rename_inbox(&to);
        }
        if !self.exists(&from)? {
            return Err(StoreError::NoSuchMailbox);
        }
        if from == to || self.exists(&to)? {
            return Err(StoreError::AlreadyExists);
        }
        if is_below(&to, &from) {
            return Err(StoreError::Invalid(format!(
                "cannot move {from} into itself"
            )));
        }
        let children = self.maildir.list_folders()?;
        for child in children.iter().filter(|c| is_below(&c.name, &from)) {
            let target = format!("{to}{}", &child.name[from.len()..]);
            normalize(&target)?;
            if self.exists(&target)? {
                return Err(StoreError::AlreadyExists);
            }
        }
        self.maildir.rename_folder(&from, &to)?;
        registry::notify_tree(self.path());
        Ok(())
    }

    /// Moves every message of INBOX into the new folder `to`, one copy and expunge at a
    /// time: a failure leaves each message in one of the two folders.
    fn rename_inbox(&self, to: &str) -> Result<(), StoreError> {
        self.maildir.create_folder(to)?;
        let target = self.folder(to)?;
        let inbox = self.folder(maildir::INBOX)?;
        let result = {
            let mut state = inbox.synced()?;
            let uids: Vec<u32> = state.messages.keys().copied().collect();
            let mut moved = Vec::with_capacity(uids.len());
            let mut result = Ok(());
            for uid in uids {
                let step = inbox
                    .mailbox
                    .copy(uid, &target.mailbox)
                    .and_then(|_| inbox.mailbox.expunge(uid));
                match step {
                    Ok(()) | Err(Error::NoSuchMessage { .. }) => moved.push(uid),
                    Err(e) => {
                        result = Err(e.into());
                        break;
                    }
                }
            }
            state.expunged(&moved);
            if result.is_ok() {
                state.own_change();
            } else {
                state.distrust();
            }
            state.save().and(result)
        };
        inbox.notify();
        // Not recorded in the target's state: it lists the folder.
        target.mark_dirty();
        drop(target.synced()?);
        target.notify();
        result
    }

    /// SUBSCRIBE / UNSUBSCRIBE. The folder need not exist.
    pub(crate) fn subscribe(&self, name: &str, on: bool) -> Result<(), StoreError> {
        let name = normalize(name)?;
        if on {
            self.maildir.subscribe(&name)?;
        } else {
            self.maildir.unsubscribe(&name)?;
        }
        Ok(())
    }

    /// STATUS of any folder (selected or not).
    pub(crate) fn status(&self, name: &str) -> Result<FolderStatus, StoreError> {
        let folder = self.folder(&normalize(name)?)?;
        let state = folder.synced()?;
        let count = |pred: &dyn Fn(&Record) -> bool| {
            let n = state.messages.values().filter(|r| pred(r)).count();
            u32::try_from(n).unwrap_or(u32::MAX)
        };
        Ok(FolderStatus {
            messages: count(&|_| true),
            recent: count(&|r| r.in_new),
            uid_next: state.uid_next,
            uid_validity: state.uid_validity,
            unseen: count(&|r| !r.flags.contains(maildir::Flag::Seen)),
            deleted: count(&|r| r.is_deleted()),
            size: state
                .messages
                .values()
                .fold(0u64, |sum, r| sum.saturating_add(r.size)),
            highest_modseq: state.highest_modseq,
        })
    }

    /// APPEND / MULTIAPPEND: all or nothing (on failure the messages already stored are
    /// expunged again). Returns UIDVALIDITY and the new UIDs (APPENDUID).
    pub(crate) fn append(
        &self,
        name: &str,
        messages: Vec<AppendItem>,
    ) -> Result<(u32, Vec<u32>), StoreError> {
        let folder = self.folder(&normalize(name)?)?;
        // Under the folder's lock, so that the stamp after the deliveries shows only ours.
        let mut state = folder.synced()?;
        let mut uids = Vec::with_capacity(messages.len());
        let mut added = Vec::with_capacity(messages.len());
        let mut uid_validity = 0;
        for item in messages {
            let (flags, plain) = (item.flags, item.keywords.is_empty());
            let date = item.internal_date;
            match deliver(&folder.mailbox, item, self.fsync) {
                Ok(delivered) => {
                    uids.push(delivered.uid);
                    uid_validity = delivered.uid_validity;
                    let record = plain
                        .then(|| appended_record(&folder, &delivered, &state, flags, date))
                        .flatten();
                    added.push(record);
                }
                Err(e) => {
                    for &uid in &uids {
                        let _ = folder.mailbox.expunge(uid);
                    }
                    state.distrust();
                    return Err(e);
                }
            }
        }
        if uid_validity == 0 {
            uid_validity = state.uid_validity;
        }
        folder.record_added(state, &uids, added)?;
        Ok((uid_validity, uids))
    }

    /// The quota and its usage, when the Maildir has a `maildirsize`.
    pub(crate) fn quota(&self) -> Result<Option<QuotaUsage>, StoreError> {
        Ok(self.maildir.quota()?)
    }
}

/// The record of a message we just delivered without keywords, unless the state cannot
/// take it without a listing (a UIDVALIDITY change, an unknown size or date).
fn appended_record(
    folder: &Folder,
    delivered: &maildir::Delivered,
    state: &FolderState,
    flags: maildir::Flags,
    date: Option<SystemTime>,
) -> Option<Record> {
    if delivered.uid_validity != state.uid_validity {
        return None;
    }
    let size = delivered.vsize?;
    let date = match date {
        Some(date) => date,
        None => folder.mailbox.internal_date(delivered.uid).ok()?,
    };
    // Without flags or keywords a delivery goes to `new/` (see maildir's delivery).
    Some(Record::new(flags, Vec::new(), date, size, flags.is_empty()))
}

fn deliver(
    mailbox: &maildir::Mailbox,
    item: AppendItem,
    fsync: bool,
) -> Result<maildir::Delivered, StoreError> {
    let options = DeliveryOptions {
        fsync,
        flags: item.flags,
        keywords: item.keywords,
    };
    let with = |reader: &mut dyn std::io::Read| match item.internal_date {
        Some(date) => mailbox.deliver_dated(reader, &options, date),
        None => mailbox.deliver(reader, &options),
    };
    Ok(match item.path_or_bytes {
        AppendData::Bytes(bytes) => with(&mut bytes.as_slice())?,
        AppendData::File(path) => {
            let mut file = File::open(&path).map_err(|source| {
                StoreError::Io(Error::Io {
                    op: "open",
                    path: path.clone(),
                    source,
                })
            })?;
            with(&mut file)?
        }
    })
}
