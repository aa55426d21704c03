//! `Mailbox::deliver_unnumbered`: durable, lock-free delivery whose UID comes at
//! the folder's next sync.

use std::fs;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::thread;

use maildir::{DeliveryOptions, Error, Flag, Flags, Maildir, Options, QuotaLimits};

fn store() -> (tempfile::TempDir, Maildir) {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        hostname: Some("test.example".into()),
        ..Options::default()
    };
    let store = Maildir::create_with(dir.path().join("Maildir"), options).unwrap();
    (dir, store)
}

fn count(dir: &Path) -> usize {
    fs::read_dir(dir).unwrap().count()
}

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
    assert_eq!(count(&store.path().join("tmp")), 0);
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
        assert_eq!(count(&store.path().join(sub)), 0, "{sub}");
    }
}
