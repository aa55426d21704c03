//! One folder: UIDs, flags, delivery, expunge, copy.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use crate::deliver::{DeliveryOptions, copy_counting};
use crate::error::{Error, Result, io_err};
use crate::filename::{self, delivery_order_key, unique_base, with_sizes};
use crate::flags::{Flags, KeywordBits, format_info, parse_info};
use crate::fsutil::{fsync_dir, list_names, read_optional, replace_file};
use crate::keywords::{KeywordStore, Keywords};
use crate::lock::DotLock;
use crate::maildir::Shared;
use crate::quota;
use crate::uidlist::{Record, Uidlist};
use crate::uidlist_file::{self, Loaded};

pub(crate) const UIDLIST: &str = "dovecot-uidlist";
const UIDVALIDITY_FILE: &str = "dovecot-uidvalidity";
const RETRIES: usize = 3;

/// One message as seen by the last [`Mailbox::sync`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    /// The UID.
    pub uid: u32,
    /// The base name (the file name up to `:`), which never changes.
    pub base: String,
    /// The current file name, info included.
    pub file_name: String,
    /// Whether the file is still in `new/` (not yet seen by any client:
    /// IMAP's `\Recent`).
    pub in_new: bool,
    /// The flags.
    pub flags: Flags,
    /// The keywords, by name.
    pub keywords: Vec<String>,
    /// The file size (from `S=` in the name, else the uidlist, else `stat`).
    pub size: u64,
    /// The size with CRLF line endings (from `W=`), when known.
    pub vsize: Option<u64>,
}

/// A folder's state after a [`Mailbox::sync`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxView {
    /// UIDVALIDITY.
    pub uid_validity: u32,
    /// The UID the next message will get (IMAP's UIDNEXT).
    pub uid_next: u32,
    /// The mailbox GUID from the uidlist header.
    pub guid: Option<String>,
    /// The messages, by ascending UID.
    pub messages: Vec<MessageInfo>,
}

impl MailboxView {
    /// The message with `uid`.
    pub fn get(&self, uid: u32) -> Option<&MessageInfo> {
        self.messages
            .binary_search_by_key(&uid, |m| m.uid)
            .ok()
            .map(|i| &self.messages[i])
    }
}

/// The result of a delivery or copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The UID the message got.
    pub uid: u32,
    /// The folder's UIDVALIDITY.
    pub uid_validity: u32,
    /// The base name.
    pub base: String,
    /// The file name (in `new/`, or in `cur/` when delivered with flags).
    pub file_name: String,
    /// Size in bytes.
    pub size: u64,
    /// Size with CRLF line endings, when known.
    pub vsize: Option<u64>,
}

/// The result of [`Mailbox::deliver_unnumbered`]: a durable message that
/// gets its UID at the folder's next sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The base name.
    pub base: String,
    /// The file name (in `new/`, or in `cur/` when delivered with flags).
    pub file_name: String,
    /// Size in bytes.
    pub size: u64,
    /// Size with CRLF line endings.
    pub vsize: u64,
}

/// A message file just linked out of `tmp/`.
struct Linked {
    dir: PathBuf,
    base: String,
    file_name: String,
    in_new: bool,
}

#[derive(Debug, Clone)]
struct Found {
    file: String,
    in_new: bool,
}

#[derive(Debug, Clone)]
struct Entry {
    base: String,
    found: Found,
}

#[derive(Debug, Default)]
struct Cache {
    synced: bool,
    by_uid: BTreeMap<u32, Entry>,
    keywords: Keywords,
}

/// A handle on one folder (INBOX or a Maildir++ folder).
///
/// It caches the UID ↔ file mapping of the last [`sync`](Self::sync), so
/// that flag changes, expunges and reads need no directory scan; when a file
/// was renamed or removed behind its back it rescans once and retries.
/// All methods take `&self` and may be called from several threads; changes
/// to `dovecot-uidlist` are made under Dovecot's dotlock, so other handles,
/// processes and Dovecot itself can work on the same folder at once.
#[derive(Debug)]
pub struct Mailbox {
    name: String,
    dir: PathBuf,
    shared: Arc<Shared>,
    cache: Mutex<Cache>,
    #[cfg(test)]
    pub(crate) write_budget: std::sync::atomic::AtomicU64,
}

impl Mailbox {
    pub(crate) fn new(name: String, dir: PathBuf, shared: Arc<Shared>) -> Result<Self> {
        for sub in ["cur", "new", "tmp"] {
            if !dir.join(sub).is_dir() {
                return Err(Error::NotAMaildir {
                    path: dir,
                    missing: sub,
                });
            }
        }
        Ok(Self {
            name,
            dir,
            shared,
            cache: Mutex::new(Cache::default()),
            #[cfg(test)]
            write_budget: std::sync::atomic::AtomicU64::new(u64::MAX),
        })
    }

