//! Tests of the outbound SMTP transport against fake peers on loopback, with DNS from an
//! in-process test server; `postfix` holds the ignored interop tests with Debian's
//! Postfix and smtp-sink.

mod fake_mx;
mod postfix;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

use smtp_proto::types::{Body, Notify, Orcpt, Ret};
use tempfile::TempDir;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

use super::config::{OutboundConfig, Password, Route, Smarthost, SmarthostTls, TlsPolicy};
use super::job::{OutboundMessage, OutboundRecipient, Outcome, Status, deliver_all};
use super::testdns::{TestDns, Zone};
use super::{OutboundError, SmtpTransport};
use fake_mx::{FakeMx, Script, reply, self_signed};

const LOCALHOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// A queue file and the envelope around it.
struct Letter {
    _dir: TempDir,
    path: PathBuf,
    size: u64,
    recipients: Vec<OutboundRecipient>,
}

impl Letter {
    fn new(body: &[u8], recipients: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("body");
        std::fs::write(&path, body).expect("write body");
        Self {
            _dir: dir,
            path,
            size: body.len() as u64,
            recipients: recipients.iter().map(|r| recipient(r)).collect(),
        }
    }

    fn message(&self) -> OutboundMessage<'_> {
        message(
            "Q1",
            "alice@client.test",
            &self.recipients,
            &self.path,
            self.size,
        )
    }
}

fn recipient(address: &str) -> OutboundRecipient {
    OutboundRecipient {
        address: address.to_owned(),
        notify: None,
        orcpt: None,
    }
}

fn message<'a>(
    id: &'a str,
    sender: &'a str,
    recipients: &'a [OutboundRecipient],
    body: &'a Path,
    size: u64,
) -> OutboundMessage<'a> {
    OutboundMessage {
        id,
        sender,
        recipients,
        envid: None,
        ret: None,
        body,
        size,
        eight_bit: false,
        smtputf8: false,
    }
}

/// Short timeouts, the test DNS server, MX port `port`.
fn config(dns: &TestDns, port: u16) -> OutboundConfig {
    let mut config = OutboundConfig {
        port,
        nameservers: vec![dns.addr()],
        ..OutboundConfig::default()
    };
    let t = &mut config.timeouts;
    (t.connect, t.greeting, t.mail, t.rcpt) = (5, 10, 10, 10);
    (t.data_init, t.data_block, t.data_done, t.command) = (10, 10, 10, 10);
    config
}

fn transport(config: &OutboundConfig) -> SmtpTransport {
    SmtpTransport::new(config, "client.test", &[]).expect("transport")
}

/// A zone where `example.net` has one MX, `mx.example.net` at 127.0.0.1.
fn one_mx() -> Zone {
    Zone::new()
        .mx("example.net", 10, "mx.example.net")
        .a("mx.example.net", LOCALHOST)
}

async fn deliver_one(
    transport: &SmtpTransport,
    domain: &str,
    msg: OutboundMessage<'_>,
) -> Vec<Outcome> {
    let mut results = deliver_all(transport, domain, &[msg]).await;
    assert_eq!(results.len(), 1);
    results.remove(0)
}

/// A port on 127.0.0.1 where nothing listens.
async fn closed_port() -> u16 {
    let listener = TcpListener::bind((LOCALHOST, 0)).await.expect("bind");
    listener.local_addr().expect("addr").port()
}

fn statuses(outcomes: &[Outcome]) -> Vec<(Status, &str)> {
    outcomes
        .iter()
        .map(|o| (o.status, o.code.as_str()))
        .collect()
}

#[tokio::test]
async fn per_recipient_results_with_pipelining_and_dot_stuffing() {
    let script = Script::new("mx.example.net")
        .rcpt("nobody@example.net", reply(550, (5, 1, 1), "no such user"))
        .rcpt("full@example.net", reply(452, (4, 2, 2), "mailbox full"));
    let mx = FakeMx::local(script).await;
    let dns = TestDns::start(one_mx()).await;
    let transport = transport(&config(&dns, mx.addr.port()));
    let body = b"Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n";
    let letter = Letter::new(
        body,
        &["bob@example.net", "nobody@example.net", "full@example.net"],
    );

    let outcomes = deliver_one(&transport, "example.net", letter.message()).await;

    assert_eq!(
        statuses(&outcomes),
        [
            (Status::Delivered, "2.0.0"),
            (Status::Failed, "5.1.1"),
            (Status::Deferred, "4.2.2")
        ]
    );
    assert_eq!(
        outcomes[0].remote.as_deref(),
        Some("mx.example.net [127.0.0.1]")
    );
    assert_eq!(outcomes[0].diagnostic, "250 2.0.0 Ok: queued as FAKE");
    assert_eq!(outcomes[1].diagnostic, "550 5.1.1 no such user");
    let log = mx.log();
    assert_eq!(log.ehlo, ["client.test"]);
    assert_eq!(log.messages.len(), 1);
    let received = &log.messages[0];
    assert_eq!(received.body, body, "the body arrives byte for byte");
    assert_eq!(received.mail.params.size, Some(body.len() as u64));
    assert_eq!(received.mail.params.body, None, "7-bit mail sends no BODY=");
    assert_eq!(received.rcpts.len(), 3);
}

