//! Differential test against Dovecot 2.3 (Debian's dovecot-imapd): the same messages
//! in a throwaway Maildir, served by Dovecot's `imap` binary in PREAUTH mode over a
//! pipe (no network, no system service), must give the same BODYSTRUCTURE, BODY,
//! ENVELOPE and BODY[section] bytes as this module.
//!
//! Known, deliberate differences are left out of the corpus: Dovecot keeps the case of
//! types and parameter names as written (compared case-insensitively here), decodes
//! BINARY of composite parts, rejects invalid base64 and quoted-printable, reports
//! syntactically invalid Content-Type fields as written, and counts the line end
//! before a boundary into a message/rfc822 part whose header that boundary cuts short
//! (its HEADER and TEXT then do not add up to the part; here they do). For a header
//! without blank line (a message without body) Dovecot adds one to HEADER.FIELDS but
//! not to HEADER.FIELDS.NOT; here neither has one (RFC 3501 section 6.4.5).

use std::io::Write as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;
use std::process::{Command, Stdio};

use imap_proto::codec::decode_response;
use imap_proto::types::{FetchItem, Response, Untagged};

use super::super::Message;
use super::corpus::{ADDRESSES, ALTERNATIVE, FORWARD, MIXED, PLAIN, lf};
use super::{section, wire};

const IMAP_BINARY: &str = "/usr/lib/dovecot/imap";

/// Messages both servers must describe alike.
fn corpus() -> Vec<Vec<u8>> {
    let extra: [&str; 5] = [
        "Subject: digest\r\nContent-Type: multipart/digest; boundary=\"d\"\r\n\r\n--d\r\n\r\nSubject: one\r\n\r\nfirst\r\n--d--\r\n",
        "Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\nabc\r\n--q\r\n\r\ndef",
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n\r\nhello --b1 mid\r\n--b1x\r\nX-After: 1\r\n--b1\r\n\r\nlast",
        "Subject: x\r\nContent-Type: message/rfc822\r\n\r\nSubject: y\r\nFrom: a@b.example\r\n\r\nbody\r\n",
        "Subject: x \r\n  y\r\n\tz\r\nIn-Reply-To: x \r\n  y\r\n\r\n\r\n",
    ];
    let mut messages: Vec<Vec<u8>> = [PLAIN, ALTERNATIVE, MIXED, FORWARD, ADDRESSES]
        .iter()
        .chain(&extra)
        .map(|m| m.as_bytes().to_vec())
        .collect();
    messages.push(lf(FORWARD).into_bytes());
    messages.push(lf(MIXED).into_bytes());
    messages
}

/// Sections fetched from every message.
const SECTIONS: &[&str] = &[
    "",
    "HEADER",
    "TEXT",
    "1",
    "1.MIME",
    "1.HEADER",
    "1.1",
    "2",
    "2.MIME",
    "2.HEADER",
    "2.TEXT",
    "2.1",
    "2.1.MIME",
    "2.2",
    "2.2.MIME",
    "3",
    "3.1",
    "4",
    "HEADER.FIELDS (FROM SUBJECT X-NONE)",
    "HEADER.FIELDS.NOT (SUBJECT)",
    "2.HEADER.FIELDS (CONTENT-TYPE)",
];

