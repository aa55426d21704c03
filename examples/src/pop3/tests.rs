//! The POP3 service in-process: real SQLite directory and Maildirs, the real driver over
//! an in-memory pipe, peers on loopback and elsewhere.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use auth::StoredPassword;
use auth::sasl::{ClientMechanism, ScramClientOptions};
use base64_lite::{decode, encode};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::time::timeout;

use super::maildrop::{LockTable, crlf_size, uidl};
use super::*;
use crate::listen::{ConnectionLimits, Limiter, Shared as ListenShared, run_connection};
use crate::shutdown::{Shutdown, Trigger};

/// Minimal base64 for the SASL lines of these tests.
mod base64_lite {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    pub(super) fn encode(bytes: &[u8]) -> String {
        STANDARD.encode(bytes)
    }

    pub(super) fn decode(text: &str) -> Vec<u8> {
        STANDARD.decode(text).expect("base64")
    }
}

#[test]
fn uidls_are_dovecots_default_format() {
    assert_eq!(uidl(1, 0x5f3e_2a10), "000000015f3e2a10");
    assert_eq!(uidl(0xabcdef, 7), "00abcdef00000007");
}

/// A reader that returns one byte per read, to split CRLF across reads.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

#[test]
fn crlf_sizes_count_bare_line_feeds_only() {
    let text = b"a\nb\r\nc\n\nend";
    assert_eq!(crlf_size(&text[..]).unwrap(), 11 + 3);
    assert_eq!(crlf_size(Trickle(text)).unwrap(), 11 + 3);
    assert_eq!(crlf_size(Trickle(b"\r\n\r\n")).unwrap(), 4);
    assert_eq!(crlf_size(&b""[..]).unwrap(), 0);
}

#[test]
fn a_maildrop_lock_is_exclusive_until_dropped() {
    let table = Arc::new(LockTable::default());
    let path = PathBuf::from("/vmail/example.test/pat/Maildir");
    let first = table.try_lock(&path).expect("free");
    assert!(table.try_lock(&path).is_none());
    let other = table.try_lock(Path::new("/vmail/example.test/sam/Maildir"));
    assert!(other.is_some());
    drop(first);
    assert!(!table.is_locked(&path));
    assert!(table.try_lock(&path).is_some());
}

use std::path::Path;

const PASSWORD: &str = "pw-Secret";

struct Harness {
    _dir: tempfile::TempDir,
    vmail: PathBuf,
    directory: Directory,
    service: Arc<Pop3Service>,
}

async fn harness(auth_toml: &str) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "hostname = \"pop.example.test\"\n[listeners]\npop3 = [\"127.0.0.1:1\"]\n[directory]\nurl = \"sqlite://d.db\"\n\
         [mail]\nvmail = \"vmail\"\n[auth]\ndefault_scheme = \"SHA512-CRYPT\"\n{auth_toml}"
    );
    let config = Config::from_toml(&toml, &dir.path().join("postroom.toml")).unwrap();
    let directory = Directory::create(&config.directory.url, &config.mail.vmail, 2)
        .await
        .unwrap();
    directory.add_domain("example.test").await.unwrap();
    let service =
        Pop3Service::with_failure_delay(&config, directory.clone(), Duration::from_millis(10));
    Harness {
        vmail: config.mail.vmail.clone(),
        _dir: dir,
        directory,
        service: Arc::new(service),
    }
}

impl Harness {
    async fn user(&self, name: &str, stored: &str) {
        let stored = StoredPassword::parse(stored).unwrap();
        let email = format!("{name}@example.test");
        self.directory.add_user(&email, &stored, 0).await.unwrap();
    }

    fn maildir(&self, name: &str) -> PathBuf {
        self.vmail.join("example.test").join(name).join("Maildir")
    }

    /// Puts `content` into the user's INBOX as a file without sizes in its name.
    fn drop_message(&self, name: &str, file: &str, content: &[u8]) {
        let maildir = maildir::Maildir::create(self.maildir(name)).unwrap();
        std::fs::write(maildir.path().join("new").join(file), content).unwrap();
    }