#[tokio::test]
async fn large_body_streams_intact() {
    let mx = FakeMx::local(Script::new("mx.example.net")).await;
    let dns = TestDns::start(one_mx()).await;
    let transport = transport(&config(&dns, mx.addr.port()));
    let mut body = b"Subject: big\r\n\r\n".to_vec();
    for i in 0..20_000 {
        body.extend_from_slice(
            format!(".line {i} of a message larger than one chunk\r\n").as_bytes(),
        );
    }
    let letter = Letter::new(&body, &["bob@example.net"]);

    let outcomes = deliver_one(&transport, "example.net", letter.message()).await;

    assert_eq!(outcomes[0].status, Status::Delivered);
    assert_eq!(mx.log().messages[0].body, body);
}

#[tokio::test]
async fn mx_hosts_in_preference_order_with_fallback() {
    let mx = FakeMx::local(Script::new("mx2.example.net")).await;
    // The best MX is on [::1], where nothing listens on that port: refused.
    let zone = Zone::new()
        .mx("example.net", 20, "mx2.example.net")
        .mx("example.net", 10, "mx1.example.net")
        .aaaa("mx1.example.net", Ipv6Addr::LOCALHOST)
        .a("mx2.example.net", LOCALHOST);
    let dns = TestDns::start(zone).await;
    let transport = transport(&config(&dns, mx.addr.port()));
    let letter = Letter::new(b"Subject: x\r\n\r\nhi\r\n", &["bob@example.net"]);

    let outcomes = deliver_one(&transport, "example.net", letter.message()).await;

    assert_eq!(outcomes[0].status, Status::Delivered);
    assert_eq!(
        outcomes[0].remote.as_deref(),
        Some("mx2.example.net [127.0.0.1]")
    );
}

#[tokio::test]
async fn best_mx_is_used_first() {
    let mx = FakeMx::local(Script::new("mx1.example.net")).await;
    let zone = Zone::new()
        .mx("example.net", 20, "mx2.example.net")
        .mx("example.net", 10, "mx1.example.net")
        .a("mx1.example.net", LOCALHOST)
        .aaaa("mx2.example.net", Ipv6Addr::LOCALHOST);
    let dns = TestDns::start(zone).await;
    let transport = transport(&config(&dns, mx.addr.port()));
    let letter = Letter::new(b"Subject: x\r\n\r\nhi\r\n", &["bob@example.net"]);

    let outcomes = deliver_one(&transport, "example.net", letter.message()).await;

    assert_eq!(
        outcomes[0].remote.as_deref(),
        Some("mx1.example.net [127.0.0.1]")
    );
    assert_eq!(mx.log().connections, 1);
}

#[tokio::test]
async fn every_host_refused_defers_with_the_last_error() {
    let dns = TestDns::start(one_mx()).await;
    let transport = transport(&config(&dns, closed_port().await));
    let letter = Letter::new(b"x\r\n", &["bob@example.net", "carol@example.net"]);

    let outcomes = deliver_one(&transport, "example.net", letter.message()).await;

    for outcome in &outcomes {
        assert_eq!(
            (outcome.status, outcome.code.as_str()),
            (Status::Deferred, "4.4.1")
        );
        assert_eq!(outcome.remote, None);
        assert!(
            outcome
                .diagnostic
                .contains("connect to mx.example.net [127.0.0.1]"),
            "{outcome:?}"
        );
    }
}

#[tokio::test]
async fn a_record_is_used_when_there_is_no_mx() {
    let mx = FakeMx::local(Script::new("example.net")).await;
    let dns = TestDns::start(Zone::new().a("example.net", LOCALHOST)).await;
    let transport = transport(&config(&dns, mx.addr.port()));
    let letter = Letter::new(b"x\r\n", &["bob@example.net"]);

    let outcomes = deliver_one(&transport, "example.net", letter.message()).await;

    assert_eq!(outcomes[0].status, Status::Delivered);
    assert_eq!(
        outcomes[0].remote.as_deref(),
        Some("example.net [127.0.0.1]")
    );
}

