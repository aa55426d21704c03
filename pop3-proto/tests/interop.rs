//! Real peers, on 127.0.0.1 with free ports and bounded waits: Python's poplib, curl and
//! fetchmail against the `maildrop` example server, and our client against Debian's
//! Dovecot POP3 server. Run with `cargo test -p pop3-proto -- --ignored`.

#[path = "../examples/maildrop.rs"]
#[allow(dead_code, unreachable_pub, clippy::all)]
mod maildrop;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::num::NonZeroU32;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use pop3_proto::client::{Client, Config, Event, Output as ClientOutput};
use pop3_proto::types::CommandKind;

const MESSAGE_ONE: &[u8] =
    b"From: a@example.org\r\nSubject: one\r\n\r\nhello\r\n.\r\n..two dots\r\n.one dot\r\nlast\r\n";
const MESSAGE_TWO: &[u8] = b"From: b@example.org\nSubject: two\n\nbare LF body\n.dot\n";
const MESSAGE_THREE: &[u8] = b"Subject: three\r\n\r\nto be deleted\r\n";

fn crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' && (i == 0 || bytes[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

fn maildir_with(messages: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, content) in messages {
        std::fs::write(dir.path().join(name), content).expect("write message");
    }
    dir
}

fn start(dir: &Path) -> maildrop::Running {
    maildrop::spawn(maildrop::Options {
        listen: "127.0.0.1:0".parse().unwrap(),
        dir: dir.to_path_buf(),
        user: "alice".into(),
        password: "s3cret pw".into(),
    })
    .expect("start maildrop")
}

/// Runs a command with a deadline; kills it (by its own pid) if it overruns.
fn run(command: &mut Command, limit: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "command timed out: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn eml_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    names.sort();
    names
}

const POPLIB_SCRIPT: &str = r#"
import poplib, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
one, two, three = (open(p, 'rb').read() for p in sys.argv[3:6])
def crlf(b): return b.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
def joined(lines): return b''.join(l + b'\r\n' for l in lines)

p = poplib.POP3('127.0.0.1', port, timeout=10)
caps = p.capa()
assert 'USER' in caps and 'STLS' in caps and 'UIDL' in caps, caps
p.user('alice'); p.pass_('s3cret pw')
count, size = p.stat()
assert count == 3 and size == len(one) + len(crlf(two)) + len(three), (count, size)
resp, listing, _ = p.list()
assert listing == [b'1 %d' % len(one), b'2 %d' % len(crlf(two)), b'3 %d' % len(three)], listing
resp, uids, _ = p.uidl()
assert uids == [b'1 1', b'2 2', b'3 3'], uids
resp, lines, octets = p.retr(1)
assert joined(lines) == one, lines
resp, lines, octets = p.retr(2)
assert joined(lines) == crlf(two), lines
resp, lines, _ = p.top(1, 2)
assert joined(lines) == b'From: a@example.org\r\nSubject: one\r\n\r\nhello\r\n.\r\n', lines
p.dele(3)
assert p.stat()[0] == 2
p.quit()

p = poplib.POP3('127.0.0.1', port, timeout=10)
p.apop('alice', 's3cret pw')
assert p.stat()[0] == 2
try:
    p.retr(3)
    raise SystemExit('message 3 should be gone')
except poplib.error_proto:
    pass
p.quit()

p = poplib.POP3('localhost', port, timeout=10)
p.stls(ssl.create_default_context(cafile=cafile))
assert 'STLS' not in p.capa()
p.user('alice'); p.pass_('s3cret pw')
resp, lines, _ = p.retr(1)
assert joined(lines) == one
p.quit()
print('poplib ok')
"#;

#[test]
#[ignore = "interop: python3 (poplib)"]
fn python_poplib_against_maildrop() {
    let dir = maildir_with(&[
        ("1.eml", MESSAGE_ONE),
        ("2.eml", MESSAGE_TWO),
        ("3.eml", MESSAGE_THREE),
    ]);
    let server = start(dir.path());
    let cafile = dir.path().join("ca.pem.txt");
    std::fs::write(&cafile, &server.cert_pem).unwrap();
    let out = run(
        Command::new("python3")
            .arg("-c")
            .arg(POPLIB_SCRIPT)
            .arg(server.addr.port().to_string())
            .arg(&cafile)
            .arg(dir.path().join("1.eml"))
            .arg(dir.path().join("2.eml"))
            .arg(dir.path().join("3.eml")),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "poplib failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        eml_files(dir.path()),
        ["1.eml", "2.eml"],
        "DELE + QUIT removed 3.eml"
    );
    assert!(!dir.path().join(".pop3.lock").exists(), "lock released");
}

