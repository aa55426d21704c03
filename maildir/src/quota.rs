//! Maildir++ quota: the `maildirsize` file in the Maildir root.
//!
//! The first line defines the quota (`1000000S,1000C`: bytes and messages;
//! either may be missing, and 0 means no limit, as Dovecot reads it). Each
//! following line is `<bytes> <messages>` to add (negative on expunge); the
//! usage is their sum. Every delivery appends a line with one `write`.
//! The file is recalculated from the folders' `cur/` and `new/` listings
//! (sizes from `S=` in the names) when it grows beyond 5120 bytes, and when a
//! delivery would go over quota while the file is older than 15 minutes, as
//! the Maildir++ specification asks.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::error::{Error, Result, io_err};
use crate::filename;
use crate::fsutil::{list_names, read_optional, replace_file};

pub(crate) const FILE_NAME: &str = "maildirsize";
const MAX_FILE_SIZE: u64 = 5120;
const STALE_AGE: Duration = Duration::from_secs(15 * 60);

/// Quota limits; `None` means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuotaLimits {
    /// Maximum total size in bytes (the `S` limit).
    pub bytes: Option<u64>,
    /// Maximum number of messages (the `C` limit).
    pub messages: Option<u64>,
}

impl QuotaLimits {
    /// Parses a definition such as `1000000S,1000C`.
    pub fn parse(definition: &str) -> Result<Self> {
        let invalid = || Error::InvalidQuota {
            definition: definition.to_owned(),
        };
        let mut limits = Self::default();
        for item in definition.split(',').filter(|i| !i.is_empty()) {
            let kind = item.chars().last().unwrap_or(' ');
            let number = &item[..item.len() - kind.len_utf8()];
            if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            let value: u64 = number.parse().map_err(|_| invalid())?;
            let value = (value > 0).then_some(value);
            match kind {
                'S' => limits.bytes = value,
                'C' => limits.messages = value,
                _ => return Err(invalid()),
            }
        }
        Ok(limits)
    }

    fn exceeded_by(self, bytes: u64, messages: u64) -> bool {
        self.bytes.is_some_and(|l| bytes > l) || self.messages.is_some_and(|l| messages > l)
    }
}

impl fmt::Display for QuotaLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(b) = self.bytes {
            parts.push(format!("{b}S"));
        }
        if let Some(c) = self.messages {
            parts.push(format!("{c}C"));
        }
        f.write_str(&parts.join(","))
    }
}

/// Limits and current usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaUsage {
    /// The limits from the first line.
    pub limits: QuotaLimits,
    /// Bytes in use.
    pub bytes: u64,
    /// Messages in use.
    pub messages: u64,
}

struct QuotaFile {
    usage: QuotaUsage,
    len: u64,
    modified: SystemTime,
}

fn read(root: &Path) -> Result<Option<QuotaFile>> {
    let path = root.join(FILE_NAME);
    let Some(text) = read_optional(&path)? else {
        return Ok(None);
    };
    let meta = fs::metadata(&path).map_err(io_err("stat", &path))?;
    let mut lines = text.lines();
    let limits = QuotaLimits::parse(lines.next().unwrap_or("").trim())?;
    let (mut bytes, mut messages) = (0i64, 0i64);
    for line in lines {
        let mut fields = line.split_whitespace();
        // A torn or garbled line only makes the file due for recalculation.
        let b = fields
            .next()
            .and_then(|f| f.parse::<i64>().ok())
            .unwrap_or(0);
        let m = fields
            .next()
            .and_then(|f| f.parse::<i64>().ok())
            .unwrap_or(0);
        bytes = bytes.saturating_add(b);
        messages = messages.saturating_add(m);
    }
    Ok(Some(QuotaFile {
        usage: QuotaUsage {
            limits,
            bytes: bytes.max(0) as u64,
            messages: messages.max(0) as u64,
        },
        len: meta.len(),
        modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
    }))
}

/// The usage, recalculating first when the file is too large.
pub(crate) fn usage(root: &Path, fsync: bool) -> Result<Option<QuotaUsage>> {
    let Some(file) = read(root)? else {
        return Ok(None);
    };
    if file.len > MAX_FILE_SIZE {
        return recalculate(root, file.usage.limits, fsync).map(Some);
    }
    Ok(Some(file.usage))
}

/// Refuses a delivery of `bytes` that would go over quota.
pub(crate) fn check(root: &Path, bytes: u64, fsync: bool) -> Result<()> {
    let Some(file) = read(root)? else {
        return Ok(());
    };
    let limits = file.usage.limits;
    let mut usage = file.usage;
    let over = |u: &QuotaUsage| limits.exceeded_by(u.bytes.saturating_add(bytes), u.messages + 1);
    let stale = SystemTime::now()
        .duration_since(file.modified)
        .unwrap_or_default()
        > STALE_AGE;
    if file.len > MAX_FILE_SIZE || (over(&usage) && stale) {
        usage = recalculate(root, limits, fsync)?;
    }
    if over(&usage) {
        return Err(Error::QuotaExceeded {
            limits,
            bytes: usage.bytes,
            messages: usage.messages,
        });
    }
    Ok(())
}

