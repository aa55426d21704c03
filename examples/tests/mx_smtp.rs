//! The MX of the real `postroom` binary, driven over TCP by a line client and a rustls
//! client: delivery into Maildir, relay refusals, STARTTLS, size and quota limits, the
//! per-IP connection limit, clean shutdown and a crash with mail in flight.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::{LineClient, Options, Postroom, connect};

/// Greets and opens a transaction from a remote sender.
fn transaction(mx: &mut LineClient<TcpStream>) {
    assert!(mx.reply().starts_with("220 mx.example.test "));
    assert!(mx.command("EHLO client.example").starts_with("250 "));
    assert_eq!(mx.code("MAIL FROM:<sender@elsewhere.example>"), "250 2.1.0");
}

fn message(subject: &str, body: &str) -> String {
    format!(
        "Subject: {subject}\r\nMessage-ID: <{subject}@elsewhere.example>\r\n\r\n{body}\r\n.\r\n"
    )
}

#[test]
fn mx_delivers_into_maildir_and_is_no_open_relay() {
    let server = Postroom::start_with(&Options::default());
    let mut mx = connect(server.mx);
    assert!(mx.reply().starts_with("220 mx.example.test "));
    mx.send("EHLO client.example\r\n");
    let ehlo = mx.reply_lines();
    for ext in [
        "PIPELINING",
        "SIZE 1000000",
        "8BITMIME",
        "SMTPUTF8",
        "ENHANCEDSTATUSCODES",
        "CHUNKING",
        "STARTTLS",
    ] {
        assert!(
            ehlo.lines().any(|l| l[4..] == *ext),
            "{ext} missing in:\n{ehlo}"
        );
    }
    assert_eq!(mx.code("MAIL FROM:<sender@elsewhere.example>"), "250 2.1.0");
    let refused = [
        ("<someone@elsewhere.example>", "554 5.7.1"),
        ("<pat%elsewhere.example@example.test>", "550 5.1.1"),
        ("<\"pat@elsewhere.example\"@example.test>", "550 5.1.1"),
        ("<@example.test:pat@elsewhere.example>", "554 5.7.1"),
        ("<elsewhere.example!pat@example.test>", "550 5.1.1"),
        ("<nobody@example.test>", "550 5.1.1"),
        ("<pat@[127.0.0.1]>", "554 5.7.1"),
    ];
    for (rcpt, code) in refused {
        assert_eq!(mx.code(&format!("RCPT TO:{rcpt}")), code, "RCPT TO:{rcpt}");
    }
    // `user@other@ourdomain` is not even an address: a syntax error, never a relay.
    assert!(
        mx.code("RCPT TO:<pat@elsewhere.example@example.test>")
            .starts_with("5")
    );
    assert_eq!(mx.code("RCPT TO:<PAT@Example.Test>"), "250 2.1.5");
    assert_eq!(mx.code("DATA"), "354 End d");
    mx.send(&message("first", "Hello Pat"));
    assert_eq!(mx.reply()[..9], *"250 2.0.0");
    assert_eq!(mx.code("QUIT"), "221 2.0.0");

    let inbox = server.inbox("pat");
    assert_eq!(inbox.len(), 1, "{}", server.log());
    let text = &inbox[0];
    assert!(text.starts_with("Return-Path: <sender@elsewhere.example>\r\nDelivered-To: pat@example.test\r\nReceived: from client.example ([127.0.0.1])\r\n\tby mx.example.test (Postroom) with ESMTP id "), "{text}");
    assert!(
        text.ends_with(
            "Subject: first\r\nMessage-ID: <first@elsewhere.example>\r\n\r\nHello Pat\r\n"
        ),
        "{text}"
    );
    // The first delivery created the Maildir with the special-use folders, subscribed.
    let maildir = server.maildir("pat");
    for folder in ["Sent", "Drafts", "Junk", "Trash"] {
        assert!(
            maildir.join(format!(".{folder}")).join("cur").is_dir(),
            "{folder}"
        );
    }
    let subscriptions = std::fs::read_to_string(maildir.join("subscriptions")).unwrap();
    for folder in ["Sent", "Drafts", "Junk", "Trash"] {
        assert!(
            subscriptions.lines().any(|l| l == folder),
            "{subscriptions}"
        );
    }
    // Nothing was delivered anywhere else.
    assert!(server.inbox("sam").is_empty());
    let log = server.log();
    assert!(
        log.contains("recipient refused:") && log.contains("reply=554 Relay access denied"),
        "{log}"
    );
}

