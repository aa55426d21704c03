//! The mailbox module on real Maildirs in temporary directories.

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use imap_proto::types::{SeqNumber, SeqRange, SequenceSet, StoreAction};
use maildir::{DeliveryOptions, Flag, Flags, Maildir, QuotaLimits};
use tempfile::TempDir;

use super::modseq::STATE_FILE;
use super::stamp::{SETTLED, test_clock};
use super::*;

fn no_fsync() -> maildir::Options {
    maildir::Options {
        fsync: false,
        ..maildir::Options::default()
    }
}

fn user() -> (TempDir, UserStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = UserStore::open_with(&dir.path().join("Maildir"), None, no_fsync()).unwrap();
    (dir, store)
}

fn message(i: u32) -> Vec<u8> {
    format!("Subject: message {i}\nFrom: a@example.test\n\nbody {i}\n").into_bytes()
}

fn item(i: u32) -> AppendItem {
    AppendItem {
        path_or_bytes: AppendData::Bytes(message(i)),
        flags: Flags::empty(),
        keywords: Vec::new(),
        internal_date: None,
    }
}

fn append(store: &UserStore, folder: &str, count: u32) -> Vec<u32> {
    store
        .append(folder, (1..=count).map(item).collect())
        .unwrap()
        .1
}

/// Delivers like the MX does: straight into the Maildir, `new/`, no session involved.
fn deliver_outside(store: &UserStore, count: u32) {
    let inbox = Maildir::open(store.path()).unwrap().inbox().unwrap();
    for i in 0..count {
        let options = DeliveryOptions {
            fsync: false,
            ..DeliveryOptions::default()
        };
        inbox.deliver(&message(100 + i)[..], &options).unwrap();
    }
}

fn flagged() -> Flags {
    Flags::empty().with(Flag::Flagged)
}

fn deleted() -> Flags {
    Flags::empty().with(Flag::Trashed)
}

/// A message as any session sees it (`\Recent` is per session).
fn shared(m: &MessageMeta) -> MessageMeta {
    MessageMeta {
        recent: false,
        ..m.clone()
    }
}

fn uids(selected: &Selected) -> Vec<u32> {
    selected.messages().iter().map(|m| m.uid).collect()
}

fn names(store: &UserStore) -> Vec<String> {
    store.list().unwrap().into_iter().map(|e| e.name).collect()
}

fn entry(store: &UserStore, name: &str) -> FolderEntry {
    store
        .list()
        .unwrap()
        .into_iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("{name} not listed"))
}

#[test]
fn a_new_maildir_gets_special_folders_and_the_quota() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("vmail/example.test/pat/Maildir");
    let limits = QuotaLimits {
        bytes: Some(10_000),
        messages: None,
    };
    let store = UserStore::open_with(&root, Some(limits), no_fsync()).unwrap();
    assert_eq!(store.delimiter(), '.');
    assert_eq!(names(&store), ["INBOX", "Drafts", "Junk", "Sent", "Trash"]);
    let sent = entry(&store, "Sent");
    assert_eq!(sent.special_use, Some("\\Sent"));
    assert!(sent.subscribed && !sent.has_children && !sent.noselect);
    assert_eq!(entry(&store, "INBOX").special_use, None);
    assert!(!entry(&store, "INBOX").subscribed);
    let usage = store.quota().unwrap().unwrap();
    assert_eq!((usage.limits, usage.bytes), (limits, 0));
    append(&store, "INBOX", 2);
    assert!(store.quota().unwrap().unwrap().bytes > 0);
    // Reopening with no limit lifts it; the folders are not created again.
    store.delete("Junk").unwrap();
    let store = UserStore::open_with(&root, None, no_fsync()).unwrap();
    assert_eq!(
        store.quota().unwrap().unwrap().limits,
        QuotaLimits::default()
    );
    assert!(!names(&store).contains(&"Junk".to_owned()));
}

#[test]
fn list_shows_holes_children_and_subscriptions() {
    let (_dir, store) = user();
    store.create("Work.Projects.2026", None).unwrap();
    store.create("INBOX.Later", None).unwrap();
    store.create("Archive", Some("\\Archive")).unwrap();
    store.subscribe("Work.Projects", true).unwrap();
    store.subscribe("Gone", true).unwrap();
    assert_eq!(
        names(&store),
        [
            "INBOX",
            "Archive",
            "Drafts",
            "INBOX.Later",
            "Junk",
            "Sent",
            "Trash",
            "Work",
            "Work.Projects",
            "Work.Projects.2026"
        ]
    );
    assert!(entry(&store, "INBOX").has_children);
    let work = entry(&store, "Work");
    assert!(work.noselect && work.has_children && !work.subscribed);
    let projects = entry(&store, "Work.Projects");
    assert!(projects.noselect && projects.has_children && projects.subscribed);
    let leaf = entry(&store, "Work.Projects.2026");
    assert!(!leaf.noselect && !leaf.has_children);
    assert_eq!(entry(&store, "Archive").special_use, Some("\\Archive"));
    // Subscribed names that do not exist are only in the subscription list.
    assert!(store.subscribed().unwrap().contains(&"Gone".to_owned()));
    store.subscribe("Gone", false).unwrap();
    assert!(!store.subscribed().unwrap().contains(&"Gone".to_owned()));
    assert!(matches!(
        Selected::open(&store, "Work", false),
        Err(StoreError::NoSuchMailbox)
    ));
}

