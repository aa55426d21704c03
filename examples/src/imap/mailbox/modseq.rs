//! The per-folder state Dovecot does not share with us, kept in the sidecar file
//! `postroom-imap-state` next to `dovecot-uidlist`.
//!
//! ```text
//! postroom-imap-state 1
//! uidvalidity 1767225600
//! uidnext 13
//! highestmodseq 1767225600123
//! floor 1767225600000 12
//! m <uid> <modseq> <internaldate> <rfc822.size> <flag letters or -> [keyword ...]
//! x <first uid> <last uid> <modseq>
//! ```
//!
//! - `m` lines: each message's modseq and the flags and keywords it had when we last
//!   looked. A sync that finds different flags on disk (Dovecot, another process, a
//!   crash before the last save) gives the message a new modseq.
//! - `x` lines: expunged UID ranges with the modseq of their expunge, oldest first, at
//!   most [`MAX_EXPUNGED`] of them; older ones are dropped and raise the floor.
//! - `floor <modseq> <uid>`: below that modseq our record of expunges is incomplete:
//!   VANISHED (EARLIER) for an older modseq reports every UID below `<uid>` that is not
//!   in the folder (RFC 7162 allows reporting more than needed). A fresh state starts
//!   its floor at its first HIGHESTMODSEQ, which is the current time in milliseconds:
//!   above any value Dovecot hands out, so a client that synced with Dovecot gets a full
//!   resync rather than missing changes.
//!
//! The file is replaced atomically (temporary file and rename) after every change,
//! without fsync, as Dovecot treats flag changes. HIGHESTMODSEQ never decreases, even
//! when UIDVALIDITY changes; and the first change found after loading the file first
//! raises it to the clock (milliseconds), so changes whose save a system crash lost
//! cannot get modseqs a client has already seen. One postroom process per Maildir is
//! assumed: another one's state is not merged (its changes look like Dovecot's).

use std::cmp::Ordering as CmpOrdering;
use std::collections::{BTreeMap, VecDeque};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use maildir::{Flag, Flags, Mailbox, MailboxView, MessageInfo};

use super::StoreError;
use super::stamp::{self, DiskStamp, Trust};

/// The sidecar file's name.
pub(crate) const STATE_FILE: &str = "postroom-imap-state";
const HEADER: &str = "postroom-imap-state 1";
/// Most expunged ranges remembered.
pub(crate) const MAX_EXPUNGED: usize = 10_000;

/// What we know of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) modseq: u64,
    pub(crate) flags: Flags,
    /// Sorted case-insensitively.
    pub(crate) keywords: Vec<String>,
    /// Seconds since the epoch.
    pub(crate) internal_date: i64,
    /// RFC822.SIZE.
    pub(crate) size: u64,
    /// Still in `new/` at the last sync (not saved).
    pub(crate) in_new: bool,
}

impl Record {
    /// A message this process adds (APPEND, COPY); its modseq comes with
    /// [`FolderState::added`].
    pub(crate) fn new(
        flags: Flags,
        keywords: Vec<String>,
        date: SystemTime,
        size: u64,
        in_new: bool,
    ) -> Self {
        Self {
            modseq: 0,
            flags,
            keywords: sorted_keywords(keywords),
            internal_date: unix_seconds(date),
            size,
            in_new,
        }
    }

    pub(crate) fn date(&self) -> SystemTime {
        let secs = Duration::from_secs(self.internal_date.unsigned_abs());
        if self.internal_date >= 0 {
            UNIX_EPOCH + secs
        } else {
            UNIX_EPOCH - secs
        }
    }

    pub(crate) fn is_deleted(&self) -> bool {
        self.flags.contains(Flag::Trashed)
    }
}

/// UIDs `first..=last`, expunged at `modseq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Expunged {
    first: u32,
    last: u32,
    modseq: u64,
}

