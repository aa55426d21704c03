//! The LMTP listener of the real `postroom` binary, over TCP and a Unix socket: one
//! reply per recipient after the message.

mod support;

use std::io::{Read, Write};

use support::{LineClient, Options, Postroom, connect, connect_unix};

/// Delivers one message to pat (ok), full (over quota) and nobody (unknown), checking
/// every reply.
fn deliver_three<S: Read + Write>(lmtp: &mut LineClient<S>) {
    assert!(lmtp.reply().starts_with("220 mx.example.test "));
    assert_eq!(lmtp.code("EHLO mta.example"), "500 5.5.2");
    assert!(lmtp.command("LHLO mta.example").starts_with("250 "));
    assert_eq!(
        lmtp.code("MAIL FROM:<sender@elsewhere.example>"),
        "250 2.1.0"
    );
    assert_eq!(lmtp.code("RCPT TO:<pat@example.test>"), "250 2.1.5");
    assert_eq!(lmtp.code("RCPT TO:<full@example.test>"), "250 2.1.5");
    assert_eq!(lmtp.code("RCPT TO:<nobody@example.test>"), "550 5.1.1");
    assert_eq!(lmtp.code("RCPT TO:<pat@elsewhere.example>"), "550 5.1.2");
    assert_eq!(
        lmtp.code("RCPT TO:<pat%elsewhere.example@example.test>"),
        "550 5.1.1"
    );
    assert_eq!(lmtp.code("DATA"), "354 End d");
    // full@ has a quota of 2000 bytes.
    let body = "z".repeat(3000);
    lmtp.send(&format!("Subject: lmtp\r\n\r\n{body}\r\n.\r\n"));
    assert_eq!(lmtp.reply()[..9], *"250 2.0.0", "pat");
    assert_eq!(lmtp.reply()[..9], *"452 4.2.2", "full");
    assert_eq!(lmtp.code("QUIT"), "221 2.0.0");
}

#[test]
fn lmtp_over_tcp_answers_per_recipient() {
    let server = Postroom::start_with(&Options::default());
    deliver_three(&mut connect(server.lmtp));
    let pat = server.inbox("pat");
    assert_eq!(pat.len(), 1);
    assert!(
        pat[0].contains("\tby mx.example.test (Postroom) with LMTP id "),
        "{}",
        pat[0]
    );
    assert!(server.inbox("full").is_empty());
}

#[test]
fn lmtp_over_unix_socket_answers_per_recipient() {
    let options = Options {
        lmtp_unix: true,
        ..Options::default()
    };
    let server = Postroom::start_with(&options);
    let socket = server.lmtp_socket.clone().unwrap();
    deliver_three(&mut connect_unix(&socket));
    let pat = server.inbox("pat");
    assert_eq!(pat.len(), 1);
    assert!(
        pat[0].contains("Received: from mta.example (unix socket)\r\n"),
        "{}",
        pat[0]
    );
}

#[test]
fn lmtp_offers_no_starttls_and_bdat_works() {
    let server = Postroom::start_with(&Options::default());
    let mut lmtp = connect(server.lmtp);
    assert!(lmtp.reply().starts_with("220 "));
    lmtp.send("LHLO mta.example\r\n");
    let lhlo = lmtp.reply_lines();
    assert!(
        lhlo.contains("250-CHUNKING") || lhlo.contains("250 CHUNKING"),
        "{lhlo}"
    );
    assert!(!lhlo.contains("STARTTLS"), "{lhlo}");
    assert_eq!(lmtp.code("MAIL FROM:<>"), "250 2.1.0");
    assert_eq!(lmtp.code("RCPT TO:<sam@example.test>"), "250 2.1.5");
    assert_eq!(lmtp.code("RCPT TO:<pat@example.test>"), "250 2.1.5");
    lmtp.send("BDAT 17 LAST\r\nSubject: b\r\n\r\nx\r\n");
    assert_eq!(lmtp.reply()[..9], *"250 2.0.0");
    assert_eq!(lmtp.reply()[..9], *"250 2.0.0");
    let sam = server.inbox("sam");
    assert_eq!(sam.len(), 1);
    assert!(sam[0].starts_with("Return-Path: <>\r\n"), "{}", sam[0]);
    assert!(sam[0].ends_with("\r\nSubject: b\r\n\r\nx\r\n"));
    assert_eq!(server.inbox("pat").len(), 1);
}