#[tokio::test]
async fn dns_answers_decide_without_connecting() {
    let mx = FakeMx::local(Script::new("mx.example.net")).await;
    let zone = Zone::new()
        .mx("null.example", 0, ".")
        .a("null.example", LOCALHOST)
        .servfail("broken.example")
        .mx("noaddress.example", 10, "ghost.noaddress.example")
        .a("other.noaddress.example", LOCALHOST);
    let dns = TestDns::start(zone).await;
    let transport = transport(&config(&dns, mx.addr.port()));
    let cases = [
        (
            "null.example",
            Status::Failed,
            "5.1.10",
            "does not accept mail",
        ),
        ("missing.example", Status::Failed, "5.1.2", "not found"),
        ("broken.example", Status::Deferred, "4.4.3", "lookup"),
        (
            "noaddress.example",
            Status::Failed,
            "5.4.4",
            "ghost.noaddress.example",
        ),
    ];
    for (domain, status, code, reason) in cases {
        let address = format!("bob@{domain}");
        let letter = Letter::new(b"x\r\n", &[&address]);
        let outcomes = deliver_one(&transport, domain, letter.message()).await;
        assert_eq!(
            (outcomes[0].status, outcomes[0].code.as_str()),
            (status, code),
            "{domain}"
        );
        assert!(
            outcomes[0].diagnostic.contains(reason),
            "{domain}: {:?}",
            outcomes[0]
        );
        assert_eq!(outcomes[0].remote, None);
    }
    assert_eq!(mx.log().connections, 0);
}

#[tokio::test]
async fn size_limit_refuses_without_sending() {
    let mut script = Script::new("mx.example.net");
    script.max_size = 1000;
    let mx = FakeMx::local(script).await;
    let dns = TestDns::start(one_mx()).await;
    let transport = transport(&config(&dns, mx.addr.port()));
    let letter = Letter::new(&vec![b'a'; 5000], &["bob@example.net"]);

    let outcomes = deliver_one(&transport, "example.net", letter.message()).await;

    assert_eq!(statuses(&outcomes), [(Status::Failed, "5.3.4")]);
    assert!(
        outcomes[0].diagnostic.contains("size limit 1000"),
        "{:?}",
        outcomes[0]
    );
    assert_eq!(mx.log().mails, 0, "no MAIL was sent");
}

#[tokio::test]
async fn eight_bit_and_utf8_need_the_peer_extensions() {
    let mut script = Script::new("mx.example.net");
    script.extensions.eight_bit_mime = false;
    script.extensions.smtputf8 = false;
    script.extensions.binary_mime = false;
    let mx = FakeMx::local(script).await;
    let dns = TestDns::start(one_mx()).await;
    let transport = transport(&config(&dns, mx.addr.port()));
    let letter = Letter::new("Subject: café\r\n\r\n".as_bytes(), &["bob@example.net"]);

    let mut eight_bit = letter.message();
    eight_bit.eight_bit = true;
    let outcomes = deliver_one(&transport, "example.net", eight_bit).await;
    assert_eq!(statuses(&outcomes), [(Status::Failed, "5.6.3")]);
    assert!(outcomes[0].diagnostic.contains("8BITMIME"));

    let mut utf8 = letter.message();
    utf8.smtputf8 = true;
    let outcomes = deliver_one(&transport, "example.net", utf8).await;
    assert_eq!(statuses(&outcomes), [(Status::Failed, "5.6.7")]);
    assert!(outcomes[0].diagnostic.contains("SMTPUTF8"));
    assert_eq!(mx.log().mails, 0);
}

#[tokio::test]
async fn eight_bit_is_declared_when_offered() {
    let mx = FakeMx::local(Script::new("mx.example.net")).await;
    let dns = TestDns::start(one_mx()).await;
    let transport = transport(&config(&dns, mx.addr.port()));
    let letter = Letter::new(
        "Subject: café\r\n\r\nnaïve\r\n".as_bytes(),
        &["bob@example.net"],
    );
    let mut msg = letter.message();
    msg.eight_bit = true;
    msg.smtputf8 = true;

    let outcomes = deliver_one(&transport, "example.net", msg).await;

    assert_eq!(outcomes[0].status, Status::Delivered);
    let log = mx.log();
    let params = &log.messages[0].mail.params;
    assert_eq!(params.body, Some(Body::EightBitMime));
    assert!(params.smtputf8);
}