#[test]
fn mx_forwarding_outside_our_domains_is_queued() {
    let options = Options {
        aliases: vec![
            ("team@example.test", "pat@example.test"),
            ("team@example.test", "sam@example.test"),
            ("away@example.test", "pat@elsewhere.example"),
            ("@example.test", "catchall@elsewhere.example"),
        ],
        ..Options::default()
    };
    let server = Postroom::start_with(&options);
    let mut mx = connect(server.mx);
    transaction(&mut mx);
    // Forwards off-site go to the outbound queue with the original sender.
    assert_eq!(mx.code("RCPT TO:<away@example.test>"), "250 2.1.5");
    // The catch-all forwards off-site, so tricks must be refused before it is consulted.
    assert_eq!(mx.code("RCPT TO:<anyone@example.test>"), "250 2.1.5");
    assert_eq!(
        mx.code("RCPT TO:<x%elsewhere.example@example.test>"),
        "550 5.1.1"
    );
    assert_eq!(
        mx.code("RCPT TO:<elsewhere.example!x@example.test>"),
        "550 5.1.1"
    );
    assert_eq!(mx.code("RCPT TO:<team@example.test>"), "250 2.1.5");
    assert_eq!(mx.code("RCPT TO:<pat@example.test>"), "250 2.1.5");
    assert_eq!(mx.code("DATA"), "354 End d");
    mx.send(&message("team", "to the team"));
    assert_eq!(mx.reply()[..9], *"250 2.0.0");
    // pat is reached twice (directly and through the alias) but gets one copy.
    assert_eq!(server.inbox("pat").len(), 1);
    assert_eq!(server.inbox("sam").len(), 1);
}

#[test]
fn mx_starttls_then_delivery_over_tls() {
    let server = Postroom::start_with(&Options::default());
    let mut mx = connect(server.mx);
    assert!(mx.reply().starts_with("220 "));
    assert!(mx.command("EHLO client.example").starts_with("250 "));
    assert_eq!(mx.code("STARTTLS"), "220 2.0.0");
    let stream = mx.into_stream();
    let mut tls = tls_client(&server, stream);
    let read_reply = |tls: &mut rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
                      cmd: &str| {
        tls.write_all(cmd.as_bytes()).unwrap();
        read_smtp_reply(tls)
    };
    let ehlo = read_reply(&mut tls, "EHLO client.example\r\n");
    assert!(
        !ehlo.contains("STARTTLS"),
        "no STARTTLS once in TLS: {ehlo}"
    );
    assert!(ehlo.contains("250-PIPELINING"), "{ehlo}");
    assert!(read_reply(&mut tls, "MAIL FROM:<s@elsewhere.example>\r\n").starts_with("250 2.1.0"));
    assert!(read_reply(&mut tls, "RCPT TO:<sam@example.test>\r\n").starts_with("250 2.1.5"));
    assert!(read_reply(&mut tls, "DATA\r\n").starts_with("354"));
    let reply = read_reply(&mut tls, &message("secret", "over TLS"));
    assert!(reply.starts_with("250 2.0.0"), "{reply}");
    let text = &server.inbox("sam")[0];
    assert!(
        text.contains("\r\n\t(using TLSv1.3 with cipher TLS13_"),
        "{text}"
    );
    assert!(text.contains("with ESMTPS id"), "{text}");
}

