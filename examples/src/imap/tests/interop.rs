//! Python's imaplib against the service (`cargo test -- --ignored`; needs python3).

use super::*;

/// The client script: every command imaplib has a method for, with checks. It prints
/// `done` at the end; any failed check raises.
const SCRIPT: &str = r#"
import imaplib, sys
host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
m = imaplib.IMAP4(host, port)
assert "IMAP4REV2" in m.capabilities and "AUTH=PLAIN" in m.capabilities, m.capabilities
typ, _ = m.login(user, password)
assert typ == "OK"
assert m.create("Archive")[0] == "OK"
assert m.create("Archive.2026")[0] == "OK"
typ, listing = m.list()
names = [l.decode() for l in listing]
assert any(n.endswith('"." Archive.2026') for n in names), names
assert any("\\Sent" in n for n in names), names
message = b"From: ann@example.test\r\nSubject: interop\r\nMessage-ID: <i1@example.test>\r\n\r\nHello imaplib\r\n"
typ, data = m.append("INBOX", "(\\Flagged)", imaplib.Time2Internaldate(1700000000), message)
assert typ == "OK" and b"APPENDUID" in data[0], data
typ, data = m.select("INBOX")
assert typ == "OK" and data == [b"1"], data
typ, data = m.fetch("1", "(FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[])")
assert typ == "OK", data
head, body = data[0]
assert body == message, body
assert b"\\Flagged" in head and b"RFC822.SIZE %d" % len(message) in head, head
typ, data = m.uid("FETCH", "1", "(BODY[HEADER.FIELDS (SUBJECT)])")
assert data[0][1] == b"Subject: interop\r\n\r\n", data
assert m.store("1", "+FLAGS", "(\\Answered)")[0] == "OK"
typ, data = m.search(None, "ANSWERED", "SUBJECT", "interop")
assert data == [b"1"], data
typ, data = m.uid("SEARCH", "CHARSET", "UTF-8", "TEXT", "imaplib")
assert data == [b"1"], data
typ, data = m.sort("(REVERSE ARRIVAL)", "UTF-8", "ALL")
assert data == [b"1"], data
typ, data = m.thread("REFERENCES", "UTF-8", "ALL")
assert data == [b"(1)"], data
typ, data = m.copy("1", "Archive.2026")
assert typ == "OK", data
typ, data = m.status("Archive.2026", "(MESSAGES UIDNEXT)")
assert data == [b"Archive.2026 (MESSAGES 1 UIDNEXT 2)"], data
typ, data = m.uid("MOVE", "1", "Archive")
assert typ == "OK", data
typ, data = m.noop()
assert typ == "OK"
typ, data = m.getquotaroot("INBOX")
assert typ == "OK", data
typ, data = m.namespace()
assert data == [b'(("" ".")) NIL NIL'], data
assert m.subscribe("Archive")[0] == "OK"
typ, data = m.lsub()
assert any(l.endswith(b"Archive") for l in data), data
assert m.rename("Archive.2026", "Old")[0] == "OK"
assert m.delete("Old")[0] == "OK"
assert m.check()[0] == "OK"
assert m.expunge()[0] == "OK"
assert m.close()[0] == "OK"
typ, data = m.select("Archive", readonly=True)
assert data == [b"1"], data
assert m.unselect()[0] == "OK"
assert m.enable("UTF8=ACCEPT")[0] == "OK"
m.logout()
print("done")
"#;

#[tokio::test]
#[ignore = "interop: python3"]
async fn python_imaplib_runs_every_command() {
    let h = harness("").await;
    h.user("pat", 0).await;
    let output = tokio::process::Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg("127.0.0.1")
        .arg(h.addr.port().to_string())
        .arg("pat@example.test")
        .arg(PASSWORD)
        .output();
    let output = timeout(Duration::from_secs(60), output)
        .await
        .expect("python3 in time")
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert_eq!(stdout.trim(), "done", "{stderr}");
}