#[tokio::test]
async fn dsn_parameters_pass_only_when_offered() {
    let letter = Letter::new(b"x\r\n", &["bob@example.net"]);
    let recipients = [OutboundRecipient {
        address: "bob@example.net".to_owned(),
        notify: Some(Notify::On {
            success: true,
            failure: true,
            delay: false,
        }),
        orcpt: Some(("rfc822".to_owned(), "bob+orig@example.net".to_owned())),
    }];
    for dsn in [true, false] {
        let mut script = Script::new("mx.example.net");
        script.extensions.dsn = dsn;
        let mx = FakeMx::local(script).await;
        let dns = TestDns::start(one_mx()).await;
        let transport = transport(&config(&dns, mx.addr.port()));
        let mut msg = message(
            "Q2",
            "alice@client.test",
            &recipients,
            &letter.path,
            letter.size,
        );
        msg.envid = Some("ENV 1+2");
        msg.ret = Some(Ret::Headers);

        let outcomes = deliver_one(&transport, "example.net", msg).await;

        assert_eq!(
            outcomes[0].status,
            Status::Delivered,
            "dsn={dsn}: {outcomes:?}"
        );
        let log = mx.log();
        let (mail, rcpt) = (
            &log.messages[0].mail.params,
            &log.messages[0].rcpts[0].params,
        );
        if dsn {
            assert_eq!(mail.envid.as_deref(), Some("ENV 1+2"));
            assert_eq!(mail.ret, Some(Ret::Headers));
            assert_eq!(rcpt.notify, recipients[0].notify);
            let want = Orcpt {
                addr_type: "rfc822".into(),
                address: "bob+orig@example.net".into(),
            };
            assert_eq!(rcpt.orcpt.as_ref(), Some(&want));
        } else {
            assert_eq!((mail.envid.as_deref(), mail.ret), (None, None));
            assert_eq!((rcpt.notify, rcpt.orcpt.as_ref()), (None, None));
        }
    }
}

#[tokio::test]
async fn rejection_after_data_applies_to_every_accepted_recipient() {
    let mut script = Script::new("mx.example.net")
        .rcpt("nobody@example.net", reply(550, (5, 1, 1), "no such user"));
    script.data_reply = reply(554, (5, 7, 1), "message refused as spam");
    let mx = FakeMx::local(script).await;
    let dns = TestDns::start(one_mx()).await;
    let transport = transport(&config(&dns, mx.addr.port()));
    let letter = Letter::new(
        b"x\r\n",
        &["bob@example.net", "nobody@example.net", "carol@example.net"],
    );

    let outcomes = deliver_one(&transport, "example.net", letter.message()).await;

    assert_eq!(
        statuses(&outcomes),
        [
            (Status::Failed, "5.7.1"),
            (Status::Failed, "5.1.1"),
            (Status::Failed, "5.7.1")
        ]
    );
    assert_eq!(outcomes[0].diagnostic, "554 5.7.1 message refused as spam");
}

#[tokio::test]
async fn temporary_rejection_after_data_defers() {
    let mut script = Script::new("mx.example.net");
    script.data_reply = reply(451, (4, 3, 0), "try later");
    let mx = FakeMx::local(script).await;
    let dns = TestDns::start(one_mx()).await;
    let transport = transport(&config(&dns, mx.addr.port()));
    let letter = Letter::new(b"x\r\n", &["bob@example.net"]);

    let outcomes = deliver_one(&transport, "example.net", letter.message()).await;

    assert_eq!(statuses(&outcomes), [(Status::Deferred, "4.3.0")]);
}

#[tokio::test]
async fn one_connection_carries_several_messages() {
    let script = Script::new("mx.example.net")
        .rcpt("nobody@example.net", reply(550, (5, 1, 1), "no such user"));
    let mx = FakeMx::local(script).await;
    let dns = TestDns::start(one_mx()).await;
    let letters = [
        Letter::new(b"first\r\n", &["bob@example.net"]),
        // Every recipient refused: the client resets, the connection goes on.
        Letter::new(b"second\r\n", &["nobody@example.net"]),
        Letter::new(b"third\r\n", &["carol@example.net"]),
    ];
    let messages: Vec<_> = letters.iter().map(Letter::message).collect();

    let transport = transport(&config(&dns, mx.addr.port()));
    let results = deliver_all(&transport, "example.net", &messages).await;

    let flat: Vec<Status> = results.iter().flatten().map(|o| o.status).collect();
    assert_eq!(flat, [Status::Delivered, Status::Failed, Status::Delivered]);
    let log = mx.log();
    assert_eq!(log.connections, 1);
    assert_eq!(log.mails, 3);
    let bodies: Vec<&[u8]> = log.messages.iter().map(|m| m.body.as_slice()).collect();
    assert_eq!(bodies, [&b"first\r\n"[..], b"third\r\n"]);
}

