//! Slowloris against the real `postroom` binary: a client that trickles one byte of a
//! command every 500 ms and never ends the line is still closed by the idle timeout
//! (2 s here), because partial input does not extend it: ManageSieve, IMAP before
//! login, the MX and submission (smtp-proto's command timeout).

mod support;

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use support::Options;
use support::attack::{Quiet, Raw, start};

/// How long a trickling client may stay before the test gives up.
const LIMIT: Duration = Duration::from_secs(30);

/// Reads the greeting line, then sends `command` one byte every 500 ms (wrapping
/// around, never a line end); returns how long the server kept the connection open,
/// `None` if it was still open after [`LIMIT`].
fn trickle(addr: SocketAddr, greeting: &str, command: &[u8]) -> Option<Duration> {
    let mut client = Raw::connect(addr);
    let first = client.line();
    assert!(first.starts_with(greeting), "{first}");
    let start = Instant::now();
    for &byte in command.iter().cycle() {
        if start.elapsed() > LIMIT {
            return None;
        }
        let sent = client
            .stream
            .write_all(&[byte])
            .and_then(|()| client.stream.flush());
        if sent.is_err() {
            return Some(start.elapsed());
        }
        if client.quiet_for(Duration::from_millis(500)) == Quiet::Closed {
            return Some(start.elapsed());
        }
    }
    None
}

#[test]
fn trickled_commands_are_closed_by_the_idle_timeout() {
    let target = start(&Options::default(), Some(2));
    let lifetimes = std::thread::scope(|scope| {
        let clients = [
            ("managesieve", target.sieve, "\"", &b"NOOP \"a"[..]),
            ("imap", target.server.imap, "* OK", b"a1 NOOP a"),
            ("mx", target.server.mx, "220 ", b"EHLO slow.example"),
            (
                "submission",
                target.server.submission,
                "220 ",
                b"EHLO slow.example",
            ),
        ]
        .map(|(name, addr, greeting, command)| {
            (name, scope.spawn(move || trickle(addr, greeting, command)))
        });
        clients.map(|(name, client)| (name, client.join().unwrap()))
    });
    for (name, lifetime) in lifetimes {
        let lifetime = lifetime.unwrap_or_else(|| panic!("{name}: open after {LIMIT:?}"));
        // The timeout is 2 s; allow for a slow machine, far below the 30 s limit.
        assert!(lifetime < Duration::from_secs(15), "{name}: {lifetime:?}");
    }
    target.assert_still_serving();
}
