//! The submission service in-process: real SQLite directory, Maildirs and queue, the
//! real driver over an in-memory pipe, clients on loopback and elsewhere.

use std::path::PathBuf;
use std::time::Duration;

use auth::StoredPassword;
use auth::sasl::{ClientMechanism, ScramClientOptions};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::time::timeout;

use super::*;
use crate::delivery::testing::{Queued, queue, queued};
use crate::delivery::{Delivery, InboxOnly};
use crate::listen::{ConnectionLimits, Limiter, Shared as ListenShared, run_connection};
use crate::queue::Queue;
use crate::shutdown::{Shutdown, Trigger};

/// Minimal base64 for the SASL lines of these tests.
mod b64 {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    pub(super) fn encode(bytes: &[u8]) -> String {
        STANDARD.encode(bytes)
    }

    pub(super) fn decode(text: &str) -> Vec<u8> {
        STANDARD.decode(text).expect("base64")
    }
}

use b64::{decode, encode};

const PASSWORD: &str = "pw-Secret";

struct Harness {
    dir: tempfile::TempDir,
    vmail: PathBuf,
    queue: Arc<Queue>,
    service: Arc<SubmissionService>,
}

async fn harness(auth_toml: &str) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "hostname = \"mx.example.test\"\n[listeners]\nsubmission = [\"127.0.0.1:1\"]\n\
         [directory]\nurl = \"sqlite://d.db\"\n[mail]\nvmail = \"vmail\"\n\
         [limits]\nmessage_size = 100000\n\
         [auth]\ndefault_scheme = \"SHA512-CRYPT\"\nupgrade_hashes = false\n{auth_toml}"
    );
    let config = Config::from_toml(&toml, &dir.path().join("postroom.toml")).unwrap();
    let directory = Directory::create(&config.directory.url, &config.mail.vmail, 2)
        .await
        .unwrap();
    directory.add_domain("example.test").await.unwrap();
    let plain = StoredPassword::parse(&format!("{{PLAIN}}{PASSWORD}")).unwrap();
    for user in ["pat@example.test", "sam@example.test"] {
        directory.add_user(user, &plain, 0).await.unwrap();
    }
    directory
        .add_alias("sales@example.test", "pat@example.test")
        .await
        .unwrap();
    directory
        .add_alias("fwd@example.test", "someone@remote.example")
        .await
        .unwrap();
    let delivery = Delivery::new(
        directory.clone(),
        Arc::new(InboxOnly),
        config.hostname.clone(),
        dir.path().to_owned(),
    );
    let queue = queue(dir.path());
    let dispatcher = Arc::new(Dispatcher::new(Arc::new(delivery), Arc::clone(&queue)));
    let service = SubmissionService::with_failure_delay(
        &config,
        directory,
        dispatcher,
        Duration::from_millis(10),
    );
    Harness {
        vmail: config.mail.vmail.clone(),
        dir,
        queue,
        service: Arc::new(service),
    }
}

