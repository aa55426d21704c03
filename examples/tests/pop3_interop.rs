//! Real POP3 clients against the real `postroom` binary, and Dovecot on the same Maildir:
//! Python's poplib (STLS, POP3S, AUTH PLAIN), curl (pop3s://), fetchmail, a password
//! hashed by `doveadm pw -s BLF-CRYPT`, and UIDLs and sizes compared with Dovecot's
//! `pop3` in both directions. Run with `cargo test -p postroom --test pop3_interop --
//! --ignored`.

mod support;

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use support::pop3::{Pop3, deliver, pop3, tcp};
use support::{Options, PASSWORD, Postroom, free_port, run_bounded as run};

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Delivers two messages to pat through the MX; returns their stored bytes, sorted.
fn two_messages(server: &Postroom) -> Vec<String> {
    deliver(server, "pat@example.test", "first\r\n.dot line\r\nend");
    deliver(
        server,
        "pat@example.test",
        &"second body line\r\n".repeat(8000),
    );
    let mut stored = server.inbox("pat");
    stored.sort();
    assert_eq!(stored.len(), 2);
    stored
}

const POPLIB_SCRIPT: &str = r#"
import base64, poplib, ssl, sys
port, port_s, cafile, user, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
expected = sorted(open(p, 'rb').read() for p in sys.argv[6:])
def joined(lines): return b''.join(l + b'\r\n' for l in lines)
ctx = ssl.create_default_context(cafile=cafile)
ctx.check_hostname = False

p = poplib.POP3('127.0.0.1', port, timeout=20)
assert 'STLS' in p.capa()
p.stls(ctx)
assert 'STLS' not in p.capa()
p.user(user); p.pass_(password)
count, size = p.stat()
assert count == len(expected) and size == sum(len(e) for e in expected), (count, size)
got = sorted(joined(p.retr(i + 1)[1]) for i in range(count))
assert got == expected, 'RETR over STLS differs'
resp, uids, _ = p.uidl()
assert len(set(u.split()[1] for u in uids)) == count, uids
p.quit()

p = poplib.POP3_SSL('127.0.0.1', port_s, context=ctx, timeout=20)
token = base64.b64encode(b'\0' + user.encode() + b'\0' + password.encode()).decode()
assert p._shortcmd('AUTH PLAIN ' + token).startswith(b'+OK')
got = sorted(joined(p.retr(i + 1)[1]) for i in range(count))
assert got == expected, 'RETR over POP3S differs'
p.dele(1)
p.quit()
print('poplib ok')
"#;

#[test]
#[ignore = "interop: needs python3 (poplib)"]
fn python_poplib_over_stls_and_pop3s() {
    let server = Postroom::start_with(&Options::default());
    let stored = two_messages(&server);
    let files = support::message_files(&server.maildir("pat"));
    let out = run(
        Command::new("python3")
            .arg("-c")
            .arg(POPLIB_SCRIPT)
            .arg(server.pop3.port().to_string())
            .arg(server.pop3s.unwrap().port().to_string())
            .arg(server.cert.as_ref().unwrap())
            .args(["pat@example.test", PASSWORD])
            .args(&files),
        Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}\n{}", text(&out), server.log());
    assert!(text(&out).contains("poplib ok"));
    let left = server.inbox("pat");
    assert_eq!(left.len(), 1, "DELE 1 then QUIT removed one message");
    assert!(stored.contains(&left[0]));
}

#[test]
#[ignore = "interop: needs curl"]
fn curl_lists_and_retrieves_over_pop3s() {
    let server = Postroom::start_with(&Options::default());
    let stored = two_messages(&server);
    let url = |path: &str| format!("pop3s://127.0.0.1:{}/{path}", server.pop3s.unwrap().port());
    let curl = |path: &str| {
        let credentials = format!("pat@example.test:{PASSWORD}");
        let out = run(
            Command::new("curl")
                .args(["-s", "-S", "-k", "--max-time", "20", "-u", &credentials])
                .arg(url(path)),
            Duration::from_secs(30),
        );
        assert!(out.status.success(), "curl {path}: {}", text(&out));
        out.stdout
    };
    let list = String::from_utf8(curl("")).unwrap();
    let mut sizes: Vec<usize> = list
        .lines()
        .map(|l| l.split_whitespace().nth(1).unwrap().parse().unwrap())
        .collect();
    sizes.sort_unstable();
    let mut expected: Vec<usize> = stored.iter().map(String::len).collect();
    expected.sort_unstable();
    assert_eq!(sizes, expected, "{list}");
    let mut got = vec![
        String::from_utf8(curl("1")).unwrap(),
        String::from_utf8(curl("2")).unwrap(),
    ];
    got.sort();
    assert_eq!(got, stored);
    assert_eq!(server.inbox("pat").len(), 2, "curl deletes nothing");
}

