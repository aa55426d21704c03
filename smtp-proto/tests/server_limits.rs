//! Limits and timeouts of the server machine.

mod server_support;

use std::time::{Duration, Instant};

use server_support::{Policy, Transcript, drain, lines, session};
use smtp_proto::server::{CloseReason, Config, Event, Output, Server};

#[test]
fn command_line_length_limit() {
    let ok = format!("NOOP {}\r\n", "a".repeat(4096 - 7));
    let long = format!("NOOP {}\r\n", "a".repeat(4096 - 6));
    let t = session(
        &Config::new("mx"),
        &Policy::default(),
        &[ok.as_bytes(), long.as_bytes(), b"NOOP\r\n"],
    );
    assert_eq!(
        lines(&t)[1..],
        [
            "250 2.0.0 Ok",
            "500 5.5.6 Error: line too long",
            "250 2.0.0 Ok"
        ]
    );
}

#[test]
fn line_limit_never_below_rfc_minimum() {
    let mut c = Config::new("mx");
    c.limits.max_line_length = 10;
    let line = format!("NOOP {}\r\n", "a".repeat(505));
    let t = session(&c, &Policy::default(), &[line.as_bytes()]);
    assert_eq!(lines(&t)[1..], ["250 2.0.0 Ok"]);
    assert_eq!(
        Server::new(c, Instant::now())
            .config()
            .limits
            .max_line_length,
        512
    );
}

#[test]
fn overlong_line_is_skipped_without_buffering() {
    let mut server = Server::new(Config::new("mx"), Instant::now());
    let mut t = Transcript::default();
    let policy = Policy::default();
    let junk = vec![b'x'; 10_000];
    for _ in 0..100 {
        server.handle_input(&junk);
        drain(&mut server, &policy, &mut t);
        assert!(server.buffered_input_len() <= 4096);
    }
    server.handle_input(b"\r\nNOOP\r\n");
    drain(&mut server, &policy, &mut t);
    assert_eq!(
        lines(&t)[1..],
        ["500 5.5.6 Error: line too long", "250 2.0.0 Ok"]
    );
}

