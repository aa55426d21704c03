//! Hostile input, limits, timeouts and misuse of the decision methods. Hostile lines must
//! get exactly one `-ERR` each, never a panic, and never desynchronise the session.

mod server_support;

use std::time::{Duration, Instant};

use pop3_proto::server::{CloseReason, Config, DecisionError, Event, MessageInfo, Output, Server};
use pop3_proto::types::Status;
use server_support::{Policy, Transcript, drain, open_config, run_chunks, session};

/// Each line gets one `-ERR`, and the QUIT after it is still understood.
#[test]
fn hostile_command_lines() {
    let table: &[&[u8]] = &[
        b"RETR 0\r\n",
        b"RETR -1\r\n",
        b"RETR +1\r\n",
        b"RETR 99999999999\r\n",
        b"TOP 1\r\n",
        b"TOP 1 x\r\n",
        b"LIST 1 2\r\n",
        b"APOP mrose\r\n",
        b"APOP mrose xyz\r\n",
        b"APOP  c4c9334bac560ecc979e58001b3e22fb\r\n",
        b"AUTH\r\n",
        b"AUTH PLAIN a b\r\n",
        b"AUTH PL@IN\r\n",
        b"AUTH AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n",
        b"USER\r\n",
        b"USER \r\n",
        b"PASS\r\n",
        b"\x00\r\n",
        b"USER a\x00b\r\n",
        b"USER \x1b[31m\r\n",
        b"\xff\xfe\r\n",
        b"STAT extra\r\n",
        b"\r\n",
        b" \r\n",
        b"STATS\r\n",
        b"NOOP\n",
        b"NOOP\rQUIT\r\n",
        b"LANG e n\r\n",
        b"LANG <script>\r\n",
        b"USER \xc3\x28\r\n",
    ];
    for line in table {
        let mut input = line.to_vec();
        input.extend_from_slice(b"QUIT\r\n");
        let t = session(&open_config(), &Policy::default(), &[&input]);
        let lines = t.lines();
        assert_eq!(
            lines.len(),
            3,
            "{:?}: {lines:?}",
            String::from_utf8_lossy(line)
        );
        assert!(lines[1].starts_with("-ERR "), "{line:?}: {lines:?}");
        assert!(lines[2].starts_with("+OK "), "{line:?}: {lines:?}");
        assert_eq!(t.events, [Event::Closed(CloseReason::Quit)], "{line:?}");
    }
}

#[test]
fn line_length_limit() {
    let mut exact = b"USER ".to_vec();
    exact.resize(253, b'a');
    exact.extend_from_slice(b"\r\n");
    assert_eq!(exact.len(), 255);
    let mut long = exact.clone();
    long.insert(6, b'b');
    let t = session(
        &open_config(),
        &Policy::default(),
        &[&exact, &long, b"QUIT\r\n"],
    );
    assert_eq!(
        &t.lines()[1..],
        [
            "+OK send PASS",
            "-ERR line too long",
            "+OK dbc.mtview.ca.us POP3 server signing off"
        ]
    );
}

/// A line that never ends is discarded as it arrives: memory stays bounded.
#[test]
fn endless_line_is_not_buffered() {
    let mut server = Server::new(open_config(), Instant::now());
    let mut t = Transcript::default();
    let policy = Policy::default();
    drain(&mut server, &policy, &mut t);
    let junk = vec![b'x'; 4096];
    for _ in 0..256 {
        server.handle_input(&junk);
        drain(&mut server, &policy, &mut t);
        assert!(server.buffered_input_len() <= 4096 + 255);
    }
    server.handle_input(b"\r\nQUIT\r\n");
    drain(&mut server, &policy, &mut t);
    assert_eq!(
        &t.lines()[1..],
        [
            "-ERR line too long",
            "+OK dbc.mtview.ca.us POP3 server signing off"
        ]
    );
}

