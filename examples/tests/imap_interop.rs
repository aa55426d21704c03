//! Real IMAP clients against the real `postroom` binary, and Dovecot on the same Maildir:
//! Python's imaplib (STARTTLS and IMAPS, the commands of RFC 9051 and the extensions
//! imaplib speaks), Debian's Dovecot 2.3 serving the very Maildir a Postroom user reads
//! (UIDs, UIDVALIDITY, flags and keywords agree both ways, also while both run), and
//! curl's `imap://` and `imaps://`. Run with `cargo test -p postroom --test imap_interop
//! -- --ignored`.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::dovecot_imap::{self, Dovecot, NOBODY};
use support::imap::{Imap, Reply, deliver_raw, fetched, fetches, flags, item};
use support::pop3::tcp;
use support::{Options, PASSWORD, Postroom, run_bounded};

/// A message with `subject` and `body` (CRLF line ends).
fn message(subject: &str, body: &str) -> String {
    format!(
        "From: Alice <alice@elsewhere.example>\r\nTo: pat@example.test\r\n\
         Subject: {subject}\r\nMessage-ID: <{subject}@elsewhere.example>\r\n\
         Date: Tue, 5 Mar 2024 10:11:12 +0100\r\n\r\n{body}"
    )
}

fn text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

// ----- Python's imaplib -----

const IMAPLIB_SCRIPT: &str = r#"
import base64, imaplib, re, ssl, sys, time
port, port_s, cafile, user, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
expected = [open(p, 'rb').read() for p in sys.argv[6:]]

def ok(result, what):
    typ, data = result
    assert typ == 'OK', (what, typ, data)
    return data

def eq(got, want, what):
    assert got == want, (what, got, want)

def fetch_items(data):
    # [(b'1 (UID 1 ... {n}', b'literal'), b')', ...] -> list of (prefix, literal or None)
    out = []
    for part in data:
        if isinstance(part, tuple):
            out.append((part[0], part[1]))
        elif part not in (b')',) and part is not None:
            out.append((part, None))
    return out

ctx = ssl.create_default_context(cafile=cafile)
ctx.check_hostname = False

m = imaplib.IMAP4('127.0.0.1', port, timeout=30)
assert 'STARTTLS' in m.capabilities, m.capabilities
m.starttls(ctx)
for cap in ('IMAP4REV1', 'IMAP4REV2', 'IDLE', 'UIDPLUS', 'MOVE', 'NAMESPACE', 'QUOTA', 'SORT',
            'THREAD=REFERENCES', 'THREAD=ORDEREDSUBJECT', 'ESEARCH', 'CONDSTORE', 'QRESYNC',
            'AUTH=PLAIN', 'ENABLE', 'UNSELECT', 'SPECIAL-USE', 'LIST-STATUS', 'ID'):
    assert cap in m.capabilities, (cap, m.capabilities)
ok(m.login(user, password), 'login')
ok(m.enable('CONDSTORE'), 'enable')

# Mailboxes.
names = ok(m.list(), 'list')
assert any(n.endswith(b' INBOX') or n.endswith(b' "INBOX"') for n in names), names
ok(m.create('Archive'), 'create')
ok(m.create('Work'), 'create Work')
ok(m.rename('Work', 'Projects'), 'rename')
ok(m.subscribe('Archive'), 'subscribe')
lsub = ok(m.lsub(), 'lsub')
assert any(b'Archive' in l for l in lsub), lsub
ok(m.unsubscribe('Archive'), 'unsubscribe')
ok(m.delete('Projects'), 'delete')
names = ok(m.list(), 'list again')
assert not any(b'Projects' in n for n in names), names
assert not any(b' Work' in n for n in names), names
typ, ns = m.namespace()
assert typ == 'OK' and ns[0].startswith(b'(("'), ns
typ, data = m.getquotaroot('INBOX')
assert typ == 'OK', (typ, data)
typ, data = m.xatom('ID', '("name" "imaplib")')
assert typ == 'OK', (typ, data)
assert m.untagged_responses.get('ID'), m.untagged_responses

