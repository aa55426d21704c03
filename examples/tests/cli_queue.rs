//! `postroom queue list|show|retry|flush|delete` on a prepared queue directory, with no
//! server running (the commands then change the files themselves).

mod cli_support;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use cli_support::Install;

/// Two hours ago, and six hours from now.
fn times() -> (u64, u64) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    (now - 7200, now + 6 * 3600 - 30)
}

const CONTENT: &str = "Received: from client.test by mail.example.test;\r\n\
From: Ann <ann@example.test>\r\nTo: bob@remote.test\r\nSubject: quarterly numbers\r\n\
\r\nThe body stays private.\r\n";

/// A queue directory holding two messages in the on-disk format the queue writes.
struct Prepared {
    install: Install,
    messages: PathBuf,
}

impl Prepared {
    fn new() -> Self {
        let install = Install::new();
        let root = install.dir.join("queue");
        let messages = root.join("messages");
        for dir in [&messages, &root.join("tmp"), &root.join("corrupt")] {
            std::fs::create_dir_all(dir).unwrap();
        }
        let (arrival, later) = times();
        write_message(
            &messages,
            "0001AAAA",
            &format!(
                "version = 1\nid = \"0001AAAA\"\nsender = \"ann@example.test\"\n\
                 arrival = {arrival}\nsize = {}\nenvid = \"E-17\"\nret = \"hdrs\"\n\
                 eight_bit = false\nsmtputf8 = false\n\n\
                 [[recipients]]\naddress = \"bob@remote.test\"\nnotify = \"failure,delay\"\n\
                 status = \"pending\"\nattempts = 3\nnext_attempt = {later}\n\
                 last_attempt = {arrival}\ncode = \"4.7.1\"\n\
                 remote = \"mx.remote.test [192.0.2.7]\"\n\
                 diagnostic = \"451 4.7.1 greylisted, try again later\"\n\n\
                 [[recipients]]\naddress = \"cy@other.test\"\nstatus = \"delivered\"\n\
                 attempts = 1\nnext_attempt = {arrival}\ndiagnostic = \"250 2.0.0 Ok\"\n",
                CONTENT.len()
            ),
        );
        write_message(
            &messages,
            "0002BBBB",
            &format!(
                "version = 1\nid = \"0002BBBB\"\nsender = \"\"\narrival = {arrival}\n\
                 size = {}\neight_bit = false\nsmtputf8 = false\n\n\
                 [[recipients]]\naddress = \"dee@remote.test\"\nstatus = \"pending\"\n\
                 attempts = 1\nnext_attempt = {later}\n\
                 diagnostic = \"connection refused by all MX hosts of remote.test\"\n",
                CONTENT.len()
            ),
        );
        Self { install, messages }
    }

    fn state(&self, id: &str) -> String {
        std::fs::read_to_string(self.messages.join(format!("{id}.state"))).unwrap()
    }
}

fn write_message(dir: &Path, id: &str, state: &str) {
    std::fs::write(dir.join(format!("{id}.msg")), CONTENT).unwrap();
    std::fs::write(dir.join(format!("{id}.state")), state).unwrap();
}

/// The `next_attempt` of the first recipient in a state file.
fn next_attempt(state: &str) -> u64 {
    let line = state
        .lines()
        .find(|l| l.starts_with("next_attempt = "))
        .expect("next_attempt");
    line["next_attempt = ".len()..].parse().unwrap()
}

#[test]
fn list_shows_messages_and_recipient_states() {
    let q = Prepared::new();
    let out = q.install.run(&["queue", "list"]).expect(0).stdout;
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    let size = CONTENT.len();
    assert_eq!(
        lines[0],
        format!("0001AAAA  age 2h 0m  {size} bytes  from <ann@example.test>")
    );
    assert!(
        lines[1].starts_with("    to <bob@remote.test>  pending, next attempt in 5h 5")
            && lines[1].ends_with(", attempts 3: 451 4.7.1 greylisted, try again later"),
        "{out}"
    );
    assert_eq!(
        lines[2],
        "    to <cy@other.test>  delivered, attempts 1: 250 2.0.0 Ok"
    );
    assert!(lines[3].starts_with("0002BBBB  age 2h 0m"), "{out}");
    assert!(lines[3].ends_with("from <> (bounce)"), "{out}");
    assert!(
        lines[4].contains("connection refused by all MX hosts"),
        "{out}"
    );
    assert_eq!(lines[5], "2 messages");
}