    fn connect(&self, ip: &str) -> Client {
        let (client, server_side) = tokio::io::duplex(64 * 1024);
        let (trigger, shutdown) = Shutdown::new(Duration::from_secs(1));
        let shared = ListenShared {
            limiter: Limiter::new(ConnectionLimits::default()),
            tls: None,
            shutdown,
        };
        let peer = Peer {
            id: 1,
            listener: "pop3",
            remote: Some(format!("{ip}:50000").parse().unwrap()),
            implicit_tls: false,
        };
        let service = Arc::clone(&self.service);
        tokio::spawn(async move {
            run_connection(&*service, peer, Box::new(server_side), &shared).await;
        });
        Client {
            stream: BufReader::new(client),
            _trigger: trigger,
        }
    }
}

struct Client {
    stream: BufReader<DuplexStream>,
    _trigger: Trigger,
}

impl Client {
    async fn line(&mut self) -> String {
        let mut line = String::new();
        timeout(Duration::from_secs(20), self.stream.read_line(&mut line))
            .await
            .expect("a reply in time")
            .unwrap();
        line.trim_end().to_owned()
    }

    async fn send(&mut self, text: &str) {
        let stream = self.stream.get_mut();
        stream.write_all(text.as_bytes()).await.unwrap();
        stream.write_all(b"\r\n").await.unwrap();
    }

    async fn cmd(&mut self, text: &str) -> String {
        self.send(text).await;
        self.line().await
    }

    /// A multi-line response's body, dot-unstuffed, CRLFs kept.
    async fn body(&mut self, text: &str) -> Vec<u8> {
        let status = self.cmd(text).await;
        assert!(status.starts_with("+OK"), "{text}: {status}");
        let mut body = Vec::new();
        loop {
            let mut line = Vec::new();
            timeout(
                Duration::from_secs(20),
                self.stream.read_until(b'\n', &mut line),
            )
            .await
            .unwrap()
            .unwrap();
            assert!(!line.is_empty(), "connection closed in a response");
            if line == b".\r\n" {
                return body;
            }
            let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
            body.extend_from_slice(unstuffed);
        }
    }

    async fn login(&mut self, user: &str) -> String {
        assert!(self.cmd(&format!("USER {user}")).await.starts_with("+OK"));
        self.cmd(&format!("PASS {PASSWORD}")).await
    }

