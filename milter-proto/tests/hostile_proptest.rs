//! Whatever a milter sends, the client never panics, keeps its buffer bounded, and either
//! goes on or ends the session with an error followed by Closed.

mod support;

use milter_proto::client::{Client, Config, Event, Output};
use milter_proto::types::{Actions, Address, Macros, ProtocolFlags};
use proptest::prelude::*;
use support::{Harness, answering, negotiation};

const MAX_DATA: usize = 4096;

fn config() -> Config {
    let mut config = Config::default();
    config.max_data_size = MAX_DATA;
    config
}

/// Feeds `chunks` and checks the invariants after each one.
fn feed(client: &mut Client, chunks: &[Vec<u8>]) {
    let mut closed = false;
    for chunk in chunks {
        client.handle_input(chunk);
        assert!(client.buffered_input() <= MAX_DATA + 5 + chunk.len());
        let mut events = Vec::new();
        loop {
            match client.poll_output() {
                Output::NeedInput => break,
                Output::Event(event) => events.push(event),
                Output::Transmit(_) => {}
            }
        }
        if let Some(position) = events.iter().position(|e| *e == Event::Closed) {
            assert!(!closed, "closed twice");
            assert_eq!(
                position,
                events.len() - 1,
                "nothing after Closed: {events:?}"
            );
            assert!(matches!(events[position - 1], Event::Error(_)));
            assert!(client.is_closed());
            closed = true;
        }
        assert!(client.buffered_input() <= MAX_DATA + 5);
    }
}

/// Framed packets with any code and data: they get past the framing.
fn packets() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let packet =
        (any::<u8>(), proptest::collection::vec(any::<u8>(), 0..40)).prop_map(|(code, data)| {
            let mut out = u32::try_from(data.len() + 1)
                .unwrap()
                .to_be_bytes()
                .to_vec();
            out.push(code);
            out.extend(data);
            out
        });
    proptest::collection::vec(packet, 0..12)
}

fn chunks() -> impl Strategy<Value = Vec<Vec<u8>>> {
    proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..12)
}

/// A client waiting at end-of-message, having negotiated everything.
fn at_end_of_message() -> Client {
    let negotiated = negotiation(Actions::ALL, ProtocolFlags::SKIP);
    let mut h = Harness::new(
        config(),
        answering(negotiated, vec![]),
        support::Split::Whole,
    );
    h.call(|c| c.connect("h", Address::Unknown, &Macros::new()));
    h.call(|c| c.mail("a@example.org", &[], &Macros::new()));
    h.call(|c| c.data(&Macros::new()));
    h.call(|c| c.end_of_headers(&Macros::new()));
    h.call(|c| c.end_of_message(&Macros::new()));
    assert!(!h.client.is_ready());
    h.client
}

proptest! {
    #[test]
    fn random_bytes_instead_of_the_negotiation_reply(input in chunks()) {
        let mut client = Client::new(config(), std::time::Instant::now());
        while client.poll_output() != Output::NeedInput {}
        feed(&mut client, &input);
    }

    #[test]
    fn random_packets_instead_of_the_negotiation_reply(input in packets()) {
        let mut client = Client::new(config(), std::time::Instant::now());
        while client.poll_output() != Output::NeedInput {}
        feed(&mut client, &input);
    }

    #[test]
    fn random_bytes_at_end_of_message(input in chunks()) {
        feed(&mut at_end_of_message(), &input);
    }

    #[test]
    fn random_packets_at_end_of_message(input in packets()) {
        feed(&mut at_end_of_message(), &input);
    }

    #[test]
    fn random_packets_while_a_stage_waits(input in packets()) {
        let negotiated = negotiation(Actions::ALL, ProtocolFlags::SKIP);
        let mut h = Harness::new(config(), answering(negotiated, vec![]), support::Split::Whole);
        h.call(|c| c.connect("h", Address::Unknown, &Macros::new()));
        h.call(|c| c.mail("a@example.org", &[], &Macros::new()));
        h.call(|c| c.data(&Macros::new()));
        h.call(|c| c.end_of_headers(&Macros::new()));
        // Not pumped: the body packet waits for an answer that only the input gives.
        h.client.body(&[b'x'; 100]).unwrap();
        feed(&mut h.client, &input);
    }
}
