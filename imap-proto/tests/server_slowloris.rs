//! Slowloris: a timeout counts from the last complete command line, so a client that
//! trickles a command byte by byte is still closed, while APPEND message data (real
//! progress) keeps a slow upload alive.

mod server_support;

use std::time::Duration;

use imap_proto::server::{CloseReason, Config, Event};
use server_support::{Policy, Step, open_config, run};

const SECOND: Duration = Duration::from_secs(1);

fn timed_out(config: &Config, steps: &[Step<'_>]) -> bool {
    let (server, t) = run(config, &Policy::default(), steps);
    let timed_out = t.events.last() == Some(&Event::Closed(CloseReason::Timeout));
    assert_eq!(timed_out, server.is_closed(), "{}", t.text());
    timed_out
}

/// `a1 NOOP` one byte every 20 s, never finished: closed at 60 s after the greeting.
#[test]
fn trickled_command_does_not_extend_the_deadline() {
    let bytes: &[u8] = b"a1 NOOP";
    let mut steps = Vec::new();
    for i in 0..bytes.len() {
        steps.push(Step::Input(&bytes[i..=i]));
        steps.push(Step::Wait(20 * SECOND));
    }
    let (server, t) = run(&open_config(), &Policy::default(), &steps[..6]);
    assert!(server.is_closed(), "open after 60 s of trickling");
    assert_eq!(t.events.last(), Some(&Event::Closed(CloseReason::Timeout)));
    assert!(
        t.text()
            .ends_with("* BYE Autologout; idle for too long\r\n")
    );
    // Two bytes in 40 s: still open, and the deadline is the greeting's.
    let (server, _) = run(&open_config(), &Policy::default(), &steps[..4]);
    assert!(!server.is_closed());
    let (fresh, _) = run(&open_config(), &Policy::default(), &[]);
    let greeted = fresh.poll_timeout().unwrap();
    let deadline = server.poll_timeout().unwrap();
    assert!(
        deadline <= greeted + SECOND,
        "deadline moved by partial input"
    );
}

/// A command that completes restarts the clock from its last byte.
#[test]
fn completed_command_resets_the_deadline() {
    let steps = [
        Step::Wait(50 * SECOND),
        Step::Input(b"a1 NO"),
        Step::Wait(5 * SECOND),
        Step::Input(b"OP\r\n"),
        Step::Wait(59 * SECOND),
    ];
    assert!(!timed_out(&open_config(), &steps));
    let mut longer = steps.to_vec();
    longer.push(Step::Wait(SECOND));
    assert!(timed_out(&open_config(), &longer));
}

/// IDLE's `DONE` trickled after the idle timeout: closed.
#[test]
fn trickled_done_does_not_extend_idle() {
    let mut c = open_config();
    c.timeouts.idle = 10 * SECOND;
    let steps = [
        Step::Input(b"a1 LOGIN joe secret\r\na2 IDLE\r\n"),
        Step::Wait(6 * SECOND),
        Step::Input(b"D"),
        Step::Wait(4 * SECOND),
    ];
    assert!(timed_out(&c, &steps));
}

/// A 40-byte APPEND sent 4 bytes every 8 s (80 s) under a 10 s timeout completes.
#[test]
fn slow_append_literal_is_not_cut_off() {
    let mut c = open_config();
    c.timeouts.authenticated = 10 * SECOND;
    let message = b"Subject: slow\r\n\r\n01234567890123456789012";
    assert_eq!(message.len(), 40);
    let mut steps = vec![
        Step::Input(b"a1 LOGIN joe secret\r\n"),
        Step::Input(b"a2 APPEND INBOX {40}\r\n"),
    ];
    for chunk in message.chunks(4) {
        steps.push(Step::Wait(8 * SECOND));
        steps.push(Step::Input(chunk));
    }
    steps.push(Step::Wait(8 * SECOND));
    steps.push(Step::Input(b"\r\n"));
    steps.push(Step::Wait(9 * SECOND));
    let (server, t) = run(&c, &Policy::default(), &steps);
    assert!(!server.is_closed(), "{}", t.text());
    assert!(
        t.text()
            .contains("a2 OK [APPENDUID 7 100] APPEND completed\r\n")
    );
    assert_eq!(t.appended(), [message.to_vec()]);
    // But the line after the message is not data: trickling it does not help.
    let mut stalled = steps[..steps.len() - 3].to_vec();
    stalled.extend([
        Step::Wait(5 * SECOND),
        Step::Input(b"\r"),
        Step::Wait(5 * SECOND),
    ]);
    assert!(timed_out(&c, &stalled));
}

/// Synchronising literal in a command: the `+` restarts the clock, its data is bounded.
#[test]
fn literal_continuation_resets_the_deadline() {
    let steps = [
        Step::Wait(50 * SECOND),
        Step::Input(b"a1 LOGIN {3}\r\n"),
        Step::Wait(50 * SECOND),
        Step::Input(b"joe secret\r\n"),
    ];
    let (server, t) = run(&open_config(), &Policy::default(), &steps);
    assert!(!server.is_closed(), "{}", t.text());
    assert!(t.text().contains("+ Ready for literal data\r\na1 OK"));
}

/// A line too long to frame is answered `BAD [TOOBIG]`, then `* BYE` before closing.
#[test]
fn too_long_line_says_bye_before_closing() {
    let line = format!("a1 NOOP {}", "x".repeat(70_000));
    let (server, t) = run(
        &open_config(),
        &Policy::default(),
        &[Step::Input(line.as_bytes())],
    );
    assert!(server.is_closed());
    assert!(
        t.text()
            .ends_with("a1 BAD [TOOBIG] Command line too long\r\n* BYE Command line too long\r\n"),
        "{}",
        t.text()
    );
    assert_eq!(t.events.last(), Some(&Event::Closed(CloseReason::TooLong)));
}
