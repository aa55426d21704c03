//! LMTP sessions: the RFC 2033 example, per-recipient replies, the client's per-recipient
//! results, a client <-> server pair in memory, and replay at every split point.

use std::time::Instant;

use lmtp_proto::types::{Address, EnhancedCode, MailFrom, RcptParams, RcptTo, Reply};
use lmtp_proto::{client, server};

fn reply(code: u16, e: (u8, u16, u16), text: &str) -> Reply<'static> {
    Reply::new(
        code,
        Some(EnhancedCode::new(e.0, e.1, e.2)),
        text.to_owned(),
    )
}

/// How the test application answers: RCPT refusals and per-recipient delivery replies,
/// both keyed by local part.
#[derive(Default)]
struct Store {
    unknown: Vec<&'static str>,
    over_quota: Vec<&'static str>,
}

impl Store {
    /// Answers one server event; returns body bytes it saw.
    fn answer(&self, srv: &mut server::Server, event: server::Event, body: &mut Vec<u8>) {
        let done = match event {
            server::Event::Mail(_) => srv.accept_mail(),
            server::Event::Rcpt(r) if self.unknown.contains(&&*r.recipient.local_part) => {
                srv.reject_rcpt(reply(550, (5, 1, 1), "No such user here"))
            }
            server::Event::Rcpt(_) => srv.accept_rcpt(),
            server::Event::DataChunk(bytes) => {
                body.extend_from_slice(&bytes);
                Ok(())
            }
            server::Event::MessageEnd { recipients } => recipients.iter().try_for_each(|r| {
                srv.recipient_reply(if self.over_quota.contains(&&*r.local_part) {
                    reply(452, (4, 2, 2), &format!("<{r}> is temporarily over quota"))
                } else {
                    reply(250, (2, 0, 0), "OK")
                })
            }),
            _ => Ok(()),
        };
        done.expect("the server waits for this decision");
    }
}

/// Runs a server over `chunks`; returns what it sent and the body bytes it received.
fn serve(store: &Store, chunks: &[&[u8]]) -> (String, Vec<u8>) {
    let mut srv = server::new(server::config("foo.edu"), Instant::now());
    let (mut sent, mut body) = (Vec::new(), Vec::new());
    let mut drain = |srv: &mut server::Server| {
        loop {
            match srv.poll_output() {
                server::Output::Transmit(bytes) => sent.extend_from_slice(&bytes),
                server::Output::Event(event) => store.answer(srv, event, &mut body),
                server::Output::NeedInput => break,
            }
        }
    };
    drain(&mut srv);
    for chunk in chunks {
        srv.handle_input(chunk);
        drain(&mut srv);
    }
    (String::from_utf8(sent).expect("ASCII"), body)
}

const RFC2033_CLIENT: &[u8] = b"LHLO foo.edu\r\nMAIL FROM:<chris@bar.com>\r\n\
    RCPT TO:<pat@foo.edu>\r\nRCPT TO:<jones@foo.edu>\r\nRCPT TO:<green@foo.edu>\r\nDATA\r\n\
    Blah blah blah...\r\n...etc. etc. etc.\r\n.\r\nQUIT\r\n";

fn rfc2033_store() -> Store {
    Store {
        unknown: vec!["jones"],
        over_quota: vec!["green"],
    }
}

/// The session of RFC 2033 section 4.2 (with this server's reply texts).
#[test]
fn rfc2033_example_session() {
    let (sent, body) = serve(&rfc2033_store(), &[RFC2033_CLIENT]);
    let lines: Vec<&str> = sent.lines().collect();
    assert_eq!(lines[0], "220 foo.edu LMTP Postroom");
    assert_eq!(lines[1], "250-foo.edu");
    assert!(lines.contains(&"250-PIPELINING"), "{lines:?}");
    let tail = lines
        .iter()
        .position(|l| l.starts_with("250 2.1.0"))
        .expect("MAIL reply");
    assert_eq!(
        lines[tail..],
        [
            "250 2.1.0 Ok",
            "250 2.1.5 Ok",
            "550 5.1.1 No such user here",
            "250 2.1.5 Ok",
            "354 End data with <CR><LF>.<CR><LF>",
            "250 2.0.0 OK",
            "452 4.2.2 <green@foo.edu> is temporarily over quota",
            "221 2.0.0 Bye",
        ]
    );
    // Un-dot-stuffed: "...etc" was sent as "...etc" and loses its first dot.
    assert_eq!(body, b"Blah blah blah...\r\n..etc. etc. etc.\r\n");
}