/// Appends a usage change; does nothing when there is no `maildirsize`.
pub(crate) fn record(root: &Path, bytes: i64, messages: i64) -> Result<()> {
    let path = root.join(FILE_NAME);
    let mut file = match OpenOptions::new().append(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err("open", &path)(e)),
    };
    let line = format!("{bytes} {messages}\n");
    file.write_all(line.as_bytes())
        .map_err(io_err("write", &path))
}

/// Writes a fresh `maildirsize` with `limits` and the usage counted from the
/// directory listings of INBOX and every folder.
pub(crate) fn recalculate(root: &Path, limits: QuotaLimits, fsync: bool) -> Result<QuotaUsage> {
    let mut usage = QuotaUsage {
        limits,
        bytes: 0,
        messages: 0,
    };
    let mut dirs = vec![root.to_owned()];
    for entry in fs::read_dir(root).map_err(io_err("read directory", root))? {
        let entry = entry.map_err(io_err("read directory", root))?;
        let name = entry.file_name();
        let is_folder = name
            .to_str()
            .is_some_and(|n| n.starts_with('.') && n.len() > 1 && n != "..");
        if is_folder && entry.file_type().is_ok_and(|t| t.is_dir()) {
            dirs.push(entry.path());
        }
    }
    for dir in dirs {
        for sub in ["new", "cur"] {
            let sub_dir = dir.join(sub);
            let names = match list_names(&sub_dir) {
                Ok(n) => n,
                // A folder being deleted or created right now.
                Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                    continue;
                }
                Err(e) => return Err(e),
            };
            for name in names {
                let size = match filename::sizes(filename::split(&name).0).0 {
                    Some(s) => s,
                    None => match fs::metadata(sub_dir.join(&name)) {
                        Ok(m) => m.len(),
                        Err(_) => continue, // expunged meanwhile
                    },
                };
                usage.bytes = usage.bytes.saturating_add(size);
                usage.messages += 1;
            }
        }
    }
    let text = format!("{limits}\n{} {}\n", usage.bytes, usage.messages);
    replace_file(root, FILE_NAME, text.as_bytes(), fsync)?;
    Ok(usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions() {
        let l = QuotaLimits::parse("1000000S,1000C").unwrap();
        assert_eq!((l.bytes, l.messages), (Some(1_000_000), Some(1000)));
        assert_eq!(l.to_string(), "1000000S,1000C");
        let l = QuotaLimits::parse("500S").unwrap();
        assert_eq!((l.bytes, l.messages), (Some(500), None));
        assert_eq!(QuotaLimits::parse("0S,0C").unwrap(), QuotaLimits::default());
        for bad in ["S", "10X", "10é", "1 0S", "-5S", "99999999999999999999999S"] {
            assert!(
                matches!(QuotaLimits::parse(bad), Err(Error::InvalidQuota { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn sums_lines_and_recalculates_when_large() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for sub in ["cur", "new", "tmp", ".A/cur", ".A/new"] {
            fs::create_dir_all(root.join(sub)).unwrap();
        }
        fs::write(root.join("cur/1.M1P1.h,S=100,W=104:2,S"), "x").unwrap();
        fs::write(root.join(".A/new/2.M1P1.h,S=50"), "y").unwrap();
        fs::write(root.join("new/3.M1P1.h"), "12345").unwrap(); // no S=: stat
        fs::write(root.join(FILE_NAME), "1000S,10C\n 100 1\n200 2\n-50 -1\n").unwrap();
        let u = usage(root, false).unwrap().unwrap();
        assert_eq!((u.bytes, u.messages), (250, 2));
        record(root, 10, 1).unwrap();
        assert_eq!(usage(root, false).unwrap().unwrap().bytes, 260);
        // Grow past 5120 bytes: the next read recalculates from the listings.
        let mut text = fs::read_to_string(root.join(FILE_NAME)).unwrap();
        while text.len() <= 5120 {
            text.push_str("1 0\n");
        }
        fs::write(root.join(FILE_NAME), text).unwrap();
        let u = usage(root, false).unwrap().unwrap();
        assert_eq!((u.bytes, u.messages), (155, 3));
        assert_eq!(
            fs::read_to_string(root.join(FILE_NAME)).unwrap(),
            "1000S,10C\n155 3\n"
        );
    }

    #[test]
    fn check_refuses_over_quota_and_recalculates_stale() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir_all(root.join(sub)).unwrap();
        }
        assert!(
            check(root, 1 << 40, false).is_ok(),
            "no maildirsize: no quota"
        );
        fs::write(root.join(FILE_NAME), "1000S\n900 9\n").unwrap();
        assert!(check(root, 100, false).is_ok());
        let e = check(root, 101, false).unwrap_err();
        assert!(
            matches!(
                e,
                Error::QuotaExceeded {
                    bytes: 900,
                    messages: 9,
                    ..
                }
            ),
            "{e}"
        );
        // The same file, 20 minutes old: recalculated (the folder is empty).
        let old = SystemTime::now() - Duration::from_secs(20 * 60);
        fs::File::options()
            .write(true)
            .open(root.join(FILE_NAME))
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert!(check(root, 101, false).is_ok());
        assert_eq!(
            fs::read_to_string(root.join(FILE_NAME)).unwrap(),
            "1000S\n0 0\n"
        );
    }
}