#[test]
fn too_many_bad_commands_close_the_session() {
    let input = b"BOGUS\r\n".repeat(12);
    let t = session(&open_config(), &Policy::default(), &[&input]);
    let lines = t.lines();
    assert_eq!(lines.len(), 11);
    assert_eq!(lines[9], "-ERR unknown command");
    assert_eq!(lines[10], "-ERR too many bad commands, closing connection");
    assert_eq!(t.events, [Event::Closed(CloseReason::TooManyErrors)]);
}

#[test]
fn wrong_passwords_count_as_bad_commands() {
    let input = b"USER mrose\r\nPASS nope\r\n".repeat(10);
    let t = session(&open_config(), &Policy::default(), &[&input]);
    assert!(
        t.text()
            .ends_with("-ERR too many bad commands, closing connection\r\n")
    );
}

#[test]
fn idle_timeout_is_ten_minutes_and_skips_update() {
    let start = Instant::now();
    let mut config = open_config();
    config.timeouts.idle = Duration::from_secs(5); // raised to RFC 1939's minimum
    let policy = Policy::default();
    let mut server = Server::new(config, start);
    let mut t = Transcript::default();
    server.handle_input(b"USER mrose\r\nPASS tanstaaf\r\nDELE 1\r\n");
    drain(&mut server, &policy, &mut t);
    assert_eq!(
        server.poll_timeout(),
        Some(start + Duration::from_secs(600))
    );
    server.handle_timeout(start + Duration::from_secs(599));
    drain(&mut server, &policy, &mut t);
    assert!(!server.is_closed());
    server.handle_timeout(start + Duration::from_secs(600));
    drain(&mut server, &policy, &mut t);
    assert!(server.is_closed());
    assert!(t.text().ends_with("-ERR autologout: idle for too long\r\n"));
    assert_eq!(t.events.last(), Some(&Event::Closed(CloseReason::Timeout)));
    assert_eq!(t.update(), None, "a timed-out session never enters UPDATE");
    assert_eq!(server.poll_timeout(), None);
}

#[test]
fn activity_restarts_the_idle_timer() {
    let start = Instant::now();
    let mut server = Server::new(open_config(), start);
    let later = start + Duration::from_secs(300);
    server.handle_timeout(later);
    server.handle_input(b"CAPA\r\n");
    while !matches!(server.poll_output(), Output::NeedInput) {}
    assert_eq!(
        server.poll_timeout(),
        Some(later + Duration::from_secs(600))
    );
}

/// A command trickled byte by byte (slowloris) does not restart the idle timer; only a
/// complete line does.
#[test]
fn a_trickled_line_meets_the_idle_timeout() {
    let start = Instant::now();
    let policy = Policy::default();
    let mut server = Server::new(open_config(), start);
    let mut t = Transcript::default();
    drain(&mut server, &policy, &mut t);
    for (i, byte) in b"USER mrose".iter().enumerate() {
        server.handle_timeout(start + Duration::from_secs(50 * i as u64));
        server.handle_input(&[*byte]);
        drain(&mut server, &policy, &mut t);
        assert_eq!(
            server.poll_timeout(),
            Some(start + Duration::from_secs(600))
        );
    }
    server.handle_timeout(start + Duration::from_secs(600));
    drain(&mut server, &policy, &mut t);
    assert!(server.is_closed());
    assert!(t.text().ends_with("-ERR autologout: idle for too long\r\n"));
}