    /// The folder name (`INBOX`, `Archive.2026`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The folder's directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn cache(&self) -> MutexGuard<'_, Cache> {
        // A panic elsewhere cannot leave the cache inconsistent with the
        // disk in a harmful way: the next sync rebuilds it.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Brings the uidlist up to date with `new/` and `cur/` and returns the
    /// folder's state.
    ///
    /// Reads only `dovecot-uidlist`, `dovecot-keywords` and the two directory
    /// listings, never a message file. New files get UIDs in delivery order,
    /// vanished files are dropped, renamed files (flag changes by someone
    /// else) are matched by base name. The uidlist is only rewritten (under
    /// its lock) when something was added or removed.
    pub fn sync(&self) -> Result<MailboxView> {
        let mut cache = self.cache();
        self.sync_locked(&mut cache)
    }

    fn sync_locked(&self, cache: &mut Cache) -> Result<MailboxView> {
        let (list, files) = self.sync_uidlist()?;
        let keywords = Keywords::load(&self.dir)?;
        let mut messages = Vec::with_capacity(list.records.len());
        cache.by_uid.clear();
        for record in list.records {
            let Some(found) = files.get(&record.base) else {
                continue;
            };
            messages.push(self.info(&record, found, &keywords));
            cache.by_uid.insert(
                record.uid,
                Entry {
                    base: record.base,
                    found: found.clone(),
                },
            );
        }
        cache.keywords = keywords;
        cache.synced = true;
        Ok(MailboxView {
            uid_validity: list.uid_validity,
            uid_next: list.next_uid,
            guid: list.guid,
            messages,
        })
    }

    fn info(&self, record: &Record, found: &Found, keywords: &Keywords) -> MessageInfo {
        let (size, vsize) = filename::sizes(&record.base);
        let ext = |k| record.extension(k).and_then(|v| v.parse().ok());
        let size = size.or_else(|| ext('S')).unwrap_or_else(|| {
            fs::metadata(self.file_path(found))
                .map(|m| m.len())
                .unwrap_or(0)
        });
        let (flags, bits) = filename::split(&found.file)
            .1
            .map(parse_info)
            .unwrap_or_default();
        MessageInfo {
            uid: record.uid,
            base: record.base.clone(),
            file_name: found.file.clone(),
            in_new: found.in_new,
            flags,
            keywords: keywords.names(bits),
            size,
            vsize: vsize.or_else(|| ext('W')),
        }
    }

    fn file_path(&self, found: &Found) -> PathBuf {
        self.dir
            .join(if found.in_new { "new" } else { "cur" })
            .join(&found.file)
    }

    /// Lists `new/` then `cur/`: a file moved from new/ to cur/ meanwhile is
    /// then seen at least once.
    fn scan(&self) -> Result<HashMap<String, Found>> {
        let mut files = HashMap::new();
        for (sub, in_new) in [("new", true), ("cur", false)] {
            for file in list_names(&self.dir.join(sub))? {
                let base = filename::split(&file).0.to_owned();
                files.insert(base, Found { file, in_new });
            }
        }
        Ok(files)
    }

    fn read_uidlist(&self) -> Result<Option<Loaded>> {
        uidlist_file::load(&self.dir.join(UIDLIST))
    }

    /// With the uidlist lock held: appends `records` when the file can take
    /// them, else rewrites it whole from `list`.
    fn write_uidlist(&self, list: &Uidlist, added: &[Record], append: bool) -> Result<()> {
        let fsync = self.shared.options.fsync;
        if append {
            if added.is_empty() {
                return Ok(());
            }
            return uidlist_file::append(&self.dir.join(UIDLIST), added, fsync);
        }
        uidlist_file::rewrite(&self.dir, UIDLIST, list, fsync)
    }

    fn lock_uidlist(&self) -> Result<DotLock> {
        DotLock::acquire(
            &self.dir.join(UIDLIST),
            &self.shared.raw_host,
            self.shared.options.lock,
        )
    }

