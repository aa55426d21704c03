//! The spam check against a scripted milter and a scripted HTTP server on 127.0.0.1.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use milter_proto::codec::{DecodeError, decode_command, encode_response};
use milter_proto::types::{Command, NegotiationReply, Response};
use milter_proto::{Actions, ProtocolFlags, Reply as MilterReply, Text};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;
use crate::delivery::SpoolWriter;
use crate::filter::testing::{Logs, envelope, spool};

const MESSAGE: &str = "Received: from client.origin.test\r\n\tby mx\r\n\
    From: Sender <sender@origin.test>\r\nTo: rcpt@dest.test\r\nSubject: lunch\r\n\
    X-Spam: No\r\nX-Spam-Score: -100\r\n\r\nShall we meet at noon?\r\n";

/// What the fake milter answers at the end of the message.
#[derive(Clone)]
enum AtEnd {
    Respond(Vec<Response<'static>>),
    /// Never answer (a slow rspamd).
    Hang,
}

/// A milter on 127.0.0.1 answering one connection from a script.
struct FakeMilter {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Command<'static>>>>,
}

impl FakeMilter {
    /// `replies`: answer every stage (no `SMFIP_NR_*`), with SKIP for the first body
    /// chunk when `skip` is set.
    async fn start(at_end: AtEnd, replies: bool, skip: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        tokio::spawn(async move {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            serve_milter(stream, &log, &at_end, replies, skip).await;
        });
        Self { addr, received }
    }

    fn commands(&self) -> Vec<Command<'static>> {
        self.received.lock().unwrap().clone()
    }

    fn codes(&self) -> String {
        self.commands()
            .iter()
            .map(|c| char::from(c.code()))
            .collect()
    }
}

async fn serve_milter(
    mut stream: TcpStream,
    log: &Mutex<Vec<Command<'static>>>,
    at_end: &AtEnd,
    replies: bool,
    skip: bool,
) {
    let mut input = BytesMut::new();
    let mut buffer = vec![0u8; 8192];
    let mut skipped = false;
    loop {
        let decoded = match decode_command(&input, 1 << 20) {
            Ok((consumed, command)) => Some((consumed, command.into_owned())),
            Err(DecodeError::Incomplete { .. }) => None,
            Err(_) => return,
        };
        let Some((consumed, command)) = decoded else {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => input.extend_from_slice(&buffer[..n]),
            }
            continue;
        };
        let _ = input.split_to(consumed);
        let responses = match &command {
            Command::OptionNegotiation(_) => vec![Response::OptionNegotiation(NegotiationReply {
                version: 6,
                actions: Actions::ADD_HEADERS | Actions::CHANGE_HEADERS | Actions::QUARANTINE,
                protocol: if replies {
                    ProtocolFlags::SKIP
                } else {
                    ProtocolFlags::NO_REPLIES
                },
                macro_requests: vec![],
            })],
            Command::Macro { .. } | Command::Abort => vec![],
            Command::Body(_) if skip && !skipped => {
                skipped = true;
                vec![Response::Skip]
            }
            Command::EndOfMessage(_) => match at_end {
                AtEnd::Respond(responses) => responses.clone(),
                AtEnd::Hang => {
                    log.lock().unwrap().push(command);
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    return;
                }
            },
            Command::Quit => {
                log.lock().unwrap().push(command);
                return;
            }
            _ if replies => vec![Response::Continue],
            _ => vec![],
        };
        log.lock().unwrap().push(command);
        let mut out = BytesMut::new();
        for response in &responses {
            encode_response(response, &mut out).unwrap();
        }
        if stream.write_all(&out).await.is_err() {
            return;
        }
    }
}

fn text(s: &str) -> Text<'static> {
    Text::try_from(s.to_owned()).unwrap()
}

fn milter_config(addr: SocketAddr) -> SpamConfig {
    SpamConfig {
        enabled: true,
        backend: SpamBackend::Milter,
        address: Some(addr.to_string()),
        timeout: Duration::from_secs(10),
        ..SpamConfig::default()
    }
}