st = ok(m.status('INBOX', '(MESSAGES UIDNEXT UNSEEN)'), 'status')
size = ok(m.status('INBOX', '(SIZE)'), 'status size')
eq(size[0], b'INBOX (SIZE %d)' % sum(len(e) for e in expected), 'STATUS SIZE')
ok(m._simple_command('LIST', '""', '*', 'RETURN (STATUS (MESSAGES UIDNEXT))'), 'list-status')
listed = m.response('STATUS')[1]
assert b'INBOX (MESSAGES 2 UIDNEXT 3)' in listed and b'Archive (MESSAGES 0 UIDNEXT 1)' in listed, listed
assert b'MESSAGES %d' % len(expected) in st[0] and b'UIDNEXT %d' % (len(expected) + 1) in st[0], st

# Read-only first: EXAMINE sets no flag.
data = ok(m.select('INBOX', readonly=True), 'examine')
assert int(data[0]) == len(expected), data
ok(m.fetch('1', '(RFC822)'), 'fetch read-only')
flags = ok(m.fetch('1', '(FLAGS)'), 'flags')
assert b'\\Seen' not in flags[0], flags
ok(m.unselect(), 'unselect')

data = ok(m.select('INBOX'), 'select')
assert int(data[0]) == len(expected), data
eq(ok(m.search(None, 'ALL'), 'search')[0], b'1 2', 'SEARCH ALL')
eq(ok(m.search(None, '(SUBJECT "second")'), 'search subject')[0], b'2', 'SEARCH SUBJECT')
eq(ok(m.search(None, 'BODY', '"marker-two"'), 'search body')[0], b'2', 'SEARCH BODY')
eq(ok(m.search(None, 'UNSEEN'), 'unseen')[0], b'1 2', 'SEARCH UNSEEN')
eq(ok(m.uid('SEARCH', 'FROM', 'alice'), 'uid search')[0], b'1 2', 'UID SEARCH FROM')
eq(ok(m.sort('(ARRIVAL)', 'UTF-8', 'ALL'), 'sort')[0], b'1 2', 'SORT ARRIVAL')
eq(ok(m.sort('(REVERSE SUBJECT)', 'UTF-8', 'ALL'), 'sort')[0], b'2 1', 'SORT REVERSE SUBJECT')
eq(ok(m.sort('(FROM SUBJECT)', 'UTF-8', 'ALL'), 'sort subject')[0], b'1 2', 'SORT FROM SUBJECT')
ok(m.search(None, 'RETURN', '(MIN MAX COUNT)', 'ALL'), 'esearch')
esearch = m.response('ESEARCH')[1][0]
assert esearch.endswith(b'MIN 1 MAX 2 COUNT 2'), esearch
eq(ok(m.thread('ORDEREDSUBJECT', 'UTF-8', 'ALL'), 'thread')[0], b'(1)(2)', 'THREAD ORDEREDSUBJECT')
thread = ok(m.thread('REFERENCES', 'UTF-8', 'ALL'), 'thread')[0]
assert thread in (b'(1)(2)', b'(2)(1)'), thread

# FETCH: every message byte for byte, with its size and UID.
for i, body in enumerate(expected):
    items = fetch_items(ok(m.fetch(str(i + 1), '(UID RFC822.SIZE BODY.PEEK[])'), 'fetch'))
    prefix, literal = items[0]
    assert literal == body, 'BODY[] of %d differs' % (i + 1)
    assert b'RFC822.SIZE %d' % len(body) in prefix, prefix
    assert b'UID %d' % (i + 1) in prefix, prefix
