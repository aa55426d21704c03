//! Debian's Postfix delivering into Postroom over LMTP, as it would into Dovecot's LMTP:
//! a throwaway Postfix instance (its own configuration, queue and log in a temporary
//! directory, listening on a free loopback port) with
//! `virtual_transport = lmtp:inet:127.0.0.1:PORT`; and Postfix's `smtp-source -L`
//! loading the LMTP listener directly.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Options, Postroom, connect, free_port};

/// A Postfix instance that is stopped on drop.
struct Postfix {
    dir: tempfile::TempDir,
    smtp_port: u16,
}

impl Postfix {
    /// Writes a configuration relaying `example.test` to `lmtp` and starts Postfix.
    fn start(lmtp: std::net::SocketAddr) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        // Postfix's daemons run as the postfix user and must reach the queue.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let root = dir.path();
        let conf = root.join("conf");
        for sub in ["conf", "queue", "data"] {
            std::fs::create_dir(root.join(sub)).unwrap();
        }
        let status = Command::new("chown")
            .args(["postfix", &root.join("data").display().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let smtp_port = free_port();
        let d = root.display();
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
             myhostname = postfix.test\n\
             mydestination =\n\
             mynetworks = 127.0.0.0/8\n\
             alias_maps =\n\
             alias_database =\n\
             smtputf8_enable = no\n\
             virtual_mailbox_domains = example.test\n\
             virtual_transport = lmtp:inet:{lmtp}\n"
        );
        std::fs::write(conf.join("main.cf"), main_cf).unwrap();
        // chroot off ("n"): the queue is in a temporary directory.
        let services = [
            format!("127.0.0.1:{smtp_port} inet n - n - - smtpd"),
            "pickup unix n - n 60 1 pickup".into(),
            "cleanup unix n - n - 0 cleanup".into(),
            "qmgr unix n - n 300 1 qmgr".into(),
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
            "smtp unix - - n - - smtp".into(),
            "lmtp unix - - n - - lmtp".into(),
            "anvil unix - - n - 1 anvil".into(),
            "scache unix - - n - 1 scache".into(),
            "postlog unix-dgram n - n - 1 postlogd".into(),
        ];
        std::fs::write(conf.join("master.cf"), services.join("\n") + "\n").unwrap();
        let postfix = Self { dir, smtp_port };
        postfix.control("start");
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

/// Waits (bounded) until `count` messages are in the Maildir of `user`.
fn wait_for_mail(server: &Postroom, user: &str, count: usize, postfix_log: impl Fn() -> String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.inbox(user).len() < count {
        assert!(
            Instant::now() < deadline,
            "{user} has {} of {count} messages.\nPostfix:\n{}\nPostroom:\n{}",
            server.inbox(user).len(),
            postfix_log(),
            server.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
#[ignore = "interop: needs Debian's postfix"]
fn postfix_delivers_into_postroom_over_lmtp() {
    let server = Postroom::start_with(&Options::default());
    let postfix = Postfix::start(server.lmtp);
    let mut smtp = connect(std::net::SocketAddr::from((
        [127, 0, 0, 1],
        postfix.smtp_port,
    )));
    let deadline = Instant::now() + Duration::from_secs(20);
    let greeting = loop {
        let greeting = smtp.reply();
        if !greeting.is_empty() || Instant::now() > deadline {
            break greeting;
        }
        smtp = connect(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            postfix.smtp_port,
        )));
    };
    assert!(greeting.starts_with("220 postfix.test"), "{greeting}");
    assert!(smtp.command("EHLO client.example").starts_with("250 "));
    assert!(
        smtp.command("MAIL FROM:<sender@elsewhere.example>")
            .starts_with("250 ")
    );
    assert!(
        smtp.command("RCPT TO:<pat@example.test>")
            .starts_with("250 ")
    );
    assert!(
        smtp.command("RCPT TO:<sam@example.test>")
            .starts_with("250 ")
    );
    assert!(smtp.command("DATA").starts_with("354 "));
    smtp.send("Subject: via postfix\r\nMessage-ID: <pf1@elsewhere.example>\r\n\r\nHello through Postfix\r\n.\r\n");
    assert!(smtp.reply().starts_with("250 "));
    assert!(smtp.command("QUIT").starts_with("221 "));

    wait_for_mail(&server, "pat", 1, || postfix.log());
    wait_for_mail(&server, "sam", 1, || postfix.log());
    let text = &server.inbox("pat")[0];
    assert!(text.contains("Hello through Postfix"), "{text}");
    assert!(
        text.contains("Received: from postfix.test ([127.0.0.1])"),
        "{text}"
    );
    assert!(text.contains("with LMTP id"), "{text}");
    // Postfix logged the per-recipient LMTP replies.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !postfix.log().contains("status=sent (250 2.0.0") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        postfix.log().contains("status=sent (250 2.0.0"),
        "{}",
        postfix.log()
    );
}

#[test]
#[ignore = "interop: needs Debian's postfix (smtp-source)"]
fn smtp_source_loads_the_lmtp_listener() {
    let server = Postroom::start_with(&Options::default());
    let output = Command::new("smtp-source")
        .args([
            "-L",
            "-s",
            "4",
            "-m",
            "40",
            "-l",
            "2048",
            "-f",
            "load@elsewhere.example",
        ])
        .args(["-t", "pat@example.test", "-M", "loader.example"])
        .arg(server.lmtp.to_string())
        .stdin(Stdio::null())
        .output()
        .expect("run smtp-source");
    assert!(
        output.status.success(),
        "smtp-source: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.log()
    );
    let inbox = server.inbox("pat");
    assert_eq!(inbox.len(), 40, "{}", server.log());
    assert!(
        inbox
            .iter()
            .all(|m| m.contains("Delivered-To: pat@example.test\r\n"))
    );
}
