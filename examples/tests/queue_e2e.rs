//! The outbound queue end to end, through the real `postroom serve`: a user submits over
//! STARTTLS + AUTH, the queue routes the message (`[outbound.routes]`) to a loopback
//! peer, and the tests look at what the peer got, at `postroom queue list` and at the
//! sender's INBOX. Peers: a throwaway Debian Postfix as the remote MX (ignored unless
//! `--ignored`), and a scripted SMTP server in the test (a 4xx then a 250, a 5xx, a
//! slow 250). Also kill -9 with a full queue, and in the middle of a delivery.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use support::smtp_peer::{Script, SmtpPeer};
use support::submit::Submission;
use support::{Options, Postroom, free_port};

/// The remote domain the scripted peer serves.
const REMOTE: &str = "remote.test";

/// A server whose mail for `domain` goes to 127.0.0.1:`port` (no TLS), retrying after
/// `retry`.
fn options(domain: &str, port: u16, tls: &str, retry: &str) -> Options {
    Options {
        extra_config: format!(
            "[outbound.routes.\"{domain}\"]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"{tls}\"\n\
             [queue]\nretry_initial = \"{retry}\"\nretry_max = \"{retry}\"\n"
        ),
        ..Options::default()
    }
}

/// A message with a unique Message-ID, and lines that need dot-stuffing.
fn letter(to: &str, n: usize) -> String {
    format!(
        "From: Pat <pat@example.test>\r\nTo: <{to}>\r\nSubject: letter {n}\r\n\
         Date: Fri, 27 Nov 2026 08:00:00 +0000\r\nMessage-ID: <letter-{n}@example.test>\r\n\
         \r\nHello number {n}.\r\n.a line that starts with a dot\r\n..and two dots\r\n.\r\nend\r\n"
    )
}

