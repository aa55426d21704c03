//! The end of a transaction against a table resolver, real Maildirs and a real queue.

use std::path::Path;

use smtp_proto::codec::parse_command_line;
use smtp_proto::types::Command;

use super::*;
use crate::delivery::testing::{Queued, Table, dispatcher, queued, user};

fn mail(line: &str) -> MailFrom<'static> {
    match parse_command_line(format!("{line}\r\n").as_bytes()).unwrap() {
        Command::Mail(mail) => mail.into_owned(),
        other => panic!("not MAIL: {other:?}"),
    }
}

fn rcpt(line: &str) -> RcptTo<'static> {
    match parse_command_line(format!("{line}\r\n").as_bytes()).unwrap() {
        Command::Rcpt(rcpt) => rcpt.into_owned(),
        other => panic!("not RCPT: {other:?}"),
    }
}

/// Receives a message as a session would: recipients checked like RCPT (remote
/// addresses taken as they are), the body spooled.
async fn receive(
    dispatcher: &Dispatcher<Table>,
    mail_line: &str,
    rcpt_lines: &[&str],
    body: &[u8],
) -> Message {
    let mut txn = Transaction::new(&mail(mail_line));
    for line in rcpt_lines {
        let rcpt = rcpt(line);
        let a = &rcpt.recipient;
        let destinations = if a.domain == "example.test" {
            dispatcher
                .delivery()
                .check_recipient(&a.local_part, &a.domain, None)
                .await
                .unwrap()
        } else {
            Destinations {
                local: Vec::new(),
                remote: vec![a.to_string()],
            }
        };
        txn.recipients.push(Recipient::new(&rcpt, destinations));
    }
    txn.start_body(dispatcher.delivery());
    // In two chunks, as a session gets them.
    let (first, second) = body.split_at(body.len() / 2);
    txn.write(first).await;
    txn.write(second).await;
    txn.finish().await.unwrap()
}

fn envelope(message: &Message) -> Envelope {
    Envelope {
        id: "S9".into(),
        helo: Some("client.example".into()),
        client_ip: Some("192.0.2.9".parse().unwrap()),
        protocol: "ESMTPSA",
        tls: None,
        sender: message.sender.clone(),
        recipients: message
            .recipients
            .iter()
            .map(|r| r.address.clone())
            .collect(),
        authenticated: Some("pat@example.test".into()),
    }
}

fn inbox_count(vmail: &Path, name: &str) -> usize {
    match maildir::Maildir::open(user(vmail, name, None).maildir) {
        Ok(store) => store.inbox().unwrap().sync().unwrap().messages.len(),
        Err(_) => 0,
    }
}

const BODY: &[u8] = b"Subject: hello\r\n\r\nHi\r\n";

#[tokio::test]
async fn local_copies_stored_and_remote_recipients_queued_with_their_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let (d, queue) = dispatcher(dir.path());
    let message = receive(
        &d,
        "MAIL FROM:<pat@example.test> RET=HDRS ENVID=env-1 SMTPUTF8",
        &[
            "RCPT TO:<pat@example.test>",
            "RCPT TO:<friend@remote.example> NOTIFY=FAILURE,DELAY ORCPT=rfc822;friend@remote.example",
            "RCPT TO:<fwd@example.test> NOTIFY=NEVER",
        ],
        BODY,
    )
    .await;
    assert_eq!(d.deliver_all(&envelope(&message), &message).await, Ok(()));
    assert_eq!(inbox_count(dir.path(), "pat"), 1);
    let queued: Vec<Queued> = queued(&queue);
    assert_eq!(queued.len(), 1, "{queued:?}");
    let q = &queued[0];
    assert_eq!(q.sender, "pat@example.test");
    assert_eq!(
        q.recipients,
        [
            "friend@remote.example notify=failure,delay orcpt=rfc822;friend@remote.example",
            "someone@elsewhere.example notify=never orcpt=rfc822;fwd@example.test",
        ]
    );
    assert_eq!(q.envid.as_deref(), Some("env-1"));
    assert_eq!(q.ret.as_deref(), Some("Hdrs"));
    assert!(q.smtputf8);
    assert!(!q.eight_bit);
    // Our Received header, naming the login, then the message as sent.
    assert!(
        q.content
            .starts_with("Received: from client.example ([192.0.2.9])\r\n")
    );
    assert!(
        q.content
            .contains("(Authenticated sender: pat@example.test)")
    );
    assert!(q.content.contains("with ESMTPSA id S9"));
    assert!(q.content.ends_with("\r\nSubject: hello\r\n\r\nHi\r\n"));
}

#[tokio::test]
async fn eight_bit_content_is_noticed_without_body_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let (d, queue) = dispatcher(dir.path());
    let message = receive(
        &d,
        "MAIL FROM:<>",
        &["RCPT TO:<x@remote.example>"],
        "Subject: caf\u{e9}\r\n\r\n".as_bytes(),
    )
    .await;
    assert_eq!(d.deliver_all(&envelope(&message), &message).await, Ok(()));
    let queued = queued(&queue);
    assert!(queued[0].eight_bit);
    assert_eq!(queued[0].sender, "");
}