/// One folder's modseqs, message cache and expunge history.
#[derive(Debug)]
pub(crate) struct FolderState {
    dir: PathBuf,
    loaded: bool,
    /// Raise HIGHESTMODSEQ to the clock before the next change: the first sync after
    /// loading may find changes made after our last save.
    jump_pending: bool,
    pub(crate) uid_validity: u32,
    pub(crate) uid_next: u32,
    pub(crate) highest_modseq: u64,
    pub(crate) messages: BTreeMap<u32, Record>,
    expunged: VecDeque<Expunged>,
    floor: u64,
    floor_uid: u32,
    /// The disk stamp the state is known to match, and for how long.
    trust: Option<Trust>,
    /// Full syncs (listings) done, for tests.
    #[cfg(test)]
    pub(crate) full_syncs: u64,
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX >> 1))
}

fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Keywords in a canonical order, so lists compare equal whatever order they came in.
pub(crate) fn sorted_keywords(mut keywords: Vec<String>) -> Vec<String> {
    if !keywords.is_sorted_by(|a, b| cmp_ignore_case(a, b).is_lt()) {
        keywords.sort_by(|a, b| cmp_ignore_case(a, b));
        keywords.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    }
    keywords
}

/// ASCII case-insensitive order, without allocating.
fn cmp_ignore_case(a: &str, b: &str) -> CmpOrdering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// Takes a listed message's flags and keywords; `true` if they differ from the record's
/// (the caller gives it a new modseq).
fn update(record: &mut Record, info: MessageInfo) -> bool {
    record.in_new = info.in_new;
    let keywords = sorted_keywords(info.keywords);
    if record.flags == info.flags && record.keywords == keywords {
        return false;
    }
    record.flags = info.flags;
    record.keywords = keywords;
    true
}

/// Appends `key` and `numbers`, each after a space.
fn push_fields(out: &mut Vec<u8>, key: &str, numbers: &[u64]) {
    out.extend_from_slice(key.as_bytes());
    for &n in numbers {
        out.push(b' ');
        push_number(out, n);
    }
}

