//! Interop with Debian's rspamd (`apt-get install rspamd`): the test starts its own
//! rspamd on 127.0.0.1 with a throwaway configuration (a proxy worker in milter mode that
//! scans by itself, a normal worker for HTTP, a controller; no redis, DNS pointed at a
//! closed local port), drives the Sans-IO milter client over tokio, sends one /checkv2
//! request over HTTP/1.1, and stops rspamd at the end.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use milter_proto::client::{Client, Config, Event, Output};
use milter_proto::rspamd::{
    CheckRequest, ReadStatus, ResponseReader, SpamAction, VerdictOptions, check_reply,
};
use milter_proto::types::{Address, Disposition, Macros, Modification, ProtocolFlags, Verdict};
use testkit::rspamd::Rspamd;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

/// Every network wait is bounded by this.
const WAIT: Duration = Duration::from_secs(60);

/// Writes the client's output and reads the milter until the client is ready again (or
/// closed); returns the events meanwhile.
async fn step(stream: &mut TcpStream, client: &mut Client) -> Vec<Event> {
    let mut events = Vec::new();
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        loop {
            match client.poll_output() {
                Output::Transmit(bytes) => tokio::time::timeout(WAIT, stream.write_all(&bytes))
                    .await
                    .unwrap()
                    .unwrap(),
                Output::Event(event) => events.push(event),
                Output::NeedInput => break,
            }
        }
        if client.is_ready() || client.is_closed() {
            return events;
        }
        let wait = client.poll_timeout().map_or(WAIT, |deadline| {
            deadline.saturating_duration_since(Instant::now())
        });
        match tokio::time::timeout(wait, stream.read(&mut buffer)).await {
            Ok(Ok(0)) => panic!("rspamd closed the milter connection; events: {events:?}"),
            Ok(Ok(n)) => client.handle_input(&buffer[..n]),
            Ok(Err(error)) => panic!("read error: {error}"),
            Err(_) => client.handle_timeout(Instant::now()),
        }
    }
}

/// The header fields of a message, unfolded into (name, raw value after the colon).
fn headers(message: &str) -> (Vec<(String, String)>, String) {
    let (head, body) = message.split_once("\r\n\r\n").unwrap();
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            let last = fields.last_mut().unwrap();
            last.1.push_str("\r\n");
            last.1.push_str(line);
        } else {
            let (name, value) = line.split_once(':').unwrap();
            fields.push((name.to_owned(), value.to_owned()));
        }
    }
    (fields, body.to_owned())
}