#[test]
fn create_checks_names_and_special_uses() {
    let (dir, store) = user();
    store.create("Lists.", None).unwrap();
    assert!(names(&store).contains(&"Lists".to_owned()));
    assert!(matches!(
        store.create("Lists", None),
        Err(StoreError::AlreadyExists)
    ));
    assert!(matches!(
        store.create("inbox", None),
        Err(StoreError::AlreadyExists)
    ));
    // A special use must fit the name; nothing is created otherwise.
    assert!(matches!(
        store.create("Outbox", Some("\\Sent")),
        Err(StoreError::Invalid(_))
    ));
    assert!(!names(&store).contains(&"Outbox".to_owned()));
    store.delete("Trash").unwrap();
    store.create("Trash", Some("\\trash")).unwrap();
    let before: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    let long = "n".repeat(256);
    for bad in [
        "../escape",
        "..",
        "a/b",
        "/abs",
        ".hidden",
        "a..b",
        "nul\0",
        "bell\x07",
        long.as_str(),
    ] {
        assert!(
            matches!(store.create(bad, None), Err(StoreError::Invalid(_))),
            "{bad:?}"
        );
        assert!(
            matches!(store.status(bad), Err(StoreError::Invalid(_))),
            "{bad:?}"
        );
        assert!(
            matches!(store.rename("Lists", bad), Err(StoreError::Invalid(_))),
            "{bad:?}"
        );
    }
    // Wildcards cannot be created (no LIST pattern could match them).
    for bad in ["star*", "per%cent"] {
        assert!(matches!(
            store.create(bad, None),
            Err(StoreError::Invalid(_))
        ));
    }
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), before.len());
}

#[test]
fn delete_follows_rfc_9051() {
    let (_dir, store) = user();
    assert!(matches!(store.delete("INBOX"), Err(StoreError::Invalid(_))));
    assert!(matches!(
        store.delete("Nothing"),
        Err(StoreError::NoSuchMailbox)
    ));
    store.create("Work", None).unwrap();
    store.create("Work.Old", None).unwrap();
    store.subscribe("Work", true).unwrap();
    append(&store, "Work", 2);
    // With a sub-folder: the messages go, the name stays as a \Noselect hole.
    store.delete("Work").unwrap();
    let work = entry(&store, "Work");
    assert!(work.noselect && work.has_children && work.subscribed);
    assert!(matches!(
        store.status("Work"),
        Err(StoreError::NoSuchMailbox)
    ));
    assert!(matches!(store.delete("Work"), Err(StoreError::Invalid(_))));
    store.delete("Work.Old").unwrap();
    assert!(!names(&store).iter().any(|n| n.starts_with("Work")));
    // Re-created, it is empty.
    store.create("Work", None).unwrap();
    assert_eq!(store.status("Work").unwrap().messages, 0);
}

#[test]
fn rename_moves_sub_folders_and_checks_targets() {
    let (_dir, store) = user();
    store.create("Projects.A", None).unwrap();
    store.create("Projects", None).unwrap();
    store.subscribe("Projects.A", true).unwrap();
    append(&store, "Projects.A", 1);
    store.create("Other", None).unwrap();
    assert!(matches!(
        store.rename("Projects", "Other"),
        Err(StoreError::AlreadyExists)
    ));
    assert!(matches!(
        store.rename("Projects", "inbox"),
        Err(StoreError::AlreadyExists)
    ));
    assert!(matches!(
        store.rename("Projects", "Projects.A.B"),
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.rename("Nope", "Nope2"),
        Err(StoreError::NoSuchMailbox)
    ));
    // A sub-folder would land on an existing folder.
    store.create("Done.A", None).unwrap();
    assert!(matches!(
        store.rename("Projects", "Done"),
        Err(StoreError::AlreadyExists)
    ));
    store.delete("Done.A").unwrap();
    store.rename("Projects", "Done").unwrap();
    let list = names(&store);
    assert!(list.contains(&"Done.A".to_owned()) && !list.iter().any(|n| n.starts_with("Proj")));
    assert!(entry(&store, "Done.A").subscribed);
    assert_eq!(store.status("Done.A").unwrap().messages, 1);
}

#[test]
fn renaming_inbox_moves_its_messages() {
    let (_dir, store) = user();
    store.create("INBOX.Keep", None).unwrap();
    let date = UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    let dated = AppendItem {
        flags: flagged(),
        keywords: vec!["$Label1".into()],
        internal_date: Some(date),
        ..item(1)
    };
    store.append("INBOX", vec![dated, item(2)]).unwrap();
    store.rename("INBOX", "Old Mail").unwrap();
    assert_eq!(store.status("INBOX").unwrap().messages, 0);
    assert!(names(&store).contains(&"INBOX.Keep".to_owned()));
    let old = Selected::open(&store, "Old Mail", true).unwrap();
    let first = &old.messages()[0];
    assert_eq!(old.messages().len(), 2);
    assert_eq!(first.flags, flagged());
    assert_eq!(*first.keywords, ["$Label1"]);
    assert_eq!(first.internal_date(), date);
    assert_eq!(old.read(first.uid).unwrap(), message(1));
    assert!(matches!(
        store.rename("INBOX", "Old Mail"),
        Err(StoreError::AlreadyExists)
    ));
}

