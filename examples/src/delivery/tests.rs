//! Delivery against a table resolver and real Maildirs in a temporary directory.

use std::io::Read;

use super::testing::{self, Table, delivery};
use super::*;
use crate::filter::sieve::{FolderCopy, SieveDecision};

#[test]
fn plain_local_parts() {
    for ok in ["pat", "jane.doe", "a+tag", "o'brien", "x_y-z", "jürgen"] {
        assert!(is_plain_local_part(ok), "{ok}");
    }
    for bad in [
        "user%other",
        "other!user",
        "user@other",
        "a:b",
        "a b",
        "\"q\"",
        ".a",
        "a.",
        "a..b",
        "a/b",
        "a\\b",
        "",
        "a,b",
        "[x]",
    ] {
        assert!(!is_plain_local_part(bad), "{bad}");
    }
}

#[tokio::test]
async fn relay_tricks_never_reach_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let d = delivery(dir.path());
    for local in [
        "user%elsewhere.example",
        "elsewhere.example!user",
        "user@elsewhere.example",
    ] {
        let refused = d.check_recipient(local, "example.test", None).await;
        assert_eq!(refused, Err(Refusal::BadLocalPart), "{local}");
    }
    assert!(d.resolver.asked.lock().unwrap().is_empty());
    // Without the local-part rule the catch-all would have forwarded them:
    assert_eq!(
        d.check_recipient("anything", "example.test", None)
            .await
            .unwrap()
            .remote,
        ["catchall@elsewhere.example"]
    );
}

#[tokio::test]
async fn recipients_are_refused_for_the_right_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = delivery(dir.path());
    let check = |local: &'static str, domain: &'static str| d.check_recipient(local, domain, None);
    assert_eq!(
        check("pat", "elsewhere.example").await,
        Err(Refusal::NotLocalDomain)
    );
    assert_eq!(
        check("nobody", "example.test").await,
        Err(Refusal::UnknownUser)
    );
    let fwd = check("fwd", "example.test").await.unwrap();
    assert_eq!(fwd.local[0].email, "pat@example.test");
    assert_eq!(fwd.remote, ["someone@elsewhere.example"]);
    assert_eq!(
        d.check_recipient("full", "example.test", Some(11)).await,
        Err(Refusal::OverQuota)
    );
    assert_eq!(
        d.check_recipient("full", "example.test", Some(5))
            .await
            .unwrap()
            .local
            .len(),
        1
    );
    let pat = check("pat", "example.test").await.unwrap();
    assert_eq!(pat.local[0].email, "pat@example.test");
    assert!(pat.remote.is_empty());
    // Bare <Postmaster> is our host's postmaster.
    let _ = d.check_recipient("Postmaster", "", None).await;
    assert!(
        d.resolver
            .asked
            .lock()
            .unwrap()
            .contains(&"Postmaster@mx.example.test".to_owned())
    );
}

fn envelope(recipients: &[&str]) -> Envelope {
    Envelope {
        id: "S1".into(),
        helo: Some("client.example".into()),
        client_ip: Some("127.0.0.1".parse().unwrap()),
        protocol: "ESMTP",
        tls: None,
        sender: Some("a@elsewhere.example".into()),
        recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
        authenticated: None,
    }
}

async fn body(d: &Delivery<Table>, text: &[u8]) -> Spooled {
    let mut spool = d.spool();
    spool.write(text).await.unwrap();
    spool.finish().await.unwrap()
}

