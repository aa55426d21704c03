//! POP3 of the real `postroom` binary over TCP, with a line client and rustls: STLS and
//! the plaintext policy, byte-exact RETR of mail delivered through the MX, the IN-USE
//! lock, and DELE committed only by QUIT.

mod support;

use std::time::{Duration, Instant};

use support::pop3::{Pop3, capa, deliver, pop3, tls};
use support::{Options, PASSWORD, Postroom};

#[test]
fn pop3_plaintext_needs_stls_then_retrieves_byte_exact() {
    let options = Options {
        plaintext_on_loopback: false,
        ..Options::default()
    };
    let server = Postroom::start_with(&options);
    let big = ".leading dot\r\n".repeat(12_000);
    deliver(&server, "pat@example.test", &big);
    let stored = server.inbox("pat").remove(0);

    let mut plain = pop3(&server);
    let caps = capa(&mut plain);
    assert!(caps.contains(&"STLS".to_owned()), "{caps:?}");
    assert!(!caps.contains(&"USER".to_owned()), "{caps:?}");
    assert!(
        plain
            .cmd("USER pat@example.test")
            .starts_with("-ERR [AUTH]")
    );
    assert!(plain.cmd("STLS").starts_with("+OK"));
    let mut secure = Pop3::new(tls(&server, plain.stream.into_inner()));
    let caps = capa(&mut secure);
    assert!(caps.contains(&"USER".to_owned()), "{caps:?}");
    assert!(!caps.contains(&"STLS".to_owned()), "{caps:?}");
    assert_eq!(
        secure.login("pat@example.test", "wrong"),
        "-ERR [AUTH] Authentication failed"
    );
    let reply = secure.login("pat@example.test", PASSWORD);
    assert_eq!(
        reply,
        format!("+OK maildrop has 1 messages ({} octets)", stored.len())
    );
    assert_eq!(secure.cmd("LIST 1"), format!("+OK 1 {}", stored.len()));
    assert_eq!(secure.body("RETR 1"), stored.as_bytes());
    assert!(secure.cmd("QUIT").starts_with("+OK"));
    assert!(
        server
            .log()
            .contains("auth failed: user=<pat@example.test> rip=127.0.0.1 service=pop3"),
        "{}",
        server.log()
    );
}

#[test]
fn pop3_in_use_and_dele_committed_only_by_quit() {
    let server = Postroom::start_with(&Options::default());
    deliver(&server, "sam@example.test", "first");
    deliver(&server, "sam@example.test", "second");

    let mut first = pop3(&server);
    assert!(first.login("sam@example.test", PASSWORD).starts_with("+OK"));
    let mut second = pop3(&server);
    assert_eq!(
        second.login("sam@example.test", PASSWORD),
        "-ERR [IN-USE] maildrop is locked by another session"
    );
    assert!(first.cmd("DELE 1").starts_with("+OK"));
    // The connection drops without QUIT: nothing is deleted, the lock is released.
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(10);
    let reply = loop {
        let reply = second.login("sam@example.test", PASSWORD);
        if !reply.contains("IN-USE") || Instant::now() > deadline {
            break reply;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(reply.starts_with("+OK maildrop has 2 messages"), "{reply}");
    assert!(second.cmd("DELE 1").starts_with("+OK"));
    assert!(second.cmd("QUIT").starts_with("+OK"));
    assert_eq!(second.line(), "", "closed after QUIT");
    let left = server.inbox("sam");
    assert_eq!(left.len(), 1);
    assert!(left[0].ends_with("\r\n\r\nsecond\r\n"), "{}", left[0]);
}
