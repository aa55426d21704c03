//! The transport against real peers from Debian's Postfix package (ignored by default;
//! `cargo test -p postroom -- --ignored outbound` runs them): `smtp-sink` accepting and
//! refusing, and a throwaway Postfix instance (own configuration, queue and mailboxes in
//! a temporary directory, smtpd on a free loopback port with a self-signed certificate)
//! that receives a message over STARTTLS and writes it into a Maildir.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{LOCALHOST, Letter, config, deliver_one, one_mx, transport};
use crate::outbound::job::Status;
use crate::outbound::testdns::TestDns;

/// A free TCP port on 127.0.0.1 (bound, then released for the child to take).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind((LOCALHOST, 0)).expect("bind");
    listener.local_addr().expect("address").port()
}

/// Waits (at most 20 s) until something accepts connections on `port`.
fn wait_listening(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect((LOCALHOST, port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A temporary directory the postfix user can write to.
fn postfix_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

fn chown(owner: &str, path: &Path) {
    let status = Command::new("chown")
        .args(["-R", owner])
        .arg(path)
        .status()
        .expect("run chown");
    assert!(status.success(), "chown {owner} {}", path.display());
}

/// A running smtp-sink, killed on drop.
struct Sink {
    child: Child,
    port: u16,
    dumps: tempfile::TempDir,
}

impl Sink {
    /// `smtp-sink` on a free port with `options`, dumping each message into a file.
    fn start(options: &[&str]) -> Self {
        let dumps = postfix_dir();
        chown("postfix", dumps.path());
        let port = free_port();
        let template = format!("{}/%M.", dumps.path().display());
        let child = Command::new("smtp-sink")
            .args(["-u", "postfix", "-h", "sink.test", "-d", &template])
            .args(options)
            .arg(format!("127.0.0.1:{port}"))
            .arg("10")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start smtp-sink");
        wait_listening(port, "smtp-sink");
        Self { child, port, dumps }
    }

    /// The dumped messages.
    fn dumps(&self) -> Vec<String> {
        read_files(self.dumps.path())
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect()
}

/// A complete message (with Date and Message-ID, which Postfix would otherwise add).
const BODY: &[u8] = b"From: alice@client.test\r\nTo: bob@example.net\r\nSubject: interop\r\n\
Date: Thu, 1 Jan 2026 00:00:00 +0000\r\nMessage-ID: <interop@client.test>\r\n\r\n\
.a line that starts with a dot\r\n..and one with two\r\n.\r\nlast line\r\n";

/// The body as a Unix mail file holds it (LF line ends).
fn body_lf() -> String {
    String::from_utf8_lossy(BODY).replace("\r\n", "\n")
}

#[tokio::test]
#[ignore = "interop: postfix (smtp-sink)"]
async fn outbound_smtp_sink_accepts() {
    let sink = Sink::start(&[]);
    let dns = TestDns::start(one_mx()).await;
    let transport = transport(&config(&dns, sink.port));
    let letter = Letter::new(BODY, &["bob@example.net", "carol@example.net"]);

    let outcomes = deliver_one(&transport, "example.net", letter.message()).await;

    for outcome in &outcomes {
        assert_eq!(outcome.status, Status::Delivered, "{outcome:?}");
        assert!(outcome.diagnostic.starts_with("250 2.0.0"), "{outcome:?}");
    }
    let dumps = sink.dumps();
    assert_eq!(dumps.len(), 1, "{dumps:?}");
    let dump = &dumps[0];
    assert!(dump.contains("X-Helo-Args: client.test"), "{dump}");
    assert!(dump.contains("X-Rcpt-Args: <carol@example.net>"), "{dump}");
    assert!(dump.contains(&body_lf()), "{dump}");
}

#[tokio::test]
#[ignore = "interop: postfix (smtp-sink)"]
async fn outbound_smtp_sink_temporary_and_permanent_refusals() {
    let dns = TestDns::start(one_mx()).await;
    let letter = Letter::new(BODY, &["bob@example.net"]);
    for (option, status, code) in [
        ("-r", Status::Deferred, "4.3.0"),
        ("-f", Status::Failed, "5.3.0"),
    ] {
        let sink = Sink::start(&[option, "RCPT"]);
        let transport = transport(&config(&dns, sink.port));

        let outcomes = deliver_one(&transport, "example.net", letter.message()).await;

        assert_eq!(
            (outcomes[0].status, outcomes[0].code.as_str()),
            (status, code)
        );
        assert_eq!(
            outcomes[0].remote.as_deref(),
            Some("mx.example.net [127.0.0.1]")
        );
        assert!(sink.dumps().is_empty());
    }
    // Refused after the data: the reply applies to the accepted recipients.
    let sink = Sink::start(&["-f", "."]);
    let transport = transport(&config(&dns, sink.port));
    let letter = Letter::new(BODY, &["bob@example.net", "carol@example.net"]);
    let outcomes = deliver_one(&transport, "example.net", letter.message()).await;
    for outcome in &outcomes {
        assert_eq!(
            (outcome.status, outcome.code.as_str()),
            (Status::Failed, "5.3.0")
        );
    }
}

/// A throwaway Postfix that takes mail for `postfix.test` into Maildirs; stopped on drop.
struct Postfix {
    dir: tempfile::TempDir,
    port: u16,
}

impl Postfix {
    fn start() -> Self {
        let dir = postfix_dir();
        let root = dir.path();
        for sub in ["conf", "queue", "data", "vmail"] {
            std::fs::create_dir(root.join(sub)).expect("mkdir");
        }
        chown("postfix", &root.join("data"));
        chown("nobody", &root.join("vmail"));
        let (cert, key) = write_certificate(root);
        let port = free_port();
        let d = root.display();
        std::fs::write(
            root.join("conf/vmailbox"),
            "bob@postfix.test postfix.test/bob/\n",
        )
        .expect("write map");
        let main_cf = format!(
            "compatibility_level = 3.6\n\
             queue_directory = {d}/queue\n\
             data_directory = {d}/data\n\
             maillog_file = {d}/maillog\n\
             maillog_file_prefixes = {d}\n\
             mail_owner = postfix\n\
             setgid_group = postdrop\n\
             inet_interfaces = 127.0.0.1\n\
             inet_protocols = ipv4\n\
             myhostname = postfix-mx.test\n\
             mydestination =\n\
             mynetworks = 127.0.0.0/8\n\
             alias_maps =\n\
             alias_database =\n\
             smtpd_tls_security_level = may\n\
             smtpd_tls_cert_file = {cert}\n\
             smtpd_tls_key_file = {key}\n\
             smtpd_tls_loglevel = 1\n\
             virtual_mailbox_domains = postfix.test\n\
             virtual_mailbox_base = {d}/vmail\n\
             virtual_mailbox_maps = texthash:{d}/conf/vmailbox\n\
             virtual_uid_maps = static:65534\n\
             virtual_gid_maps = static:65534\n",
            cert = cert.display(),
            key = key.display(),
        );
        std::fs::write(root.join("conf/main.cf"), main_cf).expect("write main.cf");
        // chroot off ("n"): the queue lives in a temporary directory.
        let services = [
            format!("127.0.0.1:{port} inet n - n - - smtpd"),
            "pickup unix n - n 60 1 pickup".into(),
            "cleanup unix n - n - 0 cleanup".into(),
            "qmgr unix n - n 300 1 qmgr".into(),
            "tlsmgr unix - - n 1000? 1 tlsmgr".into(),
            "rewrite unix - - n - - trivial-rewrite".into(),
            "bounce unix - - n - 0 bounce".into(),
            "defer unix - - n - 0 bounce".into(),
            "trace unix - - n - 0 bounce".into(),
            "verify unix - - n - 1 verify".into(),
            "flush unix n - n 1000? 0 flush".into(),
            "proxymap unix - - n - - proxymap".into(),
            "showq unix n - n - - showq".into(),
            "error unix - - n - - error".into(),
            "retry unix - - n - - error".into(),
            "discard unix - - n - - discard".into(),
            "virtual unix - n n - - virtual".into(),
            "smtp unix - - n - - smtp".into(),
            "anvil unix - - n - 1 anvil".into(),
            "scache unix - - n - 1 scache".into(),
            "postlog unix-dgram n - n - 1 postlogd".into(),
        ];
        std::fs::write(root.join("conf/master.cf"), services.join("\n") + "\n")
            .expect("write master.cf");
        let postfix = Self { dir, port };
        postfix.control("start");
        wait_listening(port, "postfix smtpd");
        postfix
    }

    fn conf(&self) -> PathBuf {
        self.dir.path().join("conf")
    }

    fn control(&self, action: &str) {
        let output = Command::new("postfix")
            .arg("-c")
            .arg(self.conf())
            .arg(action)
            .stdin(Stdio::null())
            .output()
            .expect("run postfix");
        assert!(
            output.status.success(),
            "postfix {action}: {}{}",
            String::from_utf8_lossy(&output.stderr),
            self.log()
        );
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("maillog")).unwrap_or_default()
    }

    /// The messages in bob's Maildir, waiting (at most 30 s) for `count` of them.
    fn wait_for_mail(&self, count: usize) -> Vec<String> {
        let new = self.dir.path().join("vmail/postfix.test/bob/new");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mail = read_files(&new);
            if mail.len() >= count {
                return mail;
            }
            assert!(
                Instant::now() < deadline,
                "no mail arrived:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = Command::new("postfix")
            .arg("-c")
            .arg(self.conf())
            .arg("stop")
            .stdin(Stdio::null())
            .output();
    }
}

/// A self-signed certificate for Postfix's smtpd: (cert.pem, key.pem).
fn write_certificate(root: &Path) -> (PathBuf, PathBuf) {
    let generated = rcgen::generate_simple_self_signed(vec!["postfix-mx.test".to_owned()])
        .expect("generate certificate");
    let (cert, key) = (root.join("cert.pem"), root.join("key.pem"));
    std::fs::write(&cert, generated.cert.pem()).expect("write cert");
    std::fs::write(&key, generated.signing_key.serialize_pem()).expect("write key");
    (cert, key)
}

#[tokio::test]
#[ignore = "interop: postfix"]
async fn outbound_postfix_receives_over_starttls() {
    let postfix = Postfix::start();
    let zone = super::Zone::new()
        .mx("postfix.test", 10, "postfix-mx.test")
        .a("postfix-mx.test", LOCALHOST);
    let dns = TestDns::start(zone).await;
    let transport = transport(&config(&dns, postfix.port));
    let letter = Letter::new(BODY, &["bob@postfix.test", "nobody@postfix.test"]);

    let outcomes = deliver_one(&transport, "postfix.test", letter.message()).await;

    assert_eq!(
        outcomes[0].status,
        Status::Delivered,
        "{outcomes:?}\n{}",
        postfix.log()
    );
    assert!(
        outcomes[0]
            .diagnostic
            .starts_with("250 2.0.0 Ok: queued as"),
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes[0].remote.as_deref(),
        Some("postfix-mx.test [127.0.0.1]")
    );
    // Postfix knows no such mailbox: refused at RCPT.
    assert_eq!(
        (outcomes[1].status, outcomes[1].code.as_str()),
        (Status::Failed, "5.1.1")
    );
    let mail = postfix.wait_for_mail(1);
    assert!(
        mail[0].contains(&body_lf()),
        "the body arrived changed:\n{}",
        mail[0]
    );
    assert!(
        postfix.log().contains("TLS connection established from"),
        "no TLS in the log:\n{}",
        postfix.log()
    );
}
