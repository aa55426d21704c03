//! Maildir++ folder names: `Archive.2026` (UTF-8, `.` between levels) is
//! the directory `.Archive.2026` in the Maildir root, each level in
//! modified UTF-7 as Dovecot stores it.

use crate::error::{Error, Result};
use crate::mutf7;

/// The hierarchy separator.
pub const SEPARATOR: char = '.';
/// The name of the Maildir root folder.
pub const INBOX: &str = "INBOX";
const MAX_DIR_NAME: usize = 255;

/// Whether `name` means INBOX (case-insensitive, as IMAP says).
pub fn is_inbox(name: &str) -> bool {
    name.eq_ignore_ascii_case(INBOX)
}

fn invalid(name: &str, reason: &'static str) -> Error {
    Error::InvalidFolderName {
        name: name.to_owned(),
        reason,
    }
}

/// Checks a UTF-8 folder name and returns its directory name (`.Sent`).
pub(crate) fn dir_name(name: &str) -> Result<String> {
    if name.is_empty() {
        return Err(invalid(name, "empty name"));
    }
    if name.contains('/') {
        return Err(invalid(name, "contains '/'"));
    }
    if name.contains('\0') {
        return Err(invalid(name, "contains NUL"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(name, "contains a control character"));
    }
    if name.split(SEPARATOR).any(str::is_empty) {
        return Err(invalid(
            name,
            "empty hierarchy level (leading, trailing or double '.')",
        ));
    }
    if is_inbox(name) {
        return Err(invalid(name, "INBOX is the Maildir root"));
    }
    let dir = format!(".{}", mutf7::encode(name));
    if dir.len() > MAX_DIR_NAME {
        return Err(invalid(name, "too long"));
    }
    Ok(dir)
}

/// The UTF-8 folder name of a directory name (`.Entw&APw-rfe`), or `None`
/// for entries that are not folders. A name that is not valid modified
/// UTF-7 is returned as it is on disk.
pub(crate) fn name_from_dir(dir: &str) -> Option<String> {
    let stored = dir.strip_prefix('.')?;
    if stored.is_empty() || stored == "." || stored.split(SEPARATOR).any(str::is_empty) {
        return None;
    }
    Some(mutf7::decode(stored).unwrap_or_else(|_| stored.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_to_directories() {
        assert_eq!(dir_name("Sent").unwrap(), ".Sent");
        assert_eq!(dir_name("Archive.2026").unwrap(), ".Archive.2026");
        assert_eq!(dir_name("日本語").unwrap(), ".&ZeVnLIqe-");
        assert_eq!(dir_name("A&B").unwrap(), ".A&-B");
        for bad in [
            "", "a/b", "..", ".a", "a.", "a..b", "a\0b", "a\nb", "INBOX", "inbox", "../x",
        ] {
            assert!(
                matches!(dir_name(bad), Err(Error::InvalidFolderName { .. })),
                "{bad:?}"
            );
        }
        assert!(dir_name(&"x".repeat(300)).is_err());
    }

    #[test]
    fn directories_to_names() {
        assert_eq!(name_from_dir(".Entw&APw-rfe").as_deref(), Some("Entwürfe"));
        assert_eq!(
            name_from_dir(".Archive.2026").as_deref(),
            Some("Archive.2026")
        );
        assert_eq!(name_from_dir(".bad&"), Some("bad&".to_owned()));
        for not_folder in [".", "..", "cur", ".x..y", ".x."] {
            assert_eq!(name_from_dir(not_folder), None, "{not_folder}");
        }
    }
}