#[test]
fn status_counts_everything() {
    let (_dir, store) = user();
    let seen = AppendItem {
        flags: Flags::empty().with(Flag::Seen),
        ..item(1)
    };
    let gone = AppendItem {
        flags: Flags::empty().with(Flag::Seen).with(Flag::Trashed),
        ..item(2)
    };
    store.append("INBOX", vec![seen, gone]).unwrap();
    deliver_outside(&store, 1);
    let status = store.status("inbox").unwrap();
    let size: u64 = [message(1), message(2), message(100)]
        .iter()
        .map(|m| m.len() as u64 + m.iter().filter(|&&b| b == b'\n').count() as u64)
        .sum();
    assert_eq!(
        (
            status.messages,
            status.recent,
            status.unseen,
            status.deleted,
            status.uid_next,
            status.size
        ),
        (3, 1, 1, 1, 4, size)
    );
    // Only a change raises HIGHESTMODSEQ.
    assert_eq!(store.status("INBOX").unwrap(), status);
    let mut inbox = Selected::open(&store, "INBOX", false).unwrap();
    inbox
        .store(&[1], StoreAction::Add, flagged(), &[], None)
        .unwrap();
    let after = store.status("INBOX").unwrap();
    assert!(after.highest_modseq > status.highest_modseq);
    assert_eq!(after.recent, 0); // the SELECT claimed it
    assert!(matches!(
        store.status("Nope"),
        Err(StoreError::NoSuchMailbox)
    ));
}

#[test]
fn multiappend_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let limits = QuotaLimits {
        bytes: Some(150),
        messages: None,
    };
    let store = UserStore::open_with(&dir.path().join("M"), Some(limits), no_fsync()).unwrap();
    let big = AppendItem {
        path_or_bytes: AppendData::Bytes(vec![b'x'; 100]),
        ..item(0)
    };
    let result = store.append("INBOX", vec![item(1), item(2), big]);
    assert!(matches!(result, Err(StoreError::OverQuota)), "{result:?}");
    assert_eq!(store.status("INBOX").unwrap().messages, 0);
    assert_eq!(store.quota().unwrap().unwrap().bytes, 0);
    // From a spool file, with flags, keywords and a date.
    let spool = dir.path().join("spool");
    fs::write(&spool, message(7)).unwrap();
    let date = UNIX_EPOCH + Duration::from_secs(1_234_567_890);
    let from_file = AppendItem {
        path_or_bytes: AppendData::File(spool),
        flags: Flags::empty().with(Flag::Draft),
        keywords: vec!["$MDNSent".into()],
        internal_date: Some(date),
    };
    let (validity, uids) = store.append("INBOX", vec![item(1), from_file]).unwrap();
    assert_eq!(uids, [3, 4]); // UIDs 1 and 2 went with the rollback
    let inbox = Selected::open(&store, "INBOX", false).unwrap();
    assert_eq!(inbox.uid_validity(), validity);
    let m = &inbox.messages()[1];
    assert_eq!(
        (m.flags, m.keywords.as_slice(), m.internal_date()),
        (
            Flags::empty().with(Flag::Draft),
            &["$MDNSent".to_owned()][..],
            date
        )
    );
    assert!(matches!(
        store.append("Nope", vec![item(1)]),
        Err(StoreError::NoSuchMailbox)
    ));
    let too_many: Vec<String> = (0..27).map(|i| format!("k{i}")).collect();
    let bad = AppendItem {
        keywords: too_many,
        ..item(1)
    };
    assert!(matches!(
        store.append("INBOX", vec![bad]),
        Err(StoreError::Invalid(_))
    ));
}

#[test]
fn select_claims_recent_and_examine_only_sees_it() {
    let (_dir, store) = user();
    deliver_outside(&store, 2);
    // RFC 3501 section 2.3.2: a read-only session sees \Recent and leaves it for the
    // next session.
    let mut examine = Selected::open(&store, "INBOX", true).unwrap();
    assert!(examine.read_only());
    assert!(examine.messages().iter().all(|m| m.recent));
    assert_eq!(store.status("INBOX").unwrap().recent, 2);
    let mut first = Selected::open(&store, "INBOX", false).unwrap();
    assert!(first.messages().iter().all(|m| m.recent));
    let second = Selected::open(&store, "INBOX", false).unwrap();
    assert!(second.messages().iter().all(|m| !m.recent));
    // A new message is recent for the session that sees it first.
    deliver_outside(&store, 1);
    assert_eq!(examine.refresh(true).unwrap(), [Change::Exists(3)]);
    assert!(examine.messages()[2].recent);
    assert_eq!(first.refresh(true).unwrap(), [Change::Exists(3)]);
    assert!(first.messages()[2].recent && first.messages()[0].recent);
    let mut second = second;
    assert_eq!(second.refresh(true).unwrap(), [Change::Exists(3)]);
    assert!(!second.messages()[2].recent);
    assert_eq!(store.status("INBOX").unwrap().recent, 0);
}