/// Runs Dovecot's imap on a Maildir holding `messages`; returns its output.
fn dovecot_fetch(dir: &Path, messages: &[Vec<u8>]) -> Vec<u8> {
    let maildir = dir.join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).expect("maildir");
    }
    for (i, message) in messages.iter().enumerate() {
        let name = maildir
            .join("cur")
            .join(format!("{}.test{i}:2,S", 1_000_000 + i));
        std::fs::write(name, message).expect("message file");
    }
    // Dovecot refuses to run mail processes as root: run them as the owner of the
    // files, or as `nobody` (given the files) when that is root.
    let owner = std::fs::metadata(dir).expect("temp dir");
    let as_nobody = owner.uid() == 0;
    let (uid, gid) = if as_nobody {
        (65534, 65534)
    } else {
        (owner.uid(), owner.gid())
    };
    let config = dir.join("dovecot.conf");
    std::fs::write(
        &config,
        format!(
            "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/log\n\
             mail_location = maildir:{m}\nssl = no\nprotocols = imap\n\
             mail_uid = {uid}\nmail_gid = {gid}\nfirst_valid_uid = 0\nfirst_valid_gid = 0\n",
            d = dir.display(),
            m = maildir.display(),
        ),
    )
    .expect("config");
    if as_nobody {
        chown_all(dir, uid, gid);
    }

    let mut script = String::from("a SELECT INBOX\r\n");
    let items: Vec<String> = SECTIONS.iter().map(|s| format!("BODY.PEEK[{s}]")).collect();
    script.push_str(&format!(
        "b FETCH 1:* (BODYSTRUCTURE BODY ENVELOPE {})\r\nc LOGOUT\r\n",
        items.join(" ")
    ));
    let mut child = Command::new(IMAP_BINARY)
        .arg("-c")
        .arg(&config)
        .env_clear()
        .env("USER", "tester")
        .env("HOME", dir)
        .env("MAIL", format!("maildir:{}", maildir.display()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dovecot imap");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write commands");
    let output = child.wait_with_output().expect("dovecot imap output");
    assert!(
        output.stdout.windows(4).any(|w| w == b"b OK"),
        "dovecot: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn chown_all(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown");
    if path.is_dir() {
        for entry in std::fs::read_dir(path).expect("read dir") {
            chown_all(&entry.expect("entry").path(), uid, gid);
        }
    }
}

/// The FETCH responses in `output`, by sequence number.
fn fetches(output: &[u8]) -> Vec<(u32, Vec<FetchItem<'static>>)> {
    let mut rest = output;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let Ok((used, response)) = decode_response(rest) else {
            // Not a response (the PREAUTH greeting's log line, etc.): skip the line.
            let line = rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or(rest.len(), |i| i + 1);
            rest = &rest[line..];
            continue;
        };
        if let Response::Untagged(Untagged::Fetch(fetch)) = response.into_owned() {
            out.push((fetch.seq.get(), fetch.items.into_vec()));
        }
        rest = &rest[used..];
    }
    out
}

#[test]
#[ignore = "interop: dovecot-imapd (runs /usr/lib/dovecot/imap in PREAUTH mode)"]
fn same_as_dovecot() {
    let dir = tempfile::tempdir().expect("temp dir");
    let messages = corpus();
    let output = dovecot_fetch(dir.path(), &messages);
    let fetches = fetches(&output);
    assert_eq!(
        fetches.len(),
        messages.len(),
        "{}",
        String::from_utf8_lossy(&output)
    );
    for (seq, items) in fetches {
        let raw = &messages[seq as usize - 1];
        let ours = Message::parse(raw);
        let context = String::from_utf8_lossy(raw).into_owned();
        for item in items {
            match item {
                FetchItem::BodyStructure(theirs) => assert_eq!(
                    wire(FetchItem::BodyStructure(Box::new(
                        ours.body_structure(true)
                    )))
                    .to_ascii_lowercase(),
                    wire(FetchItem::BodyStructure(theirs)).to_ascii_lowercase(),
                    "BODYSTRUCTURE of {context:?}"
                ),
                FetchItem::Body(theirs) => assert_eq!(
                    wire(FetchItem::Body(Box::new(ours.body_structure(false))))
                        .to_ascii_lowercase(),
                    wire(FetchItem::Body(theirs)).to_ascii_lowercase(),
                    "BODY of {context:?}"
                ),
                FetchItem::Envelope(theirs) => {
                    assert_eq!(ours.envelope(), *theirs, "ENVELOPE of {context:?}");
                }
                FetchItem::BodySection {
                    section: s, data, ..
                } => {
                    let theirs = data.0.map(|d| d.as_bytes().to_vec()).unwrap_or_default();
                    let dotted: Vec<String> = s.part().iter().map(|n| n.to_string()).collect();
                    let mine = ours.section(&section(&dotted.join("."), s.text().cloned()));
                    assert_eq!(
                        String::from_utf8_lossy(&mine),
                        String::from_utf8_lossy(&theirs),
                        "BODY[{s:?}] of {context:?}"
                    );
                }
                _ => {}
            }
        }
    }
}