    async fn closed(&mut self) -> bool {
        let mut rest = Vec::new();
        timeout(Duration::from_secs(20), self.stream.read_to_end(&mut rest))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}

#[tokio::test]
async fn retr_top_uidl_and_dele_committed_by_quit() {
    let h = harness("").await;
    h.user("pat", &format!("{{PLAIN}}{PASSWORD}")).await;
    let one = b"Subject: one\n\n.dot line\nbody\n";
    let two = b"Subject: two\r\n\r\nsecond\r\n";
    h.drop_message("pat", "1000.M1P1.host", one);
    h.drop_message("pat", "1001.M1P1.host", two);
    let mut c = h.connect("127.0.0.1");
    assert!(c.line().await.starts_with("+OK"));
    assert_eq!(
        c.login("PAT@example.test").await,
        "+OK maildrop has 2 messages (57 octets)"
    );
    assert_eq!(c.body("LIST").await, b"1 33\r\n2 24\r\n");
    let validity = maildir::Maildir::open(h.maildir("pat"))
        .unwrap()
        .inbox()
        .unwrap()
        .sync()
        .unwrap()
        .uid_validity;
    let uidls = c.body("UIDL").await;
    let expected = format!("1 {}\r\n2 {}\r\n", uidl(1, validity), uidl(2, validity));
    assert_eq!(String::from_utf8(uidls).unwrap(), expected);
    assert_eq!(
        c.body("RETR 1").await,
        b"Subject: one\r\n\r\n.dot line\r\nbody\r\n"
    );
    assert_eq!(c.body("TOP 2 0").await, b"Subject: two\r\n\r\n");
    assert!(c.cmd("DELE 1").await.starts_with("+OK"));
    assert!(c.cmd("QUIT").await.starts_with("+OK"));
    assert!(c.closed().await);
    let left = maildir::Maildir::open(h.maildir("pat"))
        .unwrap()
        .inbox()
        .unwrap()
        .sync()
        .unwrap();
    assert_eq!(left.messages.len(), 1);
    assert_eq!(left.messages[0].uid, 2);
    assert!(!h.service.shared.locks.is_locked(&h.maildir("pat")));
}

#[tokio::test]
async fn a_dropped_connection_deletes_nothing_and_releases_the_lock() {
    let h = harness("").await;
    h.user("pat", &format!("{{PLAIN}}{PASSWORD}")).await;
    h.drop_message("pat", "1000.M1P1.host", b"Subject: keep\n\nme\n");
    let mut first = h.connect("127.0.0.1");
    first.line().await;
    assert!(first.login("pat@example.test").await.starts_with("+OK"));
    assert!(first.cmd("DELE 1").await.starts_with("+OK"));

    let mut second = h.connect("127.0.0.1");
    second.line().await;
    assert_eq!(
        second.login("pat@example.test").await,
        "-ERR [IN-USE] maildrop is locked by another session"
    );
    drop(first);
    // The first session ends when its driver sees the closed pipe.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while h.service.shared.locks.is_locked(&h.maildir("pat")) {
        assert!(tokio::time::Instant::now() < deadline, "lock not released");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        second.login("pat@example.test").await,
        "+OK maildrop has 1 messages (21 octets)"
    );
    assert!(second.cmd("QUIT").await.starts_with("+OK"));
}

#[tokio::test]
async fn plaintext_logins_need_tls_unless_from_loopback() {
    let h = harness("").await;
    h.user("pat", &format!("{{PLAIN}}{PASSWORD}")).await;
    let mut remote = h.connect("192.0.2.7");
    remote.line().await;
    assert!(
        remote
            .cmd("USER pat@example.test")
            .await
            .starts_with("-ERR [AUTH]")
    );
    let plain = encode(format!("\0pat@example.test\0{PASSWORD}").as_bytes());
    assert!(
        remote
            .cmd(&format!("AUTH PLAIN {plain}"))
            .await
            .starts_with("-ERR")
    );

    let h = harness("allow_plaintext_auth_on_loopback = false\n").await;
    h.user("pat", &format!("{{PLAIN}}{PASSWORD}")).await;
    let mut local = h.connect("127.0.0.1");
    local.line().await;
    assert!(
        local
            .cmd("USER pat@example.test")
            .await
            .starts_with("-ERR [AUTH]")
    );
}

#[tokio::test]
async fn wrong_passwords_fail_with_auth_after_a_delay() {
    let h = harness("").await;
    h.user("pat", &format!("{{PLAIN}}{PASSWORD}")).await;
    let mut c = h.connect("127.0.0.1");
    c.line().await;
    assert!(c.cmd("USER pat@example.test").await.starts_with("+OK"));
    let started = Instant::now();
    assert_eq!(
        c.cmd("PASS wrong").await,
        "-ERR [AUTH] Authentication failed"
    );
    assert!(started.elapsed() >= Duration::from_millis(10));
    assert!(c.cmd("USER nobody@example.test").await.starts_with("+OK"));
    assert!(c.cmd("PASS x").await.starts_with("-ERR [AUTH]"));
    let bad = encode(b"\0pat@example.test\0wrong");
    assert!(
        c.cmd(&format!("AUTH PLAIN {bad}"))
            .await
            .starts_with("-ERR [AUTH]")
    );
    let good = encode(format!("\0pat@example.test\0{PASSWORD}").as_bytes());
    assert!(
        c.cmd(&format!("AUTH PLAIN {good}"))
            .await
            .starts_with("+OK maildrop")
    );
}