#[test]
fn two_sessions_see_each_others_changes() {
    let (_dir, store) = user();
    append(&store, "INBOX", 5);
    let mut a = Selected::open(&store, "INBOX", false).unwrap();
    let mut b = Selected::open(&store, "INBOX", false).unwrap();
    assert_eq!(b.refresh(true).unwrap(), []);

    // Flags.
    let (changed, failed) = a
        .store(&[2], StoreAction::Add, flagged(), &["Work".into()], None)
        .unwrap();
    assert_eq!((changed, failed), (vec![2], vec![]));
    assert_eq!(a.refresh(true).unwrap(), []);
    assert_eq!(b.refresh(true).unwrap(), [Change::Flags { seq: 2 }]);
    assert_eq!(shared(&b.messages()[1]), shared(&a.messages()[1]));
    assert_eq!(*b.messages()[1].keywords, ["Work"]);
    assert_eq!(b.highest_modseq(), a.messages()[1].modseq);

    // Expunges: held back until allowed, then reported highest seq first.
    a.store(&[2, 4], StoreAction::Add, deleted(), &[], None)
        .unwrap();
    assert_eq!(a.expunge(None).unwrap(), [(4, 4), (2, 2)]);
    assert_eq!(uids(&a), [1, 3, 5]);
    assert_eq!(b.refresh(false).unwrap(), []);
    assert_eq!(uids(&b), [1, 2, 3, 4, 5]);
    assert!(matches!(b.read(2), Err(StoreError::NoSuchMessage)));
    assert_eq!(a.refresh(true).unwrap(), []);
    assert!(b.highest_modseq() < a.highest_modseq());
    append(&store, "INBOX", 1);
    assert_eq!(b.refresh(false).unwrap(), [Change::Exists(6)]);
    assert_eq!(
        b.refresh(true).unwrap(),
        [
            Change::Expunge { seq: 4, uid: 4 },
            Change::Expunge { seq: 2, uid: 2 }
        ]
    );
    assert_eq!(uids(&b), [1, 3, 5, 6]);
    assert_eq!(a.refresh(true).unwrap(), [Change::Exists(4)]);
    let all = |s: &Selected| s.messages().iter().map(shared).collect::<Vec<_>>();
    assert_eq!(all(&a), all(&b));
    assert_eq!(a.highest_modseq(), b.highest_modseq());
    assert_eq!(b.seq_of(6), Some(4));
    assert_eq!(b.seq_of(2), None);

    // A flag change and an expunge in one refresh: the flag's seq is after the expunge.
    a.store(&[1], StoreAction::Add, deleted(), &[], None)
        .unwrap();
    a.store(&[6], StoreAction::Add, flagged(), &[], None)
        .unwrap();
    a.expunge(Some(&[1])).unwrap();
    assert_eq!(
        b.refresh(true).unwrap(),
        [Change::Expunge { seq: 1, uid: 1 }, Change::Flags { seq: 3 }]
    );
}