#[tokio::test]
async fn the_per_connection_limit_opens_new_connections() {
    let mx = FakeMx::local(Script::new("mx.example.net")).await;
    let dns = TestDns::start(one_mx()).await;
    let mut config = config(&dns, mx.addr.port());
    config.max_messages_per_connection = 2;
    let letters: Vec<Letter> = (0..5)
        .map(|_| Letter::new(b"x\r\n", &["bob@example.net"]))
        .collect();
    let messages: Vec<_> = letters.iter().map(Letter::message).collect();

    let results = deliver_all(&transport(&config), "example.net", &messages).await;

    assert!(
        results
            .iter()
            .flatten()
            .all(|o| o.status == Status::Delivered)
    );
    let log = mx.log();
    assert_eq!((log.connections, log.messages.len()), (3, 5));
}

#[tokio::test]
async fn starttls_may_accepts_a_self_signed_certificate() {
    let (_, tls) = self_signed(&["mx.example.net"]);
    let mut script = Script::new("mx.example.net");
    script.tls = Some(tls);
    let mx = FakeMx::local(script).await;
    let dns = TestDns::start(one_mx()).await;
    let transport = transport(&config(&dns, mx.addr.port()));
    let letter = Letter::new(b"secret\r\n", &["bob@example.net"]);

    let outcomes = deliver_one(&transport, "example.net", letter.message()).await;

    assert_eq!(outcomes[0].status, Status::Delivered);
    let log = mx.log();
    assert_eq!(log.tls_sessions, 1);
    assert_eq!(log.ehlo.len(), 2, "EHLO again after STARTTLS");
    assert_eq!(log.messages[0].body, b"secret\r\n");
}

#[tokio::test]
async fn starttls_may_falls_back_to_plain_text_after_a_failed_handshake() {
    let (_, tls) = self_signed(&["mx.example.net"]);
    let mut script = Script::new("mx.example.net");
    script.tls = Some(tls);
    script.broken_tls = true;
    let mx = FakeMx::local(script).await;
    let dns = TestDns::start(one_mx()).await;
    let transport = transport(&config(&dns, mx.addr.port()));
    let letter = Letter::new(b"x\r\n", &["bob@example.net"]);

    let outcomes = deliver_one(&transport, "example.net", letter.message()).await;

    assert_eq!(outcomes[0].status, Status::Delivered, "{outcomes:?}");
    let log = mx.log();
    assert_eq!((log.connections, log.tls_sessions), (2, 0));
}

#[tokio::test]
async fn verify_refuses_a_self_signed_certificate() {
    let (_, tls) = self_signed(&["mx.example.net"]);
    let mut script = Script::new("mx.example.net");
    script.tls = Some(tls);
    let mx = FakeMx::local(script).await;
    let dns = TestDns::start(one_mx()).await;
    let mut config = config(&dns, mx.addr.port());
    config.tls = TlsPolicy::Verify;
    let letter = Letter::new(b"x\r\n", &["bob@example.net"]);

    let outcomes = deliver_one(&transport(&config), "example.net", letter.message()).await;

    assert_eq!(statuses(&outcomes), [(Status::Deferred, "4.7.5")]);
    assert!(outcomes[0].diagnostic.contains("TLS"), "{:?}", outcomes[0]);
    assert_eq!(mx.log().mails, 0);
}

#[tokio::test]
async fn verify_requires_starttls() {
    let mx = FakeMx::local(Script::new("mx.example.net")).await;
    let dns = TestDns::start(one_mx()).await;
    let mut config = config(&dns, mx.addr.port());
    config.tls = TlsPolicy::Verify;
    let letter = Letter::new(b"x\r\n", &["bob@example.net"]);

    let outcomes = deliver_one(&transport(&config), "example.net", letter.message()).await;

    assert_eq!(statuses(&outcomes), [(Status::Deferred, "4.7.4")]);
    assert_eq!(mx.log().mails, 0);
}

