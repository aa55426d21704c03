//! IMAP mailbox names: checking them and mapping them onto Maildir++ folders.

use super::StoreError;

/// The hierarchy delimiter: `.`, Dovecot 2.3's default for Maildir++.
pub(crate) const DELIMITER: char = maildir::SEPARATOR;

/// Longest accepted name in bytes.
const MAX_NAME: usize = 255;

fn invalid(name: &str, reason: &str) -> StoreError {
    StoreError::Invalid(format!("invalid mailbox name {name:?}: {reason}"))
}

/// Checks a mailbox name and returns it with INBOX spelled `INBOX` (also as the first
/// level: `inbox.x` is `INBOX.x`). Refuses what could leave the Maildir or confuse the
/// Maildir++ layout: `/`, a leading `.`, empty levels (`..`), NUL and other control
/// characters, and names longer than 255 bytes.
pub(crate) fn normalize(name: &str) -> Result<String, StoreError> {
    if name.is_empty() {
        return Err(invalid(name, "empty"));
    }
    if name.len() > MAX_NAME {
        return Err(invalid(name, "longer than 255 bytes"));
    }
    if name.contains('/') {
        return Err(invalid(name, "contains '/'"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(name, "contains a control character"));
    }
    if name.split(DELIMITER).any(str::is_empty) {
        return Err(invalid(
            name,
            "empty hierarchy level (leading, trailing or double '.')",
        ));
    }
    let (first, rest) = match name.split_once(DELIMITER) {
        Some((first, rest)) => (first, Some(rest)),
        None => (name, None),
    };
    if !maildir::is_inbox(first) {
        return Ok(name.to_owned());
    }
    Ok(match rest {
        Some(rest) => format!("{}{DELIMITER}{rest}", maildir::INBOX),
        None => maildir::INBOX.to_owned(),
    })
}

/// Like [`normalize`], for a name about to be created (CREATE, RENAME's target): one
/// trailing delimiter is dropped (RFC 9051 section 6.3.4), and the LIST wildcards `*`
/// and `%` are refused, since no pattern could match them.
pub(crate) fn normalize_new(name: &str) -> Result<String, StoreError> {
    let trimmed = name.strip_suffix(DELIMITER).unwrap_or(name);
    if trimmed.contains(['*', '%']) {
        return Err(invalid(name, "contains a wildcard ('*' or '%')"));
    }
    normalize(trimmed)
}

/// The RFC 6154 special use of a folder, by its well-known name.
pub(crate) fn special_use_of(name: &str) -> Option<&'static str> {
    Some(match name {
        "Sent" => "\\Sent",
        "Drafts" => "\\Drafts",
        "Trash" => "\\Trash",
        "Junk" => "\\Junk",
        "Archive" => "\\Archive",
        _ => return None,
    })
}

/// Whether `child` lies below `parent` in the hierarchy.
pub(crate) fn is_below(child: &str, parent: &str) -> bool {
    child
        .strip_prefix(parent)
        .is_some_and(|rest| rest.starts_with(DELIMITER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_inbox_normalised() {
        assert_eq!(normalize("inbox").unwrap(), "INBOX");
        assert_eq!(normalize("InBox.Sub").unwrap(), "INBOX.Sub");
        assert_eq!(normalize("INBOXES").unwrap(), "INBOXES");
        assert_eq!(normalize("Archive.2026").unwrap(), "Archive.2026");
        assert_eq!(normalize("Entwürfe").unwrap(), "Entwürfe");
        let long = "x".repeat(256);
        for bad in [
            "", "..", "../x", "a/b", ".a", "a.", "a..b", "a\0b", "a\tb", "a\u{7f}", &long,
        ] {
            assert!(
                matches!(normalize(bad), Err(StoreError::Invalid(_))),
                "{bad:?}"
            );
        }
        assert!(normalize(&"x".repeat(255)).is_ok());
        assert_eq!(normalize_new("Work.").unwrap(), "Work");
        assert!(normalize_new("Work..").is_err());
        assert!(normalize_new("a*").is_err() && normalize_new("a%b").is_err());
    }

    #[test]
    fn special_uses_and_hierarchy() {
        assert_eq!(special_use_of("Sent"), Some("\\Sent"));
        assert_eq!(special_use_of("Junk"), Some("\\Junk"));
        assert_eq!(special_use_of("Archive"), Some("\\Archive"));
        assert_eq!(special_use_of("sent"), None);
        assert_eq!(special_use_of("Work.Sent"), None);
        assert!(is_below("a.b", "a") && is_below("a.b.c", "a"));
        assert!(!is_below("ab", "a") && !is_below("a", "a"));
    }
}
