//! Interop with Debian's Dovecot 2.3: both serve the same Maildir one after
//! the other and must agree on every UID, UIDVALIDITY, flag, keyword, folder
//! and subscription.
//!
//! Dovecot refuses to access mail as root, so its mail processes run as
//! `nobody` and the test (running as root) hands the tree over with chown
//! before each Dovecot session.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use maildir::{DeliveryOptions, Flag, Flags, MailboxView, Maildir};

const MAIL_UID: u32 = 65534;

struct Dovecot {
    conf: PathBuf,
    run_dir: PathBuf,
    port: u16,
}

impl Dovecot {
    fn start(dir: &Path, maildir: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let run_dir = dir.join("run");
        let conf = dir.join("dovecot.conf");
        let d = dir.display();
        let text = format!(
            "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
             instance_name = postroom-maildir-test-{port}\nprotocols = imap\nlisten = 127.0.0.1\n\
             ssl = no\ndisable_plaintext_auth = no\nauth_mechanisms = plain\n\
             default_internal_user = root\ndefault_internal_group = root\n\
             default_login_user = dovenull\nfirst_valid_uid = 1\nfirst_valid_gid = 1\n\
             passdb {{\n  driver = static\n  args = password=secret\n}}\n\
             userdb {{\n  driver = static\n  args = uid={MAIL_UID} gid={MAIL_UID} home={d}/home mail=maildir:{m}\n}}\n\
             service imap-login {{\n  chroot =\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n}}\n\
             service anvil {{\n  chroot =\n}}\n",
            m = maildir.display()
        );
        fs::write(&conf, text).unwrap();
        fs::create_dir_all(dir.join("home")).unwrap();
        let status = Command::new("/usr/sbin/dovecot")
            .arg("-c")
            .arg(&conf)
            .status()
            .unwrap();
        assert!(status.success(), "dovecot did not start");
        let server = Self {
            conf,
            run_dir,
            port,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "dovecot does not listen: {}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn log(&self) -> String {
        fs::read_to_string(self.conf.with_file_name("dovecot.log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let stopped = Command::new("/usr/bin/doveadm")
            .arg("-c")
            .arg(&self.conf)
            .arg("stop")
            .status()
            .is_ok_and(|s| s.success());
        if !stopped && let Ok(pid) = fs::read_to_string(self.run_dir.join("master.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

/// A tiny IMAP client: enough for LOGIN, SELECT, FETCH, STORE, APPEND, LIST.
struct Imap {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    tag: u32,
}

impl Imap {
    fn connect(port: u16) -> Self {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let writer = stream.try_clone().unwrap();
        let mut imap = Self {
            reader: BufReader::new(stream),
            writer,
            tag: 0,
        };
        let greeting = imap.line();
        assert!(greeting.starts_with("* OK"), "{greeting}");
        imap.ok("LOGIN user secret");
        imap
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        let n = self.reader.read_line(&mut line).unwrap();
        assert!(n > 0, "server closed the connection");
        line.trim_end().to_owned()
    }

    /// Sends a command and returns the untagged lines; asserts OK.
    fn ok(&mut self, command: &str) -> Vec<String> {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        write!(self.writer, "{tag} {command}\r\n").unwrap();
        self.finish(&tag, command)
    }

    fn finish(&mut self, tag: &str, command: &str) -> Vec<String> {
        let mut lines = Vec::new();
        for _ in 0..10_000 {
            let line = self.line();
            if let Some(status) = line.strip_prefix(&format!("{tag} ")) {
                assert!(status.starts_with("OK"), "{command} -> {line}");
                lines.push(line.clone());
                return lines;
            }
            lines.push(line);
        }
        panic!("no tagged reply to {command}");
    }

    fn append(&mut self, mailbox: &str, flags: &str, message: &[u8]) -> Vec<String> {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        write!(
            self.writer,
            "{tag} APPEND {mailbox} ({flags}) {{{}}}\r\n",
            message.len()
        )
        .unwrap();
        let cont = self.line();
        assert!(cont.starts_with('+'), "{cont}");
        self.writer.write_all(message).unwrap();
        self.writer.write_all(b"\r\n").unwrap();
        self.finish(&tag, "APPEND")
    }

    /// UIDNEXT from STATUS.
    fn uid_next(&mut self, mailbox: &str) -> u32 {
        self.ok(&format!("STATUS {mailbox} (UIDNEXT)"))
            .iter()
            .find_map(|l| l.split("UIDNEXT ").nth(1))
            .and_then(|v| v.split(')').next())
            .and_then(|v| v.parse().ok())
            .expect("UIDNEXT")
    }

    /// SELECT (or EXAMINE) and return (UIDVALIDITY, uid -> flags).
    fn uids_and_flags(&mut self, mailbox: &str, examine: bool) -> (u32, Vec<(u32, Vec<String>)>) {
        let verb = if examine { "EXAMINE" } else { "SELECT" };
        let lines = self.ok(&format!("{verb} {mailbox}"));
        let validity = lines
            .iter()
            .find_map(|l| l.split("[UIDVALIDITY ").nth(1))
            .and_then(|v| v.split(']').next())
            .and_then(|v| v.parse().ok())
            .expect("UIDVALIDITY");
        let exists = lines
            .iter()
            .any(|l| l.starts_with("* ") && l.ends_with(" EXISTS") && l != "* 0 EXISTS");
        let mut messages = Vec::new();
        if exists {
            for line in self.ok("UID FETCH 1:* (FLAGS)") {
                if !line.contains(" FETCH ") {
                    continue;
                }
                let uid = line
                    .split("UID ")
                    .nth(1)
                    .and_then(|r| r.split([' ', ')']).next())
                    .unwrap();
                let flags = line
                    .split("FLAGS (")
                    .nth(1)
                    .and_then(|r| r.split(')').next())
                    .unwrap();
                let mut flags: Vec<String> = flags
                    .split(' ')
                    .filter(|f| !f.is_empty() && *f != "\\Recent")
                    .map(str::to_owned)
                    .collect();
                flags.sort();
                messages.push((uid.parse().unwrap(), flags));
            }
        }
        messages.sort();
        (validity, messages)
    }
}

/// A new Maildir in a temporary directory that Dovecot's `nobody` can enter.
fn fresh_maildir() -> (tempfile::TempDir, PathBuf, Maildir) {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let root = dir.path().join("Maildir");
    let store = Maildir::create(&root).unwrap();
    (dir, root, store)
}

fn chown_tree(path: &Path) {
    std::os::unix::fs::chown(path, Some(MAIL_UID), Some(MAIL_UID)).unwrap();
    if path.is_dir() {
        for entry in fs::read_dir(path).unwrap() {
            chown_tree(&entry.unwrap().path());
        }
    }
}

/// Our view in IMAP terms: uid -> sorted IMAP flags.
fn imap_flags(view: &MailboxView) -> Vec<(u32, Vec<String>)> {
    view.messages
        .iter()
        .map(|m| {
            let mut flags: Vec<String> = m
                .flags
                .iter()
                .filter_map(|f| match f {
                    Flag::Draft => Some("\\Draft"),
                    Flag::Flagged => Some("\\Flagged"),
                    Flag::Replied => Some("\\Answered"),
                    Flag::Seen => Some("\\Seen"),
                    Flag::Trashed => Some("\\Deleted"),
                    Flag::Passed => None,
                })
                .map(str::to_owned)
                .chain(m.keywords.iter().cloned())
                .collect();
            flags.sort();
            (m.uid, flags)
        })
        .collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
#[ignore = "interop: needs Debian's dovecot-imapd"]
fn dovecot_and_maildir_agree() {
    let (dir, root, store) = fresh_maildir();

    // 1. We write: three messages, flags and a keyword, folders, a subscription.
    let inbox = store.inbox().unwrap();
    let opts = DeliveryOptions::default();
    for i in 1..=3 {
        let msg = format!("Subject: ours {i}\nFrom: a@example.org\n\nbody {i}\n");
        assert_eq!(inbox.deliver(msg.as_bytes(), &opts).unwrap().uid, i);
    }
    inbox
        .set_flags(
            2,
            Flags::empty().with(Flag::Seen).with(Flag::Flagged),
            &["Project"],
        )
        .unwrap();
    let sent = store.create_folder("Sent").unwrap();
    sent.deliver(&b"Subject: sent\n\nx\n"[..], &opts).unwrap();
    store.create_folder("Archive.2026").unwrap();
    store.create_folder("Entwürfe").unwrap();
    store.subscribe("Sent").unwrap();
    let ours = inbox.sync().unwrap();
    let sent_validity = sent.sync().unwrap().uid_validity;

    chown_tree(&root);
    let dovecot = Dovecot::start(dir.path(), &root);
    let mut imap = Imap::connect(dovecot.port);

    // 2. Dovecot sees exactly that.
    let list = imap.ok("LIST \"\" \"*\"");
    for name in ["INBOX", "Sent", "Archive.2026", "Entw&APw-rfe"] {
        assert!(
            list.iter().any(|l| l.ends_with(&format!(" {name}"))),
            "{name} in {list:?}"
        );
    }
    let lsub = imap.ok("LSUB \"\" \"*\"");
    assert!(lsub.iter().any(|l| l.ends_with(" Sent")), "{lsub:?}");
    let (validity, flags) = imap.uids_and_flags("INBOX", false);
    assert_eq!(validity, ours.uid_validity);
    assert_eq!(flags, imap_flags(&ours));
    assert_eq!(flags[1].1, strings(&["Project", "\\Flagged", "\\Seen"]));
    let (validity, flags) = imap.uids_and_flags("Sent", true);
    assert_eq!((validity, flags.len()), (sent_validity, 1));

    // 3. Dovecot changes things.
    imap.uids_and_flags("INBOX", false);
    imap.ok("UID STORE 1 +FLAGS (\\Answered $Label1)");
    let appended = imap.append("INBOX", "\\Draft Todo", b"Subject: theirs\r\n\r\nhello\r\n");
    assert!(
        appended
            .last()
            .unwrap()
            .contains(&format!("[APPENDUID {} 4]", ours.uid_validity))
    );
    imap.ok("UID STORE 3 +FLAGS (\\Deleted)");
    imap.ok("EXPUNGE");
    imap.ok("CREATE Dovecot.Made");
    imap.ok("SUBSCRIBE Dovecot.Made");
    imap.ok("LOGOUT");

    // 4. We read it back.
    let store = Maildir::open(&root).unwrap();
    let inbox = store.inbox().unwrap();
    let view = inbox.sync().unwrap();
    assert_eq!(view.uid_validity, ours.uid_validity);
    assert_eq!(
        view.messages.iter().map(|m| m.uid).collect::<Vec<_>>(),
        [1, 2, 4]
    );
    let m1 = view.get(1).unwrap();
    assert!(m1.flags.contains(Flag::Replied));
    assert_eq!(m1.keywords, ["$Label1"]);
    let m4 = view.get(4).unwrap();
    assert!(m4.flags.contains(Flag::Draft));
    assert_eq!(m4.keywords, ["Todo"]);
    assert_eq!(view.get(2).unwrap().keywords, ["Project"]);
    let folders: Vec<String> = store
        .list_folders()
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert!(folders.contains(&"Dovecot.Made".to_owned()), "{folders:?}");
    assert!(
        store
            .folder("Dovecot.Made")
            .unwrap()
            .path()
            .join("maildirfolder")
            .exists()
    );
    let subs = store.subscriptions().unwrap();
    assert!(
        subs.contains(&"Dovecot.Made".to_owned()) && subs.contains(&"Sent".to_owned()),
        "{subs:?}"
    );
    let subs_file = fs::read_to_string(root.join("subscriptions")).unwrap();
    assert!(subs_file.starts_with("V\t2\n\n"), "{subs_file:?}");
    assert!(subs_file.contains("Dovecot\tMade\n"), "{subs_file:?}");

    // 5. We change things while Dovecot keeps running.
    inbox
        .set_flags(4, Flags::empty().with(Flag::Seen), &["Todo"])
        .unwrap();
    assert_eq!(
        inbox
            .deliver(&b"Subject: ours 5\n\nfive\n"[..], &opts)
            .unwrap()
            .uid,
        5
    );
    inbox.expunge(2).unwrap();
    let sent = store.folder("Sent").unwrap();
    assert_eq!(inbox.copy(1, &sent).unwrap().uid, 2);
    store.create_folder("Zuletzt").unwrap();
    let ours = inbox.sync().unwrap();
    let ours_sent = sent.sync().unwrap();

    // 6. Dovecot agrees.
    chown_tree(&root);
    let mut imap = Imap::connect(dovecot.port);
    let (validity, flags) = imap.uids_and_flags("INBOX", false);
    assert_eq!(validity, ours.uid_validity);
    assert_eq!(flags, imap_flags(&ours));
    assert_eq!(flags.iter().map(|(u, _)| *u).collect::<Vec<_>>(), [1, 4, 5]);
    assert_eq!(flags[1].1, strings(&["Todo", "\\Seen"]));
    let (validity, flags) = imap.uids_and_flags("Sent", true);
    assert_eq!(validity, ours_sent.uid_validity);
    assert_eq!(flags, imap_flags(&ours_sent));
    assert_eq!(flags[1].1, strings(&["$Label1", "\\Answered"]));
    let list = imap.ok("LIST \"\" \"*\"");
    assert!(list.iter().any(|l| l.ends_with(" Zuletzt")), "{list:?}");
    imap.ok("LOGOUT");

    // 7. Our deliveries append records to the uidlist Dovecot has indexed
    //    (same file, header untouched); Dovecot reads them and agrees on
    //    every UID and on UIDNEXT.
    let uidlist = root.join("dovecot-uidlist");
    let ino = fs::metadata(&uidlist).unwrap().ino();
    let header = fs::read_to_string(&uidlist)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    for uid in 6..=8 {
        let msg = format!("Subject: ours {uid}\n\nappended\n");
        assert_eq!(inbox.deliver(msg.as_bytes(), &opts).unwrap().uid, uid);
    }
    let text = fs::read_to_string(&uidlist).unwrap();
    assert_eq!(fs::metadata(&uidlist).unwrap().ino(), ino, "appended");
    assert!(text.starts_with(&format!("{header}\n")), "{text}");
    let ours = inbox.sync().unwrap();
    assert_eq!(ours.uid_next, 9);
    chown_tree(&root);
    let mut imap = Imap::connect(dovecot.port);
    assert_eq!(imap.uid_next("INBOX"), 9);
    let (validity, flags) = imap.uids_and_flags("INBOX", false);
    assert_eq!(validity, ours.uid_validity);
    assert_eq!(flags, imap_flags(&ours));
    assert_eq!(
        flags.iter().map(|(u, _)| *u).collect::<Vec<_>>(),
        [1, 4, 5, 6, 7, 8]
    );

    // 8. Dovecot appends after our records; we read the same, and our next
    //    delivery follows Dovecot's.
    for uid in 9..=10 {
        let reply = imap.append("INBOX", "", b"Subject: theirs again\r\n\r\nx\r\n");
        let expected = format!("[APPENDUID {} {uid}]", ours.uid_validity);
        assert!(reply.last().unwrap().contains(&expected), "{reply:?}");
    }
    let their_next = imap.uid_next("INBOX");
    let (_, theirs) = imap.uids_and_flags("INBOX", true);
    imap.ok("LOGOUT");
    let view = store.inbox().unwrap().sync().unwrap();
    assert_eq!((view.uid_next, their_next), (11, 11));
    assert_eq!(imap_flags(&view), theirs);
    assert_eq!(
        inbox
            .deliver(&b"Subject: last\n\nx\n"[..], &opts)
            .unwrap()
            .uid,
        11
    );
    drop(dovecot);
}

#[test]
#[ignore = "interop: needs Debian's dovecot-imapd"]
fn dovecot_numbers_unnumbered_deliveries_as_we_do() {
    let (dir, root, store) = fresh_maildir();
    let inbox = store.inbox().unwrap();
    let opts = DeliveryOptions::default();
    inbox
        .deliver(&b"Subject: numbered\n\nx\n"[..], &opts)
        .unwrap();
    for i in 1..=3 {
        let msg = format!("Subject: unnumbered {i}\n\nbody\n");
        inbox.deliver_unnumbered(msg.as_bytes(), &opts).unwrap();
    }

    // Dovecot finds the three new files and numbers them after the first.
    chown_tree(&root);
    let dovecot = Dovecot::start(dir.path(), &root);
    let mut imap = Imap::connect(dovecot.port);
    imap.ok("EXAMINE INBOX");
    let mut theirs: Vec<(u32, String)> = Vec::new();
    for line in imap.ok("UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])") {
        if line.contains(" FETCH (") {
            let uid = line
                .split("UID ")
                .nth(1)
                .and_then(|r| r.split(' ').next())
                .and_then(|v| v.parse().ok())
                .unwrap();
            theirs.push((uid, String::new()));
        } else if let Some(subject) = line.strip_prefix("Subject: ") {
            theirs.last_mut().unwrap().1 = subject.to_owned();
        }
    }
    imap.ok("LOGOUT");
    drop(dovecot);
    let uids: Vec<u32> = theirs.iter().map(|(uid, _)| *uid).collect();
    assert_eq!(uids, [1, 2, 3, 4], "{theirs:?}");
    assert_eq!(theirs[0].1, "numbered");

    // We read the same numbering back.
    let store = Maildir::open(&root).unwrap();
    let inbox = store.inbox().unwrap();
    let view = inbox.sync().unwrap();
    let mut ours = Vec::new();
    for message in &view.messages {
        let mut text = String::new();
        inbox
            .open_message(message.uid)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        let subject = text.lines().next().unwrap().trim_start_matches("Subject: ");
        ours.push((message.uid, subject.to_owned()));
    }
    assert_eq!(ours, theirs);
}
