//! Submission against the real `postroom` binary, spoken line by line: AUTH only after
//! TLS, MAIL only after AUTH, the sender-login check, local delivery and the outbound
//! queue; and the MX, which never relays for anyone but forwards through aliases.

mod support;

use support::{LineClient, Options, PASSWORD, Postroom, connect, sasl_plain};

/// Connects to submission and greets; returns the client and the EHLO reply.
fn greet(server: &Postroom) -> (LineClient<std::net::TcpStream>, String) {
    let mut c = connect(server.submission);
    assert!(c.reply().starts_with("220 mx.example.test"));
    c.send("EHLO client.example\r\n");
    let ehlo = c.reply_lines();
    (c, ehlo)
}

#[test]
fn auth_needs_tls_and_mail_needs_auth() {
    let server = Postroom::start_with(&Options {
        plaintext_on_loopback: false,
        ..Options::default()
    });
    let (mut c, ehlo) = greet(&server);
    assert!(ehlo.contains("250-STARTTLS"), "{ehlo}");
    assert!(!ehlo.contains("AUTH"), "{ehlo}");
    let auth = c.command(&format!(
        "AUTH PLAIN {}",
        sasl_plain("pat@example.test", PASSWORD)
    ));
    assert_eq!(auth, "530 5.7.0 Must issue a STARTTLS command first");
    assert_eq!(
        c.command("MAIL FROM:<pat@example.test>"),
        "530 5.7.0 Must issue a STARTTLS command first"
    );
    assert_eq!(c.code("RCPT TO:<sam@example.test>"), "503 5.5.1");
    assert!(c.command("QUIT").starts_with("221"));
    assert!(server.inbox("sam").is_empty());
}

#[test]
fn nobody_relays_without_auth() {
    let server = Postroom::start_with(&Options {
        aliases: vec![("fwd@example.test", "someone@remote.example")],
        ..Options::default()
    });
    // Submission (plaintext allowed on loopback, as by default): no MAIL before AUTH.
    let (mut c, ehlo) = greet(&server);
    assert!(ehlo.contains("AUTH PLAIN LOGIN SCRAM-SHA-256"), "{ehlo}");
    assert_eq!(
        c.command("MAIL FROM:<pat@example.test>"),
        "530 5.7.0 Authentication required"
    );
    // The MX refuses every domain that is not ours.
    let mut mx = connect(server.mx);
    mx.reply();
    mx.command("EHLO client.example");
    assert_eq!(mx.code("MAIL FROM:<pat@example.test>"), "250 2.1.0");
    assert_eq!(mx.code("RCPT TO:<someone@remote.example>"), "554 5.7.1");
    assert_eq!(
        mx.code("RCPT TO:<someone%remote.example@example.test>"),
        "550 5.1.1"
    );
    // ...but a forwarding alias of ours is taken, and queued with the original sender.
    assert_eq!(mx.code("RSET"), "250 2.0.0");
    assert_eq!(
        mx.code("MAIL FROM:<stranger@elsewhere.example>"),
        "250 2.1.0"
    );
    assert_eq!(mx.code("RCPT TO:<fwd@example.test>"), "250 2.1.5");
    assert_eq!(mx.code("DATA"), "354 End d");
    mx.send("Subject: forwarded\r\n\r\nHi\r\n.\r\n");
    assert_eq!(mx.reply(), "250 2.0.0 Ok: delivered");
    let queue = server.admin_output(&["queue", "list"]);
    assert!(
        queue.contains("from <stranger@elsewhere.example>"),
        "{queue}"
    );
    assert!(queue.contains("to <someone@remote.example>"), "{queue}");
}

#[test]
fn authenticated_submission_delivers_locally_and_queues_the_rest() {
    let server = Postroom::start_with(&Options {
        aliases: vec![("sales@example.test", "pat@example.test")],
        ..Options::default()
    });
    let (mut c, _) = greet(&server);
    let wrong = c.command(&format!(
        "AUTH PLAIN {}",
        sasl_plain("pat@example.test", "nope")
    ));
    assert!(wrong.starts_with("535 5.7.8"), "{wrong}");
    assert_eq!(
        c.code(&format!(
            "AUTH PLAIN {}",
            sasl_plain("pat@example.test", PASSWORD)
        )),
        "235 2.7.0"
    );
    assert_eq!(
        c.command("MAIL FROM:<sam@example.test>"),
        "553 5.7.1 <sam@example.test>: Sender address rejected: not owned by user pat@example.test"
    );
    assert_eq!(c.code("MAIL FROM:<sales@example.test>"), "250 2.1.0");
    assert_eq!(c.code("RCPT TO:<nobody@example.test>"), "550 5.1.1");
    assert_eq!(c.code("RCPT TO:<sam@example.test>"), "250 2.1.5");
    assert_eq!(
        c.code("RCPT TO:<friend@remote.example> NOTIFY=FAILURE"),
        "250 2.1.5"
    );
    assert_eq!(c.code("DATA"), "354 End d");
    c.send("Subject: submitted\r\n\r\nHello\r\n.\r\n");
    assert_eq!(c.reply(), "250 2.0.0 Ok: queued");
    assert!(c.command("QUIT").starts_with("221"));

    let sam = server.inbox("sam");
    assert_eq!(sam.len(), 1);
    assert!(
        sam[0].starts_with("Return-Path: <sales@example.test>\r\n"),
        "{}",
        sam[0]
    );
    assert!(
        sam[0].contains("(Authenticated sender: pat@example.test)"),
        "{}",
        sam[0]
    );
    assert!(sam[0].contains("with ESMTPA id"), "{}", sam[0]);
    assert!(!sam[0].contains(PASSWORD));
    let queue = server.admin_output(&["queue", "list"]);
    assert!(queue.contains("from <sales@example.test>"), "{queue}");
    assert!(queue.contains("to <friend@remote.example>"), "{queue}");
    assert!(!queue.contains("sam@example.test"), "{queue}");
    // The failed login left the fail2ban line.
    assert!(
        server
            .log()
            .contains("auth failed: user=<pat@example.test> rip=127.0.0.1 service=submission"),
        "{}",
        server.log()
    );
}