/// The same session split at every byte boundary gives the same replies and body.
#[test]
fn rfc2033_session_replayed_at_every_split_point() {
    let whole = serve(&rfc2033_store(), &[RFC2033_CLIENT]);
    for at in 1..RFC2033_CLIENT.len() {
        let (a, b) = RFC2033_CLIENT.split_at(at);
        assert_eq!(serve(&rfc2033_store(), &[a, b]), whole, "split at {at}");
    }
    let bytes: Vec<&[u8]> = RFC2033_CLIENT.chunks(1).collect();
    assert_eq!(serve(&rfc2033_store(), &bytes), whole, "byte by byte");
}

/// Replies come one per accepted recipient, in RCPT order, whatever their mix.
#[test]
fn per_recipient_replies_in_rcpt_order() {
    let store = Store {
        unknown: vec!["b"],
        over_quota: vec!["c", "e"],
    };
    let input = b"LHLO x\r\nMAIL FROM:<s@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\n\
        RCPT TO:<c@x>\r\nRCPT TO:<d@x>\r\nRCPT TO:<e@x>\r\nDATA\r\nhi\r\n.\r\n";
    let (sent, _) = serve(&store, &[input]);
    let after_data: Vec<&str> = sent
        .lines()
        .skip_while(|l| !l.starts_with("354"))
        .skip(1)
        .collect();
    assert_eq!(
        after_data,
        [
            "250 2.0.0 OK",
            "452 4.2.2 <c@x> is temporarily over quota",
            "250 2.0.0 OK",
            "452 4.2.2 <e@x> is temporarily over quota",
        ]
    );
}

#[test]
fn helo_and_ehlo_are_refused_lhlo_is_required() {
    let (sent, _) = serve(
        &Store::default(),
        &[b"HELO x\r\nEHLO x\r\nMAIL FROM:<a@b>\r\n"],
    );
    let lines: Vec<&str> = sent.lines().skip(1).collect();
    assert_eq!(
        lines,
        [
            "500 5.5.2 Error: command not recognized",
            "500 5.5.2 Error: command not recognized",
            "503 5.5.1 Error: send LHLO first",
        ]
    );
}

#[test]
fn data_without_accepted_recipient_gets_503() {
    let store = Store {
        unknown: vec!["a"],
        ..Store::default()
    };
    let (sent, _) = serve(
        &store,
        &[b"LHLO x\r\nMAIL FROM:<s@x>\r\nRCPT TO:<a@x>\r\nDATA\r\n"],
    );
    assert!(
        sent.ends_with("550 5.1.1 No such user here\r\n503 5.5.1 Error: no valid recipients\r\n"),
        "{sent}"
    );
}