#[test]
fn decision_timeout_and_stalled_message() {
    let start = Instant::now();
    let policy = Policy {
        never_answer: true,
        ..Policy::default()
    };
    let mut server = Server::new(open_config(), start);
    let mut t = Transcript::default();
    server.handle_input(b"USER mrose\r\nPASS tanstaaf\r\n");
    drain(&mut server, &policy, &mut t);
    assert!(server.awaiting_decision());
    server.handle_timeout(start + Duration::from_secs(600));
    drain(&mut server, &policy, &mut t);
    assert!(t.text().ends_with("-ERR [SYS/TEMP] server timed out\r\n"));

    // A message that stops mid-stream: the connection closes with no -ERR appended.
    let mut server = Server::new(open_config(), start);
    let mut t = Transcript::default();
    server.handle_input(b"USER mrose\r\nPASS tanstaaf\r\n");
    drain(&mut server, &Policy::default(), &mut t);
    server.handle_input(b"RETR 1\r\n");
    drain(&mut server, &policy, &mut t);
    server.message_chunk(b"partial").unwrap();
    drain(&mut server, &policy, &mut t);
    server.handle_timeout(start + Duration::from_secs(600));
    drain(&mut server, &policy, &mut t);
    assert!(t.text().ends_with("+OK 31 octets\r\npartial"));
    assert_eq!(t.events.last(), Some(&Event::Closed(CloseReason::Timeout)));
}

#[test]
fn pipelined_input_while_pending_is_bounded() {
    let policy = Policy {
        never_answer: true,
        ..Policy::default()
    };
    let mut chunks: Vec<&[u8]> = vec![b"USER mrose\r\nPASS tanstaaf\r\n"];
    let flood = b"NOOP\r\n".repeat(2000);
    for _ in 0..10 {
        chunks.push(&flood);
    }
    let t = run_chunks(&open_config(), &policy, &chunks);
    assert!(t.text().ends_with("-ERR too much pipelined input\r\n"));
    assert_eq!(
        t.events.last(),
        Some(&Event::Closed(CloseReason::TooMuchInput))
    );
}

#[test]
fn decision_methods_refuse_misuse() {
    let mut server = Server::new(open_config(), Instant::now());
    while !matches!(server.poll_output(), Output::NeedInput) {}
    assert_eq!(
        server.accept_login(),
        Err(DecisionError::Unexpected {
            waiting_for: "nothing"
        })
    );
    assert!(server.tls_established().is_err());
    server.handle_input(b"USER mrose\r\nPASS tanstaaf\r\n");
    let mut events = Vec::new();
    loop {
        match server.poll_output() {
            Output::Event(e) => events.push(e),
            Output::Transmit(_) => {}
            Output::NeedInput => break,
        }
    }
    assert!(matches!(events[..], [Event::Login { .. }]));
    assert_eq!(
        server.message_end(),
        Err(DecisionError::Unexpected {
            waiting_for: "login decision"
        })
    );
    server.accept_login().unwrap();
    assert!(matches!(
        server.poll_output(),
        Output::Event(Event::OpenMaildrop { .. })
    ));
    let bad_uid = vec![MessageInfo::new(10, "has space")];
    assert!(matches!(
        server.maildrop_ready(bad_uid),
        Err(DecisionError::InvalidListing { .. })
    ));
    let overflow = vec![MessageInfo::new(u64::MAX, "a"), MessageInfo::new(1, "b")];
    assert!(matches!(
        server.maildrop_ready(overflow),
        Err(DecisionError::InvalidListing { .. })
    ));
    server
        .maildrop_ready(vec![MessageInfo::new(3, "a")])
        .unwrap();
    server.handle_input(b"RETR 1\r\n");
    while !matches!(server.poll_output(), Output::Event(Event::Retrieve { .. })) {}
    server.message_chunk(b"a\r\n").unwrap();
    assert_eq!(
        server.message_unavailable(Status::new("late")),
        Err(DecisionError::MessageStarted)
    );
    server.message_end().unwrap();
    server.close();
    assert!(server.is_closed());
}

/// The configured limits cannot go below the protocol minimums.
#[test]
fn limits_are_sanitized() {
    let mut config = Config::new("x");
    config.limits.max_line_length = 10;
    config.limits.max_bad_commands = 0;
    let server = Server::new(config, Instant::now());
    assert_eq!(server.config().limits.max_line_length, 255);
    assert_eq!(server.config().limits.max_bad_commands, 1);
}
