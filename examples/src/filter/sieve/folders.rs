//! Where `keep` and `fileinto` store: checking folder names, telling which folders
//! exist, and IMAP flags as Maildir flags and keywords.

use std::path::Path;

use ::sieve::MailboxLookup;
use maildir::{Error, Flag, Flags, Maildir, SEPARATOR, is_inbox};

use crate::delivery::SPECIAL_FOLDERS;

/// Longest folder name in bytes.
const MAX_NAME: usize = 255;

/// Why a `fileinto` name is refused: anything that could leave the Maildir or break
/// its Maildir++ layout (`/`, a leading, trailing or doubled `.`, control characters),
/// and names too long for a directory.
pub(super) fn check_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("empty name");
    }
    if name.len() > MAX_NAME {
        return Err("longer than 255 bytes");
    }
    if name.contains('/') || name.contains('\\') {
        return Err("contains a path separator");
    }
    if name.chars().any(char::is_control) {
        return Err("contains a control character");
    }
    if name.split(SEPARATOR).any(str::is_empty) {
        return Err("empty hierarchy level (leading, trailing or double '.')");
    }
    if name.contains(['*', '%']) {
        return Err("contains an IMAP wildcard");
    }
    Ok(())
}

/// Which folders of a user's Maildir exist.
#[derive(Debug)]
pub(super) struct Folders {
    store: Option<Maildir>,
}

impl Folders {
    /// The folders of the Maildir at `path` (none yet if it does not exist). Blocks.
    pub(super) fn open(path: &Path) -> Self {
        let store = match Maildir::open(path) {
            Ok(store) => Some(store),
            Err(Error::NotAMaildir { .. }) => None,
            Err(e) => {
                tracing::warn!("sieve: cannot open {}: {e}", path.display());
                None
            }
        };
        Self { store }
    }

    /// Whether the Maildir exists yet.
    pub(super) fn has_maildir(&self) -> bool {
        self.store.is_some()
    }

    /// Whether the folder `name` exists (INBOX always does).
    pub(super) fn exists(&self, name: &str) -> bool {
        if is_inbox(name) {
            return true;
        }
        match &self.store {
            Some(store) => store.folder(name).is_ok(),
            // The first delivery creates the special-use folders.
            None => SPECIAL_FOLDERS.contains(&name),
        }
    }
}

impl MailboxLookup for Folders {
    fn mailbox_exists(&self, name: &str) -> bool {
        check_name(name).is_ok() && self.exists(name)
    }
}

/// IMAP flags (as the sieve crate gives them: system flags spelled canonically, valid
/// keywords) as Maildir flags and keywords. `\Answered` is `R`, `\Deleted` is `T`.
pub(super) fn maildir_flags(imap: &[String]) -> (Flags, Vec<String>) {
    let mut flags = Flags::empty();
    let mut keywords = Vec::new();
    for flag in imap {
        let system = match flag.to_ascii_lowercase().as_str() {
            "\\seen" => Some(Flag::Seen),
            "\\answered" => Some(Flag::Replied),
            "\\flagged" => Some(Flag::Flagged),
            "\\deleted" => Some(Flag::Trashed),
            "\\draft" => Some(Flag::Draft),
            _ => None,
        };
        match system {
            Some(flag) => flags.insert(flag),
            None if !flag.starts_with('\\') => keywords.push(flag.clone()),
            None => {}
        }
    }
    (flags, keywords)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_and_layout_breaking_names_are_refused() {
        for bad in [
            "", "..", "../x", ".Junk", "Junk.", "a..b", "a/b", "/etc", "a\\b", "a\nb", "a\0b",
            "a*", "%",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        for good in ["Junk", "Lists.rust", "Entwürfe", "INBOX", "a b"] {
            assert_eq!(check_name(good), Ok(()), "{good:?}");
        }
        assert!(check_name(&"x".repeat(256)).is_err());
    }

    #[test]
    fn flags_map_to_maildir_letters_and_keywords() {
        let imap: Vec<String> = [
            "\\Seen",
            "\\Answered",
            "\\Flagged",
            "\\Deleted",
            "\\Draft",
            "$Label1",
        ]
        .map(String::from)
        .into();
        let (flags, keywords) = maildir_flags(&imap);
        assert_eq!(flags.letters().collect::<String>(), "DFRST");
        assert_eq!(keywords, ["$Label1"]);
    }

    #[test]
    fn existence_before_and_after_the_maildir() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Maildir");
        let before = Folders::open(&path);
        assert!(before.exists("INBOX") && before.exists("Junk"));
        assert!(!before.exists("Lists"));
        let store = Maildir::create(&path).unwrap();
        store.create_folder("Lists").unwrap();
        let after = Folders::open(&path);
        assert!(after.exists("Lists") && after.exists("inbox"));
        assert!(!after.exists("Junk"));
        assert!(after.mailbox_exists("Lists"));
        assert!(!after.mailbox_exists("../Maildir"));
    }
}