/// A smarthost `relay.test` with a certificate trusted through `ca_file`.
async fn smarthost_case(mechanisms: &[&str]) -> (FakeMx, Vec<Outcome>, TempDir) {
    let (pem, tls) = self_signed(&["relay.test"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, pem).expect("write CA");
    let mut script = Script::new("relay.test");
    script.tls = Some(tls);
    let mechanisms = mechanisms.iter().map(|m| (*m).to_owned()).collect();
    script.auth = Some((mechanisms, "me@client.test".into(), "s3cret".into()));
    let relay = FakeMx::local(script).await;
    let dns = TestDns::start(Zone::new().a("relay.test", LOCALHOST)).await;
    let mut config = config(&dns, 25);
    config.ca_file = Some(ca_file);
    config.smarthost = Some(Smarthost {
        host: "relay.test".into(),
        port: Some(relay.addr.port()),
        tls: SmarthostTls::Starttls,
        verify_certificate: true,
        username: Some("me@client.test".into()),
        password: Some(Password::new("s3cret")),
    });
    let letter = Letter::new(b"via relay\r\n", &["bob@example.net"]);
    // No DNS record for example.net: the smarthost replaces the MX lookup.
    let outcomes = deliver_one(&transport(&config), "example.net", letter.message()).await;
    (relay, outcomes, dir)
}

#[tokio::test]
async fn smarthost_with_auth_plain_over_verified_starttls() {
    let (relay, outcomes, _dir) = smarthost_case(&["PLAIN", "LOGIN"]).await;

    assert_eq!(outcomes[0].status, Status::Delivered, "{outcomes:?}");
    assert_eq!(
        outcomes[0].remote.as_deref(),
        Some("relay.test [127.0.0.1]")
    );
    let log = relay.log();
    assert_eq!(log.tls_sessions, 1);
    assert_eq!(log.authenticated, ["me@client.test"]);
    assert_eq!(log.messages[0].body, b"via relay\r\n");
}

#[tokio::test]
async fn smarthost_with_auth_login() {
    let (relay, outcomes, _dir) = smarthost_case(&["LOGIN"]).await;

    assert_eq!(outcomes[0].status, Status::Delivered, "{outcomes:?}");
    assert_eq!(relay.log().authenticated, ["me@client.test"]);
}

#[tokio::test]
async fn smarthost_auth_failure_defers() {
    let (pem, tls) = self_signed(&["relay.test"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, pem).expect("write CA");
    let mut script = Script::new("relay.test");
    script.tls = Some(tls);
    script.auth = Some((vec!["PLAIN".into()], "me".into(), "right".into()));
    let relay = FakeMx::local(script).await;
    let dns = TestDns::start(Zone::new().a("relay.test", LOCALHOST)).await;
    let mut config = config(&dns, 25);
    config.ca_file = Some(ca_file);
    config.smarthost = Some(Smarthost {
        host: "relay.test".into(),
        port: Some(relay.addr.port()),
        tls: SmarthostTls::Starttls,
        verify_certificate: true,
        username: Some("me".into()),
        password: Some(Password::new("wrong")),
    });
    let letter = Letter::new(b"x\r\n", &["bob@example.net"]);

    let outcomes = deliver_one(&transport(&config), "example.net", letter.message()).await;

    assert_eq!(outcomes[0].status, Status::Deferred);
    assert!(
        outcomes[0].diagnostic.contains("535 5.7.8"),
        "{:?}",
        outcomes[0]
    );
    assert_eq!(relay.log().mails, 0);
}

#[tokio::test]
async fn a_route_wins_over_the_smarthost_and_mx() {
    let mx = FakeMx::local(Script::new("routed.test")).await;
    let dns = TestDns::start(one_mx()).await;
    let mut config = config(&dns, closed_port().await);
    config.smarthost = Some(Smarthost {
        host: "127.0.0.1".into(),
        port: Some(closed_port().await),
        tls: SmarthostTls::None,
        verify_certificate: true,
        username: None,
        password: None,
    });
    config.routes.insert(
        "Example.NET".into(),
        Route {
            host: "127.0.0.1".into(),
            port: Some(mx.addr.port()),
            tls: Some(TlsPolicy::None),
        },
    );
    let letter = Letter::new(b"x\r\n", &["bob@example.net"]);

    let outcomes = deliver_one(&transport(&config), "example.net", letter.message()).await;

    assert_eq!(outcomes[0].status, Status::Delivered);
    assert_eq!(outcomes[0].remote.as_deref(), Some("127.0.0.1 [127.0.0.1]"));
}

#[tokio::test]
async fn mail_to_our_own_listener_fails_as_a_loop() {
    let mx = FakeMx::local(Script::new("mx.example.net")).await;
    let dns = TestDns::start(one_mx()).await;
    let config = config(&dns, mx.addr.port());
    let wildcard = SocketAddr::from(([0, 0, 0, 0], mx.addr.port()));
    let transport = SmtpTransport::new(&config, "client.test", &[wildcard]).expect("transport");
    let letter = Letter::new(b"x\r\n", &["bob@example.net"]);

    let outcomes = deliver_one(&transport, "example.net", letter.message()).await;

    assert_eq!(statuses(&outcomes), [(Status::Failed, "5.4.6")]);
    assert!(outcomes[0].diagnostic.contains("loops back to myself"));
    assert_eq!(mx.log().connections, 0);
}

#[tokio::test]
async fn a_peer_greeting_with_our_name_is_a_loop() {
    let mx = FakeMx::local(Script::new("client.test")).await;
    let dns = TestDns::start(one_mx()).await;
    let transport = transport(&config(&dns, mx.addr.port()));
    let letter = Letter::new(b"x\r\n", &["bob@example.net"]);

    let outcomes = deliver_one(&transport, "example.net", letter.message()).await;

    assert_eq!(statuses(&outcomes), [(Status::Failed, "5.4.6")]);
    assert_eq!(mx.log().mails, 0);
}

/// A peer that writes `greeting` and then waits for the client to leave.
async fn scripted_peer(greeting: &'static [u8]) -> (u16, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind((LOCALHOST, 0)).await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let task = tokio::spawn(async move {
        if let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream.write_all(greeting).await;
            let mut sink = Vec::new();
            let _ = tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut sink).await;
        }
    });
    (port, task)
}

