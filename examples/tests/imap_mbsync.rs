//! Debian's isync (`mbsync`) keeping a local Maildir and the real `postroom` binary's
//! IMAP service in step, both ways: a throwaway `.mbsyncrc` with `Sync All`, `Create
//! Both`, `Expunge Both`, logging in with SCRAM-SHA-256 over STARTTLS (and PLAIN over
//! implicit TLS for the last run). Each run's progress counters (mbsync prints them
//! only to a terminal, hence `script`) must show exactly the expected transfers, the
//! local side is read from its files and the server side over IMAP. Run with
//! `cargo test -p postroom --test imap_mbsync -- --ignored`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::imap::{Imap, deliver_raw, fetched, fetches, flags, item};
use support::{Options, PASSWORD, Postroom, run_bounded};

const USER: &str = "pat@example.test";

/// How long one mbsync run may take.
const SYNC_LIMIT: Duration = Duration::from_secs(60);

/// Messages in the bulk folder.
const BULK: usize = 150;

/// A message with `subject` and `body` (CRLF line ends).
fn message(subject: &str, body: &str) -> String {
    format!(
        "From: Alice <alice@elsewhere.example>\r\nTo: {USER}\r\n\
         Subject: {subject}\r\nMessage-ID: <{subject}@elsewhere.example>\r\n\
         Date: Tue, 5 Mar 2024 10:11:12 +0100\r\n\r\n{body}"
    )
}

/// What one side of a run transferred: new messages, flag updates, trashed messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Side {
    new: u32,
    flags: u32,
    trashed: u32,
}

/// An mbsync run's final counters: `F:` (pushed to the server) and `N:` (pulled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Counters {
    far: Side,
    near: Side,
}

const fn side(new: u32, flags: u32, trashed: u32) -> Side {
    Side {
        new,
        flags,
        trashed,
    }
}

/// Parses `+2/2 *1/1 #0/0`; every done count must equal its total.
fn parse_side(fields: &[&str]) -> Side {
    let mut counts = [0u32; 3];
    for (slot, (field, marker)) in counts.iter_mut().zip(fields.iter().zip(['+', '*', '#'])) {
        let (done, total) = field
            .strip_prefix(marker)
            .and_then(|f| f.split_once('/'))
            .unwrap_or_else(|| panic!("bad counter {field:?}"));
        assert_eq!(done, total, "mbsync left work undone: {fields:?}");
        *slot = done.parse().expect("count");
    }
    side(counts[0], counts[1], counts[2])
}