#[test]
#[ignore = "interop: curl"]
fn curl_lists_and_retrieves() {
    let dir = maildir_with(&[("1.eml", MESSAGE_ONE), ("2.eml", MESSAGE_TWO)]);
    let server = start(dir.path());
    let url = |path: &str| format!("pop3://127.0.0.1:{}/{path}", server.addr.port());
    let curl = |path: &str| {
        run(
            Command::new("curl")
                .args(["-s", "--max-time", "20", "-u", "alice:s3cret pw"])
                .arg(url(path)),
            Duration::from_secs(30),
        )
    };
    let list = curl("");
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let expected = format!(
        "1 {}\r\n2 {}\r\n",
        MESSAGE_ONE.len(),
        crlf(MESSAGE_TWO).len()
    );
    assert_eq!(String::from_utf8_lossy(&list.stdout), expected);
    assert_eq!(curl("1").stdout, MESSAGE_ONE);
    assert_eq!(curl("2").stdout, crlf(MESSAGE_TWO));
    assert_eq!(eml_files(dir.path()).len(), 2, "curl deletes nothing");
}

#[test]
#[ignore = "interop: fetchmail (Debian package fetchmail)"]
fn fetchmail_fetches_and_deletes() {
    let dir = maildir_with(&[("1.eml", MESSAGE_ONE), ("2.eml", MESSAGE_TWO)]);
    let server = start(dir.path());
    let home = tempfile::tempdir().unwrap();
    let out_file = home.path().join("delivered.mbox");
    let rc = home.path().join("fetchmailrc");
    std::fs::write(
        &rc,
        format!(
            "set no bouncemail\n\
             poll 127.0.0.1 with protocol pop3 port {} auth password\n  \
             user \"alice\" there with password \"s3cret pw\" is \"root\" here\n  \
             options no keep fetchall sslproto '' mda \"cat >> {}\"\n",
            server.addr.port(),
            out_file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&rc, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(
        Command::new("fetchmail")
            .args(["--nodetach", "--nosyslog", "-v", "-f"])
            .arg(&rc)
            .env("HOME", home.path())
            .env("FETCHMAILHOME", home.path()),
        Duration::from_secs(60),
    );
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "fetchmail failed:\n{log}");
    let delivered = std::fs::read(&out_file).expect("fetchmail delivered nothing");
    let text = String::from_utf8_lossy(&delivered);
    assert!(
        text.contains("Subject: one") && text.contains("..two dots"),
        "{text}"
    );
    assert!(
        text.contains("Subject: two") && text.contains("bare LF body"),
        "{text}"
    );
    assert!(
        eml_files(dir.path()).is_empty(),
        "fetchmail deleted both messages:\n{log}"
    );
}

// ----- our client against Dovecot -----

/// A Dovecot master process started for one test, stopped (SIGTERM by pid) on drop.
struct Dovecot {
    child: Child,
    config: PathBuf,
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        testkit::terminate(&mut self.child);
        let _ = &self.config;
    }
}

fn start_dovecot(root: &Path, port: u16) -> Dovecot {
    let r = root.display();
    for sub in [
        "run",
        "state",
        "home",
        "Maildir/new",
        "Maildir/cur",
        "Maildir/tmp",
    ] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    // Login processes run as nobody and must reach base_dir; mail is owned by nobody.
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(root.join("passwd"), "alice:{PLAIN}s3cret::::::\n").unwrap();
    let config = root.join("dovecot.conf");
    std::fs::write(
        &config,
        format!(
            "protocols = pop3\nlisten = 127.0.0.1\nbase_dir = {r}/run\nstate_dir = {r}/state\n\
             log_path = {r}/dovecot.log\nssl = no\ndisable_plaintext_auth = no\n\
             auth_mechanisms = plain\ndefault_internal_user = root\ndefault_internal_group = root\n\
             default_login_user = nobody\nfirst_valid_uid = 1\nmail_location = maildir:{r}/Maildir\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {r}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid=65534 gid=65534 home={r}/home\n}}\n\
             service pop3-login {{\n  chroot =\n  inet_listener pop3 {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n}}\n\
             service anvil {{\n  chroot =\n}}\n"
        ),
    )
    .unwrap();
    let child = Command::new("dovecot")
        .args(["-F", "-c"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dovecot");
    Dovecot { child, config }
}

fn chown_nobody(path: &Path) {
    std::os::unix::fs::chown(path, Some(65534), Some(65534)).unwrap();
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            chown_nobody(&entry.unwrap().path());
        }
    }
}