/// Runs a SCRAM-SHA-256 exchange; returns the final reply line.
async fn scram(c: &mut Client, user: &str, password: &str) -> String {
    let mut client = ClientMechanism::scram(
        auth::scram::ScramHash::Sha256,
        user,
        auth::Password::new(password),
        ScramClientOptions::default(),
    )
    .unwrap();
    let first = client.initial_response().unwrap().unwrap();
    let mut reply = c
        .cmd(&format!("AUTH SCRAM-SHA-256 {}", encode(&first)))
        .await;
    while let Some(challenge) = reply.strip_prefix("+ ") {
        let challenge = decode(challenge);
        let answer = if challenge.starts_with(b"e=") {
            // A server-error (RFC 5802 section 7) sent as a last challenge: acknowledge it
            // and read the -ERR that follows.
            assert_eq!(challenge, b"e=invalid-proof");
            Vec::new()
        } else if challenge.starts_with(b"v=") {
            if client.finish(Some(&challenge)).is_err() {
                return "client rejected the server signature".to_owned();
            }
            Vec::new()
        } else {
            match client.step(&challenge) {
                Ok(answer) => answer,
                Err(e) => return format!("client failed: {e}"),
            }
        };
        reply = c.cmd(&encode(&answer)).await;
    }
    reply
}

#[tokio::test]
async fn scram_sha_256_with_scram_and_cleartext_hashes_only() {
    let h = harness("allow_plaintext_auth_on_loopback = false\n").await;
    let keys = auth::scram::ScramCredentials::derive(
        auth::scram::ScramHash::Sha256,
        PASSWORD.as_bytes(),
        b"0123456789abcdef",
        4096,
    )
    .unwrap();
    h.user("scram", &format!("{{SCRAM-SHA-256}}{}", keys.to_dovecot()))
        .await;
    h.user("clear", &format!("{{PLAIN}}{PASSWORD}")).await;
    let crypt = auth::HashPolicy::new(auth::Scheme::Sha512Crypt)
        .hash(PASSWORD)
        .unwrap();
    h.user("crypt", crypt.as_str()).await;
    // SCRAM is offered before TLS: the password never crosses the wire.
    let mut c = h.connect("192.0.2.7");
    c.line().await;
    c.send("CAPA").await;
    let mut capa = Vec::new();
    loop {
        let line = c.line().await;
        if line == "." {
            break;
        }
        capa.push(line);
    }
    assert!(capa.contains(&"SASL SCRAM-SHA-256".to_owned()), "{capa:?}");
    assert!(
        scram(&mut c, "scram@example.test", PASSWORD)
            .await
            .starts_with("+OK maildrop")
    );
    let mut c = h.connect("192.0.2.7");
    c.line().await;
    assert!(
        scram(&mut c, "clear@example.test", PASSWORD)
            .await
            .starts_with("+OK maildrop")
    );
    let mut c = h.connect("192.0.2.7");
    c.line().await;
    assert!(
        scram(&mut c, "scram@example.test", "wrong")
            .await
            .starts_with("-ERR [AUTH]")
    );
    assert!(
        scram(&mut c, "crypt@example.test", PASSWORD)
            .await
            .starts_with("-ERR [AUTH]")
    );
}

#[tokio::test]
async fn weak_hashes_are_upgraded_after_login() {
    let h = harness("").await;
    h.user("pat", &format!("{{PLAIN}}{PASSWORD}")).await;
    let mut c = h.connect("127.0.0.1");
    c.line().await;
    assert!(c.login("pat@example.test").await.starts_with("+OK"));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let user = h.directory.lookup_user("pat@example.test").await.unwrap();
        let stored = user.unwrap().password;
        if stored.scheme() == auth::Scheme::Sha512Crypt {
            assert!(stored.verify(PASSWORD));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not upgraded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