/// Appends `n` in decimal.
fn push_number(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [b'0'; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        // `n % 10` is a single digit.
        digits[start] += (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

/// Appends `keyword` with space and `%` `%`-escaped (keywords from a foreign
/// `dovecot-keywords` may hold spaces).
fn push_escaped(out: &mut Vec<u8>, keyword: &str) {
    // Byte by byte: no byte of a multi-byte UTF-8 sequence is ASCII.
    for &b in keyword.as_bytes() {
        match b {
            b'%' => out.extend_from_slice(b"%25"),
            b' ' => out.extend_from_slice(b"%20"),
            b => out.push(b),
        }
    }
}

fn unescape(text: &str) -> String {
    text.replace("%20", " ").replace("%25", "%")
}

impl FolderState {
    /// An empty state for the folder in `dir`, loaded from its sidecar at the first sync.
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            loaded: false,
            jump_pending: false,
            uid_validity: 0,
            uid_next: 1,
            highest_modseq: 0,
            messages: BTreeMap::new(),
            expunged: VecDeque::new(),
            floor: 0,
            floor_uid: 1,
            trust: None,
            #[cfg(test)]
            full_syncs: 0,
        }
    }

    /// A new modseq, above every one handed out before.
    pub(crate) fn next_modseq(&mut self) -> u64 {
        if self.jump_pending {
            self.jump_pending = false;
            self.highest_modseq = self.highest_modseq.max(now_millis());
        }
        self.highest_modseq += 1;
        self.highest_modseq
    }

    /// Forgets everything (a new UIDVALIDITY): modseqs keep growing, and the floor says
    /// we know no expunge from before.
    fn reset(&mut self, uid_validity: u32, uid_next: u32) {
        self.messages.clear();
        self.expunged.clear();
        self.uid_validity = uid_validity;
        self.uid_next = uid_next;
        // One above everything handed out before, so that a client that knew the old
        // HIGHESTMODSEQ is below the floor even when the clock has not moved past it.
        self.highest_modseq = self.highest_modseq.max(now_millis()) + 1;
        self.floor = self.highest_modseq;
        self.floor_uid = uid_next;
        self.jump_pending = false;
    }

    /// Brings the state in line with the folder on disk; saves it when anything changed.
    /// The folder is not listed when its [`DiskStamp`] is one the state is trusted to
    /// match ([`Trust`]), unless `force`.
    pub(crate) fn sync(&mut self, mailbox: &Mailbox, force: bool) -> Result<(), StoreError> {
        let now = stamp::now();
        // Read before the listing: a change made during it shows as a new stamp next time.
        let stamp = DiskStamp::read(mailbox.path());
        let unchanged = match (&self.trust, &stamp) {
            (Some(trust), Some(stamp)) => trust.covers(stamp, now),
            _ => false,
        };
        if self.loaded && unchanged && !force {
            return Ok(());
        }
        self.trust = None;
        #[cfg(test)]
        {
            self.full_syncs += 1;
        }
        if !mailbox.path().join("cur").is_dir() {
            return Err(StoreError::NoSuchMailbox);
        }
        if !self.loaded {
            self.load();
        }
        let view = mailbox.sync()?;
        let changed = self.apply(view, mailbox)?;
        self.jump_pending = false;
        if changed {
            self.save()?;
        }
        self.trust = stamp.map(|s| Trust::after_sync(s, now));
        Ok(())
    }

    /// Call after this process changed the folder on disk, holding the lock since the
    /// sync before, once the change is recorded in the state: the stamp read now becomes
    /// the trusted one (only if the state was trusted before the change; see
    /// [`Trust::after_own_change`]), so the next sync need not list the folder.
    pub(crate) fn own_change(&mut self) {
        let now = stamp::now();
        self.trust = match (self.trust.take(), DiskStamp::read(&self.dir)) {
            (Some(before), Some(after)) => Some(before.after_own_change(after, now)),
            _ => None,
        };
    }

    /// Makes the next sync list the folder (after a change not recorded in the state).
    pub(crate) fn distrust(&mut self) {
        self.trust = None;
    }

    fn apply(&mut self, view: MailboxView, mailbox: &Mailbox) -> Result<bool, StoreError> {
        let mut changed = false;
        if view.uid_validity != self.uid_validity {
            self.reset(view.uid_validity, view.uid_next);
            changed = true;
        }
        if view.uid_next != self.uid_next {
            self.uid_next = view.uid_next;
            changed = true;
        }
        // Known messages are updated in place; new ones are read after.
        let mut listed = Vec::with_capacity(view.messages.len());
        let mut bumped = Vec::new();
        let mut fresh = Vec::new();
        for info in view.messages {
            let uid = info.uid;
            listed.push(uid);
            match self.messages.get_mut(&uid) {
                Some(record) => {
                    if update(record, info) {
                        bumped.push(uid);
                    }
                }
                None => fresh.push(info),
            }
        }
        changed |= !bumped.is_empty();
        for uid in bumped {
            let modseq = self.next_modseq();
            if let Some(record) = self.messages.get_mut(&uid) {
                record.modseq = modseq;
            }
        }
        listed.sort_unstable();
        let known = listed.len() - fresh.len();
        let gone: Vec<u32> = if self.messages.len() > known {
            self.messages
                .keys()
                .copied()
                .filter(|uid| listed.binary_search(uid).is_err())
                .collect()
        } else {
            Vec::new()
        };
        for info in fresh {
            let uid = info.uid;
            match self.fresh(info, mailbox) {
                Ok(record) => {
                    self.messages.insert(uid, record);
                    changed = true;
                }
                // Gone since the listing: the next sync drops it from the uidlist.
                Err(StoreError::NoSuchMessage) => {}
                Err(e) => return Err(e),
            }
        }
        if !gone.is_empty() {
            for uid in &gone {
                self.messages.remove(uid);
            }
            let modseq = self.next_modseq();
            self.push_expunged(gone.into_iter(), modseq);
            changed = true;
        }
        Ok(changed)
    }

    fn fresh(&mut self, info: MessageInfo, mailbox: &Mailbox) -> Result<Record, StoreError> {
        let internal_date = unix_seconds(mailbox.internal_date(info.uid)?);
        let size = match info.vsize {
            Some(size) => size,
            None => mailbox.crlf_size(info.uid)?,
        };
        Ok(Record {
            modseq: self.next_modseq(),
            flags: info.flags,
            keywords: sorted_keywords(info.keywords),
            internal_date,
            size,
            in_new: info.in_new,
        })
    }

    /// Records a flag change we made: the file now carries `info`'s flags and keywords.
    /// Returns the new modseq.
    pub(crate) fn changed_flags(&mut self, info: MessageInfo) -> Option<u64> {
        let modseq = self.next_modseq();
        let record = self.messages.get_mut(&info.uid)?;
        record.flags = info.flags;
        record.keywords = sorted_keywords(info.keywords);
        record.in_new = info.in_new;
        record.modseq = modseq;
        Some(modseq)
    }

    /// Records a message we added (APPEND, COPY) under a new modseq.
    pub(crate) fn added(&mut self, uid: u32, mut record: Record) {
        record.modseq = self.next_modseq();
        self.uid_next = self.uid_next.max(uid.saturating_add(1));
        self.messages.insert(uid, record);
    }

    /// Records that we expunged `uids` (ascending) at one new modseq.
    pub(crate) fn expunged(&mut self, uids: &[u32]) {
        if uids.is_empty() {
            return;
        }
        for uid in uids {
            self.messages.remove(uid);
        }
        let modseq = self.next_modseq();
        self.push_expunged(uids.iter().copied(), modseq);
    }

    fn push_expunged(&mut self, uids: impl Iterator<Item = u32>, modseq: u64) {
        for uid in uids {
            match self.expunged.back_mut() {
                Some(last) if last.modseq == modseq && last.last.checked_add(1) == Some(uid) => {
                    last.last = uid;
                }
                _ => self.expunged.push_back(Expunged {
                    first: uid,
                    last: uid,
                    modseq,
                }),
            }
        }
        while self.expunged.len() > MAX_EXPUNGED {
            if let Some(old) = self.expunged.pop_front() {
                self.floor = self.floor.max(old.modseq);
                self.floor_uid = self.floor_uid.max(old.last.saturating_add(1));
            }
        }
    }

    /// The modseq at which `uid` was expunged, if still remembered.
    pub(crate) fn expunge_modseq(&self, uid: u32) -> Option<u64> {
        self.expunged
            .iter()
            .rev()
            .find(|r| (r.first..=r.last).contains(&uid))
            .map(|r| r.modseq)
    }

    /// UIDs expunged after `since` (ascending, no duplicates) that `wanted` accepts.
    /// Below the floor, every UID under the floor UID that is not in the folder counts.
    pub(crate) fn vanished_since(&self, since: u64, wanted: impl Fn(u32) -> bool) -> Vec<u32> {
        let mut uids = Vec::new();
        for range in self.expunged.iter().filter(|r| r.modseq > since) {
            uids.extend((range.first..=range.last).filter(|&u| wanted(u)));
        }
        if since < self.floor {
            uids.extend(
                (1..self.floor_uid).filter(|u| !self.messages.contains_key(u) && wanted(*u)),
            );
        }
        uids.sort_unstable();
        uids.dedup();
        uids
    }

    fn path(&self) -> PathBuf {
        self.dir.join(STATE_FILE)
    }

    /// Reads the sidecar; a missing or unreadable one leaves a fresh state, which the
    /// next sync fills (with a new floor).
    fn load(&mut self) {
        self.loaded = true;
        let text = fs::read_to_string(self.path()).unwrap_or_default();
        if !self.parse(&text) {
            let keep = self.highest_modseq;
            *self = Self::new(self.dir.clone());
            self.loaded = true;
            self.highest_modseq = keep;
            return;
        }
        self.jump_pending = true;
    }

    /// Fills the state from sidecar text; `false` if it is not a valid sidecar.
    fn parse(&mut self, text: &str) -> bool {
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return false;
        }
        for line in lines {
            let mut fields = line.split(' ');
            let key = fields.next().unwrap_or_default();
            let mut num = || fields.next().and_then(|f| f.parse::<u64>().ok());
            match key {
                "uidvalidity" => match num().and_then(|n| u32::try_from(n).ok()) {
                    Some(n) => self.uid_validity = n,
                    None => return false,
                },
                "uidnext" => {
                    if let Some(n) = num().and_then(|n| u32::try_from(n).ok()) {
                        self.uid_next = n;
                    }
                }
                "highestmodseq" => match num() {
                    Some(n) => self.highest_modseq = n,
                    None => return false,
                },
                "floor" => match (num(), num().and_then(|n| u32::try_from(n).ok())) {
                    (Some(m), Some(u)) => (self.floor, self.floor_uid) = (m, u),
                    _ => return false,
                },
                "m" => self.parse_message(line),
                "x" => match (num(), num(), num()) {
                    (Some(first), Some(last), Some(modseq)) => {
                        if let (Ok(first), Ok(last)) = (u32::try_from(first), u32::try_from(last)) {
                            self.expunged.push_back(Expunged {
                                first,
                                last,
                                modseq,
                            });
                        }
                    }
                    _ => continue,
                },
                _ => {} // a later version's line
            }
        }
        self.uid_validity != 0
    }

    /// An `m` line; a malformed one is skipped (the message then counts as new).
    fn parse_message(&mut self, line: &str) {
        let mut fields = line.split(' ').skip(1);
        let mut next = || fields.next();
        let parsed = (|| {
            let uid: u32 = next()?.parse().ok()?;
            let modseq: u64 = next()?.parse().ok()?;
            let internal_date: i64 = next()?.parse().ok()?;
            let size: u64 = next()?.parse().ok()?;
            let letters = next()?;
            let mut flags = Flags::empty();
            if letters != "-" {
                for c in letters.chars() {
                    if !flags.insert_letter(c) {
                        return None;
                    }
                }
            }
            Some((uid, modseq, internal_date, size, flags))
        })();
        let Some((uid, modseq, internal_date, size, flags)) = parsed else {
            return;
        };
        let keywords = line
            .split(' ')
            .skip(6)
            .filter(|k| !k.is_empty())
            .map(unescape)
            .collect();
        self.messages.insert(
            uid,
            Record {
                modseq: modseq.min(self.highest_modseq),
                flags,
                keywords: sorted_keywords(keywords),
                internal_date,
                size,
                in_new: false,
            },
        );
    }

    /// The sidecar's text. It is written after every change, so numbers are written by
    /// hand: `write!` costs several times more for these thousands of lines.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + 48 * self.messages.len());
        let header: [(&str, &[u64]); 5] = [
            (HEADER, &[]),
            ("uidvalidity", &[self.uid_validity.into()]),
            ("uidnext", &[self.uid_next.into()]),
            ("highestmodseq", &[self.highest_modseq]),
            ("floor", &[self.floor, self.floor_uid.into()]),
        ];
        for (key, numbers) in header {
            push_fields(&mut out, key, numbers);
            out.push(b'\n');
        }
        for (&uid, r) in &self.messages {
            push_fields(&mut out, "m", &[uid.into(), r.modseq]);
            out.push(b' ');
            if r.internal_date < 0 {
                out.push(b'-');
            }
            push_number(&mut out, r.internal_date.unsigned_abs());
            out.push(b' ');
            push_number(&mut out, r.size);
            out.push(b' ');
            if r.flags.is_empty() {
                out.push(b'-');
            } else {
                let mut buf = [0; 4];
                for c in r.flags.letters() {
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
            for k in &r.keywords {
                out.push(b' ');
                push_escaped(&mut out, k);
            }
            out.push(b'\n');
        }
        for x in &self.expunged {
            push_fields(&mut out, "x", &[x.first.into(), x.last.into(), x.modseq]);
            out.push(b'\n');
        }
        out
    }

    /// Replaces the sidecar atomically (not fsynced: like Dovecot's flag changes).
    pub(crate) fn save(&self) -> Result<(), StoreError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = self
            .dir
            .join(format!("{STATE_FILE}.tmp.{}.{n}", std::process::id()));
        let written = fs::write(&tmp, self.to_bytes())
            .map_err(io_error("write", &tmp))
            .and_then(|()| fs::rename(&tmp, self.path()).map_err(io_error("rename", &tmp)));
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
            if !self.dir.join("cur").is_dir() {
                return Err(StoreError::NoSuchMailbox);
            }
        }
        written
    }
}

