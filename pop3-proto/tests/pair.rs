//! Our client against our server, in memory with a virtual clock: every command, STLS
//! (the "handshake" is a no-op here), APOP and AUTH, and message bytes end to end.

mod server_support;

use std::num::NonZeroU32;
use std::time::Instant;

use pop3_proto::client::{Client, Config as ClientConfig, Event, Output};
use pop3_proto::server::Server;
use pop3_proto::types::CommandKind;
use server_support::{Policy, Transcript, drain, open_config};

struct Pair {
    client: Client,
    server: Server,
    policy: Policy,
    transcript: Transcript,
    events: Vec<Event>,
}

impl Pair {
    fn new(policy: Policy) -> Self {
        let now = Instant::now();
        Self {
            client: Client::new(ClientConfig::default(), now),
            server: Server::new(open_config(), now),
            policy,
            transcript: Transcript::default(),
            events: Vec::new(),
        }
    }

    /// Moves bytes both ways until neither side has anything to say.
    fn run(&mut self) {
        for _ in 0..1000 {
            let before = self.transcript.sent.len();
            drain(&mut self.server, &self.policy, &mut self.transcript);
            let to_client = self.transcript.sent[before..].to_vec();
            self.client.handle_input(&to_client);
            let mut to_server = Vec::new();
            loop {
                match self.client.poll_output() {
                    Output::Transmit(b) => to_server.extend_from_slice(&b),
                    Output::Event(Event::StartTls) => {
                        self.events.push(Event::StartTls);
                        self.client.tls_established().unwrap();
                    }
                    Output::Event(e) => self.events.push(e),
                    Output::NeedInput => break,
                }
            }
            if to_client.is_empty() && to_server.is_empty() {
                return;
            }
            self.server.handle_input(&to_server);
        }
        panic!("pair did not settle");
    }

    fn message(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for e in &self.events {
            if let Event::MessageChunk(b) = e {
                out.extend_from_slice(b);
            }
        }
        out
    }
}

fn n(v: u32) -> NonZeroU32 {
    NonZeroU32::new(v).unwrap()
}

#[test]
fn full_session_over_the_pair() {
    let policy = Policy::default();
    let messages = policy.messages.clone();
    let mut pair = Pair::new(policy);
    pair.run();
    pair.client.capa().unwrap();
    pair.run();
    pair.client.stls().unwrap();
    pair.run();
    assert!(pair.server.is_tls() && pair.client.is_tls());
    pair.client.login("mrose", b"tanstaaf").unwrap();
    pair.run();
    assert!(pair.client.in_transaction());
    for (i, expected) in messages.iter().enumerate() {
        pair.events.clear();
        pair.client.retr(n(i as u32 + 1)).unwrap();
        pair.run();
        assert_eq!(pair.message(), *expected);
    }
    pair.events.clear();
    pair.client.top(n(2), 1).unwrap();
    pair.run();
    assert_eq!(
        pair.message(),
        b"Subject: two\r\nX: y\r\n\r\n.starts with dot\r\n"
    );
    pair.events.clear();
    pair.client.uidl(None).unwrap();
    pair.run();
    assert_eq!(
        pair.events
            .iter()
            .filter(|e| matches!(e, Event::UidlEntry { .. }))
            .count(),
        2
    );
    pair.client.dele(n(1)).unwrap();
    pair.run();
    pair.client.stat().unwrap();
    pair.run();
    assert!(pair.events.contains(&Event::Stat { count: 1, size: 59 }));
    pair.client.quit().unwrap();
    pair.run();
    assert_eq!(pair.transcript.update(), Some(vec![1]));
    assert!(pair.client.is_closed() && pair.server.is_closed());
    assert!(matches!(
        pair.events[pair.events.len() - 2],
        Event::Completed {
            command: CommandKind::Quit,
            ..
        }
    ));
}

#[test]
fn apop_and_auth_over_the_pair() {
    let mut pair = Pair::new(Policy::default());
    pair.run();
    pair.client.apop("mrose", b"tanstaaf").unwrap();
    pair.run();
    assert!(pair.client.in_transaction());

    let mut pair = Pair::new(Policy::default());
    pair.run();
    pair.client.auth("PLAIN", None).unwrap();
    pair.run();
    assert!(matches!(pair.events.last(), Some(Event::AuthChallenge(_))));
    pair.client.auth_respond(b"\0mrose\0tanstaaf").unwrap();
    pair.run();
    assert!(pair.client.in_transaction());
}
