//! MX and LMTP sessions through the generic driver, over an in-memory pipe.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::delivery::testing::{Table, dispatcher, queued, user};
use crate::listen::{ConnectionLimits, Limiter, Shared, run_connection};
use crate::queue::Queue;
use crate::shutdown::Shutdown;

fn config(vmail: &Path) -> Config {
    let toml = format!(
        "hostname = \"mx.example.test\"\n\
         [listeners]\nmx = [\"127.0.0.1:2525\"]\n\
         [directory]\nurl = \"sqlite://unused.db\"\n\
         [mail]\nvmail = \"{}\"\n\
         [limits]\nmessage_size = 1000\n",
        vmail.display()
    );
    Config::from_toml(&toml, &vmail.join("postroom.toml")).unwrap()
}

fn service(vmail: &Path, flavor: Flavor) -> SmtpService<Table> {
    service_and_queue(vmail, flavor).0
}

fn service_and_queue(vmail: &Path, flavor: Flavor) -> (SmtpService<Table>, Arc<Queue>) {
    let config = config(vmail);
    let (dispatcher, queue) = dispatcher(vmail);
    let service = match flavor {
        Flavor::Mx => SmtpService::new(Flavor::Mx, smtp_config(&config, Flavor::Mx), dispatcher),
        Flavor::Lmtp => crate::lmtp::service(&config, dispatcher),
    };
    (service, queue)
}

/// Sends `input` in one go and returns everything the server wrote until it closed.
async fn converse(service: SmtpService<Table>, input: &[u8]) -> String {
    let (mut client, server_side) = tokio::io::duplex(1 << 16);
    let (_trigger, shutdown) = Shutdown::new(Duration::from_secs(1));
    let shared = Shared {
        limiter: Limiter::new(ConnectionLimits::default()),
        tls: None,
        shutdown,
    };
    let peer = Peer {
        id: 1,
        listener: "test",
        remote: Some("192.0.2.7:40000".parse().unwrap()),
        implicit_tls: false,
    };
    let session = tokio::spawn(async move {
        run_connection(&service, peer, Box::new(server_side), &shared).await;
    });
    client.write_all(input).await.unwrap();
    let mut out = String::new();
    tokio::time::timeout(Duration::from_secs(10), client.read_to_string(&mut out))
        .await
        .expect("the server closes after QUIT")
        .unwrap();
    session.await.unwrap();
    out
}

fn codes(transcript: &str) -> Vec<&str> {
    transcript
        .lines()
        .filter(|l| l.as_bytes().get(3) == Some(&b' '))
        .map(|l| &l[..9.min(l.len())])
        .collect()
}

fn inbox_count(vmail: &Path, name: &str) -> usize {
    let mailbox = user(vmail, name, None);
    match maildir::Maildir::open(&mailbox.maildir) {
        Ok(store) => store.inbox().unwrap().sync().unwrap().messages.len(),
        Err(_) => 0,
    }
}

#[tokio::test]
async fn mx_ehlo_advertises_the_extensions_of_an_mx() {
    let dir = tempfile::tempdir().unwrap();
    let out = converse(
        service(dir.path(), Flavor::Mx),
        b"EHLO client.example\r\nQUIT\r\n",
    )
    .await;
    for ext in [
        "PIPELINING",
        "SIZE 1000",
        "8BITMIME",
        "SMTPUTF8",
        "ENHANCEDSTATUSCODES",
        "CHUNKING",
    ] {
        assert!(
            out.contains(&format!("250-{ext}\r\n")) || out.contains(&format!("250 {ext}\r\n")),
            "{ext}: {out}"
        );
    }
    // No certificate configured in this test: no STARTTLS.
    assert!(!out.contains("STARTTLS"), "{out}");
    assert!(out.starts_with("220 mx.example.test "), "{out}");
}