#[test]
#[ignore = "interop: needs fetchmail (Debian package fetchmail)"]
fn fetchmail_fetches_and_deletes_over_pop3s() {
    let server = Postroom::start_with(&Options::default());
    let stored = two_messages(&server);
    let home = tempfile::tempdir().unwrap();
    let mbox = home.path().join("delivered.mbox");
    let rc = home.path().join("fetchmailrc");
    std::fs::write(
        &rc,
        format!(
            "set no bouncemail\n\
             poll 127.0.0.1 with protocol pop3 port {} auth password\n  \
             user \"pat@example.test\" there with password \"{PASSWORD}\" is \"root\" here\n  \
             options no keep fetchall ssl no sslcertck mda \"cat >> {}\"\n",
            server.pop3s.unwrap().port(),
            mbox.display()
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
    assert!(out.status.success(), "fetchmail failed:\n{}", text(&out));
    let delivered = std::fs::read_to_string(&mbox).expect("fetchmail delivered nothing");
    assert!(delivered.contains(".dot line"), "{delivered}");
    assert!(delivered.contains("second body line"));
    assert!(delivered.matches("Subject: test").count() == stored.len());
    assert!(server.inbox("pat").is_empty(), "fetchmail deleted both");
}

#[test]
#[ignore = "interop: needs dovecot-core (doveadm pw)"]
fn a_blf_crypt_hash_from_doveadm_logs_in() {
    let server = Postroom::start_with(&Options::default());
    let out = run(
        Command::new("doveadm").args(["pw", "-s", "BLF-CRYPT", "-p", "dovecot-made pw"]),
        Duration::from_secs(30),
    );
    assert!(out.status.success(), "{}", text(&out));
    let hash = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(hash.starts_with("{BLF-CRYPT}$2y$"), "{hash}");
    server.admin(&["user", "add", "blf@example.test", "--hash", &hash]);
    deliver(&server, "blf@example.test", "for blf");
    let mut client = pop3(&server);
    assert!(
        client
            .login("blf@example.test", "wrong")
            .starts_with("-ERR [AUTH]")
    );
    let reply = client.login("blf@example.test", "dovecot-made pw");
    assert!(reply.starts_with("+OK maildrop has 1 messages"), "{reply}");
    assert!(client.cmd("QUIT").starts_with("+OK"));
}

// ----- UIDLs and sizes against Dovecot -----

/// A Dovecot master process for one test, stopped (SIGTERM by pid) on drop.
struct Dovecot {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        testkit::terminate(&mut self.child);
    }
}

/// Starts Dovecot's POP3 on 127.0.0.1 serving `root/Maildir` to user `pat`.
fn start_dovecot(root: &Path) -> Dovecot {
    let r = root.display();
    for sub in ["run", "state", "home"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    // Login processes run as nobody and must reach base_dir; mail is owned by nobody.
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(root.join("passwd"), "pat:{PLAIN}dovecot-pw::::::\n").unwrap();
    let port = free_port();
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
    Dovecot {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn chown_nobody(path: &Path) {
    std::os::unix::fs::chown(path, Some(65534), Some(65534)).unwrap();
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            chown_nobody(&entry.unwrap().path());
        }
    }
}

/// UIDL and LIST of a POP3 session, then QUIT.
fn uidl_and_list(addr: SocketAddr, user: &str, password: &str) -> (String, String) {
    let mut client = Pop3::new(tcp(addr));
    assert!(client.line().starts_with("+OK"));
    let reply = client.login(user, password);
    assert!(reply.starts_with("+OK"), "{addr}: {reply}");
    let uidl = String::from_utf8(client.body("UIDL")).unwrap();
    let list = String::from_utf8(client.body("LIST")).unwrap();
    assert!(client.cmd("QUIT").starts_with("+OK"));
    (uidl, list)
}

#[test]
#[ignore = "interop: needs dovecot-pop3d (Debian)"]
fn uidls_and_sizes_match_dovecot_both_ways() {
    let server = Postroom::start_with(&Options::default());
    two_messages(&server);
    let ours = uidl_and_list(server.pop3, "pat@example.test", PASSWORD);
    assert_eq!(ours.0.lines().count(), 2);

    // Dovecot on a copy of the Maildir written by Postroom.
    let root = tempfile::tempdir().unwrap();
    let copy = root.path().join("Maildir");
    copy_tree(&server.maildir("pat"), &copy);
    // A message Dovecot sees first: no sizes in its name, bare LF line ends.
    std::fs::write(
        copy.join("new").join("1700000000.M1P1.elsewhere"),
        "Subject: raw\n\nbare\n.dot\nline feeds\n",
    )
    .unwrap();
    chown_nobody(root.path());
    let dovecot = start_dovecot(root.path());
    let theirs = uidl_and_list(dovecot.addr, "pat", "dovecot-pw");
    drop(dovecot);
    let lines = |s: &str| s.lines().map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(lines(&theirs.0)[..2], lines(&ours.0)[..], "UIDLs differ");
    assert_eq!(lines(&theirs.1)[..2], lines(&ours.1)[..], "sizes differ");
    assert_eq!(theirs.0.lines().count(), 3);

    // Postroom on the Maildir as Dovecot left it (its uidlist and index files).
    let ours_dir = server.maildir("pat");
    std::fs::remove_dir_all(&ours_dir).unwrap();
    copy_tree(&copy, &ours_dir);
    let after = uidl_and_list(server.pop3, "pat@example.test", PASSWORD);
    assert_eq!(
        after, theirs,
        "Postroom lists Dovecot's Maildir differently"
    );
}