    fn sync_uidlist(&self) -> Result<(Uidlist, HashMap<String, Found>)> {
        let files = self.scan()?;
        if let Some(Loaded { list, .. }) = self.read_uidlist()? {
            let complete = list.records.len() == files.len()
                && list.records.iter().all(|r| files.contains_key(&r.base));
            if complete {
                return Ok((list, files));
            }
        }
        let _lock = self.lock_uidlist()?;
        let mut files = self.scan()?;
        let (mut list, appendable) = match self.read_uidlist()? {
            Some(Loaded { list, appendable }) => (list, appendable),
            None => (self.new_uidlist()?, false),
        };
        if list.records.iter().any(|r| !files.contains_key(&r.base)) {
            // A rename racing with readdir can hide a file from one listing;
            // only drop records that two listings agree are gone.
            files.extend(self.scan()?);
        }
        let read = list.records.len();
        list.records.retain(|r| files.contains_key(&r.base));
        // Dropping records needs a rewrite. Unlike Dovecot, which keeps up
        // to a quarter of stale records, we drop them at once: without an
        // index to tell a stale record from a file that one listing missed,
        // every later sync would have to list the folder twice.
        let append = appendable && list.records.len() == read;
        let known: std::collections::HashSet<&str> =
            list.records.iter().map(|r| r.base.as_str()).collect();
        let mut fresh: Vec<&String> = files
            .keys()
            .filter(|b| !known.contains(b.as_str()))
            .collect();
        fresh.sort_by_key(|b| delivery_order_key(b));
        let fresh: Vec<String> = fresh.into_iter().cloned().collect();
        let kept = list.records.len();
        for base in fresh {
            self.append_record(&mut list, base)?;
        }
        self.write_uidlist(&list, &list.records[kept..], append)?;
        Ok((list, files))
    }

    /// `uid` unless it is the last one, which IMAP cannot hand out.
    fn usable_uid(&self, uid: u32) -> Result<u32> {
        if uid == u32::MAX {
            return Err(Error::UidsExhausted {
                path: self.dir.join(UIDLIST),
            });
        }
        Ok(uid)
    }

    fn append_record(&self, list: &mut Uidlist, base: String) -> Result<u32> {
        let uid = self.usable_uid(list.next_uid)?;
        list.records.push(Record {
            uid,
            extensions: Vec::new(),
            base,
        });
        list.next_uid = uid + 1;
        Ok(uid)
    }

    /// A new uidlist with a fresh UIDVALIDITY: the current time, or one more
    /// than the last value handed out in this Maildir (`dovecot-uidvalidity`,
    /// in hex, shared with Dovecot), whichever is larger.
    fn new_uidlist(&self) -> Result<Uidlist> {
        let root = &self.shared.root;
        let path = root.join(UIDVALIDITY_FILE);
        let last = read_optional(&path)?
            .and_then(|t| u32::from_str_radix(t.trim(), 16).ok())
            .unwrap_or(0);
        let now = SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
            .unwrap_or(1);
        let validity = now.max(last.wrapping_add(1)).max(1);
        // Best effort: a lost update only risks reusing a value in another folder.
        let _ = replace_file(
            root,
            UIDVALIDITY_FILE,
            format!("{validity:08x}").as_bytes(),
            false,
        );
        let mut guid = [0u8; 16];
        let guid = getrandom::fill(&mut guid)
            .ok()
            .map(|()| guid.iter().map(|b| format!("{b:02x}")).collect());
        Ok(Uidlist::new(validity, guid))
    }

    /// Updates the cached locations of known messages from a fresh listing.
    fn refresh_locations(&self, cache: &mut Cache) -> Result<()> {
        let files = self.scan()?;
        cache
            .by_uid
            .retain(|_, entry| match files.get(&entry.base) {
                Some(found) => {
                    entry.found = found.clone();
                    true
                }
                None => false,
            });
        Ok(())
    }