items = fetch_items(ok(m.fetch('2', '(BINARY.PEEK[1] BINARY.SIZE[1])'), 'binary'))
eq(items[0][1], b'marker-two\r\n', 'BINARY[1]')
assert items[1][0].strip() == b'BINARY.SIZE[1] 12)', items
items = fetch_items(ok(m.fetch('2', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])'), 'header fields'))
assert items[0][1] == b'Subject: second\r\n\r\n', items
items = fetch_items(ok(m.fetch('1', '(ENVELOPE BODYSTRUCTURE INTERNALDATE)'), 'envelope'))
assert b'ENVELOPE ("Tue, 5 Mar 2024 10:11:12 +0100" "first"' in items[0][0], items
assert b'BODYSTRUCTURE ("TEXT" "PLAIN"' in items[0][0].upper(), items
date = imaplib.Internaldate2tuple(items[0][0])
assert date is not None, items

# STORE, COPY (COPYUID), APPEND (APPENDUID), MOVE, EXPUNGE.
data = ok(m.store('1', '+FLAGS', '(\\Flagged $Work)'), 'store')
assert b'\\Flagged' in data[0] and b'$Work' in data[0], data
data = ok(m.store('1', '-FLAGS', '($Work)'), 'store minus')
assert b'$Work' not in data[0], data
typ, data = m.copy('1', 'Archive')
assert typ == 'OK' and b'[COPYUID ' in data[0] and data[0].split()[2:4] == [b'1', b'1]'], data
st = ok(m.status('Archive', '(MESSAGES)'), 'status archive')
assert b'MESSAGES 1' in st[0], st
appended = b'From: py@example.test\r\nSubject: appended\r\n\r\nby imaplib\r\n'
typ, data = m.append('INBOX', '(\\Seen)', imaplib.Time2Internaldate(time.time()), appended)
assert typ == 'OK' and b'APPENDUID' in data[0], (typ, data)
ok(m.noop(), 'noop')
ok(m.check(), 'check')
count = len(expected) + 1
assert ok(m.search(None, 'ALL'), 'search after append')[0].split()[-1] == b'%d' % count
items = fetch_items(ok(m.fetch(str(count), '(FLAGS BODY.PEEK[])'), 'fetch appended'))
assert items[0][1] == appended and b'\\Seen' in items[0][0], items
typ, data = m.uid('MOVE', str(count), 'Archive')
assert typ == 'OK', (typ, data)
eq(m.response('EXPUNGE')[1], [b'%d' % count], 'EXPUNGE sent by MOVE')
st = ok(m.status('Archive', '(MESSAGES)'), 'status archive 2')
assert b'MESSAGES 2' in st[0], st
ok(m.store('2', '+FLAGS', '\\Deleted'), 'store deleted')
eq(ok(m.expunge(), 'expunge'), [b'2'], 'EXPUNGE')
assert ok(m.search(None, 'ALL'), 'search after expunge')[0] == b'1'
ok(m.close(), 'close')
ok(m.select('Archive'), 'select archive')
assert ok(m.uid('SEARCH', 'ALL'), 'archive uids')[0] == b'1 2'
eq(m.logout()[0], 'BYE', 'LOGOUT')  # imaplib reports the untagged BYE

# IMAPS with AUTHENTICATE PLAIN.
s = imaplib.IMAP4_SSL('127.0.0.1', port_s, ssl_context=ctx, timeout=30)
ok(s.authenticate('PLAIN', lambda _: b'\0' + user.encode() + b'\0' + password.encode()), 'authenticate')
data = ok(s.select('INBOX'), 'select over imaps')
assert int(data[0]) == 1, data
items = fetch_items(ok(s.fetch('1', '(FLAGS BODY.PEEK[])'), 'fetch over imaps'))
assert items[0][1] == expected[0] and b'\\Flagged' in items[0][0], items
eq(s.logout()[0], 'BYE', 'LOGOUT over imaps')

# COMPRESS=DEFLATE (imaplib has no support): a raw session, plaintext on loopback.
import socket, zlib
raw = socket.create_connection(('127.0.0.1', port), timeout=30)
lines = raw.makefile('rb')
assert lines.readline().startswith(b'* OK'), 'greeting'
raw.sendall(b'a LOGIN "%s" "%s"\r\n' % (user.encode(), password.encode()))
while not (line := lines.readline()).startswith(b'a '):
    assert line, 'closed during LOGIN'
assert line.startswith(b'a OK'), line
raw.sendall(b'b COMPRESS DEFLATE\r\n')
assert lines.readline().startswith(b'b OK'), 'COMPRESS'
deflate, inflate = zlib.compressobj(6, zlib.DEFLATED, -15), zlib.decompressobj(-15)
inflated = b''
def compressed(command, tag):
    global inflated
    raw.sendall(deflate.compress(command) + deflate.flush(zlib.Z_SYNC_FLUSH))
    while b'\r\n' + tag + b' ' not in b'\r\n' + inflated:
        chunk = raw.recv(65536)
        assert chunk, ('closed while compressed', inflated)
        inflated += inflate.decompress(chunk)
    done, inflated = inflated, b''
    return done
selected = compressed(b'c SELECT INBOX\r\n', b'c')
assert b'* 1 EXISTS\r\n' in selected and b'\r\nc OK' in selected, selected
body = compressed(b'd FETCH 1 BODY.PEEK[]\r\n', b'd')
wanted = b'* 1 FETCH (BODY[] {%d}\r\n%s)\r\nd OK' % (len(expected[0]), expected[0])
assert body.startswith(wanted), ('compressed FETCH', body)
assert b'* BYE' in compressed(b'e LOGOUT\r\n', b'e')
print('imaplib ok')
"#;

#[test]
#[ignore = "interop: needs python3 (imaplib)"]
fn python_imaplib_session_over_starttls_and_imaps() {
    let server = Postroom::start_with(&Options::default());
    deliver_raw(
        server.mx,
        "pat@example.test",
        &message("first", "marker-one\r\n"),
    );
    deliver_raw(
        server.mx,
        "pat@example.test",
        &message("second", "marker-two\r\n"),
    );
    let mut files = support::message_files(&server.maildir("pat"));
    // In UID order: the first delivery's file holds "marker-one".
    files.sort_by_key(|f| !std::fs::read_to_string(f).unwrap().contains("marker-one"));
    let out = run_bounded(
        Command::new("python3")
            .arg("-c")
            .arg(IMAPLIB_SCRIPT)
            .arg(server.imap.port().to_string())
            .arg(server.imaps.expect("imaps").port().to_string())
            .arg(server.cert.as_ref().expect("certificate"))
            .args(["pat@example.test", PASSWORD])
            .args(&files),
        Duration::from_secs(120),
    );
    assert!(out.status.success(), "{}\n{}", text(&out), server.log());
    assert!(text(&out).contains("imaplib ok"));
    // What imaplib did is in the Maildir: one message left in INBOX, two in Archive.
    assert_eq!(server.inbox("pat").len(), 1);
    let archive = server.maildir("pat").join(".Archive");
    assert_eq!(support::messages_in(&archive).len(), 2);
}

// ----- Dovecot on the same Maildir -----

impl Dovecot {
    /// A logged-in session.
    fn session(&self) -> Imap<std::net::TcpStream> {
        let mut client = Imap::new(tcp(self.addr));
        client.greeting();
        client.login(dovecot_imap::USER, dovecot_imap::PASSWORD);
        client
    }
}

/// Hands the Maildir to Dovecot's mail user, and lets it through the directories above.
fn hand_to_dovecot(server: &Postroom, user: &str) {
    let maildir = server.maildir(user);
    let mut dir = maildir.parent();
    while let Some(d) = dir {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        if d == server.dir.path() {
            break;
        }
        dir = d.parent();
    }
    chown_tree(&maildir);
}

fn chown_tree(path: &Path) {
    std::os::unix::fs::chown(path, Some(NOBODY), Some(NOBODY)).unwrap();
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            chown_tree(&entry.unwrap().path());
        }
    }
}

