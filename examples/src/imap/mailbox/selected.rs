//! One session's view of its selected folder: sequence numbers, `\Recent`, and the
//! changes others make, reported when IMAP allows.

use std::collections::HashSet;
use std::io::Read;
use std::sync::{Arc, MutexGuard};

use imap_proto::types::{SequenceSet, StoreAction};
use maildir::{Error, Flag, Flags};
use tokio::sync::watch;

use super::modseq::{FolderState, Record, sorted_keywords};
use super::names::normalize;
use super::registry::Folder;
use super::user::UserStore;
use super::{Change, Keywords, MessageMeta, StoreError};

/// The selected folder of one session.
#[derive(Debug)]
pub(crate) struct Selected {
    name: String,
    read_only: bool,
    store: UserStore,
    folder: Arc<Folder>,
    uid_validity: u32,
    uid_next: u32,
    highest_modseq: u64,
    /// By ascending UID; index = sequence number - 1. May hold messages already
    /// expunged elsewhere whose expunge has not been reported yet.
    messages: Vec<MessageMeta>,
    /// The highest UID this view ever held: later ones are new.
    max_uid: u32,
    /// The shared state's HIGHESTMODSEQ when this view last caught up with it: while it
    /// is the same, nothing changed (every change takes a new modseq).
    caught_up: u64,
    /// The view holds messages expunged elsewhere, not reported yet.
    expunges_pending: bool,
}

fn meta(uid: u32, record: &Record, recent: bool) -> MessageMeta {
    MessageMeta {
        uid,
        flags: record.flags,
        keywords: Keywords::new(record.keywords.clone()),
        recent,
        modseq: record.modseq,
        size: record.size,
        date: record.internal_date,
    }
}

/// Claims the messages still in `new/` as `\Recent` for this session (moving them to
/// `cur/`, as Dovecot does): exactly one read-write session sees a message as recent.
fn claim_recent(folder: &Folder, state: &mut FolderState) -> Result<HashSet<u32>, StoreError> {
    if !state.messages.values().any(|r| r.in_new) {
        return Ok(HashSet::new());
    }
    let claimed: HashSet<u32> = match folder.mailbox.claim_recent() {
        Ok(claimed) => claimed.into_iter().collect(),
        Err(e) => {
            state.distrust();
            return Err(e.into());
        }
    };
    for uid in &claimed {
        if let Some(record) = state.messages.get_mut(uid) {
            record.in_new = false;
        }
    }
    if !claimed.is_empty() {
        state.own_change();
    }
    Ok(claimed)
}

/// Which messages of a newly seen batch are `\Recent` in this view: a read-write
/// view claims them, a read-only one sees them recent and leaves them to the next
/// session (RFC 3501 section 2.3.2).
fn recent_in_view(
    folder: &Folder,
    state: &mut FolderState,
    read_only: bool,
) -> Result<HashSet<u32>, StoreError> {
    if !read_only {
        return claim_recent(folder, state);
    }
    Ok(state
        .messages
        .iter()
        .filter(|(_, r)| r.in_new)
        .map(|(&uid, _)| uid)
        .collect())
}

/// The record of a copy made of `source`, when the state can take it without listing
/// the target: not with keywords (the target's keyword table may spell them
/// differently), nor when the maildir handle has to list the folder to find the copy
/// (no CRLF size in its name), nor across a UIDVALIDITY change.
fn copied_record(
    source: Option<&Record>,
    delivered: &maildir::Delivered,
    target: &FolderState,
) -> Option<Record> {
    let source = source?;
    if !source.keywords.is_empty()
        || delivered.vsize.is_none()
        || delivered.uid_validity != target.uid_validity
    {
        return None;
    }
    // A hard link: the same file, so the same INTERNALDATE and size.
    Some(Record::new(
        source.flags,
        Vec::new(),
        source.date(),
        source.size,
        source.flags.is_empty(),
    ))
}

/// The flags and keywords a STORE action leaves.
fn apply_action(
    action: StoreAction,
    record: &Record,
    flags: Flags,
    keywords: &[String],
) -> (Flags, Vec<String>) {
    match action {
        StoreAction::Replace => (flags, sorted_keywords(keywords.to_vec())),
        StoreAction::Add => {
            let mut out = record.flags;
            for letter in flags.letters() {
                out.insert_letter(letter);
            }
            let mut all = record.keywords.clone();
            all.extend_from_slice(keywords);
            (out, sorted_keywords(all))
        }
        StoreAction::Remove => {
            let mut out = Flags::empty();
            for letter in record
                .flags
                .letters()
                .filter(|l| !flags.letters().any(|f| f == *l))
            {
                out.insert_letter(letter);
            }
            let kept = record
                .keywords
                .iter()
                .filter(|k| !keywords.iter().any(|r| r.eq_ignore_ascii_case(k)))
                .cloned()
                .collect();
            (out, kept)
        }
    }
}