#[tokio::test]
async fn success_notices_go_through_the_queue_for_local_recipients() {
    let dir = tempfile::tempdir().unwrap();
    let (d, queue) = dispatcher(dir.path());
    let message = receive(
        &d,
        "MAIL FROM:<pat@example.test>",
        &["RCPT TO:<team@example.test> NOTIFY=SUCCESS,FAILURE"],
        BODY,
    )
    .await;
    assert_eq!(d.deliver_all(&envelope(&message), &message).await, Ok(()));
    assert_eq!(inbox_count(dir.path(), "pat"), 0, "the queue delivers it");
    let queued = queued(&queue);
    assert_eq!(
        queued[0].recipients,
        ["team@example.test notify=success,failure"]
    );
}

#[tokio::test]
async fn a_full_mailbox_refuses_the_whole_message_before_anything_is_queued() {
    let dir = tempfile::tempdir().unwrap();
    let (d, queue) = dispatcher(dir.path());
    let message = receive(
        &d,
        "MAIL FROM:<pat@example.test>",
        &["RCPT TO:<x@remote.example>", "RCPT TO:<full@example.test>"],
        BODY,
    )
    .await;
    let result = d.deliver_all(&envelope(&message), &message).await;
    assert_eq!(result, Err(Failure::OverQuota));
    assert!(queued(&queue).is_empty());
}

#[tokio::test]
async fn a_queue_failure_stores_nothing_locally() {
    let dir = tempfile::tempdir().unwrap();
    let (d, queue) = dispatcher(dir.path());
    let message = receive(
        &d,
        "MAIL FROM:<pat@example.test>",
        &["RCPT TO:<pat@example.test>", "RCPT TO:<x@remote.example>"],
        BODY,
    )
    .await;
    // The queue directory is gone and a file stands in its place: writes fail.
    std::fs::remove_dir_all(queue.dir()).unwrap();
    std::fs::write(queue.dir(), b"").unwrap();
    let result = d.deliver_all(&envelope(&message), &message).await;
    assert_eq!(result, Err(Failure::Queue));
    assert_eq!(inbox_count(dir.path(), "pat"), 0);
}

#[tokio::test]
async fn a_local_copy_that_cannot_be_stored_is_queued_for_later() {
    let dir = tempfile::tempdir().unwrap();
    let (d, queue) = dispatcher(dir.path());
    // sam's mailbox directory cannot be created: a file is in the way.
    let sam = dir.path().join("example.test").join("sam");
    std::fs::create_dir_all(sam.parent().unwrap()).unwrap();
    std::fs::write(&sam, b"").unwrap();
    let mut message = receive(
        &d,
        "MAIL FROM:<pat@example.test>",
        &["RCPT TO:<pat@example.test>"],
        BODY,
    )
    .await;
    message.recipients.push(Recipient {
        address: "sam@example.test".into(),
        destinations: Destinations {
            local: vec![user(dir.path(), "sam", None)],
            remote: Vec::new(),
        },
        notify: None,
        orcpt: None,
    });
    assert_eq!(d.deliver_all(&envelope(&message), &message).await, Ok(()));
    assert_eq!(inbox_count(dir.path(), "pat"), 1);
    let queued = queued(&queue);
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].recipients, ["sam@example.test"]);
}

#[tokio::test]
async fn lmtp_fails_only_the_recipients_whose_forward_was_not_queued() {
    let dir = tempfile::tempdir().unwrap();
    let (d, queue) = dispatcher(dir.path());
    let message = receive(
        &d,
        "MAIL FROM:<a@elsewhere.example>",
        &[
            "RCPT TO:<team@example.test>",
            "RCPT TO:<fwd@example.test>",
            "RCPT TO:<full@example.test>",
        ],
        b"Subject: more than ten bytes\r\n\r\n",
    )
    .await;
    std::fs::remove_dir_all(queue.dir()).unwrap();
    std::fs::write(queue.dir(), b"").unwrap();
    let results = d.deliver_each(&envelope(&message), &message).await;
    assert_eq!(
        results,
        [Ok(()), Err(Failure::Queue), Err(Failure::OverQuota)]
    );
    // team's copy went to pat; fwd's (also pat) waits for the front MTA's retry.
    assert_eq!(inbox_count(dir.path(), "pat"), 1);
}

#[tokio::test]
async fn too_many_hops_is_a_loop() {
    let dir = tempfile::tempdir().unwrap();
    let (d, queue) = dispatcher(dir.path());
    let mut body = b"Received: x\r\n".repeat(MAX_HOPS + 1);
    body.extend_from_slice(BODY);
    let message = receive(
        &d,
        "MAIL FROM:<a@elsewhere.example>",
        &["RCPT TO:<pat@example.test>"],
        &body,
    )
    .await;
    let result = d.deliver_all(&envelope(&message), &message).await;
    assert_eq!(result, Err(Failure::TooManyHops));
    let each = d.deliver_each(&envelope(&message), &message).await;
    assert_eq!(each, [Err(Failure::TooManyHops)]);
    assert_eq!(inbox_count(dir.path(), "pat"), 0);
    assert!(queued(&queue).is_empty());
}