/// The body of a message (after the first empty line), with its line ends as they are.
fn body(message: &str) -> &str {
    let at = message
        .find("\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| message.find("\n\n").map(|i| i + 2))
        .expect("a header/body separator");
    &message[at..]
}

/// The Message-ID header's value.
fn message_id(message: &str) -> String {
    message
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .unwrap_or_else(|| panic!("no Message-ID in {message}"))
        .trim()
        .to_owned()
}

/// How many messages `postroom queue list` shows.
fn queued(server: &Postroom) -> usize {
    let list = server.admin_output(&["queue", "list"]);
    let last = list.lines().last().unwrap_or_default();
    last.strip_suffix(" messages")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected queue list:\n{list}"))
}

/// Waits (at most `limit`) until `done` holds; panics with `why` and the log if not.
fn wait_until(server: &Postroom, limit: Duration, why: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{why}\nqueue:\n{}\nlog:\n{}",
            server.admin_output(&["queue", "list"]),
            server.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Submits `count` letters (numbered from `first`) from pat to `to` in one session.
fn submit_letters(server: &Postroom, to: &str, first: usize, count: usize) {
    let mut session = Submission::login(server, "pat@example.test");
    for n in first..first + count {
        let reply = session.send("pat@example.test", &[to], &letter(to, n));
        assert!(reply.starts_with("250 "), "letter {n}: {reply}");
    }
    session.quit();
}

/// The queue directory is consistent: every state file has its message file, nothing
/// half-written or corrupt is left, and `queue list` counts the state files.
fn assert_queue_consistent(server: &Postroom) {
    let root = server.dir.path().join("queue");
    let names = |dir: &str| -> Vec<String> {
        std::fs::read_dir(root.join(dir))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let files = names("messages");
    let states: Vec<&String> = files.iter().filter(|f| f.ends_with(".state")).collect();
    for state in &states {
        let msg = state.replace(".state", ".msg");
        assert!(files.contains(&msg), "{state} without {msg}: {files:?}");
    }
    assert!(
        names("corrupt").is_empty(),
        "corrupt: {:?}",
        names("corrupt")
    );
    assert_eq!(queued(server), states.len(), "{files:?}");
}

/// How many deferrals the queue has logged (one line per recipient and attempt).
fn deferrals(server: &Postroom) -> usize {
    server
        .log()
        .lines()
        .filter(|l| l.contains("queue: id=") && l.contains("status=deferred"))
        .count()
}

/// How often each Message-ID arrived.
fn count_ids(messages: &[String]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for m in messages {
        *counts.entry(message_id(m)).or_default() += 1;
    }
    counts
}

#[test]
#[ignore = "interop: postfix"]
fn submitted_mail_reaches_a_postfix_mx_once_and_byte_exact() {
    let mut config = testkit::postfix::Config::new("postfix-mx.test");
    config.tls = true;
    config.mailboxes = vec![("bob@postfix.test".into(), "postfix.test/bob/".into())];
    let postfix = testkit::postfix::Postfix::start(&config);
    let server = Postroom::start_with(&options("postfix.test", postfix.smtp.port(), "may", "1h"));
    let sent = letter("bob@postfix.test", 1);

    submit_letters(&server, "bob@postfix.test", 1, 1);

    let mail = postfix.wait_for_mail("postfix.test/bob", 1, Duration::from_secs(30));
    wait_until(
        &server,
        Duration::from_secs(20),
        "the queue empties",
        || queued(&server) == 0,
    );
    // Postfix stores LF line ends; the body is otherwise exactly what the user sent.
    assert_eq!(body(&mail[0]), body(&sent).replace("\r\n", "\n"));
    assert!(mail[0].contains("Message-ID: <letter-1@example.test>\n"));
    assert!(mail[0].contains("by mx.example.test"), "{}", mail[0]);
    assert!(
        postfix.log().contains("TLS connection established from"),
        "{}",
        postfix.log()
    );
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        postfix
            .wait_for_mail("postfix.test/bob", 1, Duration::ZERO)
            .len(),
        1
    );
    assert!(
        server.log().contains("status=sent"),
        "no delivery logged:\n{}",
        server.log()
    );
}

#[test]
fn a_4xx_then_a_250_is_delivered_once_after_the_retry() {
    let peer = SmtpPeer::start(
        free_port(),
        Script {
            data: |n| {
                if n == 0 {
                    "451 4.3.0 Temporary failure, try again"
                } else {
                    "250 2.0.0 Ok: queued as B2"
                }
            },
            ..Script::default()
        },
    );
    let to = format!("bob@{REMOTE}");
    let server = Postroom::start_with(&options(REMOTE, peer.addr.port(), "none", "1h"));

    submit_letters(&server, &to, 1, 1);

    wait_until(
        &server,
        Duration::from_secs(20),
        "the first attempt",
        || peer.received().len() == 1,
    );
    wait_until(&server, Duration::from_secs(10), "the deferral", || {
        deferrals(&server) == 1
    });
    assert!(server.log().contains("451 4.3.0 Temporary failure"));
    assert_eq!(queued(&server), 1);
    // retry_initial is an hour: only the flush makes it due now.
    server.admin(&["queue", "flush"]);
    wait_until(
        &server,
        Duration::from_secs(20),
        "the queue empties",
        || queued(&server) == 0,
    );
    assert_eq!(peer.received().len(), 2);
    let accepted = peer.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(body(&accepted[0]), body(&letter(&to, 1)));
    assert!(server.inbox("pat").is_empty(), "no DSN for a deferral");
}

#[test]
fn a_5xx_bounces_to_the_senders_inbox() {
    let peer = SmtpPeer::start(
        free_port(),
        Script {
            rcpt: "550 5.1.1 <nobody@remote.test>: Recipient address rejected: User unknown",
            ..Script::default()
        },
    );
    let to = format!("nobody@{REMOTE}");
    let server = Postroom::start_with(&options(REMOTE, peer.addr.port(), "none", "1h"));

    submit_letters(&server, &to, 1, 1);

    wait_until(&server, Duration::from_secs(30), "the DSN", || {
        !server.inbox("pat").is_empty()
    });
    wait_until(
        &server,
        Duration::from_secs(10),
        "the queue empties",
        || queued(&server) == 0,
    );
    assert!(peer.received().is_empty());
    assert_eq!(peer.rcpts().len(), 1);
    let inbox = server.inbox("pat");
    assert_eq!(inbox.len(), 1);
    let dsn = &inbox[0];
    assert!(dsn.contains("Return-Path: <>"), "{dsn}");
    assert!(dsn.contains("multipart/report"), "{dsn}");
    assert!(dsn.contains("report-type=delivery-status"), "{dsn}");
    assert!(
        dsn.contains("Content-Type: message/delivery-status"),
        "{dsn}"
    );
    assert!(
        dsn.contains("Final-Recipient: rfc822; nobody@remote.test"),
        "{dsn}"
    );
    assert!(dsn.contains("Action: failed"), "{dsn}");
    assert!(dsn.contains("Status: 5.1.1"), "{dsn}");
    assert!(
        dsn.contains("Diagnostic-Code: smtp; 550 5.1.1 <nobody@remote.test>"),
        "{dsn}"
    );
    assert!(dsn.contains("Message-ID: <letter-1@example.test>"), "{dsn}");
}

#[test]
fn kill_9_with_a_full_queue_then_restart_delivers_each_message_once() {
    const COUNT: usize = 50;
    let port = free_port();
    let to = format!("bob@{REMOTE}");
    // The remote is down: every first attempt is refused, and deferred for an hour.
    let mut server = Postroom::start_with(&options(REMOTE, port, "none", "1h"));
    submit_letters(&server, &to, 0, COUNT);
    wait_until(
        &server,
        Duration::from_secs(60),
        "every first attempt",
        || deferrals(&server) >= COUNT,
    );
    assert_eq!(queued(&server), COUNT);

    server.kill();
    assert_queue_consistent(&server);
    assert_eq!(queued(&server), COUNT);
    server.start();
    let peer = SmtpPeer::start(port, Script::default());
    server.admin(&["queue", "flush"]);

    wait_until(
        &server,
        Duration::from_secs(60),
        "the queue empties",
        || queued(&server) == 0,
    );
    let counts = count_ids(&peer.accepted());
    assert_eq!(counts.len(), COUNT, "{counts:?}");
    assert!(counts.values().all(|&n| n == 1), "duplicates: {counts:?}");
    assert_queue_consistent(&server);
}

#[test]
fn kill_9_in_the_middle_of_a_slow_delivery_loses_nothing() {
    const COUNT: usize = 30;
    let port = free_port();
    let to = format!("bob@{REMOTE}");
    let mut server = Postroom::start_with(&options(REMOTE, port, "none", "1h"));
    submit_letters(&server, &to, 0, COUNT);
    wait_until(
        &server,
        Duration::from_secs(60),
        "every first attempt",
        || deferrals(&server) >= COUNT,
    );
    // All 30 go out in one transport call, over one connection, slowly.
    let slow = SmtpPeer::start(
        port,
        Script {
            delay: Duration::from_millis(150),
            ..Script::default()
        },
    );
    server.admin(&["queue", "flush"]);
    wait_until(&server, Duration::from_secs(60), "ten deliveries", || {
        slow.accepted().len() >= 10
    });
    server.kill();
    // A reply the peer was still holding back at the kill counts as accepted (the
    // remote took the message; we never heard): give it time to be recorded.
    std::thread::sleep(Duration::from_millis(500));
    let before = count_ids(&slow.accepted());
    drop(slow);
    assert_queue_consistent(&server);
    let left = queued(&server);
    // Each accepted message was recorded as it was accepted, not at the end of the call
    // (which would leave all 30): only the one whose reply was in flight at the kill,
    // and on a loaded machine the one before it (its state write still under way while
    // the next message went out), may be accepted and still queued.
    assert!(
        left <= COUNT - before.len() + 2,
        "{left} queued after {} deliveries",
        before.len()
    );

    // The remote comes back first: the messages of the interrupted call were due (the
    // flush) and go out as soon as the server is up; the flush takes the rest.
    let peer = SmtpPeer::start(port, Script::default());
    server.start();
    server.admin(&["queue", "flush"]);
    wait_until(
        &server,
        Duration::from_secs(60),
        "the queue empties",
        || queued(&server) == 0,
    );
    let mut all = before;
    for (id, n) in count_ids(&peer.accepted()) {
        *all.entry(id).or_default() += n;
    }
    assert_eq!(all.len(), COUNT, "lost messages: {all:?}");
    let duplicates: Vec<_> = all.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicates.len() <= 2 && all.values().all(|&n| n <= 2),
        "more than the messages in flight at the kill were sent twice: {duplicates:?}"
    );
}
