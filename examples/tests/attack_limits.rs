//! Resource attacks on the real `postroom` binary: slowloris connections (silent, or
//! stalled in the middle of a command line) are closed by the idle timeout and free
//! their slot (POP3 is left out: RFC 1939 makes its autologout timer at least 10
//! minutes, and pop3-proto enforces that), and
//! a connection flood from one IP hits the per-IP limit while another IP is still
//! served.

mod support;

use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use support::attack::{Raw, start};
use support::{DOMAIN, Options};

/// Reads the greeting's first line, sends `partial` (a command without its line end)
/// and then nothing; returns how long the server kept the connection open, `None` if
/// it was still open after `limit`.
fn stall(addr: SocketAddr, greeting: &str, partial: &[u8], limit: Duration) -> Option<Duration> {
    let mut client = Raw::connect(addr);
    let first = client.line();
    assert!(first.starts_with(greeting), "{first}");
    let start = Instant::now();
    client.send(partial);
    client.closed_within(limit).map(|_| start.elapsed())
}

#[test]
fn slowloris_connections_are_closed_and_free_their_slot() {
    let options = Options {
        connections_per_ip: 3,
        ..Options::default()
    };
    let target = start(&options, Some(2));
    let server = &target.server;
    let lifetimes: Vec<Option<Duration>> = std::thread::scope(|scope| {
        let silent = scope.spawn(|| {
            let mut client = Raw::connect(server.mx);
            assert!(client.smtp_reply().starts_with("220 "));
            client.closed_within(Duration::from_secs(30))
        });
        let smtp =
            scope.spawn(|| stall(server.mx, "220 ", b"EHLO slow.exa", Duration::from_secs(30)));
        let sieve = scope.spawn(|| stall(target.sieve, "\"", b"NOO", Duration::from_secs(30)));
        // Meanwhile the limit of 3 connections from this IP is full.
        std::thread::sleep(Duration::from_millis(500));
        let mut fourth = Raw::connect(server.mx);
        let refused = fourth.smtp_reply();
        assert!(refused.starts_with("421 "), "{refused}");
        [silent, smtp, sieve]
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect()
    });
    for (name, lifetime) in ["silent", "smtp stalled", "sieve stalled"]
        .iter()
        .zip(&lifetimes)
    {
        let lifetime = lifetime.unwrap_or_else(|| panic!("{name}: never closed"));
        // The idle timeout is 2 s; allow for a slow machine, but far below the 30 s wait.
        assert!(lifetime < Duration::from_secs(15), "{name}: {lifetime:?}");
    }
    // The slots are free again.
    let mut client = Raw::connect(server.mx);
    assert!(client.smtp_reply().starts_with("220 "));
    drop(client);
    target.assert_still_serving();
}

/// An MX connection from `source`, with its greeting.
fn greeted(source: IpAddr, addr: SocketAddr) -> (Raw<TcpStream>, String) {
    let mut client = Raw::connect_from(source, addr);
    let greeting = client.smtp_reply();
    (client, greeting)
}

#[test]
fn connection_flood_from_one_ip_leaves_others_served() {
    let options = Options {
        connections_per_ip: 5,
        ..Options::default()
    };
    let target = start(&options, None);
    let flooder = IpAddr::from([127, 0, 0, 1]);
    let mut held = Vec::new();
    for _ in 0..5 {
        let (client, greeting) = greeted(flooder, target.server.mx);
        assert!(greeting.starts_with("220 "), "{greeting}");
        held.push(client);
    }
    // More connections from the same IP, on any listener, are refused.
    for _ in 0..20 {
        let (_, greeting) = greeted(flooder, target.server.mx);
        assert!(
            greeting.starts_with("421 ") || greeting.is_empty(),
            "{greeting}"
        );
    }
    let mut imap = Raw::connect_from(flooder, target.server.imap);
    let refused = imap.line();
    assert!(
        refused.starts_with("* BYE") || refused.is_empty(),
        "{refused}"
    );
    // Another IP is served, a whole delivery.
    let (mut other, greeting) = greeted(IpAddr::from([127, 0, 0, 2]), target.server.mx);
    assert!(greeting.starts_with("220 "), "{greeting}");
    assert!(other.smtp("EHLO other.example").starts_with("250 "));
    assert!(
        other
            .smtp("MAIL FROM:<a@other.example>")
            .starts_with("250 ")
    );
    assert!(
        other
            .smtp(&format!("RCPT TO:<pat@{DOMAIN}>"))
            .starts_with("250 ")
    );
    assert!(other.smtp("DATA").starts_with("354 "));
    assert!(
        other
            .smtp("Subject: other ip\r\n\r\nhi\r\n.")
            .starts_with("250 ")
    );
    assert!(other.smtp("QUIT").starts_with("221 "));
    assert_eq!(target.pat_inbox().len(), 1);
    // Once the flood ends, the IP is served again.
    for mut client in held {
        assert!(client.smtp("QUIT").starts_with("221 "));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, greeting) = greeted(flooder, target.server.mx);
        if greeting.starts_with("220 ") {
            break;
        }
        assert!(Instant::now() < deadline, "still refused: {greeting}");
        std::thread::sleep(Duration::from_millis(100));
    }
    target.assert_still_serving();
}

/// IMAP before login has its own timeout (60 s, or `idle_timeout_secs` when that is
/// shorter, as here): a stalled client is closed by it.
#[test]
fn imap_stalled_before_login_is_closed() {
    let target = start(&Options::default(), Some(2));
    let lifetime = stall(
        target.server.imap,
        "* OK",
        b"a NOO",
        Duration::from_secs(120),
    );
    let lifetime = lifetime.expect("never closed");
    assert!(lifetime < Duration::from_secs(15), "{lifetime:?}");
    target.assert_still_serving();
}
