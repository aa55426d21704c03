//! swaks against the submission listeners of the real `postroom` binary: AUTH PLAIN
//! after STARTTLS on `submission`, AUTH LOGIN over implicit TLS on `submissions`,
//! wrong passwords, AUTH and MAIL refused before TLS and login, the sender-login check,
//! and remote recipients left in the outbound queue.

mod support;

use std::process::{Command, Output};
use std::time::Duration;

use support::{Options, PASSWORD, Postroom, run_bounded};

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `swaks` to `port` with the given extra arguments.
fn swaks(port: u16, args: &[&str]) -> Output {
    run_bounded(
        Command::new("swaks")
            .args(["--server", "127.0.0.1", "--port", &port.to_string()])
            .args(["--helo", "swaks.example", "--timeout", "20"])
            .args(args),
        Duration::from_secs(60),
    )
}

/// swaks logged in as `user` with `password` by `mechanism`.
fn swaks_auth(port: u16, mechanism: &str, user: &str, password: &str, args: &[&str]) -> Output {
    let auth = [
        "--auth",
        mechanism,
        "--auth-user",
        user,
        "--auth-password",
        password,
    ];
    let all: Vec<&str> = auth.iter().chain(args).copied().collect();
    swaks(port, &all)
}

/// A strict installation: no plaintext logins even on loopback.
fn server() -> Postroom {
    Postroom::start_with(&Options {
        plaintext_on_loopback: false,
        aliases: vec![("sales@example.test", "pat@example.test")],
        ..Options::default()
    })
}

#[test]
#[ignore = "interop: swaks"]
fn auth_plain_after_starttls_delivers_locally() {
    let server = server();
    let port = server.submission.port();
    let sent = swaks_auth(
        port,
        "PLAIN",
        "pat@example.test",
        PASSWORD,
        &[
            "--tls",
            "--from",
            "pat@example.test",
            "--to",
            "sam@example.test",
            "--header",
            "Subject: swaks submission",
        ],
    );
    let out = text(&sent);
    assert!(sent.status.success(), "{out}");
    assert!(out.contains("235 2.7.0"), "{out}");
    let sam = server.inbox("sam");
    assert_eq!(sam.len(), 1, "{out}");
    assert!(sam[0].contains("Subject: swaks submission"), "{}", sam[0]);
    assert!(sam[0].contains("with ESMTPSA id"), "{}", sam[0]);
    assert!(
        sam[0].contains("(Authenticated sender: pat@example.test)"),
        "{}",
        sam[0]
    );
}

#[test]
#[ignore = "interop: swaks"]
fn auth_login_over_implicit_tls_and_a_remote_recipient_is_queued() {
    let server = server();
    let port = server.submissions.expect("TLS is on").port();
    let sent = swaks_auth(
        port,
        "LOGIN",
        "pat@example.test",
        PASSWORD,
        &[
            "--tlsc",
            "--from",
            "sales@example.test",
            "--to",
            "sam@example.test,friend@remote.example",
        ],
    );
    let out = text(&sent);
    assert!(sent.status.success(), "{out}");
    assert_eq!(server.inbox("sam").len(), 1);
    assert!(server.inbox("sam")[0].contains("with ESMTPSA id"));
    let queue = server.admin_output(&["queue", "list"]);
    assert!(queue.contains("from <sales@example.test>"), "{queue}");
    assert!(queue.contains("to <friend@remote.example>"), "{queue}");
}

#[test]
#[ignore = "interop: swaks"]
fn refusals_before_tls_without_login_and_for_foreign_senders() {
    let server = server();
    let port = server.submission.port();
    // A wrong password.
    let wrong = swaks_auth(
        port,
        "PLAIN",
        "pat@example.test",
        "wrong",
        &[
            "--tls",
            "--from",
            "pat@example.test",
            "--to",
            "sam@example.test",
        ],
    );
    let out = text(&wrong);
    assert!(!wrong.status.success(), "{out}");
    assert!(out.contains("535 5.7.8"), "{out}");
    // AUTH without STARTTLS: not offered, and refused when tried anyway.
    let plain = swaks_auth(
        port,
        "PLAIN",
        "pat@example.test",
        PASSWORD,
        &["--from", "pat@example.test", "--to", "sam@example.test"],
    );
    let out = text(&plain);
    assert!(!plain.status.success(), "{out}");
    assert!(
        out.contains("Host did not advertise authentication"),
        "{out}"
    );
    // TLS but no login: MAIL is refused.
    let anonymous = swaks(
        port,
        &[
            "--tls",
            "--from",
            "pat@example.test",
            "--to",
            "sam@example.test",
        ],
    );
    let out = text(&anonymous);
    assert!(!anonymous.status.success(), "{out}");
    assert!(out.contains("530 5.7.0 Authentication required"), "{out}");
    // Logged in, but sending as somebody else.
    let spoofed = swaks_auth(
        port,
        "PLAIN",
        "sam@example.test",
        PASSWORD,
        &[
            "--tls",
            "--from",
            "pat@example.test",
            "--to",
            "pat@example.test",
        ],
    );
    let out = text(&spoofed);
    assert!(!spoofed.status.success(), "{out}");
    assert!(
        out.contains("553 5.7.1 <pat@example.test>: Sender address rejected: not owned by user sam@example.test"),
        "{out}"
    );
    // The unauthenticated MX never relays.
    let relay = swaks(
        server.mx.port(),
        &[
            "--from",
            "pat@example.test",
            "--to",
            "friend@remote.example",
        ],
    );
    let out = text(&relay);
    assert!(!relay.status.success(), "{out}");
    assert!(out.contains("554 5.7.1"), "{out}");

    assert!(server.inbox("sam").is_empty());
    assert!(server.inbox("pat").is_empty());
    let queue = server.admin_output(&["queue", "list"]);
    assert!(queue.starts_with("0 messages"), "{queue}");
}