impl Harness {
    fn connect(&self, ip: &str) -> Client {
        let (client, server_side) = tokio::io::duplex(64 * 1024);
        let (trigger, shutdown) = Shutdown::new(Duration::from_secs(1));
        let shared = ListenShared {
            limiter: Limiter::new(ConnectionLimits::default()),
            tls: None,
            shutdown,
        };
        let peer = Peer {
            id: 3,
            listener: "submission",
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

    fn inbox(&self, user: &str) -> Vec<String> {
        let path = self.vmail.join("example.test").join(user).join("Maildir");
        crate::delivery::testing::inbox_texts(&path)
    }

    fn queued(&self) -> Vec<Queued> {
        queued(&self.queue)
    }
}

struct Client {
    stream: BufReader<DuplexStream>,
    _trigger: Trigger,
}

impl Client {
    /// One whole reply, its lines joined with `\n`.
    async fn reply(&mut self) -> String {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let n = timeout(Duration::from_secs(20), self.stream.read_line(&mut line))
                .await
                .expect("a reply in time")
                .unwrap();
            if n == 0 {
                break;
            }
            let line = line.trim_end().to_owned();
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if last {
                break;
            }
        }
        lines.join("\n")
    }

    async fn send(&mut self, text: &str) {
        let stream = self.stream.get_mut();
        stream.write_all(text.as_bytes()).await.unwrap();
        stream.write_all(b"\r\n").await.unwrap();
    }

    async fn cmd(&mut self, text: &str) -> String {
        self.send(text).await;
        self.reply().await
    }

    /// The code and enhanced code of the reply to `text`, e.g. `250 2.1.0`.
    async fn code(&mut self, text: &str) -> String {
        let reply = self.cmd(text).await;
        let last = reply.lines().last().unwrap_or_default().to_owned();
        last.split(' ').take(2).collect::<Vec<_>>().join(" ")
    }

    async fn greet(&mut self) -> String {
        let greeting = self.reply().await;
        assert!(greeting.starts_with("220 mx.example.test"), "{greeting}");
        self.cmd("EHLO client.example").await
    }

    async fn login(&mut self, user: &str) {
        let plain = encode(format!("\0{user}\0{PASSWORD}").as_bytes());
        assert_eq!(self.code(&format!("AUTH PLAIN {plain}")).await, "235 2.7.0");
    }

    async fn data(&mut self, text: &str) -> String {
        assert!(self.cmd("DATA").await.starts_with("354"));
        self.send(&format!("{text}\r\n.")).await;
        self.reply().await
    }
}

#[tokio::test]
async fn without_tls_auth_is_not_offered_and_nothing_can_be_sent() {
    let h = harness("allow_plaintext_auth_on_loopback = false\n").await;
    let mut c = h.connect("127.0.0.1");
    let ehlo = c.greet().await;
    assert!(!ehlo.contains("AUTH"), "{ehlo}");
    let plain = encode(format!("\0pat@example.test\0{PASSWORD}").as_bytes());
    assert_eq!(c.code(&format!("AUTH PLAIN {plain}")).await, "530 5.7.0");
    let mail = c.cmd("MAIL FROM:<pat@example.test>").await;
    assert_eq!(mail, "530 5.7.0 Must issue a STARTTLS command first");
    assert_eq!(c.code("RCPT TO:<sam@example.test>").await, "503 5.5.1");
    assert!(c.cmd("QUIT").await.starts_with("221"));
    // Nor from elsewhere with the loopback exception on.
    let h = harness("allow_plaintext_auth_on_loopback = true\n").await;
    let mut c = h.connect("192.0.2.7");
    assert!(!c.greet().await.contains("AUTH"));
    assert_eq!(c.code(&format!("AUTH PLAIN {plain}")).await, "530 5.7.0");
}

#[tokio::test]
async fn plaintext_loopback_login_then_local_and_remote_recipients() {
    let h = harness("allow_plaintext_auth_on_loopback = true\n").await;
    let mut c = h.connect("127.0.0.1");
    let ehlo = c.greet().await;
    assert!(
        ehlo.contains("250-AUTH PLAIN LOGIN SCRAM-SHA-256"),
        "{ehlo}"
    );
    assert!(ehlo.contains("250-DSN"), "{ehlo}");
    assert!(!ehlo.contains("BINARYMIME"), "{ehlo}");
    assert_eq!(
        c.cmd("MAIL FROM:<pat@example.test>").await,
        "530 5.7.0 Authentication required"
    );
    c.login("pat@example.test").await;
    assert_eq!(c.code("MAIL FROM:<pat@example.test>").await, "250 2.1.0");
    assert_eq!(c.code("RCPT TO:<sam@example.test>").await, "250 2.1.5");
    assert_eq!(c.code("RCPT TO:<nobody@example.test>").await, "550 5.1.1");
    assert_eq!(
        c.code("RCPT TO:<friend@remote.example> NOTIFY=FAILURE ORCPT=rfc822;friend@remote.example")
            .await,
        "250 2.1.5"
    );
    assert_eq!(c.code("RCPT TO:<x@[192.0.2.1]>").await, "553 5.1.3");
    assert_eq!(
        c.code("RCPT TO:<\"a b\"@remote.example>").await,
        "553 5.1.3"
    );
    assert_eq!(
        c.data("Subject: hi\r\n\r\nHello").await,
        "250 2.0.0 Ok: queued"
    );
    let sam = h.inbox("sam");
    assert_eq!(sam.len(), 1);
    assert!(
        sam[0].starts_with("Return-Path: <pat@example.test>\r\nDelivered-To: sam@example.test\r\n")
    );
    assert!(
        sam[0].contains("(Authenticated sender: pat@example.test)\r\n\tby mx.example.test (Postroom) with ESMTPA id S3"),
        "{}",
        sam[0]
    );
    assert!(!sam[0].contains(PASSWORD));
    let queued = h.queued();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].sender, "pat@example.test");
    assert_eq!(
        queued[0].recipients,
        ["friend@remote.example notify=failure orcpt=rfc822;friend@remote.example"]
    );
    assert!(queued[0].content.contains("with ESMTPA id S3"));
    assert!(c.cmd("QUIT").await.starts_with("221"));
}

