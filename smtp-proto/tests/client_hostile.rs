//! Hostile or broken servers: bounded buffering, clear errors, no panics.

mod client_support;

use client_support::{Out, drain, envelope};
use proptest::prelude::*;
use smtp_proto::client::{Client, ClientError, Config, Event, Transfer};
use std::time::Instant;

fn error_of(log: &[Out]) -> Option<&ClientError> {
    log.iter().find_map(|o| match o {
        Out::Ev(Event::Error(e)) => Some(e),
        _ => None,
    })
}

#[test]
fn endless_line_is_cut_off() {
    let mut client = Client::new(Config::smtp("c.example"), Instant::now());
    let mut log = Vec::new();
    let mut fed = 0;
    while !client.is_closed() && fed < 1 << 20 {
        client.handle_input(&[b'2'; 1024]);
        fed += 1024;
        drain(&mut client, &mut log);
    }
    assert!(fed <= 8 * 1024, "closed only after {fed} bytes");
    assert!(matches!(
        error_of(&log),
        Some(ClientError::InvalidReply { .. })
    ));
    assert_eq!(log.last(), Some(&Out::Ev(Event::Closed)));
}

#[test]
fn endless_multiline_reply_is_cut_off() {
    let mut client = Client::new(Config::smtp("c.example"), Instant::now());
    let mut log = Vec::new();
    let mut fed = 0;
    while !client.is_closed() && fed < 1 << 22 {
        client.handle_input(b"220-this continues forever\r\n");
        fed += 28;
        drain(&mut client, &mut log);
    }
    assert!(fed <= 70_000, "closed only after {fed} bytes");
    assert!(matches!(
        error_of(&log),
        Some(ClientError::InvalidReply { .. })
    ));
}

#[test]
fn configured_limits_are_tighter() {
    let mut config = Config::smtp("c.example");
    config.max_reply_line_len = 64;
    config.max_reply_lines = 3;
    let cases: &[&[u8]] = &[
        &[b'x'; 65],
        b"220 0123456789012345678901234567890123456789012345678901234567890123456789\r\n",
        b"220-a\r\n220-b\r\n220-c\r\n220 d\r\n",
    ];
    for input in cases {
        let mut client = Client::new(config.clone(), Instant::now());
        let mut log = Vec::new();
        client.handle_input(input);
        drain(&mut client, &mut log);
        assert!(
            matches!(error_of(&log), Some(ClientError::InvalidReply { .. })),
            "{input:?}: {log:?}"
        );
    }
    // Within the limits all is well.
    let mut client = Client::new(config, Instant::now());
    client.handle_input(b"220-a\r\n220-b\r\n220 c\r\n");
    assert!(!client.is_closed());
}

#[test]
fn reply_during_body_is_refused() {
    let mut client = Client::new(Config::smtp("c.example"), Instant::now());
    let mut log = Vec::new();
    client.handle_input(b"220 mx\r\n250-mx\r\n250 PIPELINING\r\n");
    client
        .send_mail(&envelope("a@x.example", &["b@y.example"], Transfer::Data))
        .unwrap();
    client.handle_input(b"250 ok\r\n250 ok\r\n354 go\r\n");
    client.send_body_chunk(b"part").unwrap();
    client.handle_input(b"554 changed my mind\r\n");
    drain(&mut client, &mut log);
    assert!(matches!(error_of(&log), Some(ClientError::UnexpectedReply(r)) if r.code == 554));
    assert!(client.is_closed());
    assert!(client.send_body_chunk(b"more").is_err());
}

/// Drives a session to a point, then feeds arbitrary bytes.
fn prefix(stage: u8, client: &mut Client) {
    if stage >= 1 {
        client.handle_input(b"220 mx\r\n");
    }
    if stage >= 2 {
        client.handle_input(b"250-mx\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n");
    }
    if stage == 3 {
        let _ = client.send_mail(&envelope("a@x.example", &["b@y.example"], Transfer::Data));
    }
    if stage == 4 {
        let _ = client.auth("PLAIN", None);
    }
}

proptest! {
    #[test]
    fn arbitrary_server_bytes_never_panic(
        stage in 0u8..5,
        chunks in prop::collection::vec(
            prop::collection::vec(prop_oneof![
                Just(b'\r'), Just(b'\n'), Just(b'-'), Just(b' '), b'0'..=b'9', any::<u8>()
            ], 0..64),
            0..8,
        ),
    ) {
        let mut client = Client::new(Config::smtp("c.example"), Instant::now());
        prefix(stage, &mut client);
        let mut log = Vec::new();
        for chunk in &chunks {
            client.handle_input(chunk);
            drain(&mut client, &mut log);
            let _ = client.auth_respond(b"x");
            let _ = client.send_body_chunk(b".x\r\n");
            drain(&mut client, &mut log);
        }
        // After Closed nothing else is reported.
        if let Some(i) = log.iter().position(|o| *o == Out::Ev(Event::Closed)) {
            prop_assert_eq!(i + 1, log.len());
            prop_assert!(client.is_closed());
        }
    }
}
