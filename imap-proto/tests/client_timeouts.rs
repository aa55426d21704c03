//! Timeouts: the greeting, each command (restarted by any byte from the server, paused
//! while the application has the next move), and the IDLE refresh reminder.

mod client_support;

use std::borrow::Cow;
use std::time::Duration;

use client_support::*;
use imap_proto::client::{ClientError, Config, Event, Timeouts};
use imap_proto::types::{Atom, CommandBody, StatusKind};

const MINUTE: u64 = 60;

fn timeout(tag_text: Option<&str>, waiting_for: &'static str) -> Vec<Out> {
    vec![
        ev(Event::Error(ClientError::Timeout {
            tag: tag_text.map(tag),
            waiting_for: Cow::Borrowed(waiting_for),
        })),
        ev(Event::Closed),
    ]
}

#[test]
fn greeting_timeout() {
    let mut config = Config::default();
    config.timeouts = Timeouts::new(Duration::from_secs(10), Duration::from_secs(300));
    let log = session(&config, &[advance(9), server(b"* OK"), advance(1)]);
    assert_eq!(log, timeout(None, "the greeting"));
}

#[test]
fn command_timeout_after_five_minutes_of_silence() {
    let mut h = Harness::new(&Config::default());
    h.input(GREETING);
    h.call(|c| c.command(CommandBody::Noop));
    h.take();
    assert_eq!(
        h.client.poll_timeout(),
        Some(h.now + Duration::from_secs(5 * MINUTE))
    );
    h.advance(Duration::from_secs(5 * MINUTE - 1));
    assert_eq!(h.take(), vec![]);
    h.advance(Duration::from_secs(1));
    assert_eq!(h.take(), timeout(Some("A1"), "the completion of NOOP"));
    assert_eq!(h.client.poll_timeout(), None);
}

#[test]
fn server_bytes_restart_the_timeout() {
    let log = session(
        &Config::default(),
        &[
            server(GREETING),
            app(|c| c.command(CommandBody::Noop)),
            advance(4 * MINUTE),
            server(b"* 1 EXISTS\r\n"),
            advance(4 * MINUTE),
            server(b"* 2 EXI"),
            advance(4 * MINUTE),
            server(b"STS\r\nA1 OK done\r\n"),
            advance(60 * MINUTE),
        ],
    );
    assert_eq!(
        log[3..],
        [
            untagged(b"* 1 EXISTS\r\n"),
            untagged(b"* 2 EXISTS\r\n"),
            done("A1", StatusKind::Ok, "done"),
        ]
    );
    let log = session(
        &Config::default(),
        &[
            server(GREETING),
            app(|c| c.command(CommandBody::Noop)),
            advance(4 * MINUTE),
            server(b"* 1 EXISTS\r\n"),
            advance(5 * MINUTE),
        ],
    );
    assert_eq!(log[4..], timeout(Some("A1"), "the completion of NOOP")[..]);
}

#[test]
fn per_command_timeout() {
    let log = session(
        &Config::default(),
        &[
            server(GREETING),
            app(|c| c.command_with_timeout(CommandBody::Check, Some(Duration::from_secs(5)))),
            advance(5),
        ],
    );
    assert_eq!(log[3..], timeout(Some("A1"), "the completion of CHECK")[..]);
    let mut h = Harness::new(&Config::default());
    h.input(GREETING);
    h.call(|c| c.command_with_timeout(CommandBody::Check, None));
    assert_eq!(h.client.poll_timeout(), None);
    h.advance(Duration::from_secs(24 * 3600));
    assert!(!h.client.is_closed());
}

#[test]
fn authenticate_waits_for_the_application_without_timing_out() {
    let log = session(
        &Config::default(),
        &[
            server(GREETING),
            app(|c| c.authenticate(Atom::new("LOGIN").unwrap(), None)),
            server(b"+ VXNlcm5hbWU6\r\n"),
            // The application takes its time: no timeout.
            advance(60 * MINUTE),
            app(|c| c.auth_respond(b"alice")),
            advance(5 * MINUTE),
        ],
    );
    assert_eq!(
        log[2..],
        [
            sent("A1 AUTHENTICATE LOGIN\r\n"),
            ev(Event::AuthChallenge {
                tag: tag("A1"),
                data: b"Username:".to_vec()
            }),
            sent("YWxpY2U=\r\n"),
            ev(Event::Error(ClientError::Timeout {
                tag: Some(tag("A1")),
                waiting_for: Cow::Borrowed("the completion of AUTHENTICATE"),
            })),
            ev(Event::Closed),
        ]
    );
}

#[test]
fn idle_refresh_hint_then_done() {
    let log = session(
        &Config::default(),
        &[
            server(GREETING),
            app(|c| c.idle()),
            server(b"+ idling\r\n"),
            advance(27 * MINUTE),
            server(b"* 7 EXISTS\r\n"),
            advance(MINUTE),
            // Reported once, and IDLE never times out by itself.
            advance(120 * MINUTE),
            app(|c| c.done()),
            app(|c| c.idle()),
            server(b"A1 OK IDLE terminated\r\n+ idling\r\n"),
            advance(5 * MINUTE),
        ],
    );
    assert_eq!(
        log[2..],
        [
            sent("A1 IDLE\r\n"),
            ev(Event::IdleStarted { tag: tag("A1") }),
            untagged(b"* 7 EXISTS\r\n"),
            ev(Event::IdleRefresh { tag: tag("A1") }),
            sent("DONE\r\n"),
            done("A1", StatusKind::Ok, "IDLE terminated"),
            sent("A2 IDLE\r\n"),
            ev(Event::IdleStarted { tag: tag("A2") }),
        ]
    );
}

#[test]
fn done_restarts_the_command_timeout() {
    let mut h = Harness::new(&Config::default());
    h.input(GREETING);
    h.call(|c| c.idle());
    h.input(b"+ idling\r\n");
    h.advance(Duration::from_secs(10 * MINUTE));
    h.call(|c| c.done());
    h.take();
    assert_eq!(
        h.client.poll_timeout(),
        Some(h.now + Duration::from_secs(5 * MINUTE))
    );
    h.advance(Duration::from_secs(5 * MINUTE));
    assert_eq!(h.take(), timeout(Some("A1"), "the completion of IDLE"));
}
