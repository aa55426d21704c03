//! Behaviour of the store through its public API, on real directories.

use std::fs;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use maildir::{DeliveryOptions, Error, Flag, Flags, LockOptions, Maildir, Options, QuotaLimits};

fn store() -> (tempfile::TempDir, Maildir) {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        hostname: Some("test.example".into()),
        ..Options::default()
    };
    let store = Maildir::create_with(dir.path().join("Maildir"), options).unwrap();
    (dir, store)
}

fn quick_lock_store(root: &Path) -> Maildir {
    let options = Options {
        lock: LockOptions {
            timeout: Duration::from_millis(200),
            stale_timeout: Duration::from_secs(120),
        },
        hostname: Some("test.example".into()),
        ..Options::default()
    };
    Maildir::open_with(root, options).unwrap()
}

fn no_fsync() -> DeliveryOptions {
    DeliveryOptions {
        fsync: false,
        ..DeliveryOptions::default()
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn deliver_names_files_like_dovecot_and_assigns_uids() {
    let (_dir, store) = store();
    let inbox = store.inbox().unwrap();
    let a = inbox
        .deliver(&b"Subject: a\n\nbody\n"[..], &DeliveryOptions::default())
        .unwrap();
    let b = inbox
        .deliver(&b"Subject: b\r\n\r\nbody\r\n"[..], &no_fsync())
        .unwrap();
    assert_eq!((a.uid, b.uid), (1, 2));
    assert_eq!(a.uid_validity, b.uid_validity);
    assert!(
        a.file_name.ends_with(".test.example,S=17,W=20"),
        "{}",
        a.file_name
    );
    assert!(b.file_name.ends_with(",S=20,W=20"), "{}", b.file_name);
    let pid = std::process::id();
    assert!(a.base.contains(".M") && a.base.contains(&format!("P{pid}Q")));
    assert_eq!(names(&store.path().join("new")), {
        let mut v = vec![a.file_name.clone(), b.file_name.clone()];
        v.sort();
        v
    });
    assert!(names(&store.path().join("tmp")).is_empty());
    let uidlist = fs::read_to_string(store.path().join("dovecot-uidlist")).unwrap();
    let mut lines = uidlist.lines();
    let header = lines.next().unwrap();
    // Written with the first record; the second was appended without
    // touching it, as Dovecot does (the next UID follows from the records).
    assert!(
        header.starts_with(&format!("3 V{} N2 G", a.uid_validity)),
        "{header}"
    );
    assert_eq!(header.split(" G").nth(1).unwrap().len(), 32);
    assert_eq!(lines.next().unwrap(), format!("1 :{}", a.base));
    assert_eq!(lines.next().unwrap(), format!("2 :{}", b.base));

    let mut content = String::new();
    inbox
        .open_message(2)
        .unwrap()
        .read_to_string(&mut content)
        .unwrap();
    assert_eq!(content, "Subject: b\r\n\r\nbody\r\n");
    assert!(matches!(
        inbox.open_message(9),
        Err(Error::NoSuchMessage { uid: 9 })
    ));
}

#[test]
fn flags_keywords_and_recent() {
    let (_dir, store) = store();
    let inbox = store.inbox().unwrap();
    inbox.deliver(&b"x\n"[..], &no_fsync()).unwrap();
    let with_flags = DeliveryOptions {
        fsync: false,
        flags: Flags::empty().with(Flag::Flagged),
        keywords: vec!["Junk".into()],
    };
    let d2 = inbox.deliver(&b"y\n"[..], &with_flags).unwrap();
    assert!(d2.file_name.ends_with(":2,Fa"), "{}", d2.file_name);
    assert!(store.path().join("cur").join(&d2.file_name).exists());

    let view = inbox.sync().unwrap();
    assert!(view.get(1).unwrap().in_new);
    assert!(!view.get(2).unwrap().in_new);
    assert_eq!(view.get(2).unwrap().keywords, ["Junk"]);

    let flags = Flags::empty().with(Flag::Seen).with(Flag::Replied);
    let info = inbox.set_flags(1, flags, &["$Forwarded", "junk"]).unwrap();
    assert!(info.file_name.ends_with(":2,RSab"), "{}", info.file_name);
    assert!(!info.in_new);
    assert_eq!(info.keywords, ["Junk", "$Forwarded"]);
    assert_eq!(
        fs::read_to_string(store.path().join("dovecot-keywords")).unwrap(),
        "0 Junk\n1 $Forwarded\n"
    );

    // Clearing everything keeps the message in cur/ with an empty info.
    let info = inbox.set_flags(1, Flags::empty(), &[]).unwrap();
    assert!(info.file_name.ends_with(":2,"));
    let view = inbox.sync().unwrap();
    assert_eq!(view.get(1).unwrap().flags, Flags::empty());
    assert!(matches!(
        inbox.set_flags(1, Flags::empty(), &["bad keyword"]),
        Err(Error::InvalidKeyword { .. })
    ));
    assert!(matches!(
        inbox.set_flags(42, Flags::empty(), &[]),
        Err(Error::NoSuchMessage { uid: 42 })
    ));
}

#[test]
fn claim_recent_moves_new_to_cur() {
    let (_dir, store) = store();
    let inbox = store.inbox().unwrap();
    for _ in 0..3 {
        inbox.deliver(&b"m\n"[..], &no_fsync()).unwrap();
    }
    assert_eq!(inbox.claim_recent().unwrap(), [1, 2, 3]);
    assert!(names(&store.path().join("new")).is_empty());
    let view = inbox.sync().unwrap();
    assert!(
        view.messages
            .iter()
            .all(|m| !m.in_new && m.file_name.ends_with(":2,"))
    );
    assert!(inbox.claim_recent().unwrap().is_empty());
}

#[test]
fn changes_behind_our_back_are_picked_up() {
    let (_dir, store) = store();
    let inbox = store.inbox().unwrap();
    let a = inbox.deliver(&b"a\n"[..], &no_fsync()).unwrap();
    let b = inbox.deliver(&b"b\n"[..], &no_fsync()).unwrap();
    let view = inbox.sync().unwrap();
    assert_eq!(view.messages.len(), 2);

    // Someone else: flags message 1, expunges message 2, delivers two new
    // ones (one without size fields, as other MDAs do).
    let root = store.path();
    fs::rename(
        root.join("new").join(&a.file_name),
        root.join("cur").join(format!("{}:2,ST", a.base)),
    )
    .unwrap();
    fs::remove_file(root.join("new").join(&b.file_name)).unwrap();
    fs::write(root.join("new/2000000000.M2P1.other"), "later\n").unwrap();
    fs::write(root.join("new/1000000000.M1P1.other,S=6"), "early\n").unwrap();

    let view = inbox.sync().unwrap();
    let uids: Vec<u32> = view.messages.iter().map(|m| m.uid).collect();
    assert_eq!(uids, [1, 3, 4]);
    let m1 = view.get(1).unwrap();
    assert!(m1.flags.contains(Flag::Seen) && m1.flags.contains(Flag::Trashed));
    // New files get UIDs in delivery-time order.
    assert_eq!(view.get(3).unwrap().base, "1000000000.M1P1.other,S=6");
    assert_eq!(view.get(4).unwrap().base, "2000000000.M2P1.other");
    assert_eq!(
        (view.get(4).unwrap().size, view.get(4).unwrap().vsize),
        (6, None)
    );
    assert_eq!(view.uid_next, 5);
    // The cached name is stale for a message renamed after the sync: a
    // flag change finds the file again.
    let m3 = view.get(3).unwrap();
    fs::rename(
        root.join("new").join(&m3.file_name),
        root.join("cur").join(format!("{}:2,F", m3.base)),
    )
    .unwrap();
    let info = inbox
        .set_flags(3, Flags::empty().with(Flag::Seen), &[])
        .unwrap();
    assert!(info.file_name.ends_with(":2,S"));
    // An expunge behind our back: NoSuchMessage, not an I/O error.
    fs::remove_file(root.join("cur").join(&info.file_name)).unwrap();
    assert!(matches!(
        inbox.expunge(3),
        Err(Error::NoSuchMessage { uid: 3 })
    ));
    let uidlist = fs::read_to_string(root.join("dovecot-uidlist")).unwrap();
    assert!(!uidlist.contains(&b.base), "vanished record dropped");
}

#[test]
fn expunge_and_copy() {
    let (_dir, store) = store();
    let inbox = store.inbox().unwrap();
    let archive = store.create_folder("Archive.2026").unwrap();
    inbox.deliver(&b"one\n"[..], &no_fsync()).unwrap();
    inbox
        .set_flags(1, Flags::empty().with(Flag::Seen), &["work"])
        .unwrap();
    // The target already uses letter a for another keyword.
    archive
        .deliver(
            &b"other\n"[..],
            &DeliveryOptions {
                keywords: vec!["private".into()],
                ..no_fsync()
            },
        )
        .unwrap();
    let copied = inbox.copy(1, &archive).unwrap();
    assert_eq!(copied.uid, 2);
    assert!(copied.file_name.ends_with(":2,Sb"), "{}", copied.file_name);
    let view = archive.sync().unwrap();
    let m = view.get(2).unwrap();
    assert_eq!(m.keywords, ["work"]);
    assert_eq!((m.size, m.vsize), (4, Some(5)));
    // Hard link: same inode.
    use std::os::unix::fs::MetadataExt;
    let src = inbox.sync().unwrap().get(1).unwrap().file_name.clone();
    let ino_src = fs::metadata(store.path().join("cur").join(src))
        .unwrap()
        .ino();
    let ino_dst = fs::metadata(archive.path().join("cur").join(&m.file_name))
        .unwrap()
        .ino();
    assert_eq!(ino_src, ino_dst);
    // Copy into the same folder.
    let again = inbox.copy(1, &inbox).unwrap();
    assert_eq!(again.uid, 2);

    inbox.expunge(1).unwrap();
    assert!(matches!(
        inbox.expunge(1),
        Err(Error::NoSuchMessage { uid: 1 })
    ));
    let view = inbox.sync().unwrap();
    assert_eq!(view.messages.iter().map(|m| m.uid).collect::<Vec<_>>(), [2]);
    assert_eq!(view.uid_next, 3, "UIDs are never reused");
    assert!(
        archive.sync().unwrap().get(2).is_some(),
        "the copy survives"
    );
}

#[test]
fn folders_create_list_rename_delete() {
    let (_dir, store) = store();
    store.create_folder("Sent").unwrap();
    store.create_folder("Archive.2026").unwrap();
    store.create_folder("Archive").unwrap();
    store.create_folder("Entwürfe").unwrap();
    assert!(store.path().join(".Entw&APw-rfe/maildirfolder").is_file());
    assert!(store.path().join(".Archive.2026/cur").is_dir());
    assert!(matches!(
        store.create_folder("Sent"),
        Err(Error::FolderExists { .. })
    ));
    let names: Vec<String> = store
        .list_folders()
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(
        names,
        ["INBOX", "Archive", "Archive.2026", "Entwürfe", "Sent"]
    );

    assert!(matches!(
        store.delete_folder("Archive"),
        Err(Error::FolderHasChildren { .. })
    ));
    assert!(matches!(
        store.delete_folder("INBOX"),
        Err(Error::InboxNotAllowed { .. })
    ));
    assert!(matches!(
        store.delete_folder("Nope"),
        Err(Error::FolderNotFound { .. })
    ));

    store.subscribe("Archive.2026").unwrap();
    let archive = store.folder("Archive.2026").unwrap();
    archive.deliver(&b"keep me\n"[..], &no_fsync()).unwrap();
    store.rename_folder("Archive", "Old").unwrap();
    let names: Vec<String> = store
        .list_folders()
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, ["INBOX", "Entwürfe", "Old", "Old.2026", "Sent"]);
    assert_eq!(store.subscriptions().unwrap(), ["Old.2026"]);
    let moved = store.folder("Old.2026").unwrap().sync().unwrap();
    assert_eq!(moved.messages.len(), 1, "UIDs move with the folder");
    assert!(matches!(
        store.rename_folder("Old", "Sent"),
        Err(Error::FolderExists { .. })
    ));
    assert!(matches!(
        store.rename_folder("INBOX", "X"),
        Err(Error::InboxNotAllowed { .. })
    ));

    store.delete_folder("Old.2026").unwrap();
    store.delete_folder("Old").unwrap();
    assert!(matches!(
        store.folder("Old"),
        Err(Error::FolderNotFound { .. })
    ));
    assert!(names_in_tmp_are_gone(store.path()));
}

fn names_in_tmp_are_gone(root: &Path) -> bool {
    names(&root.join("tmp")).is_empty()
}

#[test]
fn bad_folder_names_are_refused() {
    let (_dir, store) = store();
    for bad in [
        "a/b",
        "..",
        "../etc",
        "a..b",
        ".hidden",
        "tail.",
        "nul\0",
        "",
        "line\nbreak",
    ] {
        let e = store.create_folder(bad).unwrap_err();
        assert!(matches!(e, Error::InvalidFolderName { .. }), "{bad:?}: {e}");
        assert!(matches!(
            store.folder(bad),
            Err(Error::InvalidFolderName { .. })
        ));
        assert!(matches!(
            store.subscribe(bad),
            Err(Error::InvalidFolderName { .. })
        ));
    }
    // Nothing escaped the Maildir.
    assert_eq!(names(store.path()), ["cur", "new", "tmp"]);
}

#[test]
fn corrupt_uidlist_is_a_typed_error() {
    let (_dir, store) = store();
    let inbox = store.inbox().unwrap();
    inbox.deliver(&b"a\n"[..], &no_fsync()).unwrap();
    let path = store.path().join("dovecot-uidlist");
    let good = fs::read_to_string(&path).unwrap();
    fs::write(&path, format!("{good}zz :broken\n")).unwrap();
    let fresh = store.inbox().unwrap();
    match fresh.sync() {
        Err(Error::CorruptUidlist { line, .. }) => assert_eq!(line, 3),
        other => panic!("{other:?}"),
    }
    // A delivery does not paper over it either, and leaves nothing behind.
    assert!(matches!(
        fresh.deliver(&b"b\n"[..], &no_fsync()),
        Err(Error::CorruptUidlist { .. })
    ));
    assert_eq!(names(&store.path().join("new")).len(), 1);
    assert!(names(&store.path().join("tmp")).is_empty());
}

#[test]
fn missing_directories_and_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        Maildir::open(dir.path()),
        Err(Error::NotAMaildir { missing: "cur", .. })
    ));
    let (_d, store) = store();
    let folder = store.create_folder("Sent").unwrap();
    fs::remove_dir(folder.path().join("new")).unwrap();
    assert!(matches!(
        store.folder("Sent"),
        Err(Error::NotAMaildir { missing: "new", .. })
    ));
    // An existing handle whose directory vanished: an I/O error naming it.
    match folder.sync() {
        Err(Error::Io { path, .. }) => assert!(path.ends_with("new")),
        other => panic!("{other:?}"),
    }
    // A uidlist that cannot be read (a directory in its place).
    let inbox = store.inbox().unwrap();
    fs::create_dir(store.path().join("dovecot-uidlist")).unwrap();
    match inbox.sync() {
        Err(Error::Io {
            op: "read", path, ..
        }) => assert!(path.ends_with("dovecot-uidlist")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn held_lock_times_out_and_leaves_nothing_visible() {
    let (_dir, store) = store();
    let root = store.path().to_owned();
    let quick = quick_lock_store(&root);
    let inbox = quick.inbox().unwrap();
    inbox.deliver(&b"first\n"[..], &no_fsync()).unwrap();
    // Someone (a live process on another host) holds the lock.
    fs::write(root.join("dovecot-uidlist.lock"), "12345:elsewhere").unwrap();
    let e = inbox.deliver(&b"second\n"[..], &no_fsync()).unwrap_err();
    assert!(matches!(e, Error::LockTimeout { .. }), "{e}");
    assert_eq!(names(&root.join("new")).len(), 1);
    assert!(names(&root.join("tmp")).is_empty());
    // Once it is stale (no change for 2 minutes), it is taken over.
    let old = std::time::SystemTime::now() - Duration::from_secs(180);
    for f in ["dovecot-uidlist.lock", "dovecot-uidlist"] {
        fs::File::options()
            .write(true)
            .open(root.join(f))
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    let d = inbox.deliver(&b"second\n"[..], &no_fsync()).unwrap();
    assert_eq!(d.uid, 2);
    assert!(!root.join("dovecot-uidlist.lock").exists());
}

struct FailingReader {
    sent: usize,
}

impl Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.sent >= 100_000 {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "peer went away",
            ));
        }
        let n = buf.len().min(1000);
        buf[..n].fill(b'x');
        self.sent += n;
        Ok(n)
    }
}