#[test]
fn store_actions_and_unchangedsince() {
    let (_dir, store) = user();
    append(&store, "INBOX", 3);
    let mut a = Selected::open(&store, "INBOX", false).unwrap();
    let mut b = Selected::open(&store, "INBOX", false).unwrap();
    let start = a.messages()[0].modseq;
    let seen = Flags::empty().with(Flag::Seen);
    a.store(
        &[1, 2, 3],
        StoreAction::Replace,
        seen,
        &["A".into(), "B".into()],
        None,
    )
    .unwrap();
    assert_eq!(*a.messages()[0].keywords, ["A", "B"]);
    a.store(&[1], StoreAction::Remove, seen, &["a".into()], None)
        .unwrap();
    assert_eq!(
        (a.messages()[0].flags, a.messages()[0].keywords.as_slice()),
        (Flags::empty(), &["B".to_owned()][..])
    );
    // No change, no new modseq.
    a.refresh(true).unwrap();
    let high = a.highest_modseq();
    let (changed, _) = a
        .store(&[2, 3], StoreAction::Add, seen, &["b".into()], None)
        .unwrap();
    assert!(changed.is_empty());
    a.refresh(true).unwrap();
    assert_eq!(a.highest_modseq(), high);

    // B still has the old modseqs: its conditional store fails where A changed things.
    let old = b.messages()[0].modseq;
    assert_eq!(old, start);
    let (changed, failed) = b
        .store(&[1, 2, 3, 99], StoreAction::Add, flagged(), &[], Some(old))
        .unwrap();
    assert_eq!((changed, failed), (vec![], vec![1, 2, 3]));
    b.refresh(true).unwrap();
    let current = b.messages()[2].modseq;
    let (changed, failed) = b
        .store(&[3], StoreAction::Add, flagged(), &[], Some(current))
        .unwrap();
    assert_eq!((changed, failed), (vec![3], vec![]));
    assert!(b.messages()[2].modseq > current);
    // Read-only views refuse changes; mark_seen does nothing there.
    let mut ro = Selected::open(&store, "INBOX", true).unwrap();
    assert!(matches!(
        ro.store(&[1], StoreAction::Add, seen, &[], None),
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(ro.expunge(None), Err(StoreError::Invalid(_))));
    ro.mark_seen(1).unwrap();
    assert!(!ro.messages()[0].flags.contains(Flag::Seen));
    a.mark_seen(1).unwrap();
    assert!(a.messages()[0].flags.contains(Flag::Seen));
    assert_eq!(ro.refresh(true).unwrap(), [Change::Flags { seq: 1 }]);
}

#[test]
fn changes_by_another_process_get_new_modseqs() {
    let (_dir, store) = user();
    append(&store, "INBOX", 2);
    let mut a = Selected::open(&store, "INBOX", false).unwrap();
    let before = a.messages()[1].modseq;
    // Dovecot (or any other program) renames the file.
    let inbox = Maildir::open(store.path()).unwrap().inbox().unwrap();
    inbox
        .set_flags(2, Flags::empty().with(Flag::Replied), &["$Forwarded"])
        .unwrap();
    assert_eq!(a.refresh(true).unwrap(), [Change::Flags { seq: 2 }]);
    let m = &a.messages()[1];
    assert!(m.modseq > before && m.flags.contains(Flag::Replied));
    assert_eq!(*m.keywords, ["$Forwarded"]);
    // ... and removes one.
    inbox.expunge(1).unwrap();
    assert_eq!(
        a.refresh(true).unwrap(),
        [Change::Expunge { seq: 1, uid: 1 }]
    );
    assert_eq!(a.vanished_since(before, None), [1]);
}

#[test]
fn copy_and_move_report_copyuid() {
    let (_dir, store) = user();
    store.create("Archive", None).unwrap();
    append(&store, "Archive", 1);
    store
        .append(
            "INBOX",
            vec![
                AppendItem {
                    flags: flagged(),
                    keywords: vec!["K".into()],
                    ..item(1)
                },
                item(2),
                item(3),
            ],
        )
        .unwrap();
    let mut inbox = Selected::open(&store, "INBOX", false).unwrap();
    let mut archive = Selected::open(&store, "Archive", false).unwrap();
    let validity = store.status("Archive").unwrap().uid_validity;
    let (v, src, dst) = inbox.copy(&[3, 1, 42, 1], "Archive").unwrap();
    assert_eq!((v, src, dst), (validity, vec![1, 3], vec![2, 3]));
    assert_eq!(archive.refresh(true).unwrap(), [Change::Exists(3)]);
    let copy = &archive.messages()[1];
    assert_eq!(
        (copy.flags, copy.keywords.as_slice()),
        (flagged(), &["K".to_owned()][..])
    );
    assert_eq!(archive.read(2).unwrap(), message(1));

    // MOVE to a missing folder fails and expunges nothing.
    assert!(matches!(
        inbox.move_to(&[1], "Nope"),
        Err(StoreError::NoSuchMailbox)
    ));
    assert_eq!(uids(&inbox), [1, 2, 3]);
    let ((v, src, dst), expunged) = inbox.move_to(&[1, 2], "Archive").unwrap();
    assert_eq!((v, src, dst), (validity, vec![1, 2], vec![4, 5]));
    assert_eq!(expunged, [(2, 2), (1, 1)]);
    assert_eq!(uids(&inbox), [3]);
    assert_eq!(archive.refresh(true).unwrap(), [Change::Exists(5)]);
    // A copy whose source vanished meanwhile leaves the target untouched.
    let mut other = Selected::open(&store, "INBOX", false).unwrap();
    other
        .store(&[3], StoreAction::Add, deleted(), &[], None)
        .unwrap();
    other.expunge(None).unwrap();
    assert!(matches!(
        inbox.copy(&[3], "Archive"),
        Err(StoreError::NoSuchMessage)
    ));
    assert_eq!(archive.refresh(true).unwrap(), []);
    // Copy into the selected folder itself.
    let (_, _, dst) = archive.copy(&[2], "Archive").unwrap();
    assert_eq!(dst, [6]);
    assert_eq!(archive.refresh(true).unwrap(), [Change::Exists(6)]);
}

#[test]
fn vanished_since_reports_expunges_after_a_modseq() {
    let (_dir, store) = user();
    append(&store, "INBOX", 6);
    // UID 6 is removed behind our back (e.g. by Dovecot).
    Maildir::open(store.path())
        .unwrap()
        .inbox()
        .unwrap()
        .expunge(6)
        .unwrap();
    let mut a = Selected::open(&store, "INBOX", false).unwrap();
    let start = a.highest_modseq();
    a.store(&[2, 3], StoreAction::Add, deleted(), &[], None)
        .unwrap();
    a.expunge(None).unwrap();
    a.refresh(true).unwrap();
    let middle = a.highest_modseq();
    a.store(&[5], StoreAction::Add, deleted(), &[], None)
        .unwrap();
    a.expunge(None).unwrap();
    a.refresh(true).unwrap();
    assert_eq!(a.vanished_since(start, None), [2, 3, 5]);
    assert_eq!(a.vanished_since(middle, None), [5]);
    assert_eq!(
        a.vanished_since(a.highest_modseq(), None),
        Vec::<u32>::new()
    );
    let set = SequenceSet::new(vec![SeqRange::range(
        SeqNumber::new(3).unwrap(),
        SeqNumber::Largest,
    )])
    .unwrap();
    assert_eq!(a.vanished_since(start, Some(&set)), [3, 5]);
    // Older than what we know: every UID not in the folder, the unknown 6 included.
    assert_eq!(a.vanished_since(1, None), [2, 3, 5, 6]);
}

#[test]
fn the_sidecar_survives_a_reopen() {
    let (_dir, store) = user();
    append(&store, "INBOX", 3);
    let (modseqs, highest) = {
        let mut a = Selected::open(&store, "INBOX", false).unwrap();
        a.store(&[2], StoreAction::Add, flagged(), &["x y".into()], None)
            .ok();
        a.store(&[2], StoreAction::Add, flagged(), &["Tag".into()], None)
            .unwrap();
        a.store(&[1], StoreAction::Add, deleted(), &[], None)
            .unwrap();
        a.expunge(None).unwrap();
        assert_eq!(a.refresh(true).unwrap(), []);
        let modseqs: Vec<u64> = a.messages().iter().map(|m| m.modseq).collect();
        (modseqs, a.highest_modseq())
    };
    // No session holds the folder now: the next one loads the sidecar.
    assert!(store.path().join(STATE_FILE).is_file());
    let b = Selected::open(&store, "INBOX", false).unwrap();
    assert_eq!(
        b.messages().iter().map(|m| m.modseq).collect::<Vec<_>>(),
        modseqs
    );
    assert_eq!(b.highest_modseq(), highest);
    assert_eq!(b.vanished_since(highest - 1, None), [1]);
    assert_eq!(store.status("INBOX").unwrap().highest_modseq, highest);
    drop(b);
    // A sidecar of another UIDVALIDITY is a full resync with higher modseqs.
    let path = store.path().join(STATE_FILE);
    let text = fs::read_to_string(&path).unwrap();
    let validity = store.status("INBOX").unwrap().uid_validity;
    let other = text.replace(
        &format!("uidvalidity {validity}\n"),
        &format!("uidvalidity {}\n", validity + 1),
    );
    assert_ne!(text, other);
    fs::write(&path, other).unwrap();
    let c = Selected::open(&store, "INBOX", false).unwrap();
    assert_eq!(c.uid_validity(), validity);
    assert!(c.highest_modseq() > highest);
    assert!(c.messages().iter().all(|m| m.modseq > highest));
    assert_eq!(c.vanished_since(highest, None), [1]);
    drop(c);
    // A corrupt one too.
    fs::write(&path, "garbage").unwrap();
    let d = Selected::open(&store, "INBOX", false).unwrap();
    assert_eq!(uids(&d), [2, 3]);
    assert_eq!(d.vanished_since(0, None), [1]);
}

/// A Maildir as Dovecot 2.3 leaves it: uidlist version 3, keywords file, flags and
/// keyword letters in the names, S= and W= in some names only, dates in the mtimes.
#[test]
fn a_dovecot_maildir_opens_with_its_uids_flags_and_dates() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("Maildir");
    for sub in ["cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Sent/tmp"] {
        fs::create_dir_all(root.join(sub)).unwrap();
    }
    fs::write(root.join(".Sent/maildirfolder"), "").unwrap();
    fs::write(
        root.join("dovecot-uidlist"),
        "3 V1700000000 N12 G0123456789abcdef0123456789abcdef\n\
         5 :1700000001.M1P1.host,S=19,W=22\n\
         9 W22 :1700000002.M2P2.host\n\
         11 :1700000003.M3P3.host\n",
    )
    .unwrap();
    fs::write(root.join("dovecot-keywords"), "0 $Forwarded\n1 Work\n").unwrap();
    fs::write(root.join("subscriptions"), "V\t2\n\nSent\n").unwrap();
    let files = [
        (
            "cur/1700000001.M1P1.host,S=19,W=22:2,RS",
            "Subject: a\n\nbody a\n",
        ),
        (
            "cur/1700000002.M2P2.host:2,FSab",
            "Subject: b\r\n\r\nbody b\r\n",
        ),
        ("new/1700000003.M3P3.host", "Subject: c\n\nc\n"),
    ];
    for (i, (name, text)) in files.iter().enumerate() {
        let path = root.join(name);
        fs::write(&path, text).unwrap();
        let date = UNIX_EPOCH + Duration::from_secs(1_700_000_000 + i as u64 * 60);
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(date)
            .unwrap();
    }
    let store = UserStore::open_with(&root, None, no_fsync()).unwrap();
    assert_eq!(names(&store), ["INBOX", "Sent"]);
    assert!(entry(&store, "Sent").subscribed);
    let inbox = Selected::open(&store, "INBOX", false).unwrap();
    assert_eq!(inbox.uid_validity(), 1_700_000_000);
    assert_eq!(inbox.uid_next(), 12);
    assert_eq!(uids(&inbox), [5, 9, 11]);
    let m = inbox.messages();
    let rs = Flags::empty().with(Flag::Replied).with(Flag::Seen);
    assert_eq!((m[0].flags, m[0].size), (rs, 22));
    let fs_flags = Flags::empty().with(Flag::Flagged).with(Flag::Seen);
    assert_eq!((m[1].flags, m[1].size), (fs_flags, 22));
    assert_eq!(*m[1].keywords, ["$Forwarded", "Work"]);
    // No W= anywhere: counted from the file.
    assert_eq!(m[2].size, 17);
    assert!(m[2].recent && !m[0].recent);
    for (i, msg) in m.iter().enumerate() {
        assert_eq!(
            msg.internal_date(),
            UNIX_EPOCH + Duration::from_secs(1_700_000_000 + i as u64 * 60)
        );
    }
    assert_eq!(inbox.read(9).unwrap(), b"Subject: b\r\n\r\nbody b\r\n");
    // Nothing Dovecot reads was rewritten but the uidlist's stale-free content.
    let uidlist = fs::read_to_string(root.join("dovecot-uidlist")).unwrap();
    assert!(uidlist.starts_with("3 V1700000000 N12"), "{uidlist}");
    assert!(root.join("cur/1700000003.M3P3.host:2,").is_file());
}