#[tokio::test]
async fn mx_delivers_and_refuses_each_recipient_for_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let script = b"EHLO client.example\r\n\
        MAIL FROM:<a@elsewhere.example>\r\n\
        RCPT TO:<pat@example.test>\r\n\
        RCPT TO:<nobody@example.test>\r\n\
        RCPT TO:<pat@elsewhere.example>\r\n\
        RCPT TO:<user%elsewhere.example@example.test>\r\n\
        RCPT TO:<\"user@elsewhere.example\"@example.test>\r\n\
        RCPT TO:<@example.test:user@elsewhere.example>\r\n\
        RCPT TO:<elsewhere.example!user@example.test>\r\n\
        RCPT TO:<fwd@example.test>\r\n\
        DATA\r\n\
        Subject: hi\r\n\r\n..dotted\r\n.\r\n\
        QUIT\r\n";
    let (service, queue) = service_and_queue(dir.path(), Flavor::Mx);
    let out = converse(service, script).await;
    assert_eq!(
        codes(&out)[2..],
        [
            "250 2.1.0",
            "250 2.1.5",
            "550 5.1.1",
            "554 5.7.1",
            "550 5.1.1",
            "550 5.1.1",
            "554 5.7.1",
            "550 5.1.1",
            "250 2.1.5",
            "354 End d",
            "250 2.0.0",
            "221 2.0.0",
        ],
        "{out}"
    );
    // pat directly and through fwd: one copy; fwd's off-site destination is queued
    // with the original sender.
    assert_eq!(inbox_count(dir.path(), "pat"), 1);
    let queued = queued(&queue);
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].sender, "a@elsewhere.example");
    assert_eq!(
        queued[0].recipients,
        ["someone@elsewhere.example orcpt=rfc822;fwd@example.test"]
    );
    assert!(
        queued[0]
            .content
            .starts_with("Received: from client.example ([192.0.2.7])\r\n"),
        "{}",
        queued[0].content
    );
    assert!(!queued[0].content.contains("Delivered-To"));
    assert!(
        queued[0]
            .content
            .ends_with("Subject: hi\r\n\r\n.dotted\r\n")
    );
    let pat = user(dir.path(), "pat", None);
    let inbox = maildir::Maildir::open(&pat.maildir)
        .unwrap()
        .inbox()
        .unwrap();
    let uid = inbox.sync().unwrap().messages[0].uid;
    let mut text = String::new();
    inbox
        .open_message(uid)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    // Two recipients (pat and fwd) were accepted: the Received header names neither.
    assert!(
        text.contains("\tby mx.example.test (Postroom) with ESMTP id S1;\r\n"),
        "{text}"
    );
    assert!(text.ends_with("Subject: hi\r\n\r\n.dotted\r\n"), "{text}");
}

#[tokio::test]
async fn mx_bdat_and_oversize_and_quota() {
    let dir = tempfile::tempdir().unwrap();
    let script = b"EHLO c\r\n\
        MAIL FROM:<a@elsewhere.example> SIZE=5000\r\n\
        MAIL FROM:<a@elsewhere.example>\r\n\
        RCPT TO:<pat@example.test>\r\n\
        BDAT 6\r\nHello\rBDAT 8 LAST\r\n\nWorld\r\n\
        MAIL FROM:<a@elsewhere.example> SIZE=50\r\n\
        RCPT TO:<full@example.test>\r\n\
        RSET\r\n\
        QUIT\r\n";
    let out = converse(service(dir.path(), Flavor::Mx), script).await;
    assert_eq!(
        codes(&out)[2..],
        [
            "552 5.3.4",
            "250 2.1.0",
            "250 2.1.5",
            "250 2.0.0",
            "250 2.0.0",
            "250 2.1.0",
            "452 4.2.2",
            "250 2.0.0",
            "221 2.0.0"
        ],
        "{out}"
    );
    assert_eq!(inbox_count(dir.path(), "pat"), 1);
}