/// A rustls client that trusts the installation's self-signed certificate.
fn tls_client(
    server: &Postroom,
    stream: TcpStream,
) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let cert = CertificateDer::from_pem_file(server.cert.as_ref().unwrap()).unwrap();
    roots.add(cert).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = "mx.example.test".try_into().unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    rustls::StreamOwned::new(conn, stream)
}

/// Reads one SMTP reply (all lines) from a byte stream.
fn read_smtp_reply(stream: &mut impl Read) -> String {
    let mut text = String::new();
    let mut byte = [0u8; 1];
    loop {
        if stream.read(&mut byte).unwrap() == 0 {
            return text;
        }
        text.push(char::from(byte[0]));
        if text.ends_with("\r\n") {
            let last = text.trim_end().rsplit("\r\n").next().unwrap_or("");
            if last.as_bytes().get(3) == Some(&b' ') {
                return text;
            }
        }
    }
}

#[test]
fn mx_refuses_oversize_and_over_quota_messages() {
    let options = Options {
        message_size: 4000,
        ..Options::default()
    };
    let server = Postroom::start_with(&options);
    let mut mx = connect(server.mx);
    assert!(mx.reply().starts_with("220 "));
    assert!(mx.command("EHLO client.example").starts_with("250 "));
    assert_eq!(
        mx.code("MAIL FROM:<s@elsewhere.example> SIZE=5000"),
        "552 5.3.4"
    );
    assert_eq!(mx.code("MAIL FROM:<s@elsewhere.example>"), "250 2.1.0");
    assert_eq!(mx.code("RCPT TO:<pat@example.test>"), "250 2.1.5");
    assert_eq!(mx.code("DATA"), "354 End d");
    mx.send(&message("big", &"x".repeat(5000)));
    assert_eq!(mx.reply()[..9], *"552 5.3.4");
    assert!(server.inbox("pat").is_empty());

    // full@ has a quota of 2000 bytes.
    assert_eq!(
        mx.code("MAIL FROM:<s@elsewhere.example> SIZE=3000"),
        "250 2.1.0"
    );
    assert_eq!(mx.code("RCPT TO:<full@example.test>"), "452 4.2.2");
    assert_eq!(mx.code("RSET"), "250 2.0.0");
    assert_eq!(mx.code("MAIL FROM:<s@elsewhere.example>"), "250 2.1.0");
    assert_eq!(mx.code("RCPT TO:<full@example.test>"), "250 2.1.5");
    assert_eq!(mx.code("RCPT TO:<pat@example.test>"), "250 2.1.5");
    assert_eq!(mx.code("DATA"), "354 End d");
    mx.send(&message("too-big-for-full", &"y".repeat(3000)));
    assert_eq!(mx.reply()[..9], *"452 4.2.2");
    // One reply for all recipients: nothing was stored for anyone.
    assert!(server.inbox("pat").is_empty());
    assert!(server.inbox("full").is_empty());
    // A message that fits is delivered.
    assert_eq!(mx.code("MAIL FROM:<s@elsewhere.example>"), "250 2.1.0");
    assert_eq!(mx.code("RCPT TO:<full@example.test>"), "250 2.1.5");
    assert_eq!(mx.code("DATA"), "354 End d");
    mx.send(&message("small", "fits"));
    assert_eq!(mx.reply()[..9], *"250 2.0.0");
    assert_eq!(server.inbox("full").len(), 1);
}

#[test]
fn mx_per_ip_connection_limit() {
    let options = Options {
        connections_per_ip: 2,
        ..Options::default()
    };
    let server = Postroom::start_with(&options);
    let mut first = connect(server.mx);
    let mut second = connect(server.mx);
    assert!(first.reply().starts_with("220 "));
    assert!(second.reply().starts_with("220 "));
    let mut third = connect(server.mx);
    let refusal = third.reply();
    assert!(refusal.starts_with("421 4.7.0 "), "{refusal}");
    assert_eq!(third.reply(), "", "the refused connection is closed");
    assert_eq!(first.code("QUIT"), "221 2.0.0");
    drop(first);
    // The place is freed once the server has seen the close.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut again = connect(server.mx);
        let greeting = again.reply();
        if greeting.starts_with("220 ") {
            break;
        }
        assert!(Instant::now() < deadline, "still refused: {greeting}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        server
            .log()
            .contains("connection refused: too many connections rip=127.0.0.1")
    );
}