/// A line-by-line peer: the greeting, then for each command the reply scripted for its
/// verb (the body after DATA is skipped up to the dot). Returns the port and the lines
/// it received.
async fn line_peer(
    greeting: &'static str,
    replies: &'static [(&'static str, &'static str)],
) -> (u16, tokio::task::JoinHandle<Vec<String>>) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let listener = TcpListener::bind((LOCALHOST, 0)).await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let task = tokio::spawn(async move {
        let mut seen = Vec::new();
        let Ok((stream, _)) = listener.accept().await else {
            return seen;
        };
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        let _ = write.write_all(greeting.as_bytes()).await;
        let mut in_body = false;
        while let Ok(Some(line)) = lines.next_line().await {
            if in_body {
                in_body = line != ".";
                if in_body {
                    continue;
                }
            }
            let verb = if line == "." {
                "."
            } else {
                line.split([' ', ':']).next().unwrap_or("")
            };
            seen.push(line.clone());
            let answer = replies.iter().find(|(v, _)| v.eq_ignore_ascii_case(verb));
            let answer = answer.map_or("502 5.5.1 unknown\r\n", |(_, a)| a);
            in_body = verb.eq_ignore_ascii_case("DATA");
            if write.write_all(answer.as_bytes()).await.is_err() || verb == "QUIT" {
                break;
            }
        }
        seen
    });
    (port, task)
}

const REFUSES_STARTTLS: &[(&str, &str)] = &[
    (
        "EHLO",
        "250-peer.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n",
    ),
    (
        "STARTTLS",
        "454 4.7.0 TLS not available due to local problem\r\n",
    ),
    ("MAIL", "250 2.1.0 Ok\r\n"),
    ("RCPT", "250 2.1.5 Ok\r\n"),
    ("DATA", "354 go ahead\r\n"),
    (".", "250 2.0.0 Ok: queued\r\n"),
    ("QUIT", "221 2.0.0 Bye\r\n"),
];

#[tokio::test]
async fn starttls_may_goes_on_in_plain_text_when_starttls_is_refused() {
    let (port, peer) = line_peer("220 peer.test ESMTP\r\n", REFUSES_STARTTLS).await;
    let dns = TestDns::start(one_mx()).await;
    let letter = Letter::new(b"x\r\n", &["bob@example.net"]);

    let outcomes = deliver_one(
        &transport(&config(&dns, port)),
        "example.net",
        letter.message(),
    )
    .await;

    assert_eq!(statuses(&outcomes), [(Status::Delivered, "2.0.0")]);
    let seen = peer.await.expect("peer");
    let verbs: Vec<&str> = seen
        .iter()
        .map(|l| l.split([' ', ':']).next().unwrap_or(""))
        .collect();
    assert_eq!(
        verbs,
        ["EHLO", "STARTTLS", "MAIL", "RCPT", "DATA", ".", "QUIT"]
    );
}

#[tokio::test]
async fn verify_defers_when_starttls_is_refused() {
    let (port, peer) = line_peer("220 peer.test ESMTP\r\n", REFUSES_STARTTLS).await;
    let dns = TestDns::start(one_mx()).await;
    let mut config = config(&dns, port);
    config.tls = TlsPolicy::Verify;
    let letter = Letter::new(b"x\r\n", &["bob@example.net"]);

    let outcomes = deliver_one(&transport(&config), "example.net", letter.message()).await;

    assert_eq!(statuses(&outcomes), [(Status::Deferred, "4.7.4")]);
    assert!(
        outcomes[0].diagnostic.contains("454 4.7.0"),
        "{:?}",
        outcomes[0]
    );
    let seen = peer.await.expect("peer");
    assert!(!seen.iter().any(|l| l.starts_with("MAIL")), "{seen:?}");
}

#[tokio::test]
async fn a_refused_greeting_defers_with_the_reply() {
    let (port, peer) = scripted_peer(b"421 4.3.2 too busy, come back later\r\n").await;
    let dns = TestDns::start(one_mx()).await;
    let transport = transport(&config(&dns, port));
    let letter = Letter::new(b"x\r\n", &["bob@example.net"]);

    let outcomes = deliver_one(&transport, "example.net", letter.message()).await;

    assert_eq!(statuses(&outcomes), [(Status::Deferred, "4.3.2")]);
    assert_eq!(
        outcomes[0].diagnostic,
        "421 4.3.2 too busy, come back later"
    );
    assert_eq!(
        outcomes[0].remote.as_deref(),
        Some("mx.example.net [127.0.0.1]")
    );
    peer.abort();
}

