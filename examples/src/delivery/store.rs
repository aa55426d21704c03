//! Storing into a user's Maildir (blocking code, run on the blocking pool): opening it,
//! creating it with the special-use folders on first delivery, keeping its Maildir++
//! quota in line with the directory, and delivering with fsync.

use maildir::{Error, INBOX, Maildir, QuotaLimits, is_inbox};

use super::spool::Spooled;
use crate::directory::LocalUser as Target;
use crate::filter::sieve::FolderCopy;

/// The folders every new mailbox gets, subscribed (RFC 6154 special uses).
pub(crate) const SPECIAL_FOLDERS: [&str; 4] = ["Sent", "Drafts", "Junk", "Trash"];

/// Opens the target's Maildir, creating it (with the special-use folders, subscribed)
/// if this is the first delivery, and brings its quota in line with the directory.
pub(crate) fn open(target: &Target) -> Result<Maildir, Error> {
    let store = match Maildir::open(&target.maildir) {
        Ok(store) => store,
        Err(Error::NotAMaildir { .. }) => provision(target)?,
        Err(e) => return Err(e),
    };
    sync_quota(&store, target.quota)?;
    Ok(store)
}

/// Creates a new user's Maildir. Concurrent first deliveries may race; every step
/// tolerates the other having done it already.
fn provision(target: &Target) -> Result<Maildir, Error> {
    let store = Maildir::create(&target.maildir)?;
    for name in SPECIAL_FOLDERS {
        match store.create_folder(name) {
            Ok(_) | Err(Error::FolderExists { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    let subscribed = store.subscriptions()?;
    for name in SPECIAL_FOLDERS {
        if !subscribed.iter().any(|s| s == name) {
            store.subscribe(name)?;
        }
    }
    tracing::info!(
        "maildir created: user={} path={}",
        target.email,
        target.maildir.display()
    );
    Ok(store)
}

/// Writes the directory's quota into `maildirsize` when it differs.
fn sync_quota(store: &Maildir, quota: Option<u64>) -> Result<(), Error> {
    let wanted = QuotaLimits {
        bytes: quota.filter(|&q| q > 0),
        messages: None,
    };
    let current = store.quota()?.map(|usage| usage.limits);
    let unchanged = match current {
        Some(limits) => limits == wanted,
        None => wanted == QuotaLimits::default(),
    };
    if !unchanged {
        store.set_quota(wanted)?;
    }
    Ok(())
}

/// Whether delivering `size` more bytes would exceed the target's quota. A Maildir that
/// does not exist yet is empty.
pub(crate) fn would_exceed(target: &Target, size: u64) -> Result<bool, Error> {
    let Some(limit) = target.quota.filter(|&q| q > 0) else {
        return Ok(false);
    };
    let store = match Maildir::open(&target.maildir) {
        Ok(store) => store,
        Err(Error::NotAMaildir { .. }) => return Ok(size > limit),
        Err(e) => return Err(e),
    };
    sync_quota(&store, target.quota)?;
    let used = store.quota()?.map_or(0, |usage| usage.bytes);
    Ok(used.saturating_add(size.max(1)) > limit)
}

/// A stored copy, and the folder it went to.
pub(crate) type StoredCopy = (maildir::Stored, String);

/// Delivers each of `copies` in order, up to the first that fails, opening the
/// Maildir once (not at all for no copies).
pub(crate) fn deliver_all(
    target: &Target,
    copies: &[FolderCopy],
    prefix: &[u8],
    body: &Spooled,
) -> Vec<Result<StoredCopy, Error>> {
    if copies.is_empty() {
        return Vec::new();
    }
    let store = match open(target) {
        Ok(store) => store,
        Err(e) => return vec![Err(e)],
    };
    let mut stored = Vec::with_capacity(copies.len());
    for copy in copies {
        let result = deliver_into(&store, target, copy, prefix, body);
        let failed = result.is_err();
        stored.push(result);
        if failed {
            break;
        }
    }
    stored
}

/// Delivers `prefix` + the spooled body as `copy` says (folder, flags, keywords),
/// fsynced before it returns; the folder it went to. A folder that does not exist is
/// created when `copy.create` is set; otherwise (it was deleted since the filter looked)
/// the message goes to INBOX rather than nowhere.
pub(crate) fn deliver(
    target: &Target,
    copy: &FolderCopy,
    prefix: &[u8],
    body: &Spooled,
) -> Result<StoredCopy, Error> {
    deliver_into(&open(target)?, target, copy, prefix, body)
}

/// [`deliver`] into the target's Maildir `store`, already open.
fn deliver_into(
    store: &Maildir,
    target: &Target,
    copy: &FolderCopy,
    prefix: &[u8],
    body: &Spooled,
) -> Result<StoredCopy, Error> {
    let mailbox = if is_inbox(&copy.folder) {
        None
    } else {
        match store.folder(&copy.folder) {
            Err(Error::FolderNotFound { .. }) if copy.create => {
                match store.create_folder(&copy.folder) {
                    Err(Error::FolderExists { .. }) => Some(store.folder(&copy.folder)?),
                    other => Some(other?),
                }
            }
            Err(Error::FolderNotFound { .. }) => {
                tracing::info!(
                    "folder {:?} of {} is gone; delivering into INBOX",
                    copy.folder,
                    target.email
                );
                None
            }
            other => Some(other?),
        }
    };
    let (mailbox, folder) = match mailbox {
        Some(mailbox) => (mailbox, copy.folder.clone()),
        None => (store.inbox()?, INBOX.to_owned()),
    };
    // The UID comes at the next sync: nobody needs it now, and numbering it here
    // would serialise concurrent deliveries on the folder's uidlist lock and fsync.
    let delivered =
        mailbox.deliver_unnumbered(body.reader(prefix.to_vec()), &copy.delivery_options())?;
    // IMAP sessions watching this folder (IDLE) report the new message at once.
    crate::imap::mailbox::notify_changed(mailbox.path());
    Ok((delivered, folder))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::delivery::spool::SpoolWriter;

    fn target(dir: &std::path::Path, quota: Option<u64>) -> Target {
        Target {
            email: "pat@example.test".into(),
            maildir: dir.join("example.test/pat/Maildir"),
            quota,
        }
    }

    async fn spooled(dir: &std::path::Path, body: &[u8]) -> Spooled {
        let mut w = SpoolWriter::create(dir);
        w.write(body).await.unwrap();
        w.finish().await.unwrap()
    }

    #[tokio::test]
    async fn first_delivery_creates_maildir_with_subscribed_special_folders() {
        let dir = tempfile::tempdir().unwrap();
        let t = target(dir.path(), None);
        let body = spooled(dir.path(), b"Subject: hi\r\n\r\nHello\r\n").await;
        let d = deliver(
            &t,
            &FolderCopy::new("INBOX", true),
            b"X-Trace: 1\r\n",
            &body,
        )
        .unwrap();
        assert_eq!(d.1, "INBOX");
        let store = Maildir::open(&t.maildir).unwrap();
        let mut subscribed = store.subscriptions().unwrap();
        subscribed.sort();
        assert_eq!(subscribed, ["Drafts", "Junk", "Sent", "Trash"]);
        for name in SPECIAL_FOLDERS {
            store.folder(name).unwrap();
        }
        let mut text = String::new();
        store
            .inbox()
            .unwrap()
            .open_message(1)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "X-Trace: 1\r\nSubject: hi\r\n\r\nHello\r\n");
        // A second delivery reuses the Maildir; the next sync numbers it.
        let second = deliver(&t, &FolderCopy::new("INBOX", true), b"", &body).unwrap();
        let view = store.inbox().unwrap().sync().unwrap();
        let numbered: Vec<(u32, &str)> = view
            .messages
            .iter()
            .map(|m| (m.uid, m.file_name.as_str()))
            .collect();
        assert_eq!(
            numbered,
            [
                (1, d.0.file_name.as_str()),
                (2, second.0.file_name.as_str())
            ]
        );
    }

    #[tokio::test]
    async fn deliveries_wake_imap_sessions_watching_the_folder() {
        use crate::imap::mailbox::{Selected, UserStore};

        let dir = tempfile::tempdir().unwrap();
        let t = target(dir.path(), None);
        let body = spooled(dir.path(), b"Subject: hi\r\n\r\nHello\r\n").await;
        deliver(&t, &FolderCopy::new("INBOX", true), b"", &body).unwrap();
        let store = UserStore::open(&t.maildir, None).unwrap();
        let inbox = Selected::open(&store, "INBOX", true).unwrap();
        let junk = Selected::open(&store, "Junk", true).unwrap();
        let (inbox_rx, mut junk_rx) = (inbox.watch(), junk.watch());

        deliver(&t, &FolderCopy::new("Junk", true), b"", &body).unwrap();
        assert!(junk_rx.has_changed().unwrap());
        assert!(!inbox_rx.has_changed().unwrap());
        junk_rx.mark_unchanged();

        deliver(&t, &FolderCopy::new("INBOX", true), b"", &body).unwrap();
        assert!(inbox_rx.has_changed().unwrap());
        assert!(!junk_rx.has_changed().unwrap());
    }

    #[tokio::test]
    async fn filter_folder_is_created_on_demand() {
        let dir = tempfile::tempdir().unwrap();
        let t = target(dir.path(), None);
        let body = spooled(dir.path(), b"x\r\n").await;
        deliver(&t, &FolderCopy::new("Lists.rust", true), b"", &body).unwrap();
        let store = Maildir::open(&t.maildir).unwrap();
        assert_eq!(
            store
                .folder("Lists.rust")
                .unwrap()
                .sync()
                .unwrap()
                .messages
                .len(),
            1
        );
    }

    #[tokio::test]
    async fn flags_keywords_and_a_vanished_folder() {
        let dir = tempfile::tempdir().unwrap();
        let t = target(dir.path(), None);
        let body = spooled(dir.path(), b"x\r\n").await;
        let mut copy = FolderCopy::new("Lists", false);
        // Without `create`, a folder that is not there means INBOX.
        let (_, folder) = deliver(&t, &copy, b"", &body).unwrap();
        assert_eq!(folder, "INBOX");
        copy.create = true;
        copy.flags.insert(maildir::Flag::Seen);
        copy.keywords.push("$Label1".to_owned());
        let (delivered, folder) = deliver(&t, &copy, b"", &body).unwrap();
        assert_eq!(folder, "Lists");
        let store = Maildir::open(&t.maildir).unwrap();
        let view = store.folder("Lists").unwrap().sync().unwrap();
        let message = view
            .messages
            .iter()
            .find(|m| m.file_name == delivered.file_name)
            .unwrap();
        assert!(message.flags.contains(maildir::Flag::Seen), "{message:?}");
        assert_eq!(message.keywords, ["$Label1"]);
    }

    #[tokio::test]
    async fn quota_is_enforced_before_and_at_delivery() {
        let dir = tempfile::tempdir().unwrap();
        let t = target(dir.path(), Some(100));
        assert!(!would_exceed(&t, 60).unwrap());
        assert!(would_exceed(&t, 101).unwrap());
        let body = spooled(dir.path(), &[b'a'; 60]).await;
        deliver(&t, &FolderCopy::new("INBOX", true), b"", &body).unwrap();
        assert!(would_exceed(&t, 60).unwrap());
        assert!(!would_exceed(&t, 30).unwrap());
        let error = deliver(&t, &FolderCopy::new("INBOX", true), b"", &body).unwrap_err();
        assert!(matches!(error, Error::QuotaExceeded { .. }), "{error}");
        // Raising the quota in the directory lifts the limit.
        let raised = target(dir.path(), Some(1000));
        assert!(!would_exceed(&raised, 60).unwrap());
        deliver(&raised, &FolderCopy::new("INBOX", true), b"", &body).unwrap();
    }
}