fn inbox_texts(mailbox: &LocalUser) -> Vec<String> {
    let inbox = maildir::Maildir::open(&mailbox.maildir)
        .unwrap()
        .inbox()
        .unwrap();
    let view = inbox.sync().unwrap();
    let mut uids: Vec<u32> = view.messages.iter().map(|m| m.uid).collect();
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

#[tokio::test]
async fn an_alias_and_its_target_get_one_copy_with_trace_headers() {
    let dir = tempfile::tempdir().unwrap();
    let d = delivery(dir.path());
    let pat = d
        .check_recipient("pat", "example.test", None)
        .await
        .unwrap()
        .local;
    let team = d
        .check_recipient("team", "example.test", None)
        .await
        .unwrap()
        .local;
    let b = body(&d, b"Subject: hi\r\n\r\nHello\r\n").await;
    let results = d
        .deliver(
            &envelope(&["pat@example.test", "team@example.test"]),
            &[pat.clone(), team],
            &b,
            true,
        )
        .await;
    assert_eq!(results, [Ok(()), Ok(())]);
    let texts = inbox_texts(&pat[0]);
    assert_eq!(texts.len(), 1);
    assert!(texts[0].starts_with("Return-Path: <a@elsewhere.example>\r\nDelivered-To: pat@example.test\r\nReceived: from client.example ([127.0.0.1])\r\n"), "{}", texts[0]);
    assert!(
        texts[0].ends_with(" +0000\r\nSubject: hi\r\n\r\nHello\r\n"),
        "{}",
        texts[0]
    );
}

#[tokio::test]
async fn over_quota_is_all_or_nothing_for_smtp_and_per_recipient_for_lmtp() {
    let dir = tempfile::tempdir().unwrap();
    let d = delivery(dir.path());
    let pat = d
        .check_recipient("pat", "example.test", None)
        .await
        .unwrap()
        .local;
    let full = d
        .check_recipient("full", "example.test", None)
        .await
        .unwrap()
        .local;
    let b = body(&d, b"Subject: big enough to exceed ten bytes\r\n\r\n").await;
    let env = envelope(&["pat@example.test", "full@example.test"]);
    let mailboxes = [pat.clone(), full.clone()];

    let smtp = d.deliver(&env, &mailboxes, &b, true).await;
    assert_eq!(
        smtp,
        [Err(StoreFailure::OverQuota), Err(StoreFailure::OverQuota)]
    );
    assert!(
        !pat[0].maildir.exists(),
        "nothing stored when one recipient fails"
    );

    let lmtp = d.deliver(&env, &mailboxes, &b, false).await;
    assert_eq!(lmtp, [Ok(()), Err(StoreFailure::OverQuota)]);
    assert_eq!(inbox_texts(&pat[0]).len(), 1);
}

/// The messages of `folder` with their flags and keywords, in UID order.
fn folder_messages(mailbox: &LocalUser, folder: &str) -> Vec<(String, String, Vec<String>)> {
    let store = maildir::Maildir::open(&mailbox.maildir).unwrap();
    let folder = if maildir::is_inbox(folder) {
        store.inbox().unwrap()
    } else {
        store.folder(folder).unwrap()
    };
    let mut messages = folder.sync().unwrap().messages;
    messages.sort_by_key(|m| m.uid);
    messages
        .iter()
        .map(|m| {
            let mut text = String::new();
            folder
                .open_message(m.uid)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            (text, m.flags.letters().collect(), m.keywords.clone())
        })
        .collect()
}

fn decision(stores: Vec<FolderCopy>) -> SieveDecision {
    SieveDecision {
        stores,
        redirects: Vec::new(),
        vacation: None,
    }
}

fn flagged(folder: &str, create: bool, flags: &[maildir::Flag], keywords: &[&str]) -> FolderCopy {
    let mut copy = FolderCopy::new(folder, create);
    for flag in flags {
        copy.flags.insert(*flag);
    }
    copy.keywords = keywords.iter().map(|k| (*k).to_owned()).collect();
    copy
}

async fn pat(d: &Delivery<Table>) -> Vec<LocalUser> {
    d.check_recipient("pat", "example.test", None)
        .await
        .unwrap()
        .local
}

#[tokio::test]
async fn every_copy_of_the_decision_is_stored_with_its_flags() {
    let dir = tempfile::tempdir().unwrap();
    let filter = testing::Fixed::new(decision(vec![
        flagged("Lists.rust", true, &[maildir::Flag::Seen], &["$Label1"]),
        flagged("INBOX", false, &[maildir::Flag::Flagged], &[]),
    ]));
    let d = testing::delivery_with(dir.path(), filter.clone());
    let pat = pat(&d).await;
    let team = d
        .check_recipient("team", "example.test", None)
        .await
        .unwrap()
        .local;
    let b = body(&d, b"Subject: hi\r\n\r\nHello\r\n").await;
    let env = envelope(&["team@example.test", "pat@example.test"]);
    let results = d.deliver(&env, &[team, pat.clone()], &b, true).await;
    assert_eq!(results, [Ok(()), Ok(())]);
    // One decision for the one mailbox, for the first recipient that led to it.
    assert_eq!(
        *filter.asked.lock().unwrap(),
        ["team@example.test pat@example.test"]
    );
    let lists = folder_messages(&pat[0], "Lists.rust");
    assert_eq!(lists.len(), 1);
    assert_eq!(
        (lists[0].1.as_str(), lists[0].2.clone()),
        ("S", vec!["$Label1".to_owned()])
    );
    assert!(lists[0].0.starts_with(
        "Return-Path: <a@elsewhere.example>\r\nDelivered-To: pat@example.test\r\nReceived: "
    ));
    let inbox = folder_messages(&pat[0], "INBOX");
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].1, "F");
    assert!(inbox[0].0.ends_with("Subject: hi\r\n\r\nHello\r\n"));
}

#[tokio::test]
async fn a_discarded_message_is_delivered_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let d = testing::delivery_with(dir.path(), testing::Fixed::new(decision(Vec::new())));
    let pat = pat(&d).await;
    let b = body(&d, b"Subject: hi\r\n\r\nHello\r\n").await;
    let results = d
        .deliver(
            &envelope(&["pat@example.test"]),
            std::slice::from_ref(&pat),
            &b,
            true,
        )
        .await;
    assert_eq!(results, [Ok(())]);
    assert!(!pat[0].maildir.exists());
}