/// One SMTP session's worth of milter conversation for `message`; returns the verdict.
async fn scan_via_milter(addr: SocketAddr, message: &str, queue_id: &str) -> Verdict {
    let mut stream = tokio::time::timeout(WAIT, TcpStream::connect(addr))
        .await
        .unwrap()
        .unwrap();
    let mut client = Client::new(Config::default(), Instant::now());
    let events = step(&mut stream, &mut client).await;
    let Some(Event::Negotiated(negotiated)) = events.first() else {
        panic!("{events:?}")
    };
    assert_eq!(negotiated.version, 6);
    assert!(
        negotiated
            .protocol
            .contains(ProtocolFlags::NR_HEADER | ProtocolFlags::NR_BODY)
    );

    let connect = Macros::new()
        .with("j", "mx.example.org")
        .unwrap()
        .with("daemon_name", "postroom")
        .unwrap();
    let address = Address::Inet {
        ip: "127.0.0.1".parse().unwrap(),
        port: 40_000,
    };
    client.connect("localhost", address, &connect).unwrap();
    step(&mut stream, &mut client).await;
    client.helo("client.example.org", &Macros::new()).unwrap();
    step(&mut stream, &mut client).await;
    client
        .mail("<sender@example.org>", &[], &Macros::new())
        .unwrap();
    step(&mut stream, &mut client).await;
    client
        .rcpt("<rcpt@example.net>", &[], &Macros::new())
        .unwrap();
    step(&mut stream, &mut client).await;
    let queue = Macros::new().with("i", queue_id).unwrap();
    client.data(&queue).unwrap();
    step(&mut stream, &mut client).await;
    let (fields, body) = headers(message);
    for (name, value) in &fields {
        client.header(name, value.as_bytes()).unwrap();
        step(&mut stream, &mut client).await;
    }
    client.end_of_headers(&queue).unwrap();
    step(&mut stream, &mut client).await;
    client.body(body.as_bytes()).unwrap();
    step(&mut stream, &mut client).await;
    client.end_of_message(&queue).unwrap();
    let events = step(&mut stream, &mut client).await;
    let verdict = events
        .iter()
        .find_map(|e| match e {
            Event::Verdict(verdict) => Some(verdict.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no verdict: {events:?}"));
    client.quit().unwrap();
    step(&mut stream, &mut client).await;
    verdict
}

/// One /checkv2 request over HTTP/1.1.
async fn scan_via_http(addr: SocketAddr, message: &str) -> milter_proto::rspamd::CheckReply {
    let mut stream = tokio::time::timeout(WAIT, TcpStream::connect(addr))
        .await
        .unwrap()
        .unwrap();
    let mut request = CheckRequest::new();
    request.from = Some("sender@example.org".into());
    request.recipients = vec!["rcpt@example.net".into()];
    request.ip = Some("127.0.0.1".parse().unwrap());
    request.helo = Some("client.example.org".into());
    request.queue_id = Some("HTTP1".into());
    let mut wire = BytesMut::new();
    request
        .encode_head(&addr.to_string(), message.len(), &mut wire)
        .unwrap();
    wire.extend_from_slice(message.as_bytes());
    tokio::time::timeout(WAIT, stream.write_all(&wire))
        .await
        .unwrap()
        .unwrap();
    let mut reader = ResponseReader::new(1 << 20);
    let mut buffer = vec![0u8; 8192];
    let response = loop {
        let n = tokio::time::timeout(WAIT, stream.read(&mut buffer))
            .await
            .unwrap()
            .unwrap();
        if n == 0 {
            break reader.handle_eof().unwrap();
        }
        if let ReadStatus::Complete(response) = reader.handle_input(&buffer[..n]).unwrap() {
            break response;
        }
    };
    check_reply(&response).unwrap()
}

fn message(body: &str) -> String {
    format!(
        "From: Sender <sender@example.org>\r\n\
         To: rcpt@example.net\r\n\
         Subject: lunch\r\n\
         \tplans\r\n\
         Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n\
         Message-ID: <{}@example.org>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\
         \r\n\
         {body}\r\n",
        body.len()
    )
}

#[tokio::test]
#[ignore = "interop: rspamd"]
async fn rspamd_rejects_gtube_and_accepts_a_normal_message() {
    let rspamd = Rspamd::start();
    let gtube = message(&format!("Hello,\r\n\r\n{GTUBE}\r\n"));
    let normal = message("Shall we meet at noon at the usual place?\r\nAlice");

    let verdict = scan_via_milter(rspamd.milter, &gtube, "GTUBE1").await;
    let Disposition::Reject(reply) = &verdict.disposition else {
        panic!("GTUBE not rejected: {verdict:?}\n{}", rspamd.log_tail());
    };
    assert_eq!(
        (reply.code(), reply.enhanced().map(|e| e.to_string())),
        (554, Some("5.7.1".into()))
    );
    assert!(reply.lines()[0].contains("Gtube"), "{reply:?}");

    let verdict = scan_via_milter(rspamd.milter, &normal, "HAM1").await;
    assert_eq!(
        verdict.disposition,
        Disposition::Accept,
        "{verdict:?}\n{}",
        rspamd.log_tail()
    );
    // At most header changes (such as X-Spam for "add header").
    assert!(
        verdict.modifications.iter().all(|m| matches!(
            m,
            Modification::AddHeader { .. }
                | Modification::InsertHeader { .. }
                | Modification::ChangeHeader { .. }
                | Modification::RemoveHeader { .. }
        )),
        "{verdict:?}"
    );

    let reply = scan_via_http(rspamd.normal, &gtube).await;
    assert_eq!(reply.action, SpamAction::Reject, "{reply:?}");
    assert_eq!(reply.smtp_message.as_deref(), Some("Gtube pattern"));
    let verdict = reply.to_verdict(&VerdictOptions::default());
    assert_eq!(
        verdict.reply().unwrap().to_smtp(),
        "554 5.7.1 Gtube pattern\r\n"
    );

    let reply = scan_via_http(rspamd.normal, &normal).await;
    assert!(
        matches!(reply.action, SpamAction::NoAction | SpamAction::AddHeader),
        "{reply:?}"
    );
    assert!(reply.to_verdict(&VerdictOptions::default()).is_accept());
    drop(rspamd);
}