#[tokio::test]
async fn the_sender_must_belong_to_the_login() {
    let h = harness("allow_plaintext_auth_on_loopback = true\n").await;
    let mut c = h.connect("127.0.0.1");
    c.greet().await;
    c.login("pat@example.test").await;
    assert_eq!(
        c.cmd("MAIL FROM:<sam@example.test>").await,
        "553 5.7.1 <sam@example.test>: Sender address rejected: not owned by user pat@example.test"
    );
    for owned in [
        "pat@example.test",
        "PAT+lists@example.test",
        "sales@example.test",
        "",
    ] {
        assert_eq!(
            c.code(&format!("MAIL FROM:<{owned}>")).await,
            "250 2.1.0",
            "{owned}"
        );
        assert_eq!(c.code("RSET").await, "250 2.0.0");
    }
    for foreign in [
        "fwd@example.test",
        "ghost@example.test",
        "pat@remote.example",
    ] {
        assert_eq!(
            c.code(&format!("MAIL FROM:<{foreign}>")).await,
            "553 5.7.1",
            "{foreign}"
        );
    }
    // sam may not use pat's alias.
    let mut c = h.connect("127.0.0.1");
    c.greet().await;
    c.login("sam@example.test").await;
    assert_eq!(c.code("MAIL FROM:<sales@example.test>").await, "553 5.7.1");
}

#[tokio::test]
async fn wrong_passwords_and_the_other_mechanisms() {
    let h = harness("allow_plaintext_auth_on_loopback = true\n").await;
    let mut c = h.connect("127.0.0.1");
    c.greet().await;
    let wrong = encode(b"\0pat@example.test\0nope");
    assert_eq!(c.code(&format!("AUTH PLAIN {wrong}")).await, "535 5.7.8");
    // PLAIN without an initial response, then LOGIN.
    assert_eq!(c.cmd("AUTH PLAIN").await, "334");
    assert_eq!(
        c.code(&encode(b"\0pat@example.test\0nope")).await,
        "535 5.7.8"
    );
    assert_eq!(
        c.cmd("AUTH LOGIN").await,
        format!("334 {}", encode(b"Username:"))
    );
    assert_eq!(
        c.cmd(&encode(b"pat@example.test")).await,
        format!("334 {}", encode(b"Password:"))
    );
    assert_eq!(c.code(&encode(PASSWORD.as_bytes())).await, "235 2.7.0");
    assert_eq!(c.code("MAIL FROM:<pat@example.test>").await, "250 2.1.0");
}

/// Runs a SCRAM-SHA-256 exchange; returns the final reply.
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
    while let Some(challenge) = reply.strip_prefix("334 ") {
        let challenge = decode(challenge);
        let answer = if challenge.starts_with(b"v=") {
            // The 235 carries no data: the server signature comes as a
            // last challenge, answered with an empty line.
            if client.finish(Some(&challenge)).is_err() {
                return "client rejected the server signature".to_owned();
            }
            Vec::new()
        } else if challenge.starts_with(b"e=") {
            Vec::new()
        } else {
            client.step(&challenge).unwrap()
        };
        reply = c.cmd(&encode(&answer)).await;
    }
    reply
}

#[tokio::test]
async fn scram_sha_256_for_users_with_cleartext_passwords() {
    let h = harness("allow_plaintext_auth_on_loopback = true\n").await;
    let mut c = h.connect("127.0.0.1");
    c.greet().await;
    let wrong = scram(&mut c, "pat@example.test", "wrong").await;
    assert!(wrong.starts_with("535 5.7.8"), "{wrong}");
    let ok = scram(&mut c, "pat@example.test", PASSWORD).await;
    assert!(ok.starts_with("235 2.7.0"), "{ok}");
    assert_eq!(c.code("MAIL FROM:<pat@example.test>").await, "250 2.1.0");
}

#[tokio::test]
async fn forwarding_aliases_and_quota_through_submission() {
    let h = harness("allow_plaintext_auth_on_loopback = true\n").await;
    let mut c = h.connect("[::1]");
    c.greet().await;
    c.login("sam@example.test").await;
    assert_eq!(c.code("MAIL FROM:<>").await, "250 2.1.0");
    assert_eq!(c.code("RCPT TO:<fwd@example.test>").await, "250 2.1.5");
    assert_eq!(c.code("RCPT TO:<sales@example.test>").await, "250 2.1.5");
    assert_eq!(
        c.data("Subject: fwd\r\n\r\nx").await,
        "250 2.0.0 Ok: queued"
    );
    assert_eq!(h.inbox("pat").len(), 1);
    let queued = h.queued();
    assert_eq!(queued[0].sender, "");
    assert_eq!(
        queued[0].recipients,
        ["someone@remote.example orcpt=rfc822;fwd@example.test"]
    );
    assert!(h.dir.path().join("queue").is_dir());
}
