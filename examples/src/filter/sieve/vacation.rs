//! Vacation response tracking (RFC 5230 section 4.2) in a file in the user's home,
//! `<home>/.postroom.vacation`: which response went to which sender, and until when
//! another is not due.
//!
//! The file is read before a run and written after it only if the run recorded a
//! response. Writing is crash-safe: a temporary file next to it is written, synced and
//! renamed over it, and the directory synced. It is bounded: expired entries are
//! dropped, and of the rest the [`MAX_ENTRIES`] most recent are kept (RFC 5230 asks to
//! remember at least 1000). The caller serialises the runs of one user (a lock per
//! home), so no update is lost between concurrent deliveries.
//!
//! Format: a first line `postroom-vacation 1`, then one line per response:
//! `SENT<TAB>UNTIL<TAB>HANDLE<TAB>SENDER` (Unix seconds; `\`, tab, CR and LF escaped).

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use ::sieve::VacationStore;

/// The file, relative to the user's home.
pub(crate) const VACATION_FILE: &str = ".postroom.vacation";

/// Most responses remembered per user.
pub(crate) const MAX_ENTRIES: usize = 1000;

/// Largest file read (a full one is about 200 KB).
const MAX_FILE: u64 = 4 << 20;

const HEADER: &str = "postroom-vacation 1";

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    sent: u64,
    until: u64,
    handle: String,
    sender: String,
}

/// The responses of one user, loaded from and saved to their file.
#[derive(Debug)]
pub(super) struct FileVacationStore {
    path: PathBuf,
    now: u64,
    entries: Mutex<Vec<Entry>>,
    changed: AtomicBool,
}

impl FileVacationStore {
    /// Reads the file at `path` (none yet: no responses); `now` is the time in Unix
    /// seconds. Unreadable lines are skipped.
    pub(super) fn load(path: PathBuf, now: u64) -> Self {
        let mut text = String::new();
        let read = File::open(&path).and_then(|file| file.take(MAX_FILE).read_to_string(&mut text));
        if let Err(e) = read
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!("vacation: cannot read {}: {e}", path.display());
        }
        let mut lines = text.lines();
        let entries = if lines.next() == Some(HEADER) {
            lines.filter_map(parse_line).collect()
        } else {
            Vec::new()
        };
        Self {
            path,
            now,
            entries: Mutex::new(entries),
            changed: AtomicBool::new(false),
        }
    }

    /// Writes the file if a response was recorded since it was loaded.
    pub(super) fn save(&self) -> io::Result<()> {
        if !self.changed.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut entries = self.lock().clone();
        entries.retain(|e| e.until > self.now);
        entries.sort_by_key(|e| std::cmp::Reverse(e.sent));
        entries.truncate(MAX_ENTRIES);
        let mut text = format!("{HEADER}\n");
        for e in &entries {
            text.push_str(&format!(
                "{}\t{}\t{}\t{}\n",
                e.sent,
                e.until,
                escape(&e.handle),
                escape(&e.sender)
            ));
        }
        write_atomically(&self.path, text.as_bytes())
    }

    /// How many responses are remembered.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl VacationStore for FileVacationStore {
    fn seen_recently(&self, handle: &str, sender: &str, days: u32) -> bool {
        let period = u64::from(days).saturating_mul(86_400);
        self.lock().iter().any(|e| {
            e.handle == handle && e.sender == sender && self.now < e.sent.saturating_add(period)
        })
    }

    fn record(&self, handle: &str, sender: &str, days: u32) {
        let until = self
            .now
            .saturating_add(u64::from(days).saturating_mul(86_400));
        let mut entries = self.lock();
        entries.retain(|e| !(e.handle == handle && e.sender == sender));
        entries.push(Entry {
            sent: self.now,
            until,
            handle: handle.to_owned(),
            sender: sender.to_owned(),
        });
        self.changed.store(true, Ordering::Release);
    }
}

fn parse_line(line: &str) -> Option<Entry> {
    let mut parts = line.split('\t');
    let sent = parts.next()?.parse().ok()?;
    let until = parts.next()?.parse().ok()?;
    let handle = unescape(parts.next()?)?;
    let sender = unescape(parts.next()?)?;
    if parts.next().is_some() {
        return None;
    }
    Some(Entry {
        sent,
        until,
        handle,
        sender,
    })
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

fn unescape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            '\\' => '\\',
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            _ => return None,
        });
    }
    Some(out)
}

/// Replaces `path` with `data`: write a temporary file, sync it, rename it into
/// place, sync the directory.
fn write_atomically(path: &Path, data: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(data)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_persist_and_expire() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(VACATION_FILE);
        let store = FileVacationStore::load(path.clone(), 1_000_000);
        assert!(!store.seen_recently("h", "a@b", 7));
        store.record("h", "a@b", 7);
        store.record("odd\thandle\\\n", "c@d", 1);
        assert!(store.seen_recently("h", "a@b", 7));
        store.save().unwrap();

        let later = FileVacationStore::load(path.clone(), 1_000_000 + 6 * 86_400);
        assert_eq!(later.len(), 2);
        assert!(later.seen_recently("h", "a@b", 7));
        assert!(later.seen_recently("odd\thandle\\\n", "c@d", 7));
        assert!(!later.seen_recently("h", "c@d", 7));
        // Nothing recorded: nothing written.
        later.save().unwrap();

        let much_later = FileVacationStore::load(path.clone(), 1_000_000 + 8 * 86_400);
        assert!(!much_later.seen_recently("h", "a@b", 7));
        much_later.record("h", "e@f", 1);
        much_later.save().unwrap();
        // The expired entries are gone from the file.
        let reloaded = FileVacationStore::load(path, 1_000_000 + 8 * 86_400);
        assert_eq!(reloaded.len(), 1);
    }

    #[test]
    fn the_file_is_bounded_and_garbage_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(VACATION_FILE);
        let store = FileVacationStore::load(path.clone(), 5_000);
        for i in 0..MAX_ENTRIES + 50 {
            store.record("h", &format!("s{i}@x"), 7);
        }
        store.save().unwrap();
        let mut text = fs::read_to_string(&path).unwrap();
        text.push_str("not a line\n1\t2\tbad\\escape\tx\n");
        fs::write(&path, text).unwrap();
        let reloaded = FileVacationStore::load(path.clone(), 5_000);
        assert_eq!(reloaded.len(), MAX_ENTRIES);
        fs::write(&path, "something else\n1\t99999\th\ts@x\n").unwrap();
        assert_eq!(FileVacationStore::load(path, 5_000).len(), 0);
    }
}
