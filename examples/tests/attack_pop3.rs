//! Attacks on the POP3 listener of the real `postroom` binary: STLS command injection,
//! plaintext logins before TLS, huge command lines and invalid UTF-8 in user names.
//! Every case checks the clear reply and that the server still serves.

mod support;

use std::time::Duration;

use support::attack::{Quiet, Raw, start_default, start_tls_only};
use support::pop3::pop3;
use support::{DOMAIN, PASSWORD, sasl_plain};

#[test]
fn stls_command_injection() {
    let target = start_default();
    let mut plain = Raw::connect(target.server.pop3);
    assert!(plain.line().starts_with("+OK"));
    plain.send(b"STLS\r\nNOOP\r\n");
    let go = plain.line();
    assert!(go.starts_with("+OK"), "{go}");
    let mut tls = plain.into_tls(&target.server);
    assert_eq!(
        tls.quiet_for(Duration::from_millis(300)),
        Quiet::Silent,
        "the injected NOOP was answered"
    );
    assert!(tls.cmd(&format!("USER pat@{DOMAIN}")).starts_with("+OK"));
    assert!(tls.cmd(&format!("PASS {PASSWORD}")).starts_with("+OK"));
    assert!(tls.cmd("STAT").starts_with("+OK 0 "));
    assert!(tls.cmd("QUIT").starts_with("+OK"));
    target.assert_still_serving();
}

#[test]
fn plaintext_login_before_tls_is_refused() {
    let target = start_tls_only();
    let mut client = pop3(&target.server);
    let reply = client.login(&format!("pat@{DOMAIN}"), PASSWORD);
    assert!(reply.starts_with("-ERR"), "{reply}");
    let plain = sasl_plain(&format!("pat@{DOMAIN}"), PASSWORD);
    let auth = client.cmd(&format!("AUTH PLAIN {plain}"));
    assert!(auth.starts_with("-ERR"), "{auth}");
    // Not logged in.
    assert!(client.cmd("STAT").starts_with("-ERR"));
    // After STLS the same login works.
    let mut plain_stream = Raw::connect(target.server.pop3);
    assert!(plain_stream.line().starts_with("+OK"));
    assert!(plain_stream.cmd("STLS").starts_with("+OK"));
    let mut tls = plain_stream.into_tls(&target.server);
    assert!(tls.cmd(&format!("USER pat@{DOMAIN}")).starts_with("+OK"));
    assert!(tls.cmd(&format!("PASS {PASSWORD}")).starts_with("+OK"));
    target.assert_no_panic();
}

#[test]
fn huge_command_line() {
    let target = start_default();
    let mut client = Raw::connect(target.server.pop3);
    assert!(client.line().starts_with("+OK"));
    client.send(format!("USER {}\r\n", "u".repeat(300_000)).as_bytes());
    let reply = client.line();
    assert!(reply.starts_with("-ERR"), "{reply}");
    // The session goes on, or was closed after the error; either way nothing leaked
    // into the next command.
    match client.quiet_for(Duration::from_millis(200)) {
        Quiet::Silent => {
            let capa = client.cmd("CAPA");
            assert!(capa.starts_with("+OK"), "{capa}");
        }
        Quiet::Closed => {}
        Quiet::Data(data) => panic!("unexpected: {}", String::from_utf8_lossy(&data)),
    }
    target.assert_still_serving();
}

#[test]
fn invalid_utf8_in_user_names() {
    let target = start_default();
    let mut client = Raw::connect(target.server.pop3);
    assert!(client.line().starts_with("+OK"));
    for bytes in [&b"\xC0\x80"[..], b"\xED\xA0\x80", b"\xF5\x80\x80\x80"] {
        let mut line = b"USER pat".to_vec();
        line.extend_from_slice(bytes);
        line.extend_from_slice(b"@example.test\r\n");
        client.send(&line);
        let user = client.line();
        if user.starts_with("+OK") {
            let pass = client.cmd(&format!("PASS {PASSWORD}"));
            assert!(pass.starts_with("-ERR"), "{bytes:x?}: {pass}");
        } else {
            assert!(user.starts_with("-ERR"), "{bytes:x?}: {user}");
        }
    }
    assert!(client.cmd(&format!("USER pat@{DOMAIN}")).starts_with("+OK"));
    let pass = client.cmd(&format!("PASS {PASSWORD}"));
    assert!(pass.starts_with("+OK"), "{pass}");
    target.assert_still_serving();
}
