//! Delivery against a table resolver and real Maildirs in a temporary directory.

use std::io::Read;

use super::testing::{Table, delivery};
use super::*;

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
    let mut spool = d.spool().await.unwrap();
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
