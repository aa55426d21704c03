//! Our client against our server, in memory: a pipelined transaction whose body needs
//! dot-stuffing arrives un-stuffed and intact, and BDAT and LMTP work end to end.

use smtp_proto::client::{self, Client, Envelope, Transfer};
use smtp_proto::server::{self, Server};
use smtp_proto::types::{Address, MailFrom, RcptTo, Reply};
use std::borrow::Cow;
use std::time::Instant;

struct Pair {
    client: Client,
    server: Server,
    client_events: Vec<client::Event>,
    /// Un-stuffed body bytes the server reported.
    received: Vec<u8>,
}

impl Pair {
    fn new(client_config: client::Config, server_config: server::Config) -> Self {
        let now = Instant::now();
        let mut pair = Self {
            client: Client::new(client_config, now),
            server: Server::new(server_config, now),
            client_events: Vec::new(),
            received: Vec::new(),
        };
        pair.pump();
        pair
    }

    /// Moves bytes both ways and answers the server's decisions until both are idle.
    fn pump(&mut self) {
        for _ in 0..10_000 {
            let mut progress = false;
            loop {
                match self.client.poll_output() {
                    client::Output::Transmit(bytes) => self.server.handle_input(&bytes),
                    client::Output::Event(event) => self.client_events.push(event),
                    client::Output::NeedInput => break,
                }
                progress = true;
            }
            loop {
                match self.server.poll_output() {
                    server::Output::Transmit(bytes) => self.client.handle_input(&bytes),
                    server::Output::Event(event) => self.decide(event),
                    server::Output::NeedInput => break,
                }
                progress = true;
            }
            if !progress {
                return;
            }
        }
        panic!("pair did not settle");
    }

    /// The server application: refuses `nobody@`, accepts everything else.
    fn decide(&mut self, event: server::Event) {
        match event {
            server::Event::Mail(_) => self.server.accept_mail().unwrap(),
            server::Event::Rcpt(rcpt) if rcpt.recipient.local_part == "nobody" => self
                .server
                .reject_rcpt(Reply::new(550, None, "no such user"))
                .unwrap(),
            server::Event::Rcpt(_) => self.server.accept_rcpt().unwrap(),
            server::Event::DataChunk(bytes) => self.received.extend_from_slice(&bytes),
            server::Event::MessageEnd { .. } => self
                .server
                .accept_message(Reply::new(250, None, "queued"))
                .unwrap(),
            _ => {}
        }
    }

    fn result(&self) -> &client::TransactionResult {
        self.client_events
            .iter()
            .rev()
            .find_map(|e| match e {
                client::Event::TransactionComplete(r) => Some(r),
                _ => None,
            })
            .expect("transaction result")
    }
}

fn envelope(to: &[&'static str], transfer: Transfer) -> Envelope<'static> {
    let address = |s: &'static str| {
        let (local, domain) = s.split_once('@').unwrap();
        Address {
            local_part: Cow::Borrowed(local),
            domain: Cow::Borrowed(domain),
        }
    };
    Envelope {
        mail_from: MailFrom {
            sender: Some(address("sender@client.example")),
            params: Default::default(),
        },
        recipients: to
            .iter()
            .map(|t| RcptTo {
                recipient: address(t),
                params: Default::default(),
            })
            .collect(),
        transfer,
    }
}

const BODY: &[u8] =
    b"Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nafter a lone dot\r\nend\r\n";

fn send_in_chunks(pair: &mut Pair, chunk_size: usize) {
    for chunk in BODY.chunks(chunk_size) {
        pair.client.send_body_chunk(chunk).unwrap();
        pair.pump();
    }
    pair.client.end_body().unwrap();
    pair.pump();
}

#[test]
fn pipelined_data_with_dot_stuffing() {
    for chunk_size in [1, 2, 3, 7, BODY.len()] {
        let mut pair = Pair::new(
            client::Config::smtp("client.example"),
            server::Config::new("mx.example"),
        );
        assert!(pair.client.is_ready(), "{:?}", pair.client_events);
        let caps = pair.client.capabilities().unwrap();
        assert!(caps.has(&smtp_proto::types::Capability::Pipelining));
        let envelope = envelope(
            &["a@mx.example", "nobody@mx.example", "b@mx.example"],
            Transfer::Data,
        );
        pair.client.send_mail(&envelope).unwrap();
        pair.pump();
        assert!(pair.client_events.contains(&client::Event::SendBody));
        send_in_chunks(&mut pair, chunk_size);
        assert_eq!(
            String::from_utf8_lossy(&pair.received),
            String::from_utf8_lossy(BODY)
        );
        let result = pair.result();
        assert_eq!(result.delivered_count(), 2);
        assert!(!result.recipients[1].is_accepted());
        assert_eq!(result.data.as_ref().map(|r| r.code), Some(250));

        pair.client.quit().unwrap();
        pair.pump();
        assert_eq!(pair.client_events.last(), Some(&client::Event::Closed));
        assert!(pair.client.is_closed());
        assert!(pair.server.is_closed());
    }
}

#[test]
fn bdat_then_second_message() {
    let mut pair = Pair::new(
        client::Config::smtp("client.example"),
        server::Config::new("mx.example"),
    );
    pair.client
        .send_mail(&envelope(&["a@mx.example"], Transfer::Bdat))
        .unwrap();
    pair.pump();
    send_in_chunks(&mut pair, 10);
    assert_eq!(pair.received, BODY);
    assert_eq!(pair.result().delivered_count(), 1);

    pair.received.clear();
    pair.client.rset().unwrap();
    pair.pump();
    pair.client
        .send_mail(&envelope(&["b@mx.example"], Transfer::Data))
        .unwrap();
    pair.pump();
    send_in_chunks(&mut pair, 5);
    assert_eq!(pair.received, BODY);
    assert_eq!(pair.result().delivered_count(), 1);
}

#[test]
fn lmtp_per_recipient_replies() {
    let mut pair = Pair::new(
        client::Config::lmtp("client.example"),
        server::Config::lmtp("lmtp.example"),
    );
    assert!(pair.client.is_ready(), "{:?}", pair.client_events);
    pair.client
        .send_mail(&envelope(
            &["a@lmtp.example", "nobody@lmtp.example", "b@lmtp.example"],
            Transfer::Data,
        ))
        .unwrap();
    pair.pump();
    send_in_chunks(&mut pair, 4);
    assert_eq!(pair.received, BODY);
    let result = pair.result();
    assert_eq!(result.delivered_count(), 2);
    assert!(result.recipients[0].is_delivered());
    assert!(!result.recipients[1].is_accepted());
    assert!(result.recipients[2].is_delivered());
}