    /// The cache with a sync done at least once.
    fn synced_cache(&self) -> Result<MutexGuard<'_, Cache>> {
        let mut cache = self.cache();
        if !cache.synced {
            self.sync_locked(&mut cache)?;
        }
        Ok(cache)
    }

    /// Runs `op` on the message's current path; when the file is gone
    /// (renamed or removed by someone else) rescans and retries.
    fn with_file<T>(
        &self,
        cache: &mut Cache,
        uid: u32,
        mut op: impl FnMut(&Entry, &Path) -> io::Result<T>,
    ) -> Result<T> {
        for attempt in 0..RETRIES {
            let entry = cache.by_uid.get(&uid).ok_or(Error::NoSuchMessage { uid })?;
            let path = self.file_path(&entry.found);
            match op(entry, &path) {
                Ok(v) => return Ok(v),
                Err(e) if e.kind() == io::ErrorKind::NotFound && attempt + 1 < RETRIES => {
                    self.refresh_locations(cache)?;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(Error::NoSuchMessage { uid });
                }
                Err(e) => return Err(io_err("access", path)(e)),
            }
        }
        Err(Error::NoSuchMessage { uid })
    }

    /// Opens a message for reading.
    pub fn open_message(&self, uid: u32) -> Result<File> {
        let mut cache = self.synced_cache()?;
        self.with_file(&mut cache, uid, |_, path| File::open(path))
    }

    /// The modification time of the message's file: its IMAP INTERNALDATE,
    /// as Dovecot reads it (renames for flag changes keep it).
    pub fn internal_date(&self, uid: u32) -> Result<SystemTime> {
        let mut cache = self.synced_cache()?;
        self.with_file(&mut cache, uid, |_, path| fs::metadata(path)?.modified())
    }

    /// The message's size with every bare LF counted as CRLF (IMAP's
    /// RFC822.SIZE), counted by reading the file: for messages whose name
    /// carries no `W=`.
    pub fn crlf_size(&self, uid: u32) -> Result<u64> {
        let mut cache = self.synced_cache()?;
        self.with_file(&mut cache, uid, |_, path| {
            copy_counting(File::open(path)?, io::sink()).map(|(_, vsize)| vsize)
        })
    }

    /// Replaces the flags and keywords of a message by renaming its file
    /// into `cur/` with the new info. New keywords are added to
    /// `dovecot-keywords`. Like Dovecot, flag changes are not fsynced.
    pub fn set_flags(&self, uid: u32, flags: Flags, keywords: &[&str]) -> Result<MessageInfo> {
        let (table, bits) = self.keyword_store().resolve(keywords)?;
        let mut cache = self.synced_cache()?;
        cache.keywords = table;
        let info = format_info(flags, bits);
        let cur = self.dir.join("cur");
        let new_found = self.with_file(&mut cache, uid, |entry, path| {
            let file = format!("{}:{info}", entry.base);
            let found = Found {
                file,
                in_new: false,
            };
            if found.file != entry.found.file || entry.found.in_new {
                fs::rename(path, cur.join(&found.file))?;
            }
            Ok(found)
        })?;
        let entry = cache
            .by_uid
            .get_mut(&uid)
            .ok_or(Error::NoSuchMessage { uid })?;
        entry.found = new_found;
        let record = Record {
            uid,
            extensions: Vec::new(),
            base: entry.base.clone(),
        };
        let found = entry.found.clone();
        Ok(self.info(&record, &found, &cache.keywords))
    }

    /// Moves every message still in `new/` to `cur/` (what Dovecot does when
    /// a client opens the folder) and returns their UIDs.
    pub fn claim_recent(&self) -> Result<Vec<u32>> {
        let mut cache = self.synced_cache()?;
        let recent: Vec<u32> = cache
            .by_uid
            .iter()
            .filter(|(_, e)| e.found.in_new)
            .map(|(uid, _)| *uid)
            .collect();
        let cur = self.dir.join("cur");
        let mut moved = Vec::with_capacity(recent.len());
        for uid in recent {
            let result = self.with_file(&mut cache, uid, |entry, path| {
                if !entry.found.in_new {
                    return Ok(entry.found.clone());
                }
                let file = match filename::split(&entry.found.file).1 {
                    Some(_) => entry.found.file.clone(),
                    None => format!("{}:2,", entry.base),
                };
                fs::rename(path, cur.join(&file))?;
                Ok(Found {
                    file,
                    in_new: false,
                })
            });
            match result {
                Ok(found) => {
                    if let Some(e) = cache.by_uid.get_mut(&uid) {
                        e.found = found;
                    }
                    moved.push(uid);
                }
                Err(Error::NoSuchMessage { .. }) => {} // expunged meanwhile
                Err(e) => return Err(e),
            }
        }
        Ok(moved)
    }

    /// Removes a message. Its uidlist record goes at the next sync.
    pub fn expunge(&self, uid: u32) -> Result<()> {
        let mut cache = self.synced_cache()?;
        let size = self.with_file(&mut cache, uid, |entry, path| {
            let size = match filename::sizes(&entry.base).0 {
                Some(s) => s,
                None => fs::metadata(path)?.len(),
            };
            fs::remove_file(path)?;
            Ok(size)
        })?;
        cache.by_uid.remove(&uid);
        drop(cache);
        let bytes = i64::try_from(size).unwrap_or(i64::MAX);
        quota::record(&self.shared.root, -bytes, -1)
    }

    fn keyword_store(&self) -> KeywordStore<'_> {
        KeywordStore {
            dir: &self.dir,
            host: &self.shared.raw_host,
            lock: self.shared.options.lock,
            fsync: self.shared.options.fsync,
        }
    }

    /// Delivers a message read from `reader`.
    ///
    /// The message is streamed into `tmp/` (counting its size and CRLF
    /// size on the way), fsynced, checked against the quota, hard-linked into
    /// `new/` (or `cur/` with flags) under a unique name, the directory is
    /// fsynced and the message gets the next UID in `dovecot-uidlist`, all
    /// before this returns `Ok`. On any error nothing is left visible: the
    /// temporary file is removed, and a linked file whose UID could not be
    /// recorded is unlinked again while the uidlist lock is still held.
    pub fn deliver<R: Read>(&self, reader: R, options: &DeliveryOptions) -> Result<Delivered> {
        self.deliver_inner(reader, options, None)
    }

    /// Delivers a message the way Maildir delivery agents always have
    /// (Dovecot's LDA, procmail): streamed into `tmp/` and fsynced, checked
    /// against the quota, hard-linked into `new/` (or `cur/` with flags),
    /// and the directory fsynced before this returns `Ok`. It takes no lock
    /// and leaves `dovecot-uidlist` alone: the message gets its UID at the
    /// folder's next [`sync`](Self::sync), by us or by Dovecot.
    ///
    /// Compared with [`deliver`](Self::deliver) this saves the uidlist lock
    /// and the uidlist's `fdatasync`, both serialised per folder, so that
    /// concurrent deliveries into one folder share their fsyncs. Use it when
    /// nobody needs the UID at once (mail delivery); IMAP APPEND needs it.
    pub fn deliver_unnumbered<R: Read>(
        &self,
        reader: R,
        options: &DeliveryOptions,
    ) -> Result<Stored> {
        self.through_tmp(reader, options, None, |tmp_path, sized, bits| {
            self.commit_unnumbered(tmp_path, sized, options, bits)
        })
    }

    /// Links a finished `tmp/` file into the folder and fsyncs the directory, without
    /// a UID.
    fn commit_unnumbered(
        &self,
        tmp_path: &Path,
        (tmp_base, size, vsize): &(String, u64, u64),
        options: &DeliveryOptions,
        bits: KeywordBits,
    ) -> Result<Stored> {
        let linked = self.link_unique(tmp_path, tmp_base, *size, *vsize, options.flags, bits)?;
        if options.fsync
            && let Err(e) = fsync_dir(&linked.dir)
        {
            // Not durable, so not delivered: the sender will retry. A sync
            // that numbered it meanwhile drops the record at its next pass.
            let _ = fs::remove_file(linked.dir.join(&linked.file_name));
            return Err(e);
        }
        Ok(Stored {
            base: linked.base,
            file_name: linked.file_name,
            size: *size,
            vsize: *vsize,
        })
    }

    fn keyword_bits(&self, keywords: &[String]) -> Result<KeywordBits> {
        if keywords.is_empty() {
            return Ok(KeywordBits::default());
        }
        let names: Vec<&str> = keywords.iter().map(String::as_str).collect();
        Ok(self.keyword_store().resolve(&names)?.1)
    }

    /// Like [`deliver`](Self::deliver), with the file's modification time
    /// set to `internal_date`: Dovecot (and IMAP servers on Maildir in
    /// general) read it as the message's INTERNALDATE, so APPEND with a
    /// date argument stores it this way.
    pub fn deliver_dated<R: Read>(
        &self,
        reader: R,
        options: &DeliveryOptions,
        internal_date: SystemTime,
    ) -> Result<Delivered> {
        self.deliver_inner(reader, options, Some(internal_date))
    }

    fn deliver_inner<R: Read>(
        &self,
        reader: R,
        options: &DeliveryOptions,
        internal_date: Option<SystemTime>,
    ) -> Result<Delivered> {
        self.through_tmp(reader, options, internal_date, |tmp_path, sized, bits| {
            self.commit_tmp(tmp_path, sized, options, bits)
        })
    }

    /// The steps every delivery shares: the quota check, the keywords' letters, the
    /// message streamed into a fsynced `tmp/` file and checked against the quota with
    /// its size, `commit` (which links it into the folder), the `tmp/` name removed, and
    /// the quota usage recorded.
    fn through_tmp<R: Read, T>(
        &self,
        reader: R,
        options: &DeliveryOptions,
        internal_date: Option<SystemTime>,
        commit: impl FnOnce(&Path, &(String, u64, u64), KeywordBits) -> Result<T>,
    ) -> Result<T> {
        let root = &self.shared.root;
        quota::check(root, 0, options.fsync)?;
        let bits = self.keyword_bits(&options.keywords)?;
        let (tmp_path, sized) = self.create_tmp_file(reader, options.fsync, internal_date)?;
        let result = quota::check(root, sized.1, options.fsync)
            .and_then(|()| commit(&tmp_path, &sized, bits));
        let _ = fs::remove_file(&tmp_path);
        let committed = result?;
        // The message is safely delivered; a failed quota append only makes
        // the count drift until the next recalculation.
        let _ = quota::record(root, i64::try_from(sized.1).unwrap_or(i64::MAX), 1);
        Ok(committed)
    }

    fn create_tmp_file<R: Read>(
        &self,
        reader: R,
        fsync: bool,
        internal_date: Option<SystemTime>,
    ) -> Result<(PathBuf, (String, u64, u64))> {
        let tmp_dir = self.dir.join("tmp");
        let (path, file, base) = loop {
            let base = unique_base(&self.shared.host);
            let path = tmp_dir.join(&base);
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(file) => break (path, file, base),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io_err("create", &path)(e)),
            }
        };
        let written = self.stream_into(reader, &file).and_then(|sizes| {
            if let Some(date) = internal_date {
                file.set_modified(date)
                    .map_err(io_err("set modification time", &path))?;
            }
            if fsync {
                file.sync_all().map_err(io_err("fsync", &path))?;
            }
            Ok(sizes)
        });
        match written {
            Ok((size, vsize)) => Ok((path, (base, size, vsize))),
            Err(e) => {
                drop(file);
                let _ = fs::remove_file(&path);
                Err(e)
            }
        }
    }

    #[cfg(not(test))]
    fn stream_into<R: Read>(&self, reader: R, file: &File) -> Result<(u64, u64)> {
        copy_counting(reader, file).map_err(|e| self.write_error(e))
    }

    #[cfg(test)]
    fn stream_into<R: Read>(&self, reader: R, file: &File) -> Result<(u64, u64)> {
        let budget = self.write_budget.load(std::sync::atomic::Ordering::Relaxed);
        let writer = crate::deliver::FailingWriter {
            inner: file,
            budget,
        };
        copy_counting(reader, writer).map_err(|e| self.write_error(e))
    }

    fn write_error(&self, source: io::Error) -> Error {
        Error::Io {
            op: "write message",
            path: self.dir.join("tmp"),
            source,
        }
    }

    fn commit_tmp(
        &self,
        tmp_path: &Path,
        (tmp_base, size, vsize): &(String, u64, u64),
        options: &DeliveryOptions,
        bits: KeywordBits,
    ) -> Result<Delivered> {
        let lock = self.lock_uidlist()?;
        let linked = self.link_unique(tmp_path, tmp_base, *size, *vsize, options.flags, bits)?;
        let (uid, uid_validity) =
            match self.record_new_uid(&linked.dir, &linked.base, options.fsync) {
                Ok(numbered) => numbered,
                Err(e) => {
                    // Nobody can have given it a UID: we still hold the lock.
                    let _ = fs::remove_file(linked.dir.join(&linked.file_name));
                    return Err(e);
                }
            };
        // Released before the cache is taken: a sync holds the cache while it waits for
        // the lock, so taking them in the other order deadlocks against it.
        drop(lock);
        self.remember(uid, &linked);
        Ok(Delivered {
            uid,
            uid_validity,
            base: linked.base,
            file_name: linked.file_name,
            size: *size,
            vsize: Some(*vsize),
        })
    }

    /// Adds a message this handle has just numbered to its cache, if the cache is filled.
    fn remember(&self, uid: u32, linked: &Linked) {
        let mut cache = self.cache();
        if cache.synced {
            let found = Found {
                file: linked.file_name.clone(),
                in_new: linked.in_new,
            };
            let base = linked.base.clone();
            cache.by_uid.insert(uid, Entry { base, found });
        }
    }

    /// Hard-links the finished `tmp/` file into `new/` (or, with flags or
    /// keywords, `cur/`) under its base name with sizes, choosing a fresh
    /// base while the name is taken.
    fn link_unique(
        &self,
        tmp_path: &Path,
        tmp_base: &str,
        size: u64,
        vsize: u64,
        flags: Flags,
        bits: KeywordBits,
    ) -> Result<Linked> {
        let in_new = flags.is_empty() && bits == KeywordBits::default();
        let dir = self.dir.join(if in_new { "new" } else { "cur" });
        let mut base = with_sizes(tmp_base, size, vsize);
        loop {
            let file_name = if in_new {
                base.clone()
            } else {
                format!("{base}:{}", format_info(flags, bits))
            };
            match fs::hard_link(tmp_path, dir.join(&file_name)) {
                Ok(()) => {
                    return Ok(Linked {
                        dir,
                        base,
                        file_name,
                        in_new,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    base = with_sizes(&unique_base(&self.shared.host), size, vsize);
                }
                Err(e) => return Err(io_err("link", dir.join(&file_name))(e)),
            }
        }
    }

    /// With the uidlist lock held: makes the link durable and gives `base`
    /// the next UID, durably when `fsync` is set. Usually that appends one
    /// line after reading only the first and last lines of the uidlist;
    /// otherwise (no uidlist yet, version 1, a cut-short last line) the file
    /// is read and rewritten whole.
    fn record_new_uid(&self, dest_dir: &Path, base: &str, fsync: bool) -> Result<(u32, u32)> {
        if fsync {
            fsync_dir(dest_dir)?;
        }
        let path = self.dir.join(UIDLIST);
        if let Some(point) = uidlist_file::append_point(&path)? {
            let record = Record {
                uid: self.usable_uid(point.next_uid)?,
                extensions: Vec::new(),
                base: base.to_owned(),
            };
            uidlist_file::append(&path, std::slice::from_ref(&record), fsync)?;
            return Ok((record.uid, point.uid_validity));
        }
        let mut list = match self.read_uidlist()? {
            Some(loaded) => loaded.list,
            None => self.new_uidlist()?,
        };
        let uid = self.append_record(&mut list, base.to_owned())?;
        uidlist_file::rewrite(&self.dir, UIDLIST, &list, fsync)?;
        Ok((uid, list.uid_validity))
    }

    /// Copies a message to `target` (another folder, or this one) by hard
    /// link under a new unique name, keeping flags and keywords; it gets the
    /// next UID there.
    pub fn copy(&self, uid: u32, target: &Self) -> Result<Delivered> {
        // Read what we need and release our cache before touching the
        // target, which may be this very folder.
        let (src_path, base, flags, keyword_names) = {
            let mut cache = self.synced_cache()?;
            let found = self.with_file(&mut cache, uid, |entry, path| {
                fs::symlink_metadata(path)?;
                Ok(entry.clone())
            })?;
            let (flags, bits) = filename::split(&found.found.file)
                .1
                .map(parse_info)
                .unwrap_or_default();
            (
                self.file_path(&found.found),
                found.base,
                flags,
                cache.keywords.names(bits),
            )
        };
        let names: Vec<&str> = keyword_names.iter().map(String::as_str).collect();
        let bits = if names.is_empty() {
            KeywordBits::default()
        } else {
            target.keyword_store().resolve(&names)?.1
        };
        let (size, vsize) = match filename::sizes(&base) {
            (Some(s), w) => (s, w),
            (None, w) => (
                fs::metadata(&src_path)
                    .map_err(io_err("stat", &src_path))?
                    .len(),
                w,
            ),
        };
        let root = &target.shared.root;
        let options = DeliveryOptions {
            fsync: self.shared.options.fsync,
            flags,
            keywords: keyword_names,
        };
        let tmp_base = match vsize {
            Some(_) => unique_base(&target.shared.host),
            None => format!("{},S={size}", unique_base(&target.shared.host)),
        };
        quota::check(root, size, options.fsync)?;
        let delivered = match vsize {
            Some(v) => target.commit_tmp(&src_path, &(tmp_base, size, v), &options, bits),
            None => target.commit_link_without_vsize(&src_path, &tmp_base, size, &options, bits),
        };
        let delivered = match delivered {
            Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                Err(Error::NoSuchMessage { uid })
            }
            other => other,
        }?;
        let _ = quota::record(root, i64::try_from(size).unwrap_or(i64::MAX), 1);
        Ok(delivered)
    }

    /// Like `commit_tmp` for a source whose CRLF size is unknown: the new
    /// name carries only `S=`.
    fn commit_link_without_vsize(
        &self,
        src: &Path,
        base: &str,
        size: u64,
        options: &DeliveryOptions,
        bits: KeywordBits,
    ) -> Result<Delivered> {
        let lock = self.lock_uidlist()?;
        let file_name = format!("{base}:{}", format_info(options.flags, bits));
        let dest_dir = self.dir.join("cur");
        let dest = dest_dir.join(&file_name);
        fs::hard_link(src, &dest).map_err(io_err("link", &dest))?;
        let (uid, uid_validity) = match self.record_new_uid(&dest_dir, base, options.fsync) {
            Ok(numbered) => numbered,
            Err(e) => {
                let _ = fs::remove_file(&dest);
                return Err(e);
            }
        };
        drop(lock); // before the cache: see `commit_tmp`
        let linked = Linked {
            dir: dest_dir,
            base: base.to_owned(),
            file_name,
            in_new: false,
        };
        self.remember(uid, &linked);
        Ok(Delivered {
            uid,
            uid_validity,
            base: linked.base,
            file_name: linked.file_name,
            size,
            vsize: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maildir::{Maildir, Options};
    use std::sync::atomic::Ordering;

    #[test]
    fn full_disk_mid_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Maildir::create_with(dir.path(), Options::default()).unwrap();
        let inbox = store.inbox().unwrap();
        inbox.write_budget.store(70_000, Ordering::Relaxed);
        let body = vec![b'x'; 200_000];
        let e = inbox
            .deliver(&body[..], &DeliveryOptions::default())
            .unwrap_err();
        match e {
            Error::Io {
                op: "write message",
                source,
                ..
            } => assert_eq!(source.raw_os_error(), Some(28)),
            other => panic!("{other:?}"),
        }
        for sub in ["tmp", "new", "cur"] {
            assert_eq!(
                fs::read_dir(dir.path().join(sub)).unwrap().count(),
                0,
                "{sub}"
            );
        }
        assert!(!dir.path().join(UIDLIST).exists());
        // With room again, the same delivery works and gets UID 1.
        inbox.write_budget.store(u64::MAX, Ordering::Relaxed);
        assert_eq!(
            inbox
                .deliver(&body[..], &DeliveryOptions::default())
                .unwrap()
                .uid,
            1
        );
    }

    #[test]
    fn dated_delivery_sets_the_internal_date() {
        let dir = tempfile::tempdir().unwrap();
        let store = Maildir::create_with(dir.path(), Options::default()).unwrap();
        let inbox = store.inbox().unwrap();
        let date = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        let options = DeliveryOptions {
            flags: Flags::empty().with(crate::Flag::Seen),
            ..DeliveryOptions::default()
        };
        let d = inbox
            .deliver_dated(&b"a\nb\r\n"[..], &options, date)
            .unwrap();
        assert_eq!(inbox.internal_date(d.uid).unwrap(), date);
        // A flag change renames the file and keeps the date.
        inbox.set_flags(d.uid, Flags::empty(), &["x"]).unwrap();
        assert_eq!(inbox.internal_date(d.uid).unwrap(), date);
        assert_eq!(inbox.crlf_size(d.uid).unwrap(), 6);
        // Undated deliveries get the current time.
        let now = inbox.deliver(&b"c\n"[..], &options).unwrap();
        let age = SystemTime::now()
            .duration_since(inbox.internal_date(now.uid).unwrap())
            .unwrap_or_default();
        assert!(age.as_secs() < 60);
        assert!(matches!(
            inbox.internal_date(99),
            Err(Error::NoSuchMessage { uid: 99 })
        ));
        assert!(matches!(
            inbox.crlf_size(99),
            Err(Error::NoSuchMessage { uid: 99 })
        ));
    }

    #[test]
    fn uids_are_not_reused_after_the_folder_was_emptied() {
        let dir = tempfile::tempdir().unwrap();
        let store = Maildir::create_with(dir.path(), Options::default()).unwrap();
        let inbox = store.inbox().unwrap();
        let options = DeliveryOptions::default();
        for _ in 0..2 {
            inbox.deliver(&b"x\n"[..], &options).unwrap();
        }
        inbox.expunge(1).unwrap();
        inbox.expunge(2).unwrap();
        // The sync drops both records: the uidlist is a header only.
        assert!(inbox.sync().unwrap().messages.is_empty());
        let uids: Vec<u32> = (0..3)
            .map(|_| inbox.deliver(&b"y\n"[..], &options).unwrap().uid)
            .collect();
        assert_eq!(uids, [3, 4, 5]);
        let view = inbox.sync().unwrap();
        assert_eq!(
            view.messages.iter().map(|m| m.uid).collect::<Vec<_>>(),
            [3, 4, 5]
        );
    }

    #[test]
    fn failed_uidlist_write_unlinks_the_message() {
        let dir = tempfile::tempdir().unwrap();
        let store = Maildir::create_with(dir.path(), Options::default()).unwrap();
        let inbox = store.inbox().unwrap();
        inbox
            .deliver(&b"one\n"[..], &DeliveryOptions::default())
            .unwrap();
        // Make the uidlist unreadable for the next writer: a corrupt line.
        let path = dir.path().join(UIDLIST);
        let mut text = fs::read_to_string(&path).unwrap();
        text.push_str("garbage\n");
        fs::write(&path, text).unwrap();
        assert!(matches!(
            inbox.deliver(&b"two\n"[..], &DeliveryOptions::default()),
            Err(Error::CorruptUidlist { .. })
        ));
        assert_eq!(fs::read_dir(dir.path().join("new")).unwrap().count(), 1);
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    }
}