#[test]
fn show_prints_envelope_and_header_but_not_the_body() {
    let q = Prepared::new();
    let out = q
        .install
        .run(&["queue", "show", "0001AAAA"])
        .expect(0)
        .stdout;
    for expected in [
        "id: 0001AAAA\n",
        "from: <ann@example.test>\n",
        "envid: E-17\n",
        "ret: HDRS\n",
        "to: <bob@remote.test>\n    status: Pending, attempts: 3, next attempt: ",
        "    notify: failure,delay\n",
        "    remote: mx.remote.test [192.0.2.7]\n",
        "    last: 451 4.7.1 greylisted, try again later\n",
        "to: <cy@other.test>\n    status: Delivered, attempts: 1\n",
        "\nReceived: from client.test by mail.example.test;\nFrom: Ann <ann@example.test>\n",
    ] {
        assert!(out.contains(expected), "{expected:?} missing in\n{out}");
    }
    assert!(out.ends_with("Subject: quarterly numbers\n"), "{out}");
    assert!(!out.contains("private"), "{out}");

    let missing = q.install.run(&["queue", "show", "0009ZZZZ"]).expect(1);
    assert!(
        missing.stderr.contains("no message 0009ZZZZ in the queue"),
        "{}",
        missing.stderr
    );
    let hostile = q
        .install
        .run(&["queue", "show", "../../etc/passwd"])
        .expect(1);
    assert!(hostile.stderr.contains("no message"), "{}", hostile.stderr);
}

#[test]
fn retry_flush_and_delete_change_the_files() {
    let q = Prepared::new();
    let (_, later) = times();
    let out = q
        .install
        .run(&["queue", "retry", "0001AAAA"])
        .expect(0)
        .stdout;
    assert_eq!(out, "0001AAAA: 1 recipients are due now\n");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(next_attempt(&q.state("0001AAAA")) <= now);
    assert!(next_attempt(&q.state("0002BBBB")) >= later - 5, "untouched");
    // The delivered recipient keeps its state.
    assert!(q.state("0001AAAA").contains("status = \"delivered\""));

    let out = q.install.run(&["queue", "flush"]).expect(0).stdout;
    assert_eq!(out, "2 deferred messages are due now\n");
    assert!(next_attempt(&q.state("0002BBBB")) <= now + 5);
    let list = q.install.run(&["queue", "list"]).expect(0).stdout;
    assert_eq!(list.matches("pending, due now").count(), 2, "{list}");

    let out = q
        .install
        .run(&["queue", "delete", "0002BBBB"])
        .expect(0)
        .stdout;
    assert_eq!(out, "0002BBBB deleted\n");
    assert!(!q.messages.join("0002BBBB.state").exists());
    assert!(!q.messages.join("0002BBBB.msg").exists());
    let list = q.install.run(&["queue", "list"]).expect(0).stdout;
    assert!(list.ends_with("\n1 messages\n"), "{list}");

    let again = q.install.run(&["queue", "delete", "0002BBBB"]).expect(1);
    assert!(
        again.stderr.contains("no message 0002BBBB in the queue"),
        "{}",
        again.stderr
    );
    let retry_missing = q.install.run(&["queue", "retry", "0002BBBB"]).expect(1);
    assert!(
        retry_missing.stderr.contains("no message"),
        "{}",
        retry_missing.stderr
    );
    // Nothing was left behind by the commands that owned the queue for a moment.
    assert!(!q.install.dir.join("queue/control.sock").exists());
    assert_eq!(
        std::fs::read_dir(q.install.dir.join("queue/tmp"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn an_empty_or_missing_queue() {
    let install = Install::new();
    let _ = std::fs::remove_dir_all(install.dir.join("queue"));
    let missing = install.run(&["queue", "flush"]).expect(1);
    assert!(
        missing.stderr.contains("no queue directory"),
        "{}",
        missing.stderr
    );
    std::fs::create_dir_all(install.dir.join("queue/messages")).unwrap();
    let out = install.run(&["queue", "list"]).expect(0).stdout;
    assert_eq!(out, "0 messages\n");
    let out = install.run(&["queue", "flush"]).expect(0).stdout;
    assert_eq!(out, "0 deferred messages are due now\n");
}