#[tokio::test]
async fn redirects_keep_the_sender_and_vacation_replies_have_none() {
    let dir = tempfile::tempdir().unwrap();
    let queue = testing::queue(dir.path());
    let filter = testing::Fixed::new(SieveDecision {
        stores: Vec::new(),
        redirects: vec!["pat@elsewhere.example".to_owned()],
        vacation: Some(crate::filter::sieve::VacationReply {
            to: "a@elsewhere.example".to_owned(),
            message: b"From: pat@example.test\r\nSubject: Away\r\n\r\nBack soon.\r\n".to_vec(),
        }),
    });
    let d = testing::delivery_with(dir.path(), filter).with_outbox(Arc::clone(&queue));
    let pat = pat(&d).await;
    let b = body(&d, b"Subject: hi\r\n\r\nHello\r\n").await;
    let results = d
        .deliver(
            &envelope(&["pat@example.test"]),
            std::slice::from_ref(&pat),
            &b,
            true,
        )
        .await;
    assert_eq!(results, [Ok(())]);
    assert!(!pat[0].maildir.exists(), "redirected, not kept");
    let queued = testing::queued(&queue);
    assert_eq!(queued.len(), 2, "{queued:#?}");
    let redirect = queued
        .iter()
        .find(|q| q.recipients[0].starts_with("pat@elsewhere.example"))
        .unwrap();
    assert_eq!(redirect.sender, "a@elsewhere.example");
    assert_eq!(
        redirect.recipients,
        ["pat@elsewhere.example orcpt=rfc822;pat@example.test"]
    );
    assert!(
        redirect
            .content
            .starts_with("Received: from client.example ([127.0.0.1])\r\n")
    );
    assert!(
        redirect
            .content
            .ends_with("\r\nSubject: hi\r\n\r\nHello\r\n")
    );
    let vacation = queued
        .iter()
        .find(|q| q.recipients[0] == "a@elsewhere.example")
        .unwrap();
    assert_eq!(vacation.sender, "");
    assert_eq!(
        vacation.content,
        "From: pat@example.test\r\nSubject: Away\r\n\r\nBack soon.\r\n"
    );
}

#[tokio::test]
async fn a_redirect_that_cannot_be_sent_keeps_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let redirect = SieveDecision {
        stores: Vec::new(),
        redirects: vec!["pat@elsewhere.example".to_owned()],
        vacation: None,
    };
    // Without a queue.
    let d = testing::delivery_with(dir.path(), testing::Fixed::new(redirect.clone()));
    let pat = pat(&d).await;
    let b = body(&d, b"Subject: hi\r\n\r\nHello\r\n").await;
    let env = envelope(&["pat@example.test"]);
    assert_eq!(
        d.deliver(&env, std::slice::from_ref(&pat), &b, true).await,
        [Ok(())]
    );
    assert_eq!(inbox_texts(&pat[0]).len(), 1);

    // A message that went round a redirect loop: 50 Received headers already.
    let queue = testing::queue(dir.path());
    let d = testing::delivery_with(dir.path(), testing::Fixed::new(redirect))
        .with_outbox(Arc::clone(&queue));
    let looped = "Received: from x by y; Thu, 26 Nov 2026 10:00:00 +0000\r\n".repeat(50)
        + "Subject: loop\r\n\r\nround and round\r\n";
    let b = body(&d, looped.as_bytes()).await;
    assert_eq!(
        d.deliver(&env, std::slice::from_ref(&pat), &b, true).await,
        [Ok(())]
    );
    assert!(testing::queued(&queue).is_empty());
    assert_eq!(inbox_texts(&pat[0]).len(), 2);
}

#[tokio::test]
async fn the_queue_path_files_through_the_filter_too() {
    let dir = tempfile::tempdir().unwrap();
    let filter = testing::Fixed::new(decision(vec![FolderCopy::new("Junk", true)]));
    let d = testing::delivery_with(dir.path(), filter.clone());
    let pat = pat(&d).await;
    let b = body(&d, b"Subject: bounce\r\n\r\n").await;
    let mut env = envelope(&["PAT@example.test"]);
    env.sender = None;
    let stored = d.store_copies(&env, &pat, &b, Trace::DeliveryOnly).await;
    assert_eq!(stored, [Ok(())]);
    assert_eq!(
        *filter.asked.lock().unwrap(),
        ["PAT@example.test pat@example.test"]
    );
    let junk = folder_messages(&pat[0], "Junk");
    assert!(
        junk[0]
            .0
            .starts_with("Return-Path: <>\r\nDelivered-To: pat@example.test\r\nSubject: bounce")
    );
}