fn io_error(op: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StoreError {
    let path = path.to_owned();
    move |source| StoreError::Io(maildir::Error::Io { op, path, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_with(uids: &[u32]) -> FolderState {
        let mut s = FolderState::new(PathBuf::from("/nonexistent"));
        s.uid_validity = 7;
        s.highest_modseq = 100;
        s.floor = 100;
        s.floor_uid = 1;
        for &uid in uids {
            s.messages.insert(
                uid,
                Record {
                    modseq: 100,
                    flags: Flags::empty().with(Flag::Seen),
                    keywords: vec!["$Junk".into(), "has space".into()],
                    internal_date: -5,
                    size: 10,
                    in_new: false,
                },
            );
        }
        s
    }

    #[test]
    fn text_round_trip() {
        let mut s = state_with(&[1, 2, 3, 4, 9]);
        s.expunged(&[2, 3]);
        s.expunged(&[9]);
        let text = String::from_utf8(s.to_bytes()).unwrap();
        let mut back = FolderState::new(PathBuf::from("/nonexistent"));
        assert!(back.parse(&text));
        assert_eq!(back.messages, s.messages);
        assert_eq!(back.expunged, s.expunged);
        assert_eq!(
            (back.uid_validity, back.highest_modseq, back.floor),
            (7, 102, 100)
        );
        assert_eq!(
            back.messages[&1].date(),
            UNIX_EPOCH - Duration::from_secs(5)
        );
        assert_eq!(back.messages[&1].keywords, ["$Junk", "has space"]);
        // Garbage is no state; a bad message line is skipped.
        assert!(!FolderState::new(PathBuf::new()).parse("junk\n"));
        let mut partial = FolderState::new(PathBuf::new());
        assert!(partial.parse(&format!(
            "{HEADER}\nuidvalidity 1\nhighestmodseq 5\nfloor 1 1\nm 1 2 3\nm 2 3 0 9 S\n"
        )));
        assert_eq!(partial.messages.keys().collect::<Vec<_>>(), [&2]);
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        for n in [0, 7, 10, 99, 1_767_225_600_123, u64::MAX] {
            let mut out = b"x".to_vec();
            push_number(&mut out, n);
            assert_eq!(out, format!("x{n}").into_bytes());
        }
    }

    #[test]
    fn expunges_merge_and_are_bounded() {
        let uids: Vec<u32> = (1..=30_000).collect();
        let mut s = state_with(&uids);
        s.expunged(&[1, 2, 3, 5]);
        assert_eq!(s.expunged.len(), 2);
        assert_eq!(s.vanished_since(100, |_| true), [1, 2, 3, 5]);
        assert_eq!(s.vanished_since(101, |_| true), Vec::<u32>::new());
        assert_eq!(s.vanished_since(100, |u| u > 2), [3, 5]);
        assert_eq!(s.expunge_modseq(5), Some(101));
        // Expunging every other UID makes one range each; the oldest are dropped.
        let odd: Vec<u32> = (7..30_000).step_by(2).collect();
        for chunk in odd.chunks(100) {
            s.expunged(chunk);
        }
        assert_eq!(s.expunged.len(), MAX_EXPUNGED);
        assert!(s.floor > 101);
        let before_floor = s.vanished_since(101, |u| u < 12);
        // Below the floor every absent UID under the floor UID is reported.
        assert_eq!(before_floor, [1, 2, 3, 5, 7, 9, 11]);
        let recent = s.vanished_since(s.highest_modseq - 1, |_| true);
        assert_eq!(recent.len(), odd.chunks(100).last().unwrap().len());
        assert_eq!(recent.last(), Some(&29_999));
    }

    #[test]
    fn modseqs_only_grow() {
        let mut s = state_with(&[1]);
        let a = s.next_modseq();
        s.jump_pending = true;
        let b = s.next_modseq();
        assert!(b > a && b >= now_millis() - 60_000);
        s.reset(8, 1);
        assert!(
            s.floor > b,
            "a client that knew {b} must be below the floor"
        );
        assert!(s.next_modseq() > b);
        assert_eq!(
            sorted_keywords(vec!["b".into(), "A".into(), "a".into()]),
            ["A", "b"]
        );
    }
}
