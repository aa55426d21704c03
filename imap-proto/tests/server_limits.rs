//! Timeouts, input caps and hostile input.

mod server_support;

use std::time::{Duration, Instant};

use imap_proto::server::{CloseReason, Config, Event, Output, Server};
use server_support::{Policy, Step, open_config, run, session};

const SECOND: Duration = Duration::from_secs(1);

fn closed_by_timeout(steps: &[Step<'_>], config: &Config) -> bool {
    let (server, t) = run(config, &Policy::default(), steps);
    let timed_out = t.events.last() == Some(&Event::Closed(CloseReason::Timeout));
    assert_eq!(timed_out, server.is_closed());
    if timed_out {
        assert!(
            t.text()
                .ends_with("* BYE Autologout; idle for too long\r\n")
        );
    }
    timed_out
}

#[test]
fn timeout_before_authentication_is_60_seconds() {
    let c = open_config();
    assert!(!closed_by_timeout(&[Step::Wait(59 * SECOND)], &c));
    assert!(closed_by_timeout(&[Step::Wait(60 * SECOND)], &c));
    // input restarts the clock
    assert!(!closed_by_timeout(
        &[
            Step::Wait(50 * SECOND),
            Step::Input(b"a1 NOOP\r\n"),
            Step::Wait(50 * SECOND)
        ],
        &c
    ));
    let server = Server::new(c, Instant::now());
    let deadline = server.poll_timeout().unwrap();
    assert!(deadline > Instant::now() + 59 * SECOND && deadline <= Instant::now() + 60 * SECOND);
}

#[test]
fn autologout_after_30_minutes_when_authenticated() {
    let c = open_config();
    let login = Step::Input(b"a1 LOGIN joe secret\r\n");
    assert!(!closed_by_timeout(
        &[login.clone(), Step::Wait(29 * 60 * SECOND)],
        &c
    ));
    assert!(closed_by_timeout(
        &[login, Step::Wait(30 * 60 * SECOND)],
        &c
    ));
}

#[test]
fn idle_timeout_and_session_replay() {
    let c = open_config();
    let steps = [
        Step::Input(b"a1 LOGIN joe secret\r\na2 IDLE\r\n"),
        Step::Wait(29 * 60 * SECOND),
        Step::Input(b"DONE\r\n"),
        Step::Input(b"a3 IDLE\r\n"),
        Step::Wait(30 * 60 * SECOND),
    ];
    let t = session(&c, &Policy::default(), &steps);
    assert!(t.text().contains("a2 OK IDLE terminated\r\n"));
    assert!(
        t.text()
            .ends_with("+ idling\r\n* BYE Autologout; idle for too long\r\n")
    );
    assert_eq!(t.events.last(), Some(&Event::Closed(CloseReason::Timeout)));
}

/// No timeout runs while the machine waits for the application.
#[test]
fn no_timeout_while_application_decides() {
    let policy = Policy {
        never_answer: true,
        ..Policy::default()
    };
    let (server, t) = run(
        &open_config(),
        &policy,
        &[
            Step::Input(b"a1 LOGIN joe secret\r\n"),
            Step::Wait(3600 * SECOND),
        ],
    );
    assert!(server.awaiting_decision() && !server.is_closed());
    assert!(server.poll_timeout().is_none());
    assert_eq!(t.kinds(), ["Command"]);
}

/// A client that keeps sending while a decision is pending is cut off at the cap.
#[test]
fn pending_input_is_capped() {
    let mut c = open_config();
    c.limits.max_pending_input = 1024;
    c.limits.max_command_size = 4096;
    c.limits.max_line_length = 2048;
    let mut server = Server::new(c, Instant::now());
    server.handle_input(b"a1 LOGIN joe secret\r\n");
    let mut closed = false;
    for _ in 0..100 {
        while !matches!(server.poll_output(), Output::NeedInput) {}
        assert!(server.buffered_input_len() <= 4096 + 1024);
        server.handle_input(&[b'x'; 512]);
        if server.is_closed() {
            closed = true;
            break;
        }
    }
    assert!(closed);
    let mut last = None;
    while let Output::Transmit(_) | Output::Event(_) = {
        let o = server.poll_output();
        if let Output::Event(e) = &o {
            last = Some(e.clone());
        }
        o
    } {}
    assert_eq!(last, Some(Event::Closed(CloseReason::TooMuchInput)));
}

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Random bytes (biased towards IMAP syntax) never panic, never grow the buffer beyond
/// one command, and end in an orderly close or a live session.
#[test]
fn hostile_input_is_contained() {
    let alphabet: &[u8] = b"a1 {}+~*()\r\n\"\\DONE LOGIN APPEND IDLE 0123456789 ";
    for seed in 1..=40u64 {
        let mut state = seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1;
        let mut config = open_config();
        config.limits.max_command_size = 8192;
        config.limits.max_line_length = 2048;
        config.limits.max_bad_commands = 10_000;
        config.limits.max_auth_failures = 10_000;
        let mut server = Server::new(config, Instant::now());
        let mut sent = 0usize;
        for _ in 0..400 {
            let len = usize::try_from(xorshift(&mut state) % 64).unwrap();
            let chunk: Vec<u8> = (0..len)
                .map(|_| {
                    let r = xorshift(&mut state);
                    if r.is_multiple_of(5) {
                        (r >> 8) as u8
                    } else {
                        alphabet[usize::try_from((r >> 8) % alphabet.len() as u64).unwrap()]
                    }
                })
                .collect();
            server.handle_input(&chunk);
            loop {
                match server.poll_output() {
                    Output::Transmit(b) => sent += b.len(),
                    Output::Event(Event::Literal { .. }) => server.accept_literal().unwrap(),
                    Output::Event(Event::AppendMessage(_)) => server.accept_literal().unwrap(),
                    Output::Event(Event::Command(_) | Event::AppendEnd { .. }) => server
                        .complete(imap_proto::server::Status::ok("ok"))
                        .unwrap(),
                    Output::Event(Event::Authenticate { .. } | Event::AuthResponse(_)) => {
                        server.auth_success().unwrap();
                    }
                    Output::Event(Event::StartTls) => server.tls_established().unwrap(),
                    Output::Event(_) => {}
                    Output::NeedInput => break,
                }
            }
            assert!(server.buffered_input_len() <= 8192 + 64, "seed {seed}");
            if server.is_closed() {
                break;
            }
        }
        assert!(sent > 0);
    }
}
