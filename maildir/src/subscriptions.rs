//! The `subscriptions` file in the Maildir root, in Dovecot 2.3's format:
//! the header `V\t2\n\n`, then one folder per line with the hierarchy levels
//! separated by tabs (`Archive\t2026`), each level in modified UTF-7 and
//! tab-escaped (`\x01` followed by `1`, `t`, `r` or `n`). Files without the
//! header (version 1) hold one name per line with `.` between levels.

use std::path::Path;

use crate::error::Result;
use crate::folder::SEPARATOR;
use crate::fsutil::{read_optional, replace_file};
use crate::lock::{DotLock, LockOptions};
use crate::mutf7;

pub(crate) const FILE_NAME: &str = "subscriptions";
const V2_HEADER: &str = "V\t2\n\n";

fn tab_escape(level: &str) -> String {
    let mut out = String::with_capacity(level.len());
    for c in level.chars() {
        match c {
            '\x01' => out.push_str("\x011"),
            '\t' => out.push_str("\x01t"),
            '\r' => out.push_str("\x01r"),
            '\n' => out.push_str("\x01n"),
            c => out.push(c),
        }
    }
    out
}

fn tab_unescape(level: &str) -> String {
    let mut out = String::with_capacity(level.len());
    let mut chars = level.chars();
    while let Some(c) = chars.next() {
        if c == '\x01' {
            match chars.next() {
                Some('1') => out.push('\x01'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The stored (modified UTF-7) names, `.`-separated, in file order.
fn parse(text: &str) -> Vec<String> {
    match text.strip_prefix(V2_HEADER) {
        Some(body) => body
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| {
                l.split('\t')
                    .map(tab_unescape)
                    .collect::<Vec<_>>()
                    .join(".")
            })
            .collect(),
        None => text
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
    }
}

fn to_text(stored: &[String]) -> String {
    let mut out = String::from(V2_HEADER);
    for name in stored {
        let levels: Vec<String> = name.split(SEPARATOR).map(tab_escape).collect();
        out.push_str(&levels.join("\t"));
        out.push('\n');
    }
    out
}

fn stored_name(name: &str) -> String {
    if crate::folder::is_inbox(name) {
        crate::folder::INBOX.to_owned()
    } else {
        mutf7::encode(name)
    }
}

/// The subscribed folders as UTF-8 names.
pub(crate) fn list(root: &Path) -> Result<Vec<String>> {
    let text = read_optional(&root.join(FILE_NAME))?.unwrap_or_default();
    Ok(parse(&text)
        .into_iter()
        .map(|n| mutf7::decode(&n).unwrap_or(n))
        .collect())
}

/// Adds (`subscribe == true`) or removes a UTF-8 folder name.
pub(crate) fn set(
    root: &Path,
    name: &str,
    subscribe: bool,
    host: &str,
    lock: LockOptions,
    fsync: bool,
) -> Result<()> {
    let path = root.join(FILE_NAME);
    let _lock = DotLock::acquire(&path, host, lock)?;
    let mut stored = parse(&read_optional(&path)?.unwrap_or_default());
    let wanted = stored_name(name);
    let present = stored.contains(&wanted);
    match (subscribe, present) {
        (true, false) => stored.push(wanted),
        (false, true) => stored.retain(|n| *n != wanted),
        _ => return Ok(()),
    }
    replace_file(root, FILE_NAME, to_text(&stored).as_bytes(), fsync)
}

/// Renames the subscriptions of `from` and its sub-folders to `to`.
pub(crate) fn rename(
    root: &Path,
    from: &str,
    to: &str,
    host: &str,
    lock: LockOptions,
    fsync: bool,
) -> Result<()> {
    let path = root.join(FILE_NAME);
    let _lock = DotLock::acquire(&path, host, lock)?;
    let Some(text) = read_optional(&path)? else {
        return Ok(());
    };
    let (from, to) = (stored_name(from), stored_name(to));
    let child_prefix = format!("{from}{SEPARATOR}");
    let mut changed = false;
    let stored: Vec<String> = parse(&text)
        .into_iter()
        .map(|n| {
            if n == from {
                changed = true;
                to.clone()
            } else if let Some(rest) = n.strip_prefix(&child_prefix) {
                changed = true;
                format!("{to}{SEPARATOR}{rest}")
            } else {
                n
            }
        })
        .collect();
    if changed {
        replace_file(root, FILE_NAME, to_text(&stored).as_bytes(), fsync)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_dovecot_v2_and_v1() {
        let dovecot = "V\t2\n\nSent\n&ZeVnLIqe-\nArchive\t2026\n";
        assert_eq!(parse(dovecot), ["Sent", "&ZeVnLIqe-", "Archive.2026"]);
        assert_eq!(to_text(&parse(dovecot)), dovecot);
        assert_eq!(parse("INBOX\nA.B\n"), ["INBOX", "A.B"]);
        assert_eq!(tab_unescape("a\x01tb\x011"), "a\tb\x01");
        assert_eq!(tab_escape("a\tb\x01"), "a\x01tb\x011");
    }

    #[test]
    fn subscribe_unsubscribe_rename() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let lock = LockOptions::default();
        set(root, "Sent", true, "h", lock, false).unwrap();
        set(root, "日本語", true, "h", lock, false).unwrap();
        set(root, "Archive.2026", true, "h", lock, false).unwrap();
        set(root, "Sent", true, "h", lock, false).unwrap();
        set(root, "inbox", true, "h", lock, false).unwrap();
        let text = std::fs::read_to_string(root.join(FILE_NAME)).unwrap();
        assert_eq!(text, "V\t2\n\nSent\n&ZeVnLIqe-\nArchive\t2026\nINBOX\n");
        set(root, "Sent", false, "h", lock, false).unwrap();
        rename(root, "Archive", "Old", "h", lock, false).unwrap();
        assert_eq!(list(root).unwrap(), ["日本語", "Old.2026", "INBOX"]);
    }
}