#[test]
fn failing_source_leaves_nothing() {
    let (_dir, store) = store();
    let inbox = store.inbox().unwrap();
    let e = inbox
        .deliver(FailingReader { sent: 0 }, &DeliveryOptions::default())
        .unwrap_err();
    match e {
        Error::Io { source, .. } => assert_eq!(source.kind(), io::ErrorKind::ConnectionReset),
        other => panic!("{other:?}"),
    }
    for sub in ["new", "cur", "tmp"] {
        assert!(names(&store.path().join(sub)).is_empty(), "{sub}");
    }
    assert!(inbox.sync().unwrap().messages.is_empty());
}

#[test]
fn quota_is_enforced_and_maintained() {
    let (_dir, store) = store();
    let inbox = store.inbox().unwrap();
    inbox.deliver(&b"0123456789"[..], &no_fsync()).unwrap();
    assert_eq!(store.quota().unwrap(), None);
    let usage = store
        .set_quota(QuotaLimits {
            bytes: Some(35),
            messages: Some(10),
        })
        .unwrap();
    assert_eq!((usage.bytes, usage.messages), (10, 1));
    inbox.deliver(&b"0123456789"[..], &no_fsync()).unwrap();
    let sent = store.create_folder("Sent").unwrap();
    sent.deliver(&b"0123456789"[..], &no_fsync()).unwrap();
    let e = inbox.deliver(&b"0123456789"[..], &no_fsync()).unwrap_err();
    match e {
        Error::QuotaExceeded {
            bytes,
            messages,
            limits,
        } => {
            assert_eq!((bytes, messages), (30, 3));
            assert_eq!(limits.to_string(), "35S,10C");
        }
        other => panic!("{other:?}"),
    }
    assert!(names(&store.path().join("tmp")).is_empty());
    assert!(matches!(
        inbox.copy(1, &sent),
        Err(Error::QuotaExceeded { .. })
    ));
    inbox.expunge(1).unwrap();
    let text = fs::read_to_string(store.path().join("maildirsize")).unwrap();
    assert_eq!(text, "35S,10C\n10 1\n10 1\n10 1\n-10 -1\n");
    inbox.deliver(&b"0123456789"[..], &no_fsync()).unwrap();
    let usage = store.quota().unwrap().unwrap();
    assert_eq!((usage.bytes, usage.messages), (30, 3));
}

