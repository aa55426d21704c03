//! Password brute force against the real `postroom` binary: failed logins wait longer
//! and longer per IP and per account (while other IPs and accounts keep the base
//! delay), past a threshold attempts are refused as a temporary failure without the
//! password being checked, every service is throttled, and every failure leaves the
//! fail2ban line in the log.

mod support;

use std::net::{IpAddr, TcpStream};
use std::time::{Duration, Instant};

use support::attack::{Raw, Target, start_default};
use support::{DOMAIN, PASSWORD, sasl_plain};

fn ip(last: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, last])
}

/// A POP3 connection from `source`, greeting read.
fn pop3_from(target: &Target, source: IpAddr) -> Raw<TcpStream> {
    let mut client = Raw::connect_from(source, target.server.pop3);
    assert!(client.line().starts_with("+OK"));
    client
}

/// USER/PASS for `user` (local part) with `password`; returns the PASS reply and how
/// long it took.
fn pop3_login(client: &mut Raw<TcpStream>, user: &str, password: &str) -> (String, Duration) {
    assert!(
        client
            .cmd(&format!("USER {user}@{DOMAIN}"))
            .starts_with("+OK")
    );
    let start = Instant::now();
    let reply = client.cmd(&format!("PASS {password}"));
    (reply, start.elapsed())
}

fn failed_after(client: &mut Raw<TcpStream>, user: &str) -> Duration {
    let (reply, took) = pop3_login(client, user, "wrong-password");
    assert!(reply.starts_with("-ERR [AUTH]"), "{reply}");
    took
}

#[test]
fn failures_wait_longer_and_longer_per_ip_and_account() {
    let target = start_default();
    let mut attacker = pop3_from(&target, ip(1));
    let delays: Vec<Duration> = (0..3).map(|_| failed_after(&mut attacker, "pat")).collect();
    // The base delay is 2 s, doubling per failure: 2, 4, 8 s (lower bounds only).
    assert!(delays[0] >= Duration::from_millis(1_800), "{delays:?}");
    assert!(delays[1] >= Duration::from_millis(3_600), "{delays:?}");
    assert!(delays[2] >= Duration::from_millis(7_200), "{delays:?}");
    assert!(delays[0] < delays[1] && delays[1] < delays[2], "{delays:?}");
    let log = target.server.log();
    let line = format!("auth failed: user=<pat@{DOMAIN}> rip=127.0.0.1 service=pop3");
    assert_eq!(log.matches(&line).count(), 3, "{log}");
    // Another IP failing for another account waits the base delay only.
    let mut other = pop3_from(&target, ip(2));
    let first = failed_after(&mut other, "sam");
    assert!(first < delays[2], "{first:?} vs {delays:?}");
    assert!(target.server.log().contains(&format!(
        "auth failed: user=<sam@{DOMAIN}> rip=127.0.0.2 service=pop3"
    )));
    // Good credentials still work, from the other IP and even for the attacked account
    // (three failures are below the lockout threshold); the success resets it.
    let (reply, _) = pop3_login(&mut other, "sam", PASSWORD);
    assert!(reply.starts_with("+OK"), "{reply}");
    let mut owner = pop3_from(&target, ip(2));
    let (reply, _) = pop3_login(&mut owner, "pat", PASSWORD);
    assert!(reply.starts_with("+OK"), "{reply}");
    let mut after_reset = pop3_from(&target, ip(3));
    let again = failed_after(&mut after_reset, "pat");
    assert!(again < delays[2], "{again:?} vs {delays:?}");
    target.assert_still_serving();
}

#[test]
fn past_the_threshold_attempts_are_refused_without_checking() {
    let target = start_default();
    // Ten connections from one IP, each failing once for the same account, at once.
    let attackers: Vec<Raw<TcpStream>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10)
            .map(|_| {
                scope.spawn(|| {
                    let mut client = pop3_from(&target, ip(3));
                    failed_after(&mut client, "full");
                    client
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut attacker = attackers.into_iter().next().unwrap();
    // The IP is locked out: even the right password of another account is refused as
    // a temporary failure (so it was not checked).
    let (reply, _) = pop3_login(&mut attacker, "pat", PASSWORD);
    assert!(reply.starts_with("-ERR [SYS/TEMP]"), "{reply}");
    // The account is locked out, from any IP, even with the right password.
    let mut elsewhere = pop3_from(&target, ip(4));
    let (reply, _) = pop3_login(&mut elsewhere, "full", PASSWORD);
    assert!(reply.starts_with("-ERR [SYS/TEMP]"), "{reply}");
    // Other accounts from other IPs are served.
    let (reply, _) = pop3_login(&mut elsewhere, "pat", PASSWORD);
    assert!(reply.starts_with("+OK"), "{reply}");
    let log = target.server.log();
    assert!(
        log.contains(&format!(
            "auth throttled: user=<pat@{DOMAIN}> rip=127.0.0.3"
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!("auth throttled: user=<full@{DOMAIN}>")),
        "{log}"
    );
    target.assert_still_serving();
}

/// Two failed logins on one connection of a service; returns their durations.
fn two_failures(target: &Target, service: &str) -> (Duration, Duration) {
    let wrong = sasl_plain(&format!("sam@{DOMAIN}"), "wrong-password");
    let timed = |f: &mut dyn FnMut() -> String, ok: &dyn Fn(&str) -> bool| {
        let start = Instant::now();
        let reply = f();
        assert!(ok(&reply), "{service}: {reply}");
        start.elapsed()
    };
    match service {
        "imap" => {
            let mut client = Raw::connect(target.server.imap);
            assert!(client.line().starts_with("* OK"));
            let mut attempt = |tag: &str| {
                timed(
                    &mut || {
                        client.send(format!("{tag} LOGIN sam@{DOMAIN} wrong\r\n").as_bytes());
                        client.until(tag)
                    },
                    &|r: &str| r.contains("NO [AUTHENTICATIONFAILED]"),
                )
            };
            (attempt("a"), attempt("b"))
        }
        "submission" => {
            let mut client = Raw::connect(target.server.submission);
            assert!(client.smtp_reply().starts_with("220 "));
            assert!(client.smtp("EHLO client.example").starts_with("250 "));
            let mut attempt = || {
                timed(
                    &mut || client.smtp(&format!("AUTH PLAIN {wrong}")),
                    &|r: &str| r.starts_with("535 "),
                )
            };
            (attempt(), attempt())
        }
        _ => {
            let mut client = Raw::connect(target.sieve);
            assert!(client.until("OK").starts_with("OK"));
            let mut attempt = || {
                timed(
                    &mut || client.cmd(&format!("AUTHENTICATE \"PLAIN\" \"{wrong}\"")),
                    &|r: &str| r.starts_with("NO"),
                )
            };
            (attempt(), attempt())
        }
    }
}

#[test]
fn every_service_is_throttled() {
    let target = start_default();
    let results: Vec<(&str, (Duration, Duration))> = std::thread::scope(|scope| {
        let handles: Vec<_> = ["imap", "submission", "managesieve"]
            .into_iter()
            .map(|service| {
                let target = &target;
                scope.spawn(move || (service, two_failures(target, service)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (service, (first, second)) in results {
        assert!(
            first >= Duration::from_millis(1_800),
            "{service}: {first:?}"
        );
        assert!(
            second >= Duration::from_millis(3_600),
            "{service}: {second:?}"
        );
        let line = format!("auth failed: user=<sam@{DOMAIN}> rip=127.0.0.1 service={service}");
        assert_eq!(target.server.log().matches(&line).count(), 2, "{line}");
    }
    target.assert_still_serving();
}
