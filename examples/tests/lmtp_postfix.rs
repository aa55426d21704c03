//! Debian's Postfix delivering into Postroom over LMTP, as it would into Dovecot's LMTP:
//! a throwaway Postfix instance (its own configuration, queue and log in a temporary
//! directory, listening on a free loopback port) with
//! `virtual_transport = lmtp:inet:127.0.0.1:PORT`; and Postfix's `smtp-source -L`
//! loading the LMTP listener directly.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::{Options, Postroom, connect};
use testkit::postfix::{Config, Postfix};

/// A throwaway Postfix relaying `example.test` to Postroom's LMTP listener `lmtp`.
fn start_postfix(lmtp: std::net::SocketAddr) -> Postfix {
    let mut config = Config::new("postfix.test");
    config.main_cf = format!(
        "smtputf8_enable = no\n\
         virtual_mailbox_domains = example.test\n\
         virtual_transport = lmtp:inet:{lmtp}\n"
    );
    Postfix::start(&config)
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
    let postfix = start_postfix(server.lmtp);
    let mut smtp = connect(postfix.smtp);
    let deadline = Instant::now() + Duration::from_secs(20);
    let greeting = loop {
        let greeting = smtp.reply();
        if !greeting.is_empty() || Instant::now() > deadline {
            break greeting;
        }
        smtp = connect(postfix.smtp);
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
