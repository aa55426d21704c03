//! Garbage and hostile input from the server: a clear error, then the session closes;
//! never a panic, never unbounded buffering.

mod client_support;

use client_support::*;
use imap_proto::client::{Client, ClientError, Config, Event, Output};
use imap_proto::codec::{DecodeOptions, ResponseOptions};
use imap_proto::types::{Atom, CommandBody};
use proptest::prelude::*;

/// The session's last two outputs: the error and `Closed`.
fn error_of(log: &[Out]) -> ClientError {
    assert_eq!(log.last(), Some(&ev(Event::Closed)), "{log:?}");
    match &log[log.len() - 2] {
        Out::Ev(Event::Error(e)) => e.clone(),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn invalid_greeting() {
    let log = session(
        &Config::default(),
        &[server(b"HTTP/1.1 400 Bad Request\r\n")],
    );
    assert_eq!(log.len(), 2);
    assert_eq!(
        error_of(&log),
        ClientError::InvalidGreeting {
            excerpt: "HTTP/1.1 400 Bad Request".to_owned()
        }
    );
    // A valid response that is not a greeting is not one either.
    let log = session(&Config::default(), &[server(b"* 3 EXISTS\r\n")]);
    assert!(matches!(
        error_of(&log),
        ClientError::InvalidGreeting { .. }
    ));
}

#[test]
fn garbage_response_closes() {
    let log = session(
        &Config::default(),
        &[
            server(GREETING),
            app(|c| c.command(CommandBody::Noop)),
            server(b"* FROBNICATE (((\r\nA1 OK done\r\n"),
        ],
    );
    assert_eq!(log.len(), 5, "{log:?}");
    let error = error_of(&log);
    assert!(
        matches!(&error, ClientError::InvalidResponse { excerpt, .. } if excerpt == "* FROBNICATE ((("),
        "{error:?}"
    );
}

#[test]
fn binary_garbage_closes() {
    let log = session(&Config::default(), &[server(b"\x00\xff\xfe garbage\n")]);
    assert!(matches!(
        error_of(&log),
        ClientError::InvalidGreeting { .. }
    ));
}

#[test]
fn unknown_tag_closes() {
    let log = session(
        &Config::default(),
        &[server(GREETING), server(b"X9 OK what\r\n")],
    );
    assert_eq!(error_of(&log), ClientError::UnknownTag(tag("X9")));
}

#[test]
fn unexpected_continuation_closes() {
    let log = session(
        &Config::default(),
        &[
            server(GREETING),
            app(|c| c.command(CommandBody::Noop)),
            server(b"+ send more\r\n"),
        ],
    );
    assert_eq!(
        error_of(&log),
        ClientError::UnexpectedContinuation {
            excerpt: "+ send more".to_owned()
        }
    );
}

#[test]
fn second_challenge_before_the_answer_closes() {
    let log = session(
        &Config::default(),
        &[
            server(GREETING),
            app(|c| c.authenticate(Atom::new("LOGIN").unwrap(), None)),
            server(b"+ VXNlcm5hbWU6\r\n+ UGFzc3dvcmQ6\r\n"),
        ],
    );
    assert!(matches!(
        error_of(&log),
        ClientError::UnexpectedContinuation { .. }
    ));
}

#[test]
fn non_base64_challenge_closes() {
    let log = session(
        &Config::default(),
        &[
            server(GREETING),
            app(|c| c.authenticate(Atom::new("LOGIN").unwrap(), None)),
            server(b"+ [ALERT] not base64\r\n"),
        ],
    );
    assert!(matches!(
        error_of(&log),
        ClientError::InvalidChallenge { .. }
    ));
}

fn small_limits() -> Config {
    let mut config = Config::default();
    config.response = ResponseOptions::new(DecodeOptions::new(256, 1024), 16);
    config.stream_threshold = 1024;
    config
}

#[test]
fn overlong_line_closes() {
    let line = format!("* OK {}\r\n", "x".repeat(300));
    let log = session(&small_limits(), &[server(GREETING), server(line)]);
    assert!(matches!(error_of(&log), ClientError::ResponseTooLarge(_)));
}

#[test]
fn oversized_literal_closes_at_its_header() {
    let log = session(
        &small_limits(),
        &[server(GREETING), server(b"* LIST () \"/\" {99999}\r\n")],
    );
    assert!(matches!(error_of(&log), ClientError::ResponseTooLarge(_)));
}

#[test]
fn input_after_close_is_ignored() {
    let mut h = Harness::new(&Config::default());
    h.input(b"garbage\r\n");
    assert!(h.client.is_closed());
    h.take();
    h.input(GREETING);
    assert_eq!(h.take(), vec![]);
    assert_eq!(h.client.buffered_len(), 0);
    assert_eq!(h.client.poll_timeout(), None);
}

fn run_hostile(config: &Config, prefix: &[u8], noise: &[u8], cuts: &[usize]) -> usize {
    let mut client = Client::new(config.clone(), std::time::Instant::now());
    client.handle_input(prefix);
    let _ = client.command(CommandBody::Noop);
    let _ = client.authenticate(Atom::new("PLAIN").unwrap(), None);
    let mut max = 0;
    let mut start = 0;
    for &cut in cuts.iter().chain([&noise.len()]) {
        let cut = cut.clamp(start, noise.len());
        client.handle_input(&noise[start..cut]);
        start = cut;
        max = max.max(client.buffered_len());
        while !matches!(client.poll_output(), Output::NeedInput) {}
    }
    max
}

proptest! {
    #[test]
    fn random_input_never_panics_and_stays_bounded(
        noise in proptest::collection::vec(any::<u8>(), 0..5000),
        cuts in proptest::collection::vec(0usize..5000, 0..8),
        greeted in any::<bool>(),
    ) {
        let config = small_limits();
        let prefix: &[u8] = if greeted { GREETING } else { b"" };
        let max = run_hostile(&config, prefix, &noise, &cuts);
        // What stays buffered is part of one response, below the 1536-byte message limit.
        prop_assert!(max < 1536, "buffered {}", max);
    }

    #[test]
    fn random_response_lines_never_panic(
        lines in proptest::collection::vec(
            prop::sample::select(vec![
                "* 1 EXISTS", "+ ", "+ abc=", "A1 OK", "A2 NO x", "* BYE", "* OK [ALERT] a",
                "* 1 FETCH (BODY[] {3}", "xyz)", "* CAPABILITY IMAP4rev1", "A3 BAD", ")",
                "* LIST () \"/\" {2}", "ab", "* PREAUTH", "{5}",
            ]),
            0..20,
        ),
    ) {
        let mut noise = Vec::new();
        for line in lines {
            noise.extend_from_slice(line.as_bytes());
            noise.extend_from_slice(b"\r\n");
        }
        run_hostile(&Config::default(), GREETING, &noise, &[]);
    }
}