impl Selected {
    /// SELECT (`read_only == false`) or EXAMINE. A read-write open claims the messages no
    /// session has seen yet as `\Recent` for this session; a read-only one shows them
    /// `\Recent` without claiming them.
    pub(crate) fn open(store: &UserStore, name: &str, read_only: bool) -> Result<Self, StoreError> {
        let name = normalize(name)?;
        let folder = store.folder(&name)?;
        let mut state = folder.synced()?;
        let claimed = recent_in_view(&folder, &mut state, read_only)?;
        let messages: Vec<MessageMeta> = state
            .messages
            .iter()
            .map(|(&uid, r)| meta(uid, r, claimed.contains(&uid)))
            .collect();
        let (uid_validity, uid_next, highest_modseq) =
            (state.uid_validity, state.uid_next, state.highest_modseq);
        drop(state);
        Ok(Self {
            name,
            read_only,
            store: store.clone(),
            max_uid: messages.last().map_or(0, |m| m.uid),
            folder,
            uid_validity,
            uid_next,
            highest_modseq,
            messages,
            caught_up: highest_modseq,
            expunges_pending: false,
        })
    }

    /// The folder name (normalised: `INBOX`, `Archive.2026`).
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Opened with EXAMINE.
    pub(crate) fn read_only(&self) -> bool {
        self.read_only
    }

    /// UIDVALIDITY.
    pub(crate) fn uid_validity(&self) -> u32 {
        self.uid_validity
    }

    /// UIDNEXT as of the last refresh.
    pub(crate) fn uid_next(&self) -> u32 {
        self.uid_next
    }

    /// HIGHESTMODSEQ of this view: while an expunge is not yet reported, it stays below
    /// that expunge's modseq, so a client that resyncs from it learns of it.
    pub(crate) fn highest_modseq(&self) -> u64 {
        self.highest_modseq
    }

    /// The messages; index = sequence number - 1.
    pub(crate) fn messages(&self) -> &[MessageMeta] {
        &self.messages
    }

    /// The sequence number of `uid`.
    pub(crate) fn seq_of(&self, uid: u32) -> Option<u32> {
        self.messages
            .binary_search_by_key(&uid, |m| m.uid)
            .ok()
            .and_then(|i| u32::try_from(i + 1).ok())
    }

    /// A receiver woken when this folder changes (delivery, another session).
    pub(crate) fn watch(&self) -> watch::Receiver<u64> {
        self.folder.watch()
    }