#[test]
fn recipients_per_message_limit() {
    let mut c = Config::new("mx");
    c.limits.max_recipients = 2;
    let t = session(
        &c,
        &Policy::default(),
        &[b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<1@x>\r\nRCPT TO:<2@x>\r\nRCPT TO:<3@x>\r\n"],
    );
    assert_eq!(
        lines(&t)[lines(&t).len() - 3..],
        [
            "250 2.1.5 Ok",
            "250 2.1.5 Ok",
            "452 4.5.3 Error: too many recipients"
        ]
    );
    assert_eq!(
        t.events
            .iter()
            .filter(|e| matches!(e, Event::Rcpt(_)))
            .count(),
        2
    );
}

#[test]
fn too_many_bad_commands_closes() {
    let mut c = Config::new("mx");
    c.limits.max_bad_commands = 3;
    let t = session(
        &c,
        &Policy::default(),
        &[b"FOO\r\nNOOP\r\nDATA\r\nBAR\r\nNOOP\r\n"],
    );
    assert_eq!(
        lines(&t)[1..],
        [
            "500 5.5.2 Error: command not recognized",
            "250 2.0.0 Ok",
            "503 5.5.1 Error: need MAIL command",
            "421 4.7.0 mx Error: too many errors",
        ]
    );
    assert_eq!(t.events, vec![Event::Closed(CloseReason::TooManyErrors)]);
    // Default: 20.
    let twenty = "FOO\r\n".repeat(25);
    let t = session(&Config::new("mx"), &Policy::default(), &[twenty.as_bytes()]);
    assert_eq!(lines(&t).len(), 1 + 20);
    assert!(lines(&t)[20].starts_with("421 4.7.0"));
}

#[test]
fn pending_input_is_capped() {
    let mut c = Config::new("mx");
    c.limits.max_pending_input = 1000;
    let mut server = Server::new(c, Instant::now());
    let policy = Policy {
        never_answer: true,
        ..Policy::default()
    };
    let mut t = Transcript::default();
    server.handle_input(b"EHLO c\r\nMAIL FROM:<a@b>\r\n");
    drain(&mut server, &policy, &mut t);
    assert!(server.awaiting_decision());
    for _ in 0..20 {
        server.handle_input(&[b'N'; 1000]);
        drain(&mut server, &policy, &mut t);
    }
    assert!(server.is_closed());
    assert!(server.buffered_input_len() == 0);
    assert_eq!(
        t.events.last(),
        Some(&Event::Closed(CloseReason::TooMuchInput))
    );
    assert!(lines(&t).last().unwrap().starts_with("421 4.7.0"));
}

/// Drives `inputs` at `t0`, then checks that the timeout is exactly `expected` later.
fn check_timeout(inputs: &[&[u8]], policy: &Policy, expected: Duration) {
    let t0 = Instant::now();
    let mut server = Server::new(Config::new("mx"), t0);
    let mut t = Transcript::default();
    drain(&mut server, policy, &mut t);
    for input in inputs {
        server.handle_timeout(t0);
        server.handle_input(input);
        drain(&mut server, policy, &mut t);
    }
    assert_eq!(
        server.poll_timeout(),
        Some(t0 + expected),
        "after {inputs:?}"
    );
    server.handle_timeout(t0 + expected - Duration::from_millis(1));
    assert_eq!(server.poll_output(), Output::NeedInput);
    server.handle_timeout(t0 + expected);
    let mut after = Transcript::default();
    drain(&mut server, policy, &mut after);
    // Replies held back for a pending decision are flushed before the 421.
    assert!(
        after
            .text()
            .ends_with("421 4.4.2 mx Error: timeout exceeded\r\n"),
        "{}",
        after.text()
    );
    assert_eq!(after.events, vec![Event::Closed(CloseReason::Timeout)]);
    assert_eq!(server.poll_timeout(), None);
}

#[test]
fn each_timeout() {
    let min = |m: u64| Duration::from_secs(60 * m);
    let answer = Policy::default();
    let silent = Policy {
        never_answer: true,
        ..Policy::default()
    };
    let envelope = b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n";
    check_timeout(&[], &answer, min(5));
    check_timeout(&[b"EHLO c\r\n"], &answer, min(5));
    check_timeout(&[b"EHLO c\r\nMAIL FROM:<a@b>\r\n"], &silent, min(5));
    check_timeout(&[b"EHLO c\r\nMAIL FROM:<a@b>\r\n"], &answer, min(5));
    let mut rcpt_pending: Vec<&[u8]> = vec![b"EHLO c\r\nMAIL FROM:<a@b>\r\n"];
    rcpt_pending.push(b"RCPT TO:<c@d>\r\n");
    check_timeout(&rcpt_pending, &answer, min(5));
    check_timeout(&[envelope, b"DATA\r\n"], &answer, min(2));
    check_timeout(&[envelope, b"DATA\r\n", b"partial body"], &answer, min(3));
    check_timeout(&[envelope, b"BDAT 100\r\npartial"], &answer, min(3));
    // The end-of-message decision is left pending by answering everything else by hand.
    let t0 = Instant::now();
    let mut server = Server::new(Config::new("mx"), t0);
    server.handle_input(envelope);
    server.handle_input(b"DATA\r\n.\r\n");
    let mut pending_end = false;
    loop {
        match server.poll_output() {
            Output::Event(Event::Mail(_)) => server.accept_mail().unwrap(),
            Output::Event(Event::Rcpt(_)) => server.accept_rcpt().unwrap(),
            Output::Event(Event::MessageEnd { .. }) => pending_end = true,
            Output::NeedInput => break,
            _ => {}
        }
    }
    assert!(pending_end);
    assert_eq!(server.poll_timeout(), Some(t0 + min(10)));

    let mut custom = Config::new("mx");
    custom.timeouts.rcpt = Duration::from_secs(7);
    let mut server = Server::new(custom, t0);
    server.handle_input(b"EHLO c\r\nMAIL FROM:<a@b>\r\n");
    let mut t = Transcript::default();
    drain(&mut server, &answer, &mut t);
    server.handle_input(b"RCPT TO:<c@d>\r\n");
    drain(&mut server, &silent, &mut t);
    assert_eq!(server.poll_timeout(), Some(t0 + Duration::from_secs(7)));
}

#[test]
fn activity_restarts_the_timer() {
    let t0 = Instant::now();
    let mut server = Server::new(Config::new("mx"), t0);
    let mut t = Transcript::default();
    let policy = Policy::default();
    drain(&mut server, &policy, &mut t);
    let t1 = t0 + Duration::from_secs(240);
    server.handle_timeout(t1);
    server.handle_input(b"NOOP\r\n");
    drain(&mut server, &policy, &mut t);
    assert_eq!(server.poll_timeout(), Some(t1 + Duration::from_secs(300)));
    server.handle_timeout(t0 + Duration::from_secs(300));
    assert!(!server.is_closed());
}

/// A command line trickled byte by byte (slowloris) does not restart the timer; only a
/// complete line does.
#[test]
fn a_trickled_line_meets_the_command_timeout() {
    let t0 = Instant::now();
    let mut server = Server::new(Config::new("mx"), t0);
    let mut t = Transcript::default();
    let policy = Policy::default();
    drain(&mut server, &policy, &mut t);
    for (i, byte) in b"EHLO slow.example".iter().enumerate() {
        server.handle_timeout(t0 + Duration::from_secs(15 * i as u64));
        server.handle_input(&[*byte]);
        drain(&mut server, &policy, &mut t);
        assert_eq!(server.poll_timeout(), Some(t0 + Duration::from_secs(300)));
    }
    server.handle_timeout(t0 + Duration::from_secs(299));
    server.handle_input(b"\r\n");
    drain(&mut server, &policy, &mut t);
    assert!(!server.is_closed());
    assert_eq!(
        server.poll_timeout(),
        Some(t0 + Duration::from_secs(299 + 300))
    );
    server.handle_timeout(t0 + Duration::from_secs(400));
    server.handle_input(b"NO");
    drain(&mut server, &policy, &mut t);
    server.handle_timeout(t0 + Duration::from_secs(599));
    server.handle_input(b"O");
    drain(&mut server, &policy, &mut t);
    server.handle_timeout(t0 + Duration::from_secs(599 + 1));
    drain(&mut server, &policy, &mut t);
    assert!(server.is_closed());
    assert!(
        t.text()
            .ends_with("421 4.4.2 mx Error: timeout exceeded\r\n"),
        "{}",
        t.text()
    );
}
