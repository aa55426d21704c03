//! `dovecot-uidlist` updates by appending: what the file looks like, what a
//! reader sees while a writer appends, and recovery from an append cut short
//! by a crash at any byte.

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use maildir::uidlist::Uidlist;
use maildir::{DeliveryOptions, Maildir, Options};

fn store(root: &Path) -> Maildir {
    let options = Options {
        hostname: Some("test.example".into()),
        ..Options::default()
    };
    Maildir::create_with(root, options).unwrap()
}

fn no_fsync() -> DeliveryOptions {
    DeliveryOptions {
        fsync: false,
        ..DeliveryOptions::default()
    }
}

fn message(i: usize) -> Vec<u8> {
    format!("Subject: {i}\n\nbody {i}\n").into_bytes()
}

fn uidlist_path(root: &Path) -> std::path::PathBuf {
    root.join("dovecot-uidlist")
}

#[test]
fn deliveries_append_and_keep_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = store(dir.path()).inbox().unwrap();
    let first = inbox.deliver(&message(1)[..], &no_fsync()).unwrap();
    let path = uidlist_path(dir.path());
    let created = fs::read_to_string(&path).unwrap();
    let header = created.lines().next().unwrap().to_owned();
    assert!(header.contains(" N2"), "{header}");
    let ino = fs::metadata(&path).unwrap().ino();

    let mut bases = vec![first.base];
    for i in 2..=4 {
        let d = inbox.deliver(&message(i)[..], &no_fsync()).unwrap();
        assert_eq!(d.uid as usize, i);
        bases.push(d.base);
    }
    // Same file, same header, one line more per delivery.
    assert_eq!(fs::metadata(&path).unwrap().ino(), ino);
    let text = fs::read_to_string(&path).unwrap();
    let expected: String = std::iter::once(header.clone())
        .chain(
            bases
                .iter()
                .enumerate()
                .map(|(i, b)| format!("{} :{b}", i + 1)),
        )
        .map(|l| l + "\n")
        .collect();
    assert_eq!(text, expected);
    // The next UID follows from the records, for us and for a parser.
    assert_eq!(Uidlist::parse(&text).unwrap().next_uid, 5);
    let view = store(dir.path()).inbox().unwrap().sync().unwrap();
    assert_eq!(view.uid_next, 5);
    assert_eq!(view.messages.len(), 4);
    // A sync that only found what it knew writes nothing.
    assert_eq!(fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn sync_appends_new_files_and_rewrites_for_vanished_ones() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = store(dir.path());
    let inbox = maildir.inbox().unwrap();
    for i in 1..=3 {
        inbox.deliver(&message(i)[..], &no_fsync()).unwrap();
    }
    let path = uidlist_path(dir.path());
    let ino = fs::metadata(&path).unwrap().ino();

    // Files dropped into new/ by another program: appended.
    for name in ["1700000000.M1P1.other", "1700000001.M1P1.other"] {
        fs::write(dir.path().join("new").join(name), b"x\n").unwrap();
    }
    let view = inbox.sync().unwrap();
    assert_eq!(view.messages.len(), 5);
    assert_eq!(view.get(4).unwrap().base, "1700000000.M1P1.other");
    assert_eq!(fs::metadata(&path).unwrap().ino(), ino);

    // An expunge: the record goes at the next sync, with a rewrite whose
    // header carries the real next UID.
    inbox.expunge(5).unwrap();
    assert!(fs::read_to_string(&path).unwrap().contains("5 :1700000001"));
    let view = inbox.sync().unwrap();
    assert_eq!(view.uid_next, 6);
    assert_ne!(fs::metadata(&path).unwrap().ino(), ino);
    let text = fs::read_to_string(&path).unwrap();
    assert!(!text.contains("1700000001"), "{text}");
    assert!(text.lines().next().unwrap().contains(" N6"), "{text}");
    assert_eq!(inbox.deliver(&message(6)[..], &no_fsync()).unwrap().uid, 6);
}

#[test]
fn version_one_uidlist_is_rewritten_as_version_three() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = store(dir.path());
    let name = "1700000000.M1P1.old";
    fs::write(dir.path().join("cur").join(format!("{name}:2,S")), b"x\n").unwrap();
    fs::write(uidlist_path(dir.path()), format!("1 77 8\n7 {name}:2,S\n")).unwrap();
    let d = maildir
        .inbox()
        .unwrap()
        .deliver(&message(1)[..], &no_fsync())
        .unwrap();
    assert_eq!((d.uid, d.uid_validity), (8, 77));
    let text = fs::read_to_string(uidlist_path(dir.path())).unwrap();
    assert_eq!(text, format!("3 V77 N9\n7 :{name}\n8 :{}\n", d.base));
}