    fn writable(&self) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::Invalid("mailbox is read-only".to_owned()));
        }
        Ok(())
    }

    /// Catches up with changes by others: in the returned order, expunges (only when
    /// `expunges_allowed`; highest sequence number first), flag changes (sequence
    /// numbers after those expunges), then one `Exists` with the new count if messages
    /// arrived. Without `expunges_allowed`, expunged messages stay in
    /// [`messages`](Self::messages) (reading them fails with `NoSuchMessage`) and are
    /// reported by a later refresh. Errors: `NoSuchMailbox` when the folder was deleted
    /// or renamed, `Invalid` when its UIDVALIDITY changed; the session should then end.
    pub(crate) fn refresh(&mut self, expunges_allowed: bool) -> Result<Vec<Change>, StoreError> {
        let folder = Arc::clone(&self.folder);
        let mut state = folder.synced()?;
        if state.uid_validity != self.uid_validity {
            return Err(StoreError::Invalid(
                "UIDVALIDITY changed; select the mailbox again".to_owned(),
            ));
        }
        self.uid_next = state.uid_next;
        let unchanged = state.highest_modseq == self.caught_up;
        if unchanged && !(expunges_allowed && self.expunges_pending) {
            return Ok(Vec::new());
        }
        let claimed = recent_in_view(&folder, &mut state, self.read_only)?;
        let mut changes = Vec::new();
        if expunges_allowed {
            changes.extend(
                self.remove_where(|m| !state.messages.contains_key(&m.uid))
                    .into_iter()
                    .map(|(seq, uid)| Change::Expunge { seq, uid }),
            );
        }
        // Both lists are in UID order: walk them side by side.
        let mut missing = false;
        let mut records = state.messages.iter().peekable();
        for (seq, shown) in (1u32..).zip(self.messages.iter_mut()) {
            while records.next_if(|&(&uid, _)| uid < shown.uid).is_some() {}
            let Some((_, record)) = records.next_if(|&(&uid, _)| uid == shown.uid) else {
                missing = true;
                continue;
            };
            if record.modseq != shown.modseq {
                *shown = meta(shown.uid, record, shown.recent);
                changes.push(Change::Flags { seq });
            }
        }
        let before = self.messages.len();
        let start = self.max_uid.saturating_add(1);
        for (&uid, record) in state.messages.range(start..) {
            self.messages
                .push(meta(uid, record, claimed.contains(&uid)));
            self.max_uid = uid;
        }
        if self.messages.len() > before {
            changes.push(Change::Exists(
                u32::try_from(self.messages.len()).unwrap_or(u32::MAX),
            ));
        }
        self.expunges_pending = missing;
        self.highest_modseq = if missing {
            self.view_modseq(&state)
        } else {
            state.highest_modseq
        };
        self.caught_up = state.highest_modseq;
        Ok(changes)
    }

    /// HIGHESTMODSEQ capped below the first expunge still pending in this view.
    fn view_modseq(&self, state: &FolderState) -> u64 {
        let mut highest = state.highest_modseq;
        for m in self
            .messages
            .iter()
            .filter(|m| !state.messages.contains_key(&m.uid))
        {
            let cap = state
                .expunge_modseq(m.uid)
                .map_or(self.highest_modseq, |x| x.saturating_sub(1));
            highest = highest.min(cap);
        }
        highest.max(self.highest_modseq.min(state.highest_modseq))
    }

    /// Whether this view holds everything `state` knows: an own change made now can
    /// move it along ([`step_to`](Self::step_to)) without a refresh.
    fn in_step(&self, state: &FolderState) -> bool {
        state.highest_modseq == self.caught_up && !self.expunges_pending
    }

    /// After an own change made while [`in_step`](Self::in_step), recorded in this view
    /// already: the view is caught up with `highest`.
    fn step_to(&mut self, highest: u64) {
        self.caught_up = highest;
        self.highest_modseq = highest;
    }

    /// Removes the messages `gone` selects from the view; returns (seq, uid), highest
    /// sequence number first.
    fn remove_where(&mut self, gone: impl Fn(&MessageMeta) -> bool) -> Vec<(u32, u32)> {
        let mut removed = Vec::new();
        for i in (0..self.messages.len()).rev() {
            if gone(&self.messages[i]) {
                let seq = u32::try_from(i + 1).unwrap_or(u32::MAX);
                removed.push((seq, self.messages.remove(i).uid));
            }
        }
        removed
    }

    /// STORE / UID STORE on `uids` (those not in the view, or expunged meanwhile, are
    /// skipped). Under the folder's lock, so concurrent stores lose nothing. Returns the
    /// sequence numbers whose flags changed (their modseq is new; unchanged ones keep
    /// theirs) and those that failed UNCHANGEDSINCE (RFC 7162 section 3.1.3), ascending.
    pub(crate) fn store(
        &mut self,
        uids: &[u32],
        action: StoreAction,
        flags: Flags,
        keywords: &[String],
        unchanged_since: Option<u64>,
    ) -> Result<(Vec<u32>, Vec<u32>), StoreError> {
        self.writable()?;
        let folder = Arc::clone(&self.folder);
        let state = folder.synced()?;
        self.store_locked(state, uids, action, flags, keywords, unchanged_since)
    }

    /// [`store`](Self::store) with the folder's state already locked.
    fn store_locked(
        &mut self,
        mut state: MutexGuard<'_, FolderState>,
        uids: &[u32],
        action: StoreAction,
        flags: Flags,
        keywords: &[String],
        unchanged_since: Option<u64>,
    ) -> Result<(Vec<u32>, Vec<u32>), StoreError> {
        let in_step = self.in_step(&state);
        let mut uids = uids.to_vec();
        uids.sort_unstable();
        uids.dedup();
        let (mut changed, mut failed) = (Vec::new(), Vec::new());
        let mut result = Ok(());
        for uid in uids {
            match self.store_one(&mut state, uid, action, flags, keywords, unchanged_since) {
                Ok(Some(Ok(seq))) => changed.push(seq),
                Ok(Some(Err(seq))) => failed.push(seq),
                Ok(None) => {}
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if result.is_err() {
            state.distrust();
        } else if !changed.is_empty() {
            state.own_change();
            if in_step {
                self.step_to(state.highest_modseq);
            }
        }
        if !changed.is_empty() {
            let saved = state.save();
            drop(state);
            self.folder.notify();
            result = result.and(saved);
        }
        if let Err(e) = result {
            // Let the next refresh report what did change.
            for &seq in &changed {
                if let Some(m) = self.messages.get_mut(seq as usize - 1) {
                    m.modseq = 0;
                }
            }
            return Err(e);
        }
        Ok((changed, failed))
    }

    /// One message of a STORE: `Some(Ok(seq))` changed, `Some(Err(seq))` failed
    /// UNCHANGEDSINCE, `None` nothing to do.
    fn store_one(
        &mut self,
        state: &mut FolderState,
        uid: u32,
        action: StoreAction,
        flags: Flags,
        keywords: &[String],
        unchanged_since: Option<u64>,
    ) -> Result<Option<Result<u32, u32>>, StoreError> {
        let Some(seq) = self.seq_of(uid) else {
            return Ok(None);
        };
        let Some(record) = state.messages.get(&uid) else {
            return Ok(None);
        };
        if unchanged_since.is_some_and(|since| record.modseq > since) {
            return Ok(Some(Err(seq)));
        }
        let (new_flags, new_keywords) = apply_action(action, record, flags, keywords);
        if new_flags == record.flags && new_keywords == record.keywords {
            return Ok(None);
        }
        let refs: Vec<&str> = new_keywords.iter().map(String::as_str).collect();
        let info = match self.folder.mailbox.set_flags(uid, new_flags, &refs) {
            Ok(info) => info,
            Err(Error::NoSuchMessage { .. }) => {
                // Expunged by someone else: the next sync finds out.
                state.distrust();
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        let Some(modseq) = state.changed_flags(info) else {
            return Ok(None);
        };
        if let (Some(record), Some(meta)) = (
            state.messages.get(&uid),
            self.messages.get_mut(seq as usize - 1),
        ) {
            meta.flags = record.flags;
            meta.keywords = Keywords::new(record.keywords.clone());
            meta.modseq = modseq;
        }
        Ok(Some(Ok(seq)))
    }

    /// Sets `\Seen` after a non-peek body FETCH (nothing in a read-only view). Called
    /// once per fetched message: the sync before is a stamp check while the state is
    /// trusted.
    pub(crate) fn mark_seen(&mut self, uid: u32) -> Result<(), StoreError> {
        if self.read_only {
            return Ok(());
        }
        let folder = Arc::clone(&self.folder);
        let state = folder.synced()?;
        if state
            .messages
            .get(&uid)
            .is_none_or(|r| r.flags.contains(Flag::Seen))
        {
            return Ok(());
        }
        let seen = Flags::empty().with(Flag::Seen);
        self.store_locked(state, &[uid], StoreAction::Add, seen, &[], None)
            .map(|_| ())
    }

    /// EXPUNGE (all `\Deleted` messages) or UID EXPUNGE (only those in `uids`). Returns
    /// the expunged (seq, uid), highest sequence number first. Messages others expunged
    /// are left to [`refresh`](Self::refresh).
    pub(crate) fn expunge(&mut self, uids: Option<&[u32]>) -> Result<Vec<(u32, u32)>, StoreError> {
        self.writable()?;
        let folder = Arc::clone(&self.folder);
        let mut state = folder.synced()?;
        let in_step = self.in_step(&state);
        let wanted: Option<HashSet<u32>> = uids.map(|u| u.iter().copied().collect());
        let targets: Vec<u32> = self
            .messages
            .iter()
            .map(|m| m.uid)
            .filter(|uid| wanted.as_ref().is_none_or(|w| w.contains(uid)))
            .filter(|uid| state.messages.get(uid).is_some_and(Record::is_deleted))
            .collect();
        let (done, result) = remove_files(&folder, &targets);
        state.expunged(&done);
        record_own_change(&mut state, !done.is_empty(), result.is_ok());
        let saved = if done.is_empty() {
            Ok(())
        } else {
            state.save()
        };
        let highest = state.highest_modseq;
        drop(state);
        if !done.is_empty() {
            folder.notify();
        }
        result.and(saved)?;
        let done: HashSet<u32> = done.into_iter().collect();
        let removed = self.remove_where(|m| done.contains(&m.uid));
        if in_step {
            self.step_to(highest);
        }
        Ok(removed)
    }

    /// COPY / UID COPY to the folder `target` (this one included). All or nothing: on
    /// failure the copies made are expunged again (`NoSuchMessage` when a source was
    /// expunged meanwhile). Returns COPYUID data: the target's UIDVALIDITY, the source
    /// UIDs (ascending, only those in the view) and their new UIDs, pairwise.
    pub(crate) fn copy(
        &self,
        uids: &[u32],
        target: &str,
    ) -> Result<(u32, Vec<u32>, Vec<u32>), StoreError> {
        let target = self.store.folder(&normalize(target)?)?;
        let mut sources = uids.to_vec();
        sources.sort_unstable();
        sources.dedup();
        sources.retain(|&uid| self.seq_of(uid).is_some());
        // What the copies carry, read before the target is locked: never two at once.
        let records: Vec<Option<Record>> = {
            let state = self.folder.lock();
            sources
                .iter()
                .map(|uid| state.messages.get(uid).cloned())
                .collect()
        };
        let mut state = target.synced()?;
        let mut copies = Vec::with_capacity(sources.len());
        let mut added = Vec::with_capacity(sources.len());
        let mut uid_validity = 0;
        for (&uid, record) in sources.iter().zip(&records) {
            match self.folder.mailbox.copy(uid, &target.mailbox) {
                Ok(delivered) => {
                    copies.push(delivered.uid);
                    uid_validity = delivered.uid_validity;
                    added.push(copied_record(record.as_ref(), &delivered, &state));
                }
                Err(e) => {
                    for &copy in &copies {
                        let _ = target.mailbox.expunge(copy);
                    }
                    state.distrust();
                    return Err(e.into());
                }
            }
        }
        if uid_validity == 0 {
            uid_validity = state.uid_validity;
        }
        target.record_added(state, &copies, added)?;
        Ok((uid_validity, sources, copies))
    }

    /// MOVE / UID MOVE: [`copy`](Self::copy), then the sources are expunged. When the
    /// copy fails nothing is expunged. Returns the COPYUID data and the expunged
    /// (seq, uid), highest sequence number first.
    #[allow(clippy::type_complexity)]
    pub(crate) fn move_to(
        &mut self,
        uids: &[u32],
        target: &str,
    ) -> Result<((u32, Vec<u32>, Vec<u32>), Vec<(u32, u32)>), StoreError> {
        self.writable()?;
        let copied = self.copy(uids, target)?;
        let folder = Arc::clone(&self.folder);
        let mut state = folder.synced()?;
        let (done, result) = remove_files(&folder, &copied.1);
        state.expunged(&done);
        record_own_change(&mut state, !done.is_empty(), result.is_ok());
        let saved = if done.is_empty() {
            Ok(())
        } else {
            state.save()
        };
        drop(state);
        if !done.is_empty() {
            folder.notify();
        }
        // On error the view keeps the messages; the next refresh reports the expunges.
        result.and(saved)?;
        let done: HashSet<u32> = done.into_iter().collect();
        let expunged = self.remove_where(|m| done.contains(&m.uid));
        Ok((copied, expunged))
    }

    /// The raw message.
    pub(crate) fn read(&self, uid: u32) -> Result<Vec<u8>, StoreError> {
        if self.seq_of(uid).is_none() {
            return Err(StoreError::NoSuchMessage);
        }
        let mut file = self.folder.mailbox.open_message(uid)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|source| {
            StoreError::Io(Error::Io {
                op: "read",
                path: self.folder.mailbox.path().to_owned(),
                source,
            })
        })?;
        Ok(bytes)
    }

    /// QRESYNC: UIDs expunged after `modseq` (within `uids` if given; `*` there is
    /// UIDNEXT - 1), ascending, leaving out messages still in this view (their
    /// expunge comes through [`refresh`](Self::refresh)). May report UIDs that never
    /// existed or were expunged earlier, as RFC 7162 allows. `$` must be resolved by
    /// the caller.
    pub(crate) fn vanished_since(&self, modseq: u64, uids: Option<&SequenceSet>) -> Vec<u32> {
        let largest = self.uid_next.saturating_sub(1);
        let state = self.folder.lock();
        state.vanished_since(modseq, |uid| {
            uids.is_none_or(|set| set.contains(uid, largest)) && self.seq_of(uid).is_none()
        })
    }
}

/// After a write of ours that the state now records (`changed`): trust the new stamp,
/// unless the write failed part way.
fn record_own_change(state: &mut FolderState, changed: bool, ok: bool) {
    if !ok {
        state.distrust();
    } else if changed {
        state.own_change();
    }
}

/// Removes the message files of `uids`; a message already gone counts as removed.
/// Returns the removed UIDs and the first error, which stops the work.
fn remove_files(folder: &Folder, uids: &[u32]) -> (Vec<u32>, Result<(), StoreError>) {
    let mut done = Vec::with_capacity(uids.len());
    for &uid in uids {
        match folder.mailbox.expunge(uid) {
            Ok(()) | Err(Error::NoSuchMessage { .. }) => done.push(uid),
            Err(e) => return (done, Err(e.into())),
        }
    }
    (done, Ok(()))
}