#[tokio::test]
async fn lmtp_answers_once_per_recipient() {
    let dir = tempfile::tempdir().unwrap();
    let script = b"LHLO mta.example\r\n\
        MAIL FROM:<a@elsewhere.example>\r\n\
        RCPT TO:<pat@example.test>\r\n\
        RCPT TO:<full@example.test>\r\n\
        RCPT TO:<nobody@example.test>\r\n\
        RCPT TO:<x@elsewhere.example>\r\n\
        DATA\r\n\
        Subject: a message larger than ten bytes\r\n\r\nbody\r\n.\r\n\
        QUIT\r\n";
    let out = converse(service(dir.path(), Flavor::Lmtp), script).await;
    assert_eq!(
        codes(&out)[2..],
        [
            "250 2.1.0",
            "250 2.1.5",
            "250 2.1.5",
            "550 5.1.1",
            "550 5.1.2",
            "354 End d",
            "250 2.0.0",
            "452 4.2.2",
            "221 2.0.0"
        ],
        "{out}"
    );
    assert!(out.starts_with("220 mx.example.test LMTP"), "{out}");
    assert_eq!(inbox_count(dir.path(), "pat"), 1);
    assert_eq!(inbox_count(dir.path(), "full"), 0);
}

#[tokio::test]
async fn mx_forwards_only_through_aliases_and_stops_mail_loops() {
    let dir = tempfile::tempdir().unwrap();
    let (service, queue) = service_and_queue(dir.path(), Flavor::Mx);
    let hops = "Received: x\r\n".repeat(51);
    let script = format!(
        "EHLO client.example\r\n\
         MAIL FROM:<a@elsewhere.example>\r\n\
         RCPT TO:<fwd@example.test>\r\n\
         DATA\r\n{hops}Subject: loop\r\n\r\nx\r\n.\r\n\
         MAIL FROM:<a@elsewhere.example>\r\n\
         RCPT TO:<someone@elsewhere.example>\r\n\
         RCPT TO:<catchall@elsewhere.example>\r\n\
         QUIT\r\n"
    );
    let out = converse(service, script.as_bytes()).await;
    assert_eq!(
        codes(&out)[2..],
        [
            "250 2.1.0",
            "250 2.1.5",
            "354 End d",
            "554 5.4.6",
            "250 2.1.0",
            "554 5.7.1",
            "554 5.7.1",
            "221 2.0.0"
        ],
        "{out}"
    );
    assert!(queued(&queue).is_empty());
    assert_eq!(inbox_count(dir.path(), "pat"), 0);
}

#[tokio::test]
async fn lmtp_queues_forwards_and_delivers_local_copies() {
    let dir = tempfile::tempdir().unwrap();
    let (service, queue) = service_and_queue(dir.path(), Flavor::Lmtp);
    let script = b"LHLO mta.example\r\n\
        MAIL FROM:<a@elsewhere.example> BODY=8BITMIME\r\n\
        RCPT TO:<fwd@example.test>\r\n\
        RCPT TO:<unknown-but-caught@example.test>\r\n\
        DATA\r\nSubject: caf\xc3\xa9\r\n\r\nbody\r\n.\r\n\
        QUIT\r\n";
    let out = converse(service, script).await;
    assert_eq!(
        codes(&out)[2..],
        [
            "250 2.1.0",
            "250 2.1.5",
            "250 2.1.5",
            "354 End d",
            "250 2.0.0",
            "250 2.0.0",
            "221 2.0.0"
        ],
        "{out}"
    );
    assert_eq!(inbox_count(dir.path(), "pat"), 1);
    let queued = queued(&queue);
    assert_eq!(queued.len(), 1);
    assert_eq!(
        queued[0].recipients,
        [
            "someone@elsewhere.example orcpt=rfc822;fwd@example.test",
            "catchall@elsewhere.example orcpt=rfc822;unknown-but-caught@example.test"
        ]
    );
    assert!(queued[0].eight_bit);
}