/// What a server says about a mailbox: UIDVALIDITY, UIDNEXT and uid -> sorted flags.
#[derive(Debug, PartialEq, Eq)]
struct MailboxState {
    uid_validity: u64,
    uid_next: u64,
    messages: Vec<(u32, Vec<String>)>,
}

fn mailbox_state<S: std::io::Read + std::io::Write>(
    client: &mut Imap<S>,
    mailbox: &str,
) -> MailboxState {
    let select = client.ok(&format!("EXAMINE {mailbox}"));
    let fetch = client.ok("UID FETCH 1:* (FLAGS)");
    let mut messages: Vec<(u32, Vec<String>)> = fetches(&fetch)
        .into_iter()
        .map(|(_, r)| {
            let uid = item(r, "UID").and_then(|u| u.parse().ok()).expect("UID");
            (uid, flags(r))
        })
        .collect();
    messages.sort();
    client.ok("CLOSE");
    MailboxState {
        uid_validity: select.code_number("UIDVALIDITY").expect("UIDVALIDITY"),
        uid_next: select.code_number("UIDNEXT").expect("UIDNEXT"),
        messages,
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// The message bytes of `uid` in `mailbox`.
fn body_of<S: std::io::Read + std::io::Write>(
    client: &mut Imap<S>,
    mailbox: &str,
    uid: u32,
) -> Vec<u8> {
    client.ok(&format!("EXAMINE {mailbox}"));
    let fetch = client.ok(&format!("UID FETCH {uid} (BODY.PEEK[])"));
    let (_, response) = fetches(&fetch).into_iter().next().expect("FETCH");
    let bytes = fetched(response, "BODY[]").to_vec();
    client.ok("CLOSE");
    bytes
}

/// Repeats NOOP (at most `limit`) until a response satisfies `wanted`.
fn noop_until<S: std::io::Read + std::io::Write>(
    client: &mut Imap<S>,
    limit: Duration,
    wanted: impl Fn(&Reply) -> bool,
) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        let noop = client.ok("NOOP");
        if wanted(&noop) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
#[ignore = "interop: dovecot-imapd, python3"]
fn dovecot_and_postroom_share_one_maildir_both_ways() {
    let server = Postroom::start_with(&Options::default());
    deliver_raw(server.mx, "pat@example.test", &message("one", "first\r\n"));
    deliver_raw(server.mx, "pat@example.test", &message("two", "second\r\n"));
    let mut ours = support::imap::imap(&server);
    ours.login("pat@example.test", PASSWORD);
    let before = mailbox_state(&mut ours, "INBOX");
    assert_eq!(before.messages.len(), 2);

    let root = tempfile::tempdir().unwrap();
    hand_to_dovecot(&server, "pat");
    let dovecot = Dovecot::start(root.path(), &server.maildir("pat"));
    let mut theirs = dovecot.session();
    assert_eq!(
        mailbox_state(&mut theirs, "INBOX"),
        before,
        "Dovecot reads Postroom's Maildir differently:\n{}",
        dovecot.log()
    );

    // Dovecot stores a message and flags; Postroom sees the same UIDs and flags.
    let appended = message("three", "appended by dovecot\r\n");
    let append = theirs.append("INBOX", "\\Draft $Dove", "", appended.as_bytes());
    assert!(append.is_ok(), "{append:?}");
    let expected_uid = format!("[APPENDUID {} 3]", before.uid_validity);
    assert!(append.status.contains(&expected_uid), "{append:?}");
    theirs.ok("SELECT INBOX");
    theirs.ok("UID STORE 1 +FLAGS (\\Flagged \\Seen)");
    theirs.ok("UID STORE 2 +FLAGS ($Label1)");
    theirs.ok("CREATE Shared");
    theirs.ok("UID COPY 1 Shared");
    theirs.ok("CLOSE");
    let dovecot_view = mailbox_state(&mut theirs, "INBOX");
    assert_eq!(
        dovecot_view.messages,
        [
            (1, strings(&["\\Flagged", "\\Seen"])),
            (2, strings(&["$Label1"])),
            (3, strings(&["$Dove", "\\Draft"])),
        ]
    );
    let postroom_view = mailbox_state(&mut ours, "INBOX");
    assert_eq!(postroom_view, dovecot_view, "after Dovecot's changes");
    assert_eq!(
        body_of(&mut ours, "INBOX", 3),
        body_of(&mut theirs, "INBOX", 3)
    );
    assert_eq!(
        mailbox_state(&mut ours, "Shared"),
        mailbox_state(&mut theirs, "Shared")
    );

    // Postroom changes flags, appends, expunges; Dovecot sees the same.
    ours.ok("SELECT INBOX");
    ours.ok("UID STORE 1 -FLAGS (\\Flagged)");
    ours.ok("UID STORE 3 +FLAGS (\\Answered $Ours)");
    ours.ok("UID STORE 2 +FLAGS.SILENT (\\Deleted)");
    ours.ok("UID EXPUNGE 2");
    ours.ok("CLOSE");
    let added = message("four", "appended by postroom\r\n");
    let append = ours.append("INBOX", "\\Flagged", "", added.as_bytes());
    let expected_uid = format!("[APPENDUID {} 4]", before.uid_validity);
    assert!(append.status.contains(&expected_uid), "{append:?}");
    hand_to_dovecot(&server, "pat");
    let postroom_view = mailbox_state(&mut ours, "INBOX");
    assert_eq!(
        postroom_view.messages,
        [
            (1, strings(&["\\Seen"])),
            (3, strings(&["$Dove", "$Ours", "\\Answered", "\\Draft"])),
            (4, strings(&["\\Flagged"])),
        ]
    );
    assert_eq!(
        mailbox_state(&mut theirs, "INBOX"),
        postroom_view,
        "after Postroom's changes:\n{}",
        dovecot.log()
    );
    assert_eq!(
        body_of(&mut theirs, "INBOX", 4),
        body_of(&mut ours, "INBOX", 4)
    );

    // Both selected at once: a flag set through Dovecot reaches Postroom's session.
    ours.ok("SELECT INBOX");
    theirs.ok("SELECT INBOX");
    theirs.ok("UID STORE 4 +FLAGS ($Live)");
    let seen = noop_until(&mut ours, Duration::from_secs(3), |noop| {
        fetches(noop)
            .iter()
            .any(|(_, r)| flags(r).contains(&"$Live".to_owned()))
    });
    assert!(
        seen,
        "Postroom's session never showed Dovecot's flag change"
    );
    ours.ok("UID STORE 1 +FLAGS ($Back)");
    hand_to_dovecot(&server, "pat");
    let seen = noop_until(&mut theirs, Duration::from_secs(3), |noop| {
        fetches(noop)
            .iter()
            .any(|(_, r)| flags(r).contains(&"$Back".to_owned()))
    });
    assert!(
        seen,
        "Dovecot's session never showed Postroom's flag change"
    );
    ours.ok("LOGOUT");
    theirs.ok("LOGOUT");
    drop(dovecot);
}

// ----- curl -----

#[test]
#[ignore = "interop: needs curl"]
fn curl_lists_and_fetches_over_imap_and_imaps() {
    let server = Postroom::start_with(&Options::default());
    deliver_raw(
        server.mx,
        "pat@example.test",
        &message("by-curl", "curl body\r\n"),
    );
    let mut client = support::imap::imap(&server);
    client.login("pat@example.test", PASSWORD);
    client.ok("CREATE Reports");
    client.ok("LOGOUT");
    let expected = support::messages_in(&server.maildir("pat")).remove(0);
    let credentials = format!("pat@example.test:{PASSWORD}");
    let curl = |url: String| {
        let out = run_bounded(
            Command::new("curl")
                .args([
                    "-s",
                    "-S",
                    "-k",
                    "--max-time",
                    "20",
                    "--ssl-reqd",
                    "-u",
                    &credentials,
                ])
                .arg(&url),
            Duration::from_secs(30),
        );
        assert!(out.status.success(), "curl {url}: {}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let imap = server.imap.port();
    let imaps = server.imaps.expect("imaps").port();
    let list = curl(format!("imap://127.0.0.1:{imap}/"));
    assert!(list.contains("INBOX"), "{list}");
    assert!(list.contains("Reports"), "{list}");
    let body = curl(format!("imaps://127.0.0.1:{imaps}/INBOX/;UID=1"));
    assert_eq!(body, expected);
    let examine = curl(format!("imaps://127.0.0.1:{imaps}/INBOX?ALL"));
    assert!(examine.contains("SEARCH 1"), "{examine}");
}