#[tokio::test]
async fn a_silent_peer_times_out() {
    let (port, peer) = scripted_peer(b"").await;
    let dns = TestDns::start(one_mx()).await;
    let mut config = config(&dns, port);
    config.timeouts.greeting = 1;
    let letter = Letter::new(b"x\r\n", &["bob@example.net"]);

    let outcomes = deliver_one(&transport(&config), "example.net", letter.message()).await;

    assert_eq!(statuses(&outcomes), [(Status::Deferred, "4.4.2")]);
    assert!(
        outcomes[0].diagnostic.contains("timed out"),
        "{:?}",
        outcomes[0]
    );
    peer.abort();
}

#[tokio::test]
async fn bad_addresses_and_missing_files_are_settled_locally() {
    let mx = FakeMx::local(Script::new("mx.example.net")).await;
    let dns = TestDns::start(one_mx()).await;
    let transport = transport(&config(&dns, mx.addr.port()));
    let letter = Letter::new(
        b"x\r\n",
        &["bob@example.net", "evil>@example.net", "no-at-sign"],
    );
    let missing = letter.path.with_file_name("gone");
    let recipients = [recipient("bob@example.net")];
    let bad_sender = message("Q3", "alice\r\nRSET@x", &recipients, &letter.path, 3);
    let no_file = message("Q4", "", &recipients, &missing, 3);

    let results = deliver_all(
        &transport,
        "example.net",
        &[letter.message(), bad_sender, no_file],
    )
    .await;

    assert_eq!(
        statuses(&results[0]),
        [
            (Status::Delivered, "2.0.0"),
            (Status::Failed, "5.1.3"),
            (Status::Failed, "5.1.3")
        ]
    );
    assert_eq!(statuses(&results[1]), [(Status::Failed, "5.1.7")]);
    assert_eq!(statuses(&results[2]), [(Status::Deferred, "4.3.0")]);
    let log = mx.log();
    assert_eq!(log.messages.len(), 1);
    assert_eq!(log.messages[0].rcpts.len(), 1);
}

#[test]
fn config_parses_with_defaults_and_hides_the_password() {
    let config: OutboundConfig = toml::from_str(
        r#"
        tls = "verify"
        nameservers = ["127.0.0.1:5353"]
        [smarthost]
        host = "smtp.example.org"
        tls = "implicit"
        username = "me"
        password = "hunter2"
        [routes]
        "example.net" = { host = "10.0.0.5", port = 2525 }
        "#,
    )
    .expect("valid config");
    assert_eq!(config.port, 25);
    assert_eq!(config.tls, TlsPolicy::Verify);
    assert_eq!(config.max_messages_per_connection, 100);
    assert_eq!(
        (config.timeouts.connect, config.timeouts.data_done),
        (30, 600)
    );
    let relay = config.smarthost.as_ref().expect("smarthost");
    assert_eq!(relay.port(), 465);
    assert!(relay.verify_certificate);
    let debug = format!("{config:?}");
    assert!(
        debug.contains("***") && !debug.contains("hunter2"),
        "{debug}"
    );
    assert!(config.problems().is_empty(), "{:?}", config.problems());
    assert_eq!(OutboundConfig::default().tls, TlsPolicy::May);
}

#[test]
fn config_refuses_unknown_keys_and_inconsistent_values() {
    assert!(toml::from_str::<OutboundConfig>("prot = 25").is_err());
    assert!(toml::from_str::<OutboundConfig>("tls = \"sometimes\"").is_err());
    let config: OutboundConfig = toml::from_str(
        r#"
        max_messages_per_connection = 0
        [smarthost]
        host = "relay"
        tls = "none"
        username = "me"
        password = "pw"
        "#,
    )
    .expect("parses");
    let problems = config.problems();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("only sent over TLS")));
    let err = SmtpTransport::new(&config, "host.test", &[]).expect_err("invalid");
    assert!(matches!(err, OutboundError::Invalid(_)));
}

#[test]
fn a_missing_ca_file_is_reported() {
    let config = OutboundConfig {
        ca_file: Some("/nonexistent/ca.pem".into()),
        nameservers: vec![SocketAddr::from((LOCALHOST, 53))],
        ..OutboundConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _guard = runtime.enter();
    let err = SmtpTransport::new(&config, "host.test", &[]).expect_err("no CA file");
    assert!(matches!(err, OutboundError::CaFile { .. }), "{err}");
}