#[test]
fn concurrent_deliveries_get_unique_uids() {
    let (_dir, store) = store();
    let store = Arc::new(store);
    let threads = 6;
    let per_thread = 25;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                // Half the threads share nothing, like separate processes.
                let inbox = store.inbox().unwrap();
                let mut got = Vec::new();
                for i in 0..per_thread {
                    let body = format!("Subject: {t}-{i}\n\nfrom thread {t}\n");
                    let d = inbox.deliver(body.as_bytes(), &no_fsync()).unwrap();
                    got.push((d.uid, body));
                    if i % 5 == 0 {
                        inbox.sync().unwrap();
                    }
                }
                got
            })
        })
        .collect();
    let mut all: Vec<(u32, String)> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    all.sort();
    let uids: Vec<u32> = all.iter().map(|(u, _)| *u).collect();
    let expected: Vec<u32> = (1..=(threads * per_thread) as u32).collect();
    assert_eq!(uids, expected);
    let inbox = store.inbox().unwrap();
    let view = inbox.sync().unwrap();
    assert_eq!(view.messages.len(), threads * per_thread);
    for (uid, body) in &all {
        let mut content = String::new();
        inbox
            .open_message(*uid)
            .unwrap()
            .read_to_string(&mut content)
            .unwrap();
        assert_eq!(&content, body);
    }
}