/// Drives our client over a blocking socket.
struct Session {
    client: Client,
    stream: TcpStream,
}

impl Session {
    fn connect(addr: SocketAddr) -> Self {
        let deadline = Instant::now() + Duration::from_secs(20);
        let stream = loop {
            match TcpStream::connect(addr) {
                Ok(s) => break s,
                Err(e) if Instant::now() > deadline => panic!("cannot connect: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        Self {
            client: Client::new(Config::default(), Instant::now()),
            stream,
        }
    }

    /// Runs until the current step ends; returns the events.
    fn wait(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            loop {
                match self.client.poll_output() {
                    ClientOutput::Transmit(b) => self.stream.write_all(&b).unwrap(),
                    ClientOutput::Event(e) => events.push(e),
                    ClientOutput::NeedInput => break,
                }
            }
            let done = events.iter().any(|e| {
                matches!(
                    e,
                    Event::Greeting { .. }
                        | Event::Completed { .. }
                        | Event::Failed { .. }
                        | Event::Closed
                        | Event::Error(_)
                )
            });
            if done {
                return events;
            }
            let n = self
                .stream
                .read(&mut buf)
                .expect("read (bounded by timeout)");
            assert!(n > 0, "server closed; events so far: {events:?}");
            self.client.handle_timeout(Instant::now());
            self.client.handle_input(&buf[..n]);
        }
    }
}

fn completed(events: &[Event], command: CommandKind) -> bool {
    events
        .iter()
        .any(|e| matches!(e, Event::Completed { command: c, .. } if *c == command))
}

#[test]
#[ignore = "interop: dovecot-pop3d (Debian)"]
fn our_client_against_dovecot() {
    let root = tempfile::tempdir().unwrap();
    let message =
        b"From: c@example.org\r\nSubject: dovecot\r\n\r\n.leading dot\r\n..two\r\nend\r\n";
    let file = root.path().join("Maildir/new/1700000000.M1P1.postroom");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, message).unwrap();
    let port = testkit::free_port();
    let _dovecot = start_dovecot(root.path(), port);
    chown_nobody(&root.path().join("Maildir"));
    chown_nobody(&root.path().join("home"));

    let mut s = Session::connect(SocketAddr::from(([127, 0, 0, 1], port)));
    let greeting = s.wait();
    assert!(
        matches!(greeting[0], Event::Greeting { .. }),
        "{greeting:?}"
    );
    s.client.capa().unwrap();
    let caps = s.wait();
    assert!(
        caps.iter()
            .any(|e| matches!(e, Event::Capabilities(c) if c.user())),
        "{caps:?}"
    );
    s.client.login("alice", b"s3cret").unwrap();
    let login = s.wait();
    assert!(completed(&login, CommandKind::Pass), "{login:?}");
    s.client.stat().unwrap();
    let stat = s.wait();
    assert!(
        stat.contains(&Event::Stat {
            count: 1,
            size: message.len() as u64
        }),
        "{stat:?}"
    );
    s.client.list(None).unwrap();
    let list = s.wait();
    assert!(list.contains(&Event::ListEntry {
        msg: NonZeroU32::MIN,
        size: message.len() as u64
    }));
    s.client.uidl(None).unwrap();
    let uidl = s.wait();
    assert!(
        uidl.iter().any(
            |e| matches!(e, Event::UidlEntry { msg, uid } if msg.get() == 1 && !uid.is_empty())
        )
    );
    s.client.retr(NonZeroU32::MIN).unwrap();
    let mut body = Vec::new();
    for e in s.wait() {
        if let Event::MessageChunk(b) = e {
            body.extend_from_slice(&b);
        }
    }
    assert_eq!(body, message, "RETR is byte-exact");
    s.client.dele(NonZeroU32::MIN).unwrap();
    assert!(completed(&s.wait(), CommandKind::Dele));
    s.client.quit().unwrap();
    let quit = s.wait();
    assert!(completed(&quit, CommandKind::Quit), "{quit:?}");
    let remaining: Vec<_> = ["new", "cur"]
        .iter()
        .flat_map(|d| std::fs::read_dir(root.path().join("Maildir").join(d)).unwrap())
        .collect();
    assert!(remaining.is_empty(), "message deleted by Dovecot");
}