#[test]
fn mx_sigterm_lets_sessions_in_flight_finish() {
    let mut server = Postroom::start_with(&Options::default());
    let mut busy = connect(server.mx);
    transaction(&mut busy);
    assert_eq!(busy.code("RCPT TO:<pat@example.test>"), "250 2.1.5");
    assert_eq!(busy.code("DATA"), "354 End d");
    busy.send("Subject: in flight\r\n\r\nfirst half\r\n");
    let mut idle = connect(server.mx);
    assert!(idle.reply().starts_with("220 "));
    assert!(idle.command("EHLO idle.example").starts_with("250 "));

    server.signal("TERM");
    // The idle session is told to come back later.
    assert!(idle.reply().starts_with("421 4.3.2 "));
    // The busy one finishes its message, which is acknowledged after it is stored ...
    busy.send("second half\r\n.\r\n");
    assert_eq!(busy.reply()[..9], *"250 2.0.0");
    // ... and is then closed too.
    assert!(busy.reply().starts_with("421 4.3.2 "));
    assert!(server.wait(Duration::from_secs(20)), "clean exit");
    let inbox = server.inbox("pat");
    assert_eq!(inbox.len(), 1);
    assert!(inbox[0].ends_with("first half\r\nsecond half\r\n"));
    assert!(
        TcpStream::connect(server.mx).is_err(),
        "no longer listening"
    );
}

#[test]
fn mx_restart_after_sigkill_loses_nothing_acknowledged() {
    let mut server = Postroom::start_with(&Options::default());
    let mut acknowledged = Vec::new();
    let mut mx = connect(server.mx);
    transaction(&mut mx);
    assert_eq!(mx.code("RSET"), "250 2.0.0");
    for i in 0..5 {
        let subject = format!("msg-{i}");
        assert_eq!(mx.code("MAIL FROM:<s@elsewhere.example>"), "250 2.1.0");
        assert_eq!(mx.code("RCPT TO:<pat@example.test>"), "250 2.1.5");
        assert_eq!(mx.code("RCPT TO:<sam@example.test>"), "250 2.1.5");
        assert_eq!(mx.code("DATA"), "354 End d");
        mx.send(&message(&subject, &"body line\r\n".repeat(2000)));
        if mx.reply().starts_with("250 ") {
            acknowledged.push(subject);
        }
    }
    // A message in the middle of its body when the server dies.
    assert_eq!(mx.code("MAIL FROM:<s@elsewhere.example>"), "250 2.1.0");
    assert_eq!(mx.code("RCPT TO:<pat@example.test>"), "250 2.1.5");
    assert_eq!(mx.code("DATA"), "354 End d");
    mx.send("Subject: msg-unfinished\r\n\r\nhalf");
    server.kill();
    assert_eq!(mx.reply(), "", "the connection died with the server");

    server.start();
    let mut mx = connect(server.mx);
    transaction(&mut mx);
    assert_eq!(mx.code("RCPT TO:<pat@example.test>"), "250 2.1.5");
    assert_eq!(mx.code("DATA"), "354 End d");
    mx.send(&message("msg-after", "after the restart"));
    assert_eq!(mx.reply()[..9], *"250 2.0.0");
    acknowledged.push("msg-after".to_owned());

    assert_eq!(acknowledged.len(), 6);
    let pat = server.inbox("pat");
    for subject in &acknowledged {
        let header = format!("Subject: {subject}\r\n");
        let copies = pat.iter().filter(|m| m.contains(&header)).count();
        assert_eq!(copies, 1, "{subject} in pat's Maildir");
    }
    assert!(!pat.iter().any(|m| m.contains("msg-unfinished")));
    assert_eq!(pat.len(), acknowledged.len());
    assert_eq!(server.inbox("sam").len(), 5);
}