/// APPEND-style deliveries (numbered at once) and syncs that must take the uidlist lock,
/// on one shared handle from several threads (a delivery once took the cache while
/// holding that lock, the reverse of a sync's order; the IMAP test
/// `eight_sessions_on_one_folder_all_progress` is the one that caught it): every call
/// succeeds within the short lock timeout and every message gets its own UID.
#[test]
fn numbered_deliveries_and_syncs_on_one_handle_do_not_deadlock() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("Maildir");
    Maildir::create(&root).unwrap();
    let inbox = Arc::new(quick_lock_store(&root).inbox().unwrap());
    inbox.sync().unwrap(); // fill the cache, as an IMAP session does
    let workers: Vec<_> = (0..6)
        .map(|t| {
            let inbox = Arc::clone(&inbox);
            thread::spawn(move || {
                for i in 0..40 {
                    if t % 2 == 0 {
                        let body = format!("Subject: {t}-{i}\n\nx\n");
                        inbox.deliver(body.as_bytes(), &no_fsync()).unwrap();
                    } else {
                        // A file dropped in by someone else makes the sync take the lock.
                        let name = format!("{}.M{t}P{i}.elsewhere", 1_800_000_000 + i);
                        fs::write(inbox.path().join("new").join(name), "x\n").unwrap();
                        inbox.sync().unwrap();
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let view = inbox.sync().unwrap();
    assert_eq!(view.messages.len(), 6 * 40);
    let mut uids: Vec<u32> = view.messages.iter().map(|m| m.uid).collect();
    uids.dedup();
    assert_eq!(uids.len(), 6 * 40);
}

// deliver_unnumbered: durable, lock-free delivery whose UID comes at the next sync.

fn text(store: &Maildir, uid: u32) -> String {
    let mut text = String::new();
    store
        .inbox()
        .unwrap()
        .open_message(uid)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[test]
fn leaves_the_uidlist_alone_and_is_numbered_at_the_next_sync() {
    let (_dir, store) = store();
    let inbox = store.inbox().unwrap();
    let numbered = inbox
        .deliver(&b"Subject: one\n\nx\n"[..], &DeliveryOptions::default())
        .unwrap();
    let uidlist = fs::read(store.path().join("dovecot-uidlist")).unwrap();

    let stored = inbox
        .deliver_unnumbered(&b"Subject: two\n\ny\n"[..], &DeliveryOptions::default())
        .unwrap();
    assert_eq!(
        fs::read(store.path().join("dovecot-uidlist")).unwrap(),
        uidlist
    );
    assert!(store.path().join("new").join(&stored.file_name).is_file());
    assert_eq!(names(&store.path().join("tmp")).len(), 0);
    // Sizes as written, and with CRLF line endings (IMAP's RFC822.SIZE).
    assert_eq!((stored.size, stored.vsize), (16, 19));
    assert!(
        stored.file_name.contains(",S=16,W=19"),
        "{}",
        stored.file_name
    );

    let view = inbox.sync().unwrap();
    let uids: Vec<(u32, &str)> = view
        .messages
        .iter()
        .map(|m| (m.uid, m.base.as_str()))
        .collect();
    assert_eq!(
        uids,
        [
            (numbered.uid, numbered.base.as_str()),
            (2, stored.base.as_str())
        ]
    );
    assert_eq!(text(&store, 2), "Subject: two\n\ny\n");
}

#[test]
fn concurrent_deliveries_all_arrive_and_get_distinct_uids() {
    let (_dir, store) = store();
    let store = Arc::new(store);
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                let inbox = store.inbox().unwrap();
                for i in 0..25 {
                    let body = format!("Subject: {t}-{i}\n\nbody\n");
                    inbox
                        .deliver_unnumbered(body.as_bytes(), &DeliveryOptions::default())
                        .unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let view = store.inbox().unwrap().sync().unwrap();
    let uids: Vec<u32> = view.messages.iter().map(|m| m.uid).collect();
    assert_eq!(uids, (1..=200).collect::<Vec<_>>());
    let mut subjects: Vec<String> = uids.iter().map(|&uid| text(&store, uid)).collect();
    subjects.sort();
    subjects.dedup();
    assert_eq!(subjects.len(), 200);
}

#[test]
fn flags_and_keywords_go_to_cur() {
    let (_dir, store) = store();
    let inbox = store.inbox().unwrap();
    let options = DeliveryOptions {
        flags: Flags::empty().with(Flag::Seen),
        keywords: vec!["$Label1".to_owned()],
        ..DeliveryOptions::default()
    };
    let stored = inbox.deliver_unnumbered(&b"x\n"[..], &options).unwrap();
    assert!(store.path().join("cur").join(&stored.file_name).is_file());
    let view = inbox.sync().unwrap();
    let message = &view.messages[0];
    assert!(message.flags.contains(Flag::Seen));
    assert_eq!(message.keywords, ["$Label1"]);
}

#[test]
fn over_quota_leaves_nothing_behind() {
    let (_dir, store) = store();
    store
        .set_quota(QuotaLimits {
            bytes: Some(10),
            messages: None,
        })
        .unwrap();
    let inbox = store.inbox().unwrap();
    let e = inbox
        .deliver_unnumbered(&[b'x'; 100][..], &DeliveryOptions::default())
        .unwrap_err();
    assert!(matches!(e, Error::QuotaExceeded { .. }), "{e:?}");
    for sub in ["tmp", "new", "cur"] {
        assert_eq!(names(&store.path().join(sub)).len(), 0, "{sub}");
    }
}

/// A copy of a message whose name carries no `W=` (written by another agent) takes
/// another path to the link; the quota holds on it too.
#[test]
fn copies_without_a_crlf_size_are_held_to_the_quota() {
    let (_dir, store) = store();
    fs::write(
        store.path().join("new/1000000000.M1P1.other,S=6"),
        "early\n",
    )
    .unwrap();
    let inbox = store.inbox().unwrap();
    let view = inbox.sync().unwrap();
    let uid = view.messages[0].uid;
    let archive = store.create_folder("Archive").unwrap();
    store
        .set_quota(QuotaLimits {
            bytes: Some(10),
            messages: None,
        })
        .unwrap();
    assert!(matches!(
        inbox.copy(uid, &archive),
        Err(Error::QuotaExceeded { .. })
    ));
    assert!(names(&archive.path().join("cur")).is_empty());
}
