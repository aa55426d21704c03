//! The queue's local transport against a table resolver, real Maildirs and a real queue.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::*;
use crate::delivery::testing::{Table, delivery, queue, queued, user};
use crate::outbound::deliver_all;

fn transport(dir: &Path) -> (LocalTransport<Table>, Arc<Queue>) {
    let queue = queue(dir);
    let transport = LocalTransport::new(Arc::new(delivery(dir)), Arc::clone(&queue));
    (transport, queue)
}

fn recipient(address: &str) -> OutboundRecipient {
    OutboundRecipient {
        address: address.to_owned(),
        notify: None,
        orcpt: None,
    }
}

/// A queued message's content file.
fn content(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("queued.eml");
    std::fs::write(&path, text).unwrap();
    path
}

fn message<'a>(
    id: &'a str,
    body: &'a Path,
    sender: &'a str,
    recipients: &'a [OutboundRecipient],
) -> OutboundMessage<'a> {
    OutboundMessage {
        id,
        sender,
        recipients,
        envid: None,
        ret: None,
        body,
        size: std::fs::metadata(body).map_or(0, |m| m.len()),
        eight_bit: false,
        smtputf8: false,
    }
}

fn inbox(dir: &Path, name: &str) -> Vec<String> {
    let Ok(store) = maildir::Maildir::open(user(dir, name, None).maildir) else {
        return Vec::new();
    };
    let inbox = store.inbox().unwrap();
    let mut uids: Vec<u32> = inbox
        .sync()
        .unwrap()
        .messages
        .iter()
        .map(|m| m.uid)
        .collect();
    uids.sort_unstable();
    uids.iter()
        .map(|&uid| {
            let mut text = String::new();
            inbox
                .open_message(uid)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text
        })
        .collect()
}

const QUEUED: &str = "Received: from client ([192.0.2.1])\r\n\tby mx.example.test (Postroom) \
    with ESMTPSA id S1;\r\n\tThu, 1 Jan 2026 00:00:00 +0000\r\nSubject: hi\r\n\r\nHello\r\n";

#[tokio::test]
async fn each_recipient_gets_its_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let (transport, _queue) = transport(dir.path());
    let body = content(dir.path(), QUEUED);
    let recipients = [
        recipient("pat@example.test"),
        recipient("team@example.test"),
        recipient("nobody@example.test"),
        recipient("user%elsewhere.example@example.test"),
        recipient("someone@elsewhere.example"),
        recipient("full@example.test"),
    ];
    let messages = [message("Q1", &body, "", &recipients)];
    let outcomes = deliver_all(&transport, "example.test", &messages).await;
    let got: Vec<(Status, &str)> = outcomes[0]
        .iter()
        .map(|o| (o.status, o.code.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (Status::Delivered, "2.0.0"),
            (Status::Delivered, "2.0.0"),
            (Status::Failed, "5.1.1"),
            (Status::Failed, "5.1.1"),
            (Status::Failed, "5.1.2"),
            (Status::Deferred, "4.2.2"),
        ]
    );
    // No remote host: a success DSN says "delivered".
    assert!(outcomes[0].iter().all(|o| o.remote.is_none()));
    assert_eq!(outcomes[0][0].diagnostic, "delivered to pat@example.test");
    // pat and team (an alias of pat) share one copy, with the delivery headers of the
    // final hop before the queued content (no second Received).
    let texts = inbox(dir.path(), "pat");
    assert_eq!(texts.len(), 1);
    assert_eq!(
        texts[0],
        format!("Return-Path: <>\r\nDelivered-To: pat@example.test\r\n{QUEUED}")
    );
}

#[tokio::test]
async fn forwarding_aliases_are_queued_again_with_the_same_sender() {
    let dir = tempfile::tempdir().unwrap();
    let (transport, queue) = transport(dir.path());
    let body = content(dir.path(), QUEUED);
    let mut fwd = recipient("fwd@example.test");
    fwd.notify = Some(smtp_proto::types::Notify::Never);
    let recipients = [fwd];
    let messages = [message("Q2", &body, "a@elsewhere.example", &recipients)];
    let outcomes = deliver_all(&transport, "example.test", &messages).await;
    assert_eq!(outcomes[0][0].status, Status::Delivered);
    assert_eq!(
        outcomes[0][0].diagnostic,
        "delivered to pat@example.test, someone@elsewhere.example"
    );
    assert_eq!(inbox(dir.path(), "pat").len(), 1);
    let queued = queued(&queue);
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].sender, "a@elsewhere.example");
    assert_eq!(
        queued[0].recipients,
        ["someone@elsewhere.example notify=never orcpt=rfc822;fwd@example.test"]
    );
    assert_eq!(queued[0].content, QUEUED, "the content goes on unchanged");
}

#[tokio::test]
async fn unreadable_content_and_a_broken_queue_defer() {
    let dir = tempfile::tempdir().unwrap();
    let (transport, queue) = transport(dir.path());
    let missing = dir.path().join("gone.eml");
    let recipients = [recipient("pat@example.test"), recipient("fwd@example.test")];
    let messages = [message("Q3", &missing, "", &recipients)];
    let outcomes = deliver_all(&transport, "example.test", &messages).await;
    assert!(
        outcomes[0]
            .iter()
            .all(|o| o.status == Status::Deferred && o.code == "4.3.0")
    );

    let body = content(dir.path(), QUEUED);
    std::fs::remove_dir_all(queue.dir()).unwrap();
    std::fs::write(queue.dir(), b"").unwrap();
    let messages = [message("Q4", &body, "", &recipients)];
    let outcomes = deliver_all(&transport, "example.test", &messages).await;
    let got: Vec<Status> = outcomes[0].iter().map(|o| o.status).collect();
    // pat is delivered; fwd, whose forward cannot be queued, waits (and so does its
    // local copy, so the retry repeats nothing).
    assert_eq!(got, [Status::Delivered, Status::Deferred]);
    assert_eq!(inbox(dir.path(), "pat").len(), 1);
}
