//! Unsolicited updates: IDLE, NOOP polling, and the EXPUNGE rule of RFC 9051 7.5.1
//! (never while FETCH/STORE/SEARCH by sequence number runs, never between commands).

mod server_support;

use std::num::NonZeroU32;
use std::time::Instant;

use imap_proto::server::{Event, Output, Server, Status};
use imap_proto::types::Untagged;
use server_support::{Policy, Step, inputs, open_config, run, session};

const LOGIN_SELECT: &[u8] = b"a1 LOGIN joe secret\r\na2 SELECT INBOX\r\n";

fn expunge(n: u32) -> Untagged<'static> {
    Untagged::Expunge(NonZeroU32::new(n).unwrap())
}

/// RFC 2177 example: IDLE, updates pushed while idling, DONE.
#[test]
fn idle_with_pushed_updates() {
    let t = session(
        &open_config(),
        &Policy::default(),
        &[
            Step::Input(LOGIN_SELECT),
            Step::Input(b"a3 IDLE\r\n"),
            Step::Push(Untagged::Exists(4)),
            Step::Push(expunge(1)),
            Step::Input(b"DONE\r\n"),
            Step::Input(b"a4 IDLE\r\n"),
            Step::Input(b"a5 NOOP\r\n"),
            Step::Input(b"a6 IDLE\r\ndone\r\n"),
        ],
    );
    let lines = t.lines();
    let start = lines.iter().position(|l| l == "+ idling").unwrap();
    assert_eq!(
        &lines[start..],
        [
            "+ idling",
            "* 4 EXISTS",
            "* 1 EXPUNGE",
            "a3 OK IDLE terminated",
            "+ idling",
            "a4 BAD Expected DONE",
            "+ idling",
            "a6 OK IDLE terminated",
        ]
    );
    assert_eq!(
        t.kinds()[2..],
        [
            "IdleStart",
            "IdleDone",
            "IdleStart",
            "IdleDone",
            "IdleStart",
            "IdleDone"
        ]
    );
}

/// The 4th of every `* 4 EXISTS` is transmitted as soon as it is pushed during IDLE.
#[test]
fn idle_update_is_transmitted_at_once() {
    let mut server = Server::new(open_config(), Instant::now());
    server.handle_input(b"a1 LOGIN joe secret\r\na2 SELECT INBOX\r\na3 IDLE\r\n");
    loop {
        match server.poll_output() {
            Output::Event(Event::Command(_)) => server.complete(Status::ok("done")).unwrap(),
            Output::NeedInput => break,
            _ => {}
        }
    }
    assert!(server.is_idling() && server.may_send_expunge());
    server.push_unsolicited(Untagged::Exists(9)).unwrap();
    assert_eq!(
        server.poll_output(),
        Output::Transmit(bytes::Bytes::from_static(b"* 9 EXISTS\r\n"))
    );
    assert_eq!(server.poll_output(), Output::NeedInput);
}

/// An expunge pushed while FETCH by sequence number runs is held (with the EXISTS behind
/// it) until the next NOOP; UID FETCH lets it through.
#[test]
fn expunge_deferred_during_fetch_by_sequence_number() {
    let policy = Policy {
        during_fetch: vec![expunge(2), Untagged::Exists(5)],
        ..Policy::default()
    };
    let t = session(
        &open_config(),
        &policy,
        &inputs(&[
            LOGIN_SELECT,
            b"a3 FETCH 1 FLAGS\r\n",
            b"a4 NOOP\r\n",
            b"a5 UID FETCH 1 FLAGS\r\n",
        ]),
    );
    let lines = t.lines();
    let start = lines.iter().position(|l| l.starts_with("a2 ")).unwrap() + 1;
    assert_eq!(
        &lines[start..],
        [
            "* 1 FETCH (FLAGS (\\Seen))",
            "a3 OK FETCH completed",
            "* 2 EXPUNGE",
            "* 5 EXISTS",
            "a4 OK NOOP completed",
            "* 2 EXPUNGE",
            "* 5 EXISTS",
            "* 1 FETCH (FLAGS (\\Seen))",
            "a5 OK FETCH completed",
        ]
    );
}

/// Between commands an expunge is never sent; a plain EXISTS is. The queue drains at
/// the next command that allows it, and is dropped when the mailbox is closed.
#[test]
fn expunge_waits_for_a_command_in_progress() {
    let steps = [
        Step::Input(LOGIN_SELECT),
        Step::Push(Untagged::Exists(4)),
        Step::Push(expunge(3)),
        Step::Push(Untagged::Exists(3)),
        Step::Input(b"a3 SEARCH ALL\r\n"),
        Step::Input(b"a4 STATUS INBOX (MESSAGES)\r\n"),
        Step::Push(expunge(1)),
        Step::Input(b"a5 CLOSE\r\n"),
        Step::Input(b"a6 NOOP\r\n"),
    ];
    let t = session(&open_config(), &Policy::default(), &steps);
    let lines = t.lines();
    let start = lines.iter().position(|l| l.starts_with("a2 ")).unwrap() + 1;
    assert_eq!(
        &lines[start..],
        [
            "* 4 EXISTS",
            "a3 OK SEARCH completed",
            "* 3 EXPUNGE",
            "* 3 EXISTS",
            "a4 OK STATUS completed",
            "a5 OK CLOSE completed",
            "a6 OK NOOP completed",
        ]
    );
    let (server, _) = run(&open_config(), &Policy::default(), &steps[..3]);
    assert!(!server.may_send_expunge());
    assert_eq!(server.queued_unsolicited(), 1);
}

#[test]
fn noop_hook_and_push_rules() {
    let policy = Policy {
        on_noop: vec![Untagged::Exists(7), expunge(1)],
        ..Policy::default()
    };
    let t = session(
        &open_config(),
        &policy,
        &inputs(&[LOGIN_SELECT, b"a3 NOOP\r\n"]),
    );
    assert!(
        t.text()
            .ends_with("* 7 EXISTS\r\n* 1 EXPUNGE\r\na3 OK NOOP completed\r\n")
    );
    // not logged in, or no mailbox for an expunge: refused
    let mut server = Server::new(open_config(), Instant::now());
    assert!(server.push_unsolicited(Untagged::Exists(1)).is_err());
    let (mut server, _) = run(
        &open_config(),
        &Policy::default(),
        &inputs(&[b"a1 LOGIN joe secret\r\n"]),
    );
    assert!(server.push_unsolicited(expunge(1)).is_err());
    assert!(server.push_unsolicited(Untagged::Exists(1)).is_ok());
    assert!(server.send_untagged(Untagged::Exists(1)).is_err());
    assert!(server.complete(Status::ok("x")).is_err());
}