/// The last progress line, e.g. `C: 1/1  B: 7/7  F: +2/2 *2/2 #0/0  N: +0/0 *0/0 #0/0`.
fn parse_counters(output: &str) -> Counters {
    let line = output
        .split(['\r', '\n'])
        .rev()
        .find(|l| l.starts_with("C: "))
        .unwrap_or_else(|| panic!("no progress counters in {output:?}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = |label: &str| {
        let i = words.iter().position(|w| *w == label).expect("label");
        &words[i + 1..i + 4]
    };
    Counters {
        far: parse_side(at("F:")),
        near: parse_side(at("N:")),
    }
}

/// A local Maildir tree and the `.mbsyncrc` that pairs it with the server.
struct Mbsync {
    dir: tempfile::TempDir,
}

impl Mbsync {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("local")).expect("local dir");
        Self { dir }
    }

    fn local(&self) -> PathBuf {
        self.dir.path().join("local")
    }

    /// Writes the configuration for the server's `port` with `ssl_type` (`STARTTLS`
    /// or `IMAPS`) and SASL mechanisms `mechs`.
    fn configure(&self, server: &Postroom, port: u16, ssl_type: &str, mechs: &str) -> PathBuf {
        let local = self.local();
        let cert = server.cert.as_ref().expect("certificate");
        let rc = format!(
            "IMAPAccount postroom\n\
             Host localhost\nPort {port}\nUser {USER}\nPass {PASSWORD}\n\
             SSLType {ssl_type}\nCertificateFile {cert}\nAuthMechs {mechs}\nTimeout 20\n\n\
             IMAPStore remote\nAccount postroom\n\n\
             MaildirStore local\nPath {l}/\nInbox {l}/INBOX\nSubFolders Verbatim\n\n\
             Channel sync\nFar :remote:\nNear :local:\nPatterns *\n\
             Sync All\nCreate Both\nExpunge Both\nSyncState *\n",
            cert = cert.display(),
            l = local.display(),
        );
        let path = self.dir.path().join("mbsyncrc");
        std::fs::write(&path, rc).expect("write mbsyncrc");
        path
    }

    /// Runs mbsync under a pseudo-terminal (so it prints its counters); asserts it
    /// succeeded and returns the counters.
    fn sync(&self, server: &Postroom, rc: &Path) -> Counters {
        let inner = format!("timeout 50 mbsync -c '{}' -a", rc.display());
        let out = run_bounded(
            Command::new("script")
                .args(["-q", "-e", "-c", &inner, "/dev/null"])
                .env("HOME", self.dir.path()),
            SYNC_LIMIT,
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "mbsync failed ({}): {text}\n{}",
            out.status,
            server.log()
        );
        assert!(
            !text.contains("Error") && !text.contains("Warning"),
            "mbsync complained: {text}"
        );
        parse_counters(&text)
    }

    /// Runs mbsync with network debugging; returns the commands it sent.
    fn sync_traced(&self, server: &Postroom, rc: &Path) -> Vec<String> {
        let out = run_bounded(
            Command::new("mbsync")
                .args(["-Dn", "-c"])
                .arg(rc)
                .arg("-a")
                .env("HOME", self.dir.path()),
            SYNC_LIMIT,
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "mbsync failed: {text}\n{}",
            server.log()
        );
        text.lines()
            .filter_map(|l| l.strip_prefix(">>> "))
            .map(str::to_owned)
            .collect()
    }
}

/// One message as either side holds it: flags as Maildir letters, and its text with
/// LF line ends and without mbsync's `X-TUID` bookkeeping header.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Msg {
    text: String,
    flags: String,
}

fn normalise(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .replace("\r\n", "\n")
        .lines()
        .filter(|l| !l.starts_with("X-TUID: "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The messages of a local folder (`""` is INBOX), sorted.
fn local_messages(root: &Path, folder: &str) -> Vec<Msg> {
    let dir = if folder.is_empty() {
        root.join("INBOX")
    } else {
        root.join(folder)
    };
    let mut out: Vec<Msg> = support::message_files(&dir)
        .iter()
        .map(|file| {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let flags = name.split_once(":2,").map_or("", |(_, f)| f).to_owned();
            Msg {
                text: normalise(&std::fs::read(file).expect("read")),
                flags,
            }
        })
        .collect();
    out.sort();
    out
}

/// IMAP flags as Maildir letters, sorted.
fn letters(imap_flags: &[String]) -> String {
    let mut out: Vec<char> = imap_flags
        .iter()
        .filter_map(|f| match f.as_str() {
            "\\Draft" => Some('D'),
            "\\Flagged" => Some('F'),
            "\\Answered" => Some('R'),
            "\\Seen" => Some('S'),
            "\\Deleted" => Some('T'),
            _ => None,
        })
        .collect();
    out.sort_unstable();
    out.into_iter().collect()
}

/// The messages of a server folder, read over IMAP (EXAMINE, UID FETCH), sorted.
fn server_messages<S: std::io::Read + std::io::Write>(
    client: &mut Imap<S>,
    mailbox: &str,
) -> Vec<Msg> {
    let examine = client.ok(&format!("EXAMINE \"{mailbox}\""));
    let mut out = Vec::new();
    if examine.count("EXISTS") != Some(0) {
        let fetch = client.ok("UID FETCH 1:* (FLAGS BODY.PEEK[])");
        for (_, response) in fetches(&fetch) {
            assert!(item(response, "UID").is_some(), "{}", response.text);
            out.push(Msg {
                text: normalise(&fetched(response, "BODY[]")),
                flags: letters(&flags(response)),
            });
        }
    }
    client.ok("CLOSE");
    out.sort();
    out
}

/// The mailbox names the server lists.
fn server_mailboxes<S: std::io::Read + std::io::Write>(client: &mut Imap<S>) -> Vec<String> {
    let list = client.ok("LIST \"\" \"*\"");
    let mut names: Vec<String> = list
        .lines()
        .iter()
        .filter(|l| !l.contains("\\Noselect") && !l.contains("\\NonExistent"))
        .filter_map(|l| {
            l.rsplit_once(" \".\" ")
                .map(|(_, n)| n.trim_matches('"').to_owned())
        })
        .collect();
    names.sort();
    names
}

/// The local folders mbsync made (directories holding `cur/`), as server names.
fn local_mailboxes(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read local dir").flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if !path.is_dir() || ["cur", "new", "tmp"].contains(&name.as_str()) {
                continue;
            }
            let full = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}.{name}")
            };
            if path.join("cur").is_dir() {
                out.push(full.clone());
            }
            walk(&path, &full, out);
        }
    }
    let mut out = Vec::new();
    walk(root, "", &mut out);
    out.sort();
    out
}