#[test]
fn concurrent_stores_lose_nothing() {
    let (_dir, store) = user();
    append(&store, "INBOX", 2);
    let start = store.status("INBOX").unwrap().highest_modseq;
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut s = Selected::open(&store, "INBOX", false).unwrap();
                for round in 0..4 {
                    let keyword = format!("t{t}r{round}");
                    let (changed, _) = s
                        .store(&[1, 2], StoreAction::Add, Flags::empty(), &[keyword], None)
                        .unwrap();
                    assert_eq!(changed, [1, 2]);
                    s.refresh(true).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let s = Selected::open(&store, "INBOX", true).unwrap();
    for m in s.messages() {
        assert_eq!(m.keywords.len(), 24, "{:?}", m.keywords);
    }
    // 24 changes on each of two messages, each with its own modseq.
    assert!(s.highest_modseq() >= start + 48);
    assert_ne!(s.messages()[0].modseq, s.messages()[1].modseq);
}

#[test]
fn watchers_wake_on_deliveries_and_other_sessions() {
    let (_dir, store) = user();
    append(&store, "INBOX", 1);
    let mut a = Selected::open(&store, "INBOX", false).unwrap();
    let mut b = Selected::open(&store, "INBOX", false).unwrap();
    let mut rx = a.watch();
    assert!(!rx.has_changed().unwrap());
    b.store(&[1], StoreAction::Add, flagged(), &[], None)
        .unwrap();
    assert!(rx.has_changed().unwrap());
    rx.mark_unchanged();
    // A delivery by the MX: only the notification tells the session at once.
    deliver_outside(&store, 1);
    notify_changed(&store.path().join(".").join("..").join("Maildir"));
    assert!(rx.has_changed().unwrap());
    rx.mark_unchanged();
    assert_eq!(
        a.refresh(true).unwrap(),
        [Change::Flags { seq: 1 }, Change::Exists(2)]
    );
    // The folder of a deleted mailbox: the session learns at its next refresh.
    store.create("Tmp", None).unwrap();
    let mut tmp = Selected::open(&store, "Tmp", false).unwrap();
    let mut tmp_rx = tmp.watch();
    store.delete("Tmp").unwrap();
    assert!(tmp_rx.has_changed().unwrap());
    tmp_rx.mark_unchanged();
    assert!(matches!(tmp.refresh(true), Err(StoreError::NoSuchMailbox)));
    let _ = b.refresh(true);
    notify_changed(Path::new("/nonexistent/Maildir"));
}

/// How many times the folder was listed in full so far.
fn full_syncs(store: &UserStore, name: &str) -> u64 {
    store.folder(name).unwrap().lock().full_syncs
}

/// Gives `dir` the modification time `time`: a change made in the same tick of a
/// coarse file-system clock.
fn set_mtime(dir: &Path, time: SystemTime) {
    fs::File::open(dir).unwrap().set_modified(time).unwrap();
}

#[test]
fn own_changes_are_recorded_without_listing_the_folder() {
    test_clock::freeze();
    let (_dir, store) = user();
    store.create("Archive", None).unwrap();
    append(&store, "INBOX", 4);
    let mut a = Selected::open(&store, "INBOX", false).unwrap();
    let mut b = Selected::open(&store, "INBOX", false).unwrap();
    assert_eq!(b.refresh(true).unwrap(), []);
    let inbox = full_syncs(&store, "INBOX");

    // STORE: no second sync inside it, none in the refreshes after it.
    a.store(&[1], StoreAction::Add, flagged(), &[], None)
        .unwrap();
    assert_eq!(a.refresh(true).unwrap(), []);
    assert_eq!(b.refresh(true).unwrap(), [Change::Flags { seq: 1 }]);
    // \Seen from a FETCH, APPEND (claimed as \Recent by the next refresh), EXPUNGE.
    a.mark_seen(2).unwrap();
    append(&store, "INBOX", 1);
    assert_eq!(a.refresh(true).unwrap(), [Change::Exists(5)]);
    assert!(a.messages()[4].recent);
    a.store(&[3], StoreAction::Add, deleted(), &[], None)
        .unwrap();
    assert_eq!(a.expunge(None).unwrap(), [(3, 3)]);
    // COPY and MOVE: both folders record the change.
    store.status("Archive").unwrap();
    let archive = full_syncs(&store, "Archive");
    let (_, _, copies) = a.copy(&[1], "Archive").unwrap();
    let (_, moved) = a.move_to(&[2], "Archive").unwrap();
    assert_eq!(moved, [(2, 2)]);
    assert_eq!(store.status("Archive").unwrap().messages, 2);
    assert_eq!(full_syncs(&store, "Archive"), archive);
    assert_eq!(full_syncs(&store, "INBOX"), inbox);

    // The other session sees it all, as a listing would have found it.
    b.refresh(true).unwrap();
    let all = |s: &Selected| s.messages().iter().map(shared).collect::<Vec<_>>();
    assert_eq!(all(&a), all(&b));
    assert_eq!(uids(&b), [1, 4, 5]);
    let mut archived = Selected::open(&store, "Archive", true).unwrap();
    assert_eq!(archived.messages()[0].uid, copies[0]);
    assert!(archived.messages()[0].flags.contains(Flag::Flagged));
    assert!(archived.messages()[1].flags.contains(Flag::Seen));
    // A full sync finds nothing the recorded state lacks: no new modseqs.
    assert_eq!(a.refresh(true).unwrap(), []);
    let high = a.highest_modseq();
    assert_eq!(high, b.highest_modseq());
    test_clock::advance(SETTLED * 2);
    assert_eq!(a.refresh(true).unwrap(), []);
    assert_eq!(archived.refresh(true).unwrap(), []);
    assert_eq!(full_syncs(&store, "INBOX"), inbox + 1);
    assert_eq!(a.highest_modseq(), high);
}

#[test]
fn a_change_by_another_process_in_the_tick_of_ours_is_seen_after_the_deadline() {
    test_clock::freeze();
    let (_dir, store) = user();
    append(&store, "INBOX", 3);
    let mut a = Selected::open(&store, "INBOX", false).unwrap();
    a.store(&[1], StoreAction::Add, flagged(), &[], None)
        .unwrap();
    let cur = store.path().join("cur");
    let tick = fs::metadata(&cur).unwrap().modified().unwrap();
    // Dovecot renames message 2 within the same tick of a coarse clock.
    let other = Maildir::open(store.path()).unwrap().inbox().unwrap();
    other
        .set_flags(2, Flags::empty().with(Flag::Replied), &[])
        .unwrap();
    set_mtime(&cur, tick);
    let syncs = full_syncs(&store, "INBOX");
    assert_eq!(a.refresh(true).unwrap(), []);
    assert_eq!(full_syncs(&store, "INBOX"), syncs);
    // Another change of ours keeps the first deadline.
    test_clock::advance(SETTLED / 2);
    a.store(&[3], StoreAction::Add, flagged(), &[], None)
        .unwrap();
    test_clock::advance(SETTLED / 2 + Duration::from_millis(1));
    assert_eq!(a.refresh(true).unwrap(), [Change::Flags { seq: 2 }]);
    assert!(a.messages()[1].flags.contains(Flag::Replied));
    assert_eq!(full_syncs(&store, "INBOX"), syncs + 1);
}

#[test]
fn a_delivery_notification_forces_a_listing() {
    test_clock::freeze();
    let (_dir, store) = user();
    append(&store, "INBOX", 1);
    let mut a = Selected::open(&store, "INBOX", false).unwrap();
    assert_eq!(a.refresh(true).unwrap(), []);
    // A delivery that only links a file into new/, in the tick of our last change.
    let new = store.path().join("new");
    let tick = fs::metadata(&new).unwrap().modified().unwrap();
    fs::write(new.join("1767225600.M1P1.mx"), message(9)).unwrap();
    set_mtime(&new, tick);
    let syncs = full_syncs(&store, "INBOX");
    assert_eq!(a.refresh(true).unwrap(), []);
    notify_changed(store.path());
    assert_eq!(a.refresh(true).unwrap(), [Change::Exists(2)]);
    assert_eq!(full_syncs(&store, "INBOX"), syncs + 1);
    assert_eq!(a.refresh(true).unwrap(), []);
    assert_eq!(full_syncs(&store, "INBOX"), syncs + 1);
}

/// Each selected session keeps one `MessageMeta` per message of its folder, so this
/// size times the mailbox is an idle IMAP connection's memory (issue 10: < 64 KiB).
#[test]
fn a_message_of_a_selected_view_takes_48_bytes() {
    assert_eq!(size_of::<MessageMeta>(), 48);
    let keywords = Keywords::new(vec!["$Label1".to_owned()]);
    assert_eq!(keywords.as_slice(), ["$Label1"]);
    assert!(Keywords::new(Vec::new()).is_empty());
}
