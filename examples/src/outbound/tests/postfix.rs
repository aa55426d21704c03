//! The transport against real peers from Debian's Postfix package (ignored by default;
//! `cargo test -p postroom -- --ignored outbound` runs them): `smtp-sink` accepting and
//! refusing, and a throwaway Postfix instance (own configuration, queue and mailboxes in
//! a temporary directory, smtpd on a free loopback port with a self-signed certificate)
//! that receives a message over STARTTLS and writes it into a Maildir.

use std::time::Duration;

use testkit::postfix::{Config, Postfix, SmtpSink};

use super::{LOCALHOST, Letter, config, deliver_one, one_mx, transport};
use crate::outbound::job::Status;
use crate::outbound::testdns::TestDns;

/// A complete message (with Date and Message-ID, which Postfix would otherwise add).
const BODY: &[u8] = b"From: alice@client.test\r\nTo: bob@example.net\r\nSubject: interop\r\n\
Date: Thu, 1 Jan 2026 00:00:00 +0000\r\nMessage-ID: <interop@client.test>\r\n\r\n\
.a line that starts with a dot\r\n..and one with two\r\n.\r\nlast line\r\n";

/// The body as a Unix mail file holds it (LF line ends).
fn body_lf() -> String {
    String::from_utf8_lossy(BODY).replace("\r\n", "\n")
}

#[tokio::test]
#[ignore = "interop: postfix (smtp-sink)"]
async fn outbound_smtp_sink_accepts() {
    let sink = SmtpSink::start(&[]);
    let dns = TestDns::start(one_mx()).await;
    let transport = transport(&config(&dns, sink.addr.port()));
    let letter = Letter::new(BODY, &["bob@example.net", "carol@example.net"]);

    let outcomes = deliver_one(&transport, "example.net", letter.message()).await;

    for outcome in &outcomes {
        assert_eq!(outcome.status, Status::Delivered, "{outcome:?}");
        assert!(outcome.diagnostic.starts_with("250 2.0.0"), "{outcome:?}");
    }
    let dumps = sink.dumps();
    assert_eq!(dumps.len(), 1, "{dumps:?}");
    let dump = &dumps[0];
    assert!(dump.contains("X-Helo-Args: client.test"), "{dump}");
    assert!(dump.contains("X-Rcpt-Args: <carol@example.net>"), "{dump}");
    assert!(dump.contains(&body_lf()), "{dump}");
}

#[tokio::test]
#[ignore = "interop: postfix (smtp-sink)"]
async fn outbound_smtp_sink_temporary_and_permanent_refusals() {
    let dns = TestDns::start(one_mx()).await;
    let letter = Letter::new(BODY, &["bob@example.net"]);
    for (option, status, code) in [
        ("-r", Status::Deferred, "4.3.0"),
        ("-f", Status::Failed, "5.3.0"),
    ] {
        let sink = SmtpSink::start(&[option, "RCPT"]);
        let transport = transport(&config(&dns, sink.addr.port()));

        let outcomes = deliver_one(&transport, "example.net", letter.message()).await;

        assert_eq!(
            (outcomes[0].status, outcomes[0].code.as_str()),
            (status, code)
        );
        assert_eq!(
            outcomes[0].remote.as_deref(),
            Some("mx.example.net [127.0.0.1]")
        );
        assert!(sink.dumps().is_empty());
    }
    // Refused after the data: the reply applies to the accepted recipients.
    let sink = SmtpSink::start(&["-f", "."]);
    let transport = transport(&config(&dns, sink.addr.port()));
    let letter = Letter::new(BODY, &["bob@example.net", "carol@example.net"]);
    let outcomes = deliver_one(&transport, "example.net", letter.message()).await;
    for outcome in &outcomes {
        assert_eq!(
            (outcome.status, outcome.code.as_str()),
            (Status::Failed, "5.3.0")
        );
    }
}

/// A throwaway Postfix that takes mail for bob@postfix.test over STARTTLS.
fn start_postfix() -> Postfix {
    let mut config = Config::new("postfix-mx.test");
    config.tls = true;
    config.mailboxes = vec![("bob@postfix.test".into(), "postfix.test/bob/".into())];
    Postfix::start(&config)
}

#[tokio::test]
#[ignore = "interop: postfix"]
async fn outbound_postfix_receives_over_starttls() {
    let postfix = start_postfix();
    let zone = super::Zone::new()
        .mx("postfix.test", 10, "postfix-mx.test")
        .a("postfix-mx.test", LOCALHOST);
    let dns = TestDns::start(zone).await;
    let transport = transport(&config(&dns, postfix.smtp.port()));
    let letter = Letter::new(BODY, &["bob@postfix.test", "nobody@postfix.test"]);

    let outcomes = deliver_one(&transport, "postfix.test", letter.message()).await;

    assert_eq!(
        outcomes[0].status,
        Status::Delivered,
        "{outcomes:?}\n{}",
        postfix.log()
    );
    assert!(
        outcomes[0]
            .diagnostic
            .starts_with("250 2.0.0 Ok: queued as"),
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes[0].remote.as_deref(),
        Some("postfix-mx.test [127.0.0.1]")
    );
    // Postfix knows no such mailbox: refused at RCPT.
    assert_eq!(
        (outcomes[1].status, outcomes[1].code.as_str()),
        (Status::Failed, "5.1.1")
    );
    let mail = postfix.wait_for_mail("postfix.test/bob", 1, Duration::from_secs(30));
    assert!(
        mail[0].contains(&body_lf()),
        "the body arrived changed:\n{}",
        mail[0]
    );
    assert!(
        postfix.log().contains("TLS connection established from"),
        "no TLS in the log:\n{}",
        postfix.log()
    );
}