/// The local file of the message whose text contains `marker`.
fn local_file(root: &Path, folder: &str, marker: &str) -> PathBuf {
    support::message_files(&root.join(folder))
        .into_iter()
        .find(|f| String::from_utf8_lossy(&std::fs::read(f).unwrap()).contains(marker))
        .unwrap_or_else(|| panic!("no local message with {marker} in {folder}"))
}

/// Gives a local message new Maildir flags (moving it to `cur/`).
fn set_local_flags(file: &Path, letters: &str) {
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let base = name.split_once(":2,").map_or(name.as_str(), |(b, _)| b);
    let folder = file.parent().unwrap().parent().unwrap();
    std::fs::rename(file, folder.join("cur").join(format!("{base}:2,{letters}")))
        .expect("rename local message");
}

/// Stores `text` as a new local message in `folder` (created as a Maildir if new).
fn write_local(root: &Path, folder: &str, name: &str, text: &str) {
    let dir = root.join(folder);
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(dir.join(sub)).expect("local maildir");
    }
    std::fs::write(dir.join("cur").join(name), text).expect("write local message");
}

/// The user's password as SCRAM-SHA-256 keys (the configured scheme cannot serve
/// SCRAM, and mbsync prefers it).
fn scram_hash() -> String {
    let out = Command::new(support::binary())
        .args(["pw", "-s", "SCRAM-SHA-256", "-p", PASSWORD])
        .output()
        .expect("postroom pw");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn msg(text: &str, flags: &str) -> Msg {
    Msg {
        text: normalise(text.as_bytes()),
        flags: flags.to_owned(),
    }
}

#[test]
#[ignore = "interop: isync"]
fn mbsync_syncs_a_mailbox_both_ways() {
    let mut server = Postroom::setup(&Options::default());
    server.admin(&["user", "passwd", USER, "--hash", &scram_hash()]);
    server.start();
    let mut imap = support::imap::imap(&server);
    imap.login(USER, PASSWORD);

    // (a) Mail on the server: two deliveries to INBOX, a folder and a nested one.
    deliver_raw(server.mx, USER, &message("first", "one\r\n"));
    deliver_raw(server.mx, USER, &message("second", "two\r\n"));
    imap.ok("CREATE Work");
    imap.ok("CREATE Projects.Alpha");
    let work = message("work-one", "work\r\n");
    assert!(
        imap.append("Work", "\\Flagged", "", work.as_bytes())
            .is_ok()
    );
    let alpha = message("alpha", "alpha\r\n");
    assert!(
        imap.append("Projects.Alpha", "\\Draft \\Seen", "", alpha.as_bytes())
            .is_ok()
    );
    imap.ok("SELECT INBOX");
    imap.ok("UID STORE 1 +FLAGS (\\Seen \\Answered)");
    imap.ok("CLOSE");
    let inbox_before = server_messages(&mut imap, "INBOX");
    // A bulk folder: many messages of many sizes, so the server answers mbsync's
    // FETCH in batches, through DEFLATE and TLS.
    imap.ok("CREATE Bulk");
    for i in 0..BULK {
        let body = format!("line {i} of a bulk message\r\n").repeat((i * 37 % 700) + 1);
        let flags = match i % 5 {
            0 => "\\Seen",
            1 => "\\Flagged \\Seen",
            _ => "",
        };
        let bulk = message(&format!("bulk-{i}"), &body);
        assert!(imap.append("Bulk", flags, "", bulk.as_bytes()).is_ok());
    }
    let bulk_before = server_messages(&mut imap, "Bulk");
    assert_eq!(bulk_before.len(), BULK);

    let mbsync = Mbsync::new();
    let local = mbsync.local();
    let starttls = mbsync.configure(&server, server.imap.port(), "STARTTLS", "SCRAM-SHA-256");
    let first = mbsync.sync(&server, &starttls);
    assert_eq!(
        first,
        Counters {
            far: Side::default(),
            near: side(4 + BULK as u32, 0, 0)
        }
    );
    assert!(
        server.log().contains("method=AUTHENTICATE"),
        "{}",
        server.log()
    );
    assert_eq!(local_mailboxes(&local), server_mailboxes(&mut imap));
    assert_eq!(local_messages(&local, ""), inbox_before);
    let flags_of = |msgs: &[Msg], subject: &str| {
        let wanted = format!("Subject: {subject}\n");
        msgs.iter()
            .find(|m| m.text.contains(&wanted))
            .map(|m| m.flags.clone())
            .unwrap_or_else(|| panic!("no message {subject} in {msgs:?}"))
    };
    assert_eq!(flags_of(&inbox_before, "first"), "RS");
    assert_eq!(flags_of(&inbox_before, "second"), "");
    assert_eq!(local_messages(&local, "Work"), [msg(&work, "F")]);
    assert_eq!(local_messages(&local, "Bulk"), bulk_before);
    assert_eq!(
        local_messages(&local, "Projects/Alpha"),
        [msg(&alpha, "DS")]
    );

    // (b) Local changes reach the server: a new message, flags, a deletion, a folder.
    let local_new = message("local-new", "written locally\r\n");
    write_local(&local, "INBOX", "1700000000.local1.host:2,S", &local_new);
    set_local_flags(&local_file(&local, "INBOX", "Subject: second"), "FS");
    std::fs::remove_file(local_file(&local, "Work", "Subject: work-one")).unwrap();
    let personal = message("personal", "mine\r\n");
    write_local(&local, "Personal", "1700000001.local2.host:2,", &personal);
    let second = mbsync.sync(&server, &starttls);
    // The deletion travels as a \Deleted flag, then an expunge.
    assert_eq!(
        second,
        Counters {
            far: side(2, 2, 0),
            near: Side::default()
        }
    );
    let mut inbox = inbox_before.clone();
    for m in &mut inbox {
        if m.text.contains("Subject: second\n") {
            m.flags = "FS".to_owned();
        }
    }
    inbox.push(msg(&local_new, "S"));
    inbox.sort();
    assert_eq!(server_messages(&mut imap, "INBOX"), inbox);
    assert_eq!(server_messages(&mut imap, "Work"), []);
    assert!(server_mailboxes(&mut imap).contains(&"Personal".to_owned()));
    assert_eq!(server_messages(&mut imap, "Personal"), [msg(&personal, "")]);

    // (c) Another IMAP session changes the server: flags, an expunge, an APPEND, a new
    // folder.
    let mut other = support::imap::imap(&server);
    other.login(USER, PASSWORD);
    other.ok("SELECT INBOX");
    other.ok("UID STORE 1 +FLAGS (\\Flagged)");
    other.ok("UID STORE 1 -FLAGS (\\Answered)");
    other.ok("UID STORE 2 +FLAGS.SILENT (\\Deleted)");
    let expunge = other.ok("EXPUNGE");
    assert!(expunge.has("2 EXPUNGE"), "{expunge:?}");
    let work_two = message("work-two", "second work\r\n");
    assert!(
        other
            .append("Work", "\\Draft", "", work_two.as_bytes())
            .is_ok()
    );
    other.ok("CREATE Server.Side");
    let side_msg = message("server-side", "from the server\r\n");
    assert!(
        other
            .append("Server.Side", "\\Answered", "", side_msg.as_bytes())
            .is_ok()
    );
    other.ok("LOGOUT");
    let third = mbsync.sync(&server, &starttls);
    assert_eq!(
        third,
        Counters {
            far: Side::default(),
            near: side(2, 2, 0)
        }
    );
    let inbox = server_messages(&mut imap, "INBOX");
    assert_eq!(inbox.len(), 2, "{inbox:?}");
    assert_eq!(local_messages(&local, ""), inbox);
    assert!(
        inbox
            .iter()
            .any(|m| m.text.contains("Subject: first") && m.flags == "FS"),
        "{inbox:?}"
    );
    assert!(!inbox.iter().any(|m| m.text.contains("Subject: second")));
    assert_eq!(local_messages(&local, "Work"), [msg(&work_two, "D")]);
    assert_eq!(local_messages(&local, "Server/Side"), [msg(&side_msg, "R")]);
    assert_eq!(local_mailboxes(&local), server_mailboxes(&mut imap));

    // (d) Nothing changed: a fourth run over implicit TLS with PLAIN transfers nothing,
    // and a traced fifth run sends no command that changes anything.
    let states = |imap: &mut Imap<_>| {
        server_mailboxes(imap)
            .iter()
            .map(|name| {
                let status = imap.ok(&format!(
                    "STATUS \"{name}\" (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)"
                ));
                status.lines().join(" ")
            })
            .collect::<Vec<_>>()
    };
    let before = states(&mut imap);
    let local_before = local_tree(&local);
    let imaps = mbsync.configure(
        &server,
        server.imaps.expect("imaps").port(),
        "IMAPS",
        "PLAIN",
    );
    assert_eq!(mbsync.sync(&server, &imaps), Counters::default());
    let commands = mbsync.sync_traced(&server, &imaps);
    for command in &commands {
        let verb = command.split(' ').nth(1).unwrap_or_default();
        let verb = if verb == "UID" {
            command.split(' ').nth(2).unwrap_or_default()
        } else {
            verb
        };
        assert!(
            !matches!(
                verb,
                "APPEND" | "STORE" | "EXPUNGE" | "CREATE" | "DELETE" | "COPY" | "MOVE"
            ),
            "a no-op sync sent {command}: {commands:?}"
        );
    }
    assert!(
        commands.iter().any(|c| c.contains("SELECT")),
        "{commands:?}"
    );
    // mbsync compresses whenever the server offers it: DEFLATE inside TLS.
    assert!(
        commands.iter().any(|c| c.ends_with(" COMPRESS DEFLATE")),
        "{commands:?}"
    );
    assert_eq!(states(&mut imap), before);
    assert_eq!(local_tree(&local), local_before);
    imap.ok("LOGOUT");
}

/// Every message file name below `root` (mbsync's own state files excluded), sorted.
fn local_tree(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if !path.to_string_lossy().contains(".mbsync")
                && !path.to_string_lossy().contains(".uidvalidity")
            {
                out.push(path.display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, &mut out);
    out.sort();
    out
}