async fn run(config: SpamConfig, message: &[u8]) -> (SpamDecision, tempfile::TempDir, Spooled) {
    let dir = tempfile::tempdir().unwrap();
    let body = spool(dir.path(), message).await;
    let check = SpamCheck::new(config, "mx.dest.test");
    let decision = check.check(&envelope(&["rcpt@dest.test"]), &body).await;
    (decision, dir, body)
}

/// The message after the accepted decision's changes.
async fn delivered(decision: &SpamDecision, dir: &tempfile::TempDir, body: &Spooled) -> String {
    let SpamDecision::Accept(accepted) = decision else {
        panic!("not accepted: {decision:?}");
    };
    let path = dir.path().to_owned();
    let out = accepted
        .apply(body, || SpoolWriter::create(&path))
        .await
        .unwrap();
    let mut text = String::new();
    out.reader(Vec::new()).read_to_string(&mut text).unwrap();
    text
}

fn accepted(decision: &SpamDecision) -> &Accepted {
    match decision {
        SpamDecision::Accept(accepted) => accepted,
        other => panic!("not accepted: {other:?}"),
    }
}

#[tokio::test]
async fn milter_sees_the_whole_transaction_and_accepts() {
    let milter = FakeMilter::start(AtEnd::Respond(vec![Response::Accept]), false, false).await;
    let mut message = MESSAGE.as_bytes().to_vec();
    // Three spool chunks of body.
    message.extend(std::iter::repeat_n(b'z', 150_000));
    let (decision, dir, body) = run(milter_config(milter.addr), &message).await;
    let accepted = accepted(&decision);
    assert!(accepted.checked);
    assert!(accepted.changes.is_empty(), "{accepted:?}");
    assert_eq!(accepted.score, None);
    assert_eq!(delivered(&decision, &dir, &body).await.len(), message.len());

    let commands = milter.commands();
    let codes = milter.codes();
    assert!(codes.starts_with("ODCHDMDRDTLLLLLLDN"), "{codes}");
    // The last body chunk is 64 KiB + 1 byte: two packets.
    assert!(codes.ends_with("NBBBBDE"), "{codes}");
    let headers: Vec<(String, String)> = commands
        .iter()
        .filter_map(|c| match c {
            Command::Header { name, value } => {
                Some((name.to_string(), value.to_str_lossy().into_owned()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(headers.len(), 6);
    assert_eq!(
        headers[0],
        ("Received".into(), "from client.origin.test\n\tby mx".into())
    );
    let body_bytes: usize = commands
        .iter()
        .map(|c| match c {
            Command::Body(b) => b.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(body_bytes, "Shall we meet at noon?\r\n".len() + 150_000);
    let rcpt = commands.iter().find_map(|c| match c {
        Command::Rcpt(e) => Some(e.address.to_string()),
        _ => None,
    });
    assert_eq!(rcpt.as_deref(), Some("<rcpt@dest.test>"));
    let queue_ids: Vec<String> = commands
        .iter()
        .filter_map(|c| match c {
            Command::Macro { macros, .. } => macros
                .iter()
                .find(|m| m.name.as_bytes() == b"i")
                .map(|m| m.value.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(queue_ids, ["S42", "S42", "S42"]);
}

#[tokio::test]
async fn milter_answering_every_stage_and_skipping_the_body() {
    let milter = FakeMilter::start(AtEnd::Respond(vec![Response::Continue]), true, true).await;
    let mut message = MESSAGE.as_bytes().to_vec();
    message.extend(std::iter::repeat_n(b'z', 150_000));
    let (decision, ..) = run(milter_config(milter.addr), &message).await;
    assert!(accepted(&decision).checked);
    // One body chunk, answered SKIP: the rest of the body is not sent.
    assert!(milter.codes().ends_with("NBDE"), "{}", milter.codes());
}

#[tokio::test]
async fn milter_reject_and_soft_reject_and_discard() {
    let gtube = MilterReply::parse(b"554 5.7.1 Gtube pattern").unwrap();
    let milter = FakeMilter::start(
        AtEnd::Respond(vec![Response::ReplyCode(gtube)]),
        false,
        false,
    )
    .await;
    let (decision, ..) = run(milter_config(milter.addr), MESSAGE.as_bytes()).await;
    let SpamDecision::Reject(reply) = &decision else {
        panic!("{decision:?}")
    };
    assert_eq!(
        (reply.code, reply.enhanced, reply.text()),
        (
            554,
            Some(EnhancedCode::new(5, 7, 1)),
            "Gtube pattern".to_owned()
        )
    );

    let soft = MilterReply::parse(b"451 4.7.1 Try again later").unwrap();
    let milter = FakeMilter::start(
        AtEnd::Respond(vec![Response::ReplyCode(soft)]),
        false,
        false,
    )
    .await;
    let (decision, ..) = run(milter_config(milter.addr), MESSAGE.as_bytes()).await;
    let SpamDecision::TempFail(reply) = &decision else {
        panic!("{decision:?}")
    };
    assert_eq!(
        (reply.code, reply.text()),
        (451, "Try again later".to_owned())
    );

    // TEMPFAIL without a reply: Postfix's default text.
    let milter = FakeMilter::start(AtEnd::Respond(vec![Response::TempFail]), false, false).await;
    let (decision, ..) = run(milter_config(milter.addr), MESSAGE.as_bytes()).await;
    assert_eq!(decision.reply().map(|r| r.code), Some(451));

    let milter = FakeMilter::start(AtEnd::Respond(vec![Response::Discard]), false, false).await;
    let (decision, ..) = run(milter_config(milter.addr), MESSAGE.as_bytes()).await;
    assert_eq!(decision, SpamDecision::Discard);
}

#[tokio::test]
async fn milter_add_header_replaces_forged_spam_headers() {
    // What rspamd's proxy sends for "add header", plus its extended headers.
    let responses = vec![
        Response::ChangeHeader {
            index: 1,
            name: text("X-Spam"),
            value: Text::empty(),
        },
        Response::AddHeader {
            name: text("X-Spam"),
            value: text("Yes"),
        },
        Response::AddHeader {
            name: text("X-Spamd-Result"),
            value: text("default: False [7.50 / 15.00];\n\tGTUBE(0.00)[]"),
        },
        Response::Accept,
    ];
    let milter = FakeMilter::start(AtEnd::Respond(responses), false, false).await;
    let (decision, dir, body) = run(milter_config(milter.addr), MESSAGE.as_bytes()).await;
    assert_eq!(accepted(&decision).score, Some(7.5));
    let text = delivered(&decision, &dir, &body).await;
    let (head, rest) = text.split_once("\r\n\r\n").unwrap();
    assert_eq!(rest, "Shall we meet at noon?\r\n");
    assert!(!head.contains("X-Spam: No"), "{head}");
    assert!(!head.contains("-100"), "{head}");
    assert!(
        head.ends_with(
            "Subject: lunch\r\nX-Spam: Yes\r\nX-Spamd-Result: default: False [7.50 / 15.00];\r\n\
             \tGTUBE(0.00)[]\r\nX-Spam-Score: 7.50"
        ),
        "{head}"
    );
}

#[tokio::test]
async fn milter_subject_rewrite_and_quarantine() {
    let responses = vec![
        Response::ChangeHeader {
            index: 1,
            name: text("Subject"),
            value: text("*** SPAM *** lunch"),
        },
        Response::Quarantine(text("rspamd")),
        Response::Accept,
    ];
    let milter = FakeMilter::start(AtEnd::Respond(responses), false, false).await;
    let (decision, dir, body) = run(milter_config(milter.addr), MESSAGE.as_bytes()).await;
    let text = delivered(&decision, &dir, &body).await;
    assert!(
        text.contains("\r\nSubject: *** SPAM *** lunch\r\n"),
        "{text}"
    );
    assert!(!text.contains("Subject: lunch"), "{text}");
    assert!(text.contains("\r\nX-Spam: Yes\r\n"), "{text}");
}

#[tokio::test]
async fn milter_shutdown_counts_as_unavailable() {
    let milter = FakeMilter::start(AtEnd::Respond(vec![Response::Shutdown]), false, false).await;
    let config = SpamConfig {
        fail_open: false,
        ..milter_config(milter.addr)
    };
    let (decision, ..) = run(config, MESSAGE.as_bytes()).await;
    let reply = decision.reply().unwrap();
    assert_eq!(
        (reply.code, reply.enhanced),
        (451, Some(EnhancedCode::new(4, 7, 1)))
    );
}

#[tokio::test]
async fn slow_milter_fails_open_with_a_log_line_or_closed_with_451() {
    let milter = FakeMilter::start(AtEnd::Hang, false, false).await;
    let config = SpamConfig {
        timeout: Duration::from_millis(300),
        ..milter_config(milter.addr)
    };
    let logs = Logs::capture();
    let (decision, dir, body) = run(config.clone(), MESSAGE.as_bytes()).await;
    assert!(!accepted(&decision).checked);
    assert_eq!(delivered(&decision, &dir, &body).await, MESSAGE);
    let log = logs.text();
    assert!(log.contains("WARN"), "{log}");
    assert!(log.contains("no verdict within 300ms"), "{log}");
    assert!(
        log.contains("accepting the message unchecked (fail_open)"),
        "{log}"
    );
    assert!(milter.codes().ends_with('E'), "{}", milter.codes());

    let milter = FakeMilter::start(AtEnd::Hang, false, false).await;
    let closed = SpamConfig {
        fail_open: false,
        address: Some(milter.addr.to_string()),
        ..config
    };
    let (decision, ..) = run(closed, MESSAGE.as_bytes()).await;
    let SpamDecision::TempFail(reply) = decision else {
        panic!("{decision:?}")
    };
    assert_eq!(
        reply,
        Reply::new(
            451,
            Some(EnhancedCode::new(4, 7, 1)),
            "Spam check unavailable, try again later"
        )
    );
}

/// An address where nothing listens.
async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

#[tokio::test]
async fn connection_refused_fails_open_or_closed() {
    for backend in [SpamBackend::Milter, SpamBackend::Http] {
        let addr = closed_port().await;
        let open = SpamConfig {
            backend,
            ..milter_config(addr)
        };
        let logs = Logs::capture();
        let (decision, ..) = run(open.clone(), MESSAGE.as_bytes()).await;
        assert!(!accepted(&decision).checked);
        assert!(logs.text().contains("cannot connect"), "{}", logs.text());
        let closed = SpamConfig {
            fail_open: false,
            ..open
        };
        let (decision, ..) = run(closed, MESSAGE.as_bytes()).await;
        assert_eq!(decision.reply().map(|r| r.code), Some(451), "{backend:?}");
    }
}

#[tokio::test]
async fn disabled_or_authenticated_mail_is_not_checked() {
    let dir = tempfile::tempdir().unwrap();
    let body = spool(dir.path(), MESSAGE.as_bytes()).await;
    // Nothing listens: a check would fail (closed) with 451.
    let addr = closed_port().await;
    let config = SpamConfig {
        fail_open: false,
        ..milter_config(addr)
    };
    let mut submitted = envelope(&["rcpt@dest.test"]);
    submitted.authenticated = Some("alice@dest.test".into());
    let check = SpamCheck::new(config.clone(), "mx.dest.test");
    assert!(!check.applies_to(&submitted));
    assert_eq!(
        check.check(&submitted, &body).await,
        SpamDecision::Accept(Accepted::unchecked())
    );
    let disabled = SpamCheck::new(
        SpamConfig {
            enabled: false,
            ..config.clone()
        },
        "mx",
    );
    assert!(!disabled.applies_to(&envelope(&["rcpt@dest.test"])));
    let submission = SpamCheck::new(
        SpamConfig {
            check_submission: true,
            ..config
        },
        "mx",
    );
    assert!(submission.applies_to(&submitted));
    assert_eq!(
        submission
            .check(&submitted, &body)
            .await
            .reply()
            .map(|r| r.code),
        Some(451)
    );
}

/// What the fake HTTP server answers.
#[derive(Clone)]
enum HttpAnswer {
    Json(u16, String),
    Hang,
}

/// A request as received: head and body.
type Request = (String, Vec<u8>);

/// An rspamd normal worker on 127.0.0.1 answering one request.
struct FakeRspamd {
    addr: SocketAddr,
    request: Arc<Mutex<Option<Request>>>,
}

impl FakeRspamd {
    async fn start(answer: HttpAnswer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let request = Arc::new(Mutex::new(None));
        let seen = Arc::clone(&request);
        tokio::spawn(async move {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let Some((head, body)) = read_request(&mut stream).await else {
                return;
            };
            *seen.lock().unwrap() = Some((head, body));
            match answer {
                HttpAnswer::Json(status, json) => {
                    let response = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\n\r\n{json}",
                        json.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                }
                HttpAnswer::Hang => tokio::time::sleep(Duration::from_secs(30)).await,
            }
        });
        Self { addr, request }
    }

    fn request(&self) -> Request {
        self.request.lock().unwrap().clone().expect("a request")
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut data = Vec::new();
    let mut buffer = vec![0u8; 8192];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8(data[..end].to_vec()).ok()?;
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))?
                .parse()
                .ok()?;
            while data.len() < end + 4 + length {
                let n = stream.read(&mut buffer).await.ok()?;
                if n == 0 {
                    return None;
                }
                data.extend_from_slice(&buffer[..n]);
            }
            return Some((head, data[end + 4..].to_vec()));
        }
        let n = stream.read(&mut buffer).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buffer[..n]);
    }
}

fn http_config(addr: SocketAddr) -> SpamConfig {
    SpamConfig {
        backend: SpamBackend::Http,
        ..milter_config(addr)
    }
}

async fn http_run(json: &str) -> (SpamDecision, tempfile::TempDir, Spooled, FakeRspamd) {
    let rspamd = FakeRspamd::start(HttpAnswer::Json(200, json.to_owned())).await;
    let (decision, dir, body) = run(http_config(rspamd.addr), MESSAGE.as_bytes()).await;
    (decision, dir, body, rspamd)
}

#[tokio::test]
async fn http_sends_the_envelope_and_the_message() {
    let mut submitted = envelope(&["rcpt@dest.test", "other@dest.test"]);
    submitted.authenticated = Some("alice@dest.test".into());
    let rspamd = FakeRspamd::start(HttpAnswer::Json(
        200,
        r#"{"action":"no action","score":1.2,"required_score":15}"#.into(),
    ))
    .await;
    let config = SpamConfig {
        check_submission: true,
        ..http_config(rspamd.addr)
    };
    let dir = tempfile::tempdir().unwrap();
    let mut message = MESSAGE.as_bytes().to_vec();
    message.extend(std::iter::repeat_n(b'q', 100_000));
    let body = spool(dir.path(), &message).await;
    let decision = SpamCheck::new(config, "mx.dest.test")
        .check(&submitted, &body)
        .await;
    let accepted = accepted(&decision);
    assert_eq!(accepted.score, Some(1.2));
    assert_eq!(
        accepted.changes.value_of("X-Spam-Score").as_deref(),
        Some("1.20")
    );
    assert_eq!(accepted.changes.value_of("X-Spam"), None);
    let (head, sent) = rspamd.request();
    assert!(head.starts_with("POST /checkv2 HTTP/1.1\r\n"), "{head}");
    for line in [
        "From: sender@origin.test",
        "IP: 192.0.2.7",
        "Helo: client.origin.test",
        "User: alice@dest.test",
        "Queue-Id: S42",
        "Rcpt: rcpt@dest.test",
        "Rcpt: other@dest.test",
        "MTA-Name: mx.dest.test",
    ] {
        assert!(
            head.contains(&format!("\r\n{line}\r\n")),
            "{line} in {head}"
        );
    }
    assert_eq!(sent, message);
}

#[tokio::test]
async fn http_actions() {
    let (decision, dir, body, _) =
        http_run(r#"{"action":"add header","score":7.5,"required_score":15}"#).await;
    let text = delivered(&decision, &dir, &body).await;
    assert!(text.contains("\r\nX-Spam: Yes\r\n"), "{text}");
    assert!(text.contains("\r\nX-Spam-Score: 7.50\r\n"), "{text}");
    assert!(
        !text.contains("X-Spam: No") && !text.contains("-100"),
        "{text}"
    );

    let (decision, dir, body, _) = http_run(
        r#"{"action":"rewrite subject","score":9,"required_score":15,"subject":"[SPAM] lunch"}"#,
    )
    .await;
    let text = delivered(&decision, &dir, &body).await;
    assert!(text.contains("\r\nSubject: [SPAM] lunch\r\n"), "{text}");

    let (decision, ..) = http_run(
        r#"{"action":"reject","score":15,"required_score":15,"messages":{"smtp_message":"Gtube pattern"}}"#,
    )
    .await;
    let SpamDecision::Reject(reply) = &decision else {
        panic!("{decision:?}")
    };
    assert_eq!(
        (reply.code, reply.text()),
        (554, "Gtube pattern".to_owned())
    );

    for action in ["soft reject", "greylist"] {
        let json = format!(r#"{{"action":"{action}","score":6,"required_score":15}}"#);
        let (decision, ..) = http_run(&json).await;
        let SpamDecision::TempFail(reply) = &decision else {
            panic!("{action}: {decision:?}")
        };
        assert_eq!(
            (reply.code, reply.text()),
            (451, "Try again later".to_owned())
        );
    }
}

#[tokio::test]
async fn http_errors_and_timeouts_follow_the_failure_policy() {
    let rspamd = FakeRspamd::start(HttpAnswer::Json(500, r#"{"error":"boom"}"#.into())).await;
    let logs = Logs::capture();
    let (decision, ..) = run(http_config(rspamd.addr), MESSAGE.as_bytes()).await;
    assert!(!accepted(&decision).checked);
    assert!(
        logs.text().contains("rspamd answered HTTP 500: boom"),
        "{}",
        logs.text()
    );

    let rspamd = FakeRspamd::start(HttpAnswer::Hang).await;
    let config = SpamConfig {
        timeout: Duration::from_millis(300),
        fail_open: false,
        ..http_config(rspamd.addr)
    };
    let (decision, ..) = run(config, MESSAGE.as_bytes()).await;
    assert_eq!(decision.reply().map(|r| r.code), Some(451));

    let (decision, ..) = http_run("not json").await;
    assert!(!accepted(&decision).checked);
}

#[test]
fn scores_from_rspamd_headers() {
    let score = |name: &str, value: &str| {
        let mut changes = HeaderChanges::default();
        changes.replace(name, value);
        score_from_headers(&changes)
    };
    assert_eq!(
        score("X-Spamd-Result", "default: True [16.20 / 15.00]; A(1)"),
        Some(16.2)
    );
    assert_eq!(score("X-Rspamd-Score", " -0.5"), Some(-0.5));
    assert_eq!(score("X-Spam-Status", "Yes, score=6.00"), Some(6.0));
    assert_eq!(score("X-Spamd-Result", "garbage"), None);
    assert_eq!(score("X-Other", "1.0"), None);
    assert_eq!(score("X-Rspamd-Score", "NaN"), None);
}