fn envelope(users: &[&'static str]) -> client::Envelope<'static> {
    client::Envelope {
        mail_from: MailFrom {
            sender: Some(Address::new("chris", "bar.com")),
            ..MailFrom::default()
        },
        recipients: users
            .iter()
            .map(|u| RcptTo {
                recipient: Address::new(*u, "foo.edu"),
                params: RcptParams::default(),
            })
            .collect(),
        transfer: client::Transfer::Data,
    }
}

/// Drives a client through one message against scripted server bytes: `stages[i]` is
/// what the server sends after the client's i-th write (greeting and LHLO reply, envelope
/// replies, final replies), each stage given in one or more chunks. Returns what the
/// client sent and the transaction result.
fn client_against(stages: &[Vec<&[u8]>]) -> (String, Option<client::TransactionResult>) {
    let mut cli = client::new(client::config("bar.com"), Instant::now());
    let mut sent = Vec::new();
    let mut result = None;
    let env = envelope(&["pat", "jones", "green"]);
    for chunk in stages.iter().flatten() {
        cli.handle_input(chunk);
        loop {
            match cli.poll_output() {
                client::Output::Transmit(bytes) => sent.extend_from_slice(&bytes),
                client::Output::Event(client::Event::Ready { .. }) => {
                    cli.send_mail(&env).expect("ready");
                }
                client::Output::Event(client::Event::SendBody) => {
                    cli.send_body_chunk(b"Blah blah blah...\r\n.etc\r\n")
                        .expect("body");
                    cli.end_body().expect("end");
                }
                client::Output::Event(client::Event::TransactionComplete(r)) => result = Some(r),
                client::Output::Event(client::Event::Error(e)) => panic!("client error: {e}"),
                client::Output::Event(_) => {}
                client::Output::NeedInput => break,
            }
        }
    }
    (String::from_utf8(sent).expect("ASCII"), result)
}

/// The server side of RFC 2033's example, in the three stages the client waits for.
const RFC2033_SERVER: [&[u8]; 3] = [
    b"220 foo.edu LMTP server ready\r\n250-foo.edu\r\n250-PIPELINING\r\n250 SIZE\r\n",
    b"250 OK\r\n250 OK\r\n550 No such user here\r\n250 OK\r\n354 Start mail input\r\n",
    b"250 OK\r\n452 <green@foo.edu> is temporarily over quota\r\n",
];

fn whole_stages() -> Vec<Vec<&'static [u8]>> {
    RFC2033_SERVER.iter().map(|s| vec![*s]).collect()
}

/// The client side of the RFC 2033 example: one result per recipient, in envelope order.
#[test]
fn client_reports_per_recipient_results() {
    let (sent, result) = client_against(&whole_stages());
    assert_eq!(
        sent,
        "LHLO bar.com\r\nMAIL FROM:<chris@bar.com>\r\nRCPT TO:<pat@foo.edu>\r\n\
         RCPT TO:<jones@foo.edu>\r\nRCPT TO:<green@foo.edu>\r\nDATA\r\n\
         Blah blah blah...\r\n..etc\r\n.\r\n"
    );
    let result = result.expect("transaction complete");
    let codes: Vec<(Option<u16>, Option<u16>)> = result
        .recipients
        .iter()
        .map(|r| {
            (
                r.rcpt.as_ref().map(|r| r.code),
                r.delivery.as_ref().map(|r| r.code),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            (Some(250), Some(250)),
            (Some(550), None),
            (Some(250), Some(452))
        ]
    );
    assert_eq!(result.delivered_count(), 1);
    assert_eq!(
        result.recipients[2]
            .delivery
            .as_ref()
            .map(Reply::text)
            .as_deref(),
        Some("<green@foo.edu> is temporarily over quota")
    );
}

#[test]
fn client_results_identical_at_every_split_point() {
    let whole = client_against(&whole_stages());
    for (stage, bytes) in RFC2033_SERVER.iter().enumerate() {
        for at in 1..bytes.len() {
            let mut stages = whole_stages();
            let (a, b) = bytes.split_at(at);
            stages[stage] = vec![a, b];
            assert_eq!(
                client_against(&stages),
                whole,
                "stage {stage} split at {at}"
            );
        }
    }
}

/// Our client against our server, in memory: two messages on one connection, mixed
/// per-recipient results, bodies arriving intact.
#[test]
fn client_server_pair_in_memory() {
    let store = Store {
        unknown: vec!["nobody"],
        over_quota: vec!["full"],
    };
    let now = Instant::now();
    let mut srv = server::new(server::config("store.example"), now);
    let mut cli = client::new(client::config("mx.example"), now);
    let messages = [
        (
            envelope(&["pat", "full", "nobody", "kim"]),
            &b"Subject: one\r\n\r\n.leading dot\r\n"[..],
        ),
        (
            envelope(&["full", "pat"]),
            &b"Subject: two\r\n\r\nbody\r\n"[..],
        ),
    ];
    let (mut next, mut results, mut bodies) = (0, Vec::new(), Vec::new());
    let (mut to_server, mut to_client) = (Vec::new(), Vec::new());
    for _round in 0..50 {
        srv.handle_input(&std::mem::take(&mut to_server));
        loop {
            match srv.poll_output() {
                server::Output::Transmit(b) => to_client.extend_from_slice(&b),
                server::Output::Event(server::Event::DataStart { .. }) => bodies.push(Vec::new()),
                server::Output::Event(e) => {
                    store.answer(&mut srv, e, bodies.last_mut().unwrap_or(&mut Vec::new()));
                }
                server::Output::NeedInput => break,
            }
        }
        cli.handle_input(&std::mem::take(&mut to_client));
        loop {
            match cli.poll_output() {
                client::Output::Transmit(b) => to_server.extend_from_slice(&b),
                client::Output::Event(client::Event::Ready { .. }) => {
                    cli.send_mail(&messages[next].0).expect("ready");
                }
                client::Output::Event(client::Event::SendBody) => {
                    cli.send_body_chunk(messages[next].1).expect("body");
                    cli.end_body().expect("end");
                }
                client::Output::Event(client::Event::TransactionComplete(r)) => {
                    results.push(r);
                    next += 1;
                    if next < messages.len() {
                        cli.send_mail(&messages[next].0).expect("ready again");
                    } else {
                        cli.quit().expect("quit");
                    }
                }
                client::Output::Event(_) => {}
                client::Output::NeedInput => break,
            }
        }
        if cli.is_closed() && srv.is_closed() {
            break;
        }
    }
    assert!(cli.is_closed() && srv.is_closed(), "session did not finish");
    let codes: Vec<Vec<Option<u16>>> = results
        .iter()
        .map(|r| {
            r.recipients
                .iter()
                .map(|x| x.delivery.as_ref().map(|d| d.code))
                .collect()
        })
        .collect();
    assert_eq!(
        codes,
        [
            vec![Some(250), Some(452), None, Some(250)],
            vec![Some(452), Some(250)]
        ]
    );
    assert_eq!(bodies, [messages[0].1.to_vec(), messages[1].1.to_vec()]);
}