/// A reader that never takes the lock, reading while another thread
/// delivers: every read parses, UIDs never move to another file, and
/// nothing once seen disappears.
#[test]
fn reader_during_appends_sees_a_consistent_view() {
    const DELIVERIES: usize = 300;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    let writer_store = store(&root);
    writer_store
        .inbox()
        .unwrap()
        .deliver(&message(0)[..], &no_fsync())
        .unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let done = Arc::clone(&done);
        thread::spawn(move || {
            let inbox = writer_store.inbox().unwrap();
            let mut delivered = Vec::new();
            for i in 1..=DELIVERIES {
                let d = inbox.deliver(&message(i)[..], &no_fsync()).unwrap();
                delivered.push((d.uid, d.base));
            }
            done.store(true, Ordering::SeqCst);
            delivered
        })
    };

    let reader_inbox = store(&root).inbox().unwrap();
    let mut seen: HashMap<u32, String> = HashMap::new();
    let (mut last_records, mut last_next, mut last_view) = (0, 0, 0);
    let mut reads = 0;
    loop {
        let finished = done.load(Ordering::SeqCst);
        let text = fs::read_to_string(uidlist_path(&root)).unwrap();
        let list = Uidlist::parse(&text).unwrap_or_else(|e| panic!("{e:?} in {text:?}"));
        assert!(list.records.len() >= last_records);
        assert!(list.next_uid >= last_next);
        for r in &list.records {
            let base = seen.entry(r.uid).or_insert_with(|| r.base.clone());
            assert_eq!(*base, r.base, "UID {} changed file", r.uid);
        }
        (last_records, last_next) = (list.records.len(), list.next_uid);
        let view = reader_inbox.sync().unwrap();
        assert!(view.messages.len() >= last_view);
        for m in &view.messages {
            let base = seen.entry(m.uid).or_insert_with(|| m.base.clone());
            assert_eq!(*base, m.base, "UID {} changed file", m.uid);
        }
        last_view = view.messages.len();
        reads += 1;
        if finished {
            break;
        }
    }
    let delivered = writer.join().unwrap();
    assert!(reads > 1);
    assert_eq!(last_view, DELIVERIES + 1);
    for (uid, base) in delivered {
        assert_eq!(seen[&uid], base);
    }
}

/// The uidlist as a crash would leave it: `full` cut after `cut` bytes.
fn crash_at(root: &Path, full: &str, cut: usize) {
    fs::write(uidlist_path(root), &full.as_bytes()[..cut]).unwrap();
}

/// Dovecot 2.3 ignores a last line without its newline and, on its next
/// write, replaces the file; the message whose record was cut gets the
/// next UID again. We do the same, whether the next thing to happen is a
/// sync or another delivery.
#[test]
fn append_cut_at_every_byte_is_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let inbox = store(root).inbox().unwrap();
    for i in 1..=3 {
        inbox.deliver(&message(i)[..], &no_fsync()).unwrap();
    }
    let before = fs::read_to_string(uidlist_path(root)).unwrap();
    let fourth = inbox.deliver(&message(4)[..], &no_fsync()).unwrap();
    let full = fs::read_to_string(uidlist_path(root)).unwrap();
    assert!(full.starts_with(&before) && full.len() > before.len());

    for cut in before.len()..=full.len() {
        // A sync comes first: the cut record is re-created with UID 4.
        crash_at(root, &full, cut);
        let view = store(root).inbox().unwrap().sync().unwrap();
        let uids: Vec<u32> = view.messages.iter().map(|m| m.uid).collect();
        assert_eq!(uids, [1, 2, 3, 4], "cut at {cut}");
        assert_eq!(view.get(4).unwrap().base, fourth.base, "cut at {cut}");
        let text = fs::read_to_string(uidlist_path(root)).unwrap();
        let (now, then) = (
            Uidlist::parse(&text).unwrap(),
            Uidlist::parse(&full).unwrap(),
        );
        assert_eq!((now.records, now.next_uid), (then.records, then.next_uid));
        assert!(text.ends_with('\n'), "cut at {cut}: {text:?}");

        // A delivery comes first: it takes UID 4 and the cut message is
        // found by the next sync, with UID 5.
        crash_at(root, &full, cut);
        let inbox = store(root).inbox().unwrap();
        let fifth = inbox.deliver(&message(5)[..], &no_fsync()).unwrap();
        let complete = cut == full.len();
        assert_eq!(fifth.uid, if complete { 5 } else { 4 }, "cut at {cut}");
        let text = fs::read_to_string(uidlist_path(root)).unwrap();
        let list = Uidlist::parse(&text).unwrap();
        assert!(text.ends_with('\n'));
        assert!(list.records.iter().all(|r| !r.base.contains(' ')), "{text}");
        let view = inbox.sync().unwrap();
        let base_of = |uid| view.get(uid).map(|m| m.base.as_str());
        assert_eq!(view.messages.len(), 5, "cut at {cut}");
        let fourth_uid = if complete { 4 } else { 5 };
        assert_eq!(base_of(fourth_uid), Some(fourth.base.as_str()));
        assert_eq!(base_of(fifth.uid), Some(fifth.base.as_str()));

        // Back to the state before the cut for the next round.
        inbox.expunge(fifth.uid).unwrap();
        fs::write(uidlist_path(root), &full).unwrap();
    }
}
